/**
 * Warns about jobs whose gitlab rules can match the same event. Regular expressions cannot be intersected in
 * general, so this is deliberately conservative: it stays quiet only when the rules provably exclude each other
 * (disjoint event types, or different literal values for the same key).
 */
import { EVENT_TYPES } from '../core/check.ts';
import type { Job } from './workflow.ts';

/**
 * A compiled rule `^(?:…)$` whose body has no regex operator: letters, digits, `_`, `-`, space, and the escapes
 * `\.`, `\/`, `\-` (RegExp#source writes every `/` as `\/`). An unescaped `.` is a wildcard, not a literal.
 */
const LITERAL = /^\^\(\?:((?:[A-Za-z0-9_ -]|\\[./-])*)\)\$$/;

function literalOf(r: RegExp): string | undefined {
  return LITERAL.exec(r.source)?.[1]?.replace(/\\(.)/g, '$1');
}

export function findOverlaps(jobs: Job[]): string[] {
  const warnings: string[] = [];
  for (let a = 0; a < jobs.length; a++) {
    for (let b = a + 1; b < jobs.length; b++) {
      const w = overlap(jobs[a]!, jobs[b]!);
      if (w) warnings.push(w);
    }
  }
  return warnings;
}

function overlap(a: Job, b: Job): string | null {
  const ra = a.rules.gitlab;
  const rb = b.rules.gitlab;
  if (!ra || !rb) return null;
  const types = EVENT_TYPES.filter((t) => (ra.event_type?.test(t) ?? true) && (rb.event_type?.test(t) ?? true));
  if (types.length === 0) return null;
  const shared = Object.keys(ra).filter((k) => k !== 'event_type' && k in rb);
  for (const key of shared) {
    const la = literalOf(ra[key]!);
    const lb = literalOf(rb[key]!);
    if (la !== undefined && lb !== undefined && la !== lb) return null;
  }
  const others = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].filter((k) => k !== 'event_type');
  const unless = others.length > 0 ? ` unless their rules on ${others.join(', ')} exclude each other` : '';
  return `jobs "${a.name}" and "${b.name}" can both match ${types.join(', ')} events${unless}; an event matched by two jobs is recorded as a check in error`;
}
