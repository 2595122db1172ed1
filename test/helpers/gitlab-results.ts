/** Shared by the tests of results written back to GitLab: the workflow with the gitlab notifier and small helpers. */
import type { FakeJob } from '../fakes/gitlab-rest/state.ts';
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
