// Deduplication post-processing for the hash_code algorithm (CONTRACT.md §8.3) and the
// execution modes of §9. Import only queues finding ids; when they are processed decides
// what a client observes right after the 201.

import type { DedupMode, FindingRecord } from './types.ts';
import { findById, isMitigated, type Store } from './store.ts';

function engagementOf(store: Store, f: FindingRecord) {
  const test = findById(store.state.tests, f.test)!;
  return findById(store.state.engagements, test.engagement)!;
}

function candidates(store: Store, f: FindingRecord): FindingRecord[] {
  const eng = engagementOf(store, f);
  return store.state.findings
    .filter((c) => c.id < f.id && !c.duplicate && c.hash_code === f.hash_code)
    .filter((c) => {
      const ce = engagementOf(store, c);
      if (eng.deduplication_on_engagement) return ce.id === eng.id;
      return ce.product === eng.product && !ce.deduplication_on_engagement;
    })
    .sort((a, b) => a.id - b.id);
}

/** Runs the dedup rules for one new finding; returns true when it became a duplicate. */
export function deduplicateFinding(store: Store, f: FindingRecord): boolean {
  if (!store.state.settings.enableDeduplication || f.duplicate) return false;
  for (const original of candidates(store, f)) {
    // A mitigated original is not re-opened by a regression: F stays new and active.
    if (isMitigated(original) && !original.false_p && !original.out_of_scope && !isMitigated(f)) continue;
    f.duplicate = true;
    f.active = false;
    f.verified = false;
    f.duplicate_finding = original.id;
    // Duplicates always point at the root original, never along a chain.
    for (const other of store.state.findings) {
      if (other.duplicate_finding === f.id) other.duplicate_finding = original.id;
    }
    return true;
  }
  return false;
}

/** Processes the queued finding ids in ascending order; returns how many were processed. */
export function runPending(store: Store): number {
  const ids = [...store.state.pendingDeduplication].sort((a, b) => a - b);
  store.state.pendingDeduplication.length = 0;
  for (const id of ids) {
    const f = findById(store.state.findings, id);
    if (f) deduplicateFinding(store, f);
  }
  return ids.length;
}

/** Mode resolution on ≥ 3.1: request field, profile mode, block_execution, then async. */
export function resolveMode(store: Store, requested: DedupMode | undefined): DedupMode {
  const s = store.state.settings;
  if (!s.legacy && requested) return requested;
  if (!s.legacy && s.profileDeduplicationMode) return s.profileDeduplicationMode;
  return s.blockExecution ? 'sync' : 'async';
}

export interface DedupOutcome {
  complete: boolean;
}

/**
 * Post-processing for the findings created by one request. `schedule` arms the optional
 * timer that stands in for a Celery worker picking up the task.
 */
export function postProcess(store: Store, newIds: number[], requested: DedupMode | undefined, schedule: () => void): DedupOutcome {
  const mode = resolveMode(store, requested);
  const inline = mode !== 'async' || store.state.settings.blockExecution;
  if (inline) {
    for (const id of [...newIds].sort((a, b) => a - b)) {
      const f = findById(store.state.findings, id);
      if (f) deduplicateFinding(store, f);
    }
  } else {
    store.state.pendingDeduplication.push(...newIds);
    if (newIds.length > 0) schedule();
  }
  // In async mode a block_execution user gets inline dedup but the response still says false.
  return { complete: mode !== 'async' };
}
