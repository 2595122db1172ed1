/**
 * What a DefectDojo test's findings mean for SecBot. Open: active and not false positive, risk accepted, out of
 * scope or mitigated — where a duplicate takes the state of its original (a duplicate is always inactive, while the
 * secret behind it may still be open). New: not a duplicate and no older finding in the product has its hash_code
 * (deterministic even when the server's deduplication is off or still running).
 */
import type { DefectDojoApi, DojoFinding } from '../../../clients/defectdojo/api.ts';
import type { FindingSummary } from '../../../core/results.ts';

export function isOpen(f: DojoFinding): boolean {
  return f.active && !f.false_p && !f.risk_accepted && !f.out_of_scope && !f.is_mitigated;
}

export async function summarise(
  api: DefectDojoApi,
  findings: DojoFinding[],
  opts: { productId?: number; previous?: readonly FindingSummary[]; signal?: AbortSignal },
): Promise<FindingSummary[]> {
  const originals = await originalsOf(api, findings, opts.signal);
  const out: FindingSummary[] = [];
  for (const f of findings) {
    const original = f.duplicate && f.duplicate_finding ? originals.get(f.duplicate_finding) : undefined;
    const open = f.duplicate ? (original ? isOpen(original) : false) : isOpen(f);
    const known = opts.previous?.find((p) => p.id === String(f.id));
    const isNew = known ? known.isNew : opts.productId === undefined ? !f.duplicate : await isNewFinding(api, f, opts.productId, opts.signal);
    out.push({ id: String(f.id), title: f.title, severity: f.severity, url: `${api.baseUrl}/finding/${f.id}`, isNew, open });
  }
  return out;
}

async function originalsOf(api: DefectDojoApi, findings: DojoFinding[], signal?: AbortSignal): Promise<Map<number, DojoFinding>> {
  const ids = [...new Set(findings.filter((f) => f.duplicate && f.duplicate_finding).map((f) => f.duplicate_finding!))];
  if (ids.length === 0) return new Map();
  const found = await api.findingsByIds(ids, signal);
  return new Map(found.map((f) => [f.id, f]));
}

async function isNewFinding(api: DefectDojoApi, f: DojoFinding, productId: number, signal?: AbortSignal): Promise<boolean> {
  if (f.duplicate) return false;
  if (!f.hash_code) return true;
  const same = await api.findingsByHash(productId, f.hash_code, signal);
  return !same.some((o) => o.id < f.id && o.hash_code === f.hash_code);
}
