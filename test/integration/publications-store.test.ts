/**
 * The publication outbox on SQLite and Postgres: due rows are leased to one worker at a time, a sync clears the due
 * flag only if nothing changed meanwhile (and then forgets its state key), a back-off is not cut short by new
 * changes, and a named lease has one holder.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { sql } from 'drizzle-orm';
import { PublicationStore } from '../../src/db/publications.ts';
import { createTestDb, DB_KINDS, type TestDb } from '../helpers/db.ts';

for (const kind of DB_KINDS) {
  describe(`publication outbox on ${kind}`, () => {
    let t: TestDb;
    let store: PublicationStore;
    beforeAll(async () => {
      t = await createTestDb(kind);
      store = new PublicationStore(t.db);
    });
    afterAll(async () => t.drop());

    const record = (checkId: string, mr: { projectId: number; iid: number } | null = null) =>
      t.db.tx((tx) => store.recordEvent(tx, { checkId, publishers: ['gitlab'], mergeRequest: mr }));

    test('a due row goes to one worker; a sync that saw every change clears it and keeps its state key', async () => {
      await record('c1');
      const [a, b] = await Promise.all([store.claimDue('w1', 10, 60_000), store.claimDue('w2', 10, 60_000)]);
      expect([...a, ...b].filter((r) => r.checkId === 'c1')).toHaveLength(1);
      const row = [...a, ...b].find((r) => r.checkId === 'c1')!;
      const owner = a.includes(row) ? 'w1' : 'w2';
      await store.succeeded(row, owner, 'key-1');
      expect(await store.ofCheck('c1')).toEqual([expect.objectContaining({ dueAt: null, stateKey: 'key-1', attempts: 0 })]);
      expect(await store.hasDue()).toBe(false);
    });

    test('a change during the sync (an MR linked) keeps the row due and drops the state key', async () => {
      await record('c2');
      const [row] = await store.claimDue('w1', 10, 60_000);
      await record('c2', { projectId: 5, iid: 9 });
      await store.succeeded(row!, 'w1', 'key-old');
      const [after] = await store.ofCheck('c2');
      expect(after).toMatchObject({ stateKey: null });
      expect(after!.dueAt).not.toBeNull();
      expect(await store.openMergeRequests('c2', 'h')).toEqual([]);
      await t.db.run(sql`INSERT INTO checks (id, generation, state, event_type, host, project_path, commit_sha, ref_name, context, created_at, updated_at)
        VALUES ('c2', 1, 'planned', 'push', 'h', 'p/q', 'abc', 'main', '{}', 0, 0)`);
      expect(await store.openMergeRequests('c2', 'h')).toEqual([{ projectId: 5, iid: 9, checkIds: ['c2'] }]);
    });

    test('a failure backs off; new changes do not cut the back-off short; a held lease blocks another owner', async () => {
      await record('c3');
      const [row] = (await store.claimDue('w1', 10, 60_000)).filter((r) => r.checkId === 'c3');
      expect(await store.claimOne('c3', 'gitlab', 'task-1', 60_000)).toBeNull();
      await store.failed(row!, 'w1', 'GitLab rate-limited', 3_600_000);
      await store.markDue(t.db, ['c3']);
      const [after] = await store.ofCheck('c3');
      expect(after).toMatchObject({ attempts: 1, lastError: 'GitLab rate-limited' });
      expect(after!.dueAt! - Date.now()).toBeGreaterThan(3_000_000);
      expect((await store.claimDue('w2', 10, 60_000)).some((r) => r.checkId === 'c3')).toBe(false);
      expect(await store.claimOne('c3', 'gitlab', 'task-1', 60_000)).not.toBeNull();
    });

    test('a named lease has one holder until it lapses or is released', async () => {
      expect(await store.acquireLease('job', 'a', 60_000)).toBe(true);
      expect(await store.acquireLease('job', 'b', 60_000)).toBe(false);
      await store.releaseLease('job', 'a');
      expect(await store.acquireLease('job', 'b', 60_000)).toBe(true);
      expect(await store.acquireLease('job', 'a', 60_000)).toBe(false);
    });
  });
}
