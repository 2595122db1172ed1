/**
 * A queue worker process for the multi-process queue tests: runs the real Worker against a database and records
 * each execution (start/end, with time) as JSON lines in a file, so the test can prove no task ran twice at once.
 * argv: <database url> <log file> <owner> <concurrency> <lease ms> <task ms>
 */
import { appendFileSync } from 'node:fs';
import { openDatabase } from '../../src/db/open.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { Worker } from '../../src/queue/worker.ts';

const [url, logFile, owner, concurrency, leaseMs, taskMs] = process.argv.slice(2);
const db = openDatabase(url!, { sqlite: { synchronous: 'NORMAL' } });
const queue = new TaskQueue(db);
const log = (rec: object) => appendFileSync(logFile!, `${JSON.stringify({ owner, t: performance.timeOrigin + performance.now(), ...rec })}\n`);

const worker = new Worker(
  queue,
  async (task, signal) => {
    log({ ev: 'start', id: task.id, attempt: task.attempt });
    const ms = Number(taskMs) * (0.5 + Math.random());
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
    log({ ev: 'end', id: task.id, attempt: task.attempt });
    return { type: 'done' };
  },
  { owner: owner!, concurrency: Number(concurrency), leaseMs: Number(leaseMs), pollMs: 20, logger: silentLogger },
);
worker.start();
console.log('ready');
process.on('SIGTERM', async () => {
  await worker.stop(5000);
  await db.close();
  process.exit(0);
});
