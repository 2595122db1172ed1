/**
 * The jobs a check answers for. A check is per commit, but jobs are per event: one commit can be pushed to a branch
 * a lax job covers and later to one a strict job covers, or be the head of a merge request. The check runs the union
 * of every job an accepted event of its commit routed to, so whichever job's answer a pipeline expects, the work
 * behind it was done: an earlier event's job never stands in for a stricter one.
 *
 * Stored in `checks.job_name`: one name as it is (as before), several as a JSON array.
 */
import type { Job } from '../config/workflow.ts';
import { planJob, type TaskSpec } from './planning.ts';

export function parseJobNames(stored: string | null): string[] {
  if (stored === null || stored === '') return [];
  if (stored.startsWith('[')) {
    try {
      const names = JSON.parse(stored) as unknown;
      if (Array.isArray(names) && names.every((n) => typeof n === 'string')) return names;
    } catch {
      // A job literally named "[…": it is one name.
    }
  }
  return [stored];
}

export function formatJobNames(names: readonly string[]): string {
  const unique = [...new Set(names)];
  return unique.length === 1 ? unique[0]! : JSON.stringify(unique);
}

/** For people: "strict, lax". */
export function jobLabel(stored: string | null): string | null {
  const names = parseJobNames(stored);
  return names.length === 0 ? null : names.join(', ');
}

/** Every scan, output and notification of the jobs, once each, in first-seen order; unscanned files fail if any job says so. */
export function combineJobs(jobs: readonly Pick<Job, 'scans' | 'outputs' | 'notifications' | 'unscanned'>[]) {
  const union = (pick: (j: (typeof jobs)[number]) => readonly string[]) => [...new Set(jobs.flatMap(pick))];
  return {
    scans: union((j) => j.scans),
    outputs: union((j) => j.outputs),
    notifications: union((j) => j.notifications),
    unscanned: jobs.some((j) => j.unscanned === 'fail') ? ('fail' as const) : ('note' as const),
  };
}

/** The configured jobs among the stored names (a job removed from config.yml since is dropped). */
export function jobsNamed<J extends Pick<Job, 'name'>>(jobs: readonly J[], names: readonly string[]): J[] {
  return names.map((n) => jobs.find((j) => j.name === n)).filter((j): j is J => j !== undefined);
}

/** The configured jobs a check's stored `job_name` names. */
export function storedJobs<J extends Pick<Job, 'name'>>(jobs: readonly J[], stored: string | null): J[] {
  return jobsNamed(jobs, parseJobNames(stored));
}

/** What a check running these jobs stores and enqueues: their names, and the task graph of their union. */
export function planJobs(jobs: readonly Job[]): { jobName: string; tasks: TaskSpec[] } {
  return { jobName: formatJobNames(jobs.map((j) => j.name)), tasks: planJob(combineJobs(jobs)) };
}
