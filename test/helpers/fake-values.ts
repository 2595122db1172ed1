/**
 * Random values shaped like credentials, made at run time so test sources hold no secret-shaped literal. Every call
 * gives a new value, so a test can search for exactly what it planted.
 */
import { randomInt } from 'node:crypto';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const pick = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

export const alnum = (n: number) => pick(UPPER + LOWER + DIGITS, n);
export const lower = (n: number) => pick(LOWER + DIGITS, n);
export const hex = (n: number) => pick('0123456789abcdef', n);
export const HEX = (n: number) => pick('0123456789ABCDEF', n);
export const b64 = (n: number) => pick(UPPER + LOWER + DIGITS + '+/', n);
export const b64url = (n: number) => pick(UPPER + LOWER + DIGITS + '-_', n);
export const crypt = (n: number) => pick(`./${DIGITS}${UPPER}${LOWER}`, n);
export const base32 = (n: number) => pick('abcdefghijklmnopqrstuvwxyz234567', n);
export const digits = (n: number) => pick(DIGITS, n);
export const uuid = () => [8, 4, 4, 4, 12].map((n) => hex(n)).join('-');

/** A password: letters, digits and a few symbols that need no quoting in any config syntax. */
export function password(n = 16): string {
  return pick(UPPER + LOWER, 1) + pick(`${UPPER}${LOWER}${DIGITS}!%*-_+.`, n - 3) + pick(DIGITS, 1) + pick('!%*-_+.', 1);
}

/** A PEM block of random base64 (no real key). */
export function pem(label: string, lines = 8): string {
  const body = Array.from({ length: lines }, () => b64(64)).join('\n');
  return `-----BEGIN ${label}-----\n${body}\n${b64(40)}==\n-----END ${label}-----`;
}
