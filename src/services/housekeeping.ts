/**
 * The worker's housekeeping pass: retention of finished checks, deliveries and tombstones, every
 * SECBOT_PRUNE_INTERVAL_MS (the first one shortly after start). Two workers pruning at once is harmless: every
 * delete is idempotent and batched.
 */
import type { Settings } from '../config/settings.ts';
import type { RetentionStore } from '../db/retention.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

const DAY_MS = 86_400_000;
const FIRST_RUN_DELAY_MS = 30_000;

export interface HousekeepingDeps {
  retention: RetentionStore;
  settings: Pick<Settings, 'retention'>;
  metrics: Metrics;
  logger: Logger;
}

export class Housekeeping {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: HousekeepingDeps) {}

  start(firstDelayMs = FIRST_RUN_DELAY_MS): void {
    if (this.deps.settings.retention.pruneIntervalMs <= 0) return;
    this.schedule(firstDelayMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass now (also what the loop runs). */
  async runOnce(now = Date.now()): Promise<void> {
    const r = this.deps.settings.retention;
    const started = Date.now();
    try {
      const counts = await this.deps.retention.prune({
        checksBefore: now - r.checkDays * DAY_MS,
        deliveriesBefore: now - r.deliveryDays * DAY_MS,
        tombstonesBefore: now - 4 * r.checkDays * DAY_MS,
      });
      for (const [what, n] of Object.entries(counts)) if (n > 0) this.deps.metrics.pruned.inc({ what }, n);
      const total = counts.checks + counts.deliveries + counts.tombstones;
      this.deps.logger[total > 0 ? 'info' : 'debug']('housekeeping pass done', { ...counts, duration_ms: Date.now() - started });
    } catch (err) {
      this.deps.logger.warn('housekeeping pass failed; trying again at the next interval', { error: err });
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => {
        this.running = null;
        if (this.timer) this.schedule(this.deps.settings.retention.pruneIntervalMs);
      });
    }, delayMs);
    this.timer.unref?.();
  }
}
