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
