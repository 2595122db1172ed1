/**
 * What a DefectDojo test's findings mean for SecBot. Each finding carries the `secbot-leak:<key>` tag SecBot put in
 * the uploaded report, which traces it back to the leak. Open: active and not false positive, risk accepted, out of
 * scope or mitigated — where a duplicate takes the state of its original (a duplicate is always inactive, while the
 * secret behind it may still be open). DefectDojo deduplicates asynchronously (2.50 ignores
 * deduplication_execution_mode), so a finding may become a duplicate after the import: its state is read again at
 * every refresh, never cached from the import.
 */
import type { DefectDojoApi, DojoFinding } from '../../../clients/defectdojo/api.ts';
import { leakKeyOfTags } from '../../../core/leaks.ts';
import type { OutputFinding } from '../../types.ts';

export function isOpen(f: DojoFinding): boolean {
  return f.active && !triaged(f);
}

function triaged(f: DojoFinding): boolean {
  return f.false_p || f.risk_accepted || f.out_of_scope || f.is_mitigated;
}

/** Open per finding, following duplicates to their originals (one batched request for all originals). */
export async function openStates(api: DefectDojoApi, findings: readonly DojoFinding[], signal?: AbortSignal): Promise<Map<number, boolean>> {
  const originalIds = [...new Set(findings.filter((f) => f.duplicate && f.duplicate_finding).map((f) => f.duplicate_finding!))];
  const originals = new Map((originalIds.length > 0 ? await api.findingsByIds(originalIds, signal) : []).map((f) => [f.id, f]));
  const out = new Map<number, boolean>();
  for (const f of findings) {
    const original = f.duplicate && f.duplicate_finding ? originals.get(f.duplicate_finding) : undefined;
    // Triage on the finding itself counts; otherwise a duplicate is as open as its original, and one whose original
    // is gone (deleted) stays open: nothing triaged it.
    if (triaged(f)) out.set(f.id, false);
    else out.set(f.id, f.duplicate ? (original ? isOpen(original) : true) : f.active);
  }
  return out;
}

/** One OutputFinding per leak the test holds, keyed back through the leak tag; untagged findings are not ours. */
export async function toOutputFindings(api: DefectDojoApi, findings: readonly DojoFinding[], signal?: AbortSignal): Promise<OutputFinding[]> {
  const open = await openStates(api, findings, signal);
  const out: OutputFinding[] = [];
  for (const f of findings) {
    const leakKey = leakKeyOfTags(f.tags);
    if (!leakKey) continue;
    out.push({
      leakKey,
      externalId: String(f.id),
      title: f.title,
      severity: f.severity,
      url: `${api.baseUrl}/finding/${f.id}`,
      open: open.get(f.id) ?? true,
    });
  }
  return out;
}
