import type { Knex } from 'knex';

/**
 * One row per run of a job: an order's history shows each attempt with its outcome and message, not only
 * the job's last error. Written by the attempt recorder around every run (src/ops/job-observer.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('job_attempts', (t) => {
    t.increments('id').primary();
    t.integer('job_id').notNullable();
    t.integer('attempt').notNullable();
    t.bigInteger('started_at').notNullable();
    t.bigInteger('finished_at').notNullable();
    /** ok: the run finished; error: it threw (the engine then retried it or declared it dead). */
    t.string('outcome', 10).notNullable();
    t.string('error_code', 100);
    t.text('error');
    t.index(['job_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('job_attempts');
}
