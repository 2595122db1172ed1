/**
 * A job becomes a task graph (seed glossary "Job"): S scan tasks, S×O output tasks (each after its scan) and O×N
 * notification tasks (each after all S output tasks of its output) — S + S×O + O×N tasks in all.
 */
import type { Job } from '../config/workflow.ts';

export type TaskKind = 'scan' | 'output' | 'notify';

export interface TaskSpec {
  /** Unique within a check generation; also how the gate and the admin API name the task. */
  name: string;
  kind: TaskKind;
  /** Component that runs the task. */
  handler: string;
  payload: { scan?: string; output?: string; notifier?: string };
  parents: string[];
}

export const scanTaskName = (scan: string) => `scan:${scan}`;
export const outputTaskName = (scan: string, output: string) => `output:${scan}:${output}`;
export const notifyTaskName = (output: string, notifier: string) => `notify:${output}:${notifier}`;

export function planJob(job: Pick<Job, 'scans' | 'outputs' | 'notifications'>): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  for (const scan of job.scans) {
    tasks.push({ name: scanTaskName(scan), kind: 'scan', handler: scan, payload: { scan }, parents: [] });
  }
  for (const scan of job.scans) {
    for (const output of job.outputs) {
      tasks.push({
        name: outputTaskName(scan, output),
        kind: 'output',
        handler: output,
        payload: { scan, output },
        parents: [scanTaskName(scan)],
      });
    }
  }
  for (const output of job.outputs) {
    for (const notifier of job.notifications) {
      tasks.push({
        name: notifyTaskName(output, notifier),
        kind: 'notify',
        handler: notifier,
        payload: { output, notifier },
        parents: job.scans.map((s) => outputTaskName(s, output)),
      });
    }
  }
  return tasks;
}
