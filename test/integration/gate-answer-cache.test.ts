/**
 * The results process serves a gate answer again from one statement while nothing it rests on changed
 * (src/services/answer-cache.ts, src/db/answer-rev.ts). With a long triage TTL, so answers stay cached, every write
 * that changes an answer must still show at the next poll: task changes, scan/output/notification rows, and above all
 * triage read back for a leak that other checks inherit (a success served from before a reopened finding, or a fail
 * served after triage lifted it, is what this guards against).
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { sql } from 'drizzle-orm';
import { CheckStore } from '../../src/db/checks.ts';
import type { Db } from '../../src/db/database.ts';
import { HistoryStore } from '../../src/db/history.ts';
import { openDatabase } from '../../src/db/open.ts';
import { ResultStore } from '../../src/db/results.ts';
import { createLogger } from '../../src/log/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { StatusService } from '../../src/services/status-service.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { World } from '../helpers/world.ts';

const ZERO = '0'.repeat(40);
let w: World | null = null;
let db: Db | null = null;
afterEach(async () => {
  await db?.close();
  db = null;
  await w?.stop();
  w = null;
});

/** The answer as a results process without any cache computes it now (no output can refresh: no DefectDojo call). */
async function fresh(d: Db, id: string) {
  const queue = new TaskQueue(d);
  const status = new StatusService({
    checks: new CheckStore(d, queue), results: new ResultStore(d), history: new HistoryStore(d), queue, policy: () => 'note',
    outputs: new Map(), ttlMs: 60_000, metrics: createMetrics(), logger: createLogger({ level: 'error', sink: () => {} }), refreshTimeoutMs: 1000,
  });
  return JSON.parse(JSON.stringify(await status.status(id)));
}

for (const kind of DB_KINDS) {
  describe(`gate answer cache on ${kind}`, () => {
    test('triage read back for an inherited leak changes every cached answer resting on it at once, both ways', async () => {
      w = await World.start({ db: kind, env: { SECBOT_GATE_CACHE_TTL_MS: '600000' } });
      const world = w;
      const repo = world.repo('acme/cache');
      const leak = repo.commit({ files: { 'k.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'leak' });
      await world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path: 'acme/cache', before: ZERO, after: leak }));
      const first = await world.waitFinal(world.checkId('acme/cache', leak));
      const clean = repo.commit({ files: { 'a.txt': 'clean\n' }, message: 'on top' });
      await world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path: 'acme/cache', before: leak, after: clean }));
      const cleanId = world.checkId('acme/cache', clean);
      expect(await world.waitFinal(cleanId)).toMatchObject({ status: 'fail', counts: { open_inherited: 1 } });
      expect(first.status).toBe('fail');
      // Polled again: answered from the cache (the TTL is far away).
      expect((await world.status(cleanId)).status).toBe('fail');

      // What a re-evaluation round (or another check's refresh) stores after reading DefectDojo: triaged away.
      db = openDatabase(world.env.SECBOT_DATABASE_URL!);
      const externalId = String(first.findings[0].url).split('/').pop()!;
      await new HistoryStore(db).updateStates('defectdojo', [{ externalId, open: false }]);
      expect(await world.status(cleanId)).toMatchObject({ status: 'success', counts: { open: 0 } });
      expect(await world.status(first.security_check_id)).toMatchObject({ status: 'success' });

      // Reopened: both fail again at once.
      await new HistoryStore(db).updateStates('defectdojo', [{ externalId, open: true }]);
      expect(await world.status(cleanId)).toMatchObject({ status: 'fail', counts: { open_inherited: 1 } });
      expect(await world.status(first.security_check_id)).toMatchObject({ status: 'fail' });
    }, 60_000);

    test('polled all along, the answer equals a fresh computation once the notification is sent', async () => {
      w = await World.start({ db: kind, env: { SECBOT_GATE_CACHE_TTL_MS: '600000' } });
      const world = w;
      const repo = world.repo('acme/poll');
      const head = repo.commit({ files: { 'k.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'leak' });
      const id = world.checkId('acme/poll', head);
      const seen = new Set<string>();
      const polling = (async () => {
        for (let i = 0; i < 400 && !seen.has('done'); i++) {
          const st = await world.status(id);
          seen.add(`${st.status}:${st.reason}`);
          if (st.notifications?.[0]?.state === 'done') seen.add('done');
          await Bun.sleep(10);
        }
      })();
      await world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path: 'acme/poll', before: ZERO, after: head }));
      await polling;
      db = openDatabase(world.env.SECBOT_DATABASE_URL!);
      const answer = await world.status(id);
      expect(answer.notifications[0]).toMatchObject({ state: 'done', channels: [{ state: 'sent' }] });
      expect(answer).toEqual(await fresh(db, id));
      expect([...seen].some((s) => s.startsWith('in_progress:'))).toBe(true);
    }, 60_000);

    test('a write an answer reads without the check or its tasks changing still shows (a notification ledger row)', async () => {
      w = await World.start({ db: kind, env: { SECBOT_GATE_CACHE_TTL_MS: '600000' } });
      const world = w;
      const repo = world.repo('acme/ledger');
      const head = repo.commit({ files: { 'k.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'leak' });
      await world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path: 'acme/ledger', before: ZERO, after: head }));
      const id = world.checkId('acme/ledger', head);
      await world.waitFinal(id);
      await world.until(async () => (await world.status(id)).notifications[0].state === 'done', 15_000, 'the notification');
      db = openDatabase(world.env.SECBOT_DATABASE_URL!);
      const before = await db.all<{ rev: number }>(sql`SELECT rev FROM checks WHERE id = ${id}`);
      await new ResultStore(db).setNotification({ checkId: id, generation: 1, output: 'defectdojo', notifier: 'slack', channel: 'security-alerts' }, 'failed', 'test');
      const after = await db.all<{ rev: number }>(sql`SELECT rev FROM checks WHERE id = ${id}`);
      expect(Number(after[0]!.rev)).toBeGreaterThan(Number(before[0]!.rev));
      expect((await world.status(id)).notifications[0].channels[0]).toMatchObject({ state: 'failed', detail: 'test' });
    }, 60_000);
  });
}
