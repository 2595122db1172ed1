/**
 * Where the intake time goes, in process (no HTTP, no load generator): the same deliveries run through each stage
 * alone, sequentially, and the statements one delivery sends to the database are counted.
 *   - parse: JSON.parse of the body
 *   - classify: zod validation of the payload (core/webhook.ts)
 *   - route + check id: config.yml rules, sha256 check id
 *   - accept: CheckStore.accept (one transaction: check, tasks, deps, delivery) on SQLite FULL / NORMAL / Postgres
 *   - IntakeService.handle: everything but HTTP (logging to a discarding sink)
 *   - HTTP: the intake Elysia app's `handle(Request)` (routing, body read, response validation, metrics, log)
 *   - GET status: StatusService.status of an existing (in-progress) check, and its statements
 *   - sqlite commit: a bare BEGIN IMMEDIATE; INSERT one row; COMMIT with synchronous=FULL (the fsync floor)
 *
 *   bun bench/intake/profile.ts [--n 2000]
 */
import { Database } from 'bun:sqlite';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../../src/config/settings.ts';
import { parseWorkflow } from '../../src/config/workflow.ts';
import { securityCheckId } from '../../src/core/check-id.ts';
import { planJob } from '../../src/core/planning.ts';
import { route } from '../../src/core/routing.ts';
import { classify } from '../../src/core/webhook.ts';
import { CheckStore } from '../../src/db/checks.ts';
import type { Db, Query } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/open.ts';
import { intakeApp } from '../../src/http/intake-app.ts';
import { createLogger } from '../../src/log/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { catalogOf } from '../../src/plugins/registry.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { IntakeService } from '../../src/services/intake-service.ts';
import { StatusService } from '../../src/services/status-service.ts';
import { HistoryStore } from '../../src/db/history.ts';
import { ResultStore } from '../../src/db/results.ts';
import { createDatabaseUrl } from '../../test/helpers/db.ts';
import { machineFacts, reproduceLine } from '../lib/machine.ts';
import { benchConfig } from '../lib/config.ts';

const N = Number(process.argv[process.argv.indexOf('--n') + 1] || 2000) || 2000;
const TOKEN = ['whsec', 'bench', 'intake', '0123456789'].join('-');
const GITLAB = 'http://gitlab.bench.test';
const CONFIG = benchConfig('acme/.*');
const env = {
  GITLAB_CONFIGS: JSON.stringify([{ host: `${GITLAB}/`, webhook_secret_token: TOKEN, auth_token: 'glpat-bench-unused-000000', prefix: 'BENCH' }]),
  DEFECTDOJO__URL: 'http://127.0.0.1:9',
  DEFECTDOJO__TOKEN: 'dojo-bench-unused',
  DEFECTDOJO__USER: 'secbot',
  DEFECTDOJO__USER_ID: '1',
  SLACK_TOKEN: 'xoxb-bench-unused',
};
const settings = loadSettings(env);
const workflow = parseWorkflow(CONFIG, catalogOf(), env);
const work = mkdtempSync(join(tmpdir(), 'secbot-bench-profile-'));

const p = JSON.parse(readFileSync(join(import.meta.dir, '..', '..', 'test', 'fixtures', 'gitlab', 'project_hook.push.json'), 'utf8'));
const web = `${GITLAB}/acme/webapp`;
p.project = { ...p.project, web_url: web, path_with_namespace: 'acme/webapp', git_http_url: `${web}.git`, http_url: `${web}.git`, homepage: web };
p.ref = 'refs/heads/main';
p.commits = [p.commits.at(-1)];
p.total_commits_count = 1;
const run = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16).padStart(8, '0');
const bodies = Array.from({ length: N }, (_, i) => {
  const sha = run + i.toString(16).padStart(32, '0');
  return JSON.stringify({ ...p, after: sha, checkout_sha: sha, commits: [{ ...p.commits[0], id: sha }] }, null, 2);
});

function us(ms: number, n = N) {
  return `${((ms * 1000) / n).toFixed(1).padStart(8)} µs`;
}

async function time(label: string, fn: (i: number) => unknown, n = N, warm = true): Promise<number> {
  // Warm-up: the JIT and caches, on the first fifth of the inputs (database stages get their own tags).
  if (warm) for (let i = 0; i < Math.min(n, 200); i++) await fn(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const ms = performance.now() - t0;
  console.log(`  ${label.padEnd(58)} ${us(ms, n)} per delivery  (${Math.round((n * 1000) / ms)}/s sequential)`);
  return ms;
}

/** Counts statements and commits (top-level transactions) a Db sees. */
function counting(db: Db, counts: { stmts: number; txs: number }): Db {
  // Only top-level transactions commit; nested ones are savepoints.
  const wrap = (d: Db, top = true): Db => ({
    dialect: d.dialect,
    all: (q: Query) => (counts.stmts++, d.all(q)),
    run: (q: Query) => (counts.stmts++, d.run(q)),
    tx: (fn) => (top && counts.txs++, d.tx((t) => fn(wrap(t, false)))),
    ping: () => d.ping(),
    close: () => d.close(),
  }) as Db;
  return wrap(db);
}

async function main() {
  console.log('intake profile (in process, sequential, one delivery at a time)');
  console.log(machineFacts());
  console.log(`${N} deliveries, body ${bodies[0]!.length} bytes\n`);
  const parsed = bodies.map((b) => JSON.parse(b));
  await time('JSON.parse(body)', (i) => JSON.parse(bodies[i]!));
  const classified = parsed.map((b) => classify('Push Hook', b));
  await time('classify (zod payload validation)', (i) => classify('Push Hook', parsed[i]));
  await time('classify + build context', (i) => {
    const c = classify('Push Hook', parsed[i]);
    if (c.kind === 'event') c.build({ prefix: 'BENCH', host: 'gitlab.bench.test', hostname: 'gitlab.bench.test' });
  });
  await time('route (config.yml rules) + planJob', (i) => {
    const r = route(workflow.jobs, 'push', parsed[i]);
    if (r.kind === 'one') planJob(r.job);
  });
  await time('securityCheckId (sha256)', (i) => securityCheckId('BENCH', 'gitlab.bench.test', 'acme/webapp', parsed[i].after));
  void classified;

  const metrics = createMetrics();
  const logger = createLogger({ level: 'info', sink: (l) => { if (l.includes('"level":"error"')) console.error(l.slice(0, 600)); } });
  for (const kind of ['sqlite-FULL', 'sqlite-NORMAL', 'postgres'] as const) {
    const { url, drop } = await createDatabaseUrl(kind === 'postgres' ? 'postgres' : 'sqlite');
    const raw = openDatabase(url, { sqlite: { synchronous: kind === 'sqlite-NORMAL' ? 'NORMAL' : 'FULL' } });
    await migrate(raw);
    const counts = { stmts: 0, txs: 0 };
    const db = counting(raw, counts);
    const queue = new TaskQueue(db);
    const checks = new CheckStore(db, queue);
    const intake = new IntakeService({ settings, workflow, checks, metrics, logger });
    const fresh = (i: number, tag: string) => bodies[i]!.replaceAll(run, tag);
    console.log(`\n${kind}:`);
    for (let i = 0; i < 200; i++) await intake.handle({ token: TOKEN, event: 'Push Hook', idempotencyKey: null, eventUuid: null, body: fresh(i, 'c0c0c0c0') });
    counts.stmts = 0;
    counts.txs = 0;
    await time(`IntakeService.handle (everything but HTTP)`, (i) =>
      intake.handle({ token: TOKEN, event: 'Push Hook', idempotencyKey: null, eventUuid: null, body: fresh(i, 'a0a0a0a0') }),
    N, false);
    console.log(`  statements per delivery: ${(counts.stmts / N).toFixed(1)}, commits per delivery: ${(counts.txs / N).toFixed(2)} (sequential)`);
    counts.stmts = 0;
    counts.txs = 0;
    {
      const t0 = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: 50 }, async () => {
        for (let i = next++; i < N; i = next++) {
          await intake.handle({ token: TOKEN, event: 'Push Hook', idempotencyKey: null, eventUuid: null, body: fresh(i, 'e0e0e0e0') });
        }
      }));
      const ms = performance.now() - t0;
      console.log(`  ${'IntakeService.handle, 50 concurrent'.padEnd(58)} ${us(ms)} per delivery  (${Math.round((N * 1000) / ms)}/s; ${(counts.txs / N).toFixed(3)} commits per delivery)`);
    }
    const app = intakeApp({ name: 'intake', title: 't', description: 'd', db, metrics, logger, docs: true, intake, maxBodyBytes: settings.maxBodyBytes, bufferBytes: settings.intakeBufferBytes });
    for (let i = 0; i < 200; i++) await app.handle(new Request('http://localhost/v1/gitlab/webhook', { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-token': TOKEN, 'x-gitlab-event': 'Push Hook' }, body: fresh(i, 'd0d0d0d0') }));
    await time(`HTTP: intake app .handle(Request) (Elysia, no socket)`, async (i) => {
      const res = await app.handle(
        new Request('http://localhost/v1/gitlab/webhook', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-gitlab-token': TOKEN, 'x-gitlab-event': 'Push Hook' },
          body: fresh(i, 'b0b0b0b0'),
        }),
      );
      if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
      await res.text();
    }, N, false);
    const results = new ResultStore(db);
    const history = new HistoryStore(db);
    const status = new StatusService({
      checks, results, history, queue, policy: () => 'note', outputs: new Map(), ttlMs: 30_000, metrics, logger, refreshTimeoutMs: 1000,
    });
    const ids = bodies.map((b) => securityCheckId('BENCH', 'gitlab.bench.test', 'acme/webapp', JSON.parse(b.replaceAll(run, 'a0a0a0a0')).after));
    // Warm-up on other checks (those of the concurrent run), so the first pass below polls each check for the first time.
    for (let i = 0; i < 200; i++) await status.status(securityCheckId('BENCH', 'gitlab.bench.test', 'acme/webapp', JSON.parse(fresh(i, 'e0e0e0e0')).after));
    for (const pass of ['first', 'again'] as const) {
      counts.stmts = 0;
      counts.txs = 0;
      await time(`GET status: StatusService.answer, ${pass === 'first' ? 'first poll of a check' : 'polled again, unchanged'}`, async (i) => {
        const st = await status.answer(ids[i]!);
        if (st.body.status !== 'in_progress') throw new Error(`unexpected ${st.body.status}`);
      }, N, false);
      console.log(`  statements per status: ${(counts.stmts / N).toFixed(1)}`);
    }
    await raw.close();
    await drop();
  }

  console.log('\nfloor:');
  for (const sync of ['FULL', 'NORMAL']) {
    const d = new Database(join(work, `bare-${sync}.sqlite`), { create: true });
    d.exec('PRAGMA journal_mode = WAL');
    d.exec(`PRAGMA synchronous = ${sync}`);
    d.exec('CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL)');
    const ins = d.prepare('INSERT INTO rows (id, body, created_at) VALUES (?, ?, ?)');
    await time(`bare sqlite ${sync}: one INSERT of the body per commit`, (i) => void ins.run(crypto.randomUUID(), bodies[i]!, Date.now()), N, false);
    d.close();
  }
  console.log(`\n${reproduceLine('bench/intake/profile.ts')}`);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
