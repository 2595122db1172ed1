/**
 * Re-evaluation after triage: a finding marked false positive in DefectDojo (or reopened) changes verdicts without any
 * push, and GitLab must follow. Every `SECBOT_REEVALUATE_INTERVAL_MS` one worker (a lease in the database: two
 * workers never run a round twice) takes the checks that can still change where developers look — younger than
 * `SECBOT_REEVALUATE_MAX_AGE_DAYS`, with a GitLab publication, and failing or under an open merge request — reads
 * the triage of all their output findings again in batches (one DefectDojo request per up to 100 findings), stores
 * it, recomputes each check's verdict and marks the checks whose published view is out of date for the publication
 * sync. Bounded: at most `MAX_CHECKS` checks per round, newest first.
 */
import type { Settings } from '../config/settings.ts';
import { FINAL_STATUSES } from '../core/gate.ts';
import { errorMessage } from '../core/errors.ts';
import { stateKeyOf } from '../core/publication.ts';
import type { CheckStore } from '../db/checks.ts';
import type { PublicationStore } from '../db/publications.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Output } from '../plugins/types.ts';
import { loadSnapshot } from './publication-snapshot.ts';
import type { UnscannedPolicy, VerdictStores } from './verdict.ts';

export interface ReevaluationDeps extends VerdictStores {
  checks: CheckStore;
  publications: PublicationStore;
  outputs: ReadonlyMap<string, Output>;
  policy: UnscannedPolicy;
  settings: Pick<Settings, 'reevaluate' | 'publicUrl' | 'httpTimeoutMs'>;
  logger: Logger;
  metrics: Metrics;
  owner: string;
  /** Wakes the publication sync after a round marked checks due. */
  onDue?: () => void;
}

export const MAX_CHECKS = 2000;
/** Findings per refresh call: DefectDojo lists up to 100 findings by id in one request. */
export const BATCH = 100;
const LEASE = 'reevaluate';

export interface RoundReport {
  checks: number;
  findings: number;
  requests: number;
  failedRequests: number;
  changed: number;
}

export class Reevaluation {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly deps: ReevaluationDeps) {}

  start(): void {
    const every = this.deps.settings.reevaluate.intervalMs;
    this.timer = setInterval(() => void this.tick(), every);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.deps.publications.releaseLease(LEASE, this.deps.owner).catch(() => {});
  }

  /** Runs a round if this process holds (or takes) the lease; rounds of one process never overlap. */
  async tick(): Promise<RoundReport | null> {
    if (this.running) return null;
    const p = this.tickOnce();
    this.running = p;
    try {
      return await p;
    } finally {
      this.running = null;
    }
  }

  private async tickOnce(): Promise<RoundReport | null> {
    const d = this.deps;
    const every = d.settings.reevaluate.intervalMs;
    try {
      // Held a little longer than the interval: the holder renews it each tick, the others wait until it lapses.
      if (!(await d.publications.acquireLease(LEASE, d.owner, Math.round(every * 1.5)))) {
        d.metrics.reevaluationRuns.inc({ outcome: 'not_leader' });
        return null;
      }
      const started = performance.now();
      const report = await this.round();
      d.metrics.reevaluationDuration.observe({}, (performance.now() - started) / 1000);
      d.metrics.reevaluationRuns.inc({ outcome: 'done' });
      if (report.changed > 0) d.onDue?.();
      d.logger.info('re-evaluation round done', { ...report });
      return report;
    } catch (err) {
      d.metrics.reevaluationRuns.inc({ outcome: 'failed' });
      d.logger.warn('re-evaluation round failed; the next one tries again', { error: err });
      return null;
    }
  }

  /** One round (exposed for tests): read triage again, then mark the checks whose view changed. */
  async round(): Promise<RoundReport> {
    const d = this.deps;
    const candidates = await d.publications.reevaluationCandidates(d.settings.reevaluate.maxAgeMs, MAX_CHECKS);
    d.metrics.reevaluationChecks.set({}, candidates.length);
    const report: RoundReport = { checks: candidates.length, findings: 0, requests: 0, failedRequests: 0, changed: 0 };
    const ids = new Map<string, Set<string>>();
    for (const c of candidates) {
      for (const r of await d.history.outputsOfCheck({ checkId: c.id, generation: c.generation })) {
        if (r.externalId === '' || !d.outputs.get(r.output)?.refresh) continue;
        ids.set(r.output, (ids.get(r.output) ?? new Set()).add(r.externalId));
      }
    }
    for (const [output, set] of ids) await this.refreshOutput(output, [...set], report);
    report.changed = await this.markChanged(candidates.map((c) => c.id));
    d.metrics.reevaluationChanged.inc({}, report.changed);
    return report;
  }

  private async refreshOutput(output: string, externalIds: string[], report: RoundReport): Promise<void> {
    const d = this.deps;
    const plugin = d.outputs.get(output)!;
    const log = d.logger.child({ output, task: 'reevaluate' });
    for (let i = 0; i < externalIds.length; i += BATCH) {
      const part = externalIds.slice(i, i + BATCH);
      report.requests++;
      try {
        const open = await plugin.refresh!({ externalIds: part, signal: AbortSignal.timeout(d.settings.httpTimeoutMs), log });
        await d.history.updateStates(output, part.map((id) => ({ externalId: id, open: open.get(id) ?? true })));
        d.metrics.reevaluationRequests.inc({ output, outcome: 'ok' });
        d.metrics.reevaluationFindings.inc({ output }, part.length);
        report.findings += part.length;
      } catch (err) {
        report.failedRequests++;
        d.metrics.reevaluationRequests.inc({ output, outcome: 'failed' });
        log.warn('re-reading triage failed; the verdicts keep their last known state (marked stale)', { error: err, findings: part.length });
        await d.history.updateStates(output, { externalIds: part, error: errorMessage(err) }).catch(() => {});
      }
    }
  }

  /** Recomputes each check's verdict; marks due every check whose snapshot differs from what was published. */
  private async markChanged(checkIds: readonly string[]): Promise<number> {
    const d = this.deps;
    const published = new Map<string, (string | null)[]>();
    for (let i = 0; i < checkIds.length; i += 400) {
      for (const r of await d.publications.stateKeys(checkIds.slice(i, i + 400))) {
        published.set(r.checkId, [...(published.get(r.checkId) ?? []), r.stateKey]);
      }
    }
    const due: string[] = [];
    for (const id of checkIds) {
      const check = await d.checks.get(id);
      if (!check) continue;
      const { snapshot, verdict } = await loadSnapshot(d, check, d.settings.publicUrl);
      if (check.verdict !== verdict.status) await d.checks.setVerdict(check.id, check.generation, verdict.status, FINAL_STATUSES.has(verdict.status));
      const key = stateKeyOf(snapshot);
      if ((published.get(id) ?? []).some((k) => k !== key)) due.push(id);
    }
    for (let i = 0; i < due.length; i += 400) await d.publications.markDue(d.publications.db, due.slice(i, i + 400));
    return due.length;
  }
}
