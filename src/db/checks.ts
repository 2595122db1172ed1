/**
 * Checks and webhook deliveries. A check is created together with its task graph in one transaction, so an
 * accepted delivery (HTTP 200) always has its work committed. One check per commit (per check id): later events for
 * the same commit add nothing, except that a check which ended in `error` is planned again as a new generation.
 */
import { sql } from 'drizzle-orm';
import type { CheckContext, CheckRecord } from '../core/check.ts';
import type { GateStatus } from '../core/gate.ts';
import type { MaskedContext } from '../core/results.ts';
import type { TaskSpec } from '../core/planning.ts';
import { enqueueValues } from '../queue/task-graph.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import type { EnqueueOptions } from '../queue/types.ts';
import { type AcceptInput, type AcceptResult, createOrPlanAgain, fairKeyOf } from './check-plan.ts';
import { ACCEPT_NEW, ANSWER_KEY, INSERT_DELIVERY, KNOWN, type Known } from './check-statements.ts';
import type { Db } from './database.ts';
import { PublicationStore } from './publications.ts';

export interface CheckRow extends CheckRecord {
  state: 'planned' | 'error';
  error: string | null;
  updatedAt: number;
  finishedAt: number | null;
  verdict: GateStatus | null;
}

export { type AcceptInput, type AcceptOutcome, type AcceptResult, fairKeyOf } from './check-plan.ts';

/** Most deliveries one SQLite group commit takes (the rest wait for the next one). */
const MAX_GROUP = 256;

interface PendingAccept {
  input: AcceptInput;
  now: number;
  resolve: (r: AcceptResult) => void;
  reject: (err: unknown) => void;
}

export class CheckStore {
  private pending: PendingAccept[] = [];
  private flushing = false;

  private readonly publications: PublicationStore;

  constructor(
    readonly db: Db,
    private readonly queue: TaskQueue,
  ) {
    this.publications = new PublicationStore(db);
  }

  /**
   * Stores a delivery: resolves once its check and tasks are committed. On SQLite, deliveries that arrive together
   * share one transaction (group commit): each runs in its own savepoint, so one failing delivery rolls back alone,
   * and all of them resolve only after the one COMMIT (one fsync for the group instead of one each). Postgres
   * connections commit concurrently, so there every delivery keeps its own transaction; the common case, a new
   * delivery of a commit without a check, is one statement (one round trip, atomic by itself).
   */
  accept(input: AcceptInput, now = Date.now()): Promise<AcceptResult> {
    if (this.db.dialect !== 'sqlite') return this.acceptPostgres(input, now);
    return new Promise<AcceptResult>((resolve, reject) => {
      this.pending.push({ input, now, resolve, reject });
      // setImmediate: the deliveries whose requests were read in this turn of the event loop join the group.
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      await this.flushAll();
    } finally {
      this.flushing = false;
      if (this.pending.length > 0) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    }
  }

  private async flushAll(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, MAX_GROUP);
      // Usually every delivery succeeds: one transaction without savepoints. If one fails, the whole group rolled
      // back (nothing stored) and goes again with a savepoint each, so the failing delivery rolls back alone.
      const results = await this.db
        .tx(async (tx) => {
          const out: AcceptResult[] = [];
          for (const p of group) out.push(await this.acceptIn(tx, p.input, p.now));
          return out;
        })
        .catch(() => null);
      if (results) {
        for (const [i, p] of group.entries()) p.resolve(results[i]!);
        continue;
      }
      const outcomes: ({ ok: true; result: AcceptResult } | { ok: false; error: unknown })[] = [];
      try {
        await this.db.tx(async (tx) => {
          outcomes.length = 0;
          for (const p of group) {
            try {
              outcomes.push({ ok: true, result: await tx.tx((sp) => this.acceptIn(sp, p.input, p.now)) });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        });
      } catch (error) {
        // BEGIN or COMMIT failed: nothing of the group is stored.
        for (const p of group) p.reject(error);
        continue;
      }
      group.forEach((p, i) => {
        const o = outcomes[i]!;
        if (o.ok) p.resolve(o.result);
        else p.reject(o.error);
      });
    }
  }

  /**
   * A new delivery of a commit without a check (the common case) is written by one statement; anything else (the
   * delivery or the check exists, a re-run after an error, a plan that is an error) by the general path. The one
   * statement writes nothing unless it creates the check, so falling back after it is safe.
   */
  private async acceptPostgres(input: AcceptInput, now: number): Promise<AcceptResult> {
    if ('tasks' in input.plan && input.plan.tasks.length > 0) {
      const c = input.context;
      const head = await this.queue.queueHead();
      const rows = await this.db.all<{ created: number; tasks: number }>(
        ACCEPT_NEW.bind({
          id: input.checkId,
          key: input.deliveryKey,
          event_type: c.eventType,
          host: c.host,
          project_path: c.projectPath,
          commit_sha: c.commitSha,
          ref_name: c.ref.name,
          job_name: input.plan.jobName,
          context: JSON.stringify(c),
          now,
          ...enqueueValues(input.plan.tasks, input.enqueue, fairKeyOf(c), head),
          ...PublicationStore.eventValues(input.publication ?? { publishers: [], mergeRequest: null }),
        }),
      );
      const r = rows[0];
      if (r && Number(r.created) === 1) {
        this.queue.wakeWorkers();
        return { outcome: 'accepted', checkId: input.checkId, generation: 1, tasks: Number(r.tasks), recordedError: null };
      }
    }
    return this.db.tx((tx) => this.acceptIn(tx, input, now));
  }

  private async acceptIn(tx: Db, input: AcceptInput, now: number): Promise<AcceptResult> {
    const record = (tx: Db, created = false) =>
      input.publication ? this.publications.recordEvent(tx, { checkId: input.checkId, created, ...input.publication }) : undefined;
    const [known] = await tx.all<Known>(KNOWN.bind({ key: input.deliveryKey, id: input.checkId }));
    if (known?.seen) {
      await record(tx);
      return { outcome: 'duplicate_delivery', checkId: input.checkId, generation: 0, tasks: 0, recordedError: null };
    }
    const result = await createOrPlanAgain(tx, this.queue, input, now, known?.generation === null || known?.generation === undefined ? null : known);
    await record(tx, result.outcome === 'accepted');
    await tx.run(
      INSERT_DELIVERY.bind({ key: input.deliveryKey, check_id: input.checkId, event_type: input.context.eventType, outcome: result.outcome, now }),
    );
    return result;
  }

  /** Remembers why an event naming this commit was ignored (the last reason wins); the gate answers with it. */
  async recordIgnored(checkId: string, reason: string, now = Date.now()): Promise<void> {
    await this.db.run(sql`INSERT INTO ignored_events (check_id, reason, received_at) VALUES (${checkId}, ${reason}, ${now})
      ON CONFLICT (check_id) DO UPDATE SET reason = excluded.reason, received_at = excluded.received_at`);
  }

  async ignoredReason(checkId: string): Promise<string | null> {
    const rows = await this.db.all<{ reason: string }>(sql`SELECT reason FROM ignored_events WHERE check_id = ${checkId}`);
    return rows[0]?.reason ?? null;
  }

  /** Plans a check that ended in error again, as a new generation (admin re-run). */
  async rerun(check: CheckRow, tasks: TaskSpec[], jobName: string, enqueue: EnqueueOptions, now = Date.now()): Promise<number | null> {
    return this.db.tx(async (tx) => {
      const generation = check.generation + 1;
      const bumped = await tx.run(sql`
        UPDATE checks SET generation = ${generation}, state = 'planned', error = NULL, job_name = ${jobName}, rev = rev + 1,
          updated_at = ${now}, finished_at = NULL, verdict = 'in_progress'
        WHERE id = ${check.id} AND generation = ${check.generation}`);
      if (bumped === 0) return null;
      await this.queue.enqueue(tx, check.id, generation, tasks, enqueue, fairKeyOf(check));
      return generation;
    });
  }

  /**
   * A scan found secrets in the check's own fields (a branch named after a token): keep only the masked text, so
   * outputs and notifiers that read the check afterwards never see the value.
   */
  async maskContext(id: string, masked: MaskedContext, db: Db = this.db, now = Date.now()): Promise<void> {
    const rows = await db.all<{ context: string }>(sql`SELECT context FROM checks WHERE id = ${id}`);
    if (!rows[0]) return;
    const ctx = JSON.parse(String(rows[0].context)) as CheckContext;
    if (masked.refName) ctx.ref = { ...ctx.ref, name: masked.refName };
    if (masked.userName) ctx.userName = masked.userName;
    if (ctx.mergeRequest) {
      if (masked.sourceBranch) ctx.mergeRequest.sourceBranch = masked.sourceBranch;
      if (masked.targetBranch) ctx.mergeRequest.targetBranch = masked.targetBranch;
      if (masked.mrTitle) ctx.mergeRequest.title = masked.mrTitle;
    }
    await db.run(sql`UPDATE checks SET context = ${JSON.stringify(ctx)}, ref_name = ${ctx.ref.name}, updated_at = ${now}, rev = rev + 1
      WHERE id = ${id}`);
  }

  /**
   * What identifies the state of a check's gate answer, in one statement (./answer-rev.ts): its revision (every UPDATE
   * of a check row bumps it too), generation and creation time (a check pruned and created again is another check),
   * its tasks' revisions and the triage revision. Equal keys mean an equal answer, up to the triage TTL. Null: no check.
   */
  async answerKey(id: string): Promise<Record<string, unknown> | null> {
    const rows = await this.db.all<Record<string, unknown>>(ANSWER_KEY.bind({ id }));
    return rows[0] ?? null;
  }

  async get(id: string, db: Db = this.db): Promise<CheckRow | null> {
    const rows = await db.all<Record<string, unknown>>(sql`SELECT * FROM checks WHERE id = ${id}`);
    return rows[0] ? toCheckRow(rows[0]) : null;
  }

  /** Records the verdict the worker computed after a task settled; `finished_at` keeps the first final time. */
  async setVerdict(id: string, generation: number, verdict: GateStatus, final: boolean, db: Db = this.db, now = Date.now()): Promise<boolean> {
    const changed = await db.run(sql`
      UPDATE checks SET verdict = ${verdict}, updated_at = ${now}, rev = rev + 1,
        finished_at = CASE WHEN ${final ? 1 : 0} = 1 THEN COALESCE(finished_at, ${now}) ELSE NULL END
      WHERE id = ${id} AND generation = ${generation} AND (verdict IS NULL OR verdict <> ${verdict})`);
    return changed > 0;
  }

  async list(filter: { project?: string; status?: string; limit: number; before?: number }): Promise<CheckRow[]> {
    const conds = [sql`1 = 1`];
    if (filter.project) conds.push(sql`project_path = ${filter.project}`);
    if (filter.status) conds.push(sql`verdict = ${filter.status}`);
    if (filter.before) conds.push(sql`created_at < ${filter.before}`);
    const rows = await this.db.all<Record<string, unknown>>(sql`
      SELECT * FROM checks WHERE ${sql.join(conds, sql` AND `)} ORDER BY created_at DESC, id LIMIT ${filter.limit}`);
    return rows.map(toCheckRow);
  }
}

function toCheckRow(r: Record<string, unknown>): CheckRow {
  const ctx = JSON.parse(String(r.context)) as CheckContext;
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    ...ctx,
    id: String(r.id),
    generation: Number(r.generation),
    jobName: (r.job_name as string | null) ?? null,
    createdAt: Number(r.created_at),
    state: r.state as CheckRow['state'],
    error: (r.error as string | null) ?? null,
    updatedAt: Number(r.updated_at),
    finishedAt: num(r.finished_at),
    verdict: (r.verdict as GateStatus | null) ?? null,
  };
}
