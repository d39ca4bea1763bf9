import type { Database } from './db.js';

/** ok: the run finished; error: it threw; waiting: it was deferred (e.g. an order waiting for its serials). */
export type AttemptOutcome = 'ok' | 'error' | 'waiting';

export interface JobAttempt {
  jobId: number;
  /** 1 for the first run of the job (or of its latest revival). */
  attempt: number;
  startedAt: number;
  finishedAt: number;
  outcome: AttemptOutcome;
  errorCode: string | null;
  error: string | null;
}

interface AttemptRecord {
  id: number;
  job_id: number;
  attempt: number;
  started_at: number;
  finished_at: number;
  outcome: AttemptOutcome;
  error_code: string | null;
  error: string | null;
}

export async function insertAttempt(db: Database, attempt: JobAttempt): Promise<void> {
  await db('job_attempts').insert({
    job_id: attempt.jobId,
    attempt: attempt.attempt,
    started_at: attempt.startedAt,
    finished_at: attempt.finishedAt,
    outcome: attempt.outcome,
    error_code: attempt.errorCode,
    error: attempt.error,
  });
}

/** The attempts of these jobs, oldest first. */
export async function listAttempts(db: Database, jobIds: readonly number[]): Promise<JobAttempt[]> {
  if (jobIds.length === 0) return [];
  const rows = await db<AttemptRecord>('job_attempts').whereIn('job_id', jobIds).orderBy('id', 'asc');
  return rows.map((row) => ({
    jobId: row.job_id,
    attempt: row.attempt,
    startedAt: Number(row.started_at),
    finishedAt: Number(row.finished_at),
    outcome: row.outcome,
    errorCode: row.error_code,
    error: row.error,
  }));
}
