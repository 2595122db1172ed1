/** What a publisher is shown of a check (src/core/publication.ts), read from the database like the gate reads it. */
import type { CheckSnapshot, SnapshotFinding } from '../core/publication.ts';
import { phaseOf } from '../core/publication.ts';
import type { GateVerdict } from '../core/gate.ts';
import type { CheckRow } from '../db/checks.ts';
import { findingOf } from './notification-inputs.ts';
import { loadVerdictInputs, verdictOf, type UnscannedPolicy, type VerdictInputs, type VerdictStores } from './verdict.ts';

export const checkPageUrl = (publicUrl: string | undefined, checkId: string): string | null =>
  publicUrl ? `${publicUrl}/checks/${checkId}` : null;

export async function loadSnapshot(
  deps: VerdictStores & { policy: UnscannedPolicy },
  check: CheckRow,
  publicUrl: string | undefined,
): Promise<{ snapshot: CheckSnapshot; verdict: GateVerdict }> {
  const inputs = await loadVerdictInputs(deps, check);
  const verdict = verdictOf(check, inputs, deps.policy);
  return { snapshot: snapshotOf(check, verdict, inputs, publicUrl), verdict };
}

export function snapshotOf(check: CheckRow, verdict: GateVerdict, inputs: VerdictInputs, publicUrl: string | undefined): CheckSnapshot {
  const failing = new Set(verdict.failing);
  // Only a fail or success verdict says which findings are open; an error verdict shows what the outputs recorded.
  const decided = verdict.status === 'fail' || verdict.status === 'success';
  const findings: SnapshotFinding[] = inputs.leaks
    .filter((l) => l.kind === 'secret')
    .map((l) => {
      const f = findingOf(l, inputs.leakOutputs.filter((r) => r.scan === l.scan), check.id);
      return {
        leakKey: l.leakKey,
        rule: l.ruleId,
        file: l.file,
        line: l.line,
        commit: l.commit,
        severity: f.severity,
        title: f.title,
        url: f.url,
        open: decided ? failing.has(l.leakKey) : f.open,
        inherited: l.inherited,
        foundBy: l.foundBy.checkId,
      };
    });
  const unscanned = inputs.leaks
    .filter((l) => l.kind === 'unscanned')
    .map((l) => ({ file: l.file, commit: l.commit, reason: l.description, inherited: l.inherited }));
  return {
    check,
    status: verdict.status,
    reason: verdict.reason,
    phase: phaseOf(verdict.status, inputs.tasks.some((t) => t.startedAt !== null)),
    findings,
    unscanned,
    pageUrl: checkPageUrl(publicUrl, check.id),
  };
}
