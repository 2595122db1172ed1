/**
 * What storing a delivery costs on Postgres, by the number of round trips, in process (no HTTP), 50 concurrent
 * deliveries over a pool of 10 connections (as SecBot's):
 *   (1) CheckStore.accept as shipped: a new check is one statement (autocommit) written by src/db/checks.ts; until
 *       issue 16 it was BEGIN, 6 statements, COMMIT (8 round trips)
 *   (2) a prototype of the common path (new delivery of a new commit) as ONE statement, data-modifying CTEs
 *       (deliveries → checks → tasks → task_deps), inside BEGIN … COMMIT (3 round trips)
 *   (3) the same statement alone (1 round trip; a single statement is atomic)
 *   (4) the floor: one INSERT of the body per delivery (bench/intake/bare-server.ts does the same over HTTP)
 * (2) and (3) store the same rows as (1) for a new commit; they are not a full replacement (a delivery for an existing
 * check or a rerun would fall back to (1)). The point is the size of the lever, not a finished fix.
 *
 *   bun bench/intake/pg-accept.ts [--n 3000]
 */
import postgres from 'postgres';
import { openDatabase } from '../../src/db/open.ts';
import { migrate } from '../../src/db/migrate.ts';
import { CheckStore } from '../../src/db/checks.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import type { CheckContext } from '../../src/core/check.ts';
import type { TaskSpec } from '../../src/core/planning.ts';
import { createDatabaseUrl } from '../../test/helpers/db.ts';
import { machineFacts, reproduceLine } from '../lib/machine.ts';

const N = Number(process.argv[process.argv.indexOf('--n') + 1] || 3000) || 3000;
const CONC = 50;
const SPECS: TaskSpec[] = [
  { name: 'scan:gitleaks', kind: 'scan', handler: 'gitleaks', payload: { scan: 'gitleaks' }, parents: [] },
  { name: 'output:gitleaks:defectdojo', kind: 'output', handler: 'defectdojo', payload: { scan: 'gitleaks', output: 'defectdojo' }, parents: ['scan:gitleaks'] },
  { name: 'notify:defectdojo:slack', kind: 'notify', handler: 'slack', payload: { output: 'defectdojo', notifier: 'slack' }, parents: ['output:gitleaks:defectdojo'] },
] as unknown as TaskSpec[];

function context(i: number, tag: string): CheckContext {
  const sha = (tag + i.toString(16)).padStart(40, '0');
  return {
    eventType: 'push', instancePrefix: 'BENCH', host: 'gitlab.bench.test', hostname: 'gitlab.bench.test', projectPath: 'acme/webapp',
    projectId: 15, projectUrl: 'http://gitlab.bench.test/acme/webapp', commitSha: sha, ref: { kind: 'branch', name: 'main' },
    beforeSha: '95790bf891e76fee5e1747ab589903a6a1f80f22', mergeRequest: null, userName: 'jsmith',
  } as unknown as CheckContext;
}

const NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
const taskValues = SPECS.map((_, j) => `($${9 + j * 5}, $${10 + j * 5}, $${11 + j * 5}, $${12 + j * 5}, $${13 + j * 5}::int)`).join(', ');
const depPairs = SPECS.flatMap((s) => s.parents.map((p) => [p, s.name]));
const depValues = depPairs.map((_, j) => `($${9 + SPECS.length * 5 + j * 2}, $${10 + SPECS.length * 5 + j * 2})`).join(', ');
const ONE_STATEMENT = `
WITH dl AS (
  INSERT INTO deliveries (key, check_id, event_type, outcome, received_at)
  VALUES ($1, $2, $3, 'accepted', $8::bigint) ON CONFLICT (key) DO NOTHING RETURNING key
), ck AS (
  INSERT INTO checks (id, generation, state, error, event_type, host, project_path, commit_sha, ref_name, job_name, context,
    created_at, updated_at, finished_at, verdict)
  SELECT $2, 1, 'planned', NULL, $3, $4, $5, $6, 'main', 'secrets', $7, $8::bigint, $8::bigint, NULL, 'in_progress' FROM dl
  ON CONFLICT (id) DO NOTHING RETURNING id
), tk AS (
  INSERT INTO tasks (check_id, generation, name, kind, handler, payload, state, pending_parents, attempts, max_attempts,
    run_at, timeout_ms, created_at, updated_at)
  SELECT ck.id, 1, v.name, v.kind, v.handler, v.payload, CASE WHEN v.pp > 0 THEN 'blocked' ELSE 'queued' END, v.pp, 0, 5,
    ${NOW}, 900000, ${NOW}, ${NOW}
  FROM ck, (VALUES ${taskValues}) AS v(name, kind, handler, payload, pp)
  RETURNING id, name
), dp AS (
  INSERT INTO task_deps (parent_id, child_id)
  SELECT p.id, c.id FROM (VALUES ${depValues}) AS e(parent, child) JOIN tk p ON p.name = e.parent JOIN tk c ON c.name = e.child
  RETURNING 1
)
SELECT (SELECT count(*) FROM dl)::int AS delivered, (SELECT count(*) FROM ck)::int AS created, (SELECT count(*) FROM tk)::int AS tasks,
  (SELECT count(*) FROM dp)::int AS deps`;

function params(i: number, tag: string): (string | number)[] {
  const c = context(i, tag);
  const id = `BENCH_${c.commitSha.padStart(64, '0')}`;
  const p: (string | number)[] = [`body:${tag}${i}`, id, 'push', c.host, c.projectPath, c.commitSha, JSON.stringify(c), Date.now()];
  for (const s of SPECS) p.push(s.name, s.kind, s.handler, JSON.stringify(s.payload), s.parents.length);
  for (const [a, b] of depPairs) p.push(a!, b!);
  return p;
}

async function run(label: string, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 200; i++) await fn(N + i); // warm-up (JIT, prepared statements)
  let next = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      for (let i = next++; i < N; i = next++) {
        const s = performance.now();
        await fn(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  const ms = performance.now() - t0;
  lat.sort((a, b) => a - b);
  console.log(`  ${label.padEnd(62)} ${Math.round((N * 1000) / ms).toString().padStart(6)} deliveries/s  p50 ${lat[Math.floor(N / 2)]!.toFixed(1)} ms  p99 ${lat[Math.floor(N * 0.99)]!.toFixed(1)} ms`);
}

async function main() {
  console.log('Postgres: storing a delivery, by round trips (in process, 50 concurrent, pool of 10)');
  console.log(machineFacts());
  const urls = await Promise.all([1, 2, 3, 4].map(() => createDatabaseUrl('postgres')));
  try {
    {
      const db = openDatabase(urls[0]!.url);
      await migrate(db);
      const checks = new CheckStore(db, new TaskQueue(db));
      await run('(1) CheckStore.accept as shipped (one statement)', (i) => {
        const c = context(i, 'a1');
        return checks.accept({ checkId: `BENCH_${c.commitSha.padStart(64, '0')}`, deliveryKey: `body:a1${i}`, context: c, plan: { jobName: 'secrets', tasks: SPECS }, enqueue: { maxAttempts: 5, timeoutMs: 900_000 } });
      });
      await db.close();
    }
    for (const [k, label, inTx] of [[1, '(2) one CTE statement in BEGIN … COMMIT', true], [2, '(3) one CTE statement, autocommit', false]] as const) {
      const db = openDatabase(urls[k]!.url);
      await migrate(db);
      await db.close();
      const sql = postgres(urls[k]!.url, { max: 10, onnotice: () => {} });
      await run(label, async (i) => {
        const p = params(i, `b${k}`);
        const rows = inTx
          ? await sql.begin((t) => t.unsafe(ONE_STATEMENT, p, { prepare: true }))
          : await sql.unsafe(ONE_STATEMENT, p, { prepare: true });
        const r = rows[0] as unknown as { created: number; tasks: number; deps: number };
        if (r.created !== 1 || r.tasks !== 3 || r.deps !== 2) throw new Error(`unexpected ${JSON.stringify(r)}`);
      });
      await sql.end();
    }
    {
      const sql = postgres(urls[3]!.url, { max: 10, onnotice: () => {} });
      await sql`CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at BIGINT NOT NULL)`;
      const body = JSON.stringify(context(0, 'x')).repeat(3);
      await run('(4) floor: one INSERT per delivery, autocommit', (i) => sql`INSERT INTO rows VALUES (${`r${i}`}, ${body}, ${Date.now()})`);
      await sql.end();
    }
  } finally {
    for (const u of urls) await u.drop();
  }
  console.log(reproduceLine('bench/intake/pg-accept.ts'));
}

await main();
