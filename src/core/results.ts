/** Results that flow from scans to outputs to notifiers, and into the gate. Secret values never appear here. */
export type Severity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Info';
export const SEVERITIES: readonly Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Info'];

export type OutputVerdict = 'fail' | 'success';

export interface LeakSummary {
  ruleId: string;
  file: string;
  line: number;
  commit: string;
}

export interface ScanReport {
  status: 'clean' | 'leaks' | 'skipped';
  findingCount: number;
  /** The scanner's report as its tool wrote it, already redacted (gitleaks --redact). */
  reportJson: string;
  leaks: LeakSummary[];
  summary: {
    mode?: string;
    range?: string;
    commits?: number;
    durationMs?: number;
    reason?: string;
  };
}

export interface FindingSummary {
  id: string | null;
  title: string;
  severity: Severity;
  url: string | null;
  /** Not a duplicate of a finding the output already had before this check. */
  isNew: boolean;
  /** Active and not triaged away (false positive, risk accepted, out of scope, mitigated). */
  open: boolean;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
