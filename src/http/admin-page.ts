import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';

const pageDir = new URL('./admin-page/', import.meta.url);

/**
 * No script or style from anywhere else, no inline script, no framing, and forms cannot submit anywhere
 * (the sign-in form is handled by script, so the token never reaches a URL).
 */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function sendPageFile(reply: FastifyReply, body: string, type: string): FastifyReply {
  return reply
    .type(type)
    .header('content-security-policy', contentSecurityPolicy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(body);
}

/**
 * The admin page: a static page with no data in it, open to load; everything it shows comes from the
 * admin API, which needs the token the person types in.
 */
export function registerAdminPage(app: FastifyInstance): void {
  const files = {
    html: readFileSync(new URL('index.html', pageDir), 'utf8'),
    js: readFileSync(new URL('admin.js', pageDir), 'utf8'),
    css: readFileSync(new URL('admin.css', pageDir), 'utf8'),
  };
  const hide = { schema: { hide: true } };
  app.get('/admin', hide, async (_request, reply) => reply.redirect('/admin/', 301));
  app.get('/admin/', { schema: { tags: ['admin'], summary: 'The admin page (HTML; sign in with the admin token)' } }, async (_request, reply) =>
    sendPageFile(reply, files.html, 'text/html; charset=utf-8'),
  );
  app.get('/admin/admin.js', hide, async (_request, reply) => sendPageFile(reply, files.js, 'text/javascript; charset=utf-8'));
  app.get('/admin/admin.css', hide, async (_request, reply) => sendPageFile(reply, files.css, 'text/css; charset=utf-8'));
}
