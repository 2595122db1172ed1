/**
 * The gate (seed §3.5): from a check, its tasks and what they recorded, decide
 * `not_started | in_progress | error | fail | success`. Pure and table-tested. Notification tasks never change the
 * verdict; skipped scans (nothing to scan) count as clean.
 */
import type { TaskKind } from './planning.ts';
import type { OutputVerdict } from './results.ts';

export type GateStatus = 'not_started' | 'in_progress' | 'error' | 'fail' | 'success';
export const GATE_STATUSES: readonly GateStatus[] = ['not_started', 'in_progress', 'error', 'fail', 'success'];
export const FINAL_STATUSES: ReadonlySet<GateStatus> = new Set(['error', 'fail', 'success']);

export type TaskState = 'blocked' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface GateTask {
  name: string;
  kind: TaskKind;
  state: TaskState;
  lastError: string | null;
  scan?: string;
}

export interface GateScan {
  scan: string;
  status: 'clean' | 'leaks' | 'skipped';
}

export interface GateOutput {
  scan: string;
  output: string;
  verdict: OutputVerdict;
  stale: boolean;
}

export interface GateCheck {
  state: 'planned' | 'error';
  error: string | null;
}

export interface GateVerdict {
  status: GateStatus;
  reason: string | null;
  /** The verdict rests on output data that could not be refreshed (e.g. DefectDojo unreachable). */
  stale: boolean;
}

export function decide(
  check: GateCheck | null,
  tasks: readonly GateTask[],
  scans: readonly GateScan[],
  outputs: readonly GateOutput[],
): GateVerdict {
  if (!check) return { status: 'not_started', reason: null, stale: false };
  if (check.state === 'error') return { status: 'error', reason: check.error ?? 'the check failed', stale: false };
  const gating = tasks.filter((t) => t.kind !== 'notify');
  const broken = gating.find((t) => t.state === 'failed' || t.state === 'cancelled');
  if (broken) {
    const why = broken.lastError ?? (broken.state === 'cancelled' ? 'an earlier task failed' : 'failed');
    return { status: 'error', reason: `${broken.name}: ${why}`, stale: false };
  }
  const pending = gating.find((t) => t.state !== 'done');
  if (pending || gating.length === 0) {
    return { status: 'in_progress', reason: pending ? `${pending.name} is ${pending.state}` : 'no tasks yet', stale: false };
  }
  return verdictOfResults(gating, scans, outputs);
}

function verdictOfResults(tasks: readonly GateTask[], scans: readonly GateScan[], outputs: readonly GateOutput[]): GateVerdict {
  let stale = false;
  const failing: string[] = [];
  for (const scanTask of tasks.filter((t) => t.kind === 'scan')) {
    const name = scanTask.scan ?? scanTask.name.replace(/^scan:/, '');
    const scan = scans.find((s) => s.scan === name);
    if (!scan) return { status: 'error', reason: `${scanTask.name}: finished without recording a result`, stale: false };
    if (scan.status === 'skipped') continue;
    const outputTasks = tasks.filter((t) => t.kind === 'output' && t.scan === name);
    if (outputTasks.length === 0) {
      if (scan.status === 'leaks') failing.push(name);
      continue;
    }
    for (const ot of outputTasks) {
      const res = outputs.find((o) => o.scan === name && `output:${o.scan}:${o.output}` === ot.name);
      if (!res) return { status: 'error', reason: `${ot.name}: finished without recording a result`, stale: false };
      stale ||= res.stale;
      if (res.verdict === 'fail') failing.push(`${name} → ${res.output}`);
    }
  }
  if (failing.length > 0) return { status: 'fail', reason: `open findings: ${failing.join(', ')}`, stale };
  return { status: 'success', reason: null, stale };
}
