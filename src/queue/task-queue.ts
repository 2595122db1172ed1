/**
 * The lease-based task queue. This module (with ./settle.ts) is the only code that reads or writes the `tasks`,
 * `task_deps` and `task_events` tables. Tasks of one check form a DAG: a task is `blocked` until all its parents are
 * `done`, then `queued`; a claim makes it `running` under a lease that heartbeats extend; an expired lease puts it
 * back (a killed worker loses nothing). Claims are batched and use SKIP LOCKED on Postgres; on SQLite one UPDATE
 * inside BEGIN IMMEDIATE is atomic by construction.
 *
 * Fairness: claims go by (fair_tag, id). A check's tasks get the tag max(V, L) + 1, where V is the lowest tag of a
 * runnable queued task (the head of the queue) and L the highest tag its own key (GitLab project) still has queued
 * or blocked. A key's checks thus keep their order, while a key that arrives behind a flood of another key's checks
 * is placed next to the head of the queue instead of behind the whole flood (start-time fair queueing).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import type { TaskSpec } from '../core/planning.ts';
import { nowSql } from './clock.ts';
import type { ClaimedTask, EnqueueOptions, TaskEventRow, TaskRow } from './types.ts';
import { cancelDescendants, recordEvents, settleIn, type SettleHook, type SettleResult, type Settlement } from './settle.ts';

const WORK_CHANNEL = 'secbot_tasks';

export class TaskQueue {
  constructor(readonly db: Db) {}

  private get now(): SQL {
    return nowSql(this.db.dialect);
  }

  /**
   * Adds a check's task graph. Call inside the transaction that creates the check, so both commit together.
   * `fairKey` names whose work it is (the GitLab host and project): claims take turns between keys.
   */
  async enqueue(tx: Db, checkId: string, generation: number, specs: TaskSpec[], opts: EnqueueOptions, fairKey: string): Promise<number> {
    if (specs.length === 0) return 0;
    const now = nowSql(tx.dialect);
    const tag = await fairTagFor(tx, fairKey);
    const values = specs.map(
      (s) => sql`(${checkId}, ${generation}, ${s.name}, ${s.kind}, ${s.handler}, ${JSON.stringify(s.payload)},
        ${s.parents.length > 0 ? 'blocked' : 'queued'}, ${s.parents.length}, 0, ${opts.maxAttempts}, ${now},
        ${opts.timeoutMs}, ${now}, ${now}, ${fairKey}, ${tag})`,
    );
    const rows = await tx.all<{ id: number; name: string }>(sql`
      INSERT INTO tasks (check_id, generation, name, kind, handler, payload, state, pending_parents, attempts,
        max_attempts, run_at, timeout_ms, created_at, updated_at, fair_key, fair_tag)
      VALUES ${sql.join(values, sql`, `)}
      RETURNING id, name`);
    const ids = new Map(rows.map((r) => [r.name, Number(r.id)]));
    const deps = specs.flatMap((s) => s.parents.map((p) => sql`(${ids.get(p)!}, ${ids.get(s.name)!})`));
    if (deps.length > 0) await tx.run(sql`INSERT INTO task_deps (parent_id, child_id) VALUES ${sql.join(deps, sql`, `)}`);
    // Delivered when the transaction commits: idle workers in other processes wake at once instead of at their poll.
    if (tx.dialect === 'postgres') await tx.run(sql`SELECT pg_notify(${WORK_CHANNEL}, '')`);
    return rows.length;
  }

  /** Calls `wake` when another process adds work (Postgres); returns how to stop listening. SQLite: polling only. */
  async onNewWork(wake: () => void): Promise<() => Promise<void>> {
    if (!this.db.subscribe) return async () => {};
    return this.db.subscribe(WORK_CHANNEL, wake);
  }

  /**
   * Claims up to `limit` runnable tasks for `owner`, by fair tag, then in creation order: projects take turns, and
   * within a project the output of an old check goes before the scan of a newer one, so a burst finishes checks one
   * after another instead of all of them at the end.
   */
  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedTask[]> {
    if (limit <= 0) return [];
    // SQLite: BEGIN IMMEDIATE takes the write lock first, so the read inside the UPDATE never has to upgrade.
    if (this.db.dialect === 'sqlite') return this.db.tx((tx) => claimIn(tx, owner, limit, leaseMs));
    return claimIn(this.db, owner, limit, leaseMs);
  }

  /**
   * Settles finished tasks and claims the next ones in one transaction: one commit per worker cycle instead of
   * two, and children released by this batch can be claimed at once.
   */
  async settleAndClaim(
    items: readonly Settlement[],
    hook: SettleHook | undefined,
    next: { owner: string; limit: number; leaseMs: number } | null,
  ): Promise<SettleResult & { claimed: ClaimedTask[] }> {
    return this.db.tx(async (tx) => {
      const result = await settleIn(tx, items, hook);
      const claimed = next && next.limit > 0 ? await claimIn(tx, next.owner, next.limit, next.leaseMs) : [];
      return { ...result, claimed };
    });
  }

  /** Extends the leases of tasks still owned; returns the ids whose lease was lost (expired and taken over). */
  async heartbeat(tasks: readonly ClaimedTask[], leaseMs: number): Promise<Set<number>> {
    if (tasks.length === 0) return new Set();
    const owned = sql.join(
      tasks.map((t) => sql`(id = ${t.id} AND attempts = ${t.attempt} AND lease_owner = ${t.owner})`),
      sql` OR `,
    );
    const rows = await this.db.all<{ id: number }>(sql`
      UPDATE tasks SET lease_until = ${this.now} + ${leaseMs}, updated_at = ${this.now}
      WHERE state = 'running' AND (${owned}) RETURNING id`);
    const kept = new Set(rows.map((r) => Number(r.id)));
    return new Set(tasks.filter((t) => !kept.has(t.id)).map((t) => t.id));
  }

  /**
   * Puts tasks whose lease expired back in the queue (or fails them when their attempts are used up) and cancels
   * what depended on the failed ones. Any worker may call this; concurrent calls are harmless.
   */
  async reapExpired(): Promise<number> {
    return this.db.tx(async (tx) => {
      const now = nowSql(tx.dialect);
      const rows = await tx.all<{ id: number; state: string; attempts: number }>(sql`
        UPDATE tasks SET
          state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
          finished_at = CASE WHEN attempts >= max_attempts THEN ${now} ELSE NULL END,
          last_error = 'lease expired: the worker running it stopped (crash, kill or stall) before finishing',
          lease_owner = NULL, lease_until = NULL, run_at = ${now}, updated_at = ${now}
        WHERE state = 'running' AND lease_until < ${now}
        RETURNING id, state, attempts`);
      if (rows.length === 0) return 0;
      await recordEvents(
        tx,
        rows.map((r) => ({ id: Number(r.id), attempt: Number(r.attempts), event: 'lease_expired', message: null })),
      );
      const failed = rows.filter((r) => r.state === 'failed').map((r) => Number(r.id));
      if (failed.length > 0) await cancelDescendants(tx, failed);
      return rows.length;
    });
  }

  async tasksOf(checkId: string, generation: number, db: Db = this.db): Promise<TaskRow[]> {
    const rows = await db.all<Row>(sql`
      SELECT id, check_id, generation, name, kind, handler, payload, state, attempts, max_attempts, run_at,
        lease_owner, lease_until, last_error, created_at, started_at, finished_at
      FROM tasks WHERE check_id = ${checkId} AND generation = ${generation} ORDER BY id`);
    return rows.map(toTaskRow);
  }

  async eventsOf(taskIds: readonly number[]): Promise<TaskEventRow[]> {
    if (taskIds.length === 0) return [];
    const rows = await this.db.all<Row>(sql`
      SELECT task_id, attempt, event, message, at FROM task_events
      WHERE task_id IN (${sql.join(taskIds.map((i) => sql`${i}`), sql`, `)}) ORDER BY id`);
    return rows.map((r) => ({ taskId: Number(r.task_id), attempt: Number(r.attempt), event: r.event, message: r.message, at: Number(r.at) }));
  }

  /**
   * Deletes every task (with its dependencies and events) of these checks: retention of finished checks. Tasks of a
   * finished check are all final, so nothing a worker holds is touched; the caller passes only final checks.
   */
  async deleteOfChecks(tx: Db, checkIds: readonly string[]): Promise<number> {
    if (checkIds.length === 0) return 0;
    const ids = sql.join(checkIds.map((id) => sql`${id}`), sql`, `);
    const taskIds = sql`SELECT id FROM tasks WHERE check_id IN (${ids})`;
    await tx.run(sql`DELETE FROM task_events WHERE task_id IN (${taskIds})`);
    await tx.run(sql`DELETE FROM task_deps WHERE parent_id IN (${taskIds}) OR child_id IN (${taskIds})`);
    return tx.run(sql`DELETE FROM tasks WHERE check_id IN (${ids}) AND state IN ('done', 'failed', 'cancelled')`);
  }

  /** Task counts by state and kind, for the queue-depth metric. */
  async depth(): Promise<{ state: string; kind: string; count: number }[]> {
    const rows = await this.db.all<Row>(sql`SELECT state, kind, COUNT(*) AS n FROM tasks GROUP BY state, kind`);
    return rows.map((r) => ({ state: r.state, kind: r.kind, count: Number(r.n) }));
  }
}

// biome-ignore lint: rows are dynamically typed by the driver
type Row = Record<string, any>;

/**
 * The tag of a new check of `fairKey`: one past the later of the queue's head (lowest runnable tag) and the key's
 * own last pending tag. Both lookups walk a partial index from one end. Concurrent enqueues on Postgres may give two
 * checks of one key the same tag; that only ties them (broken by id), it loses nothing.
 */
async function fairTagFor(tx: Db, fairKey: string): Promise<number> {
  const now = nowSql(tx.dialect);
  const rows = await tx.all<{ head: number | null; last: number | null }>(sql`
    SELECT
      (SELECT fair_tag FROM tasks WHERE state = 'queued' AND run_at <= ${now} ORDER BY fair_tag LIMIT 1) AS head,
      (SELECT fair_tag FROM tasks WHERE fair_key = ${fairKey} AND state IN ('queued', 'blocked')
        ORDER BY fair_tag DESC LIMIT 1) AS last`);
  const r = rows[0];
  return Math.max(Number(r?.head ?? 0), Number(r?.last ?? 0)) + 1;
}

async function claimIn(db: Db, owner: string, limit: number, leaseMs: number): Promise<ClaimedTask[]> {
  const now = nowSql(db.dialect);
  const lock = db.dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
  const rows = await db.all<Row>(sql`
    UPDATE tasks SET state = 'running', lease_owner = ${owner}, lease_until = ${now} + ${leaseMs},
      attempts = attempts + 1, started_at = COALESCE(started_at, ${now}), updated_at = ${now}
    WHERE id IN (SELECT id FROM tasks WHERE state = 'queued' AND run_at <= ${now}
                 ORDER BY fair_tag, id LIMIT ${limit} ${lock})
    RETURNING id, check_id, generation, name, kind, handler, payload, attempts, max_attempts, timeout_ms,
      EXISTS (SELECT 1 FROM task_deps d WHERE d.parent_id = tasks.id) AS has_children`);
  return rows
    .map((r) => ({
      id: Number(r.id),
      checkId: r.check_id,
      generation: Number(r.generation),
      name: r.name,
      kind: r.kind as ClaimedTask['kind'],
      handler: r.handler,
      payload: JSON.parse(r.payload),
      attempt: Number(r.attempts),
      maxAttempts: Number(r.max_attempts),
      timeoutMs: Number(r.timeout_ms),
      owner,
      hasChildren: Boolean(r.has_children),
    }))
    .sort((a, b) => a.id - b.id);
}

function toTaskRow(r: Row): TaskRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    checkId: r.check_id,
    generation: Number(r.generation),
    name: r.name,
    kind: r.kind,
    handler: r.handler,
    payload: JSON.parse(r.payload),
    state: r.state,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    runAt: Number(r.run_at),
    leaseOwner: r.lease_owner ?? null,
    leaseUntil: num(r.lease_until),
    lastError: r.last_error ?? null,
    createdAt: Number(r.created_at),
    startedAt: num(r.started_at),
    finishedAt: num(r.finished_at),
  };
}
