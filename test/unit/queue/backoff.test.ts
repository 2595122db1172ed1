/** backoffMs(): exponential growth capped at maxMs, with "equal jitter" in [exp/2, exp]. */
import { describe, expect, test } from 'bun:test';
import { backoffMs } from '../../../src/queue/backoff.ts';

const fixed = (r: number) => () => r;
const ALMOST_ONE = 1 - Number.EPSILON;

describe('backoffMs', () => {
  test.each([
    // attempt, base, max, expected exp (the jitter-free ceiling)
    [1, 1000, 60_000, 1000],
    [2, 1000, 60_000, 2000],
    [3, 1000, 60_000, 4000],
    [4, 1000, 60_000, 8000],
    [7, 1000, 60_000, 60_000],
    [50, 1000, 60_000, 60_000],
    [5000, 2000, 300_000, 300_000],
    [1, 2000, 1000, 1000],
    [0, 1000, 60_000, 1000],
    [-3, 1000, 60_000, 1000],
  ])('attempt %i, base %i, max %i: between exp/2 and exp = %i', (attempt, base, max, exp) => {
    expect(backoffMs(attempt, base, max, fixed(0))).toBe(Math.round(exp / 2));
    expect(backoffMs(attempt, base, max, fixed(0.5))).toBe(Math.round(exp * 0.75));
    expect(backoffMs(attempt, base, max, fixed(ALMOST_ONE))).toBe(exp);
  });

  test('the jitter is linear in the random value', () => {
    for (const r of [0, 0.1, 0.25, 0.333, 0.9]) {
      expect(backoffMs(3, 1000, 60_000, fixed(r))).toBe(Math.round(2000 + r * 2000));
    }
  });

  test('grows with the attempt until the cap (same random value)', () => {
    const delays = Array.from({ length: 12 }, (_, i) => backoffMs(i + 1, 500, 30_000, fixed(0.5)));
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays[0]).toBe(375);
    expect(delays.at(-1)).toBe(22_500);
  });

  test('never exceeds maxMs and never drops below half the step, with Math.random', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const exp = Math.min(10_000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i < 20; i++) {
        const d = backoffMs(attempt, 100, 10_000);
        expect(d).toBeGreaterThanOrEqual(Math.floor(exp / 2));
        expect(d).toBeLessThanOrEqual(10_000);
        expect(Number.isInteger(d)).toBe(true);
      }
    }
  });

  test('uses the injected random source once per call', () => {
    let calls = 0;
    backoffMs(2, 1000, 60_000, () => {
      calls++;
      return 0.3;
    });
    expect(calls).toBe(1);
  });
});
