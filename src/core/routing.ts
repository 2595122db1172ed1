/**
 * Picks the job for an event (seed §2.2): every key of a job's `rules.gitlab` must match (AND). `event_type` is
 * the normalised event; other keys are dot paths into the payload. A path that is missing or not a scalar simply
 * does not match. Exactly one job may match; more than one is the caller's error to record.
 */
import type { Job } from '../config/workflow.ts';
import type { EventType } from './check.ts';

export type RouteResult =
  | { kind: 'none' }
  | { kind: 'one'; job: Job }
  | { kind: 'many'; jobs: Job[] };

export function route(jobs: readonly Job[], eventType: EventType, payload: unknown): RouteResult {
  const matched = jobs.filter((j) => jobMatches(j, eventType, payload));
  if (matched.length === 0) return { kind: 'none' };
  if (matched.length === 1) return { kind: 'one', job: matched[0]! };
  return { kind: 'many', jobs: matched };
}

export function jobMatches(job: Job, eventType: EventType, payload: unknown): boolean {
  const rules = job.rules.gitlab;
  if (!rules) return false;
  for (const [key, pattern] of Object.entries(rules)) {
    const value = key === 'event_type' ? eventType : scalarAt(payload, key);
    if (value === undefined || !pattern.test(value)) return false;
  }
  return true;
}

export interface RuleCheck {
  key: string;
  /** The value the rule was matched against; undefined when the path is absent or not a scalar. */
  value: string | undefined;
  /** Whether the path exists in the payload at all (an object there counts as present, not as a value). */
  present: boolean;
  pattern: RegExp;
  matches: boolean;
}

/** Each rule of a job against an event, for explaining why a job does or does not match. */
export function explainRules(job: Job, eventType: EventType, payload: unknown): RuleCheck[] {
  return Object.entries(job.rules.gitlab ?? {}).map(([key, pattern]) => {
    const value = key === 'event_type' ? eventType : scalarAt(payload, key);
    const present = key === 'event_type' || pathExists(payload, key);
    return { key, value, present, pattern, matches: value !== undefined && pattern.test(value) };
  });
}

/** Every dot path to a scalar in a payload (arrays by index), for suggesting the path a rule meant. */
export function scalarPaths(payload: unknown, prefix = '', depth = 0, out: string[] = []): string[] {
  if (typeof payload !== 'object' || payload === null || depth > 8 || out.length > 2000) return out;
  for (const [k, v] of Object.entries(payload)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null) scalarPaths(v, path, depth + 1, out);
    else out.push(path);
  }
  return out;
}

function pathExists(payload: unknown, path: string): boolean {
  let cur: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, part)) return false;
    cur = (cur as Record<string, unknown>)[part];
  }
  return true;
}

function scalarAt(payload: unknown, path: string): string | undefined {
  let cur: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return undefined;
}
