/**
 * Runs claimed tasks: up to `concurrency` at a time, each with a lease that a heartbeat extends, a timeout, and an
 * AbortSignal that fires on timeout, lost lease or forced shutdown. Outcomes are settled in batches: every outcome
 * that arrives before the next flush shares one transaction. On stop, the worker stops claiming, lets running
 * tasks finish within the grace period, then aborts and releases the rest for other workers.
 */
import { Waker } from './waker.ts';
import type { Logger } from '../log/logger.ts';
import type { TaskQueue } from './task-queue.ts';
import type { SettleHook, Settlement } from './settle.ts';
import type { ClaimedTask, Outcome } from './types.ts';

export type TaskHandler = (task: ClaimedTask, signal: AbortSignal) => Promise<Outcome>;

export interface WorkerOptions {
  owner: string;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  logger: Logger;
  /** Called after each applied settlement (metrics). */
  onSettled?: (s: Settlement, durationMs: number) => void | Promise<void>;
  /** Runs inside the settling transaction (verdict bookkeeping). */
  settleHook?: SettleHook;
  /** Log context of a task beyond its ids (the handler knows the check: project, ref, SHA). */
  logFieldsOf?: (task: ClaimedTask) => Record<string, unknown>;
}

interface Running {
  task: ClaimedTask;
  controller: AbortController;
  startedAt: number;
  promise: Promise<void>;
}

export class Worker {
  private running = new Map<number, Running>();
  private pending: { s: Settlement; durationMs: number }[] = [];
  private flushing: Promise<void> | null = null;
  private stopping = false;
  private readonly waker = new Waker();
  private loop: Promise<void> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private lastReap = 0;

  constructor(
    private readonly queue: TaskQueue,
    private readonly handler: TaskHandler,
    private readonly opts: WorkerOptions,
  ) {}

  start(): void {
    this.loop = this.run();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(50, Math.floor(this.opts.leaseMs / 3)));
  }

  /** Wakes the claim loop now (e.g. the intake in the same process just enqueued work). */
  poke(): void {
    this.waker.poke();
  }

  get inFlight(): number {
    return this.running.size;
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.poke();
    await this.loop;
    const all = Promise.all([...this.running.values()].map((r) => r.promise));
    const timedOut = await Promise.race([all.then(() => false), Bun.sleep(graceMs).then(() => true)]);
    if (timedOut) {
      for (const r of this.running.values()) r.controller.abort(new ShutdownAbort());
      await all;
    }
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.flush();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const free = this.opts.concurrency - this.running.size;
      if (free > 0) {
        try {
          await this.maybeReap();
          const claimed = await this.queue.claim(this.opts.owner, free, this.opts.leaseMs);
          for (const task of claimed) this.startTask(task);
        } catch (err) {
          this.opts.logger.warn('claiming tasks failed; will retry', { error: err });
        }
      }
      await this.waitForWork(this.opts.pollMs);
    }
  }

  /** Sleeps until poked (work added, a slot freed, children released, stopping) or the poll interval passes. */
  private waitForWork(ms: number): Promise<void> {
    return this.waker.sleep(ms);
  }

  private async maybeReap(): Promise<void> {
    const now = Date.now();
    if (now - this.lastReap < Math.max(this.opts.pollMs, this.opts.leaseMs / 4)) return;
    this.lastReap = now;
    const n = await this.queue.reapExpired();
    if (n > 0) this.opts.logger.warn('re-queued tasks whose lease expired', { count: n });
  }

  private startTask(task: ClaimedTask): void {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new TimeoutAbort(task.timeoutMs)), task.timeoutMs);
    const startedAt = performance.now();
    const promise = this.handler(task, controller.signal)
      .catch((err): Outcome => ({ type: 'retry', error: `handler crashed: ${String(err)}`, delayMs: 1000 }))
      .then((outcome) => {
        clearTimeout(timeout);
        const reason = controller.signal.reason;
        const final: Outcome = reason instanceof ShutdownAbort ? { type: 'release' } : outcome;
        this.running.delete(task.id);
        if (reason instanceof LeaseLost) return;
        this.pending.push({ s: { task, outcome: final }, durationMs: performance.now() - startedAt });
        this.scheduleFlush();
      });
    this.running.set(task.id, { task, controller, startedAt, promise });
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushNow());
  }

  private async flush(): Promise<void> {
    while (this.flushing || this.pending.length > 0) {
      if (this.flushing) await this.flushing;
      else this.scheduleFlush();
    }
  }

  private async flushNow(): Promise<void> {
    const batch = this.pending.splice(0);
    const free = this.opts.concurrency - this.running.size;
    const next = this.stopping ? null : { owner: this.opts.owner, limit: free, leaseMs: this.opts.leaseMs };
    try {
      const result = await this.queue.settleAndClaim(batch.map((b) => b.s), this.opts.settleHook, next);
      for (const task of result.claimed) this.startTask(task);
      const applied = new Set(result.applied);
      for (const b of batch) {
        if (applied.has(b.s)) await this.opts.onSettled?.(b.s, b.durationMs);
        else this.opts.logger.warn('task outcome dropped: its lease was lost to another worker', this.fieldsOf(b.s.task));
      }
      // Claimed as many as fit: more work may be waiting, so let the loop look again.
      if (result.released > 0 || (next && result.claimed.length === next.limit)) this.poke();
    } catch (err) {
      // The outcomes are not recorded; the leases will expire and the tasks run again (handlers are idempotent).
      this.opts.logger.error('recording task outcomes failed; the tasks will be retried after their lease', { error: err });
      this.poke();
    } finally {
      this.flushing = null;
      if (this.pending.length > 0) this.scheduleFlush();
    }
  }

  private fieldsOf(t: ClaimedTask): Record<string, unknown> {
    return { check_id: t.checkId, task_id: t.id, task: t.name, handler: t.handler, ...this.opts.logFieldsOf?.(t) };
  }

  private async heartbeat(): Promise<void> {
    const tasks = [...this.running.values()].map((r) => r.task);
    if (tasks.length === 0) return;
    try {
      const lost = await this.queue.heartbeat(tasks, this.opts.leaseMs);
      for (const id of lost) {
        const r = this.running.get(id);
        if (!r) continue;
        this.opts.logger.warn('lease lost; abandoning the task (another worker owns it now)', this.fieldsOf(r.task));
        r.controller.abort(new LeaseLost());
      }
    } catch (err) {
      this.opts.logger.warn('heartbeat failed', { error: err });
    }
  }
}

export class TimeoutAbort extends Error {
  override readonly name = 'TimeoutAbort';
  constructor(ms: number) {
    super(`task timed out after ${Math.round(ms / 1000)} s`);
  }
}
export class ShutdownAbort extends Error {
  override readonly name = 'ShutdownAbort';
  constructor() {
    super('worker shutting down');
  }
}
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
  constructor() {
    super('lease lost to another worker');
  }
}
