/**
 * gitleaks runs without --redact and writes its report to a pipe: this is the only place raw secret values exist.
 * Each finding gets its keyed fingerprint, novelty key and leak key; then every secret found in the scan is masked in
 * every field of every finding (file names and commit messages included — `--redact` only masks Secret, Match and
 * Line) and the raw report is dropped. What leaves this module is checked once more to hold none of the secrets.
 */
import { z } from 'zod';
import { PermanentError } from '../../../core/errors.ts';
import { severityOfTags } from './severity.ts';
import {
  holdsSecret, leakKeyOf, leakTag, maskDeep, maskSecrets, noveltyKeyOf, secretFingerprint, secretList, type LeakRecord,
} from '../../../core/leaks.ts';

const findingSchema = z.object({
  RuleID: z.string(),
  Description: z.string().default(''),
  StartLine: z.number().int(),
  EndLine: z.number().int().default(0),
  StartColumn: z.number().int().default(0),
  EndColumn: z.number().int().default(0),
  Match: z.string().default(''),
  Secret: z.string(),
  File: z.string(),
  SymlinkFile: z.string().default(''),
  Commit: z.string(),
  Entropy: z.number().default(0),
  Date: z.string().default(''),
  Message: z.string().default(''),
  Tags: z.array(z.string()).nullish(),
});
const reportSchema = z.array(findingSchema);
export type RawFinding = z.infer<typeof findingSchema>;

export function parseRawReport(text: string): RawFinding[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PermanentError('gitleaks wrote a report that is not JSON; check that SECBOT_GITLEAKS_BIN is gitleaks v8');
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') : '?';
    throw new PermanentError(`gitleaks report does not have the expected shape at ${where}; check that SECBOT_GITLEAKS_BIN is gitleaks v8`);
  }
  return parsed.data;
}

export interface Sanitized {
  leaks: LeakRecord[];
  /** Masks a text with the secrets of this scan (for the check's own fields: branch names, MR titles). */
  mask: (text: string) => string;
  /** Whether a text holds one of the secrets of this scan. */
  holds: (text: string) => boolean;
}

/** Fingerprints, keys and masked entries for every finding; the raw values are not part of the result. */
export function sanitize(raw: readonly RawFinding[], key: Uint8Array): Sanitized {
  const secrets = secretList(raw.map((f) => f.Secret));
  const leaks = raw.map((f) => toLeak(f, key, secrets));
  const mask = (text: string) => maskSecrets(text, secrets);
  if (leaks.some((l) => holdsSecret(l, secrets))) {
    // Cannot happen with maskDeep over every string; refusing is cheaper than explaining a leak.
    throw new PermanentError('masking the gitleaks report left a secret in it; refusing to pass it on');
  }
  return { leaks, mask, holds: (text) => holdsSecret(text, secrets) };
}

function toLeak(f: RawFinding, key: Uint8Array, secrets: readonly string[]): LeakRecord {
  const fingerprint = secretFingerprint(key, f.Secret);
  const leakKey = leakKeyOf({ commit: f.Commit, file: f.File, line: f.StartLine, column: f.StartColumn, ruleId: f.RuleID, fingerprint });
  const tags = (f.Tags ?? []).map((t) => maskSecrets(t, secrets));
  const entry = maskDeep(
    {
      RuleID: f.RuleID,
      Description: f.Description,
      StartLine: f.StartLine,
      EndLine: f.EndLine,
      StartColumn: f.StartColumn,
      EndColumn: f.EndColumn,
      Match: f.Match,
      File: f.File,
      SymlinkFile: f.SymlinkFile,
      Commit: f.Commit,
      Entropy: f.Entropy,
      Date: f.Date,
      Message: f.Message,
    },
    secrets,
  ) as Record<string, unknown>;
  // A distinct placeholder per leak: DefectDojo's parser merges findings with equal title, Secret and line, which
  // would make two leaks one finding and lose the second one's tag. Author and e-mail are not passed on at all.
  entry.Secret = `REDACTED-${leakKey.slice(0, 12)}`;
  entry.Tags = [...tags, leakTag(leakKey)];
  return {
    leakKey,
    kind: 'secret',
    commit: f.Commit,
    ruleId: f.RuleID,
    description: String(entry.Description),
    file: String(entry.File),
    line: f.StartLine,
    fingerprint,
    noveltyKey: noveltyKeyOf(key, f.RuleID, f.File, f.Secret),
    severity: severityOfTags(tags),
    entry,
  };
}
