/**
 * Executes one claimed task: a scan, an output (one scan's leaks into one output) or a notification (one output's
 * results to one notifier). Handlers receive what earlier attempts recorded so retries are idempotent; every
 * failure goes through `outcomeOf`.
 */
import type { GitlabInstance, Settings } from '../config/settings.ts';
import { checkLogFields } from '../core/check.ts';
import { ConfigError, PermanentError, RetryableError } from '../core/errors.ts';
import type { CheckLeak } from '../core/leaks.ts';
import type { OutputFinding } from '../core/results.ts';
import type { CheckRow, CheckStore } from '../db/checks.ts';
import { projectKey, type HistoryStore } from '../db/history.ts';
import type { ResultStore } from '../db/results.ts';
import type { Logger } from '../log/logger.ts';
import type { Components } from '../plugins/registry.ts';
import type { PublishResult, TaskRunContext } from '../plugins/types.ts';
import { exhaustedMessage, isExhausted, outcomeOf } from '../queue/outcome.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import type { ClaimedTask, Outcome } from '../queue/types.ts';
import { notificationInputs } from './notification-inputs.ts';
import { ledgerFor } from './ledger.ts';

export interface TaskRunnerDeps {
  checks: CheckStore;
  results: ResultStore;
  history: HistoryStore;
  queue: TaskQueue;
  components: Components;
  settings: Pick<Settings, 'gitlab' | 'worker'>;
  logger: Logger;
  /** Publishes a check through a publishing notifier now (src/services/publication-sync.ts). */
  publish?: (checkId: string, notifier: string, owner: string) => Promise<PublishResult>;
}

/** How many checks' log fields are remembered for the worker's own lines about their tasks. */
const REMEMBERED_CHECKS = 256;
/** How long an output task waits before looking again at an inherited leak another check is still importing. */
const ORIGIN_WAIT_MS = 5_000;
const PENDING = new Set(['blocked', 'queued', 'running']);

export class TaskRunner {
  private readonly checkFields = new Map<string, ReturnType<typeof checkLogFields>>();

  constructor(private readonly deps: TaskRunnerDeps) {}

  /** project, ref and sha of a task's check, once a task of it ran here (for the worker's lines about it). */
  readonly logFieldsOf = (task: ClaimedTask) => this.checkFields.get(task.checkId) ?? {};

  readonly handle = async (task: ClaimedTask, signal: AbortSignal): Promise<Outcome> => {
    let log = this.deps.logger.child({ check_id: task.checkId, task_id: task.id, handler: task.handler, task: task.name });
    const policy = { baseMs: this.deps.settings.worker.retryBaseMs, maxMs: this.deps.settings.worker.retryMaxMs };
    const started = performance.now();
    try {
      const check = await this.deps.checks.get(task.checkId);
      if (!check || check.generation !== task.generation) throw new PermanentError('superseded: the check was planned again');
      log = log.child(this.remember(check));
      const ctx: TaskRunContext = { check, instance: this.instanceOf(check), signal, log };
      log.info('task started', { attempt: task.attempt, max_attempts: task.maxAttempts });
      if (task.kind === 'scan') await this.scan(task, ctx);
      else if (task.kind === 'output') await this.output(task, ctx);
      else {
        const failed = await this.notify(task, ctx);
        if (failed) throw new PermanentError(failed);
      }
      log.info('task done', { attempt: task.attempt, duration_ms: Math.round(performance.now() - started) });
      return { type: 'done' };
    } catch (err) {
      const outcome = outcomeOf(err, task, policy, signal);
      logFailure(log, task, outcome);
      return outcome;
    }
  };

  private remember(check: CheckRow): ReturnType<typeof checkLogFields> {
    const fields = checkLogFields(check);
    this.checkFields.delete(check.id);
    this.checkFields.set(check.id, fields);
    if (this.checkFields.size > REMEMBERED_CHECKS) this.checkFields.delete(this.checkFields.keys().next().value!);
    return fields;
  }

  private instanceOf(check: CheckRow): GitlabInstance {
    const inst = this.deps.settings.gitlab.find((i) => i.host === check.host);
    if (!inst) throw new ConfigError(`GitLab instance ${check.host} is no longer in GITLAB_CONFIGS`);
    return inst;
  }

  private component<T>(map: ReadonlyMap<string, T>, name: string | undefined): T {
    const c = name ? map.get(name) : undefined;
    if (!c) throw new ConfigError(`component "${name}" is not in config.yml any more`);
    return c;
  }

  /**
   * Reads the project's recorded history before the scan, records what the scan found and covered in one
   * transaction after it: coverage is never visible without the leaks behind it.
   */
  private async scan(task: ClaimedTask, ctx: TaskRunContext): Promise<void> {
    const scanName = task.payload.scan!;
    const scanner = this.component(this.deps.components.scanners, scanName);
    const project = projectKey(ctx.check);
    const history = await this.deps.history.scanHistory(project, scanName);
    const report = await scanner.scan({ ...ctx, scanName, history });
    const k = { checkId: task.checkId, generation: task.generation };
    await this.deps.checks.db.tx(async (tx) => {
      await this.deps.results.saveScan(k, scanName, report, tx);
      await this.deps.history.recordScan(tx, { ...k, createdAt: ctx.check.createdAt }, project, scanName, report);
      if (report.maskedContext) await this.deps.checks.maskContext(task.checkId, report.maskedContext, tx);
    });
    ctx.log.info('scan recorded', {
      result: report.status, findings: report.findingCount, range: report.summary.range, first_sight: report.history?.firstSight,
      inherited_leak_commits: report.history?.inheritedCommits.length,
    });
  }

  private async output(task: ClaimedTask, ctx: TaskRunContext): Promise<void> {
    const k = { checkId: task.checkId, generation: task.generation };
    const scanName = task.payload.scan!;
    const outputName = task.payload.output!;
    const output = this.component(this.deps.components.outputs, outputName);
    const scan = (await this.deps.results.scans(k)).find((s) => s.scan === scanName);
    if (!scan) throw new PermanentError(`scan "${scanName}" recorded no result`);
    const leaks = await this.leaksToPublish(k, scanName, outputName);
    const previous = (await this.deps.results.outputs(k)).find((o) => o.scan === scanName && o.output === outputName);
    const result = await output.publish({
      ...ctx,
      scanName,
      report: scan.report,
      leaks: leaks.map((l) => ({ leakKey: l.leakKey, entry: l.entry })),
      unscanned: (await this.deps.history.checkLeaks(k)).filter((l) => l.scan === scanName && l.kind === 'unscanned' && !l.inherited),
      previous: previous ? { externalId: previous.externalId ?? undefined, attemptedAt: previous.attemptedAt ?? undefined } : undefined,
      markAttempt: () => this.deps.results.markOutputAttempt(k, scanName, outputName),
      clearAttempt: () => this.deps.results.clearOutputAttempt(k, scanName, outputName),
      saveExternalId: (id) => this.deps.results.saveOutputExternalId(k, scanName, outputName, id),
    });
    await this.deps.history.saveLeakOutputs(projectKey(ctx.check), scanName, outputName, task.checkId, result.findings);
    await this.deps.results.saveOutput(k, {
      scan: scanName,
      output: outputName,
      status: result.status,
      externalId: result.externalId ?? null,
      externalUrl: result.externalUrl ?? null,
      findings: result.findings,
      verdict: verdictOfFindings(result.findings),
      verdictAt: Date.now(),
    });
    ctx.log.info('output recorded', { findings: result.findings.length, sent: leaks.length, external_id: result.externalId });
  }

  /**
   * The check's own leaks, plus inherited ones this output has never recorded (their check ended in error, or its
   * job had no such output). An inherited leak whose own check is still importing it is waited for, not imported
   * twice: the task comes back later without using up an attempt.
   */
  private async leaksToPublish(k: { checkId: string; generation: number }, scan: string, output: string): Promise<CheckLeak[]> {
    const leaks = (await this.deps.history.checkLeaks(k)).filter((l) => l.scan === scan && l.kind === 'secret');
    const recorded = new Set((await this.deps.history.outputsOfCheck(k)).filter((r) => r.scan === scan && r.output === output).map((r) => r.leakKey));
    const orphans = leaks.filter((l) => l.inherited && !recorded.has(l.leakKey));
    for (const origin of new Set(orphans.map((l) => `${l.foundBy.checkId}#${l.foundBy.generation}`))) {
      const [checkId, gen] = origin.split('#') as [string, string];
      const task = (await this.deps.queue.tasksOf(checkId, Number(gen))).find((t) => t.name === `output:${scan}:${output}`);
      if (task && PENDING.has(task.state)) {
        throw new RetryableError(`waiting for check ${checkId} to record the findings this commit inherits from it`, {
          retryAfterMs: ORIGIN_WAIT_MS,
          rateLimited: true,
        });
      }
    }
    return [...leaks.filter((l) => !l.inherited), ...orphans];
  }

  private publish(task: ClaimedTask, ctx: TaskRunContext): Promise<string | null> {
    return publishVia(this.deps, task, ctx);
  }

  /** Returns a description of channels that failed for good, or null. */
  private async notify(task: ClaimedTask, ctx: TaskRunContext): Promise<string | null> {
    const k = { checkId: task.checkId, generation: task.generation };
    const outputName = task.payload.output!;
    const notifier = this.component(this.deps.components.notifiers, task.payload.notifier);
    if (notifier.publish) return this.publish(task, ctx);
    if (!notifier.notify) throw new ConfigError(`component "${task.payload.notifier}" cannot notify`);
    const results = await notificationInputs(this.deps, ctx.check, k, outputName, task.payload.notifier!);
    const ledger = ledgerFor(this.deps.results, { ...k, output: outputName, notifier: task.payload.notifier! });
    const result = await notifier.notify({ ...ctx, outputName, results, ledger });
    ctx.log.info('notification finished', { delivered: result.delivered, skipped: result.skipped, failed: result.failed.length, note: result.note });
    if (result.failed.length === 0) return null;
    return result.failed.map((f) => `${f.channel}: ${f.reason}`).join('; ');
  }
}

/** A publisher's notify task brings the check's view in GitLab up to date now; refusals fail the task visibly. */
async function publishVia(deps: TaskRunnerDeps, task: ClaimedTask, ctx: TaskRunContext): Promise<string | null> {
  if (!deps.publish) throw new ConfigError(`component "${task.payload.notifier}" publishes, but this process runs no publication sync`);
  const r = await deps.publish(task.checkId, task.payload.notifier!, `${task.owner}/task-${task.id}`);
  ctx.log.info('publication finished', { written: r.written, unchanged: r.unchanged, problems: r.problems.length });
  return r.problems.length === 0 ? null : r.problems.map((p) => `${p.target}: ${p.message}`).join('; ');
}

/** One line per failed attempt, saying what happens next: a retry (when), a reschedule, or the end of the task. */
function logFailure(log: Logger, task: ClaimedTask, outcome: Outcome): void {
  const at = { attempt: task.attempt, max_attempts: task.maxAttempts };
  if (outcome.type === 'retry' && isExhausted(task, outcome)) {
    log.error(`task failed after ${task.attempt} attempts`, { ...at, error: exhaustedMessage(task.attempt, outcome.error) });
  } else if (outcome.type === 'fail') {
    log.error('task failed (not retried)', { ...at, error: outcome.error });
  } else if (outcome.type === 'retry') {
    log.warn(`task attempt failed; will retry in ${seconds(outcome.delayMs)}`, { ...at, retry_in_ms: outcome.delayMs, error: outcome.error });
  } else if (outcome.type === 'reschedule') {
    log.info(`task rescheduled in ${seconds(outcome.delayMs)} (no attempt used)`, { ...at, retry_in_ms: outcome.delayMs, reason: outcome.reason });
  }
}

/** `0.2 s`, `4.5 s`, `120 s`: short delays keep a decimal so they never read as "0 s". */
const seconds = (ms: number) => `${ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;
function verdictOfFindings(findings: readonly OutputFinding[]): 'fail' | 'success' {
  return findings.some((f) => f.open) ? 'fail' : 'success';
}

