/**
 * The one place where failures become task outcomes: retryable errors are retried with backoff (or rescheduled
 * without using an attempt when the remote side rate-limits), permanent and configuration errors fail the task for
 * good, timeouts retry, and anything unexpected is retried too — up to max_attempts — so a bug cannot loop forever.
 */
import { ConfigError, PermanentError, RetryableError, errorMessage } from '../core/errors.ts';
import { backoffMs } from './backoff.ts';
import type { ClaimedTask, Outcome } from './types.ts';

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

export function outcomeOf(err: unknown, task: ClaimedTask, policy: RetryPolicy, signal?: AbortSignal): Outcome {
  const backoff = () => backoffMs(task.attempt, policy.baseMs, policy.maxMs);
  if (signal?.aborted && !(err instanceof PermanentError || err instanceof ConfigError)) {
    return { type: 'retry', error: `interrupted: ${errorMessage(signal.reason)}`, delayMs: backoff() };
  }
  if (err instanceof RetryableError) {
    if (err.rateLimited) {
      return { type: 'reschedule', reason: err.message, delayMs: Math.max(err.retryAfterMs ?? 1000, 100) };
    }
    return { type: 'retry', error: err.message, delayMs: Math.max(err.retryAfterMs ?? 0, backoff()) };
  }
  if (err instanceof PermanentError) return { type: 'fail', error: err.message };
  if (err instanceof ConfigError) return { type: 'fail', error: `configuration: ${err.message}` };
  return { type: 'retry', error: `unexpected error: ${errorMessage(err)}`, delayMs: backoff() };
}

/** A counted failure on the last allowed attempt: the task fails for good. */
export function isExhausted(task: Pick<ClaimedTask, 'attempt' | 'maxAttempts'>, outcome: Outcome): boolean {
  return outcome.type === 'retry' && task.attempt >= task.maxAttempts;
}

/** What a task's last failure records: how many attempts were made, and no "will retry" that no longer holds. */
export function exhaustedMessage(attempt: number, error: string): string {
  return `failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${error.replace(/;? will retry(?=:|$)/m, '')}`;
}
