/**
 * State of the fake GitLab REST API (../shared/contracts/gitlab/REST.md): users and their tokens, projects (with
 * members' roles and protected branches), merge requests, pipelines with their jobs (CI jobs and external commit
 * statuses) and merge request notes. Tests arrange it through `FakeGitlabRest` and read it back to assert.
 */
export type Role = 'guest' | 'reporter' | 'developer' | 'maintainer';
export const ROLE_RANK: Record<Role, number> = { guest: 10, reporter: 20, developer: 30, maintainer: 40 };

export interface FakeUser {
  id: number;
  username: string;
}

export interface FakeToken {
  user: FakeUser;
  scopes: readonly string[];
}

export interface FakeProject {
  id: number;
  path: string;
  members: Map<number, Role>;
  protectedBranches: Set<string>;
}

export interface FakeMergeRequest {
  projectId: number;
  iid: number;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  sha: string;
  sourceBranch: string;
  targetBranch: string;
  headPipelineId: number | null;
}

export interface FakeJob {
  id: number;
  pipelineId: number;
  name: string;
  ref: string;
  sha: string;
  /** `ci`: a job of .gitlab-ci.yml; `external`: a commit status posted through the API. */
  kind: 'ci' | 'external';
  status: string;
  description: string | null;
  targetUrl: string | null;
  userId: number | null;
  retried: boolean;
  createdAt: string;
}

export interface FakePipeline {
  id: number;
  projectId: number;
  sha: string;
  ref: string;
  source: 'push' | 'external' | 'merge_request_event';
  createdAt: number;
}

export interface FakeNote {
  id: number;
  projectId: number;
  iid: number;
  body: string;
  authorId: number;
  system: boolean;
  /** Dropped from list pages after pagination, as GitLab drops notes the caller cannot read. */
  hiddenFromApi: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface RestRequestRecord {
  method: string;
  path: string;
  status: number;
  /** Parsed JSON body of writes (never includes tokens). */
  body?: Record<string, unknown>;
}

export interface InjectedFault {
  remaining: number;
  method?: string;
  pathPattern?: RegExp;
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export class RestState {
  nextId = 1000;
  users = new Map<number, FakeUser>();
  tokens = new Map<string, FakeToken>();
  projects = new Map<number, FakeProject>();
  mergeRequests: FakeMergeRequest[] = [];
  pipelines: FakePipeline[] = [];
  jobs: FakeJob[] = [];
  notes: FakeNote[] = [];
  requests: RestRequestRecord[] = [];
  unexpected: { method: string; path: string; reason: string }[] = [];
  faults: InjectedFault[] = [];
  /** Quick actions GitLab would have run (lines starting with `/` in a created note). Must stay empty. */
  quickActions: { noteBody: string; line: string }[] = [];
  /** The next n note creations answer the notes rate limit (429, no Retry-After). */
  notesRateLimited = 0;
  /** Notes per page of the list (GitLab: at most 100). */
  maxPerPage = 100;

  id(): number {
    return this.nextId++;
  }

  project(idOrPath: string): FakeProject | undefined {
    const decoded = decodeURIComponent(idOrPath);
    if (/^\d+$/.test(decoded)) return this.projects.get(Number(decoded));
    return [...this.projects.values()].find((p) => p.path === decoded);
  }

  mergeRequest(projectId: number, iid: number): FakeMergeRequest | undefined {
    return this.mergeRequests.find((m) => m.projectId === projectId && m.iid === iid);
  }

  pipeline(id: number): FakePipeline | undefined {
    return this.pipelines.find((p) => p.id === id);
  }

  /** A pipeline's status from its visible jobs, as GitLab recomputes it when a job changes. */
  pipelineStatus(id: number): string {
    const jobs = this.jobs.filter((j) => j.pipelineId === id && !j.retried);
    if (jobs.length === 0) return 'created';
    if (jobs.some((j) => j.status === 'failed')) return 'failed';
    if (jobs.some((j) => j.status === 'running')) return 'running';
    if (jobs.some((j) => j.status === 'pending' || j.status === 'created')) return 'pending';
    if (jobs.every((j) => j.status === 'canceled')) return 'canceled';
    return 'success';
  }

  now(): string {
    return new Date().toISOString();
  }
}
