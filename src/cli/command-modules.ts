/**
 * What the commands in main.ts use beyond the usage text, in one module main.ts loads once a command
 * runs: starting for `--help` stays free of fastify, knex, zod and pino.
 */
export { createApp } from '../app.js';
export { builtinConnectors } from '../connectors/index.js';
export { ConfigError, loadConfigFile } from '../config/load.js';
export { migrate, openDatabase } from '../store/db.js';
export { vacuumFully } from '../store/retention.js';
export { getBinding } from '../store/bindings.js';
export { listJobs, retryDeadJob } from '../store/jobs.js';
export { pollCounts, reconcileCounts, statusCheckCounts } from '../ops/run-summaries.js';
export { createLogger } from './logger.js';
export { Progress } from './progress.js';
