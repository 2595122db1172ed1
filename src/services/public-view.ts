/**
 * What anyone may read when a results read token is configured (SECBOT_RESULTS_TOKEN) and the caller did not send
 * it: the status, a reason and the counts. No file names, finding titles, links, channel names or task errors — an
 * error verdict names only the task that failed. Without a configured token the full answer stays public (the seed's
 * behaviour, which existing pipelines rely on).
 */
import type { GateStatus } from '../core/gate.ts';
import type { TaskRow } from '../queue/types.ts';
import type { StatusBody } from './status-details.ts';

const BROKEN = new Set(['failed', 'cancelled']);

function errorReason(failedTask: string | null): string {
  return failedTask
    ? `task ${failedTask} failed (the error is shown with the results token)`
    : 'the check ended in error (the reason is shown with the results token)';
}

/** A reason safe for the limited view: verdict reasons are counts, except an error's, which carries task errors. */
export function publicReason(status: GateStatus, reason: string | null, tasks: readonly Pick<TaskRow, 'name' | 'kind' | 'state'>[]): string | null {
  if (status !== 'error') return reason;
  const broken = tasks.find((t) => t.kind !== 'notify' && BROKEN.has(t.state));
  return errorReason(broken?.name ?? null);
}

interface TaskLike {
  name?: unknown;
  scan?: unknown;
  state?: unknown;
}

/** The gate answer for a caller without the token: status, reason and counts only. */
export function limitedAnswer(full: StatusBody): StatusBody {
  const out: StatusBody = { status: full.status, security_check_id: full.security_check_id };
  if (!('reason' in full)) return out;
  let reason = (full.reason as string | null) ?? null;
  if (full.status === 'error') {
    const scans = (Array.isArray(full.scans) ? full.scans : []) as TaskLike[];
    const outputs = (Array.isArray(full.outputs) ? full.outputs : []) as TaskLike[];
    const scan = scans.find((s) => BROKEN.has(String(s.state)));
    const output = outputs.find((o) => BROKEN.has(String(o.state)));
    reason = errorReason(scan ? `scan:${String(scan.name)}` : output ? `output:${String(output.scan)}:${String(output.name)}` : null);
  }
  return { ...out, reason, stale: full.stale, counts: full.counts };
}
