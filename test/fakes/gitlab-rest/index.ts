/** The test-facing side of the fake GitLab REST API: arrange users, projects, MRs and pipelines; read what was written. */
import { RestState, type FakeJob, type FakeMergeRequest, type FakeNote, type FakePipeline, type Role } from './state.ts';

export { RestState } from './state.ts';
export { handleRest } from './routes.ts';

export class FakeGitlabRest {
  readonly state = new RestState();

  /** A user and one of their tokens (scopes: `api` by default). */
  addUser(username: string, token: string, scopes: string[] = ['api']): number {
    const user = { id: this.state.id(), username };
    this.state.users.set(user.id, user);
    this.state.tokens.set(token, { user, scopes });
    return user.id;
  }

  addProject(p: { id: number; path: string; members?: Record<number, Role>; protectedBranches?: string[] }): void {
    this.state.projects.set(p.id, {
      id: p.id, path: p.path, members: new Map(Object.entries(p.members ?? {}).map(([k, v]) => [Number(k), v])),
      protectedBranches: new Set(p.protectedBranches ?? []),
    });
  }

  setRole(projectId: number, userId: number, role: Role): void {
    this.state.projects.get(projectId)!.members.set(userId, role);
  }

  protect(projectId: number, branch: string, on = true): void {
    const b = this.state.projects.get(projectId)!.protectedBranches;
    if (on) b.add(branch);
    else b.delete(branch);
  }

  /** Opens (or moves the head of) a merge request, as a push to its source branch does. */
  upsertMergeRequest(m: { projectId: number; iid: number; sha: string; source: string; target?: string; state?: FakeMergeRequest['state'] }): FakeMergeRequest {
    let mr = this.state.mergeRequest(m.projectId, m.iid);
    if (!mr) {
      mr = { projectId: m.projectId, iid: m.iid, state: 'opened', sha: m.sha, sourceBranch: m.source, targetBranch: m.target ?? 'main', headPipelineId: null };
      this.state.mergeRequests.push(mr);
    }
    if (mr.sha !== m.sha) mr.headPipelineId = null;
    mr.sha = m.sha;
    mr.state = m.state ?? mr.state;
    return mr;
  }

  /** A CI pipeline with jobs (e.g. a job named like SecBot's status); it becomes the MR head pipeline when `mr` is given. */
  addCiPipeline(p: { projectId: number; sha: string; ref: string; jobs?: string[]; mr?: FakeMergeRequest; source?: FakePipeline['source'] }): FakePipeline {
    const pl: FakePipeline = { id: this.state.id(), projectId: p.projectId, sha: p.sha, ref: p.ref, source: p.source ?? 'push', createdAt: Date.now() };
    this.state.pipelines.push(pl);
    for (const name of p.jobs ?? []) {
      this.state.jobs.push({
        id: this.state.id(), pipelineId: pl.id, name, ref: p.ref, sha: p.sha, kind: 'ci', status: 'success', description: null,
        targetUrl: null, userId: null, retried: false, createdAt: this.state.now(),
      });
    }
    if (p.mr) p.mr.headPipelineId = pl.id;
    return pl;
  }

  addNote(n: { projectId: number; iid: number; body: string; authorId: number; system?: boolean; hidden?: boolean }): FakeNote {
    const note: FakeNote = {
      id: this.state.id(), projectId: n.projectId, iid: n.iid, body: n.body, authorId: n.authorId, system: n.system ?? false,
      hiddenFromApi: n.hidden ?? false, createdAt: this.state.now(), updatedAt: this.state.now(),
    };
    this.state.notes.push(note);
    return note;
  }

  /** The next n matching requests answer `status` with `body` (JSON text) and headers. */
  failNext(n: number, f: { status: number; body?: unknown; headers?: Record<string, string>; method?: string; path?: RegExp }): void {
    this.state.faults.push({
      remaining: n, status: f.status, body: typeof f.body === 'string' ? f.body : JSON.stringify(f.body ?? { message: `${f.status}` }),
      headers: f.headers, method: f.method, pathPattern: f.path,
    });
  }

  rateLimitNotes(n: number): void {
    this.state.notesRateLimited += n;
  }

  /** Visible external statuses (not retried) for a commit, newest first. */
  statuses(projectId: number, sha: string, opts: { all?: boolean } = {}): FakeJob[] {
    const pipelines = new Set(this.state.pipelines.filter((p) => p.projectId === projectId).map((p) => p.id));
    return this.state.jobs.filter((j) => pipelines.has(j.pipelineId) && j.sha === sha && j.kind === 'external' && (opts.all || !j.retried)).reverse();
  }

  /** Every status write SecBot made for a commit, in order. */
  statusPosts(projectId: number, sha: string): Record<string, unknown>[] {
    return this.state.requests.filter((r) => r.method === 'POST' && r.path === `/projects/${projectId}/statuses/${sha}`).map((r) => ({ ...r.body, _status: r.status }));
  }

  notes(projectId: number, iid: number): FakeNote[] {
    return this.state.notes.filter((n) => n.projectId === projectId && n.iid === iid);
  }

  pipelineStatus(id: number): string {
    return this.state.pipelineStatus(id);
  }

  mergeRequest(projectId: number, iid: number): FakeMergeRequest | undefined {
    return this.state.mergeRequest(projectId, iid);
  }
}
