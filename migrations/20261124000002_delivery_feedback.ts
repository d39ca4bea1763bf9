import type { Knex } from 'knex';

/** Delivery feedback: when the destination's status was last read, and what the on-delivered action made. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bindings', (t) => {
    t.bigInteger('status_checked_at');
    /** e.g. "stock.picking:42": the document the on-delivered action created at the source. */
    t.string('feedback_ref', 200);
    t.bigInteger('delivered_at');
    t.index(['route', 'stage']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bindings', (t) => {
    t.dropIndex(['route', 'stage']);
    t.dropColumn('delivered_at');
    t.dropColumn('feedback_ref');
    t.dropColumn('status_checked_at');
  });
}
