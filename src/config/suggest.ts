/**
 * "Did you mean …?" for configuration typos, and the keys a zod object schema accepts at a path (to suggest the
 * right one for an unrecognised key). Pure.
 */
import type { z } from 'zod';

/** Edit distance with adjacent transpositions (`mdoe` → `mode` is 1), case-insensitive. */
export function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[s.length]![t.length]!;
}

/** The closest candidate within a third of the word's length (at least 1, at most 3 edits), if any. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    if (c === word) continue;
    const d = distance(word, c);
    if (d <= limit && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

/** `; did you mean "x"?` or nothing. */
export function suggestion(word: string, candidates: Iterable<string>): string {
  const near = didYouMean(word, candidates);
  return near ? `; did you mean "${near}"?` : '';
}

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType };
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The keys an object schema accepts after following `path` through objects, records, arrays and wrappers. */
export function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let cur: z.ZodType | undefined = unwrap(schema);
  for (const step of path) {
    if (!cur) return [];
    const d = defOf(cur);
    if (d.type === 'object') cur = d.shape?.[String(step)];
    else if (d.type === 'record') cur = d.valueType;
    else if (d.type === 'array') cur = d.element;
    else return [];
    cur = cur && unwrap(cur);
  }
  const d = cur && defOf(cur);
  return d?.type === 'object' ? Object.keys(d.shape ?? {}) : [];
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let i = 0; i < 10; i++) {
    const d = defOf(cur);
    const next = d.type === 'pipe' ? d.in : ['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional'].includes(d.type) ? d.innerType : undefined;
    if (!next) return cur;
    cur = next;
  }
  return cur;
}

/** A zod issue as one line; unrecognised keys get a "did you mean" from the keys the schema accepts there. */
export function issueText(issue: z.core.$ZodIssue, schema: z.ZodType): string {
  if (issue.code !== 'unrecognized_keys') return issue.message;
  const known = objectKeysAt(schema, issue.path);
  return issue.keys
    .map((k) => {
      const near = didYouMean(k, known);
      return `Unrecognized key: "${k}"${near ? ` (did you mean "${near}"?)` : known.length ? ` (allowed: ${known.join(', ')})` : ''}`;
    })
    .join('; ');
}
