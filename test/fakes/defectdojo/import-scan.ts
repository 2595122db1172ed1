// POST /api/v2/import-scan/ (CONTRACT.md §5): one new Test per call, findings saved with
// their hash_code before the 201, dedup according to the execution mode (§9).

import type { TestRecord } from './types.ts';
import { fieldErrors, json, listError } from './errors.ts';
import { readMultipart, type Incoming } from './incoming.ts';
import { validateScanForm, type ScanInput } from './import-form.ts';
import { resolveImportTarget, type ImportTarget } from './import-target.ts';
import { postProcess } from './dedup.ts';
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
  const created = parsed
    .filter((p) => aboveMinimum(p, input.minimumSeverity))
    .map((p) => saveFinding(store, test, p, input, hashOf(p, input)));
  const dedup = postProcess(store, created.map((f) => f.id), input.dedupMode, ctx.scheduleDedup);
  if (input.closeOld || input.closeOldProductScope) {
    closeOldOnImport(store, test, input, new Set(created.map((f) => f.hash_code)));
  }
  test.percent_complete = 100;
  test.updated = isoMicro(store.now());
  return json(importResponse(ctx, test, { ...input.echo, ...overrides }, dedup.complete), 201);
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
