/**
 * Queue fairness benchmark (issue 13, item 7): one project floods the queue with F checks (scan → import →
 * notification, 3 tasks each, the shipped job's shape), a worker process works through them (concurrency C, each
 * task taking T ms), and after a second another project's single check arrives. Prints how long that check waited
 * and how many of the flood's tasks finished between its arrival and its last task.
 *   bun bench/queue/fairness.ts [flood checks=5000] [task ms=5] [concurrency=4]
 * Postgres: SECBOT_TEST_PG_URL (default postgres://secbot:secbot@127.0.0.1:5432/secbot).
 */
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { planJob } from '../../src/core/planning.ts';
import { openDatabase } from '../../src/db/open.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { createTestDb, type DbKind } from '../../test/helpers/db.ts';
import { machineFacts } from '../lib/machine.ts';

const FLOOD = Number(process.argv[2] ?? 5_000);
const TASK_MS = Number(process.argv[3] ?? 5);
const CONC = Number(process.argv[4] ?? 4);
const WORKER = join(import.meta.dir, 'noop-worker.ts');
const PLAN = planJob({ scans: ['gitleaks'], outputs: ['defectdojo'], notifications: ['slack'] });
const OPTS = { maxAttempts: 3, timeoutMs: 60_000 };

async function runCase(kind: DbKind) {
  const t = await createTestDb(kind);
  if (kind === 'sqlite') await t.db.close();
  const db = kind === 'sqlite' ? openDatabase(t.url, { sqlite: { synchronous: 'FULL' } }) : t.db;
  const q = new TaskQueue(db);
  for (let i = 0; i < FLOOD; i += 250) {
    await db.tx(async (tx) => {
      for (let j = i; j < Math.min(FLOOD, i + 250); j++) await q.enqueue(tx, `noisy-${j}`, 1, PLAN, OPTS, 'gitlab.example.com/noisy/app');
    });
  }
  const proc = Bun.spawn([process.execPath, WORKER, t.url, String(CONC), 'FULL', String(TASK_MS)], { stdout: 'ignore', stderr: 'inherit' });
  await Bun.sleep(1000);
  const arrived = Date.now();
  await db.tx((tx) => q.enqueue(tx, 'quiet-1', 1, PLAN, OPTS, 'gitlab.example.com/quiet/app'));
  let finished = 0;
  for (;;) {
    const rows = await q.tasksOf('quiet-1', 1, db);
    if (rows.every((r) => r.state === 'done')) {
      finished = Math.max(...rows.map((r) => r.finishedAt ?? 0));
      break;
    }
    await Bun.sleep(5);
  }
  const firstStart = Math.min(...(await q.tasksOf('quiet-1', 1, db)).map((r) => r.startedAt ?? Infinity));
  const between = await db.all<{ n: number }>(
    sql`SELECT COUNT(*) AS n FROM tasks WHERE check_id <> 'quiet-1' AND finished_at > ${arrived} AND finished_at <= ${finished}`,
  );
  proc.kill('SIGTERM');
  await proc.exited;
  if (kind === 'sqlite') await db.close();
  await t.drop();
  return { waitMs: firstStart - arrived, doneMs: finished - arrived, floodTasksBetween: Number(between[0]!.n) };
}

console.log(machineFacts());
console.log(`fairness: ${FLOOD} checks (${FLOOD * PLAN.length} tasks) of one project, then 1 check of another; 1 worker, concurrency ${CONC}, ${TASK_MS} ms per task`);
console.log('backend   quiet scan started after  quiet check done after  flood tasks finished meanwhile');
for (const kind of ['sqlite', 'postgres'] as DbKind[]) {
  const r = await runCase(kind);
  console.log(`${kind.padEnd(9)} ${`${r.waitMs} ms`.padStart(24)}  ${`${r.doneMs} ms`.padStart(22)}  ${String(r.floodTasksBetween).padStart(30)}`);
}
