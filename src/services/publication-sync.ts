/**
 * The worker's publication sync: keeps each check's view in GitLab (commit status, MR note) equal to the check. It
 * takes due `publications` rows under a lease (src/db/publications.ts), builds the check's snapshot, skips it when
 * the published state key is the same, and hands the rest to the publishing notifier, which writes only what differs
 * from its ledger. Rows become due in the transaction that changes a check (intake, settled tasks, re-read triage)
 * and when a scan starts (`running`). Failures retry with back-off (a rate limit waits as long as GitLab asks, or a
 * minute); refusals that need the operator (a 403 on a protected branch) are retried once per re-evaluation interval
 * while the check is young enough to follow. A check's notify task publishes through the same path, so a failure to
 * publish also shows on the check like a Slack failure does.
 */
import { Waker } from '../queue/waker.ts';
import type { Settings } from '../config/settings.ts';
import { ConfigError, PermanentError, RetryableError, errorMessage } from '../core/errors.ts';
import { stateKeyOf } from '../core/publication.ts';
import type { CheckStore } from '../db/checks.ts';
import type { PublicationRow, PublicationStore } from '../db/publications.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Notifier, PublicationLedger, PublishMergeRequest, PublishResult } from '../plugins/types.ts';
import { backoffMs } from '../queue/backoff.ts';
import { loadSnapshot } from './publication-snapshot.ts';
import type { UnscannedPolicy, VerdictStores } from './verdict.ts';

export interface PublicationSyncDeps extends VerdictStores {
  checks: CheckStore;
  publications: PublicationStore;
  policy: UnscannedPolicy;
  notifiers: ReadonlyMap<string, Notifier>;
  settings: Pick<Settings, 'gitlab' | 'publicUrl' | 'reevaluate' | 'worker'>;
  logger: Logger;
  metrics: Metrics;
  owner: string;
}

/** One publication may take this long before its lease lets another worker take it over. */
const LEASE_MS = 120_000;
const BATCH = 8;

export class PublicationSync {
  private loop: Promise<void> | null = null;
  private stopping = false;
  private readonly waker = new Waker();

  constructor(private readonly deps: PublicationSyncDeps) {}

  start(): void {
    this.loop = this.run();
  }

  poke(): void {
    this.waker.poke();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.poke();
    await this.loop;
  }

  /** Publishes one check now, for its notify task: throws what the task should record. */
  async publishNow(checkId: string, notifier: string, taskOwner: string): Promise<PublishResult> {
    await this.deps.publications.ensure(checkId, notifier);
    const row = await this.deps.publications.claimOne(checkId, notifier, taskOwner, LEASE_MS);
    if (!row) throw new RetryableError('another worker is publishing this check right now', { retryAfterMs: 2_000, rateLimited: true });
    return this.publish(row, taskOwner);
  }

  /** Publishes every row due now (one pass); returns how many were taken. */
  async runDue(): Promise<number> {
    if (!(await this.deps.publications.hasDue())) return 0;
    const rows = await this.deps.publications.claimDue(this.deps.owner, BATCH, LEASE_MS);
    await Promise.all(rows.map((r) => this.publish(r, this.deps.owner).catch(() => undefined)));
    return rows.length;
  }

  private async run(): Promise<void> {
    const pollMs = Math.max(50, this.deps.settings.worker.pollMs);
    while (!this.stopping) {
      let taken = 0;
      try {
        taken = await this.runDue();
      } catch (err) {
        this.deps.logger.warn('publication sync pass failed; will retry', { error: err });
      }
      if (taken < BATCH) await this.sleep(pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return this.waker.sleep(ms);
  }

  private async publish(row: PublicationRow, owner: string): Promise<PublishResult> {
    const d = this.deps;
    const log = d.logger.child({ check_id: row.checkId, notifier: row.notifier });
    const check = await d.checks.get(row.checkId);
    const notifier = d.notifiers.get(row.notifier);
    const instance = check ? d.settings.gitlab.find((g) => g.host === check.host) : undefined;
    if (!check || !notifier?.publish || !instance) {
      const why = !check ? 'the check no longer exists' : !instance ? `GitLab instance ${check.host} is no longer in GITLAB_CONFIGS` : `component "${row.notifier}" is not a publishing notifier in config.yml any more`;
      await d.publications.failed(row, owner, why, null);
      d.metrics.publications.inc({ notifier: row.notifier, outcome: 'dropped' });
      throw new ConfigError(why);
    }
    const { snapshot } = await loadSnapshot(d, check, d.settings.publicUrl);
    const key = stateKeyOf(snapshot);
    if (key === row.stateKey) {
      await d.publications.succeeded(row, owner, key);
      d.metrics.publications.inc({ notifier: row.notifier, outcome: 'unchanged' });
      return { written: 0, unchanged: 1, problems: [] };
    }
    const mergeRequests = await d.publications.openMergeRequests(check.id, check.host);
    const tooOld = Date.now() - check.createdAt > d.settings.reevaluate.maxAgeMs;
    let result: PublishResult;
    try {
      result = await notifier.publish({
        snapshot, instance, mergeRequests, ledger: this.ledgerOf(row, check.host), signal: AbortSignal.timeout(LEASE_MS / 2), log,
      });
    } catch (err) {
      const retryIn = tooOld ? null : this.retryDelay(err, row.attempts + 1);
      await d.publications.failed(row, owner, errorMessage(err), retryIn);
      d.metrics.publications.inc({ notifier: row.notifier, outcome: err instanceof RetryableError ? 'retry' : 'failed' });
      log.warn('publishing to GitLab did not complete', { error: err, retry_in_ms: retryIn });
      throw err;
    }
    d.metrics.publicationWrites.inc({ notifier: row.notifier }, result.written);
    if (result.problems.length > 0) {
      const message = result.problems.map((p) => `${p.target}: ${p.message}`).join('; ');
      await d.publications.failed(row, owner, message, tooOld ? null : d.settings.reevaluate.intervalMs);
      d.metrics.publications.inc({ notifier: row.notifier, outcome: 'refused' });
      log.warn('GitLab refused part of the publication; the fix is in the message', { problems: message });
      return result;
    }
    await d.publications.succeeded(row, owner, key);
    d.metrics.publications.inc({ notifier: row.notifier, outcome: result.written > 0 ? 'published' : 'unchanged' });
    if (result.written > 0) log.info('published to GitLab', { verdict: snapshot.status, phase: snapshot.phase, writes: result.written });
    return result;
  }

  private retryDelay(err: unknown, attempt: number): number {
    const w = this.deps.settings.worker;
    if (err instanceof RetryableError) return Math.max(err.retryAfterMs ?? 0, err.rateLimited ? 0 : backoffMs(attempt, w.retryBaseMs, w.retryMaxMs));
    // A token or permission problem needs the operator: look again once per re-evaluation interval.
    if (err instanceof ConfigError || err instanceof PermanentError) return this.deps.settings.reevaluate.intervalMs;
    return backoffMs(attempt, w.retryBaseMs, w.retryMaxMs);
  }

  private ledgerOf(row: PublicationRow, host: string): PublicationLedger {
    const p = this.deps.publications;
    const { checkId, notifier } = row;
    const noteKey = (mr: PublishMergeRequest) => ({ notifier, host, projectId: mr.projectId, iid: mr.iid });
    return {
      statuses: () => p.statuses(checkId, notifier),
      saveStatus: (s) => p.saveStatus(checkId, notifier, s),
      dropStatus: (target) => p.dropStatus(checkId, notifier, target),
      note: (mr) => p.note(noteKey(mr)),
      saveNote: (mr, noteId, hash) => p.saveNote(noteKey(mr), noteId, hash, checkId),
      dropNote: (mr) => p.dropNote(noteKey(mr)),
      closeMergeRequest: (mr, state) => p.closeMergeRequest(checkId, mr.projectId, mr.iid, state),
    };
  }
}
