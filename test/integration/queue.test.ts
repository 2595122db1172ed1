import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { planJob } from '../../src/core/planning.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { settle } from '../../src/queue/settle.ts';
import type { ClaimedTask } from '../../src/queue/types.ts';
import { createTestDb, DB_KINDS, type TestDb } from '../helpers/db.ts';

const OPTS = { maxAttempts: 3, timeoutMs: 60_000 };
const job = { scans: ['s1', 's2'], outputs: ['o1'], notifications: ['n1'] };

for (const kind of DB_KINDS) {
  describe(`task queue on ${kind}`, () => {
    let t: TestDb;
    let q: TaskQueue;
    beforeAll(async () => {
      t = await createTestDb(kind);
      q = new TaskQueue(t.db);
    });
    afterAll(async () => t.drop());

    async function enqueue(checkId: string) {
      await t.db.tx((tx) => q.enqueue(tx, checkId, 1, planJob(job), OPTS, 'h/acme/app'));
    }
    async function claimAll(owner = 'w1', limit = 100) {
      return q.claim(owner, limit, 30_000);
    }
    const done = (task: ClaimedTask) => ({ task, outcome: { type: 'done' as const } });

    test('parents gate their children and are released in the completing transaction', async () => {
      await enqueue('c-deps');
      const first = (await claimAll()).filter((x) => x.checkId === 'c-deps');
      expect(first.map((x) => x.name).sort()).toEqual(['scan:s1', 'scan:s2']);
      expect(await claimAll()).toEqual([]);
      const r1 = await settle(t.db, [done(first[0]!)]);
      expect(r1.released).toBe(1);
      const outs = await claimAll();
      expect(outs.map((x) => x.name)).toEqual([`output:${first[0]!.payload.scan}:o1`]);
      await settle(t.db, [done(first[1]!), done(outs[0]!)]);
      const more = await claimAll();
      expect(more.map((x) => x.name)).toEqual(['output:s2:o1']);
      expect(await claimAll()).toEqual([]);
      await settle(t.db, [done(more[0]!)]);
      const notify = await claimAll();
      expect(notify.map((x) => x.name)).toEqual(['notify:o1:n1']);
      await settle(t.db, [done(notify[0]!)]);
      const rows = await q.tasksOf('c-deps', 1);
      expect(rows.every((r) => r.state === 'done')).toBe(true);
    });

    test('one scan per project and component at a time; other projects and components are not held back', async () => {
      const one = { scans: ['s1'], outputs: [], notifications: [] };
      const two = { scans: ['s1', 's2'], outputs: [], notifications: [] };
      await t.db.tx((tx) => q.enqueue(tx, 'c-lane-a1', 1, planJob(one), OPTS, 'h/acme/lane'));
      await t.db.tx((tx) => q.enqueue(tx, 'c-lane-a2', 1, planJob(two), OPTS, 'h/acme/lane'));
      await t.db.tx((tx) => q.enqueue(tx, 'c-lane-b1', 1, planJob(one), OPTS, 'h/acme/other'));
      const first = await claimAll();
      // a2's s1 waits for a1's s1 (same project, same component); a2's s2 and the other project's s1 run.
      expect(first.map((x) => `${x.checkId}/${x.name}`).sort()).toEqual(['c-lane-a1/scan:s1', 'c-lane-a2/scan:s2', 'c-lane-b1/scan:s1']);
      expect(await claimAll()).toEqual([]);
      await settle(t.db, first.filter((x) => x.checkId === 'c-lane-a1').map(done));
      expect((await claimAll()).map((x) => `${x.checkId}/${x.name}`)).toEqual(['c-lane-a2/scan:s1']);
    });

    test('a retried task waits for its backoff; a permanent failure cancels every dependent', async () => {
      await enqueue('c-fail');
      const scans = await claimAll();
      const s1 = scans.find((x) => x.name === 'scan:s1')!;
      const s2 = scans.find((x) => x.name === 'scan:s2')!;
      await settle(t.db, [{ task: s1, outcome: { type: 'retry', error: 'boom', delayMs: 60_000 } }]);
      expect(await claimAll()).toEqual([]);
      let rows = await q.tasksOf('c-fail', 1);
      expect(rows.find((r) => r.name === 'scan:s1')).toMatchObject({ state: 'queued', attempts: 1, lastError: 'boom' });
      await settle(t.db, [{ task: s2, outcome: { type: 'fail', error: 'bad repo' } }]);
      rows = await q.tasksOf('c-fail', 1);
      expect(rows.find((r) => r.name === 'scan:s2')!.state).toBe('failed');
      expect(rows.find((r) => r.name === 'output:s2:o1')!.state).toBe('cancelled');
      expect(rows.find((r) => r.name === 'notify:o1:n1')!.state).toBe('cancelled');
      expect(rows.find((r) => r.name === 'output:s1:o1')!.state).toBe('blocked');
      const events = await q.eventsOf(rows.map((r) => r.id));
      expect(events.map((e) => e.event).sort()).toEqual(['failed', 'retry']);
    });

    test('the last allowed attempt that fails becomes permanent', async () => {
      await t.db.tx((tx) => q.enqueue(tx, 'c-max', 1, planJob({ scans: ['s'], outputs: [], notifications: [] }), { ...OPTS, maxAttempts: 1 }, 'h/acme/app'));
      const [task] = (await claimAll()).filter((x) => x.checkId === 'c-max');
      await settle(t.db, [{ task: task!, outcome: { type: 'retry', error: 'flaky', delayMs: 0 } }]);
      const [row] = await q.tasksOf('c-max', 1);
      // It says it gave up, not that it will retry.
      expect(row).toMatchObject({ state: 'failed', lastError: 'failed after 1 attempt: flaky' });
      expect(await q.eventsOf([row!.id])).toMatchObject([{ event: 'failed', message: 'failed after 1 attempt: flaky' }]);
    });

    test('an expired lease is re-queued and the late owner cannot settle it', async () => {
      await t.db.tx((tx) => q.enqueue(tx, 'c-lease', 1, planJob({ scans: ['s'], outputs: [], notifications: [] }), OPTS, 'h/acme/app'));
      const [task] = (await q.claim('dead-worker', 10, 1)).filter((x) => x.checkId === 'c-lease');
      await Bun.sleep(20);
      expect(await q.reapExpired()).toBeGreaterThanOrEqual(1);
      const [again] = (await claimAll('w2')).filter((x) => x.checkId === 'c-lease');
      expect(again!.attempt).toBe(2);
      const late = await settle(t.db, [done(task!)]);
      expect(late.applied).toHaveLength(0);
      const lost = await q.heartbeat([task!], 30_000);
      expect(lost.has(task!.id)).toBe(true);
      const ok = await settle(t.db, [done(again!)]);
      expect(ok.applied).toHaveLength(1);
      const events = await q.eventsOf([task!.id]);
      expect(events.map((e) => e.event)).toEqual(['lease_expired']);
    });

    test('reschedule and release do not use up attempts', async () => {
      await t.db.tx((tx) => q.enqueue(tx, 'c-rl', 1, planJob({ scans: ['s'], outputs: [], notifications: [] }), OPTS, 'h/acme/app'));
      const [task] = (await claimAll()).filter((x) => x.checkId === 'c-rl');
      await settle(t.db, [{ task: task!, outcome: { type: 'reschedule', reason: 'rate limited', delayMs: 0 } }]);
      const [again] = (await claimAll()).filter((x) => x.checkId === 'c-rl');
      expect(again!.attempt).toBe(1);
      await settle(t.db, [{ task: again!, outcome: { type: 'release' } }]);
      const [third] = (await claimAll()).filter((x) => x.checkId === 'c-rl');
      expect(third!.attempt).toBe(1);
    });
  });
}
