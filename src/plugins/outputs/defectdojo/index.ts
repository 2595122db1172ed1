/**
 * DefectDojo output (`handler_name: defectdojo`): one DefectDojo test per (check, scan), imported with the redacted
 * report, tagged with the check id so a retried or re-delivered task finds it instead of importing twice. The
 * verdict is `fail` while the test has an open finding; the results instance refreshes it after triage.
 */
import { z } from 'zod';
import { DefectDojoApi, isoDate } from '../../../clients/defectdojo/api.ts';
import { NoAnswerError } from '../../../clients/http-errors.ts';
import { PermanentError, RetryableError } from '../../../core/errors.ts';
import { engagementBranch } from '../../../core/check.ts';
import type {
  Output,
  OutputPublishRequest,
  OutputPublishResult,
  OutputRefreshRequest,
  PluginContext,
  PluginDefinition,
} from '../../types.ts';
import { defectDojoConfigSchema, type DefectDojoConfig } from './config.ts';
import { ensureContext } from './context.ts';
import { summarise } from './findings.ts';
import { findTaggedTest } from './tagged-test.ts';

export const defectDojoDefinition: PluginDefinition<'output', DefectDojoConfig, Output> = {
  handlerName: 'defectdojo',
  kind: 'output',
  description: 'Imports scan reports into DefectDojo (one test per check and scan) and gates on open findings',
  configSchema: defectDojoConfigSchema,
  envParams: [
    { key: 'url', required: true, secret: false, description: 'the DefectDojo base URL (e.g. DEFECTDOJO__URL)' },
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
    const { report, check, signal } = req;
    if (report.status === 'skipped' || (report.findingCount === 0 && !this.ctx.config.import_empty_reports)) {
      return { status: 'skipped', findings: [], verdict: 'success' };
    }
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
    const findings = await this.api.findingsOfTest(testId, signal);
    const ownTest = { checkTag: req.check.id, scanTag: scanTagOf(req.scanName) };
    const summaries = await summarise(this.api, findings, { productId: context.productId, ownTest, signal });
    req.log.info('DefectDojo test ready', { test_id: testId, findings: summaries.length, new: summaries.filter((f) => f.isNew).length });
    return {
      status: 'imported',
      externalId: String(testId),
      externalUrl: `${this.api.baseUrl}/test/${testId}`,
      findings: summaries,
      verdict: summaries.some((f) => f.open) ? 'fail' : 'success',
    };
  }

  async refresh(req: OutputRefreshRequest) {
    const findings = await this.api.findingsOfTest(Number(req.externalId), req.signal);
    const summaries = await summarise(this.api, findings, { previous: req.previous, signal: req.signal });
    return { verdict: summaries.some((f) => f.open) ? ('fail' as const) : ('success' as const), findings: summaries };
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
        report: req.report.reportJson,
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
