/** outcomeOf(): the one place where a task's failure becomes retry / reschedule / fail. */
import { afterEach, describe, expect, spyOn, test } from 'bun:test';
import { ConfigError, PermanentError, RetryableError } from '../../../src/core/errors.ts';
import { exhaustedMessage, isExhausted, outcomeOf, type RetryPolicy } from '../../../src/queue/outcome.ts';
import type { ClaimedTask } from '../../../src/queue/types.ts';

const POLICY: RetryPolicy = { baseMs: 1000, maxMs: 60_000 };

function task(attempt: number): ClaimedTask {
  return {
    id: 1,
    checkId: `GIT_LOCAL_${'a'.repeat(64)}`,
    generation: 1,
    name: 'scan:gitleaks',
    kind: 'scan',
    handler: 'gitleaks',
    payload: { scan: 'gitleaks' },
    attempt,
    maxAttempts: 5,
    timeoutMs: 60_000,
    owner: 'worker-1',
    hasChildren: true,
  };
}

const aborted = (reason: unknown = new Error('shutting down')) => {
  const c = new AbortController();
  c.abort(reason);
  return c.signal;
};

let random: ReturnType<typeof spyOn> | undefined;
/** Pins Math.random so the backoff is exact: with r = 0 the delay is exp/2. */
function pinRandom(r: number) {
  random = spyOn(Math, 'random').mockReturnValue(r);
}
afterEach(() => {
  random?.mockRestore();
  random = undefined;
});

describe('RetryableError', () => {
  test.each([
    [1, 0, 500],
    [1, 1 - Number.EPSILON, 1000],
    [3, 0, 2000],
    [3, 0.5, 3000],
    [10, 0, 30_000],
  ])('attempt %i, random %p → retry after the backoff (%i ms)', (attempt, r, delay) => {
    pinRandom(r);
    expect(outcomeOf(new RetryableError('DefectDojo answered 502'), task(attempt), POLICY)).toEqual({
      type: 'retry',
      error: 'DefectDojo answered 502',
      delayMs: delay,
    });
  });

  test('Retry-After longer than the backoff wins', () => {
    pinRandom(0);
    expect(outcomeOf(new RetryableError('busy', { retryAfterMs: 45_000 }), task(1), POLICY)).toEqual({ type: 'retry', error: 'busy', delayMs: 45_000 });
  });

  test('Retry-After shorter than the backoff: the backoff wins', () => {
    pinRandom(0);
    expect(outcomeOf(new RetryableError('busy', { retryAfterMs: 10 }), task(4), POLICY)).toEqual({ type: 'retry', error: 'busy', delayMs: 4000 });
  });

  test.each([
    [30_000, 30_000],
    [5, 100],
    [0, 100],
    [undefined, 1000],
  ])('rate limited with Retry-After %p → reschedule after %i ms (no attempt used)', (retryAfterMs, delay) => {
    const err = new RetryableError('Slack: ratelimited', { rateLimited: true, retryAfterMs });
    expect(outcomeOf(err, task(3), POLICY)).toEqual({ type: 'reschedule', reason: 'Slack: ratelimited', delayMs: delay });
  });
});

describe('permanent failures', () => {
  test('PermanentError fails the task with its message', () => {
    expect(outcomeOf(new PermanentError('commit da15608 not found'), task(1), POLICY)).toEqual({ type: 'fail', error: 'commit da15608 not found' });
  });

  test('ConfigError fails the task and says it is configuration', () => {
    expect(outcomeOf(new ConfigError('Slack: invalid_auth (check SLACK_TOKEN)'), task(2), POLICY)).toEqual({
      type: 'fail',
      error: 'configuration: Slack: invalid_auth (check SLACK_TOKEN)',
    });
  });

  test('permanent and configuration errors fail even when the signal was aborted', () => {
    expect(outcomeOf(new PermanentError('bad report'), task(1), POLICY, aborted())).toEqual({ type: 'fail', error: 'bad report' });
    expect(outcomeOf(new ConfigError('bad token'), task(1), POLICY, aborted())).toEqual({ type: 'fail', error: 'configuration: bad token' });
  });
});

describe('unknown errors and interruptions', () => {
  test.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')"), "unexpected error: Cannot read properties of undefined (reading 'id')"],
    ['a plain Error', new Error('ECONNRESET'), 'unexpected error: ECONNRESET'],
    ['a thrown string', 'a thrown string', 'unexpected error: a thrown string'],
    ['a thrown number', 42, 'unexpected error: 42'],
    ['undefined', undefined, 'unexpected error: undefined'],
  ])('%s → retry with backoff', (_label, err, message) => {
    pinRandom(0);
    expect(outcomeOf(err, task(2), POLICY)).toEqual({ type: 'retry', error: message, delayMs: 1000 });
  });

  test.each([
    ['an unknown error', new Error('socket hang up')],
    ['a retryable error', new RetryableError('x')],
    ['a rate-limited error', new RetryableError('x', { rateLimited: true, retryAfterMs: 60_000 })],
    ['an AbortError', new DOMException('The operation was aborted.', 'AbortError')],
  ])('aborted signal with %s → retry, reporting the interruption', (_label, err) => {
    pinRandom(0);
    expect(outcomeOf(err, task(1), POLICY, aborted(new Error('task timed out after 60000 ms')))).toEqual({
      type: 'retry',
      error: 'interrupted: task timed out after 60000 ms',
      delayMs: 500,
    });
  });

  test('a signal that was not aborted changes nothing', () => {
    pinRandom(0);
    const live = new AbortController().signal;
    expect(outcomeOf(new PermanentError('p'), task(1), POLICY, live)).toEqual({ type: 'fail', error: 'p' });
    expect(outcomeOf(new RetryableError('r'), task(1), POLICY, live)).toEqual({ type: 'retry', error: 'r', delayMs: 500 });
  });

  test('the delay stays within the policy bounds with the real Math.random', () => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const o = outcomeOf(new Error('x'), task(attempt), POLICY);
      if (o.type !== 'retry') throw new Error(o.type);
      expect(o.delayMs).toBeGreaterThanOrEqual(POLICY.baseMs / 2);
      expect(o.delayMs).toBeLessThanOrEqual(POLICY.maxMs);
    }
  });
});

describe('the last attempt', () => {
  test('a retry on the last allowed attempt is exhausted; earlier ones and other outcomes are not', () => {
    const retry = { type: 'retry' as const, error: 'x', delayMs: 1 };
    expect(isExhausted(task(5), retry)).toBe(true);
    expect(isExhausted(task(4), retry)).toBe(false);
    expect(isExhausted(task(5), { type: 'reschedule', reason: 'r', delayMs: 1 })).toBe(false);
    expect(isExhausted(task(5), { type: 'fail', error: 'x' })).toBe(false);
  });

  test('its message counts the attempts and drops the "will retry" that no longer holds', () => {
    expect(exhaustedMessage(5, 'cannot reach GitLab at g.example to fetch a/b (network error); will retry:\nfatal: timeout')).toBe(
      'failed after 5 attempts: cannot reach GitLab at g.example to fetch a/b (network error):\nfatal: timeout',
    );
    expect(exhaustedMessage(1, 'the mirror of a/b kept changing under the scan; will retry')).toBe('failed after 1 attempt: the mirror of a/b kept changing under the scan');
    expect(exhaustedMessage(3, 'DefectDojo answered 502')).toBe('failed after 3 attempts: DefectDojo answered 502');
  });
});
