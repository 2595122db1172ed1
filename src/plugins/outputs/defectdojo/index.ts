/**
 * DefectDojo output (`handler_name: defectdojo`): one DefectDojo test per (check, scan), imported with the masked
 * report, tagged with the check id so a retried or re-delivered task finds it instead of importing twice. Each
 * finding carries its leak's tag; SecBot reads back which are open, and the results instance re-reads them (in
 * batches of ids) after triage.
 */
import { z } from 'zod';
import { DefectDojoApi, isoDate } from '../../../clients/defectdojo/api.ts';
import { NoAnswerError } from '../../../clients/http-errors.ts';
import { PermanentError, RetryableError } from '../../../core/errors.ts';
import { engagementBranch } from '../../../core/check.ts';
import type {
  Output,
  OutputFinding,
  OutputPublishRequest,
  OutputPublishResult,
  OutputRefreshRequest,
  PluginContext,
  PluginDefinition,
} from '../../types.ts';
import { defectDojoConfigSchema, type DefectDojoConfig } from './config.ts';
import { ensureContext } from './context.ts';
import { openStates, toOutputFindings } from './findings.ts';
import { findTaggedTest } from './tagged-test.ts';

export const defectDojoDefinition: PluginDefinition<'output', DefectDojoConfig, Output> = {
  handlerName: 'defectdojo',
  kind: 'output',
  description: 'Imports scan reports into DefectDojo (one test per check and scan) and gates on open findings',
  configSchema: defectDojoConfigSchema,
  envParams: [
    { key: 'url', required: true, secret: false, url: true, description: 'the DefectDojo base URL (e.g. DEFECTDOJO__URL)' },
    { key: 'secret_key', required: true, secret: true, description: 'the DefectDojo API v2 key (e.g. DEFECTDOJO__TOKEN)' },
    { key: 'user', required: false, secret: false, description: 'the DefectDojo user name (e.g. DEFECTDOJO__USER), for logs' },
    { key: 'lead_id', required: false, secret: false, description: 'the DefectDojo user id made engagement lead (e.g. DEFECTDOJO__USER_ID)' },
  ],
  create: (ctx) => new DefectDojoOutput(ctx),
};

const leadId = z.coerce.number().int().positive();
/** How soon to look again at a test DefectDojo is still importing into (a 300-finding import takes ~25 s). */
const IMPORT_POLL_MS = 5_000;

class DefectDojoOutput implements Output {
  private readonly api: DefectDojoApi;
  private readonly lead?: number;

  constructor(private readonly ctx: PluginContext<DefectDojoConfig>) {
    const url = ctx.env.url!;
    if (!/^https?:\/\//.test(url)) throw new PermanentError(`component "${ctx.name}": env url must be an http(s) URL`);
    this.api = new DefectDojoApi({ baseUrl: url, token: ctx.env.secret_key!, fetch: ctx.fetch, timeoutMs: ctx.config.timeout_seconds * 1000 });
    const lead = ctx.env.lead_id ? leadId.safeParse(ctx.env.lead_id) : undefined;
    if (lead && !lead.success) throw new PermanentError(`component "${ctx.name}": env lead_id must be a DefectDojo user id (a number)`);
    this.lead = lead?.data;
  }

  async publish(req: OutputPublishRequest): Promise<OutputPublishResult> {
    const { check, signal } = req;
    const nothingNew =
      req.leaks.length === 0 && req.unscanned.length === 0 && (req.report.status === 'skipped' || !this.ctx.config.import_empty_reports);
    if (nothingNew) return { status: 'skipped', findings: [] };
    const context = await ensureContext(
      this.api,
      {
        productType: this.ctx.config.product_type_name ?? check.host,
        product: check.projectPath,
        productDescription: check.projectUrl,
        engagement: engagementBranch(check),
        repoUrl: check.projectUrl,
        lead: this.lead,
      },
      signal,
    );
    const testId = (await this.existingTest(req)) ?? (await this.importAfterGrace(req, context.engagementId));
    if (req.unscanned.length > 0) await this.api.describeTest(testId, unscannedNote(req.unscanned), signal);
    const found = await toOutputFindings(this.api, await this.api.findingsOfTest(testId, signal), signal);
    const findings = [...found, ...this.dropped(req, found)];
    req.log.info('DefectDojo test ready', { test_id: testId, findings: found.length, sent: req.leaks.length });
    return { status: 'imported', externalId: String(testId), externalUrl: `${this.api.baseUrl}/test/${testId}`, findings };
  }

  /**
   * Leaks sent but absent from the test. Only `minimum_severity` above High drops any (the Gitleaks parser rates
   * every finding High); anything else missing is left unrecorded, so the gate fails closed instead of passing.
   */
  private dropped(req: OutputPublishRequest, found: readonly OutputFinding[]): OutputFinding[] {
    const have = new Set(found.map((f) => f.leakKey));
    const missing = req.leaks.filter((l) => !have.has(l.leakKey));
    if (missing.length === 0) return [];
    if (this.ctx.config.minimum_severity !== 'Critical') {
      req.log.warn('DefectDojo did not keep some findings SecBot sent; the gate treats them as open', { missing: missing.length });
      return [];
    }
    return missing.map((l) => ({ leakKey: l.leakKey, externalId: '', title: null, severity: null, url: null, open: false }));
  }

  async refresh(req: OutputRefreshRequest): Promise<Map<string, boolean>> {
    const ids = [...new Set(req.externalIds.map(Number).filter((n) => Number.isInteger(n) && n > 0))];
    const findings = await this.api.findingsByIds(ids, req.signal);
    const open = await openStates(this.api, findings, req.signal);
    // A finding deleted in DefectDojo is no longer there to triage: it counts as open (fail closed).
    return new Map(ids.map((id) => [String(id), open.get(id) ?? true]));
  }

  /**
   * A test an earlier attempt created: recorded by id from a successful import, or found by the check's tag when the
   * answer was lost. A tagged test is only taken when its import completed (percent_complete 100); one still
   * importing is waited for — rescheduled without using up an attempt, never imported a second time — and only one
   * that stopped moving for the grace period counts as abandoned (see tagged-test.ts).
   */
  private async existingTest(req: OutputPublishRequest): Promise<number | undefined> {
    if (req.previous?.externalId) {
      const t = await this.api.getTest(Number(req.previous.externalId), req.signal).catch(() => undefined);
      if (t) return t.id;
    }
    const found = await findTaggedTest(this.api, {
      checkTag: req.check.id.toLowerCase(),
      scanTag: scanTagOf(req.scanName),
      abandonAfterMs: this.graceMs(),
      signal: req.signal,
    });
    if (found.kind === 'complete') {
      await req.saveExternalId(String(found.testId));
      return found.testId;
    }
    if (found.kind === 'importing') {
      throw new RetryableError(
        `DefectDojo is still importing this check's report into test ${found.testId} (percent_complete ${found.percent}, ${found.findings} findings so far, last progress ${Math.round(found.idleMs / 1000)} s ago); waiting for it instead of importing a second time`,
        { retryAfterMs: IMPORT_POLL_MS, rateLimited: true },
      );
    }
    if (found.kind === 'abandoned') {
      req.log.warn('DefectDojo tests of this check stopped importing; importing again', { test_ids: found.testIds, idle_s: Math.round(found.idleMs / 1000) });
    }
    return undefined;
  }

  private graceMs(): number {
    return (this.ctx.config.import_grace_seconds ?? 2 * this.ctx.config.timeout_seconds) * 1000;
  }

  /**
   * If an earlier attempt sent an import and never heard back, that import may still be running in DefectDojo:
   * wait (without using up attempts) until the grace period has passed before importing again.
   */
  private async importAfterGrace(req: OutputPublishRequest, engagementId: number): Promise<number> {
    const graceMs = this.graceMs();
    const since = req.previous?.attemptedAt;
    if (since !== undefined && Date.now() - since < graceMs) {
      const waitMs = graceMs - (Date.now() - since);
      throw new RetryableError(
        `an earlier import (sent ${Math.round((Date.now() - since) / 1000)} s ago) got no answer and may still be running in DefectDojo; looking for its test again in ${Math.ceil(waitMs / 1000)} s before importing a second time`,
        { retryAfterMs: Math.min(waitMs, 30_000), rateLimited: true },
      );
    }
    await req.markAttempt();
    try {
      return await this.importReport(req, engagementId);
    } catch (err) {
      if (!(err instanceof NoAnswerError)) await req.clearAttempt();
      throw err;
    }
  }

  private async importReport(req: OutputPublishRequest, engagementId: number): Promise<number> {
    const { check } = req;
    const answer = await this.api.importScan(
      {
        engagementId,
        report: JSON.stringify(req.leaks.map((l) => l.entry)),
        tags: [check.id.toLowerCase(), `commit:${check.commitSha}`, scanTagOf(req.scanName)],
        commitHash: check.commitSha,
        branchTag: engagementBranch(check),
        scanDate: isoDate(new Date()),
        minimumSeverity: this.ctx.config.minimum_severity,
        testTitle: `${req.scanName} ${check.commitSha.slice(0, 8)} (${check.eventType})`,
        deduplicationMode: this.ctx.config.deduplication_execution_mode,
      },
      req.signal,
    );
    const testId = answer.test_id ?? answer.test;
    if (testId === undefined) throw new PermanentError('DefectDojo accepted the import but did not say which test it created');
    await req.saveExternalId(String(testId));
    return testId;
  }
}

function scanTagOf(scan: string): string {
  return `secbot-scan:${scan.toLowerCase().replace(/[^a-z0-9_.:-]/g, '_')}`;
}

const MAX_LISTED = 200;

/** The test's description: what SecBot could not scan in this check's range, so DefectDojo users see it too. */
export function unscannedNote(files: readonly { file: string; commit: string; description: string }[]): string {
  const lines = files.slice(0, MAX_LISTED).map((f) => `- \`${f.file.replace(/`/g, "'")}\` (commit ${f.commit.slice(0, 8)}): ${f.description}`);
  const more = files.length > MAX_LISTED ? [`- … and ${files.length - MAX_LISTED} more`] : [];
  return [`SecBot could not scan ${files.length} file(s) of this check (binary, or larger than max_target_megabytes):`, ...lines, ...more].join('\n');
}
