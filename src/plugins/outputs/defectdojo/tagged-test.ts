/**
 * The DefectDojo test an earlier attempt of this (check, scan) created, found by its tags, and whether its import is
 * finished, still running, or abandoned.
 *
 * DefectDojo creates the test at percent_complete 50, saves the findings one by one (a 300-finding report takes
 * ~25 s on 2 cores) and sets 100 at the end; a failed import is never rolled back and stays below 100 forever. So
 * "below 100" alone proves nothing. What proves an import abandoned is that it stopped moving: neither the test nor
 * its newest finding changed for `abandonAfterMs`, measured on DefectDojo's own clock (its `Date` header against its
 * timestamps), so a skewed SecBot clock cannot declare a live import dead.
 */
import { parseTime, type DefectDojoApi, type DojoTest } from '../../../clients/defectdojo/api.ts';

export type TaggedTest =
  | { kind: 'complete'; testId: number }
  | { kind: 'importing'; testId: number; percent: number; findings: number; idleMs: number }
  | { kind: 'abandoned'; testIds: number[]; idleMs: number }
  | { kind: 'none' };

export interface TaggedTestQuery {
  checkTag: string;
  scanTag: string;
  abandonAfterMs: number;
  signal?: AbortSignal;
}

export async function findTaggedTest(api: DefectDojoApi, q: TaggedTestQuery): Promise<TaggedTest> {
  const tagged = await api.findTestsByTag(q.checkTag, q.signal);
  const mine = tagged.filter((t) => t.tags.map((x) => x.toLowerCase()).includes(q.scanTag)).sort((a, b) => a.id - b.id);
  const complete = mine.find((t) => t.percent_complete === 100);
  if (complete) return { kind: 'complete', testId: complete.id };
  if (mine.length === 0) return { kind: 'none' };
  let leastIdle = Number.POSITIVE_INFINITY;
  // Newest first: a retry's own import is the likeliest to be alive.
  for (const t of [...mine].reverse()) {
    const progress = await api.importProgress(t.id, q.signal);
    const idleMs = idleFor(t, progress);
    leastIdle = Math.min(leastIdle, idleMs);
    if (idleMs < q.abandonAfterMs) {
      return { kind: 'importing', testId: t.id, percent: t.percent_complete ?? 0, findings: progress.findings, idleMs };
    }
  }
  return { kind: 'abandoned', testIds: mine.map((t) => t.id), idleMs: leastIdle };
}

/** Time since the import last moved; infinite when DefectDojo shows no timestamp at all (nothing proves it alive). */
function idleFor(t: DojoTest, p: { newestFindingAt?: number; serverTime?: number }): number {
  const marks = [parseTime(t.created), parseTime(t.updated), p.newestFindingAt].filter((x): x is number => x !== undefined);
  if (marks.length === 0) return Number.POSITIVE_INFINITY;
  return Math.max(0, (p.serverTime ?? Date.now()) - Math.max(...marks));
}
