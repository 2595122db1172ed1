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
import { type Db, Prepared } from '../db/database.ts';
import type { TaskSpec } from '../core/planning.ts';
import { insertGraph } from './task-graph.ts';
import { nowSql } from './clock.ts';
import type { ClaimedTask, EnqueueOptions, TaskEventRow, TaskRow } from './types.ts';
import { cancelDescendants, recordEvents, settleIn, type SettleHook, type SettleResult, type Settlement } from './settle.ts';

const WORK_CHANNEL = 'secbot_tasks';
/** How old the queue head the intake places new checks by may be (see `queueHead`). */
const HEAD_TTL_MS = 200;
/** Least time between two NOTIFYs of one process's `wakeWorkers`. */
const WAKE_GAP_MS = 10;

export class TaskQueue {
  private notifying: Promise<void> | null = null;
  private notifyAgain = false;
  private head: { tag: number; at: number } | null = null;
  private headRead: Promise<number> | null = null;

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
    const inserted = await insertGraph(tx, checkId, generation, specs, opts, fairKey);
    // Delivered when the transaction commits: idle workers in other processes wake at once instead of at their poll.
    if (tx.dialect === 'postgres') await tx.run(sql`SELECT pg_notify(${WORK_CHANNEL}, '')`);
    return inserted;
  }

  /**
   * The queue's head for fair tags (the lowest tag of a runnable queued task), as read at most `HEAD_TTL_MS` ago: the
   * intake's one-statement path takes it as a value. Read by its own statement, planned at each read: a plan kept from
   * when the queue was empty would sort every queued task to find the lowest once the queue is long. Slightly old is
   * fine for fairness: a new check is placed at most a few tasks earlier than with the exact head, never behind it.
   */
  async queueHead(now = Date.now()): Promise<number> {
    if (this.head && now - this.head.at < HEAD_TTL_MS) return this.head.tag;
    this.headRead ??= this.db
      .all<{ tag: number | null }>(QUEUE_HEAD.bind({}))
      .then((rows) => {
        this.head = { tag: Number(rows[0]?.tag ?? 0), at: Date.now() };
        return this.head.tag;
      })
      .finally(() => {
        this.headRead = null;
      });
    return this.headRead;
  }

  /**
   * Postgres: wakes idle workers in other processes (NOTIFY) after work was committed outside `enqueue` (the intake's
   * one-statement path). Not inside the writing transaction: a transaction that notifies holds Postgres's notify lock
   * through its commit, so concurrent deliveries would wait for each other's disk flush. Coalesced: while one NOTIFY
   * is on its way, further calls send one more after it and a short gap. Best effort, as every NOTIFY: workers also
   * poll.
   */
  wakeWorkers(): void {
    if (this.db.dialect !== 'postgres') return;
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = (async () => {
      do {
        this.notifyAgain = false;
        await this.db.run(sql`SELECT pg_notify(${WORK_CHANNEL}, '')`).catch(() => {});
        // Under a burst, one NOTIFY per gap wakes the workers as well as one per delivery, at a fraction of the cost.
        if (this.notifyAgain) await Bun.sleep(WAKE_GAP_MS);
      } while (this.notifyAgain);
    })().finally(() => {
      this.notifying = null;
    });
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
    // Two statements (read candidates, claim them) in one transaction: BEGIN IMMEDIATE on SQLite takes the write lock
    // first, so the read never has to upgrade; on Postgres the candidates stay locked until the claim commits.
    return this.db.tx((tx) => claimIn(tx, owner, limit, leaseMs));
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
          state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, rev = rev + 1,
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

const QUEUE_HEAD = new Prepared(
  (d) => sql`SELECT fair_tag AS tag FROM tasks WHERE state = 'queued' AND run_at <= ${nowSql(d)} ORDER BY fair_tag LIMIT 1`,
  { planEachRun: true },
);

/**
 * What a gate answer reads of a check generation's tasks that can change, as one number: the sum of the tasks' `rev`,
 * which every change of a task's state, attempts or last error bumps (claim, settle, release, cancel, reap). A
 * subquery for the statement that reads the check. On SQLite a covering index answers it without decoding the tasks'
 * records; Postgres reads the few rows through the unique (check, generation, name) index.
 */
export function taskStateKeySql(checkId: SQL, generation: SQL): SQL {
  return sql`(SELECT sum(rev) FROM tasks WHERE check_id = ${checkId} AND generation = ${generation})`;
}

/**
 * One scan per project and scan component at a time: a project's scans cover each other's history (see the coverage rule), so a scan
 * that starts while another of the same project runs would scan again every commit the other is scanning; waiting
 * for it leaves only the new commits. Other kinds, and other projects, are not held back. Candidates are read in
 * claim order (an index range), the busy projects skipped in code, then the chosen ones claimed by id.
 */
async function claimIn(db: Db, owner: string, limit: number, leaseMs: number): Promise<ClaimedTask[]> {
  const now = nowSql(db.dialect);
  const lock = db.dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
  const candidates = await db.all<Row>(sql`SELECT id, kind, name, fair_key FROM tasks WHERE state = 'queued' AND run_at <= ${now}
    ORDER BY fair_tag, id LIMIT ${Math.max(64, limit * 8)} ${lock}`);
  if (candidates.length === 0) return [];
  // The lane is (project, scan component): two components never cover each other, so they may run side by side.
  const lane = (r: Row) => `${r.fair_key}\u0000${r.name}`;
  const running = await db.all<Row>(sql`SELECT DISTINCT fair_key, name FROM tasks WHERE state = 'running' AND kind = 'scan'`);
  const busy = new Set(running.map(lane));
  const chosen: number[] = [];
  for (const c of candidates) {
    if (c.kind === 'scan' && c.fair_key !== '') {
      if (busy.has(lane(c))) continue;
      busy.add(lane(c));
    }
    chosen.push(Number(c.id));
    if (chosen.length >= limit) break;
  }
  if (chosen.length === 0) return [];
  const rows = await db.all<Row>(sql`
    UPDATE tasks SET state = 'running', rev = rev + 1, lease_owner = ${owner}, lease_until = ${now} + ${leaseMs},
      attempts = attempts + 1, started_at = COALESCE(started_at, ${now}), updated_at = ${now}
    WHERE id IN (${sql.join(chosen.map((id) => sql`${id}`), sql`, `)}) AND state = 'queued'
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
