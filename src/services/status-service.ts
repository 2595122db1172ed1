/**
 * The gate API's logic: the check's status plus details. Output verdicts that may have changed through triage (a
 * finding marked false positive in DefectDojo) are re-read from the output at most once per TTL per check, one
 * refresh at a time; if the output cannot be reached, the last verdict known is answered and marked stale, which
 * errs on the safe side because triage only ever lifts a verdict. A slow or hung output never stalls CI: a poll
 * waits at most `answerWithinMs` for the refresh (which goes on in the background) and a failed refresh is
 * remembered for `refreshHoldMs` (refresh-budget.ts).
 */
import { FINAL_STATUSES, type GateVerdict } from '../core/gate.ts';
import type { CheckRow, CheckStore } from '../db/checks.ts';
import type { ResultStore, StoredOutput } from '../db/results.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Output } from '../plugins/types.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import { buildDetails, type StatusBody } from './status-details.ts';
import { RefreshBudget } from './refresh-budget.ts';
import { loadVerdictInputs, verdictOf } from './verdict.ts';

export interface StatusDeps {
  checks: CheckStore;
  results: ResultStore;
  queue: TaskQueue;
  /** Output plugins by component name (only those that can refresh matter here). */
  outputs: ReadonlyMap<string, Output>;
  ttlMs: number;
  metrics: Metrics;
  logger: Logger;
  refreshTimeoutMs: number;
  /** After a failed refresh, how long polls answer the last verdict (stale) without asking the output again (default 60 s). */
  refreshHoldMs?: number;
  /** How long a poll waits for a refresh before answering the last verdict as stale (default 1500 ms). */
  answerWithinMs?: number;
}

/** Leaves room under the 2 s a CI poll may take for the database reads around the refresh. */
const ANSWER_WITHIN_MS = 1_500;

export class StatusService {
  private readonly budget: RefreshBudget;

  constructor(private readonly deps: StatusDeps) {
    this.budget = new RefreshBudget({ answerWithinMs: deps.answerWithinMs ?? ANSWER_WITHIN_MS, holdAfterFailureMs: deps.refreshHoldMs ?? 60_000 });
  }

  async status(checkId: string): Promise<StatusBody> {
    const check = await this.deps.checks.get(checkId);
    if (!check) {
      this.deps.metrics.gateVerdicts.inc({ status: 'not_started' });
      return { status: 'not_started', security_check_id: checkId };
    }
    let inputs = await loadVerdictInputs(this.deps.queue, this.deps.results, check);
    let verdict = verdictOf(check, inputs);
    if (FINAL_STATUSES.has(verdict.status) && verdict.status !== 'error' && this.needsRefresh(inputs.outputs)) {
      const outputs = inputs.outputs;
      const outcome = await this.budget.run(`${check.id}#${check.generation}`, () => this.refreshAll(check, outputs));
      inputs = await loadVerdictInputs(this.deps.queue, this.deps.results, check);
      verdict = verdictOf(check, inputs);
      if (outcome === 'stale') verdict = { ...verdict, stale: true };
    }
    await this.remember(check, verdict);
    this.deps.metrics.gateVerdicts.inc({ status: verdict.status });
    const notifications = await this.deps.results.notifications({ checkId: check.id, generation: check.generation });
    return buildDetails(check, verdict, inputs, notifications);
  }

  private needsRefresh(outputs: readonly StoredOutput[]): boolean {
    const now = Date.now();
    return outputs.some((o) => this.refreshable(o) && (o.verdictAt === null || now - o.verdictAt >= this.deps.ttlMs));
  }

  private refreshable(o: StoredOutput): boolean {
    return o.externalId !== null && o.status === 'imported' && this.deps.outputs.get(o.output)?.refresh !== undefined;
  }

  /** Refreshes every refreshable output; true when all of them succeeded. */
  private async refreshAll(check: CheckRow, outputs: readonly StoredOutput[]): Promise<boolean> {
    const k = { checkId: check.id, generation: check.generation };
    const log = this.deps.logger.child({ check_id: check.id });
    const results = await Promise.all(
      outputs.filter((o) => this.refreshable(o)).map(async (o) => {
        const plugin = this.deps.outputs.get(o.output)!;
        try {
          const signal = AbortSignal.timeout(this.deps.refreshTimeoutMs);
          const fresh = await plugin.refresh!({ check, externalId: o.externalId!, previous: o.findings, signal, log });
          await this.deps.results.updateVerdict(k, o.scan, o.output, fresh);
          return true;
        } catch (err) {
          log.warn('refreshing the verdict failed; answering the last known verdict as stale', { output: o.output, error: err });
          await this.deps.results.updateVerdict(k, o.scan, o.output, { error: errorMessage(err) });
          return false;
        }
      }),
    );
    return results.every(Boolean);
  }

  private async remember(check: CheckRow, v: GateVerdict): Promise<void> {
    if (check.verdict === v.status) return;
    try {
      await this.deps.checks.setVerdict(check.id, check.generation, v.status, FINAL_STATUSES.has(v.status));
    } catch (err) {
      this.deps.logger.warn('could not record the verdict', { check_id: check.id, error: err });
    }
  }
}
