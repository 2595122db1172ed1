/**
 * What a DefectDojo test's findings mean for SecBot. Open: active and not false positive, risk accepted, out of
 * scope or mitigated — where a duplicate takes the state of its original (a duplicate is always inactive, while the
 * secret behind it may still be open). New: not a duplicate and no older finding in the product has its hash_code
 * (deterministic even when the server's deduplication is off or still running).
 *
 * DefectDojo 2.50.4 deduplicates in Celery after the import answered (`deduplication_execution_mode` is unknown to
 * it): right after an import no finding is a duplicate yet, later some may be. Both readings are handled: a finding
 * not yet marked is judged by itself, a marked one by its original — read in one batch, and when the original cannot
 * be read (deleted) the duplicate counts as open, so a lost original never lifts a gate.
 */
import type { DefectDojoApi, DojoFinding } from '../../../clients/defectdojo/api.ts';
import type { FindingSummary } from '../../../core/results.ts';

export function isOpen(f: DojoFinding): boolean {
  return f.active && !f.false_p && !f.risk_accepted && !f.out_of_scope && !f.is_mitigated;
}

export async function summarise(
  api: DefectDojoApi,
  findings: DojoFinding[],
  opts: { productId?: number; ownTest?: { checkTag: string; scanTag: string }; previous?: readonly FindingSummary[]; signal?: AbortSignal },
): Promise<FindingSummary[]> {
  const originals = await originalsOf(api, findings, opts.signal);
  const known = new Map((opts.previous ?? []).map((p) => [p.id, p]));
  const needsNovelty = opts.productId !== undefined && findings.some((f) => !known.has(String(f.id)) && !f.duplicate);
  const older = needsNovelty ? await oldestIdByHash(api, findings, opts.productId!, opts.ownTest, opts.signal) : new Map<string, number>();
  return findings.map((f) => {
    const open = f.duplicate ? openDuplicate(f, originals) : isOpen(f);
    const previous = known.get(String(f.id));
    const isNew = previous ? previous.isNew : opts.productId === undefined ? !f.duplicate : isNewFinding(f, older);
    return { id: String(f.id), title: f.title, severity: f.severity, url: `${api.baseUrl}/finding/${f.id}`, isNew, open };
  });
}

function openDuplicate(f: DojoFinding, originals: ReadonlyMap<number, DojoFinding>): boolean {
  if (!f.duplicate_finding) return true;
  const original = originals.get(f.duplicate_finding);
  return original ? isOpen(original) : true;
}

async function originalsOf(api: DefectDojoApi, findings: DojoFinding[], signal?: AbortSignal): Promise<Map<number, DojoFinding>> {
  const ids = [...new Set(findings.filter((f) => f.duplicate && f.duplicate_finding).map((f) => f.duplicate_finding!))];
  if (ids.length === 0) return new Map();
  const found = await api.findingsByIds(ids, signal);
  return new Map(found.map((f) => [f.id, f]));
}

/**
 * The oldest finding id per hash_code in the product: paged listings, not a lookup per finding. The test's own
 * findings (already in hand) are left out of the listings by its tags, which for a new product makes them empty pages.
 */
async function oldestIdByHash(
  api: DefectDojoApi,
  own: DojoFinding[],
  productId: number,
  ownTest: { checkTag: string; scanTag: string } | undefined,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const oldest = new Map<string, number>();
  for (const f of [...own, ...(await api.findingsOfProduct(productId, ownTest, signal))]) {
    if (!f.hash_code) continue;
    const seen = oldest.get(f.hash_code);
    if (seen === undefined || f.id < seen) oldest.set(f.hash_code, f.id);
  }
  return oldest;
}

function isNewFinding(f: DojoFinding, oldest: ReadonlyMap<string, number>): boolean {
  if (f.duplicate) return false;
  if (!f.hash_code) return true;
  const first = oldest.get(f.hash_code);
  return first === undefined || first >= f.id;
}
