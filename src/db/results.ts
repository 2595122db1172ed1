/**
 * What scans and outputs recorded for a check generation, and the per-channel notification ledger. Every write is
 * an upsert keyed by (check, generation, …), so a retried task simply overwrites its own earlier attempt. Each write
 * bumps the check's answer revision in its transaction (./answer-rev.ts).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { LeakRecord } from '../core/leaks.ts';
import type { OutputFinding, OutputVerdict, ScanReport } from '../core/results.ts';
import { bumpRev } from './answer-rev.ts';
import type { Db } from './database.ts';

export interface StoredScan {
  scan: string;
  status: ScanReport['status'];
  findingCount: number;
  report: ScanReport;
  createdAt: number;
}

export interface StoredOutput {
  scan: string;
  output: string;
  status: 'pending' | 'imported' | 'skipped';
  externalId: string | null;
  externalUrl: string | null;
  findings: OutputFinding[];
  verdict: OutputVerdict | null;
  verdictAt: number | null;
  refreshError: string | null;
  /** When an attempt last started sending to the output (an import may still be in flight there). */
  attemptedAt: number | null;
}

export interface StoredNotification {
  output: string;
  notifier: string;
  channel: string;
  state: string;
  detail: string | null;
  updatedAt: number;
}

type Key = { checkId: string; generation: number };

export class ResultStore {
  constructor(readonly db: Db) {}

  async saveScan(k: Key, scan: string, r: ScanReport, db: Db = this.db, now = Date.now()): Promise<void> {
    await this.write(db, k.checkId, sql`
      INSERT INTO scan_results (check_id, generation, scan, status, finding_count, report, leaks, summary, created_at)
      VALUES (${k.checkId}, ${k.generation}, ${scan}, ${r.status}, ${r.findingCount}, ${r.reportJson},
        ${JSON.stringify(r.leaks.map(leakSummary))}, ${JSON.stringify(r.summary)}, ${now})
      ON CONFLICT (check_id, generation, scan) DO UPDATE SET status = excluded.status,
        finding_count = excluded.finding_count, report = excluded.report, leaks = excluded.leaks,
        summary = excluded.summary, created_at = excluded.created_at`);
  }

  /** One write with the answer revision bump, atomic (in the caller's transaction, or one of its own). */
  private async write(db: Db, checkId: string, statement: SQL): Promise<number> {
    return db.tx(async (tx) => {
      const n = await tx.run(statement);
      if (n > 0) await bumpRev(tx, checkId);
      return n;
    });
  }

  async scans(k: Key, db: Db = this.db): Promise<StoredScan[]> {
    const rows = await db.all<Record<string, unknown>>(sql`
      SELECT scan, status, finding_count, report, leaks, summary, created_at FROM scan_results
      WHERE check_id = ${k.checkId} AND generation = ${k.generation} ORDER BY scan`);
    return rows.map((r) => ({
      scan: String(r.scan),
      status: r.status as ScanReport['status'],
      findingCount: Number(r.finding_count),
      createdAt: Number(r.created_at),
      report: {
        status: r.status as ScanReport['status'],
        findingCount: Number(r.finding_count),
        reportJson: String(r.report),
        leaks: [],
        history: null,
        summary: JSON.parse(String(r.summary)),
      },
    }));
  }

  /** Scan statuses only (no report bodies): what the gate needs. */
  async scanStatuses(k: Key, db: Db = this.db): Promise<{ scan: string; status: ScanReport['status']; findingCount: number; summary: ScanReport['summary'] }[]> {
    const rows = await db.all<Record<string, unknown>>(sql`
      SELECT scan, status, finding_count, summary FROM scan_results
      WHERE check_id = ${k.checkId} AND generation = ${k.generation} ORDER BY scan`);
    return rows.map((r) => ({
      scan: String(r.scan),
      status: r.status as ScanReport['status'],
      findingCount: Number(r.finding_count),
      summary: JSON.parse(String(r.summary)),
    }));
  }

  /** Records that an attempt is about to send to the output, before the request leaves. */
  async markOutputAttempt(k: Key, scan: string, output: string, now = Date.now()): Promise<void> {
    await this.write(this.db, k.checkId, sql`
      INSERT INTO output_results (check_id, generation, scan, output, status, findings, attempted_at, created_at, updated_at)
      VALUES (${k.checkId}, ${k.generation}, ${scan}, ${output}, 'pending', '[]', ${now}, ${now}, ${now})
      ON CONFLICT (check_id, generation, scan, output) DO UPDATE SET attempted_at = excluded.attempted_at,
        updated_at = excluded.updated_at`);
  }

  async clearOutputAttempt(k: Key, scan: string, output: string, now = Date.now()): Promise<void> {
    await this.write(this.db, k.checkId, sql`UPDATE output_results SET attempted_at = NULL, updated_at = ${now}
      WHERE check_id = ${k.checkId} AND generation = ${k.generation} AND scan = ${scan} AND output = ${output}`);
  }

  /** Records an output's external id as soon as it exists, so a retry finds it instead of creating a second one. */
  async saveOutputExternalId(k: Key, scan: string, output: string, externalId: string, now = Date.now()): Promise<void> {
    await this.write(this.db, k.checkId, sql`
      INSERT INTO output_results (check_id, generation, scan, output, status, external_id, findings, created_at, updated_at)
      VALUES (${k.checkId}, ${k.generation}, ${scan}, ${output}, 'pending', ${externalId}, '[]', ${now}, ${now})
      ON CONFLICT (check_id, generation, scan, output) DO UPDATE SET external_id = excluded.external_id,
        updated_at = excluded.updated_at`);
  }

  async saveOutput(k: Key, o: Omit<StoredOutput, 'refreshError' | 'attemptedAt'>, now = Date.now()): Promise<void> {
    await this.write(this.db, k.checkId, sql`
      INSERT INTO output_results (check_id, generation, scan, output, status, external_id, external_url, findings,
        verdict, verdict_at, refresh_error, created_at, updated_at)
      VALUES (${k.checkId}, ${k.generation}, ${o.scan}, ${o.output}, ${o.status}, ${o.externalId}, ${o.externalUrl},
        ${JSON.stringify(o.findings)}, ${o.verdict}, ${o.verdictAt}, NULL, ${now}, ${now})
      ON CONFLICT (check_id, generation, scan, output) DO UPDATE SET status = excluded.status,
        external_id = excluded.external_id, external_url = excluded.external_url, findings = excluded.findings,
        verdict = excluded.verdict, verdict_at = excluded.verdict_at, refresh_error = NULL,
        updated_at = excluded.updated_at`);
  }

  async outputs(k: Key, db: Db = this.db): Promise<StoredOutput[]> {
    const rows = await db.all<Record<string, unknown>>(sql`
      SELECT scan, output, status, external_id, external_url, findings, verdict, verdict_at, refresh_error, attempted_at
      FROM output_results WHERE check_id = ${k.checkId} AND generation = ${k.generation} ORDER BY scan, output`);
    return rows.map((r) => ({
      scan: String(r.scan),
      output: String(r.output),
      status: r.status as StoredOutput['status'],
      externalId: (r.external_id as string | null) ?? null,
      externalUrl: (r.external_url as string | null) ?? null,
      findings: JSON.parse(String(r.findings)) as OutputFinding[],
      verdict: (r.verdict as OutputVerdict | null) ?? null,
      verdictAt: r.verdict_at === null || r.verdict_at === undefined ? null : Number(r.verdict_at),
      refreshError: (r.refresh_error as string | null) ?? null,
      attemptedAt: r.attempted_at === null || r.attempted_at === undefined ? null : Number(r.attempted_at),
    }));
  }

  /**
   * The latest earlier generation of the check whose (output, notifier) reached a channel: what it announced, a later
   * generation (a re-run, or a check widened to more jobs) must not announce again. 0 when none did.
   */
  async announcedThrough(k: Key & { output: string; notifier: string }): Promise<number> {
    const rows = await this.db.all<{ g: number | null }>(sql`
      SELECT max(generation) AS g FROM notifications
      WHERE check_id = ${k.checkId} AND generation < ${k.generation} AND output = ${k.output} AND notifier = ${k.notifier}
        AND state = 'sent'`);
    return Number(rows[0]?.g ?? 0);
  }

  async notifications(k: Key): Promise<StoredNotification[]> {
    const rows = await this.db.all<Record<string, unknown>>(sql`
      SELECT output, notifier, channel, state, detail, updated_at FROM notifications
      WHERE check_id = ${k.checkId} AND generation = ${k.generation} ORDER BY output, notifier, channel`);
    return rows.map((r) => ({
      output: String(r.output),
      notifier: String(r.notifier),
      channel: String(r.channel),
      state: String(r.state),
      detail: (r.detail as string | null) ?? null,
      updatedAt: Number(r.updated_at),
    }));
  }

  /** Sets a channel's delivery state; `onlyFrom` makes it a compare-and-set. Returns whether a row changed. */
  async setNotification(
    k: Key & { output: string; notifier: string; channel: string },
    state: string,
    detail: string | null,
    onlyFrom?: string[],
    now = Date.now(),
  ): Promise<boolean> {
    if (onlyFrom) {
      const changed = await this.write(this.db, k.checkId, sql`UPDATE notifications SET state = ${state}, detail = ${detail}, updated_at = ${now}
        WHERE check_id = ${k.checkId} AND generation = ${k.generation} AND output = ${k.output}
          AND notifier = ${k.notifier} AND channel = ${k.channel}
          AND state IN (${sql.join(onlyFrom.map((s) => sql`${s}`), sql`, `)})`);
      return changed > 0;
    }
    await this.write(this.db, k.checkId, sql`
      INSERT INTO notifications (check_id, generation, output, notifier, channel, state, detail, created_at, updated_at)
      VALUES (${k.checkId}, ${k.generation}, ${k.output}, ${k.notifier}, ${k.channel}, ${state}, ${detail}, ${now}, ${now})
      ON CONFLICT (check_id, generation, output, notifier, channel) DO UPDATE SET state = excluded.state,
        detail = excluded.detail, updated_at = excluded.updated_at`);
    return true;
  }
}

/** The scan_results.leaks column: where each leak is, for the admin API (full records live in the leaks table). */
function leakSummary(l: LeakRecord) {
  return { leakKey: l.leakKey, kind: l.kind, ruleId: l.ruleId, file: l.file, line: l.line, commit: l.commit };
}
