#!/usr/bin/env bun
/**
 * Composition root of the `secbot` binary: parses the command line, loads settings and config.yml, opens the
 * database, builds the stores, plugins and services, and starts the requested roles (intake, results, worker).
 */
import { hostname } from 'node:os';
import { loadLayeredEnv } from './config/dotenv.ts';
import { loadSettings, type Settings } from './config/settings.ts';
import type { Workflow } from './config/workflow.ts';
import { securityCheckId } from './core/check-id.ts';
import { ConfigError, errorMessage } from './core/errors.ts';
import { CheckStore } from './db/checks.ts';
import type { Db } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { describeDatabaseUrl, openDatabase } from './db/open.ts';
import { HistoryStore } from './db/history.ts';
import { ResultStore } from './db/results.ts';
import { baseApp } from './http/common.ts';
import { intakeApp } from './http/intake-app.ts';
import { resultsApp } from './http/results-app.ts';
import { createLogger, Redactor, type Logger } from './log/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { instantiate } from './plugins/registry.ts';
import { TaskQueue } from './queue/task-queue.ts';
import { Worker } from './queue/worker.ts';
import { AdminService } from './services/admin-service.ts';
import { IntakeService } from './services/intake-service.ts';
import { StatusService } from './services/status-service.ts';
import { TaskRunner } from './services/task-runner.ts';
import { refreshVerdicts, unscannedPolicyOf, type UnscannedPolicy } from './services/verdict.ts';
import { parseArgs, USAGE, UsageError } from './cli/args.ts';
import { loadAll } from './cli/load.ts';
import { validateCommand } from './cli/validate.ts';
import { VERSION } from './version.ts';

export type Mode = 'intake' | 'results' | 'worker';

async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  const cmd = parsed.command;
  switch (cmd.kind) {
    case 'help':
      console.log(USAGE);
      return 0;
    case 'version':
      console.log(`secbot ${VERSION}`);
      return 0;
    case 'check-id': {
      const prefix = cmd.prefix ?? prefixFor(parsed.envDir, cmd.host);
      console.log(securityCheckId(prefix, cmd.host, cmd.project, cmd.sha));
      return 0;
    }
    case 'validate': {
      const lines = validateCommand(loadAll(parsed), cmd.eventFile, cmd.eventType);
      console.log(lines.join('\n'));
      return 0;
    }
    case 'migrate': {
      const settings = loadSettings(loadLayeredEnv(parsed.envDir, process.env));
      const db = await connectWithRetry(settings, createLogger({ level: settings.logLevel }));
      const applied = await migrate(db);
      console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
      await db.close();
      return 0;
    }
    case 'run': {
      const { settings, workflow, redactor } = loadAll(parsed);
      await run(cmd.modes, settings, workflow, redactor);
      return -1;
    }
  }
}

function prefixFor(envDir: string, host: string): string {
  const settings = loadSettings(loadLayeredEnv(envDir, process.env));
  const inst = settings.gitlab.find((g) => g.hostname === host.toLowerCase() || g.host === host.toLowerCase());
  if (!inst) throw new ConfigError(`no GITLAB_CONFIGS instance has host ${host}; pass --prefix`);
  return inst.prefix;
}

/** Postgres may come up after SecBot (compose, Kubernetes): wait for it rather than crash-loop. */
async function connectWithRetry(settings: Settings, logger: Logger): Promise<Db> {
  const db = openDatabase(settings.databaseUrl, { sqlite: { synchronous: settings.sqliteSynchronous } });
  for (let attempt = 1; ; attempt++) {
    try {
      await db.ping();
      return db;
    } catch (err) {
      if (attempt >= 30) throw new ConfigError(`cannot reach the database ${describeDatabaseUrl(settings.databaseUrl)}: ${errorMessage(err)}`);
      logger.warn('database not reachable yet; retrying', { database: describeDatabaseUrl(settings.databaseUrl), attempt });
      await Bun.sleep(Math.min(5000, 250 * attempt));
    }
  }
}

export interface Runtime {
  ports: Partial<Record<Mode, number>>;
  worker: Worker | null;
  db: Db;
  logger: Logger;
  stop(): Promise<void>;
}

/** Builds and starts the requested roles; `stop` drains HTTP, lets running tasks finish and closes the database. */
export async function startSecbot(opts: {
  modes: Mode[];
  settings: Settings;
  workflow: Workflow;
  redactor: Redactor;
  logSink?: (line: string) => void;
}): Promise<Runtime> {
  const { modes, settings, workflow } = opts;
  const logger = createLogger({ level: settings.logLevel, redactor: opts.redactor, sink: opts.logSink, base: { service: 'secbot', mode: modes.join('+') } });
  const db = await connectWithRetry(settings, logger);
  if (settings.migrateOnStart) {
    const applied = await migrate(db);
    if (applied.length) logger.info('applied migrations', { migrations: applied });
  }
  const metrics = createMetrics();
  const queue = new TaskQueue(db);
  const checks = new CheckStore(db, queue);
  const results = new ResultStore(db);
  const history = new HistoryStore(db);
  const policy = unscannedPolicyOf(workflow);
  if (settings.fingerprintKeyDerived) {
    logger.warn('SECBOT_FINGERPRINT_KEY is not set: secret fingerprints use a key derived from the webhook tokens; set it (the same on every process) so rotating a token does not make every secret look new');
  }
  const components = instantiate(workflow, { settings, logger, fetch });
  metrics.registry.onCollect(async () => {
    const depth = await queue.depth();
    metrics.queueTasks.reset();
    for (const d of depth) metrics.queueTasks.set({ state: d.state, kind: d.kind }, d.count);
  });
  const services: Services = { settings, workflow, logger, metrics, db, queue, checks, results, history, policy, components };
  const worker = modes.includes('worker') ? startWorker(services) : null;
  const stopListening = worker ? await queue.onNewWork(() => worker.poke()) : async () => {};
  const { servers, ports } = startHttpRoles(modes, services, worker);
  logger.info('secbot started', { version: VERSION, modes, database: describeDatabaseUrl(settings.databaseUrl), jobs: workflow.jobs.map((j) => j.name) });
  return {
    ports,
    worker,
    db,
    logger,
    stop: async () => {
      logger.info('shutting down: draining HTTP, letting running tasks finish', { grace_ms: settings.shutdownGraceMs });
      await Promise.all(servers.map((s) => s.stop()));
      await stopListening();
      await worker?.stop(settings.shutdownGraceMs);
      await db.close();
      logger.info('stopped');
    },
  };
}

interface Services {
  settings: Settings;
  workflow: Workflow;
  logger: Logger;
  metrics: Metrics;
  db: Db;
  queue: TaskQueue;
  checks: CheckStore;
  results: ResultStore;
  history: HistoryStore;
  policy: UnscannedPolicy;
  components: ReturnType<typeof instantiate>;
}

/** The HTTP side of each role: intake, results (+ admin), and a health/metrics app for a worker-only process. */
function startHttpRoles(modes: Mode[], d: Services, worker: Worker | null) {
  const { settings, workflow, logger, metrics, checks, results, history, policy, queue, components } = d;
  const servers: { port: number; stop: () => Promise<void> }[] = [];
  const ports: Runtime['ports'] = {};
  const common = { db: d.db, metrics, logger };
  const serve = (role: Mode, app: Parameters<typeof listen>[0], port: number) => {
    const s = listen(app, settings, port, logger, role);
    servers.push(s);
    ports[role] = s.port;
  };
  if (modes.includes('intake')) {
    const intake = new IntakeService({ settings, workflow, checks, metrics, logger, onWork: () => worker?.poke() });
    serve('intake', intakeApp({ ...common, name: 'intake', title: 'SecBot intake', description: 'GitLab webhook receiver', intake, maxBodyBytes: settings.maxBodyBytes }), settings.intakePort);
  }
  if (modes.includes('results')) {
    const status = new StatusService({
      checks, results, history, queue, policy, outputs: components.outputs, ttlMs: settings.gateCacheTtlMs, metrics, logger,
      refreshTimeoutMs: settings.httpTimeoutMs,
    });
    const admin = settings.adminToken
      ? { service: new AdminService({ checks, results, history, queue, policy, status, workflow, settings }), token: settings.adminToken }
      : null;
    serve('results', resultsApp({ ...common, name: 'results', title: 'SecBot results', description: 'Security check status (the CI gate) and admin API', status, admin }), settings.resultsPort);
  }
  if (modes.length === 1 && modes[0] === 'worker') {
    serve('worker', baseApp({ ...common, name: 'worker', title: 'SecBot worker', description: 'Worker health and metrics' }), settings.workerPort);
  }
  return { servers, ports };
}

async function run(modes: Mode[], settings: Settings, workflow: Workflow, redactor: Redactor): Promise<void> {
  const rt = await startSecbot({ modes, settings, workflow, redactor });
  // A stray rejection is a bug to see in the logs, not a reason to drop the work in flight.
  process.on('unhandledRejection', (reason) => rt.logger.error('unhandled promise rejection', { error: reason }));
  installShutdown(rt.stop, rt.logger);
}

function startWorker(d: Services): Worker {
  const runner = new TaskRunner({
    checks: d.checks, results: d.results, history: d.history, queue: d.queue, components: d.components, settings: d.settings, logger: d.logger,
  });
  const w = d.settings.worker;
  const worker = new Worker(d.queue, runner.handle, {
    owner: `${hostname()}/${process.pid}/${crypto.randomUUID().slice(0, 8)}`,
    concurrency: w.concurrency,
    leaseMs: w.leaseMs,
    pollMs: w.pollMs,
    logger: d.logger,
    onSettled: ({ task, outcome }, ms) => {
      const labels = { kind: task.kind, handler: task.handler };
      d.metrics.taskDuration.observe({ ...labels, outcome: outcome.type }, ms / 1000);
      if (outcome.type === 'retry' && task.attempt < task.maxAttempts) d.metrics.taskRetries.inc(labels);
      if (outcome.type === 'fail' || (outcome.type === 'retry' && task.attempt >= task.maxAttempts)) d.metrics.taskFailures.inc(labels);
    },
    settleHook: (tx, applied) =>
      refreshVerdicts(
        tx,
        d,
        applied.map((a) => ({ checkId: a.task.checkId, generation: a.task.generation })),
        (check, v) => {
          d.metrics.checksFinished.inc({ verdict: v.status });
          d.metrics.verdictLatency.observe({ verdict: v.status }, (Date.now() - check.createdAt) / 1000);
        },
      ),
  });
  worker.start();
  return worker;
}

function listen(app: { listen: Function; stop: Function; server: unknown }, s: Settings, port: number, logger: Logger, name: string) {
  app.listen({ port, hostname: s.bind, reusePort: false, maxRequestBodySize: Math.max(s.maxBodyBytes * 2, 64 * 1024 * 1024) });
  const actual = (app.server as { port?: number } | null)?.port ?? port;
  logger.info(`${name} listening`, { bind: s.bind, port: actual });
  return { port: actual, stop: async () => void (await app.stop(false)) };
}

function installShutdown(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('signal received', { signal: sig });
    stop()
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error('shutdown failed', { error: err });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err) => {
      if (err instanceof UsageError) {
        console.error(`secbot: ${err.message}\n\n${USAGE}`);
        process.exit(64);
      }
      if (err instanceof ConfigError) {
        console.error(`secbot: configuration error:\n${err.message}`);
        process.exit(2);
      }
      console.error(`secbot: ${errorMessage(err)}`);
      process.exit(1);
    },
  );
}

export { main };
