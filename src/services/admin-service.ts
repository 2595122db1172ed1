/** Admin operations on the results instance: list checks, show one with its tasks and attempts, re-run errors. */
import type { Settings } from '../config/settings.ts';
import type { Workflow } from '../config/workflow.ts';
import { jobLabel, planJobs, storedJobs } from '../core/job-set.ts';
import type { CheckRow, CheckStore } from '../db/checks.ts';
import type { HistoryStore } from '../db/history.ts';
import type { ResultStore } from '../db/results.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import { loadVerdictInputs, verdictOf, type UnscannedPolicy } from './verdict.ts';
import type { StatusService } from './status-service.ts';

export interface AdminDeps {
  checks: CheckStore;
  results: ResultStore;
  history: HistoryStore;
  queue: TaskQueue;
  policy: UnscannedPolicy;
  status: StatusService;
  workflow: Workflow;
  settings: Pick<Settings, 'worker'>;
}

export type RerunResult = { ok: true; generation: number } | { ok: false; status: 404 | 409; message: string };

const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);

export class AdminService {
  constructor(private readonly deps: AdminDeps) {}

  async list(filter: { project?: string; status?: string; limit: number; before?: number }) {
    const rows = await this.deps.checks.list(filter);
    return rows.map((c) => summary(c));
  }

  async show(id: string) {
    const check = await this.deps.checks.get(id);
    if (!check) return null;
    const tasks = await this.deps.queue.tasksOf(check.id, check.generation);
    const events = await this.deps.queue.eventsOf(tasks.map((t) => t.id));
    const status = await this.deps.status.status(id);
    return {
      ...summary(check),
      details: status,
      tasks: tasks.map((t) => ({
        id: t.id,
        name: t.name,
        kind: t.kind,
        handler: t.handler,
        state: t.state,
        attempts: t.attempts,
        max_attempts: t.maxAttempts,
        last_error: t.lastError,
        run_at: iso(t.runAt),
        started_at: iso(t.startedAt),
        finished_at: iso(t.finishedAt),
        history: events
          .filter((e) => e.taskId === t.id)
          .map((e) => ({ attempt: e.attempt, event: e.event, message: e.message, at: iso(e.at) })),
      })),
    };
  }

  async rerun(id: string): Promise<RerunResult> {
    const check = await this.deps.checks.get(id);
    if (!check) return { ok: false, status: 404, message: 'no such check' };
    const verdict = verdictOf(check, await loadVerdictInputs(this.deps, check), this.deps.policy);
    if (verdict.status !== 'error') {
      return { ok: false, status: 409, message: `only checks that ended in error can be re-run; this one is ${verdict.status}` };
    }
    const jobs = storedJobs(this.deps.workflow.jobs, check.jobName);
    if (jobs.length === 0) {
      return { ok: false, status: 409, message: 'no job is recorded for this check (or its jobs left config.yml); send the GitLab event again instead' };
    }
    const w = this.deps.settings.worker;
    const plan = planJobs(jobs);
    const generation = await this.deps.checks.rerun(check, plan.tasks, plan.jobName, { maxAttempts: w.maxAttempts, timeoutMs: w.taskTimeoutMs });
    if (generation === null) return { ok: false, status: 409, message: 'the check changed meanwhile; reload it' };
    return { ok: true, generation };
  }
}

function summary(c: CheckRow) {
  return {
    security_check_id: c.id,
    status: c.verdict ?? 'in_progress',
    project: c.projectPath,
    commit_sha: c.commitSha,
    event_type: c.eventType,
    ref: c.ref.name,
    job: jobLabel(c.jobName),
    generation: c.generation,
    error: c.error,
    created_at: iso(c.createdAt),
    finished_at: iso(c.finishedAt),
  };
}
