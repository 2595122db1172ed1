/**
 * The gate: from a check, its tasks and the leaks its verdict rests on, decide
 * `not_started | in_progress | error | fail | success`. Pure and table-tested.
 *
 * A check answers for its commit's whole history: the leaks it found itself and the ones it inherited from commits
 * of that history (found by earlier checks). It fails while any of them is open in every output that has it —
 * open meaning not triaged away there (false positive, risk accepted, out of scope, mitigated). A job without
 * outputs cannot triage, so any leak fails it. Notification tasks never change the verdict.
 */
import type { LeakKind } from './leaks.ts';
import type { TaskKind } from './planning.ts';

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
  output?: string;
}

export interface GateScan {
  scan: string;
  status: 'clean' | 'leaks' | 'skipped';
}

export interface GateLeak {
  scan: string;
  leakKey: string;
  kind: LeakKind;
  inherited: boolean;
}

/** What one output made of one leak; `externalId` '' means the output dropped it (not open there). */
export interface GateLeakOutput {
  scan: string;
  leakKey: string;
  output: string;
  externalId: string;
  open: boolean;
  stale: boolean;
}

export interface GateCheck {
  state: 'planned' | 'error';
  error: string | null;
}

export interface GateInputs {
  check: GateCheck | null;
  tasks: readonly GateTask[];
  scans: readonly GateScan[];
  leaks: readonly GateLeak[];
  leakOutputs: readonly GateLeakOutput[];
  /** Per scan component: whether files it could not scan fail the check (`unscanned: fail`). */
  unscannedFails?: ReadonlySet<string>;
}

export interface GateVerdict {
  status: GateStatus;
  reason: string | null;
  /** The verdict rests on output data that could not be refreshed (e.g. DefectDojo unreachable). */
  stale: boolean;
  /** Leak keys that make the check fail. */
  failing: string[];
}

const verdict = (status: GateStatus, reason: string | null, stale = false, failing: string[] = []): GateVerdict => ({
  status,
  reason,
  stale,
  failing,
});

export function decide(inputs: GateInputs): GateVerdict {
  const { check, tasks } = inputs;
  if (!check) return verdict('not_started', null);
  if (check.state === 'error') return verdict('error', check.error ?? 'the check failed');
  const gating = tasks.filter((t) => t.kind !== 'notify');
  const broken = gating.find((t) => t.state === 'failed' || t.state === 'cancelled');
  if (broken) {
    const why = broken.lastError ?? (broken.state === 'cancelled' ? 'an earlier task failed' : 'failed');
    return verdict('error', `${broken.name}: ${why}`);
  }
  const pending = gating.find((t) => t.state !== 'done');
  if (pending || gating.length === 0) return verdict('in_progress', pending ? `${pending.name} is ${pending.state}` : 'no tasks yet');
  for (const scanTask of gating.filter((t) => t.kind === 'scan')) {
    const name = scanTask.scan ?? scanTask.name.replace(/^scan:/, '');
    if (!inputs.scans.some((s) => s.scan === name)) return verdict('error', `${scanTask.name}: finished without recording a result`);
  }
  return verdictOfLeaks(inputs, gating);
}

function verdictOfLeaks(inputs: GateInputs, gating: readonly GateTask[]): GateVerdict {
  let stale = false;
  const failing: string[] = [];
  let inherited = 0;
  let unrecorded = 0;
  let unscanned = 0;
  for (const leak of inputs.leaks) {
    if (leak.kind === 'unscanned') {
      if (inputs.unscannedFails?.has(leak.scan)) {
        failing.push(leak.leakKey);
        unscanned++;
      }
      continue;
    }
    const outputs = gating.filter((t) => t.kind === 'output' && t.scan === leak.scan).map((t) => t.output ?? t.name.split(':')[2]!);
    const state = leakState(leak, outputs, inputs.leakOutputs);
    stale ||= state.stale;
    if (!state.open) continue;
    failing.push(leak.leakKey);
    if (leak.inherited) inherited++;
    if (state.unrecorded) unrecorded++;
  }
  if (failing.length === 0) return verdict('success', null, stale);
  const parts = [`${failing.length - unscanned} open finding(s)`];
  if (inherited > 0) parts.push(`${inherited} inherited from earlier commits`);
  if (unrecorded > 0) parts.push(`${unrecorded} not recorded by an output (failing closed)`);
  if (unscanned > 0) parts.push(`${unscanned} file(s) not scanned (unscanned: fail)`);
  return verdict('fail', parts.join('; '), stale, failing);
}

/** Open while any output of its scan lacks it or holds it open: triage must happen wherever it was recorded. */
function leakState(leak: GateLeak, outputs: readonly string[], rows: readonly GateLeakOutput[]) {
  if (outputs.length === 0) return { open: true, stale: false, unrecorded: false };
  const mine = rows.filter((r) => r.scan === leak.scan && r.leakKey === leak.leakKey);
  let stale = false;
  let open = false;
  for (const output of outputs) {
    const here = mine.filter((r) => r.output === output);
    if (here.length === 0) return { open: true, stale, unrecorded: true };
    stale ||= here.some((r) => r.stale);
    open ||= here.some((r) => r.open);
  }
  return { open, stale, unrecorded: false };
}
