/**
 * Verdict → commit status (pure): `pending` while the check waits, `running` while it works, then `success`, or
 * `failed` for `fail` and for `error` (fail closed: "Pipelines must succeed" blocks both). GitLab limits the
 * description to 255 characters and refuses longer ones only after creating an empty pipeline, so it is cut here.
 */
import type { StatusState } from '../../../clients/gitlab/rest.ts';
import type { CheckSnapshot } from '../../../core/publication.ts';
import { plain } from './markdown.ts';

export const DESCRIPTION_MAX = 255;

export interface DesiredStatus {
  state: StatusState;
  description: string;
}

export function desiredStatus(s: CheckSnapshot): DesiredStatus {
  const secrets = s.findings;
  const open = secrets.filter((f) => f.open).length;
  const triaged = secrets.length - open;
  const unscanned = s.unscanned.length;
  if (s.phase === 'pending') return { state: 'pending', description: 'Queued: SecBot will check this commit for secrets' };
  if (s.phase === 'running') return { state: 'running', description: "SecBot is checking this commit's history for secrets" };
  if (s.status === 'success') {
    const parts = ['No open secret findings'];
    if (triaged > 0) parts.push(`${triaged} triaged in DefectDojo`);
    if (unscanned > 0) parts.push(`${unscanned} file(s) not scanned`);
    return { state: 'success', description: cut(parts.join('; ')) };
  }
  if (s.status === 'fail') return { state: 'failed', description: cut(`Secrets found: ${s.reason ?? `${open} open finding(s)`}`) };
  return { state: 'failed', description: cut(`SecBot error: ${s.reason ?? 'the check failed'}`) };
}

/** At most 255 characters (code points, so a surrogate pair is never split), on one line. */
export function cut(s: string): string {
  return plain(s.replace(/\s+/g, ' ').trim(), DESCRIPTION_MAX);
}

export const RANK: Record<string, number> = { pending: 0, running: 1, success: 2, failed: 2, canceled: 2, skipped: 2 };

/**
 * Whether posting `want` over what a target shows now would go backwards inside one run (running → pending is a
 * GitLab error, and a late `running` must not reopen a finished status of the same state key).
 */
export function isBackwards(shown: string, want: StatusState): boolean {
  const from = RANK[shown];
  const to = RANK[want];
  return from !== undefined && to !== undefined && from < 2 && to < from;
}
