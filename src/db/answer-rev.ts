/**
 * The revision of a check's gate answer. The results process keeps computed answers in memory and serves one again
 * only while nothing it was computed from changed (src/services/answer-cache.ts). It reads a key on every request
 * (src/db/checks.ts `answerKey`, one statement): the check's `rev`, generation and creation time, the sum of its tasks'
 * `rev` (src/queue/ bumps a task's on every change of state, attempts or last error) and, for an answer resting on
 * leaks, the `triage` revision. What bumps which, always in the transaction of the write:
 *
 *   the check row (planned again, masked, verdict)             → its `rev` (src/db/checks.ts)
 *   scan_results, output_results, notifications, check_leaks   → the check's `rev` (`bumpRev`)
 *   leak_outputs (an import, triage read back), leaks.is_new   → the `triage` revision (`bumpTriageRev`): these rows
 *                                                                 are shared by every check inheriting the leak
 *
 * A write that forgets its bump would let a results process answer from before it: add one to every new write there.
 * The triage revision is one row taken last in its transaction, so bumping it cannot deadlock with other writers.
 */
import { sql } from 'drizzle-orm';
import { type Db, Prepared } from './database.ts';

const BUMP = new Prepared(() => sql`UPDATE checks SET rev = rev + 1 WHERE id = ${sql.placeholder('id')}`);
const BUMP_TRIAGE = new Prepared(
  () => sql`INSERT INTO revisions (name, rev) VALUES ('triage', 1) ON CONFLICT (name) DO UPDATE SET rev = revisions.rev + 1`,
);

export async function bumpRev(db: Db, checkId: string): Promise<void> {
  await db.run(BUMP.bind({ id: checkId }));
}

export async function bumpTriageRev(db: Db): Promise<void> {
  await db.run(BUMP_TRIAGE.bind({}));
}
