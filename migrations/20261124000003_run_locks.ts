import type { Knex } from 'knex';

/**
 * One row per scheduled run (e.g. "poll:<route>"): which process holds it and until when. A lease, not a
 * session lock, so the same table works on SQLite and PostgreSQL and a replica that died frees the run
 * when its lease runs out. When the last run completed lets replicas with their own timers skip a run
 * that another replica has just done.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('run_locks', (t) => {
    t.string('name', 200).primary();
    t.string('owner', 100);
    /** Changes with every acquisition: renewing and releasing are fenced by it, not by the owner name. */
    t.string('token', 64);
    t.bigInteger('lease_until');
    /** When the last run that completed ended; a run that failed or whose process died leaves it alone. */
    t.bigInteger('last_done_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('run_locks');
}
