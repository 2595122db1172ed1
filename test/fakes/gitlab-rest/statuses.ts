/**
 * `POST /projects/:id/statuses/:sha` as GitLab implements it (REST.md §3): parameter validation, ref resolution,
 * pipeline selection or creation (a first external status creates a pipeline, which becomes the head pipeline of an
 * MR that has none), the empty pipeline left behind by refused requests, protected-branch permissions, name
 * collisions with CI jobs, job reuse only for pending/running jobs of the same name, ref and user, the state machine's
 * transition errors, and older same-name jobs marked retried.
 */
import { join } from 'node:path';
import { ROLE_RANK, type FakeJob, type FakePipeline, type FakeProject, type FakeUser, type RestState } from './state.ts';

export type Reply = { status: number; body: unknown; headers?: Record<string, string> };

const STATES = new Set(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']);
const ACTIVE = new Set(['pending', 'running']);
const EVENT_OF: Record<string, string> = { pending: 'enqueue', running: 'run', success: 'success', failed: 'drop', canceled: 'cancel', skipped: 'skip' };
/** Allowed transitions of a reused (pending or running) job; the rest answer 400 "Cannot transition". */
const ALLOWED: Record<string, Set<string>> = {
  pending: new Set(['running', 'success', 'failed', 'canceled', 'skipped']),
  running: new Set(['success', 'failed', 'canceled']),
};

function git(reposDir: string, project: FakeProject, args: string[]): { ok: boolean; out: string } {
  const r = Bun.spawnSync(['git', '--git-dir', join(reposDir, `${project.path}.git`), ...args], { stdout: 'pipe', stderr: 'pipe' });
  return { ok: r.exitCode === 0, out: r.stdout.toString() };
}

export function postStatus(st: RestState, reposDir: string, project: FakeProject, user: FakeUser, sha: string, p: Record<string, unknown>): Reply {
  if (!git(reposDir, project, ['cat-file', '-e', `${sha}^{commit}`]).ok) return { status: 404, body: { message: '404 Commit Not Found' } };
  const state = p.state;
  if (state === undefined) return { status: 400, body: { error: 'state is missing' } };
  if (typeof state !== 'string' || !STATES.has(state)) return { status: 400, body: { error: 'state does not have a valid value' } };
  const name = typeof p.name === 'string' ? p.name : typeof p.context === 'string' ? p.context : 'default';
  const role = project.members.get(user.id);
  if (!role || ROLE_RANK[role] < ROLE_RANK.developer) return { status: 403, body: { message: '403 Forbidden' } };
  const ref = resolveRef(st, reposDir, project, sha, p);
  if (!ref) return { status: 404, body: { message: '404 References for commit Not Found' } };
  let pipeline: FakePipeline | undefined;
  if (p.pipeline_id !== undefined) {
    pipeline = st.pipelines.find((x) => x.id === Number(p.pipeline_id) && x.projectId === project.id && x.sha === sha && (p.ref === undefined || x.ref === ref));
    if (!pipeline) return { status: 404, body: { message: '404 Pipeline for pipeline_id, sha and ref Not Found' } };
  } else {
    pipeline = newest(st, project.id, sha, ref) ?? createExternalPipeline(st, project, sha, ref);
  }
  // Validation and authorisation come after the pipeline exists: a refused request leaves it behind (REST §3.1.8).
  const invalid = validate(p);
  if (invalid) return { status: 400, body: { message: invalid } };
  if (project.protectedBranches.has(ref) && ROLE_RANK[role] < ROLE_RANK.maintainer) return { status: 403, body: { message: '403 Forbidden' } };
  if (st.jobs.some((j) => j.pipelineId === pipeline.id && j.kind === 'ci' && j.name === name)) {
    return { status: 400, body: { message: { name: ['has already been taken'] } } };
  }
  const reused = st.jobs.find((j) => j.pipelineId === pipeline.id && j.kind === 'external' && j.name === name && j.ref === ref && j.userId === user.id && !j.retried && ACTIVE.has(j.status));
  if (reused) {
    if (!ALLOWED[reused.status]!.has(state)) {
      const ev = EVENT_OF[state]!;
      return { status: 400, body: { message: `Cannot transition status via :${ev} from :${reused.status} (Reason(s): Status cannot transition via "${ev}")` } };
    }
    reused.status = state;
    if (typeof p.description === 'string') reused.description = p.description;
    if (typeof p.target_url === 'string') reused.targetUrl = p.target_url;
    return { status: 201, body: entity(reused, user) };
  }
  for (const old of st.jobs.filter((j) => j.pipelineId === pipeline.id && j.name === name && !j.retried)) old.retried = true;
  const job: FakeJob = {
    id: st.id(), pipelineId: pipeline.id, name, ref, sha, kind: 'external', status: state,
    description: typeof p.description === 'string' ? p.description : null,
    targetUrl: typeof p.target_url === 'string' ? p.target_url : null, userId: user.id, retried: false, createdAt: st.now(),
  };
  st.jobs.push(job);
  return { status: 201, body: entity(job, user) };
}

function resolveRef(st: RestState, reposDir: string, project: FakeProject, sha: string, p: Record<string, unknown>): string | null {
  if (typeof p.ref === 'string') return p.ref;
  if (p.pipeline_id !== undefined) {
    const pl = st.pipelines.find((x) => x.id === Number(p.pipeline_id));
    if (pl) return pl.ref;
  }
  const latest = newest(st, project.id, sha);
  if (latest) return latest.ref;
  const branches = git(reposDir, project, ['for-each-ref', '--contains', sha, '--format=%(refname:short)', 'refs/heads']).out.trim().split('\n').filter(Boolean);
  return branches[0] ?? null;
}

function newest(st: RestState, projectId: number, sha: string, ref?: string): FakePipeline | undefined {
  return st.pipelines
    .filter((x) => x.projectId === projectId && x.sha === sha && (ref === undefined || x.ref === ref))
    .sort((a, b) => b.id - a.id)
    .slice(0, 100)[0];
}

function createExternalPipeline(st: RestState, project: FakeProject, sha: string, ref: string): FakePipeline {
  const pl: FakePipeline = { id: st.id(), projectId: project.id, sha, ref, source: 'external', createdAt: Date.now() };
  st.pipelines.push(pl);
  for (const mr of st.mergeRequests) {
    if (mr.projectId === project.id && mr.sourceBranch === ref && mr.state === 'opened' && mr.headPipelineId === null && mr.sha === sha) mr.headPipelineId = pl.id;
  }
  return pl;
}

function validate(p: Record<string, unknown>): Record<string, string[]> | null {
  const errors: Record<string, string[]> = {};
  for (const f of ['description', 'target_url', 'ref'] as const) {
    if (typeof p[f] === 'string' && (p[f] as string).length > 255) errors[f] = ['is too long (maximum is 255 characters)'];
  }
  if (typeof p.target_url === 'string' && !/^https?:\/\//.test(p.target_url)) errors.target_url = ['is blocked: Only allowed schemes are http, https'];
  return Object.keys(errors).length > 0 ? errors : null;
}

function entity(j: FakeJob, user: FakeUser): Record<string, unknown> {
  return {
    id: j.id, sha: j.sha, ref: j.ref, status: j.status, name: j.name, target_url: j.targetUrl, description: j.description,
    created_at: j.createdAt, started_at: j.status === 'running' ? j.createdAt : null, finished_at: null, allow_failure: false,
    coverage: null, pipeline_id: j.pipelineId,
    author: { id: user.id, username: user.username, name: user.username, state: 'active', avatar_url: null, web_url: `https://gitlab.example/${user.username}` },
  };
}
