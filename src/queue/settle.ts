/**
 * Recording what became of claimed tasks, many per transaction (one commit for a batch is what lets the queue keep
 * up on Postgres, where every commit waits for the disk). Each write is fenced by (id, attempt, owner): a worker
 * whose lease was lost cannot overwrite the state of the attempt that took over. Successful tasks of a batch are
 * settled by one statement; a worker may claim its next tasks in the same transaction. Every change of a task's
 * state, attempts or error bumps its `rev` (the gate's answer cache compares their sum, src/db/checks.ts).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { nowSql } from './clock.ts';
import { exhaustedMessage, isExhausted } from './outcome.ts';
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

export async function settleIn(tx: Db, items: readonly Settlement[], hook?: SettleHook): Promise<SettleResult> {
  if (items.length === 0) return { applied: [], released: 0 };
  const applied: Settlement[] = [];
  const done = items.filter((i) => i.outcome.type === 'done');
  const doneIds = await applyDone(tx, done.map((d) => d.task));
  applied.push(...done.filter((d) => doneIds.has(d.task.id)));
  const failed: number[] = [];
  for (const item of items) {
    if (item.outcome.type === 'done') continue;
    const finalState = await applyOther(tx, item);
    if (finalState === null) continue;
    applied.push(item);
    if (finalState === 'failed') failed.push(item.task.id);
  }
  await recordEvents(tx, applied.filter((a) => a.outcome.type !== 'done').map(eventOf));
  const parents = done.filter((d) => d.task.hasChildren && doneIds.has(d.task.id)).map((d) => d.task.id);
  const released = parents.length > 0 ? await releaseChildren(tx, parents) : 0;
  if (failed.length > 0) await cancelDescendants(tx, failed);
  if (hook && applied.length > 0) await hook(tx, applied);
  return { applied, released };
}

export async function settle(db: Db, items: readonly Settlement[], hook?: SettleHook): Promise<SettleResult> {
  if (items.length === 0) return { applied: [], released: 0 };
  return db.tx((tx) => settleIn(tx, items, hook));
}

/** (id, attempt) pairs as one JSON parameter, expanded by the database: one statement text whatever the batch size. */
function pairs(tx: Db, tasks: readonly ClaimedTask[]): SQL {
  const json = JSON.stringify(tasks.map((t) => [t.id, t.attempt]));
  return tx.dialect === 'postgres'
    ? sql`SELECT (e->>0)::bigint, (e->>1)::int FROM jsonb_array_elements(CAST(${json} AS text)::jsonb) AS e`
    : sql`SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(${json})`;
}

async function applyDone(tx: Db, tasks: readonly ClaimedTask[]): Promise<Set<number>> {
  if (tasks.length === 0) return new Set();
  const now = nowSql(tx.dialect);
  const byOwner = Map.groupBy(tasks, (t) => t.owner);
  const ids = new Set<number>();
  for (const [owner, group] of byOwner) {
    const rows = await tx.all<{ id: number }>(sql`
      UPDATE tasks SET state = 'done', rev = rev + 1, finished_at = ${now}, last_error = NULL, lease_owner = NULL,
        lease_until = NULL, updated_at = ${now}
      WHERE state = 'running' AND lease_owner = ${owner} AND (id, attempts) IN (${pairs(tx, group)})
      RETURNING id`);
    for (const r of rows) ids.add(Number(r.id));
  }
  return ids;
}

async function applyOther(tx: Db, { task, outcome }: Settlement): Promise<string | null> {
  const now = nowSql(tx.dialect);
  const fence = sql`id = ${task.id} AND attempts = ${task.attempt} AND lease_owner = ${task.owner} AND state = 'running'`;
  const clearLease = sql`lease_owner = NULL, lease_until = NULL, updated_at = ${now}`;
  let set: SQL;
  let state: string;
  switch (outcome.type) {
    case 'done':
      throw new Error('done outcomes are settled in bulk');
    case 'retry':
      state = isExhausted(task, outcome) ? 'failed' : 'queued';
      set =
        state === 'failed'
          ? sql`state = 'failed', finished_at = ${now}, last_error = ${exhaustedMessage(task.attempt, outcome.error)}`
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
  const changed = await tx.run(sql`UPDATE tasks SET ${set}, rev = rev + 1, ${clearLease} WHERE ${fence}`);
  return changed === 1 ? state : null;
}

function eventOf({ task, outcome }: Settlement): { id: number; attempt: number; event: string; message: string | null } {
  const exhausted = outcome.type === 'retry' && isExhausted(task, outcome);
  const failedForGood = outcome.type === 'fail' || exhausted;
  const message = outcome.type === 'retry' && exhausted
    ? exhaustedMessage(task.attempt, outcome.error)
    : outcome.type === 'retry' || outcome.type === 'fail'
      ? outcome.error
      : outcome.type === 'reschedule'
        ? outcome.reason
        : null;
  const event = failedForGood ? 'failed' : outcome.type;
  return { id: task.id, attempt: task.attempt, event, message };
}

/**
 * One statement: each child's count of unfinished parents drops by how many of its parents just finished (two
 * parents may finish in one batch), and a child whose count reaches zero is queued.
 */
async function releaseChildren(tx: Db, parentIds: number[]): Promise<number> {
  const now = nowSql(tx.dialect);
  const parents = sql.join(parentIds.map((id) => sql`${id}`), sql`, `);
  const finished = sql`(SELECT COUNT(*) FROM task_deps d WHERE d.child_id = tasks.id AND d.parent_id IN (${parents}))`;
  const rows = await tx.all<{ state: string }>(sql`
    UPDATE tasks SET
      state = CASE WHEN state = 'blocked' AND pending_parents - ${finished} <= 0 THEN 'queued' ELSE state END,
      rev = rev + 1,
      run_at = CASE WHEN state = 'blocked' AND pending_parents - ${finished} <= 0 THEN ${now} ELSE run_at END,
      pending_parents = pending_parents - ${finished},
      updated_at = ${now}
    WHERE id IN (SELECT child_id FROM task_deps WHERE parent_id IN (${parents}))
    RETURNING state`);
  return rows.filter((r) => r.state === 'queued').length;
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
    UPDATE tasks SET state = 'cancelled', rev = rev + 1, finished_at = ${now}, updated_at = ${now},
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
