/**
 * Jobs are per event, checks per commit. When a commit's events route to different jobs, its check must answer for
 * all of them: a lax job that ran first (a push to a feature branch) must never stand in for the strict job a later
 * event routes to (the same commit pushed to main), whatever the order, and also when both arrive at once. On SQLite
 * and Postgres, with the real scanner, the fake DefectDojo and the fake Slack.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DB_KINDS, tempDir } from '../helpers/db.ts';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { World } from '../helpers/world.ts';

const SLOW = 90_000;

/** Rules that match nothing: the "lax" scan component stands for any weaker policy (other rules, an allowlist). */
const laxRules = join(tempDir('secbot-lax-rules-'), 'lax.toml');
writeFileSync(laxRules, `title = "lax"\n[[rules]]\nid = "nothing"\nregex = '''never-matches-9f3b7c1e'''\n`);

const CONFIG = `
version: "1.0"
components:
  strict-scan:
    handler_name: gitleaks
    config: { mode: diff, timeout_seconds: 120 }
  lax-scan:
    handler_name: gitleaks
    config: { mode: diff, timeout_seconds: 120, rules: ${laxRules} }
  defectdojo:
    handler_name: defectdojo
    env: { url: DEFECTDOJO__URL, secret_key: DEFECTDOJO__TOKEN, user: DEFECTDOJO__USER, lead_id: DEFECTDOJO__USER_ID }
  slack:
    handler_name: slack
    config: { render_limit: 10, channels: [security-alerts] }
    env: { token: SLACK_TOKEN }
jobs:
  - name: main
    rules: { gitlab: { event_type: "push", ref: "refs/heads/main" } }
    scans: [strict-scan]
    outputs: [defectdojo]
    notifications: [slack]
    unscanned: fail
  - name: feature
    rules: { gitlab: { event_type: "push", ref: "refs/heads/feature/.*" } }
    scans: [lax-scan]
    outputs: [defectdojo]
    notifications: [slack]
`;

for (const kind of DB_KINDS) {
  describe(`a check answers for every job its commit's events routed to, on ${kind}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await World.start({ db: kind, config: CONFIG });
    });
    afterAll(async () => w.stop());

    const push = (path: string, branch: string, before: string, after: string) =>
      w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path, before, after, branch }));

    test('pushed to a feature branch first (lax job: success), then to main: widened, and the strict job fails it', async () => {
      const repo = w.repo('acme/feature-first');
      const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
      const leak = repo.commit({ files: { 'prod.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'config' });
      const id = w.checkId('acme/feature-first', leak);

      const first = await (await push('acme/feature-first', 'feature/x', base, leak)).json();
      expect(first).toMatchObject({ status: 'accepted', job: 'feature' });
      expect((await w.expectFinal(id, 'success', 60_000)).check.job).toBe('feature');

      const second = await (await push('acme/feature-first', 'main', base, leak)).json();
      expect(second).toMatchObject({ status: 'widened', job: 'main', security_check_id: id });
      const st = await w.expectFinal(id, 'fail', 60_000);
      expect(st.check.job).toBe('feature, main');
      expect(st.findings.map((f: { rule: string }) => f.rule)).toEqual(['aws-access-token']);

      // The same commit in other events routed to either job: the check already runs both.
      expect(await (await push('acme/feature-first', 'main', 'c'.repeat(40), leak)).json()).toMatchObject({ status: 'exists' });
      expect(await (await push('acme/feature-first', 'feature/y', base, leak)).json()).toMatchObject({ status: 'exists' });
      await w.until(() => w.slack.messages.length >= 1, 20_000, 'the Slack message');
    }, SLOW);

    test("the strict job's unscanned: fail applies once its event arrives, after the lax job answered success", async () => {
      const repo = w.repo('acme/unscanned');
      const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
      const bin = repo.commit({ files: { 'tool.bin': 'MZ\0\0binary\0' }, message: 'a binary' });
      const id = w.checkId('acme/unscanned', bin);
      await push('acme/unscanned', 'feature/bin', base, bin);
      expect((await w.expectFinal(id, 'success', 60_000)).check.job).toBe('feature');
      expect(await (await push('acme/unscanned', 'main', base, bin)).json()).toMatchObject({ status: 'widened' });
      const st = await w.expectFinal(id, 'fail', 60_000);
      expect(st.reason).toContain('not scanned (unscanned: fail)');
    }, SLOW);

    test('main first, then a feature branch: widened to both, still fail; the finding is announced once', async () => {
      const repo = w.repo('acme/main-first');
      const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
      const key = fakeAwsKey();
      const leak = repo.commit({ files: { 'prod.env': `AWS_ACCESS_KEY_ID=${key}\n` }, message: 'config' });
      const id = w.checkId('acme/main-first', leak);
      const announced = () => w.slack.messages.filter((m) => JSON.stringify(m).includes(leak.slice(0, 8))).length;

      await push('acme/main-first', 'main', base, leak);
      await w.expectFinal(id, 'fail', 60_000);
      await w.until(() => announced() === 1, 20_000, 'the first announcement');
      expect(await (await push('acme/main-first', 'feature/z', base, leak)).json()).toMatchObject({ status: 'widened' });
      const st = await w.expectFinal(id, 'fail', 60_000);
      expect(st.check.job).toBe('main, feature');
      await w.until(async () => (await w.status(id)).notifications.every((n: { state: string }) => n.state === 'done'), 20_000, 'notifications done');
      // The second generation holds the same leak as its own: neither imported twice nor announced again. The lax
      // scan added by the feature job has a DefectDojo test of its own (one per check and scan).
      expect(announced()).toBe(1);
      const tagged = (scan: string) => w.dojo.state.tests.filter((t) => t.tags.includes(id.toLowerCase()) && t.tags.includes(`secbot-scan:${scan}`));
      expect([tagged('strict-scan').length, tagged('lax-scan').length]).toEqual([1, 1]);
    }, SLOW);

    test('both events at once: whichever is stored first, the check ends up running both jobs', async () => {
      for (let round = 0; round < 3; round++) {
        const path = `acme/race-${round}`;
        const repo = w.repo(path);
        const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
        const leak = repo.commit({ files: { 'prod.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'config' });
        const answers = await Promise.all([push(path, 'feature/r', base, leak), push(path, 'main', base, leak)].map(async (r) => (await r).json()));
        expect(answers.map((a) => a.status).sort()).toEqual(['accepted', 'widened']);
        const st = await w.expectFinal(w.checkId(path, leak), 'fail', 60_000);
        expect(st.check.job.split(', ').sort()).toEqual(['feature', 'main']);
      }
    }, SLOW);
  });
}
