/**
 * The publication outbox and ledgers (see docs/reliability.md, "Results in GitLab"). A `publications` row per check
 * and publishing notifier says *that* the check's view in GitLab may be out of date: `dirty` grows and `due_at` is set
 * in the same transaction as the change (an accepted event, a settled task, re-read triage), so a crash can never
 * lose a due publication. A worker takes the row under a lease, publishes, and clears `due_at` only if `dirty` did not
 * move meanwhile. What was written (statuses per target, the note per merge request) is kept in ledgers, so nothing
 * unchanged is written twice, across restarts too. Lease times use the database's clock.
 */
import { sql, type SQL } from 'drizzle-orm';
import { nowSql } from '../queue/clock.ts';
import type { PublishedStatus } from '../plugins/types.ts';
import { type Db, Prepared } from './database.ts';

export interface PublicationRow {
  checkId: string;
  notifier: string;
  dirty: number;
  dueAt: number | null;
  attempts: number;
  lastError: string | null;
  stateKey: string | null;
}

export interface MergeRequestLink {
  projectId: number;
  iid: number;
  checkIds: string[];
}

const list = (values: readonly string[]): SQL => sql.join(values.map((v) => sql`${v}`), sql`, `);

/** `markDue` of one check, without forgetting (every delivery of a job without publishers runs it). */
const MARK_DUE_ONE = new Prepared(
  (d) => sql`UPDATE publications SET dirty = dirty + 1, updated_at = ${nowSql(d)},
      due_at = CASE WHEN due_at IS NOT NULL AND due_at > ${nowSql(d)} AND attempts > 0 THEN due_at ELSE ${nowSql(d)} END
    WHERE check_id = ${sql.placeholder('id')}`,
);

export class PublicationStore {
  constructor(readonly db: Db) {}

  /**
   * An event for a check was accepted (or was a duplicate): make sure the publishers of its job have a row, record the
   * merge request the commit heads, and mark the check due. Runs inside the intake's transaction.
   */
  async recordEvent(tx: Db, e: PublicationEvent & { checkId: string; created?: boolean }): Promise<void> {
    const now = nowSql(tx.dialect);
    for (const notifier of e.publishers) {
      await tx.run(sql`INSERT INTO publications (check_id, notifier, dirty, due_at, attempts, created_at, updated_at)
        VALUES (${e.checkId}, ${notifier}, 1, ${now}, 0, ${now}, ${now}) ON CONFLICT (check_id, notifier) DO NOTHING`);
    }
    if (e.mergeRequest) {
      await tx.run(sql`INSERT INTO check_merge_requests (check_id, project_id, mr_iid, state, created_at, updated_at)
        VALUES (${e.checkId}, ${e.mergeRequest.projectId}, ${e.mergeRequest.iid}, 'open', ${now}, ${now})
        ON CONFLICT (check_id, project_id, mr_iid) DO UPDATE SET state = 'open', updated_at = excluded.updated_at`);
    }
    // A check created in this transaction has no other rows to mark: the ones just inserted are due already.
    if (!e.created) await this.markDue(tx, [e.checkId], { forget: e.mergeRequest !== null });
  }

  /**
   * Postgres: `recordEvent` for the check that CTE `ck` (column `id`) of one statement creates, as CTEs of that
   * statement (the intake's one-round-trip path, src/db/checks.ts); bind `eventValues`. The check is new: no other
   * rows of it exist to mark due.
   */
  static newCheckCtes(): SQL {
    const now = nowSql('postgres');
    const p = (name: string) => sql.placeholder(name);
    return sql`pub AS (
      INSERT INTO publications (check_id, notifier, dirty, due_at, attempts, created_at, updated_at)
      SELECT ck.id, n.notifier, 1, ${now}, 0, ${now}, ${now}
      FROM ck, jsonb_array_elements_text(CAST(${p('pub_publishers')} AS text)::jsonb) AS n(notifier)
      ON CONFLICT (check_id, notifier) DO NOTHING RETURNING 1
    ), mr AS (
      INSERT INTO check_merge_requests (check_id, project_id, mr_iid, state, created_at, updated_at)
      SELECT ck.id, CAST(${p('pub_mr_project')} AS bigint), CAST(${p('pub_mr_iid')} AS bigint), 'open', ${now}, ${now}
      FROM ck WHERE CAST(${p('pub_mr_iid')} AS bigint) IS NOT NULL
      ON CONFLICT (check_id, project_id, mr_iid) DO UPDATE SET state = 'open', updated_at = excluded.updated_at RETURNING 1
    )`;
  }

  static eventValues(e: PublicationEvent): Record<string, unknown> {
    return {
      pub_publishers: JSON.stringify(e.publishers),
      pub_mr_project: e.mergeRequest?.projectId ?? null,
      pub_mr_iid: e.mergeRequest?.iid ?? null,
    };
  }

  /**
   * The view of these checks may have changed. A row waiting out a back-off (rate limit, refusal) keeps its time;
   * `forget` drops the published state key so the next sync looks at GitLab even if the check itself did not change.
   */
  async markDue(db: Db, checkIds: readonly string[], o: { forget?: boolean } = {}): Promise<number> {
    if (checkIds.length === 0) return 0;
    if (checkIds.length === 1 && !o.forget) return db.run(MARK_DUE_ONE.bind({ id: checkIds[0] }));
    const now = nowSql(db.dialect);
    const forget = o.forget ? sql`, state_key = NULL` : sql``;
    return db.run(sql`UPDATE publications SET dirty = dirty + 1, updated_at = ${now}${forget},
        due_at = CASE WHEN due_at IS NOT NULL AND due_at > ${now} AND attempts > 0 THEN due_at ELSE ${now} END
      WHERE check_id IN (${list([...new Set(checkIds)])})`);
  }

  /** A publisher's row for a check whose event predates it (notify task of an older plan). */
  async ensure(checkId: string, notifier: string): Promise<void> {
    const now = nowSql(this.db.dialect);
    await this.db.run(sql`INSERT INTO publications (check_id, notifier, dirty, due_at, attempts, created_at, updated_at)
      VALUES (${checkId}, ${notifier}, 1, NULL, 0, ${now}, ${now}) ON CONFLICT (check_id, notifier) DO NOTHING`);
  }

  /** A read before the claim: an idle worker polls without taking SQLite's write lock. */
  async hasDue(): Promise<boolean> {
    const now = nowSql(this.db.dialect);
    const rows = await this.db.all(sql`SELECT 1 AS x FROM publications
      WHERE due_at <= ${now} AND (lease_until IS NULL OR lease_until < ${now}) LIMIT 1`);
    return rows.length > 0;
  }

  /** Takes up to `limit` due rows under a lease for `owner`. */
  async claimDue(owner: string, limit: number, leaseMs: number): Promise<PublicationRow[]> {
    return this.db.tx(async (tx) => {
      const now = nowSql(tx.dialect);
      const lock = tx.dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
      const rows = await tx.all<Record<string, unknown>>(sql`
        UPDATE publications SET lease_owner = ${owner}, lease_until = ${now} + ${leaseMs}
        WHERE (check_id, notifier) IN (SELECT check_id, notifier FROM publications
          WHERE due_at <= ${now} AND (lease_until IS NULL OR lease_until < ${now}) ORDER BY due_at LIMIT ${limit} ${lock})
        RETURNING check_id, notifier, dirty, due_at, attempts, last_error, state_key`);
      return rows.map(toRow);
    });
  }

  /** Takes one row's lease whether due or not (a notify task publishing now); null while someone else holds it. */
  async claimOne(checkId: string, notifier: string, owner: string, leaseMs: number): Promise<PublicationRow | null> {
    const now = nowSql(this.db.dialect);
    const rows = await this.db.all<Record<string, unknown>>(sql`
      UPDATE publications SET lease_owner = ${owner}, lease_until = ${now} + ${leaseMs}
      WHERE check_id = ${checkId} AND notifier = ${notifier}
        AND (lease_until IS NULL OR lease_until < ${now} OR lease_owner = ${owner})
      RETURNING check_id, notifier, dirty, due_at, attempts, last_error, state_key`);
    return rows[0] ? toRow(rows[0]) : null;
  }

  /**
   * Published everything of `dirty` = row.dirty: due no more unless it moved meanwhile. If it moved, the state key is
   * forgotten too: the change (a merge request linked, say) may need GitLab even when the check looks the same.
   */
  async succeeded(row: PublicationRow, owner: string, stateKey: string): Promise<void> {
    const now = nowSql(this.db.dialect);
    await this.db.run(sql`UPDATE publications SET attempts = 0, last_error = NULL,
        state_key = CASE WHEN dirty = ${row.dirty} THEN ${stateKey} ELSE NULL END,
        due_at = CASE WHEN dirty = ${row.dirty} THEN NULL ELSE due_at END, lease_owner = NULL, lease_until = NULL,
        updated_at = ${now}
      WHERE check_id = ${row.checkId} AND notifier = ${row.notifier} AND lease_owner = ${owner}`);
  }

  /** Failed or partly refused: try again at `retryInMs` from now, or never (null: the check is too old to follow). */
  async failed(row: PublicationRow, owner: string, error: string, retryInMs: number | null): Promise<void> {
    const now = nowSql(this.db.dialect);
    const due = retryInMs === null ? sql`NULL` : sql`${now} + ${Math.round(retryInMs)}`;
    await this.db.run(sql`UPDATE publications SET attempts = attempts + 1, last_error = ${error.slice(0, 2000)},
        due_at = ${due}, lease_owner = NULL, lease_until = NULL, updated_at = ${now}
      WHERE check_id = ${row.checkId} AND notifier = ${row.notifier} AND lease_owner = ${owner}`);
  }

  async ofCheck(checkId: string): Promise<PublicationRow[]> {
    const rows = await this.db.all<Record<string, unknown>>(sql`SELECT check_id, notifier, dirty, due_at, attempts, last_error, state_key
      FROM publications WHERE check_id = ${checkId} ORDER BY notifier`);
    return rows.map(toRow);
  }

  /**
   * Checks whose published view may change with triage: young enough (created within `maxAgeMs`), final, and either
   * failing (open findings) or under an open merge request. Newest first, at most `limit`.
   */
  async reevaluationCandidates(maxAgeMs: number, limit: number): Promise<{ id: string; generation: number }[]> {
    const now = nowSql(this.db.dialect);
    const rows = await this.db.all<Record<string, unknown>>(sql`
      SELECT c.id, c.generation FROM checks c
      WHERE c.created_at >= ${now} - ${maxAgeMs} AND c.verdict IN ('fail', 'success')
        AND EXISTS (SELECT 1 FROM publications p WHERE p.check_id = c.id)
        AND (c.verdict = 'fail' OR EXISTS (SELECT 1 FROM check_merge_requests m WHERE m.check_id = c.id AND m.state = 'open'))
      ORDER BY c.created_at DESC LIMIT ${limit}`);
    return rows.map((r) => ({ id: String(r.id), generation: Number(r.generation) }));
  }

  /** The published state keys of these checks' rows. */
  async stateKeys(checkIds: readonly string[]): Promise<{ checkId: string; stateKey: string | null }[]> {
    if (checkIds.length === 0) return [];
    const rows = await this.db.all<Record<string, unknown>>(sql`SELECT check_id, state_key FROM publications WHERE check_id IN (${list(checkIds)})`);
    return rows.map((r) => ({ checkId: String(r.check_id), stateKey: (r.state_key as string | null) ?? null }));
  }

  /** Rows waiting to be published (the backlog metric). */
  async dueCount(): Promise<number> {
    const rows = await this.db.all<{ n: unknown }>(sql`SELECT COUNT(*) AS n FROM publications WHERE due_at IS NOT NULL`);
    return Number(rows[0]?.n ?? 0);
  }

  /** The open merge requests this check heads, each with every check of the same merge request (same instance). */
  async openMergeRequests(checkId: string, host: string): Promise<MergeRequestLink[]> {
    const rows = await this.db.all<Record<string, unknown>>(sql`
      SELECT m.project_id, m.mr_iid, o.check_id FROM check_merge_requests m
      JOIN check_merge_requests o ON o.project_id = m.project_id AND o.mr_iid = m.mr_iid
      JOIN checks c ON c.id = o.check_id AND c.host = ${host}
      WHERE m.check_id = ${checkId} AND m.state = 'open' ORDER BY m.project_id, m.mr_iid, o.created_at`);
    const byMr = new Map<string, MergeRequestLink>();
    for (const r of rows) {
      const key = `${r.project_id}!${r.mr_iid}`;
      const link = byMr.get(key) ?? { projectId: Number(r.project_id), iid: Number(r.mr_iid), checkIds: [] };
      link.checkIds.push(String(r.check_id));
      byMr.set(key, link);
    }
    return [...byMr.values()];
  }

  /** Every merge request linked to this check, open or not (the check page). */
  async mergeRequestsOf(checkId: string): Promise<{ projectId: number; iid: number; state: string }[]> {
    const rows = await this.db.all<Record<string, unknown>>(sql`SELECT project_id, mr_iid, state FROM check_merge_requests
      WHERE check_id = ${checkId} ORDER BY mr_iid`);
    return rows.map((r) => ({ projectId: Number(r.project_id), iid: Number(r.mr_iid), state: String(r.state) }));
  }

  async closeMergeRequest(checkId: string, projectId: number, iid: number, state: string): Promise<void> {
    const now = nowSql(this.db.dialect);
    await this.db.run(sql`UPDATE check_merge_requests SET state = ${state}, updated_at = ${now}
      WHERE project_id = ${projectId} AND mr_iid = ${iid} AND check_id IN (SELECT id FROM checks WHERE host = (SELECT host FROM checks WHERE id = ${checkId}))`);
  }

  async statuses(checkId: string, notifier: string): Promise<PublishedStatus[]> {
    const rows = await this.db.all<Record<string, unknown>>(sql`SELECT target, name, state, description, pipeline_id
      FROM published_statuses WHERE check_id = ${checkId} AND notifier = ${notifier} ORDER BY target`);
    return rows.map((r) => ({
      target: String(r.target),
      name: String(r.name),
      state: String(r.state),
      description: String(r.description),
      pipelineId: r.pipeline_id === null || r.pipeline_id === undefined ? null : Number(r.pipeline_id),
    }));
  }

  async saveStatus(checkId: string, notifier: string, s: PublishedStatus): Promise<void> {
    const now = nowSql(this.db.dialect);
    await this.db.run(sql`INSERT INTO published_statuses (check_id, notifier, target, name, state, description, pipeline_id, updated_at)
      VALUES (${checkId}, ${notifier}, ${s.target}, ${s.name}, ${s.state}, ${s.description}, ${s.pipelineId}, ${now})
      ON CONFLICT (check_id, notifier, target) DO UPDATE SET name = excluded.name, state = excluded.state,
        description = excluded.description, pipeline_id = excluded.pipeline_id, updated_at = excluded.updated_at`);
  }

  async dropStatus(checkId: string, notifier: string, target: string): Promise<void> {
    await this.db.run(sql`DELETE FROM published_statuses WHERE check_id = ${checkId} AND notifier = ${notifier} AND target = ${target}`);
  }

  async note(k: NoteKey): Promise<{ noteId: number; bodyHash: string } | undefined> {
    const rows = await this.db.all<Record<string, unknown>>(sql`SELECT note_id, body_hash FROM mr_notes
      WHERE notifier = ${k.notifier} AND host = ${k.host} AND project_id = ${k.projectId} AND mr_iid = ${k.iid}`);
    return rows[0] ? { noteId: Number(rows[0].note_id), bodyHash: String(rows[0].body_hash) } : undefined;
  }

  async saveNote(k: NoteKey, noteId: number, bodyHash: string, checkId: string): Promise<void> {
    const now = nowSql(this.db.dialect);
    await this.db.run(sql`INSERT INTO mr_notes (notifier, host, project_id, mr_iid, note_id, body_hash, check_id, updated_at)
      VALUES (${k.notifier}, ${k.host}, ${k.projectId}, ${k.iid}, ${noteId}, ${bodyHash}, ${checkId}, ${now})
      ON CONFLICT (notifier, host, project_id, mr_iid) DO UPDATE SET note_id = excluded.note_id,
        body_hash = excluded.body_hash, check_id = excluded.check_id, updated_at = excluded.updated_at`);
  }

  async dropNote(k: NoteKey): Promise<void> {
    await this.db.run(sql`DELETE FROM mr_notes WHERE notifier = ${k.notifier} AND host = ${k.host} AND project_id = ${k.projectId} AND mr_iid = ${k.iid}`);
  }

  /**
   * At most one holder of `name` per lease period: a process takes the lease when it is free or expired (or renews
   * its own). Returns whether `owner` holds it now.
   */
  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = nowSql(this.db.dialect);
    const rows = await this.db.all<{ owner: string }>(sql`INSERT INTO leases (name, owner, until) VALUES (${name}, ${owner}, ${now} + ${ttlMs})
      ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
      WHERE leases.until < ${now} OR leases.owner = excluded.owner RETURNING owner`);
    return rows.length === 1;
  }

  /** Gives a lease up (a stopping process), so another process need not wait for it to lapse. */
  async releaseLease(name: string, owner: string): Promise<void> {
    await this.db.run(sql`DELETE FROM leases WHERE name = ${name} AND owner = ${owner}`);
  }
}

/** What an accepted (or repeated) event means for publishing: the publishers of its job, the MR its commit heads. */
export interface PublicationEvent {
  publishers: readonly string[];
  mergeRequest: { projectId: number; iid: number } | null;
}

export interface NoteKey {
  notifier: string;
  host: string;
  projectId: number;
  iid: number;
}

function toRow(r: Record<string, unknown>): PublicationRow {
  return {
    checkId: String(r.check_id),
    notifier: String(r.notifier),
    dirty: Number(r.dirty),
    dueAt: r.due_at === null || r.due_at === undefined ? null : Number(r.due_at),
    attempts: Number(r.attempts),
    lastError: (r.last_error as string | null) ?? null,
    stateKey: (r.state_key as string | null) ?? null,
  };
}
