/**
 * Postgres writes a new check (delivery, check, task graph, publication rows, MR link) with one statement; anything
 * else goes the general way. The one statement must store exactly what the general path stores, and every other
 * outcome (a repeated delivery, a known commit, a re-run after an error) must be unchanged.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { sql } from 'drizzle-orm';
import type { CheckContext } from '../../src/core/check.ts';
import { planJob } from '../../src/core/planning.ts';
import { type AcceptInput, CheckStore } from '../../src/db/checks.ts';
import type { Db } from '../../src/db/database.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';

let t: TestDb;
beforeEach(async () => {
  t = await createTestDb('postgres');
});
afterEach(async () => {
  await t.drop();
});

const PLAN = { jobName: 'secrets', tasks: planJob({ scans: ['gitleaks'], outputs: ['defectdojo'], notifications: ['slack', 'gitlab'] }) };

function input(sha: string, o: Partial<AcceptInput> = {}): AcceptInput {
  const context = {
    eventType: 'merge_request', instancePrefix: 'T', host: 'gitlab.test', hostname: 'gitlab.test', projectPath: 'acme/app', projectId: 7,
    projectUrl: 'http://gitlab.test/acme/app', commitSha: sha, ref: { kind: 'branch', name: 'feat' }, beforeSha: null,
    mergeRequest: { iid: 3, sourceBranch: 'feat', targetBranch: 'main', title: 'x', action: 'open' }, userName: 'jsmith',
  } as unknown as CheckContext;
  return {
    checkId: `T_${sha.padEnd(64, '0')}`,
    deliveryKey: `key:${sha}`,
    context,
    plan: PLAN,
    enqueue: { maxAttempts: 5, timeoutMs: 60_000 },
    publication: { publishers: ['gitlab'], mergeRequest: { projectId: 7, iid: 3 } },
    ...o,
  };
}

/** Everything stored for a check, without ids and times. */
async function rowsOf(db: Db, checkId: string) {
  const q = async (s: ReturnType<typeof sql>) => (await db.all<Record<string, unknown>>(s)).map((r) => ({ ...r }));
  return {
    check: await q(sql`SELECT generation, state, error, event_type, host, project_path, commit_sha, ref_name, job_name, context,
      created_at = updated_at AS same_times, finished_at, verdict, rev FROM checks WHERE id = ${checkId}`),
    tasks: await q(sql`SELECT generation, name, kind, handler, payload, state, pending_parents, attempts, max_attempts, timeout_ms,
      fair_key, rev, lease_owner FROM tasks WHERE check_id = ${checkId} ORDER BY id`),
    deps: await q(sql`SELECT p.name AS parent, c.name AS child FROM task_deps d JOIN tasks p ON p.id = d.parent_id
      JOIN tasks c ON c.id = d.child_id WHERE p.check_id = ${checkId} ORDER BY 1, 2`),
    delivery: await q(sql`SELECT check_id = ${checkId} AS mine, event_type, outcome FROM deliveries WHERE check_id = ${checkId}`),
    publications: await q(sql`SELECT notifier, dirty > 0 AS dirty, due_at IS NOT NULL AS due, attempts, state_key FROM publications
      WHERE check_id = ${checkId}`),
    mergeRequests: await q(sql`SELECT project_id, mr_iid, state FROM check_merge_requests WHERE check_id = ${checkId}`),
  };
}

describe('Postgres intake in one statement', () => {
  test('a new check: the same rows as the general path, one statement, the queue told', async () => {
    const queue = new TaskQueue(t.db);
    const checks = new CheckStore(t.db, queue);
    const woken: string[] = [];
    const unsubscribe = await t.db.subscribe!('secbot_tasks', () => woken.push('work'));
    const statements: string[] = [];
    const counting: Db = { ...t.db, dialect: 'postgres', all: (q) => (statements.push('all'), t.db.all(q)), run: (q) => (statements.push('run'), t.db.run(q)), tx: (fn) => t.db.tx(fn) };
    const fast = await new CheckStore(counting, queue).accept(input('a1'));
    expect(fast).toMatchObject({ outcome: 'accepted', generation: 1, tasks: 4 });
    // The queue head is read once (then kept briefly) and the check written by one statement.
    expect(statements.length).toBeLessThanOrEqual(2);
    const general = await t.db.tx((tx) => (checks as unknown as { acceptIn(tx: Db, i: AcceptInput, now: number): Promise<unknown> }).acceptIn(tx, input('b2'), Date.now()));
    expect(general).toMatchObject({ outcome: 'accepted', generation: 1, tasks: 4 });
    const a = await rowsOf(t.db, input('a1').checkId);
    const b = await rowsOf(t.db, input('b2').checkId);
    b.check[0]!.context = (b.check[0]!.context as string).replaceAll('b2', 'a1');
    b.check[0]!.commit_sha = 'a1';
    expect(a).toEqual(b);
    expect(a.tasks.map((x) => x.state)).toEqual(['queued', 'blocked', 'blocked', 'blocked']);
    expect(a.deps).toHaveLength(3);
    expect(a.publications).toEqual([{ notifier: 'gitlab', dirty: true, due: true, attempts: 0, state_key: null }]);
    expect(a.mergeRequests).toEqual([{ project_id: 7, mr_iid: 3, state: 'open' }]);
    for (let i = 0; i < 50 && woken.length === 0; i++) await Bun.sleep(20);
    expect(woken.length).toBeGreaterThan(0);
    await unsubscribe();
  });

  test('a repeated delivery, a known commit and a re-run after an error keep their outcomes', async () => {
    const checks = new CheckStore(t.db, new TaskQueue(t.db));
    expect((await checks.accept(input('c3'))).outcome).toBe('accepted');
    expect((await checks.accept(input('c3'))).outcome).toBe('duplicate_delivery');
    const dirty = async () => Number((await t.db.all<{ d: number }>(sql`SELECT dirty AS d FROM publications WHERE check_id = ${input('c3').checkId}`))[0]!.d);
    const before = await dirty();
    expect((await checks.accept(input('c3', { deliveryKey: 'other' }))).outcome).toBe('exists');
    expect(await dirty()).toBeGreaterThan(before);
    const broken = input('d4', { plan: { error: 'two jobs match' } });
    expect(await checks.accept(broken)).toMatchObject({ outcome: 'accepted', recordedError: 'two jobs match', tasks: 0 });
    expect(await checks.accept(input('d4', { deliveryKey: 'again' }))).toMatchObject({ outcome: 'rerun', generation: 2, tasks: 4 });
    expect((await t.db.all(sql`SELECT 1 FROM deliveries`)).length).toBe(4);
  });
});
