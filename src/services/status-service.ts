/**
 * The gate API's logic: the check's status plus details. Triage (a finding marked false positive in DefectDojo)
 * changes verdicts, so the state of every output finding a verdict rests on — the check's own and the ones it
 * inherited — is read again once it is older than the TTL, in batches per output, one refresh at a time per check.
 *
 * A slow or hung output must not stall CI: the answer waits at most `refreshWaitMs` for the refresh, then answers
 * the last known state marked stale while the refresh goes on in the background; a refresh that failed is not tried
 * again before the TTL has passed once more. Erring this way is safe: triage only ever lifts a verdict, and a
 * reopened finding turns it back at the next refresh.
 */
import { checkLogFields } from '../core/check.ts';
import { FINAL_STATUSES, type GateVerdict } from '../core/gate.ts';
import { errorMessage } from '../core/errors.ts';
import type { CheckRow, CheckStore } from '../db/checks.ts';
import type { LeakOutputRow } from '../db/history.ts';
import type { RetentionStore } from '../db/retention.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Output } from '../plugins/types.ts';
import { AnswerCache, type CachedAnswer } from './answer-cache.ts';
import { buildDetails, type StatusBody } from './status-details.ts';
import { loadVerdictInputs, verdictOf, type UnscannedPolicy, type VerdictStores } from './verdict.ts';

function withoutTriage(key: Record<string, unknown>): Record<string, unknown> {
  const { triage: _, ...rest } = key;
  return rest;
}

export interface StatusDeps extends VerdictStores {
  checks: CheckStore;
  /** Tombstones of checks pruned by retention (absent: every unknown id is simply not started). */
  retention?: RetentionStore;
  /** The configured instance prefixes: an id with another prefix will never be checked by this SecBot. */
  prefixes?: readonly string[];
  /** Output plugins by component name (only those that can refresh matter here). */
  outputs: ReadonlyMap<string, Output>;
  policy: UnscannedPolicy;
  ttlMs: number;
  metrics: Metrics;
  logger: Logger;
  /** Limit of one refresh request to the output. */
  refreshTimeoutMs: number;
  /** How long an answer waits for a refresh before answering the last known state (stale). */
  refreshWaitMs?: number;
}

const DEFAULT_REFRESH_WAIT_MS = 1500;

export class StatusService {
  private inflight = new Map<string, Promise<void>>();
  private readonly cache = new AnswerCache();
  /** Output name → time before which a failed refresh is not retried. */
  private failedUntil = new Map<string, number>();

  constructor(private readonly deps: StatusDeps) {}

  async status(checkId: string): Promise<StatusBody> {
    return (await this.answer(checkId)).body;
  }

  /**
   * The gate answer; `cached` when it is one computed earlier from the same answer key (the check's revision and its
   * tasks' states), with triage younger than the TTL (src/services/answer-cache.ts): then this took one statement.
   */
  async answer(checkId: string): Promise<{ body: StatusBody; cached?: CachedAnswer }> {
    // The key is read before anything the answer is computed from: a change in between only costs a miss later.
    const key = await this.deps.checks.answerKey(checkId);
    const hit = key ? this.cache.get(checkId, key, Date.now()) : undefined;
    if (hit) {
      this.deps.metrics.gateVerdicts.inc({ status: hit.body.status });
      this.deps.logger.debug('gate answered', hit.logFields);
      return { body: hit.body, cached: hit };
    }
    const check = key ? await this.deps.checks.get(checkId) : null;
    if (!key || !check) {
      this.deps.metrics.gateVerdicts.inc({ status: 'not_started' });
      const why = await this.notStartedReason(checkId);
      this.deps.logger.debug('gate answered', { check_id: checkId, status: 'not_started', ...why });
      return { body: { status: 'not_started', security_check_id: checkId, ...why } };
    }
    let inputs = await loadVerdictInputs(this.deps, check);
    let verdict = verdictOf(check, inputs, this.deps.policy);
    let settled = true;
    if (FINAL_STATUSES.has(verdict.status) && verdict.status !== 'error') {
      const due = this.due(inputs.leakOutputs);
      if (due.length > 0) {
        settled = await this.refresh(check, due);
        inputs = await loadVerdictInputs(this.deps, check);
        verdict = verdictOf(check, inputs, this.deps.policy);
        if (!settled) verdict = { ...verdict, stale: true };
      }
    }
    await this.remember(check, verdict);
    this.deps.metrics.gateVerdicts.inc({ status: verdict.status });
    const logFields = { check_id: check.id, ...checkLogFields(check), status: verdict.status, reason: verdict.reason, stale: verdict.stale };
    this.deps.logger.debug('gate answered', logFields);
    const notifications = await this.deps.results.notifications({ checkId: check.id, generation: check.generation });
    const body = buildDetails(check, verdict, inputs, notifications);
    // An answer waiting for a refresh still running is not kept: the refresh may change nothing the key covers.
    // Only an answer resting on leaks depends on the (shared) triage revision.
    if (settled) this.cache.set(checkId, { key: inputs.leaks.length > 0 ? key : withoutTriage(key), until: this.validUntil(verdict, inputs.leakOutputs), body, json: JSON.stringify(body), logFields });
    return { body };
  }

  /**
   * Until when an answer may be served again: for a final verdict, until the oldest triage it rests on becomes due for
   * a refresh (or the refresh back-off of its output ends); other verdicts do not refresh.
   */
  private validUntil(verdict: GateVerdict, rows: readonly LeakOutputRow[]): number {
    if (!FINAL_STATUSES.has(verdict.status) || verdict.status === 'error') return Number.POSITIVE_INFINITY;
    let until = Number.POSITIVE_INFINITY;
    for (const r of rows) {
      if (r.externalId === '' || this.deps.outputs.get(r.output)?.refresh === undefined) continue;
      until = Math.min(until, Math.max(r.stateAt + this.deps.ttlMs, this.failedUntil.get(r.output) ?? 0));
    }
    return until;
  }

  /**
   * Why there is no check, when SecBot knows: a prefix no instance has, an event no job matched, a check retention
   * removed. Without a reason, the commit's event has simply not arrived (yet).
   */
  private async notStartedReason(checkId: string): Promise<{ reason?: string }> {
    const prefix = checkId.slice(0, checkId.length - 65);
    const known = this.deps.prefixes;
    if (known && known.length > 0 && !known.includes(prefix)) {
      return { reason: `prefix ${prefix} is not configured (GITLAB_CONFIGS prefixes: ${known.join(', ')}); fix SECBOT_PREFIX in the pipeline or add the instance` };
    }
    const ignored = await this.deps.checks.ignoredReason(checkId).catch(() => null);
    if (ignored) return { reason: `${ignored}; this commit will not be checked unless config.yml changes and the event is sent again` };
    const t = await this.deps.retention?.tombstone(checkId).catch(() => null);
    if (!t) return {};
    const when = t.finishedAt ? ` on ${new Date(t.finishedAt).toISOString().slice(0, 10)}` : '';
    return {
      reason: `this commit's check finished${when} with "${t.verdict ?? 'unknown'}" and was removed by retention (SECBOT_RETENTION_DAYS); push the commit again to check it`,
    };
  }

  /** Output findings whose state is older than the TTL, of outputs that can refresh and are not in back-off. */
  private due(rows: readonly LeakOutputRow[]): LeakOutputRow[] {
    const now = Date.now();
    return rows.filter(
      (r) =>
        r.externalId !== '' &&
        this.deps.outputs.get(r.output)?.refresh !== undefined &&
        now - r.stateAt >= this.deps.ttlMs &&
        (this.failedUntil.get(r.output) ?? 0) <= now,
    );
  }

  /** Resolves true when the refresh finished within the wait (whatever its outcome), false when it still runs. */
  private async refresh(check: CheckRow, rows: readonly LeakOutputRow[]): Promise<boolean> {
    const key = `${check.id}#${check.generation}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.refreshAll(check, rows).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const waitMs = this.deps.refreshWaitMs ?? DEFAULT_REFRESH_WAIT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    try {
      return await Promise.race([p.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async refreshAll(check: CheckRow, rows: readonly LeakOutputRow[]): Promise<void> {
    const log = this.deps.logger.child({ check_id: check.id, ...checkLogFields(check) });
    const byOutput = new Map<string, string[]>();
    for (const r of rows) byOutput.set(r.output, [...(byOutput.get(r.output) ?? []), r.externalId]);
    await Promise.all(
      [...byOutput].map(async ([output, ids]) => {
        const plugin = this.deps.outputs.get(output)!;
        const externalIds = [...new Set(ids)];
        try {
          log.debug('refreshing triage from the output', { output, external_ids: externalIds.length });
          const signal = AbortSignal.timeout(this.deps.refreshTimeoutMs);
          const open = await plugin.refresh!({ externalIds, signal, log });
          await this.deps.history.updateStates(output, externalIds.map((id) => ({ externalId: id, open: open.get(id) ?? true })));
          this.failedUntil.delete(output);
        } catch (err) {
          this.failedUntil.set(output, Date.now() + this.deps.ttlMs);
          log.warn('refreshing triage failed; answering the last known verdict as stale', { output, error: err });
          await this.deps.history.updateStates(output, { externalIds, error: errorMessage(err) }).catch(() => {});
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

