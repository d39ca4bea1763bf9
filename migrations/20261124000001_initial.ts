import type { Knex } from 'knex';

/** Times are epoch milliseconds (bigint): one representation on SQLite and PostgreSQL, cheap to compare. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('bindings', (t) => {
    t.increments('id').primary();
    t.string('route', 100).notNullable();
    t.string('source_id', 200).notNullable();
    t.string('source_number', 200);
    t.string('destination_id', 200);
    t.string('destination_status', 200);
    /** queued → exported, or skipped / failed; see src/store/bindings.ts. */
    t.string('stage', 20).notNullable();
    t.text('last_error');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('exported_at');
    t.unique(['route', 'source_id']);
    t.index(['route', 'source_number']);
    t.index(['route', 'destination_id']);
  });

  await knex.schema.createTable('jobs', (t) => {
    t.increments('id').primary();
    /** One job per unit of work (e.g. export:<route>:<source id>): duplicate triggers collapse onto it. */
    t.string('key', 300).unique();
    t.string('kind', 50).notNullable();
    t.string('route', 100).notNullable();
    t.string('source_id', 200);
    t.text('payload').notNullable();
    /** The source's version of what the job is about (Odoo: write_date); a finished job is re-run only when it changes. */
    t.string('revision', 100);
    t.string('state', 20).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable();
    t.bigInteger('run_after').notNullable();
    t.string('lease_owner', 100);
    t.bigInteger('lease_until');
    t.string('last_error_code', 100);
    t.text('last_error');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('finished_at');
    t.index(['state', 'run_after']);
    t.index(['route', 'source_id']);
  });

  await knex.schema.createTable('exchanges', (t) => {
    t.increments('id').primary();
    t.string('connector', 50).notNullable();
    t.string('operation', 300).notNullable();
    t.text('url').notNullable();
    t.text('request_body').notNullable();
    t.text('response_body').notNullable();
    t.integer('http_status');
    t.text('fault');
    t.text('error');
    t.integer('duration_ms').notNullable();
    t.bigInteger('started_at').notNullable();
    t.string('route', 100);
    t.string('source_id', 200);
    t.integer('job_id');
    t.index(['route', 'source_id']);
    t.index(['started_at']);
  });

  await knex.schema.createTable('cursors', (t) => {
    t.string('name', 200).primary();
    t.text('value').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('cursors');
  await knex.schema.dropTable('exchanges');
  await knex.schema.dropTable('jobs');
  await knex.schema.dropTable('bindings');
}
