/**
 * Recording what became of claimed tasks, many per transaction (one commit for a batch is what lets the queue keep
 * up on Postgres, where every commit waits for the disk). Each write is fenced by (id, attempt, owner): a worker
 * whose lease was lost cannot overwrite the state of the attempt that took over.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { nowSql } from './clock.ts';
import type { ClaimedTask, Outcome } from './types.ts';

export interface Settlement {
  task: ClaimedTask;
  outcome: Outcome;
}

export interface SettleResult {
  /** Settlements that were applied (the others had lost their lease). */
  applied: Settlement[];
  /** Tasks made runnable because their last parent finished. */
  released: number;
}

/** Runs inside the settling transaction after the task states changed (e.g. to update the check's verdict). */
export type SettleHook = (tx: Db, applied: readonly Settlement[]) => Promise<void>;

export async function settle(db: Db, items: readonly Settlement[], hook?: SettleHook): Promise<SettleResult> {
  if (items.length === 0) return { applied: [], released: 0 };
  return db.tx(async (tx) => {
    const applied: Settlement[] = [];
    const done: number[] = [];
    const failed: number[] = [];
    for (const item of items) {
      const finalState = await applyOne(tx, item);
      if (finalState === null) continue;
      applied.push(item);
      if (finalState === 'done') done.push(item.task.id);
      if (finalState === 'failed') failed.push(item.task.id);
    }
    await recordEvents(tx, applied.filter((a) => a.outcome.type !== 'done').map(eventOf));
    const released = done.length > 0 ? await releaseChildren(tx, done) : 0;
    if (failed.length > 0) await cancelDescendants(tx, failed);
    if (hook && applied.length > 0) await hook(tx, applied);
    return { applied, released };
  });
}

async function applyOne(tx: Db, { task, outcome }: Settlement): Promise<string | null> {
  const now = nowSql(tx.dialect);
  const fence = sql`id = ${task.id} AND attempts = ${task.attempt} AND lease_owner = ${task.owner} AND state = 'running'`;
  const clearLease = sql`lease_owner = NULL, lease_until = NULL, updated_at = ${now}`;
  let set: SQL;
  let state: string;
  switch (outcome.type) {
    case 'done':
      state = 'done';
      set = sql`state = 'done', finished_at = ${now}, last_error = NULL`;
      break;
    case 'retry':
      state = task.attempt >= task.maxAttempts ? 'failed' : 'queued';
      set =
        state === 'failed'
          ? sql`state = 'failed', finished_at = ${now}, last_error = ${outcome.error}`
          : sql`state = 'queued', run_at = ${now} + ${outcome.delayMs}, last_error = ${outcome.error}`;
      break;
    case 'fail':
      state = 'failed';
      set = sql`state = 'failed', finished_at = ${now}, last_error = ${outcome.error}`;
      break;
    case 'reschedule':
      state = 'queued';
      set = sql`state = 'queued', attempts = attempts - 1, run_at = ${now} + ${outcome.delayMs}, last_error = ${outcome.reason}`;
      break;
    case 'release':
      state = 'queued';
      set = sql`state = 'queued', attempts = attempts - 1, run_at = ${now}`;
      break;
  }
  const changed = await tx.run(sql`UPDATE tasks SET ${set}, ${clearLease} WHERE ${fence}`);
  return changed === 1 ? state : null;
}

function eventOf({ task, outcome }: Settlement): { id: number; attempt: number; event: string; message: string | null } {
  const failedForGood = outcome.type === 'fail' || (outcome.type === 'retry' && task.attempt >= task.maxAttempts);
  const message =
    outcome.type === 'retry' || outcome.type === 'fail'
      ? outcome.error
      : outcome.type === 'reschedule'
        ? outcome.reason
        : null;
  const event = failedForGood ? 'failed' : outcome.type;
  return { id: task.id, attempt: task.attempt, event, message };
}

/** Decrements each child's count of unfinished parents (by how many of its parents finished) and queues the ready. */
async function releaseChildren(tx: Db, parentIds: number[]): Promise<number> {
  const now = nowSql(tx.dialect);
  const parents = sql.join(parentIds.map((id) => sql`${id}`), sql`, `);
  await tx.run(sql`
    UPDATE tasks SET pending_parents = pending_parents -
      (SELECT COUNT(*) FROM task_deps d WHERE d.child_id = tasks.id AND d.parent_id IN (${parents}))
    WHERE id IN (SELECT child_id FROM task_deps WHERE parent_id IN (${parents}))`);
  return tx.run(sql`
    UPDATE tasks SET state = 'queued', run_at = ${now}, updated_at = ${now}
    WHERE state = 'blocked' AND pending_parents <= 0
      AND id IN (SELECT child_id FROM task_deps WHERE parent_id IN (${parents}))`);
}

/** A failed task's dependents can never run: mark all of them (transitively) cancelled. */
export async function cancelDescendants(tx: Db, failedIds: number[]): Promise<number> {
  const now = nowSql(tx.dialect);
  const ids = sql.join(failedIds.map((id) => sql`${id}`), sql`, `);
  return tx.run(sql`
    WITH RECURSIVE down(id) AS (
      SELECT child_id FROM task_deps WHERE parent_id IN (${ids})
      UNION SELECT d.child_id FROM task_deps d JOIN down ON d.parent_id = down.id
    )
    UPDATE tasks SET state = 'cancelled', finished_at = ${now}, updated_at = ${now},
      last_error = 'not run: a task it depends on failed'
    WHERE id IN (SELECT id FROM down) AND state IN ('blocked', 'queued')`);
}

export async function recordEvents(
  tx: Db,
  events: readonly { id: number; attempt: number; event: string; message: string | null }[],
): Promise<void> {
  if (events.length === 0) return;
  const now = nowSql(tx.dialect);
  const values = events.map((e) => sql`(${e.id}, ${e.attempt}, ${e.event}, ${e.message}, ${now})`);
  await tx.run(sql`INSERT INTO task_events (task_id, attempt, event, message, at) VALUES ${sql.join(values, sql`, `)}`);
}
