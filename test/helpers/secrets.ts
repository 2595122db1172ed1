/**
 * Fake secrets that gitleaks' default rules detect, assembled at run time from parts so no secret-shaped literal
 * sits in the repository (and each test plants a unique value it can search for afterwards).
 */
import { randomInt } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const pick = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

/** An AWS access key id shape (gitleaks rule aws-access-token). */
export function fakeAwsKey(): string {
  // gitleaks' own rule drops an id whose entropy is 3 or less (about 1 draw in 5,400): tests that run with its default
  // rules must not fail once in a few CI runs because a draw was unlucky. SecBot's pack lowers that floor.
  for (;;) {
    const key = ['AK', 'IA'].join('') + pick(BASE32, 16);
    if (shannonEntropy(key) > 3.2) return key;
  }
}

/** Bits per character, as gitleaks computes a rule's `entropy`. */
export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/** A GitHub classic personal access token shape (gitleaks rule github-pat). */
export function fakeGithubPat(): string {
  return ['gh', 'p_'].join('') + pick(ALNUM, 36);
}
