// POST /api/v2/import-scan/ (CONTRACT.md §5): one new Test per call, findings saved with
// their hash_code before the 201, dedup according to the execution mode (§9).

import type { FindingRecord, TestRecord } from './types.ts';
import type { ParsedFinding } from './gitleaks-parser.ts';
import { fieldErrors, json, listError } from './errors.ts';
import { readMultipart, type Incoming } from './incoming.ts';
import { validateScanForm, type ScanInput } from './import-form.ts';
import { resolveImportTarget, type ImportTarget } from './import-target.ts';
import { postProcess, resolveMode } from './dedup.ts';
import { statistics } from './serializers.ts';
import { isoMicro } from './store.ts';
import {
  aboveMinimum, closeOldOnImport, createScanTest, ensureEngagement, findingsOfTest, hashOf,
  idBlock, parseUpload, saveFinding, type ScanContext,
} from './scan-common.ts';

export async function handleImportScan(ctx: ScanContext, inc: Incoming): Promise<Response> {
  const form = await readMultipart(inc);
  if (form instanceof Response) return form;
  const resolved = resolveImportTarget(ctx.store, form);
  if ('error' in resolved) return listError(resolved.error);
  const validated = validateScanForm(ctx.store, form, 'import');
  if ('errors' in validated) return fieldErrors(validated.errors);
  return runImport(ctx, resolved.target, validated.input, {});
}

/**
 * The import proper. Reimport reuses it when it has to create a new test, passing the
 * echo overrides it needs (close_old_findings forced to false).
 */
export async function runImport(ctx: ScanContext, target: ImportTarget, input: ScanInput, overrides: Record<string, unknown>): Promise<Response> {
  const { store } = ctx;
  const engagement = ensureEngagement(store, target, input);
  // Created before parsing and not rolled back on a parse error, like DefectDojo.
  const test = createScanTest(store, engagement, input);
  const parsed = await parseUpload(store, input);
  if (parsed instanceof Response) return parsed;
  const perFinding = store.state.settings.importMsPerFinding > 0 && isAsync(store, input);
  const created = await saveAll(ctx, test, parsed.filter((p) => aboveMinimum(p, input.minimumSeverity)), input, perFinding);
  const dedup = postProcess(store, perFinding ? [] : created.map((f) => f.id), input.dedupMode, ctx.scheduleDedup);
  if (input.closeOld || input.closeOldProductScope) {
    closeOldOnImport(store, test, input, new Set(created.map((f) => f.hash_code)));
  }
  test.percent_complete = 100;
  test.updated = isoMicro(store.now());
  return json(importResponse(ctx, test, { ...input.echo, ...overrides }, dedup.complete), 201);
}

/**
 * Saves the findings in report order. With importMsPerFinding the import takes time, as on the real server, and a
 * client meanwhile sees the test at percent_complete 50 with the findings saved so far. In async mode each saved
 * finding goes to the Celery stand-in at once (2.50.4 dispatches post-processing per Finding.save()), so early
 * findings of a long import may be deduplicated before the import answers.
 */
async function saveAll(ctx: ScanContext, test: TestRecord, parsed: ParsedFinding[], input: ScanInput, dispatchEach: boolean): Promise<FindingRecord[]> {
  const { store } = ctx;
  const ms = store.state.settings.importMsPerFinding;
  const created: FindingRecord[] = [];
  for (const p of parsed) {
    if (ms > 0) await ctx.sleep(ms);
    const f = saveFinding(store, test, p, input, hashOf(store, p, input));
    created.push(f);
    if (dispatchEach) postProcess(store, [f.id], input.dedupMode, ctx.scheduleDedup);
  }
  return created;
}

function isAsync(store: ScanContext['store'], input: ScanInput): boolean {
  return resolveMode(store, input.dedupMode) === 'async' && !store.state.settings.blockExecution;
}

function importResponse(ctx: ScanContext, test: TestRecord, echo: Record<string, unknown>, complete: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ...echo,
    ...idBlock(ctx.store, test),
    statistics: { after: statistics(findingsOfTest(ctx.store, test)) },
  };
  if (!ctx.store.state.settings.legacy) body.deduplication_complete = complete;
  return body;
}
