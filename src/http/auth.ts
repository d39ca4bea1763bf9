import type { FastifyReply, FastifyRequest } from 'fastify';
import { sameSecret } from './tokens.js';

/**
 * An onRequest hook that lets through only `Authorization: Bearer <token>`, compared in constant time.
 * It runs before the body is read, so an unauthenticated caller cannot make us read or parse anything.
 */
export function requireBearer(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const header = request.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    if (!sameSecret(given, token)) {
      // The connection is closed: a body still on its way is not waited for.
      return reply.code(401).header('www-authenticate', 'Bearer').header('connection', 'close').send({ error: 'unauthorized', message: 'missing or wrong admin token' });
    }
    return undefined;
  };
}
