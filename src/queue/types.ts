import type { TaskKind, TaskSpec } from '../core/planning.ts';
import type { TaskState } from '../core/gate.ts';

export interface ClaimedTask {
  id: number;
  checkId: string;
  generation: number;
  name: string;
  kind: TaskKind;
  handler: string;
  payload: TaskSpec['payload'];
  /** This attempt's number (1 for the first run). Together with the owner it fences late writes of a lost lease. */
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  owner: string;
  /** Some task waits for this one: finishing it must release children (leaf tasks skip that statement). */
  hasChildren: boolean;
}

export type Outcome =
  | { type: 'done' }
  /** A counted failed attempt; becomes a permanent failure when no attempts are left. */
  | { type: 'retry'; error: string; delayMs: number }
  | { type: 'fail'; error: string }
  /** Wait imposed by the remote side (rate limit): not counted as an attempt. */
  | { type: 'reschedule'; reason: string; delayMs: number }
  /** Shutdown: hand the task back untouched for another worker. */
  | { type: 'release' };

export interface TaskRow {
  id: number;
  checkId: string;
  generation: number;
  name: string;
  kind: TaskKind;
  handler: string;
  state: TaskState;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  payload: TaskSpec['payload'];
}

export interface TaskEventRow {
  taskId: number;
  attempt: number;
  event: string;
  message: string | null;
  at: number;
}

export interface EnqueueOptions {
  maxAttempts: number;
  timeoutMs: number;
}
