import { describe, expect, test } from 'bun:test';
import { RefreshBudget } from '../../../src/services/refresh-budget.ts';

/** A refresh the test settles by hand. */
function pending() {
  let settle!: (ok: boolean) => void;
  let fail!: (e: Error) => void;
  let calls = 0;
  let current: Promise<boolean> | null = null;
  const run = () => {
    calls += 1;
    current = new Promise<boolean>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    return current;
  };
  return { run, settle: (ok: boolean) => settle(ok), fail: (e: Error) => fail(e), calls: () => calls };
}

describe('RefreshBudget', () => {
  test('a refresh that finishes within the budget is fresh', async () => {
    const b = new RefreshBudget({ answerWithinMs: 500, holdAfterFailureMs: 10_000 });
    expect(await b.run('k', async () => true)).toBe('fresh');
    expect(b.holding('k')).toBe(false);
  });

  test('a hung refresh answers stale once the budget is spent, goes on in the background, and joined polls do not wait again', async () => {
    let now = 0;
    const b = new RefreshBudget({ answerWithinMs: 50, holdAfterFailureMs: 10_000, now: () => now });
    const r = pending();
    const first = b.run('k', r.run);
    expect(await first).toBe('stale');
    now = 60;
    const t0 = performance.now();
    expect(await b.run('k', r.run)).toBe('stale');
    expect(performance.now() - t0).toBeLessThan(40);
    expect(r.calls()).toBe(1);
    r.settle(true);
    await Bun.sleep(0);
    expect(await b.run('k', async () => true)).toBe('fresh');
  });

  test('a failed refresh is remembered for the hold time: polls skip refreshing, then try again', async () => {
    let now = 0;
    const b = new RefreshBudget({ answerWithinMs: 500, holdAfterFailureMs: 1_000, now: () => now });
    const r = pending();
    const first = b.run('k', r.run);
    r.fail(new Error('connection refused'));
    expect(await first).toBe('stale');
    expect(b.holding('k')).toBe(true);
    now = 999;
    expect(await b.run('k', r.run)).toBe('stale');
    expect(r.calls()).toBe(1);
    now = 1_000;
    const again = b.run('k', r.run);
    expect(r.calls()).toBe(2);
    r.settle(true);
    expect(await again).toBe('fresh');
    expect(b.holding('k')).toBe(false);
  });

  test('a refresh reporting a partial failure (false) is held like an error; keys are independent', async () => {
    const b = new RefreshBudget({ answerWithinMs: 500, holdAfterFailureMs: 60_000 });
    expect(await b.run('a', async () => false)).toBe('stale');
    expect(b.holding('a')).toBe(true);
    expect(await b.run('b', async () => true)).toBe('fresh');
  });

  test('a hung refresh that times out later is held from then on', async () => {
    let now = 0;
    const b = new RefreshBudget({ answerWithinMs: 20, holdAfterFailureMs: 5_000, now: () => now });
    const r = pending();
    expect(await b.run('k', r.run)).toBe('stale');
    now = 30_000;
    r.fail(new Error('timed out after 30000 ms'));
    await Bun.sleep(0);
    expect(b.holding('k')).toBe(true);
    expect(await b.run('k', r.run)).toBe('stale');
    expect(r.calls()).toBe(1);
  });
});
