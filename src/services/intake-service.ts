/**
 * The webhook intake, without HTTP: authenticate the delivery, classify the event, check that the payload belongs
 * to the instance the token identifies, route it to a job, and commit the check with its task graph. Answers are
 * what GitLab should see: 200 for anything it should not retry or count as a failure (ignored events included),
 * 4xx only for real misconfiguration or malformed requests, 503 when the work could not be stored.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GitlabInstance, Settings } from '../config/settings.ts';
import type { Job, Workflow } from '../config/workflow.ts';
import { type CheckContext, checkLogFields } from '../core/check.ts';
import { securityCheckId } from '../core/check-id.ts';
import { jobsNamed, parseJobNames, planJobs } from '../core/job-set.ts';
import { planJob, type TaskSpec } from '../core/planning.ts';
import { route } from '../core/routing.ts';
import { classify, eventKind } from '../core/webhook.ts';
import type { AcceptResult, CheckStore } from '../db/checks.ts';
import type { PublicationEvent } from '../db/publications.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

/** What the headers of a delivery say: enough to authenticate it before its body is read. */
export interface DeliveryHeaders {
  token: string | null;
  event: string | null;
  idempotencyKey: string | null;
  eventUuid: string | null;
}

export interface Delivery extends DeliveryHeaders {
  body: string;
  /** Who sent it (for the logs only). */
  client?: ClientInfo;
}

export interface ClientInfo {
  client: string | null;
  /** X-Forwarded-For as received: set by a proxy in front, or forged by the sender. */
  forwarded_for?: string;
}

/** What the log line of a delivery can say about it, as far as it got. */
interface LogContext {
  kind?: string;
  instance?: GitlabInstance;
  context?: CheckContext;
}

export type Authentication = { kind: 'ok'; instance: GitlabInstance } | { kind: 'rejected'; answer: IntakeAnswer };

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
  publications?: { publishersOf: (jobName: string) => string[] };
}

export class IntakeService {
  constructor(private readonly deps: IntakeDeps) {}

  async handle(d: Delivery): Promise<IntakeAnswer> {
    const auth = this.authenticate(d);
    return auth.kind === 'ok' ? this.handleAuthenticated(d, auth.instance) : auth.answer;
  }

  /** From the headers alone: the HTTP layer calls this before reading the body, so strangers cost no memory. */
  authenticate(d: DeliveryHeaders): Authentication {
    const instance = findInstance(this.deps.settings.gitlab, d.token);
    if (instance) return { kind: 'ok', instance };
    return { kind: 'rejected', answer: this.answer(d, 'rejected', 403, { code: 'FORBIDDEN', message: 'X-Gitlab-Token header is invalid' }, {}) };
  }

  /** The intake holds as many body bytes as it may (SECBOT_INTAKE_BUFFER_BYTES): refuse now, GitLab may resend. */
  overloaded(d: DeliveryHeaders, message: string): IntakeAnswer {
    return this.answer(d, 'overloaded', 503, { code: 'OVERLOADED', message }, {});
  }

  async handleAuthenticated(d: Delivery, instance: GitlabInstance): Promise<IntakeAnswer> {
    let body: unknown;
    try {
      body = JSON.parse(d.body);
    } catch (err) {
      const message = `request body is not valid JSON: ${(err as Error).message}`;
      return this.answer(d, 'rejected', 400, { code: 'MALFORMED_JSON', message }, { instance });
    }
    const c = classify(d.event, body);
    if (c.kind === 'ignored') {
      return this.answer(d, 'ignored', 200, { status: 'ignored', reason: c.reason }, { instance, kind: eventKind(d.event, asRecord(body)) ?? undefined });
    }
    if (c.kind === 'invalid') {
      const kind = eventKind(d.event, asRecord(body)) ?? undefined;
      return this.answer(d, 'rejected', 422, { code: 'INVALID_PAYLOAD', field: c.field, message: `${c.field}: ${c.message}` }, { instance, kind });
    }
    const payloadHost = new URL(c.webUrl).host.toLowerCase();
    if (payloadHost !== instance.host) {
      const message = `project.web_url host "${payloadHost}" is not the GitLab instance this token belongs to (${instance.host}); SecBot only checks repositories of the configured instance`;
      return this.answer(d, 'rejected', 403, { code: 'WRONG_INSTANCE', message }, { instance, kind: c.eventType });
    }
    const context = c.build({ prefix: instance.prefix, host: instance.host, hostname: instance.hostname });
    const checkId = securityCheckId(instance.prefix, instance.hostname, context.projectPath, context.commitSha);
    const at: LogContext = { instance, kind: c.eventType, context };
    const routed = route(this.deps.workflow.jobs, c.eventType, body);
    if (routed.kind === 'none') {
      const reason = `no job in config.yml matches ${c.eventType} events of ${context.projectPath}`;
      // Best effort: the gate can then say why instead of waiting; losing this note loses no work.
      await this.deps.checks.recordIgnored(checkId, reason).catch((err) => this.deps.logger.warn('could not record an ignored event', { check_id: checkId, ...checkLogFields(context), error: err }));
      return this.answer(d, 'ignored', 200, { status: 'ignored', reason, security_check_id: checkId }, at);
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
        merge: routed.kind === 'one' ? (stored) => this.mergedPlan(stored, routed.job) : undefined,
        publication: this.publicationOf(context, routed.kind === 'one' ? routed.job.name : null),
      });
    } catch (err) {
      this.deps.logger.error('storing the delivery failed', { check_id: checkId, ...checkLogFields(context), error: err });
      return this.answer(d, 'unavailable', 503, {
        code: 'UNAVAILABLE',
        message: 'the database is unavailable; nothing was stored. GitLab shows this delivery as failed: resend it once SecBot is healthy',
      }, at);
    }
    if (result.tasks > 0) this.deps.onWork?.();
    if (result.recordedError && result.outcome === 'accepted') {
      this.deps.logger.warn('check finished: error', { check_id: checkId, ...checkLogFields(context), verdict: 'error', reason: result.recordedError });
    }
    return this.answer(d, outcomeLabel(result), 200, responseOf(result, routed.kind === 'one' ? routed.job.name : null), at);
  }

  /** The plan of a check's stored jobs together with this event's job (src/core/job-set.ts). */
  private mergedPlan(stored: string | null, job: Job): { jobName: string; tasks: TaskSpec[]; widened: boolean } {
    const names = parseJobNames(stored);
    const widened = !names.includes(job.name);
    return { ...planJobs(jobsNamed(this.deps.workflow.jobs, widened ? [...names, job.name] : names)), widened };
  }

  /** Every accepted or repeated event of a check marks its publication due; an MR event also links the MR. */
  private publicationOf(c: CheckContext, jobName: string | null): PublicationEvent | undefined {
    const p = this.deps.publications;
    if (!p) return undefined;
    const publishers = jobName ? p.publishersOf(jobName) : [];
    const mergeRequest = c.mergeRequest && c.projectId !== null ? { projectId: c.projectId, iid: c.mergeRequest.iid } : null;
    return { publishers, mergeRequest };
  }

  private answer(d: DeliveryHeaders & { client?: ClientInfo }, outcome: string, status: number, body: Record<string, unknown>, at: LogContext): IntakeAnswer {
    const raw = at.kind ?? (d.event ? (eventKindOfHeader(d.event) ?? 'other') : 'none');
    // Label values come from the request: only known kinds become series, so a sender cannot grow /metrics forever.
    const event = METRIC_EVENT_KINDS.has(raw) ? raw : 'other';
    this.deps.metrics.webhookEvents.inc({ event, outcome });
    // Overload is back-pressure, not a fault: warn (no error report per refused delivery).
    const level = status >= 500 && outcome !== 'overloaded' ? 'error' : status >= 400 ? 'warn' : 'info';
    this.deps.logger[level](`webhook delivery ${outcome}`, {
      outcome,
      http_status: status,
      event: d.event,
      instance: at.instance?.prefix ?? null,
      check_id: body.security_check_id,
      ...(at.context ? checkLogFields(at.context) : {}),
      reason: body.reason ?? body.message,
      ...d.client,
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
    widened: `this commit's check now also answers for job ${job}; planned again (generation ${r.generation}) with the tasks of all its jobs (${r.tasks})`,
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
