/**
 * Reads gitleaks' JSON report (an array of findings, CONTRACT.md §3) and turns it into SecBot's ScanReport. Only the
 * fields SecBot uses are validated. The raw text travels on as `reportJson` (DefectDojo's parser reads it), so this
 * is also the last gate before it leaves the host: a report with any secret not redacted is refused outright.
 */
import { z } from 'zod';
import { PermanentError } from '../../../core/errors.ts';
import type { LeakSummary, ScanReport } from '../../../core/results.ts';

const findingSchema = z.object({
  RuleID: z.string(),
  File: z.string(),
  StartLine: z.number().int(),
  Commit: z.string(),
  Secret: z.string(),
});
const reportSchema = z.array(findingSchema);
export type GitleaksFinding = z.infer<typeof findingSchema>;

/** gitleaks --redact (100 %) writes this in place of every secret. */
export const REDACTED = 'REDACTED';

export function parseGitleaksReport(text: string): GitleaksFinding[] {
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
  const unredacted = parsed.data.filter((f) => f.Secret !== REDACTED);
  if (unredacted.length > 0) {
    // Say where, never what: the secret itself must not reach the logs.
    const first = unredacted[0]!;
    throw new PermanentError(
      `gitleaks report has ${unredacted.length} unredacted secret(s) (first: rule ${first.RuleID} in ${first.File}); ` +
        'refusing to pass it on; check that SECBOT_GITLEAKS_BIN is gitleaks v8 and honours --redact',
    );
  }
  return parsed.data;
}

export function toLeakSummaries(findings: GitleaksFinding[]): LeakSummary[] {
  return findings.map((f) => ({ ruleId: f.RuleID, file: f.File, line: f.StartLine, commit: f.Commit }));
}

export interface ReportSummary {
  mode: string;
  range: string;
  commits: number;
  durationMs: number;
}

export function buildScanReport(reportJson: string, summary: ReportSummary): ScanReport {
  const findings = parseGitleaksReport(reportJson);
  return {
    status: findings.length > 0 ? 'leaks' : 'clean',
    findingCount: findings.length,
    reportJson,
    leaks: toLeakSummaries(findings),
    summary,
  };
}

export function skippedReport(summary: ReportSummary, reason: string): ScanReport {
  return { status: 'skipped', findingCount: 0, reportJson: '[]', leaks: [], summary: { ...summary, reason } };
}
