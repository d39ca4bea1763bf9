import type { Knex } from 'knex';
import { isPostgres, whereGiven, type Database } from './db.js';

export type JobState = 'pending' | 'running' | 'done' | 'dead';

export interface Job {
  id: number;
  key: string | null;
  kind: string;
  route: string;
  sourceId: string | null;
  payload: unknown;
  revision: string | null;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAfter: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastErrorCode: string | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

interface JobRecord {
  id: number;
  key: string | null;
  kind: string;
  route: string;
  source_id: string | null;
  payload: string;
  revision: string | null;
  state: JobState;
  attempts: number;
  max_attempts: number;
  run_after: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error_code: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

function toJob(row: JobRecord): Job {
  return {
    id: row.id,
    key: row.key,
    kind: row.kind,
    route: row.route,
    sourceId: row.source_id,
    payload: JSON.parse(row.payload) as unknown,
    revision: row.revision,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAfter: Number(row.run_after),
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until === null ? null : Number(row.lease_until),
    lastErrorCode: row.last_error_code,
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

export interface NewJob {
  key: string;
  kind: string;
  route: string;
  sourceId: string | null;
  payload: unknown;
  revision: string | null;
  maxAttempts: number;
  /** Not before this time (epoch ms); now when absent. */
  runAfter?: number;
}

export type EnqueueResult = { id: number; outcome: 'created' | 'revived' | 'refreshed' | 'unchanged' };

/**
 * One row per key: a duplicate trigger lands on the job that already exists. A finished or dead job
 * is revived only when what it is about has changed since (another revision, or a trigger that carries
 * none, such as a new webhook); a pending one takes the fresher payload; a running one is left alone.
 */
export async function enqueueJob(db: Database | Knex.Transaction, job: NewJob, now: number): Promise<EnqueueResult> {
  const payload = JSON.stringify(job.payload);
  const inserted = await db('jobs')
    .insert({
      key: job.key,
      kind: job.kind,
      route: job.route,
      source_id: job.sourceId,
      payload,
      revision: job.revision,
      state: 'pending',
      attempts: 0,
      max_attempts: job.maxAttempts,
      run_after: job.runAfter ?? now,
      created_at: now,
      updated_at: now,
    })
    .onConflict('key')
    .ignore()
    .returning<{ id: number }[]>('id');
  const created = inserted[0];
  if (created !== undefined) return { id: created.id, outcome: 'created' };

  const existing = await db<JobRecord>('jobs').where({ key: job.key }).first();
  if (existing === undefined) throw new Error(`job ${job.key} vanished while being queued`);
  const changed = job.revision === null || existing.revision === null || job.revision !== existing.revision;
  if ((existing.state === 'done' || existing.state === 'dead') && changed) {
    const revived = await db('jobs')
      .where({ id: existing.id, state: existing.state })
      .update({
        state: 'pending',
        attempts: 0,
        max_attempts: job.maxAttempts,
        payload,
        revision: job.revision,
        run_after: job.runAfter ?? now,
        lease_owner: null,
        lease_until: null,
        last_error: null,
        last_error_code: null,
        finished_at: null,
        updated_at: now,
      });
    return { id: existing.id, outcome: revived > 0 ? 'revived' : 'unchanged' };
  }
  if (existing.state === 'pending') {
    await db('jobs').where({ id: existing.id, state: 'pending' }).update({ payload, revision: job.revision, updated_at: now });
    return { id: existing.id, outcome: 'refreshed' };
  }
  return { id: existing.id, outcome: 'unchanged' };
}

/**
 * enqueueJob for many jobs at once (the webhook intake's group commit): new keys are inserted in one
 * statement per chunk; keys that already exist, or come twice, go through enqueueJob one by one, in order.
 */
export async function enqueueJobs(db: Database | Knex.Transaction, jobs: readonly NewJob[], now: number): Promise<EnqueueResult[]> {
  const created = new Map<string, number>();
  const firsts = new Map<string, NewJob>();
  for (const job of jobs) if (!firsts.has(job.key)) firsts.set(job.key, job);
  const toInsert = [...firsts.values()];
  for (let i = 0; i < toInsert.length; i += 200) {
    const rows = toInsert.slice(i, i + 200).map((job) => ({
      key: job.key,
      kind: job.kind,
      route: job.route,
      source_id: job.sourceId,
      payload: JSON.stringify(job.payload),
      revision: job.revision,
      state: 'pending',
      attempts: 0,
      max_attempts: job.maxAttempts,
      run_after: job.runAfter ?? now,
      created_at: now,
      updated_at: now,
    }));
    const inserted = await db('jobs').insert(rows).onConflict('key').ignore().returning<{ id: number; key: string }[]>(['id', 'key']);
    for (const row of inserted) created.set(row.key, row.id);
  }
  const results: EnqueueResult[] = [];
  for (const job of jobs) {
    const id = created.get(job.key);
    if (id !== undefined) {
      created.delete(job.key);
      results.push({ id, outcome: 'created' });
    } else {
      results.push(await enqueueJob(db, job, now));
    }
  }
  return results;
}

/**
 * Takes up to `limit` runnable jobs: pending ones that are due, and running ones whose lease ran out
 * (their process died). One statement, so two workers never take the same job; on PostgreSQL the rows
 * are locked with SKIP LOCKED so that replicas do not wait on each other.
 */
export async function claimJobs(
  db: Database,
  options: { owner: string; now: number; leaseMs: number; limit: number },
): Promise<Job[]> {
  const { owner, now, leaseMs, limit } = options;
  const due = db('jobs')
    .select('id')
    .where((q) => q.where({ state: 'pending' }).andWhere('run_after', '<=', now))
    .orWhere((q) => q.where({ state: 'running' }).andWhere('lease_until', '<', now))
    .orderBy([{ column: 'run_after' }, { column: 'id' }])
    .limit(limit);
  if (isPostgres(db)) due.forUpdate().skipLocked();
  const rows = await db('jobs')
    .whereIn('id', due)
    .update({
      state: 'running',
      lease_owner: owner,
      lease_until: now + leaseMs,
      attempts: db.raw('attempts + 1'),
      updated_at: now,
    })
    .returning<JobRecord[]>('*');
  return rows.map(toJob).sort((a, b) => a.runAfter - b.runAfter || a.id - b.id);
}

/** Extends a lease; false when the job is no longer ours (it expired and another worker took it). */
export async function renewLease(db: Database, id: number, owner: string, leaseUntil: number): Promise<boolean> {
  const updated = await db('jobs').where({ id, lease_owner: owner, state: 'running' }).update({ lease_until: leaseUntil });
  return updated > 0;
}

export async function finishJob(db: Database, id: number, owner: string, now: number): Promise<boolean> {
  const updated = await db('jobs')
    .where({ id, lease_owner: owner, state: 'running' })
    .update({ state: 'done', lease_owner: null, lease_until: null, finished_at: now, updated_at: now });
  return updated > 0;
}

export async function scheduleRetry(
  db: Database,
  id: number,
  owner: string,
  retry: { runAfter: number; code: string; message: string },
  now: number,
): Promise<boolean> {
  const updated = await db('jobs').where({ id, lease_owner: owner, state: 'running' }).update({
    state: 'pending',
    run_after: retry.runAfter,
    lease_owner: null,
    lease_until: null,
    last_error_code: retry.code,
    last_error: retry.message,
    updated_at: now,
  });
  return updated > 0;
}

/**
 * Puts a running job back in the queue until `runAfter` without counting the attempt: it is waiting for
 * something to come, not failing. The reason stays in its last error for people to see.
 */
export async function deferJob(
  db: Database,
  id: number,
  owner: string,
  deferral: { runAfter: number; code: string; message: string },
  now: number,
): Promise<boolean> {
  const updated = await db('jobs').where({ id, lease_owner: owner, state: 'running' }).update({
    state: 'pending',
    attempts: db.raw('CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END'),
    run_after: deferral.runAfter,
    lease_owner: null,
    lease_until: null,
    last_error_code: deferral.code,
    last_error: deferral.message,
    updated_at: now,
  });
  return updated > 0;
}

/**
 * Hands a running job back to the queue, due now, without counting the attempt: its run was interrupted
 * by our shutdown, not by a failure of its own.
 */
export async function releaseJob(db: Database, id: number, owner: string, now: number): Promise<boolean> {
  const updated = await db('jobs').where({ id, lease_owner: owner, state: 'running' }).update({
    state: 'pending',
    attempts: db.raw('CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END'),
    run_after: now,
    lease_owner: null,
    lease_until: null,
    updated_at: now,
  });
  return updated > 0;
}

/** Marks the job dead; returns it as stored (with what its handler recorded), or null if it was not ours. */
export async function markDead(
  db: Database,
  id: number,
  owner: string,
  failure: { code: string; message: string },
  now: number,
): Promise<Job | null> {
  const [row] = await db('jobs')
    .where({ id, lease_owner: owner, state: 'running' })
    .update({
      state: 'dead',
      lease_owner: null,
      lease_until: null,
      last_error_code: failure.code,
      last_error: failure.message,
      finished_at: now,
      updated_at: now,
    })
    .returning<JobRecord[]>('*');
  return row === undefined ? null : toJob(row);
}

/** Puts a dead job back in the queue with fresh attempts (an operator fixed the cause). */
export async function retryDeadJob(db: Database, id: number, now: number): Promise<boolean> {
  const updated = await db('jobs').where({ id, state: 'dead' }).update({
    state: 'pending',
    attempts: 0,
    run_after: now,
    finished_at: null,
    updated_at: now,
  });
  return updated > 0;
}

/** Records which version of the source record a job worked on, so an unchanged record does not revive it. */
export async function setJobRevision(db: Database, id: number, revision: string | null): Promise<void> {
  await db('jobs').where({ id }).update({ revision });
}

/** Moves a dead job to a newer revision written by ourselves, unless someone changed it meanwhile. */
export async function adoptRevision(db: Database, id: number, expected: string | null, revision: string): Promise<void> {
  const query = db('jobs').where({ id, state: 'dead' });
  if (expected === null) query.whereNull('revision');
  else query.where({ revision: expected });
  await query.update({ revision });
}

export interface JobFilter {
  state?: JobState;
  route?: string;
  sourceId?: string;
  kind?: string;
  limit?: number;
}

export async function listJobs(db: Database, filter: JobFilter = {}): Promise<Job[]> {
  const query = db<JobRecord>('jobs').orderBy('id', 'desc').limit(filter.limit ?? 100);
  whereGiven(query, { state: filter.state, route: filter.route, source_id: filter.sourceId, kind: filter.kind });
  return (await query).map(toJob);
}

export async function getJob(db: Database, id: number): Promise<Job | null> {
  const row = await db<JobRecord>('jobs').where({ id }).first();
  return row === undefined ? null : toJob(row);
}

export async function countJobsByState(db: Database): Promise<Record<JobState, number>> {
  const rows = await db('jobs').select('state').count<{ state: JobState; n: number | string }[]>('* as n').groupBy('state');
  const counts: Record<JobState, number> = { pending: 0, running: 0, done: 0, dead: 0 };
  for (const row of rows) counts[row.state] = Number(row.n);
  return counts;
}
