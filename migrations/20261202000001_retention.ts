import type { Knex } from 'knex';

/**
 * What retention and cheap junk need: why an order was skipped, as a code (a webhook for an order the
 * source does not have is answered from it, without a job); exchange bodies stored compressed; and the
 * indexes the pruning walks, oldest first, in small batches.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bindings', (t) => {
    /** With stage skipped or failed: why, as a code (e.g. SOURCE_ORDER_MISSING); last_error has the words. */
    t.string('last_error_code', 100);
  });
  await knex.schema.alterTable('exchanges', (t) => {
    /** The request and response bodies, compressed (src/exchange/bodies.ts); the text columns stay empty. */
    t.binary('bodies');
  });
  await knex.schema.alterTable('jobs', (t) => {
    t.index(['state', 'finished_at']);
  });
  await knex.schema.alterTable('job_attempts', (t) => {
    t.index(['finished_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('job_attempts', (t) => {
    t.dropIndex(['finished_at']);
  });
  await knex.schema.alterTable('jobs', (t) => {
    t.dropIndex(['state', 'finished_at']);
  });
  await knex.schema.alterTable('exchanges', (t) => {
    t.dropColumn('bodies');
  });
  await knex.schema.alterTable('bindings', (t) => {
    t.dropColumn('last_error_code');
  });
}
