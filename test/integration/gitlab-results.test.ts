/**
 * Results written back to GitLab, the whole way (SecBot in-process, real git and gitleaks, fake DefectDojo, the GitLab
 * REST fake), on SQLite and Postgres: the status goes pending → running → failed and lands on the merge request's
 * head pipeline; the MR event that arrives after the push (answered `exists`) links the MR; one note; triage turns
 * status and note to success without a push; a new MR commit edits the note; a restart keeps one note; a refused
 * status (protected branch) is posted once the role allows it; re-evaluation runs once per interval across workers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { sql } from 'drizzle-orm';
import { PublicationStore } from '../../src/db/publications.ts';
import { openDatabase } from '../../src/db/open.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { bodyOf, GITLAB_CONFIG, GITLAB_ENV, PUBLIC_URL, repeatedPosts, statusOn } from '../helpers/gitlab-results.ts';
import { HEADERS, mrPayload, pushPayload, ZERO } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { World } from '../helpers/world.ts';

const SLOW = 90_000;

for (const kind of DB_KINDS) {
  describe(`GitLab results on ${kind}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await World.start({ db: kind, config: GITLAB_CONFIG, env: GITLAB_ENV });
    });
    afterAll(async () => w.stop());

    const push = (path: string, id: number, before: string, after: string, branch: string) =>
      w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path, before, after, branch, projectId: id }));
    const mrEvent = (path: string, id: number, iid: number, head: string, action = 'open', oldrev?: string) =>
      w.deliver(HEADERS.mr, mrPayload({ gitlabUrl: w.gitlab.url, path, iid, action, source: 'feature', target: 'main', head, oldrev, projectId: id }));

    test('push → pending → failed; the later MR event links the MR: status on its head pipeline and one note; triage → success; a new MR commit edits the note; restart → still one note', async () => {
      const path = 'acme/gl-flow';
      const PID = 101;
      const repo = w.apiProject(path, PID);
      const base = repo.commit({ files: { 'README.md': '# app\n' }, message: 'init' });
      // The base check holds the only worker slot while the leak's check waits: its `pending` is visible.
      w.gitlab.holdNext(2, 1500);
      await push(path, PID, ZERO, base, 'main');
      repo.branch('feature', base);
      const leak = repo.commit({ files: { 'conf/app.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'config', branch: 'feature' });
      await push(path, PID, ZERO, leak, 'feature');
      const leakId = w.checkId(path, leak);
      await w.until(() => w.gitlab.rest.statusPosts(PID, leak).length > 0, 10_000, 'a first status');
      expect(w.gitlab.rest.statusPosts(PID, leak)[0]).toMatchObject({ state: 'pending', ref: 'feature', name: 'secbot', target_url: `${PUBLIC_URL}/checks/${leakId}` });

      const st = await w.waitFinal(leakId, 30_000);
      expect(st.status).toBe('fail');
      await w.until(() => w.gitlab.rest.statuses(PID, leak)[0]?.status === 'failed', 10_000, 'failed on the branch');
      // In order, each at most once: pending, running (unless the check finished before a sync saw it run), failed.
      const states = w.gitlab.rest.statusPosts(PID, leak).map((p) => p.state);
      expect([['pending', 'running', 'failed'], ['pending', 'failed']]).toContainEqual(states);

      // GitLab opens the MR with a CI pipeline of its own; the MR event comes after the push: `exists`.
      const mr = w.gitlab.rest.upsertMergeRequest({ projectId: PID, iid: 7, sha: leak, source: 'feature' });
      const ci = w.gitlab.rest.addCiPipeline({ projectId: PID, sha: leak, ref: 'refs/merge-requests/7/head', jobs: ['test'], mr, source: 'merge_request_event' });
      expect((await (await mrEvent(path, PID, 7, leak)).json()).status).toBe('exists');
      await w.until(() => statusOn(w, PID, leak, ci.id)?.status === 'failed', 10_000, 'failed on the MR head pipeline');
      expect(w.gitlab.rest.pipelineStatus(ci.id)).toBe('failed');
      await w.until(() => bodyOf(w, PID, 7).length === 1, 10_000, 'the note');
      const note = bodyOf(w, PID, 7)[0]!;
      expect(note).toContain('1 open secret finding');
      expect(note).toMatch(/\| High \| `aws-access-token` \| `conf\/app\.env:1` \| `[0-9a-f]{8}` \| open \| \[finding \d+\]\(http/);
      expect(note).not.toContain(st.findings[0].file === 'conf/app.env' ? 'AKIA' : 'never');

      // Triage in DefectDojo: the status and the note follow without a push (interval 1 s).
      w.dojo.triage(Number(st.findings[0].url.split('/').pop()), { false_p: true, active: false });
      await w.until(() => statusOn(w, PID, leak, ci.id)?.status === 'success', 15_000, 'success after triage');
      await w.until(() => bodyOf(w, PID, 7)[0]?.includes('no open secret findings') === true, 10_000, 'note after triage');
      expect(w.gitlab.rest.notes(PID, 7)).toHaveLength(1);

      // A new commit on the MR (push, then GitLab's MR update event), with SecBot restarted in between.
      await w.stopInProcess();
      const leak2 = repo.commit({ files: { 'conf/second.env': `AWS_SECRET=${fakeAwsKey()}\n` }, message: 'more config', branch: 'feature' });
      await w.startInProcess(['intake', 'results', 'worker']);
      const mr2 = w.gitlab.rest.upsertMergeRequest({ projectId: PID, iid: 7, sha: leak2, source: 'feature' });
      const ci2 = w.gitlab.rest.addCiPipeline({ projectId: PID, sha: leak2, ref: 'refs/merge-requests/7/head', jobs: ['test'], mr: mr2, source: 'merge_request_event' });
      await push(path, PID, leak, leak2, 'feature');
      await mrEvent(path, PID, 7, leak2, 'update', leak);
      expect((await w.waitFinal(w.checkId(path, leak2), 30_000)).status).toBe('fail');
      await w.until(() => statusOn(w, PID, leak2, ci2.id)?.status === 'failed', 10_000, 'failed on the new head pipeline');
      await w.until(() => bodyOf(w, PID, 7)[0]?.includes(leak2.slice(0, 8)) === true && bodyOf(w, PID, 7)[0]!.includes('1 open secret finding'), 10_000, 'note of the new head');
      expect(w.gitlab.rest.notes(PID, 7)).toHaveLength(1);
      // The first finding (triaged) was found by an earlier head of this MR: it is listed as the MR's own.
      expect(bodyOf(w, PID, 7)[0]).toContain('**Found in this merge request** (1 open, 1 triaged)');
      expect(statusOn(w, PID, leak, ci.id)?.status).toBe('success');
      expect(repeatedPosts(w, PID, leak)).toEqual([]);
      expect(repeatedPosts(w, PID, leak2)).toEqual([]);
      expect(w.gitlab.rest.state.quickActions).toEqual([]);
      expect(w.gitlab.rest.state.unexpected).toEqual([]);
    }, SLOW);

    test('a status refused on a protected branch is reported on the check page and posted once the role allows it', async () => {
      const path = 'acme/gl-protected';
      const PID = 102;
      const repo = w.apiProject(path, PID);
      w.gitlab.rest.protect(PID, 'main');
      const c = repo.commit({ files: { 'k.env': `K=${fakeAwsKey()}\n` }, message: 'leak on main' });
      await push(path, PID, ZERO, c, 'main');
      const id = w.checkId(path, c);
      await w.waitFinal(id, 30_000);
      await w.until(async () => (await (await fetch(`${w.resultsUrl}/checks/${id}`)).text()).includes('protected branch needs Maintainer'), 10_000, 'the refusal on the page');
      expect(w.gitlab.rest.statuses(PID, c)).toHaveLength(0);
      w.gitlab.rest.setRole(PID, w.botUserId, 'maintainer');
      await w.until(() => w.gitlab.rest.statuses(PID, c)[0]?.status === 'failed', 15_000, 'posted after the role changed');
    }, SLOW);

    test('re-evaluation: one lease holder per interval across workers, bounded to young checks, visible in metrics', async () => {
      const metrics = () => fetch(`${w.intakeUrl}/metrics`).then((r) => r.text());
      await w.until(async () => /secbot_reevaluation_requests_total\{output="defectdojo",outcome="ok"\} [1-9]/.test(await metrics()), 10_000, 'a round');
      const text = await metrics();
      expect(text).toMatch(/secbot_reevaluation_runs_total\{outcome="done"\} [1-9]/);
      expect(text).toMatch(/secbot_reevaluation_findings_total\{output="defectdojo"\} [1-9]/);
      expect(text).toMatch(/secbot_publication_writes_total\{notifier="gitlab"\} [1-9]/);
      const db = openDatabase(w.env.SECBOT_DATABASE_URL!);
      try {
        const store = new PublicationStore(db);
        expect(await store.acquireLease('reevaluate-test', 'worker-a', 60_000)).toBe(true);
        expect(await store.acquireLease('reevaluate-test', 'worker-b', 60_000)).toBe(false);
        expect(await store.acquireLease('reevaluate-test', 'worker-a', 60_000)).toBe(true);
        await db.run(sql`UPDATE leases SET until = 0 WHERE name = 'reevaluate-test'`);
        expect(await store.acquireLease('reevaluate-test', 'worker-b', 60_000)).toBe(true);
        const before = (await store.reevaluationCandidates(14 * 86_400_000, 100)).map((c) => c.id);
        expect(before.length).toBeGreaterThan(0);
        await db.run(sql`UPDATE checks SET created_at = created_at - ${15 * 86_400_000}`);
        expect(await store.reevaluationCandidates(14 * 86_400_000, 100)).toEqual([]);
      } finally {
        await db.close();
      }
    }, SLOW);
  });
}
