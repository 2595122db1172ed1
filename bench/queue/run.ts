/**
 * Queue benchmark: N no-op tasks enqueued (in transactions of 500), then claimed and completed by 1 and 4 worker
 * processes, on SQLite (WAL, synchronous=FULL, the default) and Postgres. Prints tasks/s for each phase.
 *   bun bench/queue/run.ts [tasks=20000] [concurrency per worker=64]
 * Postgres: SECBOT_TEST_PG_URL (default postgres://secbot:secbot@127.0.0.1:5432/secbot; see scripts/ensure-postgres.sh).
 */
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { TaskSpec } from '../../src/core/planning.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { createTestDb, type DbKind } from '../../test/helpers/db.ts';

const N = Number(process.argv[2] ?? 20_000);
const CONC = Number(process.argv[3] ?? 64);
const WORKER = join(import.meta.dir, 'noop-worker.ts');

async function runCase(kind: DbKind, workers: number): Promise<{ enqueue: number; process: number }> {
  const t = await createTestDb(kind);
  if (kind === 'sqlite') {
    await t.db.close();
  }
  const { openDatabase } = await import('../../src/db/open.ts');
  const db = kind === 'sqlite' ? openDatabase(t.url, { sqlite: { synchronous: 'FULL' } }) : t.db;
  const q = new TaskQueue(db);
  const t0 = performance.now();
  for (let done = 0; done < N; done += 500) {
    const specs: TaskSpec[] = Array.from({ length: Math.min(500, N - done) }, (_, i) => ({
      name: `t${done + i}`,
      kind: 'scan',
      handler: 'noop',
      payload: {},
      parents: [],
    }));
    await db.tx((tx) => q.enqueue(tx, `bench-${done}`, 1, specs, { maxAttempts: 3, timeoutMs: 60_000 }, 'bench/project'));
  }
  const enqueueSecs = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const procs = Array.from({ length: workers }, () =>
    Bun.spawn([process.execPath, WORKER, t.url, String(CONC), 'FULL'], { stdout: 'ignore', stderr: 'inherit' }),
  );
  for (;;) {
    // Cheap probe (partial indexes on queued and running) so the observer does not slow the workers down.
    const rows = await db.all<{ n: number }>(
      sql`SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM tasks WHERE state = 'queued' LIMIT 1) a) + (SELECT COUNT(*) FROM (SELECT 1 FROM tasks WHERE state = 'running' LIMIT 1) b) AS n`,
    );
    if (Number(rows[0]!.n) === 0) break;
    await Bun.sleep(10);
  }
  const processSecs = (performance.now() - t1) / 1000;
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
  if (kind === 'sqlite') await db.close();
  await t.drop();
  return { enqueue: N / enqueueSecs, process: N / processSecs };
}

console.log(`queue benchmark: ${N} no-op tasks, ${CONC} concurrent tasks per worker process, ${navigator.hardwareConcurrency} CPUs`);
console.log('backend   workers  enqueue tasks/s  claim+complete tasks/s');
for (const kind of ['sqlite', 'postgres'] as DbKind[]) {
  for (const workers of [1, 4]) {
    const r = await runCase(kind, workers);
    console.log(`${kind.padEnd(9)} ${String(workers).padStart(7)}  ${Math.round(r.enqueue).toString().padStart(15)}  ${Math.round(r.process).toString().padStart(22)}`);
  }
}
