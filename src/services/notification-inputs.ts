/**
 * What a notifier is told about one check and one output: per scan, the leaks the check rests on as findings. Only
 * a leak this check found first (in any generation) *and* the first sight of its secret in the project is `isNew` —
 * inherited leaks and secrets pushed again are never announced twice, and neither are leaks an earlier generation of
 * the check already announced through the same output and notifier (a check planned again for another job).
 */
import type { CheckRecord } from '../core/check.ts';
import type { CheckLeak } from '../core/leaks.ts';
import { toSeverity, type FindingSummary } from '../core/results.ts';
import type { HistoryStore, LeakOutputRow } from '../db/history.ts';
import type { ResultStore } from '../db/results.ts';
import type { NotificationInput } from '../plugins/types.ts';

type Key = { checkId: string; generation: number };

export async function notificationInputs(
  deps: { results: ResultStore; history: HistoryStore },
  check: CheckRecord,
  k: Key,
  outputName: string,
  notifier: string,
): Promise<NotificationInput[]> {
  const [scans, outputs, leaks, rows, announced] = await Promise.all([
    deps.results.scans(k),
    deps.results.outputs(k),
    deps.history.checkLeaks(k),
    deps.history.outputsOfCheck(k),
    deps.results.announcedThrough({ ...k, output: outputName, notifier }),
  ]);
  return scans.map((s) => {
    const o = outputs.find((x) => x.scan === s.scan && x.output === outputName);
    const mine = rows.filter((r) => r.scan === s.scan && r.output === outputName);
    const findings = leaks.filter((l) => l.scan === s.scan && l.kind === 'secret').map((l) => findingOf(l, mine, check.id, announced));
    const unscanned = leaks.filter((l) => l.scan === s.scan && l.kind === 'unscanned');
    if (!o?.verdict) return { scanName: s.scan, report: s.report, output: null, findings, unscanned };
    const status = o.status === 'skipped' ? ('skipped' as const) : ('imported' as const);
    const output = { status, externalId: o.externalId ?? undefined, externalUrl: o.externalUrl ?? undefined, findings: o.findings };
    return { scanName: s.scan, report: s.report, output, findings, unscanned };
  });
}

/** `announcedThrough`: leaks the check found in this generation or earlier were announced already (0: none were). */
export function findingOf(l: CheckLeak, rows: readonly LeakOutputRow[], checkId: string, announcedThrough = 0): FindingSummary {
  const here = rows.filter((r) => r.leakKey === l.leakKey);
  const kept = here.find((r) => r.externalId !== '');
  return {
    id: kept?.externalId ?? null,
    title: kept?.title ?? `${l.description || l.ruleId} in ${l.file}`,
    severity: toSeverity(l.severity ?? kept?.severity),
    url: kept?.url ?? null,
    isNew: l.isNew && !l.inherited && l.foundBy.checkId === checkId && l.foundBy.generation > announcedThrough,
    open: here.length === 0 ? true : here.some((r) => r.open),
    leakKey: l.leakKey,
    ruleId: l.ruleId,
    file: l.file,
    line: l.line,
    commit: l.commit,
    inherited: l.inherited,
  };
}
