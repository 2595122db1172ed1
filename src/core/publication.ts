/**
 * What a publishing notifier (GitLab) is shown of a check: the verdict, where the check stands, and the findings the
 * verdict rests on, already masked. Pure: built by src/services/publication-snapshot.ts, rendered by the plugin.
 */
import { createHash } from 'node:crypto';
import type { CheckRecord } from './check.ts';
import type { GateStatus } from './gate.ts';
import type { Severity } from './results.ts';

/** `pending`: accepted, no task started; `running`: tasks started, no final verdict; `final`: error, fail or success. */
export type CheckPhase = 'pending' | 'running' | 'final';

export interface SnapshotFinding {
  leakKey: string;
  rule: string;
  file: string;
  line: number;
  commit: string;
  severity: Severity;
  title: string;
  /** The finding in the output (DefectDojo), when it recorded one. */
  url: string | null;
  /** Still makes the check fail (not triaged away). */
  open: boolean;
  inherited: boolean;
  /** The check that found it first. */
  foundBy: string;
}

export interface SnapshotUnscanned {
  file: string;
  commit: string;
  reason: string;
  inherited: boolean;
}

export interface CheckSnapshot {
  check: CheckRecord;
  status: GateStatus;
  reason: string | null;
  phase: CheckPhase;
  findings: SnapshotFinding[];
  unscanned: SnapshotUnscanned[];
  /** The check page, when SECBOT_PUBLIC_URL is set. */
  pageUrl: string | null;
}

export function phaseOf(status: GateStatus, anyTaskStarted: boolean): CheckPhase {
  if (status === 'error' || status === 'fail' || status === 'success') return 'final';
  return anyTaskStarted ? 'running' : 'pending';
}

/**
 * A digest of everything a publication shows. Equal keys mean nothing to publish again; a running check's changing
 * reason ("output … is queued") is left out so that progress inside one phase does not cause a GitLab round trip.
 */
export function stateKeyOf(s: CheckSnapshot): string {
  const final = s.phase === 'final';
  const material = {
    v: 1,
    generation: s.check.generation,
    status: s.status,
    phase: s.phase,
    reason: final ? s.reason : null,
    findings: final ? s.findings.map((f) => [f.leakKey, f.open, f.url, f.severity, f.inherited, f.foundBy]) : [],
    unscanned: final ? s.unscanned.map((u) => [u.file, u.commit, u.reason, u.inherited]) : [],
    page: s.pageUrl,
  };
  return createHash('sha256').update(JSON.stringify(material)).digest('hex');
}
