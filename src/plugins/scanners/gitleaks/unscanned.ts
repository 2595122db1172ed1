/**
 * What gitleaks did not look at in a range, so that a check never calls "clean" what it skipped. gitleaks reads
 * `git log -p -U0`: a file git shows as binary (a NUL byte in its first 8000 bytes) yields no text at all, and a
 * hunk of added lines of `max_target_megabytes` + 1 MB or more is dropped (detect.go: len/1e6 > max). Both are
 * found here the way git and gitleaks decide them: `git log --raw --numstat` over the same revisions (numstat says
 * `-` for binary), blob sizes from one `cat-file`, and for the rare oversized blob the real hunk sizes.
 *
 * The same log says how many commits gitleaks must at least have read (`commitsWithText`): gitleaks counts a commit
 * once it yields a text hunk of it, and a git log that died mid-stream (killed, out of memory) leaves gitleaks with
 * a shorter history and exit 0.
 */
import type { Mirror } from '../../../clients/git/mirror-cache.ts';
import { proveWholeRange } from './run-gitleaks.ts';

export interface UnscannedFile {
  commit: string;
  path: string;
  reason: 'binary' | 'too-large';
  sizeBytes: number;
}

export interface Change {
  commit: string;
  path: string;
  /** The raw entry's status letter (A, M, D, T; no R or C: renames are off). */
  status: string;
  srcBlob: string;
  blob: string;
  mode: string;
  binary: boolean;
  /** Lines added plus deleted (numstat); 0 for a binary file. */
  lines: number;
}

const NULL_BLOB = /^0+$/;
/** Submodules are commits of other repositories; symlinks are scanned as the path they hold. */
const SKIP_MODES = new Set(['160000']);

export interface RangeContents {
  unscanned: UnscannedFile[];
  /** Commits gitleaks must have read: see commitsWithText. */
  commitsWithText: number;
}

export async function inspectRange(mirror: Mirror, revs: readonly string[], maxTargetMegabytes: number): Promise<RangeContents> {
  const log = await mirror.git(['log', '--format=%x01%H', '--no-renames', '--raw', '--numstat', '-z', '--no-abbrev', ...revs, '--']);
  const all = parseRawNumstat(log.stdout);
  return { unscanned: await findUnscanned(mirror, all, maxTargetMegabytes), commitsWithText: commitsWithText(all) };
}

/**
 * After a gitleaks run over `revs`: the files it could not scan, once its commit count proves it read the whole
 * range (proveWholeRange throws otherwise). What every caller of runGitleaks does next.
 */
export async function unscannedAfterScan(mirror: Mirror, revs: readonly string[], maxTargetMegabytes: number, commitsScanned: number): Promise<UnscannedFile[]> {
  const contents = await inspectRange(mirror, revs, maxTargetMegabytes);
  proveWholeRange(commitsScanned, contents.commitsWithText);
  return contents.unscanned;
}

/**
 * A lower bound of the commits gitleaks counts as scanned: those with a change git shows as a text hunk whatever its
 * rename detection (`git log -p` detects renames; this log does not, so an added file whose blob a deletion of the
 * same commit removed is an exact rename, which has no hunk). Deletions, binary files, empty files, mode-only
 * changes and merges have no hunk; symlinks and submodules have one but are left out, to stay a lower bound.
 */
export function commitsWithText(changes: readonly Change[]): number {
  const commits = new Set<string>();
  const deleted = new Set(changes.filter((c) => c.status === 'D').map((c) => `${c.commit} ${c.srcBlob}`));
  for (const c of changes) {
    if (c.status === 'D' || c.binary || c.lines === 0 || c.mode === '120000' || c.mode === '160000') continue;
    if (deleted.has(`${c.commit} ${c.blob}`)) continue;
    commits.add(c.commit);
  }
  return commits.size;
}

async function findUnscanned(mirror: Mirror, all: readonly Change[], maxTargetMegabytes: number): Promise<UnscannedFile[]> {
  const changes = all.filter((c) => c.status !== 'D' && !NULL_BLOB.test(c.blob) && !SKIP_MODES.has(c.mode));
  const sizes = await blobSizes(mirror, [...new Set(changes.map((c) => c.blob))]);
  const out: UnscannedFile[] = [];
  for (const c of changes) {
    const sizeBytes = sizes.get(c.blob) ?? 0;
    if (c.binary) out.push({ commit: c.commit, path: c.path, reason: 'binary', sizeBytes });
    else if (maxTargetMegabytes > 0 && Math.floor(sizeBytes / 1_000_000) > maxTargetMegabytes) {
      if (Math.floor((await largestAddedHunk(mirror, c)) / 1_000_000) > maxTargetMegabytes) {
        out.push({ commit: c.commit, path: c.path, reason: 'too-large', sizeBytes });
      }
    }
  }
  return out;
}

/**
 * Parses `git log --format=%x01%H --raw --numstat -z`: per commit a `\x01<sha>` token, then raw entries
 * (`:<mode> <mode> <sha> <sha> <status>` followed by the path), then numstat entries (`<added>\t<deleted>\t<path>`).
 * Deletions are kept (status D), with the blob they removed as `srcBlob`.
 */
export function parseRawNumstat(out: string): Change[] {
  const tokens = out.split('\0');
  const changes: Change[] = [];
  let commit = '';
  let byPath = new Map<string, Change>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!.replace(/^\n/, '');
    if (t.startsWith('\x01')) {
      commit = t.slice(1).trim();
      byPath = new Map();
    } else if (t.startsWith(':')) {
      const [, dstMode, srcBlob, dstBlob, status] = t.slice(1).split(' ');
      const path = tokens[++i] ?? '';
      if (!dstBlob || !dstMode || !srcBlob || !status) continue;
      const change = { commit, path, status: status.slice(0, 1), srcBlob, blob: dstBlob, mode: dstMode, binary: false, lines: 0 };
      byPath.set(path, change);
      changes.push(change);
    } else if (t.includes('\t')) {
      const [added, deleted, ...rest] = t.split('\t');
      const change = byPath.get(rest.join('\t'));
      if (!change) continue;
      if (added === '-') change.binary = true;
      else change.lines = Number(added) + Number(deleted);
    }
  }
  return changes;
}

async function blobSizes(mirror: Mirror, blobs: readonly string[]): Promise<Map<string, number>> {
  if (blobs.length === 0) return new Map();
  const res = await mirror.git(['cat-file', '--batch-check=%(objectname) %(objectsize)'], [0], `${blobs.join('\n')}\n`);
  const sizes = new Map<string, number>();
  for (const line of res.stdout.split('\n')) {
    const [sha, size] = line.split(' ');
    if (sha && size && /^\d+$/.test(size)) sizes.set(sha, Number(size));
  }
  return sizes;
}

/** Bytes of the largest run of added lines in the commit's -U0 patch of this file (what gitleaks calls a fragment). */
async function largestAddedHunk(mirror: Mirror, c: Change): Promise<number> {
  const res = await mirror.git(['diff-tree', '-p', '-U0', '--no-renames', '--root', '--no-color', c.commit, '--', `:(literal)${c.path}`]);
  let largest = 0;
  let current = 0;
  for (const line of res.stdout.split('\n')) {
    if (line.startsWith('@@')) {
      largest = Math.max(largest, current);
      current = 0;
    } else if (line.startsWith('+') && !line.startsWith('+++')) current += Buffer.byteLength(line); // the '+' stands in for the newline
  }
  return Math.max(largest, current);
}
