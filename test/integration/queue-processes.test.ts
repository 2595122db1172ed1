/**
 * The queue across real worker processes, on SQLite and Postgres: four processes never run one task at the same
 * time, and a worker killed mid-task loses nothing (the task runs again once its lease expires and completes once).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { planJob } from '../../src/core/planning.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { createTestDb, DB_KINDS, tempDir, type TestDb } from '../helpers/db.ts';

const SCRIPT = join(import.meta.dir, '..', 'helpers', 'queue-worker-proc.ts');

interface Rec {
  owner: string;
  t: number;
  ev: 'start' | 'end';
  id: number;
  attempt: number;
}

function spawnWorker(url: string, logFile: string, owner: string, leaseMs: number, taskMs: number): Subprocess<'ignore', 'pipe', 'inherit'> {
  return Bun.spawn([process.execPath, SCRIPT, url, logFile, owner, '4', String(leaseMs), String(taskMs)], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'inherit',
  });
}

function readLog(file: string): Rec[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out: ${what}`);
}

for (const kind of DB_KINDS) {
  describe(`queue with worker processes on ${kind}`, () => {
    let t: TestDb;
    let q: TaskQueue;
    beforeAll(async () => {
      t = await createTestDb(kind);
      q = new TaskQueue(t.db);
    });
    afterAll(async () => t.drop());

    async function states(checkId: string) {
      return (await q.tasksOf(checkId, 1)).map((r) => r.state);
    }

    test('four processes never run the same task at the same time, and every task runs once', async () => {
      const scans = Array.from({ length: 150 }, (_, i) => `s${i}`);
      await t.db.tx((tx) => q.enqueue(tx, 'c-many', 1, planJob({ scans, outputs: [], notifications: [] }), { maxAttempts: 3, timeoutMs: 60_000 }, 'h/acme/app'));
      const logFile = join(tempDir(), 'runs.jsonl');
      const procs = [0, 1, 2, 3].map((i) => spawnWorker(t.url, logFile, `p${i}`, 10_000, 10));
      try {
        await waitFor(async () => (await states('c-many')).every((s) => s === 'done'), 60_000, 'all tasks done');
      } finally {
        for (const p of procs) p.kill('SIGTERM');
        await Promise.all(procs.map((p) => p.exited));
      }
      const recs = readLog(logFile);
      const byId = Map.groupBy(recs, (r) => r.id);
      expect(byId.size).toBe(150);
      for (const runs of byId.values()) {
        expect(runs.filter((r) => r.ev === 'start')).toHaveLength(1);
        expect(runs.filter((r) => r.ev === 'end')).toHaveLength(1);
      }
      expect(new Set(recs.map((r) => r.owner)).size).toBeGreaterThan(1);
    }, 90_000);

    test('a worker killed mid-task: the task runs again after its lease expires and completes once', async () => {
      await t.db.tx((tx) => q.enqueue(tx, 'c-kill', 1, planJob({ scans: ['slow'], outputs: [], notifications: [] }), { maxAttempts: 3, timeoutMs: 60_000 }, 'h/acme/app'));
      const logFile = join(tempDir(), 'kill.jsonl');
      const a = spawnWorker(t.url, logFile, 'victim', 1000, 2000);
      await waitFor(async () => readLog(logFile).some((r) => r.ev === 'start'), 20_000, 'first start');
      a.kill('SIGKILL');
      await a.exited;
      const b = spawnWorker(t.url, logFile, 'rescuer', 1000, 200);
      try {
        await waitFor(async () => (await states('c-kill'))[0] === 'done', 30_000, 'task done after lease expiry');
      } finally {
        b.kill('SIGTERM');
        await b.exited;
      }
      const recs = readLog(logFile);
      expect(recs.filter((r) => r.ev === 'start').map((r) => [r.owner, r.attempt])).toEqual([
        ['victim', 1],
        ['rescuer', 2],
      ]);
      expect(recs.filter((r) => r.ev === 'end').map((r) => r.owner)).toEqual(['rescuer']);
      const [row] = await q.tasksOf('c-kill', 1);
      const events = await q.eventsOf([row!.id]);
      expect(events.map((e) => e.event)).toEqual(['lease_expired']);
    }, 60_000);
  });
}
