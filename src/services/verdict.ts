/**
 * Reads what the gate needs for one check generation and applies the pure gate (src/core/gate.ts). Used by the
 * results API, and by the worker after every settled task so `checks.verdict` (admin filters, metrics) stays current.
 */
import type { Workflow } from '../config/workflow.ts';
import type { CheckRow, CheckStore } from '../db/checks.ts';
import type { Db } from '../db/database.ts';
import type { HistoryStore, LeakOutputRow } from '../db/history.ts';
import type { ResultStore, StoredOutput } from '../db/results.ts';
import { decide, type GateTask, type GateVerdict } from '../core/gate.ts';
import type { CheckLeak } from '../core/leaks.ts';
import { storedJobs } from '../core/job-set.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import type { TaskRow } from '../queue/types.ts';

export interface VerdictInputs {
  tasks: TaskRow[];
  scans: Awaited<ReturnType<ResultStore['scanStatuses']>>;
  outputs: StoredOutput[];
  leaks: (CheckLeak & { scan: string })[];
  leakOutputs: LeakOutputRow[];
}

export interface VerdictStores {
  queue: TaskQueue;
  results: ResultStore;
  history: HistoryStore;
}

/** Per job: whether unscanned files fail its checks. Unknown jobs (config changed since) only note them. */
export type UnscannedPolicy = (jobName: string | null) => 'note' | 'fail';

export const unscannedPolicyOf = (workflow: Pick<Workflow, 'jobs'>): UnscannedPolicy => (jobName) =>
  storedJobs(workflow.jobs, jobName).some((j) => j.unscanned === 'fail') ? 'fail' : 'note';

export async function loadVerdictInputs(s: VerdictStores, check: Pick<CheckRow, 'id' | 'generation'>, db?: Db): Promise<VerdictInputs> {
  const k = { checkId: check.id, generation: check.generation };
  const [tasks, scans, outputs, leaks, leakOutputs] = await Promise.all([
    s.queue.tasksOf(check.id, check.generation, db),
    s.results.scanStatuses(k, db),
    s.results.outputs(k, db),
    s.history.checkLeaks(k, db),
    s.history.outputsOfCheck(k, db),
  ]);
  return { tasks, scans, outputs, leaks, leakOutputs };
}

export function verdictOf(check: Pick<CheckRow, 'state' | 'error' | 'jobName'>, inputs: VerdictInputs, policy: UnscannedPolicy): GateVerdict {
  const tasks: GateTask[] = inputs.tasks.map((t) => ({
    name: t.name,
    kind: t.kind,
    state: t.state,
    lastError: t.lastError,
    scan: t.payload.scan,
    output: t.payload.output,
  }));
  const unscannedFails = policy(check.jobName) === 'fail' ? new Set(inputs.scans.map((s) => s.scan)) : new Set<string>();
  return decide({
    check: { state: check.state, error: check.error },
    tasks,
    scans: inputs.scans,
    leaks: inputs.leaks,
    leakOutputs: inputs.leakOutputs.map((o) => ({ ...o, stale: o.refreshError !== null })),
    unscannedFails,
  });
}

/**
 * Settle hook: after tasks of some checks changed state (inside the same transaction), recompute and store those
 * checks' verdicts; report checks that just became final (for the verdict-latency metric).
 */
export async function refreshVerdicts(
  tx: Db,
  deps: VerdictStores & { checks: CheckStore; policy: UnscannedPolicy },
  targets: readonly { checkId: string; generation: number }[],
  onFinal?: (check: CheckRow, verdict: GateVerdict) => void,
): Promise<void> {
  const seen = new Set<string>();
  for (const t of targets) {
    const key = `${t.checkId}#${t.generation}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const check = await deps.checks.get(t.checkId, tx);
    if (!check || check.generation !== t.generation) continue;
    const v = verdictOf(check, await loadVerdictInputs(deps, check, tx), deps.policy);
    const final = v.status === 'error' || v.status === 'fail' || v.status === 'success';
    const changed = await deps.checks.setVerdict(check.id, check.generation, v.status, final, tx);
    if (changed && final && check.finishedAt === null) onFinal?.(check, v);
  }
}
