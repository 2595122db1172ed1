/**
 * What a check scans. Mode `full`: every commit reachable from the commit. Mode `diff`: every commit reachable from
 * the commit that no completed scan of this component has covered yet — `X --not --glob=refs/secbot/covered/<scan>/*`,
 * where each covered ref is a commit whose whole history a completed scan covered (see history-refs.ts).
 *
 * Nothing an event says shrinks the range: `before`, the MR's target branch, other branches and tags are not
 * exclusions, because a webhook token holder can forge them, GitLab drops events, and branches created together
 * would exclude each other. A project SecBot has never covered is scanned from its first commit.
 */
import { PermanentError } from '../../../core/errors.ts';
import type { Mirror } from '../../../clients/git/mirror-cache.ts';
import { coveredPrefix, walkRange } from './history-refs.ts';

export type ScanMode = 'diff' | 'full';
export type RangeRule = 'full' | 'history' | 'first-sight';

export interface RangePlan {
  rule: RangeRule;
  /** Revision arguments, none containing a space (gitleaks splits --log-opts on spaces). */
  revs: string[];
  /** For people: what was scanned. */
  description: string;
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const short = (sha: string) => sha.slice(0, 8);

export function planRange(commitSha: string, mode: ScanMode, scan: string, firstSight: boolean): RangePlan {
  if (!SHA.test(commitSha)) throw new PermanentError(`commit "${commitSha}" is not a full hex SHA`);
  if (mode === 'full') return { rule: 'full', revs: [commitSha], description: `full history of ${short(commitSha)}` };
  if (firstSight) {
    return { rule: 'first-sight', revs: [commitSha], description: `first scan of this project: the whole history of ${short(commitSha)}` };
  }
  return {
    rule: 'history',
    revs: [commitSha, '--not', `--glob=${coveredPrefix(scan)}*`],
    description: `${short(commitSha)} and its history, except what earlier scans covered`,
  };
}

export interface ResolvedRange extends RangePlan {
  /** Commits in the range; 0 means the commit's whole history is already covered. */
  commits: number;
  /** Excluded commits adjacent to the range (rev-list --boundary). */
  boundary: string[];
}

export async function resolveRange(mirror: Mirror, plan: RangePlan): Promise<ResolvedRange> {
  return { ...plan, ...(await walkRange(mirror, plan.revs)) };
}
