/** Results that flow from scans to outputs to notifiers, and into the gate. Secret values never appear here. */
import type { LeakRecord } from './leaks.ts';

export type Severity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Info';
export const SEVERITIES: readonly Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Info'];

export type OutputVerdict = 'fail' | 'success';

export interface ScanHistoryResult {
  /** The commit whose whole history this scan covered (own range scanned, the rest covered before); null if not. */
  covers: string | null;
  /** Commits of recorded leaks that the scanned commit reaches: their leaks are inherited. */
  inheritedCommits: string[];
  /** Covered commits that the scanned commit reaches: its own coverage makes them redundant. */
  subsumedCovered: string[];
  /** No completed scan of this component had covered anything of the project before. */
  firstSight: boolean;
}

/** Fields of the check that held a secret this scan found, masked (a branch named after a token, say). */
export interface MaskedContext {
  refName?: string;
  sourceBranch?: string;
  targetBranch?: string;
  mrTitle?: string;
  userName?: string;
}

export interface ScanReport {
  status: 'clean' | 'leaks' | 'skipped';
  /** Secrets found in the scanned range (unscanned files not counted). */
  findingCount: number;
  /** The secrets found, as a gitleaks JSON report, every secret value masked (what outputs import). */
  reportJson: string;
  /** Everything the scan recorded in its own range: secrets and unscanned files. */
  leaks: LeakRecord[];
  history: ScanHistoryResult | null;
  maskedContext?: MaskedContext;
  summary: {
    mode?: string;
    range?: string;
    commits?: number;
    durationMs?: number;
    reason?: string;
    firstSight?: boolean;
    unscanned?: number;
  };
}

/** A finding as people see it (gate answer, notifications): one leak and what the output made of it. */
export interface FindingSummary {
  /** The output's finding id, if it has one. */
  id: string | null;
  title: string;
  severity: Severity;
  url: string | null;
  /** First sight of this secret in the project (decided by SecBot, not by the output's deduplication). */
  isNew: boolean;
  /** Not triaged away (false positive, risk accepted, out of scope, mitigated). */
  open: boolean;
  leakKey?: string;
  ruleId?: string;
  file?: string;
  line?: number;
  commit?: string;
  /** Found in an earlier commit of the history by another check. */
  inherited?: boolean;
}

export function toSeverity(s: string | null | undefined, fallback: Severity = 'High'): Severity {
  return SEVERITIES.find((x) => x.toLowerCase() === (s ?? '').toLowerCase()) ?? fallback;
}

/** What the output made of one leak it was given. */
export interface OutputFinding {
  leakKey: string;
  /** The output's id of its finding; '' when the output dropped the leak (below its minimum severity). */
  externalId: string;
  title: string | null;
  severity: Severity | null;
  url: string | null;
  /** Not triaged away there (false positive, risk accepted, out of scope, mitigated). */
  open: boolean;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
