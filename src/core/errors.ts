/**
 * The three kinds of failure SecBot distinguishes. Every plugin and client throws one of these; the worker maps
 * them to task outcomes in one place (`src/queue/outcome.ts`). Messages are written for the operator: they say
 * what failed and what to fix, and never carry a token or a secret value.
 */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  /** Milliseconds to wait before the next attempt, when the remote side said so (Retry-After). */
  readonly retryAfterMs?: number;
  /** True when the wait is imposed by a rate limit: the attempt is not counted against max_attempts. */
  readonly rateLimited: boolean;
  constructor(message: string, opts: { retryAfterMs?: number; rateLimited?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.retryAfterMs = opts.retryAfterMs;
    this.rateLimited = opts.rateLimited ?? false;
  }
}

/** A failure that retrying cannot fix (bad request, missing commit, invalid report). */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
  }
}

/** The operator's configuration is wrong (env variable, config.yml, token). Fails start-up or the task for good. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
