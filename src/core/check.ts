/** What SecBot knows about one check: the commit under test and where it came from (no I/O here). */
export type EventType = 'push' | 'tag_push' | 'merge_request';
export const EVENT_TYPES: readonly EventType[] = ['push', 'tag_push', 'merge_request'];

export const ZERO_SHA = '0000000000000000000000000000000000000000';

export interface MergeRequestInfo {
  iid: number;
  action: string;
  sourceBranch: string;
  targetBranch: string;
  /** Previous head of the source branch, present only when an update changed code. */
  oldrev: string | null;
  url: string | null;
  title: string | null;
}

export interface CheckContext {
  eventType: EventType;
  instancePrefix: string;
  /** host[:port] of the GitLab instance the event came from (and the only host SecBot will clone from). */
  host: string;
  /** Hostname used in the check id, as GitLab CI's CI_SERVER_HOST. */
  hostname: string;
  projectPath: string;
  projectId: number | null;
  projectUrl: string;
  commitSha: string;
  ref: { kind: 'branch' | 'tag'; name: string };
  /** Old head of the pushed ref; null when the ref was created by this push or for merge requests. */
  beforeSha: string | null;
  mergeRequest: MergeRequestInfo | null;
  userName: string | null;
}

export interface CheckRecord extends CheckContext {
  id: string;
  generation: number;
  jobName: string | null;
  createdAt: number;
}

/** Human label of what was pushed: `main`, `tag v1.2`, `!12 (feature → main)`. */
export function describeRef(c: Pick<CheckContext, 'ref' | 'mergeRequest'>): string {
  if (c.mergeRequest) return `!${c.mergeRequest.iid} (${c.mergeRequest.sourceBranch} → ${c.mergeRequest.targetBranch})`;
  return c.ref.kind === 'tag' ? `tag ${c.ref.name}` : c.ref.name;
}

/** The branch a DefectDojo engagement is named after: MRs use their source branch, tags the tag. */
export function engagementBranch(c: CheckContext): string {
  return c.mergeRequest ? c.mergeRequest.sourceBranch : c.ref.name;
}

/**
 * The fields every log line about a check carries, so an operator can grep by project, ref or commit. A branch may
 * be named after a secret, and its lines are written before any scan could tell, so the ref goes through
 * `elideTokenLike` (the check row itself is masked once the scan has found it).
 */
export function checkLogFields(c: Pick<CheckContext, 'projectPath' | 'commitSha' | 'ref' | 'mergeRequest'>): { project: string; ref: string; sha: string } {
  return { project: c.projectPath, ref: elideTokenLike(describeRef(c)), sha: c.commitSha.slice(0, 8) };
}

/**
 * Replaces token-shaped runs in text meant for logs: 16 or more letters and digits mixed (an API key, a hash), or
 * 32 or more of either. Branch names and words stay readable (`feature/login`, `release-2026.03`).
 */
export function elideTokenLike(text: string): string {
  return text.replace(/[A-Za-z0-9]{16,}/g, (run) => (run.length >= 32 || (/\d/.test(run) && /[A-Za-z]/.test(run)) ? '…' : run));
}
