/**
 * The gate API's logic: the check's status plus details. Output verdicts that may have changed through triage (a
 * finding marked false positive in DefectDojo) are re-read from the output at most once per TTL per check, one
 * refresh at a time; if the output cannot be reached, the last verdict known is answered and marked stale, which
 * errs on the safe side because triage only ever lifts a verdict.
 */
import { checkLogFields } from '../core/check.ts';
import { FINAL_STATUSES, type GateVerdict } from '../core/gate.ts';
import type { CheckRow, CheckStore } from '../db/checks.ts';
import type { ResultStore, StoredOutput } from '../db/results.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Output } from '../plugins/types.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import { buildDetails, type StatusBody } from './status-details.ts';
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
}

export class StatusService {
  private inflight = new Map<string, Promise<void>>();

  constructor(private readonly deps: StatusDeps) {}

  async status(checkId: string): Promise<StatusBody> {
    const check = await this.deps.checks.get(checkId);
    if (!check) {
      this.deps.metrics.gateVerdicts.inc({ status: 'not_started' });
      this.deps.logger.debug('gate answered', { check_id: checkId, status: 'not_started' });
      return { status: 'not_started', security_check_id: checkId };
    }
    let inputs = await loadVerdictInputs(this.deps.queue, this.deps.results, check);
    let verdict = verdictOf(check, inputs);
    if (FINAL_STATUSES.has(verdict.status) && verdict.status !== 'error' && this.needsRefresh(inputs.outputs)) {
      await this.refresh(check, inputs.outputs);
      inputs = await loadVerdictInputs(this.deps.queue, this.deps.results, check);
      verdict = verdictOf(check, inputs);
    }
    await this.remember(check, verdict);
    this.deps.metrics.gateVerdicts.inc({ status: verdict.status });
    this.deps.logger.debug('gate answered', { check_id: check.id, ...checkLogFields(check), status: verdict.status, reason: verdict.reason, stale: verdict.stale });
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

  /** One refresh per check at a time: concurrent pollers of the same check share it. */
  private refresh(check: CheckRow, outputs: readonly StoredOutput[]): Promise<void> {
    const key = `${check.id}#${check.generation}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.refreshAll(check, outputs).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async refreshAll(check: CheckRow, outputs: readonly StoredOutput[]): Promise<void> {
    const k = { checkId: check.id, generation: check.generation };
    const log = this.deps.logger.child({ check_id: check.id, ...checkLogFields(check) });
    await Promise.all(
      outputs.filter((o) => this.refreshable(o)).map(async (o) => {
        const plugin = this.deps.outputs.get(o.output)!;
        try {
          log.debug('refreshing the verdict from the output (triage)', { output: o.output, external_id: o.externalId });
          const signal = AbortSignal.timeout(this.deps.refreshTimeoutMs);
          const fresh = await plugin.refresh!({ check, externalId: o.externalId!, previous: o.findings, signal, log });
          await this.deps.results.updateVerdict(k, o.scan, o.output, fresh);
        } catch (err) {
          log.warn('refreshing the verdict failed; answering the last known verdict as stale', { output: o.output, error: err });
          await this.deps.results.updateVerdict(k, o.scan, o.output, { error: errorMessage(err) });
        }
      }),
    );
  }

  private async remember(check: CheckRow, v: GateVerdict): Promise<void> {
    if (check.verdict === v.status) return;
    try {
      await this.deps.checks.setVerdict(check.id, check.generation, v.status, FINAL_STATUSES.has(v.status));
    } catch (err) {
      this.deps.logger.warn('could not record the verdict', { check_id: check.id, ...checkLogFields(check), error: err });
    }
  }
}
