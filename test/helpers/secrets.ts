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
  return ['AK', 'IA'].join('') + pick(BASE32, 16);
}

/** A GitHub classic personal access token shape (gitleaks rule github-pat). */
export function fakeGithubPat(): string {
  return ['gh', 'p_'].join('') + pick(ALNUM, 36);
}
