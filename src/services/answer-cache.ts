/**
 * Gate answers the results process computed, kept to answer the next poll of the same check from one statement
 * (src/db/checks.ts `answerKey`) instead of seven. An answer is served again only while its key is unchanged
 * (src/db/answer-rev.ts: the check's revision, generation, creation time, its tasks' revisions and, for an answer
 * resting on leaks, the triage revision) and its triage is younger than the TTL (`until`). Bounded in entries and
 * bytes; the least recently used go first.
 */
import type { StatusBody } from './status-details.ts';

type RawRow = Readonly<Record<string, unknown>>;

export interface CachedAnswer {
  /**
   * The key (src/db/checks.ts `answerKey`) the answer was computed from, read before everything else it read; only
   * its columns are compared (an answer resting on no leak leaves the triage revision out).
   */
  key: RawRow;
  /** Epoch ms after which the answer's triage would be read again (Infinity: nothing to refresh). */
  until: number;
  body: StatusBody;
  /** The answer as sent; its limited view (no results token) is derived on first use. */
  json: string;
  limited?: StatusBody;
  logFields: Record<string, unknown>;
}

export class AnswerCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  /** The answer for `id` if it was computed from an equal key and is still fresh at `now`. */
  get(id: string, key: RawRow, now: number): CachedAnswer | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (!sameRow(e.key, key) || now >= e.until) {
      this.delete(id);
      return undefined;
    }
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(id);
    this.entries.set(id, e);
    return e;
  }

  set(id: string, entry: CachedAnswer): void {
    this.delete(id);
    const size = sizeOf(entry);
    if (size > this.maxBytes / 8) return;
    this.entries.set(id, entry);
    this.bytes += size;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      this.delete(this.entries.keys().next().value!);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private delete(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.bytes -= sizeOf(e);
  }
}

function sizeOf(e: CachedAnswer): number {
  let n = e.json.length;
  for (const v of Object.values(e.key)) n += typeof v === 'string' ? v.length : 8;
  return n;
}

/** Every column of the stored key, by value (`current` may have more). */
export function sameRow(stored: RawRow, current: RawRow): boolean {
  for (const k in stored) if (stored[k] !== current[k]) return false;
  return true;
}
