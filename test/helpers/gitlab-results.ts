/** Shared by the tests of results written back to GitLab: the workflow with the gitlab notifier and small helpers. */
import { expect } from 'bun:test';
import type { FakeJob } from '../fakes/gitlab-rest/state.ts';
import { HEADERS, mrPayload, pushPayload, ZERO } from './payloads.ts';
import { fakeAwsKey } from './secrets.ts';
import type { World } from './world.ts';

export const PUBLIC_URL = 'http://secbot.test';

export const GITLAB_CONFIG = `
version: "1.0"
components:
  gitleaks:
    handler_name: gitleaks
    config: { mode: diff, timeout_seconds: 120 }
  defectdojo:
    handler_name: defectdojo
    env: { url: DEFECTDOJO__URL, secret_key: DEFECTDOJO__TOKEN, user: DEFECTDOJO__USER, lead_id: DEFECTDOJO__USER_ID }
  gitlab:
    handler_name: gitlab
    config: { status_name: secbot, rate_limit_seconds: 1 }
jobs:
  - name: secrets
    rules: { gitlab: { event_type: "push|tag_push|merge_request" } }
    scans: [gitleaks]
    outputs: [defectdojo]
    notifications: [gitlab]
`;

export const GITLAB_ENV = {
  SECBOT_PUBLIC_URL: PUBLIC_URL,
  SECBOT_REEVALUATE_INTERVAL_MS: '1000',
  SECBOT_WORKER_CONCURRENCY: '1',
};

/** SecBot's visible status on a pipeline (not retried), if any. */
export function statusOn(w: World, projectId: number, sha: string, pipelineId: number): FakeJob | undefined {
  return w.gitlab.rest.statuses(projectId, sha).find((j) => j.pipelineId === pipelineId && j.name.startsWith('secbot'));
}

/**
 * No target was sent the same state and description twice in a row (GitLab would create a needless job, or answer
 * 400). Posts are grouped by where they went: a pipeline, else the ref.
 */
export function repeatedPosts(w: World, projectId: number, sha: string): string[] {
  const last = new Map<string, string>();
  const repeats: string[] = [];
  for (const p of w.gitlab.rest.statusPosts(projectId, sha)) {
    if (p._status !== 201) continue;
    const where = p.pipeline_id !== undefined ? `pipeline:${p.pipeline_id}` : `ref:${String(p.ref)}`;
    const what = `${String(p.state)}|${String(p.description)}`;
    if (last.get(where) === what) repeats.push(`${where} ${what}`);
    last.set(where, what);
  }
  return repeats;
}

export function bodyOf(w: World, projectId: number, iid: number): string[] {
  return w.gitlab.rest.notes(projectId, iid).filter((n) => n.authorId === w.botUserId).map((n) => n.body);
}

/**
 * The merge request story, for the in-process and the binary tests: push → pending → failed; the MR event that comes
 * after the push (`exists`) links the MR: failed on its head pipeline and one note; triage → success without a push;
 * SecBot restarted; a new MR commit → the one note is edited; no state posted twice; no quick action.
 */
export async function mergeRequestScenario(w: World, path: string, PID: number, restart: () => Promise<void>): Promise<void> {
  const push = (before: string, after: string, branch: string) =>
    w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path, before, after, branch, projectId: PID }));
  const mrEvent = (iid: number, head: string, action = 'open', oldrev?: string) =>
    w.deliver(HEADERS.mr, mrPayload({ gitlabUrl: w.gitlab.url, path, iid, action, source: 'feature', target: 'main', head, oldrev, projectId: PID }));
  const repo = w.apiProject(path, PID);
  const base = repo.commit({ files: { 'README.md': '# app\n' }, message: 'init' });
  // The base check holds the only worker slot while the leak's check waits: its `pending` is visible.
  w.gitlab.holdNext(2, 1500);
  await push(ZERO, base, 'main');
  repo.branch('feature', base);
  const secret = fakeAwsKey();
  const leak = repo.commit({ files: { 'conf/app.env': `AWS_ACCESS_KEY_ID=${secret}\n` }, message: 'config', branch: 'feature' });
  await push(ZERO, leak, 'feature');
  const leakId = w.checkId(path, leak);
  await w.until(() => w.gitlab.rest.statusPosts(PID, leak).length > 0, 10_000, 'a first status');
  expect(w.gitlab.rest.statusPosts(PID, leak)[0]).toMatchObject({ state: 'pending', name: 'secbot', target_url: `${PUBLIC_URL}/checks/${leakId}` });
  expect(w.gitlab.rest.statuses(PID, leak)[0]).toMatchObject({ status: 'pending', ref: 'feature' });

  const st = await w.expectFinal(leakId, 'fail', 30_000);
  await w.until(() => w.gitlab.rest.statuses(PID, leak)[0]?.status === 'failed', 10_000, 'failed on the branch');
  // In order, each at most once: pending, running (unless the check finished before a sync saw it run), failed.
  const states = w.gitlab.rest.statusPosts(PID, leak).map((p) => String(p.state));
  expect([['pending', 'running', 'failed'], ['pending', 'failed']] as string[][]).toContainEqual(states);

  // GitLab opens the MR with a CI pipeline of its own; the MR event comes after the push: `exists`.
  const mr = w.gitlab.rest.upsertMergeRequest({ projectId: PID, iid: 7, sha: leak, source: 'feature' });
  const ci = w.gitlab.rest.addCiPipeline({ projectId: PID, sha: leak, ref: 'refs/merge-requests/7/head', jobs: ['test'], mr, source: 'merge_request_event' });
  expect((await (await mrEvent(7, leak)).json()).status).toBe('exists');
  await w.until(() => statusOn(w, PID, leak, ci.id)?.status === 'failed', 10_000, 'failed on the MR head pipeline');
  expect(w.gitlab.rest.pipelineStatus(ci.id)).toBe('failed');
  await w.until(() => bodyOf(w, PID, 7).length === 1, 10_000, 'the note');
  const note = bodyOf(w, PID, 7)[0]!;
  expect(note).toContain('1 open secret finding');
  expect(note).toMatch(/\| High \| `aws-access-token` \| `conf\/app\.env:1` \| `[0-9a-f]{8}` \| open \| \[finding \d+\]\(http/);
  expect(note).not.toContain(secret);

  // Triage in DefectDojo: the status and the note follow without a push (interval 1 s).
  w.dojo.triage(Number(st.findings[0].url.split('/').pop()), { false_p: true, active: false });
  await w.until(() => statusOn(w, PID, leak, ci.id)?.status === 'success', 15_000, 'success after triage');
  await w.until(() => bodyOf(w, PID, 7)[0]?.includes('no open secret findings') === true, 10_000, 'note after triage');
  expect(w.gitlab.rest.notes(PID, 7)).toHaveLength(1);

  // A new commit on the MR (push, then GitLab's MR update event), with SecBot restarted in between.
  const leak2 = repo.commit({ files: { 'conf/second.env': `AWS_SECRET=${fakeAwsKey()}\n` }, message: 'more config', branch: 'feature' });
  await restart();
  const mr2 = w.gitlab.rest.upsertMergeRequest({ projectId: PID, iid: 7, sha: leak2, source: 'feature' });
  const ci2 = w.gitlab.rest.addCiPipeline({ projectId: PID, sha: leak2, ref: 'refs/merge-requests/7/head', jobs: ['test'], mr: mr2, source: 'merge_request_event' });
  await push(leak, leak2, 'feature');
  await mrEvent(7, leak2, 'update', leak);
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
}
