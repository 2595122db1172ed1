/**
 * Retention (issue 13, item 8), on SQLite and Postgres: finished checks older than SECBOT_RETENTION_DAYS go with
 * their tasks, events, results and notification ledger; the gate then says so instead of a bare `not_started`;
 * unfinished checks stay; old deliveries go; and what later verdicts rest on — coverage, leaks, triage state — stays,
 * so a new push on top of a pruned leaking commit still fails.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { sql } from 'drizzle-orm';
import { loadSettings } from '../../src/config/settings.ts';
import type { Db } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open.ts';
import { PublicationStore } from '../../src/db/publications.ts';
import { RetentionStore } from '../../src/db/retention.ts';
import { createLogger } from '../../src/log/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { Housekeeping } from '../../src/services/housekeeping.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { HEADERS, pushPayload, ZERO } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { World } from '../helpers/world.ts';

const DAY = 86_400_000;

async function count(db: Db, table: string, where = sql`1 = 1`): Promise<number> {
  const rows = await db.all<{ n: number }>(sql`SELECT COUNT(*) AS n FROM ${sql.raw(table)} WHERE ${where}`);
  return Number(rows[0]!.n);
}

for (const kind of DB_KINDS) {
  describe(`retention on ${kind}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await World.start({ db: kind, env: { SECBOT_PRUNE_INTERVAL_MS: '0' } });
    });
    afterAll(async () => w.stop());

    test('old finished checks go, unfinished ones and project knowledge stay; the gate says what happened', async () => {
      const repo = w.repo('acme/retained');
      const leak = repo.commit({ files: { 'k.env': `K=${fakeAwsKey()}\n` }, message: 'leak' });
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/retained', before: ZERO, after: leak }));
      const leakId = w.checkId('acme/retained', leak);
      expect((await w.waitFinal(leakId)).status).toBe('fail');
      await w.until(async () => (await w.status(leakId)).notifications.every((n: { state: string }) => n.state === 'done'), 15_000, 'notified');
      // A check that never started (no worker): it must survive any retention.
      await w.stopInProcess();
      await w.startInProcess(['intake', 'results']);
      const waiting = repo.commit({ files: { 'w.txt': 'w\n' }, message: 'waits' });
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/retained', before: leak, after: waiting }));
      await w.stopInProcess();

      const settings = loadSettings(w.env);
      const db = openDatabase(settings.databaseUrl);
      // What the gitlab notifier keeps per check (its outbox row, statuses set, the MR it heads) goes with the check.
      const publications = new PublicationStore(db);
      await db.tx((tx) => publications.recordEvent(tx, { checkId: leakId, publishers: ['gitlab'], mergeRequest: { projectId: 1, iid: 2 } }));
      await publications.saveStatus(leakId, 'gitlab', { target: 'commit', name: 'secbot', state: 'failed', description: 'x', pipelineId: 7 });
      const before = { tasks: await count(db, 'tasks'), leaks: await count(db, 'leaks'), coverage: await count(db, 'coverage') };
      expect(before.leaks).toBe(1);
      const metrics = createMetrics();
      const hk = new Housekeeping({
        retention: new RetentionStore(db, new TaskQueue(db)),
        settings: { retention: { checkDays: 90, deliveryDays: 30, pruneIntervalMs: 0 } },
        metrics,
        logger: createLogger({ level: 'error' }),
      });
      await hk.runOnce(Date.now() + 10 * DAY);
      expect(await count(db, 'checks')).toBe(2);
      await hk.runOnce(Date.now() + 91 * DAY);
      expect(await count(db, 'checks')).toBe(1);
      expect(await count(db, 'checks', sql`commit_sha = ${waiting}`)).toBe(1);
      expect(await count(db, 'tasks', sql`check_id = ${leakId}`)).toBe(0);
      expect(await count(db, 'task_events')).toBe(0);
      for (const t of ['scan_results', 'output_results', 'notifications', 'check_leaks', 'publications', 'published_statuses', 'check_merge_requests']) {
        expect(await count(db, t, sql`check_id = ${leakId}`)).toBe(0);
      }
      expect(await count(db, 'deliveries')).toBe(0);
      expect({ leaks: await count(db, 'leaks'), coverage: await count(db, 'coverage') }).toEqual({ leaks: before.leaks, coverage: before.coverage });
      expect(await count(db, 'leak_outputs')).toBeGreaterThan(0);
      expect(await metrics.registry.render()).toContain('secbot_pruned_total{what="checks"} 1');
      await db.close();

      await w.startInProcess(['intake', 'results', 'worker']);
      const gone = await w.status(leakId);
      expect(gone.status).toBe('not_started');
      expect(gone.reason).toContain('removed by retention');
      expect(gone.reason).toContain('"fail"');
      // The waiting check runs now, and still inherits the pruned check's leak.
      const st = await w.expectFinal(w.checkId('acme/retained', waiting), 'fail');
      expect(st.findings[0]).toMatchObject({ commit: leak, inherited: true });
    });
  });
}
