/**
 * A worker process running no-op tasks, for the queue benchmarks.
 *   argv: <database url> <concurrency> [FULL|NORMAL] [ms each task takes, default 0]
 */
import { openDatabase } from '../../src/db/open.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { Worker } from '../../src/queue/worker.ts';

const [url, concurrency, sync, taskMs] = process.argv.slice(2);
const work = Number(taskMs ?? 0);
const db = openDatabase(url!, { sqlite: { synchronous: (sync as 'FULL' | 'NORMAL') ?? 'FULL' } });
const worker = new Worker(new TaskQueue(db), async () => {
  if (work > 0) await Bun.sleep(work);
  return { type: 'done' };
}, {
  owner: `bench-${process.pid}`,
  concurrency: Number(concurrency),
  leaseMs: 30_000,
  pollMs: 20,
  logger: silentLogger,
});
worker.start();
process.on('SIGTERM', async () => {
  await worker.stop(1000);
  await db.close();
  process.exit(0);
});
