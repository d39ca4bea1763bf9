import { z } from 'zod';
import type { RunRecord } from '../ops/runs.js';
import type { JobAttempt } from '../store/attempts.js';
import { bindingStages, type Binding } from '../store/bindings.js';
import type { StoredExchange } from '../store/exchanges.js';
import type { Job } from '../store/jobs.js';

/** The admin API's requests and answers: validation and the OpenAPI document both come from these. */

const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);
const jobState = z.enum(['pending', 'running', 'done', 'dead']);
const stage = z.enum(bindingStages);
const time = z.string().describe('ISO 8601 time');
const counts = z.record(z.string(), z.number());

export const errorSchema = z.object({ error: z.string(), message: z.string(), problems: z.array(z.string()).optional() });

export const jobsQuery = z.object({
  state: jobState.optional(),
  route: z.string().optional(),
  kind: z.string().optional().describe('export, delivered or notify'),
  sourceId: z.string().optional(),
  limit: limit(1000, 100),
});

export const jobIdParams = z.object({ id: z.coerce.number().int().positive() });

export const bindingsQuery = z.object({
  route: z.string().optional(),
  sourceNumber: z.string().optional().describe("the source's order number, e.g. S00042 (exact)"),
  destinationId: z.string().optional().describe("the destination's id of the order (exact)"),
  stage: stage.optional(),
  limit: limit(1000, 50),
});

export const routeParams = z.object({ route: z.string() });
export const orderParams = z.object({ route: z.string(), sourceId: z.string() });
export const historyQuery = z.object({ exchanges: limit(1000, 200).describe('the latest this many exchanges') });
export const runQuery = z.object({ wait: z.stringbool().default(false).describe('true: answer when the run has finished') });
export const retryDeadQuery = z.object({ kind: z.string().optional() });

export const jobSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  route: z.string(),
  sourceId: z.string().nullable(),
  sourceNumber: z.string().nullable(),
  state: jobState,
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  errorCode: z.string().nullable(),
  error: z.string().nullable().describe('the same message the people at the source were sent'),
  runAfter: time,
  createdAt: time,
  updatedAt: time,
  finishedAt: time.nullable(),
});

export const attemptSchema = z.object({
  attempt: z.number().int(),
  startedAt: time,
  finishedAt: time,
  durationMs: z.number().int(),
  outcome: z.enum(['ok', 'error', 'waiting']).describe('waiting: the run found the order must wait (e.g. for its serial numbers); no attempt spent'),
  errorCode: z.string().nullable(),
  error: z.string().nullable(),
});

export const bindingSchema = z.object({
  route: z.string(),
  sourceId: z.string(),
  sourceNumber: z.string().nullable(),
  destinationId: z.string().nullable(),
  destinationStatus: z.string().nullable(),
  stage,
  lastError: z.string().nullable(),
  createdAt: time,
  updatedAt: time,
  exportedAt: time.nullable(),
  statusCheckedAt: time.nullable(),
  deliveredAt: time.nullable(),
  feedbackRef: z.string().nullable(),
});

export const exchangeSchema = z.object({
  id: z.number().int(),
  jobId: z.number().int().nullable(),
  connector: z.string(),
  operation: z.string(),
  url: z.string(),
  httpStatus: z.number().int().nullable(),
  fault: z.string().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
  startedAt: time,
  requestBody: z.string(),
  responseBody: z.string(),
});

export const runSchema = z.object({
  startedAt: time,
  finishedAt: time.nullable(),
  outcome: z.enum(['running', 'ok', 'failed']),
  summary: counts.nullable(),
  error: z.string().nullable(),
});

const end = z.object({
  connection: z.string(),
  type: z.string(),
  protocol: z.string().optional().describe('Odoo: xmlrpc or json2 (the setting, e.g. auto, before the first call)'),
  version: z.string().nullable().optional().describe("Odoo: the server's series in use, null before the first call"),
});

export const routeSchema = z.object({
  name: z.string(),
  from: end,
  to: end,
  webhook: z.boolean(),
  poll: z.object({ everyMs: z.number(), pageSize: z.number() }).nullable(),
  statusCheck: z.object({ everyMs: z.number().nullable(), cron: z.string().nullable() }).nullable(),
  reconcile: z.object({ everyMs: z.number().nullable(), cron: z.string().nullable(), days: z.number().int() }).nullable(),
  maxAttempts: z.number().int(),
  jobs: z.object({ pending: z.number(), running: z.number(), done: z.number(), dead: z.number() }),
  lastPoll: runSchema.nullable(),
  lastStatusCheck: runSchema.nullable(),
  lastReconcile: runSchema.nullable(),
  pollCursorAt: time.nullable().describe('when the poll last moved its cursor (kept across restarts)'),
});

export const jobsResponse = z.object({ jobs: z.array(jobSchema) });
export const bindingsResponse = z.object({ bindings: z.array(bindingSchema) });
export const routesResponse = z.object({ routes: z.array(routeSchema) });
export const historyResponse = z.object({
  route: z.string(),
  sourceId: z.string(),
  binding: bindingSchema.nullable(),
  jobs: z.array(jobSchema.extend({ history: z.array(attemptSchema) })),
  exchanges: z.array(exchangeSchema),
});
export const retryResponse = z.object({ status: z.literal('queued'), job: z.number().int() });
export const retryDeadResponse = z.object({ status: z.literal('queued'), jobs: z.number().int() });
export const runResponse = z.object({ status: z.enum(['started', 'already-running', 'finished']), run: runSchema });

function iso(ms: number): string;
function iso(ms: number | null): string | null;
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function jobView(job: Job, sourceNumber: string | null): z.infer<typeof jobSchema> {
  return {
    id: job.id,
    kind: job.kind,
    route: job.route,
    sourceId: job.sourceId,
    sourceNumber,
    state: job.state,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    errorCode: job.lastErrorCode,
    error: job.lastError,
    runAfter: iso(job.runAfter),
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    finishedAt: iso(job.finishedAt),
  };
}

export function attemptView(attempt: JobAttempt): z.infer<typeof attemptSchema> {
  return {
    attempt: attempt.attempt,
    startedAt: iso(attempt.startedAt),
    finishedAt: iso(attempt.finishedAt),
    durationMs: attempt.finishedAt - attempt.startedAt,
    outcome: attempt.outcome,
    errorCode: attempt.errorCode,
    error: attempt.error,
  };
}

export function bindingView(binding: Binding): z.infer<typeof bindingSchema> {
  return {
    route: binding.route,
    sourceId: binding.sourceId,
    sourceNumber: binding.sourceNumber,
    destinationId: binding.destinationId,
    destinationStatus: binding.destinationStatus,
    stage: binding.stage,
    lastError: binding.lastError,
    createdAt: iso(binding.createdAt),
    updatedAt: iso(binding.updatedAt),
    exportedAt: iso(binding.exportedAt),
    statusCheckedAt: iso(binding.statusCheckedAt),
    deliveredAt: iso(binding.deliveredAt),
    feedbackRef: binding.feedbackRef,
  };
}

export function exchangeView(exchange: StoredExchange): z.infer<typeof exchangeSchema> {
  return {
    id: exchange.id,
    jobId: exchange.jobId,
    connector: exchange.connector,
    operation: exchange.operation,
    url: exchange.url,
    httpStatus: exchange.httpStatus,
    fault: exchange.fault,
    error: exchange.error,
    durationMs: exchange.durationMs,
    startedAt: iso(exchange.startedAt),
    requestBody: exchange.requestBody,
    responseBody: exchange.responseBody,
  };
}

export function runView(run: RunRecord | null): z.infer<typeof runSchema> | null {
  if (run === null) return null;
  return { startedAt: iso(run.startedAt), finishedAt: iso(run.finishedAt), outcome: run.outcome, summary: run.summary, error: run.error };
}

export const storeResponse = z.object({
  client: z.enum(['sqlite', 'pg']),
  bytes: z.number().int().describe('what the store takes on disk: the SQLite file and its write-ahead log, or the PostgreSQL database'),
  freeBytes: z.number().int().nullable().describe('SQLite: free pages inside the file, reused for new rows and given back to the disk by the pruning'),
  tables: z.record(z.string(), z.number().int()).nullable().describe('PostgreSQL: each table with its indexes, in bytes'),
  retention: z.record(z.string(), z.string()).describe('how long each kind of record is kept (retention in the configuration)'),
  lastPrune: z
    .object({ startedAt: time, finishedAt: time, removed: counts, freedBytes: z.number().int() })
    .nullable()
    .describe('the last pruning this process ran (null: none since the start)'),
});
