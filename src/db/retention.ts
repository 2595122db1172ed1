/**
 * Retention: finished checks older than the retention period go (with their tasks, results, notification ledger and
 * links to leaks), leaving a tombstone so the gate can say what happened; old deliveries (the redelivery dedup
 * window) and old tombstones go too. What later verdicts rest on stays forever: coverage, leaks, what outputs made
 * of them, and the novelty of each secret are project knowledge, not a check's.
 */
import { sql } from 'drizzle-orm';
import type { TaskQueue } from '../queue/task-queue.ts';
import type { Db } from './database.ts';

export interface PruneCutoffs {
  /** Finished (final) checks with finished_at before this go. */
  checksBefore: number;
  deliveriesBefore: number;
  tombstonesBefore: number;
}

export interface PruneCounts {
  checks: number;
  deliveries: number;
  tombstones: number;
}

/** Rows per transaction: short transactions never hold the SQLite write lock (or Postgres row locks) for long. */
const BATCH = 500;

export class RetentionStore {
  constructor(
    readonly db: Db,
    private readonly queue: TaskQueue,
  ) {}

  async prune(c: PruneCutoffs, now = Date.now()): Promise<PruneCounts> {
    const counts: PruneCounts = { checks: 0, deliveries: 0, tombstones: 0 };
    for (;;) {
      const n = await this.pruneChecks(c.checksBefore, now);
      counts.checks += n;
      if (n < BATCH) break;
    }
    counts.deliveries = await this.deleteBatched(
      (limit) => sql`DELETE FROM deliveries WHERE key IN (SELECT key FROM deliveries WHERE received_at < ${c.deliveriesBefore} LIMIT ${limit})`,
    );
    counts.deliveries += await this.deleteBatched(
      (limit) => sql`DELETE FROM ignored_events WHERE check_id IN (SELECT check_id FROM ignored_events WHERE received_at < ${c.deliveriesBefore} LIMIT ${limit})`,
    );
    counts.tombstones = await this.deleteBatched(
      (limit) => sql`DELETE FROM pruned_checks WHERE id IN (SELECT id FROM pruned_checks WHERE pruned_at < ${c.tombstonesBefore} LIMIT ${limit})`,
    );
    return counts;
  }

  private async pruneChecks(before: number, now: number): Promise<number> {
    return this.db.tx(async (tx) => {
      const rows = await tx.all<{ id: string; verdict: string | null; finished_at: number | null }>(sql`
        SELECT id, verdict, finished_at FROM checks
        WHERE finished_at IS NOT NULL AND finished_at < ${before} AND verdict IN ('success', 'fail', 'error')
        ORDER BY finished_at LIMIT ${BATCH}`);
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.id);
      const list = sql.join(ids.map((id) => sql`${id}`), sql`, `);
      for (const table of ['scan_results', 'output_results', 'notifications', 'check_leaks'] as const) {
        await tx.run(sql`DELETE FROM ${sql.raw(table)} WHERE check_id IN (${list})`);
      }
      await this.queue.deleteOfChecks(tx, ids);
      const stones = rows.map((r) => sql`(${r.id}, ${r.verdict}, ${r.finished_at === null ? null : Number(r.finished_at)}, ${now})`);
      await tx.run(sql`INSERT INTO pruned_checks (id, verdict, finished_at, pruned_at) VALUES ${sql.join(stones, sql`, `)}
        ON CONFLICT (id) DO UPDATE SET verdict = excluded.verdict, finished_at = excluded.finished_at, pruned_at = excluded.pruned_at`);
      await tx.run(sql`DELETE FROM checks WHERE id IN (${list})`);
      return rows.length;
    });
  }

  private async deleteBatched(statement: (limit: number) => ReturnType<typeof sql>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.db.run(statement(BATCH));
      total += n;
      if (n < BATCH) return total;
    }
  }

  async tombstone(id: string): Promise<{ verdict: string | null; finishedAt: number | null; prunedAt: number } | null> {
    const rows = await this.db.all<Record<string, unknown>>(sql`SELECT verdict, finished_at, pruned_at FROM pruned_checks WHERE id = ${id}`);
    const r = rows[0];
    if (!r) return null;
    return {
      verdict: (r.verdict as string | null) ?? null,
      finishedAt: r.finished_at === null || r.finished_at === undefined ? null : Number(r.finished_at),
      prunedAt: Number(r.pruned_at),
    };
  }
}
