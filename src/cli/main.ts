import { parseArgs } from 'node:util';
import type { App } from '../app.js';
import type { ResolvedConfig } from '../config/schema.js';
import type { JobState } from '../store/jobs.js';

// Only types above: `--help` prints the usage without loading fastify, knex, zod or pino. The commands
// load what they use from ./command-modules.js (test/cli/start-cost.test.ts keeps it that way).
const commandModules = () => import('./command-modules.js');

const usage = `order-bridge: moves orders between shops, ERPs and fulfilment services, exactly once.

Usage:
  order-bridge serve        [--config PATH]   run the service (webhooks, polls, jobs)
  order-bridge migrate      [--config PATH]   apply database migrations and exit
  order-bridge check-config [--config PATH]   validate the configuration and exit
  order-bridge poll ROUTE   [--config PATH]   poll a route's source once and export what it finds
  order-bridge status-check ROUTE [--config PATH]
                                              ask the destination for delivery statuses once, now
  order-bridge export ROUTE SOURCE_ID… [--config PATH]
                                              queue these source orders for export now and run them
  order-bridge reconcile ROUTE [--days 45] [--config PATH]
                                              correct the source status (and charges) kept on destination documents
  order-bridge moysklad shift open|close ROUTE [--config PATH]
                                              open (or reuse) / close the retail shift the route sells into
  order-bridge prune [--vacuum] [--config PATH]
                                              remove what is older than its retention window now;
                                              --vacuum then rewrites the store without its free space
                                              (stop the service first; SQLite: takes the store's size again on disk)
  order-bridge jobs         [--config PATH] [--state pending|running|done|dead] [--route ROUTE]
  order-bridge retry JOB_ID [--config PATH]   put a dead job back in the queue
  order-bridge demo         [--keep] [--odoo 17|18|19]
                                              run the Odoo → Ysell demo against local stand-ins
                                              (--odoo: the Odoo version the stand-in plays, default 17;
                                              19 is spoken to over JSON-2)
  order-bridge sandbox      [--keep] [--odoo 17|18|19]
                                              start stand-ins for every system and print a configuration
                                              for them (--keep: run until Ctrl-C, for you to try routes)

The config file is --config, else $ORDER_BRIDGE_CONFIG, else ./order-bridge.json.`;

function nextSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** `--odoo 19` (or 19.0) as the series the Odoo stand-in plays; 17.0 when absent, null when not one we have. */
function odooSeries(flag: string | undefined): '17.0' | '18.0' | '19.0' | null {
  if (flag === undefined) return '17.0';
  const series = /^(17|18|19)(\.0)?$/.exec(flag.trim())?.[1];
  return series === undefined ? null : (`${series}.0` as '17.0' | '18.0' | '19.0');
}

function configPath(flag: string | undefined): string {
  return flag ?? process.env['ORDER_BRIDGE_CONFIG'] ?? 'order-bridge.json';
}

async function withApp<T>(config: ResolvedConfig, fn: (app: App) => Promise<T>): Promise<T> {
  const { createApp, builtinConnectors, createLogger } = await commandModules();
  const app = await createApp({ config, registry: builtinConnectors(), logger: createLogger(config.log.level) });
  try {
    return await fn(app);
  } finally {
    await app.stop();
  }
}

/** Runs the queued jobs to the end with a progress line of their outcomes. */
async function drainWithProgress(app: App, label: string): Promise<void> {
  const { Progress } = await commandModules();
  const progress = new Progress({ label, stream: process.stderr });
  const counts = { done: 0, failed: 0, dead: 0 };
  const stop = app.ops.onJobRun((event) => {
    counts[event.outcome === 'ok' ? 'done' : event.outcome === 'error' ? 'failed' : 'dead'] += 1;
    progress.update(counts);
  });
  try {
    await app.engine.drain();
  } finally {
    stop();
    progress.finish(counts);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      keep: { type: 'boolean', default: false },
      state: { type: 'string' },
      route: { type: 'string' },
      days: { type: 'string' },
      vacuum: { type: 'boolean', default: false },
      odoo: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, argument, ...rest] = positionals;
  if (values.help || command === undefined) {
    console.log(usage);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'demo' || command === 'sandbox') {
    const odoo = odooSeries(values.odoo);
    if (odoo === null) {
      console.error(`order-bridge ${command}: --odoo takes 17, 18 or 19 (the Odoo version the stand-in plays), not "${values.odoo}"`);
      return 2;
    }
    // Loaded only here: the demo and the sandbox bring the stand-ins, which the service itself never needs.
    if (command === 'demo') return (await import('./demo.js')).runDemo({ keep: values.keep, odoo });
    return (await import('./sandbox.js')).runSandbox({ keep: values.keep, odoo });
  }

  const { builtinConnectors, loadConfigFile, ConfigError, createApp, createLogger, migrate, openDatabase, getBinding, listJobs, retryDeadJob, pollCounts, reconcileCounts, statusCheckCounts, Progress, vacuumFully } =
    await commandModules();
  const registry = builtinConnectors();
  const path = configPath(values.config);
  const config = loadConfigFile(path, registry);

  switch (command) {
    case 'check-config':
      console.log(`${path}: valid (${config.routes.length} route(s), ${Object.keys(config.connections).length} connection(s))`);
      return 0;
    case 'migrate': {
      const db = await openDatabase(config.database);
      try {
        const applied = await migrate(db);
        console.log(applied.length === 0 ? 'database is up to date' : `applied: ${applied.join(', ')}`);
      } finally {
        await db.destroy();
      }
      return 0;
    }
    case 'serve': {
      const logger = createLogger(config.log.level);
      // Listened for before the start, so that a signal during it still ends in an orderly stop.
      const stopRequested = nextSignal();
      const app = await createApp({ config, registry, logger, schedule: true });
      const address = await app.start();
      logger.info({ address, routes: [...app.routes.keys()] }, 'order-bridge is serving');
      const signal = await stopRequested;
      logger.info({ signal, graceMs: config.shutdownGrace }, 'shutting down: no new work is taken; running jobs get the grace period');
      // A second signal, or a stop that overruns the grace period, ends the process at once: the jobs it
      // still held go back to the queue when their leases run out.
      let backstop: NodeJS.Timeout | undefined;
      const forced = Promise.race([
        nextSignal(),
        new Promise<string>((resolve) => (backstop = setTimeout(() => resolve('grace period over'), config.shutdownGrace + 5_000))),
      ]);
      const outcome = await Promise.race([app.stop().then(() => 'stopped'), forced]);
      clearTimeout(backstop);
      if (outcome !== 'stopped') {
        logger.warn({ reason: outcome }, 'stopped before every job was released; their leases will expire');
        return 1;
      }
      logger.info('order-bridge stopped');
      return 0;
    }
    case 'poll': {
      if (argument === undefined) throw new ConfigError(['poll: name the route to poll']);
      return withApp(config, async (app) => {
        const progress = new Progress({ label: `poll ${argument}`, stream: process.stderr, rateOf: 'seen' });
        const summary = await app.pollNow(argument, { onProgress: (sofar) => progress.update(pollCounts(sofar)) });
        progress.finish(pollCounts(summary));
        await drainWithProgress(app, `jobs ${argument}`);
        const dead = await listJobs(app.db, { route: argument, state: 'dead' });
        console.log(JSON.stringify({ ...summary, deadJobs: dead.length }, null, 2));
        return 0;
      });
    }
    case 'status-check': {
      if (argument === undefined) throw new ConfigError(['status-check: name the route to check']);
      return withApp(config, async (app) => {
        const progress = new Progress({ label: `status-check ${argument}`, stream: process.stderr, rateOf: 'checked' });
        const summary = await app.checkStatusNow(argument, { onProgress: (sofar) => progress.update(statusCheckCounts(sofar)) });
        progress.finish(statusCheckCounts(summary));
        await drainWithProgress(app, `jobs ${argument}`);
        console.log(`${argument}: ${summary.checked} order(s) checked, ${summary.changed.length} changed, ${summary.delivered} delivered, ${summary.failed.length} could not be read`);
        for (const change of summary.changed) {
          const binding = await getBinding(app.db, argument, change.sourceId);
          const outcome = change.delivered ? (binding?.feedbackRef ? ` → ${binding.feedbackRef}` : ` → not recorded yet: ${binding?.lastError ?? 'see order-bridge jobs --state dead'}`) : '';
          console.log(`  ${change.number ?? change.sourceId} (${change.destinationId}): ${change.from ?? '?'} → ${change.to}${outcome}`);
        }
        for (const failure of summary.failed) console.log(`  ${failure.number ?? failure.sourceId}: ${failure.error}`);
        return 0;
      });
    }
    case 'export': {
      if (argument === undefined || rest.length === 0) throw new ConfigError(['usage: order-bridge export ROUTE SOURCE_ID…']);
      return withApp(config, async (app) => {
        const outcomes = await app.queueExports(argument, rest);
        await drainWithProgress(app, `jobs ${argument}`);
        // Exit 0 only when every order asked for is at the destination: a job that failed, is waiting for a
        // retry or for its serials, or runs in another process is not an export done.
        let notDone = 0;
        for (const [i, id] of rest.entries()) {
          const binding = await getBinding(app.db, argument, id);
          if (outcomes[i] === 'already-exported') {
            console.log(`${id}: already exported (${binding?.destinationId ?? '?'})`);
            continue;
          }
          const [job] = await listJobs(app.db, { route: argument, sourceId: id, kind: 'export', limit: 1 });
          if (job?.state === 'done' && binding?.destinationId) {
            console.log(`${id}: exported (${binding.destinationId})`);
            continue;
          }
          notDone += 1;
          if (job?.state === 'dead') console.log(`${id}: failed: ${job.lastError ?? 'unknown error'}`);
          else if (job?.state === 'pending' && job.lastErrorCode === 'WAITING_AT_SOURCE') console.log(`${id}: waiting: ${job.lastError ?? ''} (order-bridge serve goes on with it)`);
          else if (job?.state === 'pending') console.log(`${id}: not exported yet, attempt ${job.attempts} failed: ${job.lastError ?? 'unknown error'} (order-bridge serve retries it at ${new Date(job.runAfter).toISOString()})`);
          else if (job?.state === 'running') console.log(`${id}: being exported by another process`);
          else if (binding?.stage === 'skipped') console.log(`${id}: not exported: ${binding.lastError ?? 'skipped'}`);
          else console.log(`${id}: ${binding?.stage ?? 'not queued'}${binding?.lastError ? `: ${binding.lastError}` : ''}`);
        }
        return notDone === 0 ? 0 : 1;
      });
    }
    case 'reconcile': {
      if (argument === undefined) throw new ConfigError(['reconcile: name the route to reconcile']);
      const days = values.days === undefined ? undefined : Number(values.days);
      if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 365)) throw new ConfigError(['reconcile: --days must be a whole number from 1 to 365']);
      return withApp(config, async (app) => {
        const progress = new Progress({ label: `reconcile ${argument}`, stream: process.stderr, rateOf: 'checked' });
        const summary = await app.reconcileNow(argument, { ...(days === undefined ? {} : { days }), onProgress: (sofar) => progress.update(reconcileCounts(sofar)) });
        progress.finish(reconcileCounts(summary));
        console.log(`${argument}: ${summary.checked} document(s) checked over ${summary.days} days, ${summary.changed} changed, ${summary.unchanged} unchanged, ${summary.missing} missing at the source`);
        return 0;
      });
    }
    case 'moysklad': {
      const [verb, route] = rest;
      if (argument !== 'shift' || (verb !== 'open' && verb !== 'close') || route === undefined) {
        throw new ConfigError(['usage: order-bridge moysklad shift open|close ROUTE']);
      }
      return withApp(config, async (app) => {
        if (verb === 'open') {
          const shift = await app.openSession(route);
          console.log(`${route}: retail shift ${shift.name} (${shift.id}) ${shift.existing ? 'was already open' : 'opened'} since ${shift.openedAt}`);
          return 0;
        }
        const shift = await app.closeSession(route);
        console.log(shift === null ? `${route}: no retail shift was open` : `${route}: retail shift ${shift.name} (${shift.id}) closed at ${shift.closedAt ?? '?'}`);
        return 0;
      });
    }
    case 'prune':
      return withApp(config, async (app) => {
        const before = await app.storeSize();
        const progress = new Progress({ label: 'prune', stream: process.stderr });
        const summary = await app.pruneNow((sofar) => progress.update({ ...sofar.removed, freedMiB: Math.round(sofar.freedBytes / 1048576) }));
        progress.finish({ ...summary.removed, freedMiB: Math.round(summary.freedBytes / 1048576) });
        if (values.vacuum) await vacuumFully(app.db);
        const after = await app.storeSize();
        const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
        const removed = Object.entries(summary.removed).map(([kind, n]) => `${kind} ${n}`).join(', ');
        console.log(`removed: ${removed}`);
        console.log(`store: ${mib(before.bytes)} before, ${mib(after.bytes)} now${after.freeBytes === null ? '' : ` (${mib(after.freeBytes)} of it free for new rows)`}`);
        return 0;
      });
    case 'jobs':
      return withApp(config, async (app) => {
        const jobs = await listJobs(app.db, {
          ...(values.state !== undefined ? { state: values.state as JobState } : {}),
          ...(values.route !== undefined ? { route: values.route } : {}),
        });
        for (const job of jobs) {
          console.log(`${job.id}\t${job.state}\t${job.route}\t${job.sourceId ?? ''}\tattempts=${job.attempts}\t${job.lastError ?? ''}`);
        }
        return 0;
      });
    case 'retry':
      return withApp(config, async (app) => {
        const ok = await retryDeadJob(app.db, Number(argument), Date.now());
        console.log(ok ? `job ${argument} queued again` : `job ${argument} is not dead (or does not exist)`);
        return ok ? 0 : 1;
      });
    default:
      console.error(`unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (err: unknown) => {
    const { ConfigError } = await commandModules();
    if (err instanceof ConfigError) {
      console.error(`order-bridge: ${err.message}`);
      process.exit(2);
    }
    console.error(`order-bridge: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
