#!/usr/bin/env bun
/**
 * Composition root of the `secbot` binary: parses the command line, loads settings and config.yml, opens the
 * database, builds the stores, plugins and services, and starts the requested roles (intake, results, worker).
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { loadLayeredEnv } from './config/dotenv.ts';
import { loadSettings, type Settings } from './config/settings.ts';
import type { Workflow } from './config/workflow.ts';
import { checkLogFields } from './core/check.ts';
import { securityCheckId } from './core/check-id.ts';
import { ConfigError, errorMessage } from './core/errors.ts';
import { jobLabel } from './core/job-set.ts';
import { CheckStore } from './db/checks.ts';
import type { Db } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { describeDatabaseUrl, openDatabase } from './db/open.ts';
import { HistoryStore } from './db/history.ts';
import { PublicationStore } from './db/publications.ts';
import { ResultStore } from './db/results.ts';
import { RetentionStore } from './db/retention.ts';
import { baseApp } from './http/common.ts';
import { intakeApp } from './http/intake-app.ts';
import { resultsApp } from './http/results-app.ts';
import { createLogger, type Logger, type Redactor } from './log/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { parseDsn, SentryReporter } from './observability/sentry.ts';
import { instantiate, publishersOf } from './plugins/registry.ts';
import { TaskQueue } from './queue/task-queue.ts';
import { Worker } from './queue/worker.ts';
import { AdminService } from './services/admin-service.ts';
import { Housekeeping } from './services/housekeeping.ts';
import { IntakeService } from './services/intake-service.ts';
import { StatusService } from './services/status-service.ts';
import { PublicationSync } from './services/publication-sync.ts';
import { Reevaluation } from './services/reevaluation.ts';
import { TaskRunner } from './services/task-runner.ts';
import { refreshVerdicts, unscannedPolicyOf, type UnscannedPolicy } from './services/verdict.ts';
import { helpFor, parseArgs, USAGE, UsageError } from './cli/args.ts';
import { loggingFetch } from './clients/logging-fetch.ts';
import { healthcheck } from './cli/healthcheck.ts';
import { loadAll } from './cli/load.ts';
import { scanCommand } from './cli/scan.ts';
import { validateCommand } from './cli/validate.ts';
import { VERSION } from './version.ts';

export type Mode = 'intake' | 'results' | 'worker';

async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  const cmd = parsed.command;
  switch (cmd.kind) {
    case 'help':
      console.log(helpFor(cmd.topic));
      return 0;
    case 'version':
      console.log(`secbot ${VERSION}`);
      return 0;
    case 'check-id': {
      const prefix = cmd.prefix ?? prefixFor(parsed.envDir, cmd.host);
      console.log(securityCheckId(prefix, cmd.host, cmd.project, cmd.sha));
      return 0;
    }
    case 'healthcheck': {
      const r = await healthcheck(loadLayeredEnv(parsed.envDir, process.env));
      (r.ok ? console.log : console.error)(r.message);
      return r.ok ? 0 : 1;
    }
    case 'scan': {
      const env = loadLayeredEnv(parsed.envDir, process.env);
      return scanCommand({
        ...cmd,
        configPath: parsed.configPath,
        gitBin: env.SECBOT_GIT_BIN || 'git',
        gitleaksBin: env.SECBOT_GITLEAKS_BIN || localGitleaks(),
        out: (line) => console.log(line),
      });
    }
    case 'validate': {
      const result = validateCommand(loadAll(parsed), cmd.eventFile, cmd.eventType);
      console.log(result.lines.join('\n'));
      return result.ok ? 0 : 1;
    }
    case 'migrate': {
      const settings = loadSettings(loadLayeredEnv(parsed.envDir, process.env));
      const db = await connectWithRetry(settings, createLogger({ level: settings.logLevel, format: settings.logFormat }));
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

/** gitleaks on PATH, else the one scripts/setup.sh installed beside this checkout (dist/secbot → .tools/bin). */
function localGitleaks(): string {
  if (Bun.which('gitleaks')) return 'gitleaks';
  const beside = join(dirname(process.execPath), '..', '.tools', 'bin', 'gitleaks');
  return existsSync(beside) ? beside : 'gitleaks';
}

function prefixFor(envDir: string, host: string): string {
  const settings = loadSettings(loadLayeredEnv(envDir, process.env));
  const inst = settings.gitlab.find((g) => g.hostname === host.toLowerCase() || g.host === host.toLowerCase());
  if (!inst) throw new ConfigError(`no GITLAB_CONFIGS instance has host ${host}; pass --prefix`);
  return inst.prefix;
}

/** Postgres may come up after SecBot (compose, Kubernetes): wait for it rather than crash-loop. */
export async function connectWithRetry(settings: Pick<Settings, 'databaseUrl' | 'sqliteSynchronous'>, logger: Logger, attempts = 30): Promise<Db> {
  const db = openDatabase(settings.databaseUrl, { sqlite: { synchronous: settings.sqliteSynchronous } });
  for (let attempt = 1; ; attempt++) {
    try {
      await db.ping();
      return db;
    } catch (err) {
      if (attempt >= attempts) {
        await db.close().catch(() => {});
        throw new ConfigError(`cannot reach the database ${describeDatabaseUrl(settings.databaseUrl)}: ${errorMessage(err)}`);
      }
      logger.warn(`database not reachable yet (${errorMessage(err)}); retrying`, {
        database: describeDatabaseUrl(settings.databaseUrl),
        attempt,
        of: attempts,
        error: errorMessage(err),
      });
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
  /** For outgoing error reports (tests point it anywhere); plugins use the global fetch. */
  fetch?: typeof fetch;
}): Promise<Runtime> {
  const { modes, settings, workflow } = opts;
  const sentry = settings.sentryDsn ? startSentry(settings.sentryDsn, opts.redactor, modes, opts.fetch) : null;
  const logger = createLogger({
    level: settings.logLevel,
    format: settings.logFormat,
    redactor: opts.redactor,
    sink: opts.logSink,
    base: { service: 'secbot', mode: modes.join('+') },
    onError: sentry ? (record) => sentry.capture(record) : undefined,
  });
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
  const retention = new RetentionStore(db, queue);
  const publications = new PublicationStore(db);
  const policy = unscannedPolicyOf(workflow);
  if (settings.fingerprintKeyDerived) {
    logger.warn('SECBOT_FINGERPRINT_KEY is not set: secret fingerprints use a key derived from the webhook tokens; set it (the same on every process) so rotating a token does not make every secret look new');
  }
  const components = instantiate(workflow, { settings, logger, fetch: loggingFetch(logger) });
  metrics.registry.onCollect(async () => {
    const depth = await queue.depth();
    metrics.queueTasks.reset();
    for (const d of depth) metrics.queueTasks.set({ state: d.state, kind: d.kind }, d.count);
    metrics.publicationsDue.set({}, await publications.dueCount());
  });
  const services: Services = { settings, workflow, logger, metrics, db, queue, checks, results, history, retention, publications, policy, components };
  const roles = modes.includes('worker') ? startWorker(services) : null;
  const worker = roles?.worker ?? null;
  const housekeeping = worker ? new Housekeeping({ retention, settings, metrics, logger }) : null;
  housekeeping?.start();
  const stopListening = worker ? await queue.onNewWork(() => worker.poke()) : async () => {};
  const { servers, ports } = startHttpRoles(modes, services, roles);
  logger.info('secbot started', {
    version: VERSION,
    modes,
    database: describeDatabaseUrl(settings.databaseUrl),
    jobs: workflow.jobs.map((j) => j.name),
    docs: settings.docsEnabled,
    error_reports: sentry ? 'sentry' : 'off',
  });
  return {
    ports,
    worker,
    db,
    logger,
    stop: async () => {
      logger.info('shutting down: draining HTTP, letting running tasks finish', { grace_ms: settings.shutdownGraceMs });
      await Promise.all(servers.map((s) => s.stop()));
      await stopListening();
      await housekeeping?.stop();
      await roles?.reevaluation.stop();
      await worker?.stop(settings.shutdownGraceMs);
      await roles?.sync.stop();
      await db.close();
      logger.info('stopped');
      await sentry?.flush();
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
  retention: RetentionStore;
  publications: PublicationStore;
  policy: UnscannedPolicy;
  components: ReturnType<typeof instantiate>;
}

interface WorkerRoles {
  worker: Worker;
  sync: PublicationSync;
  reevaluation: Reevaluation;
}

/** The HTTP side of each role: intake, results (+ admin), and a health/metrics app for a worker-only process. */
function startHttpRoles(modes: Mode[], d: Services, roles: WorkerRoles | null) {
  const { settings, workflow, logger, metrics, checks, results, history, retention, policy, queue, components } = d;
  const servers: { port: number; stop: () => Promise<void> }[] = [];
  const ports: Runtime['ports'] = {};
  const withPort = httpRolesOf(modes);
  const common = (role: Mode) => ({ db: d.db, metrics, logger, docs: settings.docsEnabled, metricsOwns: metricsOwnerFilter(role, withPort) });
  const serve = (role: Mode, app: Parameters<typeof listen>[0], port: number) => {
    const s = listen(app, settings, port, logger, role);
    servers.push(s);
    ports[role] = s.port;
  };
  if (modes.includes('intake')) {
    const intake = new IntakeService({
      settings, workflow, checks, metrics, logger,
      onWork: () => {
        roles?.worker.poke();
        roles?.sync.poke();
      },
      publications: { publishersOf: (job) => publishersOf(workflow, job) },
    });
    serve(
      'intake',
      intakeApp({ ...common('intake'), name: 'intake', title: 'SecBot intake', description: INTAKE_DESCRIPTION, intake, maxBodyBytes: settings.maxBodyBytes, bufferBytes: settings.intakeBufferBytes }),
      settings.intakePort,
    );
  }
  if (modes.includes('results')) {
    const status = new StatusService({
      checks, results, history, retention, queue, policy, outputs: components.outputs, ttlMs: settings.gateCacheTtlMs, metrics, logger,
      prefixes: settings.gitlab.map((g) => g.prefix),
      refreshTimeoutMs: settings.httpTimeoutMs,
    });
    const admin = settings.adminToken
      ? { service: new AdminService({ checks, results, history, queue, policy, status, workflow, settings }), token: settings.adminToken }
      : null;
    const page = { checks, results, history, queue, policy, status, publications: d.publications };
    const app = resultsApp({
      ...common('results'), name: 'results', title: 'SecBot results', description: RESULTS_DESCRIPTION, status, admin, resultsToken: settings.resultsToken, page,
    });
    serve('results', app, settings.resultsPort);
  }
  if (withPort[0] === 'worker') {
    serve('worker', baseApp({ ...common('worker'), name: 'worker', title: 'SecBot worker', description: 'Health and metrics of a worker process.' }), settings.workerPort);
  }
  return { servers, ports };
}

const INTAKE_DESCRIPTION =
  'Receives GitLab webhooks and system hooks (push, tag push, merge request) and turns each into a security check of one commit. ' +
  'Configure the hook with URL `http://<secbot>:5000/v1/gitlab/webhook` and the secret token of a GITLAB_CONFIGS instance.';
const RESULTS_DESCRIPTION =
  'The CI gate: pipelines poll `GET /v1/security/gitlab/check/{security_check_id}` until the status is final (ci/secbot-gate.sh does it). ' +
  '`GET /checks/{security_check_id}` is the check page (HTML) that GitLab commit statuses link to. ' +
  'With SECBOT_ADMIN_TOKEN set, the admin API lists, shows and re-runs checks.';

/** The roles of this process that open an HTTP port: intake and results; the worker's own port only when alone. */
export function httpRolesOf(modes: readonly Mode[]): Mode[] {
  const http = modes.filter((m) => m !== 'worker');
  return http.length > 0 ? http : ['worker'];
}

/**
 * Which metrics a port's /metrics shows: its own role's, and on the first port also those of every role without a
 * port of its own (the worker of `secbot all`), so that no series is exposed by two ports of one process.
 */
export function metricsOwnerFilter(role: Mode, withPort: readonly Mode[]): (owner: string) => boolean {
  if (role !== withPort[0]) return (owner) => owner === role;
  const others = new Set(withPort.filter((r) => r !== role));
  return (owner) => !others.has(owner as Mode);
}

async function run(modes: Mode[], settings: Settings, workflow: Workflow, redactor: Redactor): Promise<void> {
  const rt = await startSecbot({ modes, settings, workflow, redactor });
  // A stray rejection is a bug to see in the logs (and in Sentry), not a reason to drop the work in flight.
  process.on('unhandledRejection', (reason) => rt.logger.error('unhandled promise rejection', { error: reason }));
  process.on('uncaughtException', (err) => {
    if (isDroppedConnectionRace(err)) {
      // postgres.js can write to a connection the server just closed (a restart under load): the connection is
      // gone and its queries fail on their own; the pool reconnects. Dying here would stop the worker for good.
      rt.logger.warn('a database connection closed while a statement was being sent; continuing', { error: err });
      return;
    }
    rt.logger.error('uncaught exception; exiting', { error: err });
    process.exit(1);
  });
  installShutdown(rt.stop, rt.logger);
}

/** The one uncaught error known to be harmless: postgres.js writing to a socket its own close handler just dropped. */
export function isDroppedConnectionRace(err: unknown): boolean {
  return err instanceof TypeError && /evaluating '(?:socket|this\.socket)\.write'|Cannot read propert(?:y|ies) of null \(reading 'write'\)/.test(err.message);
}

function startSentry(dsn: string, redactor: Redactor, modes: Mode[], fetchFn?: typeof fetch): SentryReporter {
  redactor.add(dsn, parseDsn(dsn).publicKey);
  return new SentryReporter({
    dsn,
    release: `secbot@${VERSION}`,
    redactor,
    fetch: fetchFn,
    tags: { mode: modes.join('+') },
    onSendError: (message) => process.stderr.write(`secbot: ${message}\n`),
  });
}

function startWorker(d: Services): WorkerRoles {
  const owner = `${hostname()}/${process.pid}/${crypto.randomUUID().slice(0, 8)}`;
  const sync = new PublicationSync({ ...d, notifiers: d.components.notifiers, owner });
  const reevaluation = new Reevaluation({ ...d, outputs: d.components.outputs, owner, onDue: () => sync.poke() });
  const runner = new TaskRunner({
    checks: d.checks, results: d.results, history: d.history, queue: d.queue, components: d.components, settings: d.settings, logger: d.logger,
    publish: (checkId, notifier, taskOwner) => sync.publishNow(checkId, notifier, taskOwner),
  });
  const w = d.settings.worker;
  // A scan starting turns a published `pending` into `running`.
  const handle: typeof runner.handle = async (task, signal) => {
    if (task.kind === 'scan') {
      await d.publications.markDue(d.db, [task.checkId]).catch((err) => d.logger.warn('could not mark the publication due', { error: err }));
      sync.poke();
    }
    return runner.handle(task, signal);
  };
  const worker = new Worker(d.queue, handle, {
    owner,
    concurrency: w.concurrency,
    leaseMs: w.leaseMs,
    pollMs: w.pollMs,
    logger: d.logger,
    logFieldsOf: runner.logFieldsOf,
    onSettled: ({ task, outcome }, ms) => {
      const labels = { kind: task.kind, handler: task.handler };
      d.metrics.taskDuration.observe({ ...labels, outcome: outcome.type }, ms / 1000);
      if (outcome.type === 'retry' && task.attempt < task.maxAttempts) d.metrics.taskRetries.inc(labels);
      if (outcome.type === 'fail' || (outcome.type === 'retry' && task.attempt >= task.maxAttempts)) d.metrics.taskFailures.inc(labels);
      sync.poke();
    },
    settleHook: async (tx, applied) => {
      // In the settling transaction: a check whose tasks moved is due for publication, even if SecBot dies next.
      await d.publications.markDue(tx, applied.map((a) => a.task.checkId));
      await refreshVerdicts(
        tx,
        d,
        applied.map((a) => ({ checkId: a.task.checkId, generation: a.task.generation })),
        (check, v) => {
          const seconds = (Date.now() - check.createdAt) / 1000;
          d.metrics.checksFinished.inc({ verdict: v.status });
          d.metrics.verdictLatency.observe({ verdict: v.status }, seconds);
          const log = v.status === 'error' ? d.logger.warn : d.logger.info;
          log(`check finished: ${v.status}`, {
            check_id: check.id,
            ...checkLogFields(check),
            verdict: v.status,
            reason: v.reason,
            job: jobLabel(check.jobName),
            generation: check.generation,
            seconds: Math.round(seconds * 10) / 10,
          });
        },
      );
    },
  });
  worker.start();
  sync.start();
  reevaluation.start();
  return { worker, sync, reevaluation };
}

function listen(app: { listen(o: object): unknown; stop(closeActive: boolean): Promise<unknown>; server: unknown }, s: Settings, port: number, logger: Logger, name: string) {
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
