/**
 * Reads what the gate needs for one check generation and applies the pure gate (src/core/gate.ts). Used by the
 * results API, and by the worker after every settled task so `checks.verdict` (admin filters, metrics) stays current.
 */
import type { CheckRow, CheckStore } from '../db/checks.ts';
import type { Db } from '../db/database.ts';
import type { ResultStore, StoredOutput } from '../db/results.ts';
import { decide, type GateVerdict, type GateTask } from '../core/gate.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import type { TaskRow } from '../queue/types.ts';

export interface VerdictInputs {
  tasks: TaskRow[];
  scans: Awaited<ReturnType<ResultStore['scanStatuses']>>;
  outputs: StoredOutput[];
}

export async function loadVerdictInputs(
  queue: TaskQueue,
  results: ResultStore,
  check: Pick<CheckRow, 'id' | 'generation'>,
  db?: Db,
): Promise<VerdictInputs> {
  const k = { checkId: check.id, generation: check.generation };
  const [tasks, scans, outputs] = await Promise.all([
    queue.tasksOf(check.id, check.generation, db),
    results.scanStatuses(k, db),
    results.outputs(k, db),
  ]);
  return { tasks, scans, outputs };
}

export function verdictOf(check: Pick<CheckRow, 'state' | 'error'>, inputs: VerdictInputs): GateVerdict {
  const tasks: GateTask[] = inputs.tasks.map((t) => ({
    name: t.name,
    kind: t.kind,
    state: t.state,
    lastError: t.lastError,
    scan: t.payload.scan,
  }));
  const outputs = inputs.outputs
    .filter((o) => o.verdict !== null)
    .map((o) => ({ scan: o.scan, output: o.output, verdict: o.verdict!, stale: o.refreshError !== null }));
  return decide({ state: check.state, error: check.error }, tasks, inputs.scans, outputs);
}

/**
 * Settle hook: after tasks of some checks changed state (inside the same transaction), recompute and store those
 * checks' verdicts; report checks that just became final (for the verdict-latency metric).
 */
export async function refreshVerdicts(
  tx: Db,
  deps: { checks: CheckStore; results: ResultStore; queue: TaskQueue },
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
    const v = verdictOf(check, await loadVerdictInputs(deps.queue, deps.results, check, tx));
    const final = v.status === 'error' || v.status === 'fail' || v.status === 'success';
    const changed = await deps.checks.setVerdict(check.id, check.generation, v.status, final, tx);
    if (changed && final && check.finishedAt === null) onFinal?.(check, v);
  }
}
