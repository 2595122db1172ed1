/**
 * Queue benchmark: N no-op tasks enqueued (in transactions of 500), then claimed and completed by 1 and 4 worker
 * processes, on SQLite (WAL, synchronous=FULL, the default) and Postgres. Prints tasks/s for each phase, and the
 * CPU time the claim+complete phase cost per task (worker processes plus, on Postgres, their server backends, read
 * from /proc): unlike tasks/s, that figure hardly moves when other processes load the machine.
 *   bun bench/queue/run.ts [tasks=20000] [concurrency per worker=64]
 * Postgres: SECBOT_TEST_PG_URL (default postgres://secbot:secbot@127.0.0.1:5432/secbot; see scripts/ensure-postgres.sh).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { TaskSpec } from '../../src/core/planning.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { createTestDb, type DbKind } from '../../test/helpers/db.ts';

const N = Number(process.argv[2] ?? 20_000);
const CONC = Number(process.argv[3] ?? 64);
const WORKER = join(import.meta.dir, 'noop-worker.ts');

/** utime + stime of a process, in seconds (Linux /proc; clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function backendPids(db: import('../../src/db/database.ts').Db): Promise<number[]> {
  const rows = await db.all<{ pid: number }>(sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  return rows.map((r) => Number(r.pid));
}

async function runCase(kind: DbKind, workers: number): Promise<{ enqueue: number; process: number; cpuUsPerTask: number }> {
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
  const ownBackends = new Set(kind === 'postgres' ? await backendPids(db) : []);
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
  const workerBackends = kind === 'postgres' ? (await backendPids(db)).filter((p) => !ownBackends.has(p)) : [];
  const cpu = [...procs.map((p) => p.pid), ...workerBackends].reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
  if (kind === 'sqlite') await db.close();
  await t.drop();
  return { enqueue: N / enqueueSecs, process: N / processSecs, cpuUsPerTask: (cpu / N) * 1e6 };
}

console.log(`queue benchmark: ${N} no-op tasks, ${CONC} concurrent tasks per worker process, ${navigator.hardwareConcurrency} CPUs`);
console.log('backend   workers  enqueue tasks/s  claim+complete tasks/s  CPU µs per task');
for (const kind of ['sqlite', 'postgres'] as DbKind[]) {
  for (const workers of [1, 4]) {
    const r = await runCase(kind, workers);
    console.log(
      `${kind.padEnd(9)} ${String(workers).padStart(7)}  ${Math.round(r.enqueue).toString().padStart(15)}  ${Math.round(r.process).toString().padStart(22)}  ${Math.round(r.cpuUsPerTask).toString().padStart(15)}`,
    );
  }
}
