/**
 * What SecBot knows of each project's history, per scan component: which commits' whole history completed scans
 * covered (coverage), every leak found (leaks), which leaks each check's verdict rests on (check_leaks: own and
 * inherited), what outputs made of them (leak_outputs), and the first sight of each secret (novelty).
 *
 * The one invariant everything rests on: a coverage row is written in the same transaction as the leaks its scan
 * found. Whoever reads coverage first and leaks second therefore knows every leak of every covered history.
 *
 * Writes that change what a gate answer rests on bump its revision in the same transaction (./answer-rev.ts): the
 * check's own for its links to leaks, the triage revision for what is shared (outputs' findings, novelty).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { CheckLeak, LeakKind, LeakRecord } from '../core/leaks.ts';
import type { ScanReport } from '../core/results.ts';
import { bumpRev, bumpTriageRev } from './answer-rev.ts';
import type { Db } from './database.ts';

export const projectKey = (c: { host: string; projectPath: string }) => `${c.host}/${c.projectPath}`;

type Key = { checkId: string; generation: number };

export interface LeakOutputRow {
  scan: string;
  leakKey: string;
  output: string;
  /** '' when the output dropped the leak (below its minimum severity, say). */
  externalId: string;
  url: string | null;
  title: string | null;
  severity: string | null;
  open: boolean;
  stateAt: number;
  refreshError: string | null;
}

export interface LeakOutputInput {
  leakKey: string;
  externalId: string;
  url: string | null;
  title: string | null;
  severity: string | null;
  open: boolean;
}

const CHUNK = 400;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const list = (values: readonly (string | number)[]): SQL => sql.join(values.map((v) => sql`${v}`), sql`, `);

export class HistoryStore {
  constructor(readonly db: Db) {}

  /** Coverage first, leaks second (see the invariant above); no transaction needed for a consistent answer. */
  async scanHistory(project: string, scan: string): Promise<{ coveredCommits: string[]; leakCommits: string[] }> {
    const covered = await this.db.all<{ commit_sha: string }>(
      sql`SELECT commit_sha FROM coverage WHERE project = ${project} AND scan = ${scan}`,
    );
    const leaks = await this.db.all<{ commit_sha: string }>(
      sql`SELECT DISTINCT commit_sha FROM leaks WHERE project = ${project} AND scan = ${scan}`,
    );
    return { coveredCommits: covered.map((r) => r.commit_sha), leakCommits: leaks.map((r) => r.commit_sha) };
  }

  /** Records a completed scan: its leaks, their novelty, the check's own and inherited links, and its coverage. */
  async recordScan(tx: Db, k: Key & { createdAt: number }, project: string, scan: string, report: ScanReport, now = Date.now()): Promise<void> {
    await bumpRev(tx, k.checkId);
    const own = report.leaks;
    for (const part of chunks(own)) {
      const values = part.map((l) => sql`(${project}, ${scan}, ${l.leakKey}, ${l.kind}, ${l.commit}, ${l.ruleId}, ${l.description},
        ${l.file}, ${l.line}, ${l.fingerprint}, ${l.noveltyKey}, ${l.severity}, ${JSON.stringify(l.entry)}, ${k.checkId},
        ${k.generation}, 0, ${now})`);
      await tx.run(sql`INSERT INTO leaks (project, scan, leak_key, kind, commit_sha, rule_id, description, file, line,
          fingerprint, novelty_key, severity, entry, check_id, generation, is_new, created_at)
        VALUES ${sql.join(values, sql`, `)} ON CONFLICT (project, scan, leak_key) DO NOTHING`);
    }
    await this.recordNovelty(tx, project, scan, own.filter((l) => l.kind === 'secret'), now);
    for (const part of chunks(own)) {
      const values = part.map((l) => sql`(${k.checkId}, ${k.generation}, ${scan}, ${project}, ${l.leakKey}, 0)`);
      await tx.run(sql`INSERT INTO check_leaks (check_id, generation, scan, project, leak_key, inherited)
        VALUES ${sql.join(values, sql`, `)} ON CONFLICT (check_id, generation, scan, leak_key) DO NOTHING`);
    }
    const history = report.history;
    if (!history) return;
    // Leaks an earlier generation of this very check found are its own, not inherited (a re-run after an error);
    // those of an earlier check with the same id (one that retention removed, then a new event) are inherited.
    for (const part of chunks(history.inheritedCommits)) {
      await tx.run(sql`INSERT INTO check_leaks (check_id, generation, scan, project, leak_key, inherited)
        SELECT CAST(${k.checkId} AS text), CAST(${k.generation} AS integer), scan, project, leak_key,
          CASE WHEN check_id = ${k.checkId} AND created_at >= ${k.createdAt} THEN 0 ELSE 1 END FROM leaks
        WHERE project = ${project} AND scan = ${scan} AND commit_sha IN (${list(part)})
        ON CONFLICT (check_id, generation, scan, leak_key) DO NOTHING`);
    }
    if (history.covers) {
      await tx.run(sql`INSERT INTO coverage (project, scan, commit_sha, check_id, generation, created_at)
        VALUES (${project}, ${scan}, ${history.covers}, ${k.checkId}, ${k.generation}, ${now})
        ON CONFLICT (project, scan, commit_sha) DO NOTHING`);
      for (const part of chunks(history.subsumedCovered.filter((c) => c !== history.covers))) {
        await tx.run(sql`DELETE FROM coverage WHERE project = ${project} AND scan = ${scan} AND commit_sha IN (${list(part)})`);
      }
    }
  }

  /** The first leak of each (rule, file, secret) in the project is new; a race between two checks has one winner. */
  private async recordNovelty(tx: Db, project: string, scan: string, secrets: readonly LeakRecord[], now: number): Promise<void> {
    for (const part of chunks(secrets.filter((l) => l.noveltyKey !== ''))) {
      const values = part.map((l) => sql`(${project}, ${l.noveltyKey}, ${l.leakKey}, ${now})`);
      const won = await tx.all<{ leak_key: string }>(sql`INSERT INTO novelty (project, novelty_key, leak_key, created_at)
        VALUES ${sql.join(values, sql`, `)} ON CONFLICT (project, novelty_key) DO NOTHING RETURNING leak_key`);
      if (won.length === 0) continue;
      await tx.run(sql`UPDATE leaks SET is_new = 1 WHERE project = ${project} AND scan = ${scan}
        AND leak_key IN (${list(won.map((w) => w.leak_key))})`);
      // A leak found before may be new after all (its first sight lost a race): every check inheriting it shows that.
      await bumpTriageRev(tx);
    }
  }

  /** Every leak a check generation's verdict rests on, with who found it. */
  async checkLeaks(k: Key, db: Db = this.db): Promise<(CheckLeak & { scan: string })[]> {
    const rows = await db.all<Record<string, unknown>>(sql`
      SELECT cl.scan, cl.inherited, l.leak_key, l.kind, l.commit_sha, l.rule_id, l.description, l.file, l.line,
        l.fingerprint, l.novelty_key, l.severity, l.entry, l.check_id, l.generation, l.is_new
      FROM check_leaks cl JOIN leaks l ON l.project = cl.project AND l.scan = cl.scan AND l.leak_key = cl.leak_key
      WHERE cl.check_id = ${k.checkId} AND cl.generation = ${k.generation}
      ORDER BY l.commit_sha, l.file, l.line, l.leak_key`);
    return rows.map((r) => ({
      scan: String(r.scan),
      inherited: Number(r.inherited) === 1,
      leakKey: String(r.leak_key),
      kind: r.kind as LeakKind,
      commit: String(r.commit_sha),
      ruleId: String(r.rule_id),
      description: String(r.description),
      file: String(r.file),
      line: Number(r.line),
      fingerprint: String(r.fingerprint),
      noveltyKey: String(r.novelty_key),
      severity: (r.severity as string | null) ?? null,
      entry: JSON.parse(String(r.entry)) as Record<string, unknown>,
      foundBy: { checkId: String(r.check_id), generation: Number(r.generation) },
      isNew: Number(r.is_new) === 1,
    }));
  }

  /** What outputs made of the leaks a check generation rests on. */
  async outputsOfCheck(k: Key, db: Db = this.db): Promise<LeakOutputRow[]> {
    const rows = await db.all<Record<string, unknown>>(sql`
      SELECT lo.scan, lo.leak_key, lo.output, lo.external_id, lo.url, lo.title, lo.severity, lo.open, lo.state_at,
        lo.refresh_error
      FROM check_leaks cl JOIN leak_outputs lo ON lo.project = cl.project AND lo.scan = cl.scan AND lo.leak_key = cl.leak_key
      WHERE cl.check_id = ${k.checkId} AND cl.generation = ${k.generation}`);
    return rows.map(toLeakOutput);
  }

  async saveLeakOutputs(project: string, scan: string, output: string, checkId: string, rows: readonly LeakOutputInput[], now = Date.now()): Promise<void> {
    await this.db.tx(async (tx) => {
      for (const part of chunks(rows)) {
        const values = part.map((r) => sql`(${project}, ${scan}, ${r.leakKey}, ${output}, ${r.externalId}, ${r.url}, ${r.title},
          ${r.severity}, ${r.open ? 1 : 0}, ${now}, NULL, ${checkId}, ${now}, ${now})`);
        await tx.run(sql`INSERT INTO leak_outputs (project, scan, leak_key, output, external_id, url, title, severity,
            open, state_at, refresh_error, check_id, created_at, updated_at)
          VALUES ${sql.join(values, sql`, `)}
          ON CONFLICT (project, scan, leak_key, output, external_id) DO UPDATE SET url = excluded.url, title = excluded.title,
            severity = excluded.severity, open = excluded.open, state_at = excluded.state_at, refresh_error = NULL,
            updated_at = excluded.updated_at`);
      }
      if (rows.length > 0) await bumpTriageRev(tx);
    });
  }

  /**
   * After triage was read again: each external finding's state, or why reading it failed. Only a change of what an
   * answer shows (open, or the refresh error) bumps the triage revision; unchanged rows just get the new time.
   */
  async updateStates(
    output: string,
    updates: readonly { externalId: string; open: boolean }[] | { externalIds: readonly string[]; error: string },
    now = Date.now(),
  ): Promise<void> {
    await this.db.tx(async (tx) => {
      let changed = 0;
      if ('error' in updates) {
        for (const part of chunks(updates.externalIds)) {
          changed += await tx.run(sql`UPDATE leak_outputs SET refresh_error = ${updates.error}, updated_at = ${now}
            WHERE output = ${output} AND external_id IN (${list(part)})
              AND (refresh_error IS NULL OR refresh_error <> ${updates.error})`);
        }
      } else {
        for (const open of [true, false]) {
          const ids = updates.filter((u) => u.open === open).map((u) => u.externalId);
          for (const part of chunks(ids)) {
            changed += await tx.run(sql`UPDATE leak_outputs SET open = ${open ? 1 : 0}, state_at = ${now},
                refresh_error = NULL, updated_at = ${now}
              WHERE output = ${output} AND external_id IN (${list(part)}) AND (open <> ${open ? 1 : 0} OR refresh_error IS NOT NULL)`);
            await tx.run(sql`UPDATE leak_outputs SET state_at = ${now}, updated_at = ${now}
              WHERE output = ${output} AND external_id IN (${list(part)}) AND state_at < ${now}`);
          }
        }
      }
      if (changed > 0) await bumpTriageRev(tx);
    });
  }
}

function toLeakOutput(r: Record<string, unknown>): LeakOutputRow {
  return {
    scan: String(r.scan),
    leakKey: String(r.leak_key),
    output: String(r.output),
    externalId: String(r.external_id),
    url: (r.url as string | null) ?? null,
    title: (r.title as string | null) ?? null,
    severity: (r.severity as string | null) ?? null,
    open: Number(r.open) === 1,
    stateAt: Number(r.state_at),
    refreshError: (r.refresh_error as string | null) ?? null,
  };
}
