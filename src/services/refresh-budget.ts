/**
 * Keeps the gate quick while an output is slow or hung (DefectDojo accepting connections and never answering): a
 * triage refresh gets a short answer budget, then keeps running in the background (bounded by its own timeout) and
 * records its result for the next poll; a refresh that failed is remembered for a while, so the polls that follow
 * answer the last verdict at once instead of waiting again. One refresh per key at a time; concurrent pollers share it.
 */
export interface RefreshBudgetOptions {
  /** How long a poll waits for a refresh before answering the last verdict as stale. */
  answerWithinMs: number;
  /** After a failed refresh, how long polls skip refreshing (and answer stale). */
  holdAfterFailureMs: number;
  now?: () => number;
}

export type RefreshOutcome = 'fresh' | 'stale';

interface Inflight {
  promise: Promise<boolean>;
  startedAt: number;
}

/** Above this many remembered failures, expired ones are swept (a results instance sees many checks). */
const SWEEP_AT = 1000;

export class RefreshBudget {
  private readonly inflight = new Map<string, Inflight>();
  private readonly failedUntil = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: RefreshBudgetOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * Runs `refresh` (resolving true when every part succeeded) unless a recent failure is remembered or one is
   * already running, and waits for it at most what is left of the answer budget of the poll that started it.
   */
  async run(key: string, refresh: () => Promise<boolean>): Promise<RefreshOutcome> {
    const until = this.failedUntil.get(key);
    if (until !== undefined) {
      if (this.now() < until) return 'stale';
      this.failedUntil.delete(key);
    }
    const entry = this.inflight.get(key) ?? this.start(key, refresh);
    const left = entry.startedAt + this.o.answerWithinMs - this.now();
    const ok = left > 0 ? await within(entry.promise, left) : undefined;
    return ok === true ? 'fresh' : 'stale';
  }

  /** Whether polls of this key currently skip refreshing because a refresh failed recently. */
  holding(key: string): boolean {
    const until = this.failedUntil.get(key);
    return until !== undefined && this.now() < until;
  }

  private start(key: string, refresh: () => Promise<boolean>): Inflight {
    const settle = (ok: boolean) => {
      this.inflight.delete(key);
      if (ok) this.failedUntil.delete(key);
      else this.remember(key);
      return ok;
    };
    const entry: Inflight = { promise: refresh().then(settle, () => settle(false)), startedAt: this.now() };
    this.inflight.set(key, entry);
    return entry;
  }

  private remember(key: string): void {
    const now = this.now();
    if (this.failedUntil.size >= SWEEP_AT) {
      for (const [k, until] of this.failedUntil) if (until <= now) this.failedUntil.delete(k);
    }
    this.failedUntil.set(key, now + this.o.holdAfterFailureMs);
  }
}

/** The promise's value, or undefined when it takes longer than `ms` (it keeps running). */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
