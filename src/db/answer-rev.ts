/**
 * The revision of a check's gate answer. The results process keeps computed answers in memory and serves one again
 * only while nothing it was computed from changed (src/services/answer-cache.ts). It reads the check row and the
 * check's tasks on every request and compares them by content; everything else an answer reads — scan and output
 * results, the leaks the check rests on (own and inherited), what outputs made of them (triage), the notification
 * ledger — is covered by `checks.rev`, which every write to those tables bumps in the same transaction, for every
 * check whose answer it may change:
 *
 *   scan_results, output_results, notifications   → the check itself (`bumpRev`)
 *   check_leaks, leaks (novelty)                   → the check, and every check resting on the leak (`bumpRevOfLeaks`)
 *   leak_outputs (an import, a triage change)      → every check resting on the leak (`bumpRevOfLeaks`, `…OfExternal`)
 *
 * A write that forgets its bump would let a results process answer from before it: add one to every new write there.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './database.ts';

const list = (values: readonly string[]): SQL => sql.join(values.map((v) => sql`${v}`), sql`, `);

export async function bumpRev(db: Db, checkId: string): Promise<void> {
  await db.run(sql`UPDATE checks SET rev = rev + 1 WHERE id = ${checkId}`);
}

/** Every check resting on one of these leaks of a project's scan component. */
export async function bumpRevOfLeaks(db: Db, project: string, scan: string, leakKeys: readonly string[]): Promise<void> {
  if (leakKeys.length === 0) return;
  await db.run(sql`UPDATE checks SET rev = rev + 1 WHERE id IN (SELECT check_id FROM check_leaks
    WHERE project = ${project} AND scan = ${scan} AND leak_key IN (${list([...new Set(leakKeys)])}))`);
}

/** The leaks behind rows a statement just changed (`RETURNING project, scan, leak_key`), grouped per component. */
export async function bumpRevOfLeakRows(db: Db, rows: readonly { project: string; scan: string; leak_key: string }[]): Promise<void> {
  const groups = Map.groupBy(rows, (r) => `${r.project}\u0000${r.scan}`);
  for (const group of groups.values()) {
    await bumpRevOfLeaks(db, group[0]!.project, group[0]!.scan, group.map((r) => r.leak_key));
  }
}
