/**
 * Writing an accepted delivery's check: a new check, or a new generation of an existing one — after an error
 * (`rerun`), or because the event's job is not among the check's jobs (`widened`, src/core/job-set.ts). Runs inside
 * the accept transaction of src/db/checks.ts.
 */
import { sql } from 'drizzle-orm';
import type { CheckContext } from '../core/check.ts';
import type { TaskSpec } from '../core/planning.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import type { EnqueueOptions } from '../queue/types.ts';
import { INSERT_CHECK, KNOWN, type Known } from './check-statements.ts';
import type { Db } from './database.ts';
import type { PublicationEvent } from './publications.ts';

export interface AcceptInput {
  checkId: string;
  deliveryKey: string;
  context: CheckContext;
  /** The job's plan, or an error to record (several jobs matched). */
  plan: { jobName: string; tasks: TaskSpec[] } | { error: string };
  /**
   * For a commit that has a check already: the plan of its stored jobs together with this event's job
   * (src/core/job-set.ts); `widened` when this event's job was not among them, so the check must run again.
   */
  merge?: (storedJobNames: string | null) => { jobName: string; tasks: TaskSpec[]; widened: boolean };
  enqueue: EnqueueOptions;
  /**
   * Recorded in the same transaction whatever the outcome, duplicates included: the publication outbox rows of the
   * job's publishers and the merge request the commit heads.
   */
  publication?: PublicationEvent;
}

/** The queue's fairness key of a check: its GitLab instance and project, so projects take turns in the queue. */
export function fairKeyOf(c: Pick<CheckContext, 'host' | 'projectPath'>): string {
  return `${c.host}/${c.projectPath}`;
}

export type AcceptOutcome = 'accepted' | 'duplicate_delivery' | 'exists' | 'rerun' | 'widened';

export interface AcceptResult {
  outcome: AcceptOutcome;
  checkId: string;
  generation: number;
  tasks: number;
  recordedError: string | null;
}

export async function createOrPlanAgain(tx: Db, queue: TaskQueue, input: AcceptInput, now: number, prevCheck: Known | null): Promise<AcceptResult> {
  const c = input.context;
  const error = 'error' in input.plan ? input.plan.error : null;
  const base = { checkId: input.checkId, recordedError: error };
  let prev = prevCheck;
  if (!prev) {
    const inserted = await tx.all<{ id: string }>(
      INSERT_CHECK.bind({
        id: input.checkId, state: error ? 'error' : 'planned', error, event_type: c.eventType, host: c.host, project_path: c.projectPath,
        commit_sha: c.commitSha, ref_name: c.ref.name, job_name: 'jobName' in input.plan ? input.plan.jobName : null,
        context: JSON.stringify(c), now, finished_at: error ? now : null, verdict: error ? 'error' : 'in_progress',
      }),
    );
    if (inserted.length > 0) {
      const tasks = 'tasks' in input.plan ? await queue.enqueue(tx, input.checkId, 1, input.plan.tasks, input.enqueue, fairKeyOf(c)) : 0;
      return { ...base, outcome: 'accepted', generation: 1, tasks };
    }
  }
  // The check exists, or another event created it just now: this event's job may still be missing from it.
  for (let attempt = 0; attempt < 5; attempt++) {
    prev ??= (await tx.all<Known>(KNOWN.bind({ key: input.deliveryKey, id: input.checkId })))[0] ?? null;
    if (!prev || prev.generation === null) break;
    const planned = await planAgain(tx, queue, input, now, prev);
    if (planned) return { ...base, ...planned };
    prev = null;
  }
  return { ...base, outcome: 'exists', generation: Number(prevCheck?.generation ?? 1), tasks: 0, recordedError: null };
}

/**
 * A new generation of an existing check: after an error (`rerun`, with its jobs and this event's), or because this
 * event's job is not among the check's jobs (`widened`). `exists` when neither applies; null when the row changed
 * under us (the caller reads it again).
 */
async function planAgain(tx: Db, queue: TaskQueue, input: AcceptInput, now: number, prev: Known): Promise<Omit<AcceptResult, 'checkId' | 'recordedError'> | null> {
  const merged = 'jobName' in input.plan ? input.merge?.(prev.job_name) : undefined;
  const rerun = prev.verdict === 'error';
  if (!rerun && !merged?.widened) return { outcome: 'exists', generation: Number(prev.generation), tasks: 0 };
  const plan = merged ?? input.plan;
  const error = 'error' in plan ? plan.error : null;
  const jobName = 'jobName' in plan ? plan.jobName : null;
  const generation = Number(prev.generation) + 1;
  const bumped = await tx.run(sql`
    UPDATE checks SET generation = ${generation}, state = ${error ? 'error' : 'planned'}, error = ${error}, job_name = ${jobName},
      rev = rev + 1, context = ${JSON.stringify(input.context)}, updated_at = ${now}, finished_at = ${error ? now : null},
      verdict = ${error ? 'error' : 'in_progress'}
    WHERE id = ${input.checkId} AND generation = ${prev.generation}`);
  if (bumped === 0) return null;
  const tasks = 'tasks' in plan ? await queue.enqueue(tx, input.checkId, generation, plan.tasks, input.enqueue, fairKeyOf(input.context)) : 0;
  return { outcome: rerun ? 'rerun' : 'widened', generation, tasks };
}
