/**
 * SecBot's own refs in a project's mirror, written from the database before each scan:
 *
 *   refs/secbot/covered/<scan>/<sha>   commits whose whole history a completed scan of this component covered
 *   refs/secbot/leaks/<scan>/<sha>     commits that introduced a recorded leak (or an unscanned file)
 *
 * The database is the proof; the refs only let git answer "what is not covered yet" (`X --not --glob=covered/*`)
 * and "which recorded leaks does X reach" (`for-each-ref --merged X`) in one walk each, whatever the number of
 * branches. A commit the mirror does not have cannot be an ancestor of a commit it has, so it is simply not pinned.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mirror } from '../../../clients/git/mirror-cache.ts';

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Component names come from config.yml; keep them to what a ref path component may hold. */
function refSafe(scan: string): string {
  const safe = scan.replace(/[^A-Za-z0-9_-]/g, '_');
  return safe.length > 0 ? safe : '_';
}

export const coveredPrefix = (scan: string) => `refs/secbot/covered/${refSafe(scan)}/`;
export const leakPrefix = (scan: string) => `refs/secbot/leaks/${refSafe(scan)}/`;

export interface PinResult {
  pinned: number;
  /** Wanted commits the mirror does not have (rewritten away, or never fetched). */
  absent: number;
}

/**
 * Makes the refs under each prefix exactly the wanted commits the mirror has. The last pinned state is kept in a
 * file in the mirror, so the usual case (one more covered commit since the last scan) costs one `update-ref` and no
 * listing; without the file, or if git disagrees with it, the refs are listed and synced in full. A stale file can
 * only leave refs the database vouched for earlier — coverage is never withdrawn, only subsumed — so it can make a
 * scan larger, never skip a commit no completed scan covered. Call under the exclusive lock only.
 */
export async function pinRefs(mirror: Mirror, sets: readonly { prefix: string; commits: readonly string[] }[]): Promise<PinResult> {
  const state = await readPinState(mirror);
  if (state && sets.every((s) => state[s.prefix] !== undefined)) {
    const fast = await pinIncrementally(mirror, sets, state).catch(() => null);
    if (fast) return fast;
  }
  const result = await pinFully(mirror, sets);
  return result;
}

type PinState = Record<string, string[]>;
const STATE_FILE = 'secbot-pins.json';

async function readPinState(mirror: Mirror): Promise<PinState | null> {
  try {
    const parsed = JSON.parse(await readFile(join(mirror.path, STATE_FILE), 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object') return null;
    return parsed as PinState;
  } catch {
    return null;
  }
}

async function writePinState(mirror: Mirror, state: PinState): Promise<void> {
  const tmp = join(mirror.path, `${STATE_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(state));
  await rename(tmp, join(mirror.path, STATE_FILE));
}

async function pinIncrementally(mirror: Mirror, sets: readonly { prefix: string; commits: readonly string[] }[], state: PinState): Promise<PinResult | null> {
  const commands: string[] = [];
  const creates: { prefix: string; sha: string }[] = [];
  const next: PinState = { ...state };
  for (const { prefix, commits } of sets) {
    const wanted = new Set(commits.filter((c) => SHA.test(c)));
    const had = new Set(state[prefix]);
    for (const sha of had) if (!wanted.has(sha)) commands.push(`delete ${prefix}${sha}`);
    for (const sha of wanted) if (!had.has(sha)) creates.push({ prefix, sha });
    next[prefix] = [...had].filter((sha) => wanted.has(sha));
  }
  const present = new Set(await presentCommits(mirror, [...new Set(creates.map((c) => c.sha))]));
  for (const c of creates) {
    if (!present.has(c.sha)) continue;
    commands.push(`update ${c.prefix}${c.sha} ${c.sha}`);
    next[c.prefix]!.push(c.sha);
  }
  if (commands.length > 0) {
    const res = await mirror.git(['update-ref', '--stdin'], [0, 128], `${commands.join('\n')}\n`);
    if (res.exitCode !== 0) return null;
  }
  await writePinState(mirror, next);
  const pinned = sets.reduce((n, s) => n + next[s.prefix]!.length, 0);
  return { pinned, absent: creates.length - creates.filter((c) => present.has(c.sha)).length };
}

async function pinFully(mirror: Mirror, sets: readonly { prefix: string; commits: readonly string[] }[]): Promise<PinResult> {
  const existing = await refsUnder(mirror, sets.map((s) => s.prefix));
  const commands: string[] = [];
  const creates: { prefix: string; sha: string }[] = [];
  const state: PinState = {};
  for (const { prefix, commits } of sets) {
    const wanted = new Set(commits.filter((c) => SHA.test(c)));
    const have = new Set<string>();
    for (const [ref, sha] of existing) {
      if (!ref.startsWith(prefix)) continue;
      if (wanted.has(sha) && ref === `${prefix}${sha}`) have.add(sha);
      else commands.push(`delete ${ref}`);
    }
    state[prefix] = [...have];
    for (const sha of wanted) if (!have.has(sha)) creates.push({ prefix, sha });
  }
  const present = new Set(await presentCommits(mirror, [...new Set(creates.map((c) => c.sha))]));
  const made = creates.filter((c) => present.has(c.sha));
  for (const c of made) {
    commands.push(`create ${c.prefix}${c.sha} ${c.sha}`);
    state[c.prefix]!.push(c.sha);
  }
  if (commands.length > 0) await mirror.git(['update-ref', '--stdin'], [0], `${commands.join('\n')}\n`);
  await writePinState(mirror, state);
  return { pinned: Object.values(state).reduce((n, l) => n + l.length, 0), absent: creates.length - made.length };
}

async function refsUnder(mirror: Mirror, prefixes: readonly string[]): Promise<Map<string, string>> {
  const res = await mirror.git(['for-each-ref', '--format=%(refname) %(objectname)', ...prefixes]);
  const out = new Map<string, string>();
  for (const line of res.stdout.split('\n')) {
    const [ref, sha] = line.split(' ');
    if (ref && sha) out.set(ref, sha);
  }
  return out;
}

/** The subset of `shas` that are commits in the mirror (one cat-file process for all of them). */
export async function presentCommits(mirror: Mirror, shas: readonly string[]): Promise<string[]> {
  if (shas.length === 0) return [];
  const res = await mirror.git(['cat-file', '--batch-check=%(objectname) %(objecttype)'], [0], `${shas.join('\n')}\n`);
  return res.stdout
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([sha, type]) => type === 'commit' && sha !== undefined && SHA.test(sha))
    .map(([sha]) => sha!);
}

/** Commits pinned under each prefix that `commit` reaches (itself included), in one walk. */
export async function pinnedAncestors(mirror: Mirror, prefixes: readonly string[], commit: string): Promise<Map<string, string[]>> {
  const res = await mirror.git(['for-each-ref', `--merged=${commit}`, '--format=%(refname) %(objectname)', ...prefixes]);
  const out = new Map<string, string[]>(prefixes.map((p) => [p, []]));
  for (const line of res.stdout.split('\n')) {
    const [ref, sha] = line.split(' ');
    if (!ref || !sha || !SHA.test(sha)) continue;
    const prefix = prefixes.find((p) => ref.startsWith(p));
    if (prefix) out.get(prefix)!.push(sha);
  }
  return out;
}

/**
 * One walk of the range: how many commits it holds, and its boundary — the excluded commits adjacent to it. A covered
 * commit on the boundary is an ancestor of the scanned commit, so the scanned commit's coverage subsumes it.
 */
export async function walkRange(mirror: Mirror, revs: readonly string[]): Promise<{ commits: number; boundary: string[] }> {
  const res = await mirror.git(['rev-list', '--boundary', ...revs, '--']);
  let commits = 0;
  const boundary: string[] = [];
  for (const line of res.stdout.split('\n')) {
    if (line.startsWith('-')) boundary.push(line.slice(1));
    else if (SHA.test(line)) commits++;
  }
  return { commits, boundary };
}
