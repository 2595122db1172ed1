/**
 * What a check scans. `planRange` is pure: from the check, the mode and two facts read from the mirror, it picks the
 * revision arguments handed to `git log` (through gitleaks' --log-opts) and to `git rev-list --count`.
 *
 *  - full:               every commit reachable from the commit
 *  - push:               before..after
 *  - new branch:         the commit, minus everything on another branch (the pushed branch's own ref excluded)
 *  - force push:         `before` is no ancestor of the commit: the new-branch rule
 *  - tag:                the tag's commit, minus every branch and every other tag
 *  - merge request:      the MR's head minus its target branch: all its commits, so a secret added and then removed
 *                        inside the MR is still found
 *
 * Branches and tags are excluded with `--exclude=<name> --branches`, never listed one by one: a project with
 * thousands of branches would not fit in the single --log-opts argument.
 */
import type { CheckContext } from '../../../core/check.ts';
import { PermanentError } from '../../../core/errors.ts';
import type { Mirror } from '../../../clients/git/mirror-cache.ts';

export type ScanMode = 'diff' | 'full';
export type RangeRule = 'full' | 'push' | 'new-branch' | 'force-push' | 'tag' | 'merge-request' | 'merge-request-no-target';

export interface RangePlan {
  rule: RangeRule;
  /** Revision arguments, none containing a space (gitleaks splits --log-opts on spaces). */
  revs: string[];
  /** For people: what was scanned. */
  description: string;
}

export interface RangeFacts {
  /** The push's `before` is in the mirror and an ancestor of the commit (false for force pushes). */
  beforeIsAncestor: boolean;
  /** The MR's target branch exists in the mirror. */
  targetExists: boolean;
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
// git check-ref-format forbids these anyway; checking again keeps a forged name from smuggling in log options or
// globs. A leading '-' is harmless: names only ever appear after `--exclude=` or `refs/heads/`.
const SAFE_REF_NAME = /^[^\s\x00-\x1f\x7f~^:?*[\\]+$/;

const short = (sha: string) => sha.slice(0, 8);

export function planRange(check: CheckContext, mode: ScanMode, facts: RangeFacts): RangePlan {
  const sha = check.commitSha;
  if (!SHA.test(sha)) throw new PermanentError(`commit "${sha}" is not a full hex SHA`);
  if (mode === 'full') return { rule: 'full', revs: [sha], description: `full history of ${short(sha)}` };
  if (check.mergeRequest) {
    const mr = check.mergeRequest;
    const target = refName(mr.targetBranch, 'target branch');
    if (facts.targetExists) {
      return { rule: 'merge-request', revs: [sha, '--not', `refs/heads/${target}`], description: `!${mr.iid}: ${target}..${short(sha)}` };
    }
    const source = refName(mr.sourceBranch, 'source branch');
    return {
      rule: 'merge-request-no-target',
      revs: [sha, '--not', `--exclude=${source}`, '--branches'],
      description: `!${mr.iid}: ${short(sha)} not on any other branch (target ${target} not found)`,
    };
  }
  const name = refName(check.ref.name, check.ref.kind);
  if (check.ref.kind === 'tag') {
    return { rule: 'tag', revs: [sha, '--not', '--branches', `--exclude=${name}`, '--tags'], description: `tag ${name}: ${short(sha)} not on any branch or other tag` };
  }
  const before = check.beforeSha;
  if (before !== null && !SHA.test(before)) throw new PermanentError(`before "${before}" is not a full hex SHA`);
  if (before !== null && facts.beforeIsAncestor) return { rule: 'push', revs: [`${before}..${sha}`], description: `${short(before)}..${short(sha)}` };
  const newBranch: RangePlan = { rule: 'new-branch', revs: [sha, '--not', `--exclude=${name}`, '--branches'], description: `${name}: ${short(sha)} not on any other branch` };
  if (before === null) return newBranch;
  return { ...newBranch, rule: 'force-push', description: `${newBranch.description} (force push: ${short(before)} is not an ancestor)` };
}

function refName(name: string, what: string): string {
  if (!SAFE_REF_NAME.test(name) || name.includes('..') || name.length > 1024) {
    throw new PermanentError(`${what} name "${name}" is not a valid git ref name`);
  }
  return name;
}

export interface ResolvedRange extends RangePlan {
  /** Commits in the range; 0 means nothing to scan. */
  commits: number;
}

/** Reads the facts from the mirror, plans the range and counts its commits. */
export async function resolveRange(mirror: Mirror, check: CheckContext, mode: ScanMode): Promise<ResolvedRange> {
  const facts: RangeFacts = { beforeIsAncestor: false, targetExists: false };
  if (mode === 'diff' && check.mergeRequest) {
    facts.targetExists = await refExists(mirror, `refs/heads/${refName(check.mergeRequest.targetBranch, 'target branch')}`);
  } else if (mode === 'diff' && check.ref.kind === 'branch' && check.beforeSha && SHA.test(check.beforeSha)) {
    facts.beforeIsAncestor = await isAncestor(mirror, check.beforeSha, check.commitSha);
  }
  const plan = planRange(check, mode, facts);
  const counted = await mirror.git(['rev-list', '--count', ...plan.revs, '--']);
  return { ...plan, commits: Number.parseInt(counted.stdout.trim(), 10) || 0 };
}

async function refExists(mirror: Mirror, ref: string): Promise<boolean> {
  const res = await mirror.git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], [0, 1]);
  return res.exitCode === 0;
}

/** A `before` the mirror never got (rewritten history GitLab already dropped) counts as "not an ancestor". */
async function isAncestor(mirror: Mirror, before: string, sha: string): Promise<boolean> {
  if (!(await refExists(mirror, before))) return false;
  const res = await mirror.git(['merge-base', '--is-ancestor', before, sha], [0, 1]);
  return res.exitCode === 0;
}
