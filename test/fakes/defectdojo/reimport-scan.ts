// POST /api/v2/reimport-scan/ (CONTRACT.md §6): updates one Test in place, matching parsed
// findings to the test's findings by hash_code; unmatched old ones are closed.

import type { FindingRecord, TestRecord } from './types.ts';
import type { ParsedFinding } from './gitleaks-parser.ts';
import { fieldErrors, json, listError } from './errors.ts';
import { readMultipart, type Incoming } from './incoming.ts';
import { validateScanForm, type ScanInput } from './import-form.ts';
import { resolveReimportTarget } from './import-target.ts';
import { runImport } from './import-scan.ts';
import { postProcess } from './dedup.ts';
import { statistics } from './serializers.ts';
import { isoMicro, mitigate } from './store.ts';
import {
  aboveMinimum, findingsOfTest, hashOf, idBlock, lowerTags, parseUpload, saveFinding, scanMoment,
  type ScanContext,
} from './scan-common.ts';

const NOTE_MITIGATED = 'Mitigated by Gitleaks Scan re-upload.';
const NOTE_REACTIVATED = 'Re-activated by Gitleaks Scan re-upload.';

interface Delta {
  created: FindingRecord[];
  closed: FindingRecord[];
  reactivated: FindingRecord[];
  untouched: FindingRecord[];
}

export async function handleReimportScan(ctx: ScanContext, inc: Incoming): Promise<Response> {
  const form = await readMultipart(inc);
  if (form instanceof Response) return form;
  const resolved = resolveReimportTarget(ctx.store, form);
  if ('error' in resolved) return listError(resolved.error);
  const validated = validateScanForm(ctx.store, form, 'reimport');
  if ('errors' in validated) return fieldErrors(validated.errors);
  const input = validated.input;
  if (resolved.target.kind !== 'test') {
    // No test found and auto_create_context: behaves as an import, without closing.
    const asImport = { ...input, closeOld: false, closeOldProductScope: false };
    return runImport(ctx, resolved.target, asImport, { close_old_findings: false });
  }
  return reimportInto(ctx, resolved.target.test, input);
}

/** The importer writes these even when omitted, so an omitted field erases the old value. */
function updateTestMeta(ctx: ScanContext, test: TestRecord, input: ScanInput): void {
  test.version = input.strings.version ?? '';
  test.branch_tag = input.strings.branch_tag ?? '';
  test.commit_hash = input.strings.commit_hash ?? '';
  test.build_id = input.strings.build_id ?? '';
  if (input.tags.length > 0) test.tags = lowerTags(input.tags);
  test.updated = isoMicro(ctx.store.now());
}

async function reimportInto(ctx: ScanContext, test: TestRecord, input: ScanInput): Promise<Response> {
  const { store } = ctx;
  const before = statistics(findingsOfTest(store, test));
  updateTestMeta(ctx, test, input);
  const parsed = await parseUpload(store, input);
  if (parsed instanceof Response) return parsed;
  const delta: Delta = { created: [], closed: [], reactivated: [], untouched: [] };
  const seen = new Set<number>();
  for (const p of parsed.filter((x) => aboveMinimum(x, input.minimumSeverity))) {
    matchOne(ctx, test, p, input, delta, seen);
  }
  if (input.closeOld) closeUnseen(ctx, test, input, delta, seen);
  const dedup = postProcess(store, delta.created.map((f) => f.id), input.dedupMode, ctx.scheduleDedup);
  test.percent_complete = 100;
  const body: Record<string, unknown> = {
    ...input.echo,
    ...idBlock(store, test),
    statistics: {
      before,
      delta: {
        created: statistics(delta.created),
        closed: statistics(delta.closed),
        reactivated: statistics(delta.reactivated),
        untouched: statistics(delta.untouched),
      },
      after: statistics(findingsOfTest(store, test)),
    },
  };
  if (!store.state.settings.legacy) body.deduplication_complete = dedup.complete;
  return json(body, 201);
}

function matchOne(ctx: ScanContext, test: TestRecord, p: ParsedFinding, input: ScanInput, delta: Delta, seen: Set<number>): void {
  const hash = hashOf(ctx.store, p, input);
  // Lowest id wins; findings created earlier in this same reimport count too.
  const match = findingsOfTest(ctx.store, test)
    .filter((f) => f.hash_code === hash)
    .sort((a, b) => a.id - b.id)[0];
  if (!match) {
    const created = saveFinding(ctx.store, test, p, input, hash);
    seen.add(created.id);
    delta.created.push(created);
    return;
  }
  seen.add(match.id);
  const closed = match.is_mitigated || match.mitigated !== null;
  if (match.false_p || match.out_of_scope || match.risk_accepted || !closed || input.doNotReactivate) {
    delta.untouched.push(match);
    return;
  }
  match.is_mitigated = false;
  match.mitigated = null;
  match.mitigated_by = null;
  // A duplicate stays inactive even when it is reactivated.
  match.active = match.duplicate ? false : (input.active ?? true);
  if (input.verified !== undefined) match.verified = input.verified;
  match.notes.push(NOTE_REACTIVATED);
  match.updated = match.last_status_update = isoMicro(ctx.store.now());
  delta.reactivated.push(match);
}

function closeUnseen(ctx: ScanContext, test: TestRecord, input: ScanInput, delta: Delta, seen: Set<number>): void {
  const when = scanMoment(ctx.store, input);
  for (const f of findingsOfTest(ctx.store, test)) {
    if (seen.has(f.id) || (f.is_mitigated && f.mitigated !== null)) continue;
    mitigate(ctx.store, f, when, NOTE_MITIGATED);
    delta.closed.push(f);
  }
}
