/**
 * A leak is one secret gitleaks found at one place in one commit — SecBot's own record of it, independent of what an
 * output (DefectDojo) makes of it. Leaks are identified per project and scan component by `leakKey` (where: commit,
 * file, line, column, rule, and the keyed fingerprint of the secret) and grouped for novelty by `noveltyKey` (what:
 * rule, file and secret, whatever the commit), so a secret pushed again in another commit or branch is not "new".
 * Raw secret values exist only while a scan runs: what is kept is an HMAC under a key that is not in the database.
 */
import { createHash, createHmac } from 'node:crypto';

export type LeakKind = 'secret' | 'unscanned';

/** Why a file of the scanned range was not scanned (kind `unscanned`; the rule id says which). */
export const UNSCANNED_RULES = { tooLarge: 'secbot:unscanned:too-large', binary: 'secbot:unscanned:binary' } as const;

export interface LeakRecord {
  leakKey: string;
  kind: LeakKind;
  /** The commit that introduced the line (gitleaks' `Commit`). */
  commit: string;
  ruleId: string;
  /** For people: the rule's description, masked. */
  description: string;
  /** Masked: no secret found in the same scan survives in it. */
  file: string;
  line: number;
  /** HMAC of the secret value; empty for `unscanned`. */
  fingerprint: string;
  /** HMAC over rule, file and secret: equal for the same secret in the same file, in any commit. */
  noveltyKey: string;
  /** Tag-derived severity when the rule declares one (`severity:high`), else null (the output decides). */
  severity: string | null;
  /** The finding as handed to outputs (a gitleaks JSON report entry), masked; `{}` for `unscanned`. */
  entry: Record<string, unknown>;
}

/** A leak as linked to one check: found by its own scan, or inherited from a commit of its history. */
export interface CheckLeak extends LeakRecord {
  inherited: boolean;
  foundBy: { checkId: string; generation: number };
  isNew: boolean;
}

const SEP = '\u0000';

export function secretFingerprint(key: Uint8Array, secret: string): string {
  return createHmac('sha256', key).update(`secret${SEP}${secret}`, 'utf8').digest('hex');
}

export function noveltyKeyOf(key: Uint8Array, ruleId: string, file: string, secret: string): string {
  return createHmac('sha256', key).update(`novelty${SEP}${ruleId}${SEP}${file}${SEP}${secret}`, 'utf8').digest('hex');
}

export function leakKeyOf(p: { commit: string; file: string; line: number; column: number; ruleId: string; fingerprint: string }): string {
  const text = [p.commit, p.file, p.line, p.column, p.ruleId, p.fingerprint].join(SEP);
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

/** The tag SecBot puts on every finding it uploads, so the output's finding can be traced back to the leak. */
export const LEAK_TAG_PREFIX = 'secbot-leak:';
export const leakTag = (leakKey: string) => `${LEAK_TAG_PREFIX}${leakKey}`;

export function leakKeyOfTags(tags: readonly string[]): string | null {
  const t = tags.find((x) => x.toLowerCase().startsWith(LEAK_TAG_PREFIX));
  return t ? t.slice(LEAK_TAG_PREFIX.length).toLowerCase() : null;
}

/**
 * Replaces every occurrence of every secret in `text` with `REDACTED`. Longest secrets first, so a secret that
 * contains another is masked whole. Secrets shorter than 4 characters are masked too: a gate must not trade secrecy
 * for readability.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length === 0 || !out.includes(s)) continue;
    out = out.split(s).join('REDACTED');
  }
  return out;
}

/** Distinct non-empty secrets, longest first (the order maskSecrets needs). */
export function secretList(values: Iterable<string>): string[] {
  return [...new Set([...values].filter((v) => v.length > 0))].sort((a, b) => b.length - a.length);
}

/** Deep copy of a JSON value with every string masked. */
export function maskDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return maskSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [maskSecrets(k, secrets), maskDeep(v, secrets)]));
  }
  return value;
}

/** True when any string inside `value` (keys included) still holds one of the secrets: the last check before anything is kept. */
export function holdsSecret(value: unknown, secrets: readonly string[]): boolean {
  if (typeof value === 'string') return secrets.some((s) => s.length > 0 && value.includes(s));
  if (Array.isArray(value)) return value.some((v) => holdsSecret(v, secrets));
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => holdsSecret(k, secrets) || holdsSecret(v, secrets));
  }
  return false;
}
