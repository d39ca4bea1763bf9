import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { Database } from '../store/db.js';
import { getJob, listJobs, retryDeadJob, type Job } from '../store/jobs.js';
import { sameSecret } from './tokens.js';

export interface AdminDeps {
  db: Database;
  clock: Clock;
  token: string;
  onQueued: () => void;
}

const jobsQuery = z.object({
  state: z.enum(['pending', 'running', 'done', 'dead']).optional(),
  route: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

function view(job: Job) {
  return {
    id: job.id,
    kind: job.kind,
    route: job.route,
    sourceId: job.sourceId,
    state: job.state,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    errorCode: job.lastErrorCode,
    /** The same message the person at the source was sent. */
    error: job.lastError,
    runAfter: new Date(job.runAfter).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
  };
}

/** The admin API: jobs (dead ones with their message) and retrying them. Bearer token, compared in constant time. */
export function registerAdmin(app: FastifyInstance, deps: AdminDeps): void {
  void app.register(
    async (admin) => {
      admin.addHook('onRequest', async (request, reply) => {
        const header = request.headers.authorization;
        const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
        if (!sameSecret(given, deps.token)) {
          return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'missing or wrong admin token' });
        }
      });

      admin.get('/jobs', async (request, reply) => {
        const query = jobsQuery.safeParse(request.query);
        if (!query.success) return reply.code(400).send({ error: 'invalid_query', problems: query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
        const { state, route, limit } = query.data;
        const jobs = await listJobs(deps.db, { limit, ...(state ? { state } : {}), ...(route ? { route } : {}) });
        return { jobs: jobs.map(view) };
      });

      admin.post('/jobs/:id/retry', async (request, reply) => {
        const id = z.coerce.number().int().positive().safeParse((request.params as { id?: string }).id);
        if (!id.success) return reply.code(400).send({ error: 'invalid_id', message: 'job id must be a positive integer' });
        if (!(await retryDeadJob(deps.db, id.data, deps.clock.now()))) {
          const job = await getJob(deps.db, id.data);
          return reply.code(job === null ? 404 : 409).send({ error: job === null ? 'not_found' : 'not_dead', message: job === null ? `no job ${id.data}` : `job ${id.data} is ${job.state}, not dead` });
        }
        deps.onQueued();
        return reply.code(202).send({ status: 'queued', job: id.data });
      });
    },
    { prefix: '/admin' },
  );
}
