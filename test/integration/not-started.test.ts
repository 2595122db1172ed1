/**
 * `not_started` with a reason (issue 15): when SecBot knows the commit will never be checked — a prefix no instance
 * has, an event no job matches — the gate says so at once, instead of a pipeline waiting until its timeout.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DB_KINDS } from '../helpers/db.ts';
import { HEADERS, mrPayload, pushPayload, ZERO } from '../helpers/payloads.ts';
import { DEFAULT_CONFIG, World } from '../helpers/world.ts';

const PUSH_ONLY = DEFAULT_CONFIG.replace('event_type: "push|tag_push|merge_request"', 'event_type: "push"');

for (const kind of DB_KINDS) {
  describe(`not_started with a reason on ${kind}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await World.start({ db: kind, config: PUSH_ONLY });
    });
    afterAll(async () => w.stop());

    test('an event no job matches: the gate names the event and the project', async () => {
      const repo = w.repo('acme/mr-only');
      const base = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
      repo.branch('feat', base);
      const head = repo.commit({ files: { 'b.txt': 'b\n' }, message: 'b', branch: 'feat' });
      const res = await w.deliver(HEADERS.mr, mrPayload({ gitlabUrl: w.gitlab.url, path: 'acme/mr-only', iid: 3, action: 'open', source: 'feat', target: 'main', head }));
      expect((await res.json()).status).toBe('ignored');
      const st = await w.status(w.checkId('acme/mr-only', head));
      expect(st.status).toBe('not_started');
      expect(st.reason).toContain('no job in config.yml matches merge_request events of acme/mr-only');
      // The commit is checked once an event a job covers arrives: the reason no longer applies.
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/mr-only', before: ZERO, after: head, branch: 'feat' }));
      expect((await w.waitFinal(w.checkId('acme/mr-only', head))).status).toBe('success');
    });

    test('a prefix no instance has: the gate says which prefixes exist', async () => {
      const st = await w.status(`GIT_PROD_${'a'.repeat(64)}`);
      expect(st.status).toBe('not_started');
      expect(st.reason).toContain('prefix GIT_PROD is not configured (GITLAB_CONFIGS prefixes: GIT_LOCAL)');
    });

    test('an id nothing is known about has no reason (its event may still come)', async () => {
      const st = await w.status(w.checkId('acme/unknown', 'c'.repeat(40)));
      expect(st).toEqual({ status: 'not_started', security_check_id: w.checkId('acme/unknown', 'c'.repeat(40)) });
    });
  });
}
