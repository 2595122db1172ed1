/**
 * The webhook intake, without HTTP: authenticate the delivery, classify the event, check that the payload belongs
 * to the instance the token identifies, route it to a job, and commit the check with its task graph. Answers are
 * what GitLab should see: 200 for anything it should not retry or count as a failure (ignored events included),
 * 4xx only for real misconfiguration or malformed requests, 503 when the work could not be stored.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GitlabInstance, Settings } from '../config/settings.ts';
import type { Workflow } from '../config/workflow.ts';
import type { CheckContext } from '../core/check.ts';
import { securityCheckId } from '../core/check-id.ts';
import { planJob } from '../core/planning.ts';
import { route } from '../core/routing.ts';
import { classify, eventKind } from '../core/webhook.ts';
import type { AcceptResult, CheckStore } from '../db/checks.ts';
import type { PublicationStore } from '../db/publications.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

export interface Delivery {
  token: string | null;
  event: string | null;
  idempotencyKey: string | null;
  eventUuid: string | null;
  body: string;
}

export interface IntakeAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface IntakeDeps {
  settings: Pick<Settings, 'gitlab' | 'worker'>;
  workflow: Workflow;
  checks: CheckStore;
  metrics: Metrics;
  logger: Logger;
  /** Called after work was committed (the all-in-one process wakes its worker). */
  onWork?: () => void;
  /** Records, with the check, what publishing notifiers (gitlab) must show and the merge request a commit heads. */
  publications?: { store: PublicationStore; publishersOf: (jobName: string) => string[] };
}

export class IntakeService {
  constructor(private readonly deps: IntakeDeps) {}

  async handle(d: Delivery): Promise<IntakeAnswer> {
    const instance = findInstance(this.deps.settings.gitlab, d.token);
    if (!instance) return this.answer(d, 'rejected', 403, { code: 'FORBIDDEN', message: 'X-Gitlab-Token header is invalid' });
    let body: unknown;
    try {
      body = JSON.parse(d.body);
    } catch (err) {
      const message = `request body is not valid JSON: ${(err as Error).message}`;
      return this.answer(d, 'rejected', 400, { code: 'MALFORMED_JSON', message });
    }
    const c = classify(d.event, body);
    if (c.kind === 'ignored') return this.answer(d, 'ignored', 200, { status: 'ignored', reason: c.reason }, eventKind(d.event, asRecord(body)) ?? undefined);
    if (c.kind === 'invalid') {
      const kind = eventKind(d.event, asRecord(body)) ?? undefined;
      return this.answer(d, 'rejected', 422, { code: 'INVALID_PAYLOAD', field: c.field, message: `${c.field}: ${c.message}` }, kind);
    }
    const payloadHost = new URL(c.webUrl).host.toLowerCase();
    if (payloadHost !== instance.host) {
      const message = `project.web_url host "${payloadHost}" is not the GitLab instance this token belongs to (${instance.host}); SecBot only checks repositories of the configured instance`;
      return this.answer(d, 'rejected', 403, { code: 'WRONG_INSTANCE', message }, c.eventType);
    }
    const context = c.build({ prefix: instance.prefix, host: instance.host, hostname: instance.hostname });
    const checkId = securityCheckId(instance.prefix, instance.hostname, context.projectPath, context.commitSha);
    const routed = route(this.deps.workflow.jobs, c.eventType, body);
    if (routed.kind === 'none') {
      return this.answer(d, 'ignored', 200, { status: 'ignored', reason: `no job in config.yml matches this ${c.eventType} event`, security_check_id: checkId }, c.eventType);
    }
    const plan =
      routed.kind === 'one'
        ? { jobName: routed.job.name, tasks: planJob(routed.job) }
        : { error: `more than one job matches this event (${routed.jobs.map((j) => j.name).join(', ')}); fix the rules in config.yml so exactly one job covers it` };
    let result: AcceptResult;
    try {
      const w = this.deps.settings.worker;
      result = await this.deps.checks.accept({
        checkId,
        deliveryKey: deliveryKey(d),
        context,
        plan,
        enqueue: { maxAttempts: w.maxAttempts, timeoutMs: w.taskTimeoutMs },
        after: this.recordPublication(checkId, context, routed.kind === 'one' ? routed.job.name : null),
      });
    } catch (err) {
      this.deps.logger.error('storing the delivery failed', { check_id: checkId, error: err });
      return this.answer(d, 'unavailable', 503, {
        code: 'UNAVAILABLE',
        message: 'the database is unavailable; nothing was stored. GitLab shows this delivery as failed: resend it once SecBot is healthy',
      }, c.eventType);
    }
    if (result.tasks > 0) this.deps.onWork?.();
    return this.answer(d, outcomeLabel(result), 200, responseOf(result, routed.kind === 'one' ? routed.job.name : null), c.eventType);
  }

  /** Every accepted or repeated event of a check marks its publication due; an MR event also links the MR. */
  private recordPublication(checkId: string, c: CheckContext, jobName: string | null) {
    const p = this.deps.publications;
    if (!p) return undefined;
    const publishers = jobName ? p.publishersOf(jobName) : [];
    const mergeRequest = c.mergeRequest && c.projectId !== null ? { projectId: c.projectId, iid: c.mergeRequest.iid } : null;
    return (tx: Db) => p.store.recordEvent(tx, { checkId, publishers, mergeRequest });
  }

  private answer(d: Delivery, outcome: string, status: number, body: Record<string, unknown>, kind?: string): IntakeAnswer {
    const raw = kind ?? (d.event ? (eventKindOfHeader(d.event) ?? 'other') : 'none');
    // Label values come from the request: only known kinds become series, so a sender cannot grow /metrics forever.
    const event = METRIC_EVENT_KINDS.has(raw) ? raw : 'other';
    this.deps.metrics.webhookEvents.inc({ event, outcome });
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    this.deps.logger[level]('webhook delivery', {
      outcome,
      http_status: status,
      event: d.event,
      check_id: body.security_check_id,
      reason: body.reason ?? body.message,
    });
    return { status, body };
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function outcomeLabel(r: AcceptResult): string {
  return r.outcome === 'duplicate_delivery' || r.outcome === 'exists' ? 'duplicate' : 'accepted';
}

function responseOf(r: AcceptResult, job: string | null): Record<string, unknown> {
  const messages: Record<AcceptResult['outcome'], string> = {
    accepted: r.recordedError ? `check recorded as error: ${r.recordedError}` : `check planned with ${r.tasks} tasks`,
    rerun: `the previous run ended in error; planned again (generation ${r.generation}) with ${r.tasks} tasks`,
    exists: 'this commit already has a check; no new work',
    duplicate_delivery: 'this delivery was already received; no new work',
  };
  return { status: r.outcome, security_check_id: r.checkId, job, tasks: r.tasks, message: messages[r.outcome] };
}

const METRIC_EVENT_KINDS = new Set(['push', 'tag_push', 'merge_request', 'system', 'none', 'other']);

function eventKindOfHeader(header: string): string | null {
  return header === 'System Hook' ? 'system' : eventKind(header, {});
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time in the token: every instance is compared, on fixed-length digests, without early exit. */
export function findInstance(instances: readonly GitlabInstance[], token: string | null): GitlabInstance | null {
  if (!token) return null;
  const given = digest(token);
  let found: GitlabInstance | null = null;
  for (const inst of instances) {
    if (timingSafeEqual(given, digest(inst.webhookSecretToken)) && !found) found = inst;
  }
  return found;
}

/** Idempotency-Key (GitLab ≥ 17.4, stable across retries and resends), else the event UUID with the body, else the body. */
export function deliveryKey(d: Pick<Delivery, 'idempotencyKey' | 'eventUuid' | 'body'>): string {
  if (d.idempotencyKey) return `idem:${d.idempotencyKey.slice(0, 200)}`;
  const bodyHash = createHash('sha256').update(d.body).digest('hex');
  if (d.eventUuid) return `uuid:${d.eventUuid.slice(0, 100)}:${bodyHash}`;
  return `body:${bodyHash}`;
}
