/**
 * On-disk layout of the git mirror cache and its least-recently-used eviction.
 *
 *   <cacheDir>/git/mirrors/<slug>-<hash>.git   bare mirrors, one per instance + project
 *   <cacheDir>/git/mirrors/…/secbot-mirror.json last use and measured size (also the "initial fetch done" mark)
 *   <cacheDir>/git/locks/<slug>-<hash>.lock     flock files; deleted only under their own exclusive lock, with the mirror
 *   <cacheDir>/git/trash/                       mirrors being deleted (renamed first, so a half-deleted one is never used)
 *   <cacheDir>/git/home/                        the empty HOME of every git and gitleaks process
 */
import { createHash, randomUUID } from 'node:crypto';
import { type Dirent, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, lstat, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../log/logger.ts';
import { acquireLock } from './file-lock.ts';

export interface CacheLayout {
  root: string;
  mirrors: string;
  locks: string;
  trash: string;
  home: string;
}

export function cacheLayout(cacheDir: string): CacheLayout {
  const root = join(cacheDir, 'git');
  return { root, mirrors: join(root, 'mirrors'), locks: join(root, 'locks'), trash: join(root, 'trash'), home: join(root, 'home') };
}

export async function ensureLayout(l: CacheLayout): Promise<void> {
  await Promise.all([l.mirrors, l.locks, l.trash, l.home].map((d) => mkdir(d, { recursive: true })));
}

/** Readable and collision-free: the same project path on two instances gets two mirrors. */
export function mirrorKey(baseUrl: string, projectPath: string): string {
  const slug = projectPath.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 60);
  const hash = createHash('sha256').update(`${baseUrl}\n${projectPath}`).digest('hex').slice(0, 16);
  return `${slug}-${hash}`;
}

export const mirrorDir = (l: CacheLayout, key: string) => join(l.mirrors, `${key}.git`);
export const lockFile = (l: CacheLayout, key: string) => join(l.locks, `${key}.lock`);

const META_FILE = 'secbot-mirror.json';
const metaSchema = z.object({
  host: z.string(),
  projectPath: z.string(),
  lastUsedAt: z.number(),
  sizeBytes: z.number().int().min(0),
});
export type MirrorMeta = z.infer<typeof metaSchema>;

export async function readMeta(dir: string): Promise<MirrorMeta | null> {
  try {
    const parsed = metaSchema.safeParse(JSON.parse(await readFile(join(dir, META_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Written through a rename so a reader never sees half a file. */
export async function writeMeta(dir: string, meta: MirrorMeta): Promise<void> {
  const tmp = join(dir, `${META_FILE}.${randomUUID()}.tmp`);
  await writeFile(tmp, JSON.stringify(meta));
  await rename(tmp, join(dir, META_FILE));
}

/** Bytes of all files under `dir` (apparent sizes; symlinks are not followed). */
export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = join(current, e.name);
      if (e.isDirectory()) pending.push(p);
      else total += await lstat(p).then((s) => s.size, () => 0);
    }
  }
  return total;
}

/** Moves the directory out of the way atomically, then deletes it. */
export async function removeDir(l: CacheLayout, dir: string): Promise<void> {
  const doomed = join(l.trash, `${Date.now()}-${randomUUID()}`);
  try {
    await rename(dir, doomed);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await rm(doomed, { recursive: true, force: true });
}

const TRASH_STALE_MS = 3600_000;

/** Leftovers of a worker that died while deleting; younger entries may still be in another worker's hands. */
async function sweepTrash(l: CacheLayout): Promise<void> {
  const names = await readdir(l.trash).catch(() => [] as string[]);
  const cutoff = Date.now() - TRASH_STALE_MS;
  for (const name of names) {
    const bornAt = Number(name.split('-')[0]);
    if (Number.isFinite(bornAt) && bornAt < cutoff) await rm(join(l.trash, name), { recursive: true, force: true }).catch(() => {});
  }
}

/** Lock files whose mirror is gone (evicted by an older SecBot, or a first fetch that never finished). */
export async function sweepLocks(l: CacheLayout): Promise<number> {
  const names = await readdir(l.locks).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names.filter((n) => n.endsWith('.lock'))) {
    const key = name.slice(0, -'.lock'.length);
    if (existsSync(mirrorDir(l, key))) continue;
    const lock = await acquireLock(join(l.locks, name), 'exclusive', { wait: false }).catch(() => null);
    if (!lock) continue;
    try {
      if (!existsSync(mirrorDir(l, key))) {
        await rm(join(l.locks, name), { force: true });
        removed++;
      }
    } finally {
      await lock.release();
    }
  }
  return removed;
}

interface CacheEntry {
  key: string;
  dir: string;
  sizeBytes: number;
  lastUsedAt: number;
}

async function listEntries(l: CacheLayout): Promise<CacheEntry[]> {
  const names = await readdir(l.mirrors).catch(() => [] as string[]);
  const entries: CacheEntry[] = [];
  for (const name of names) {
    if (!name.endsWith('.git')) continue;
    const dir = join(l.mirrors, name);
    const meta = await readMeta(dir);
    // No metadata: an initial fetch in progress or one that died; its age still ranks it.
    const lastUsedAt = meta?.lastUsedAt ?? (await stat(dir).then((s) => s.mtimeMs, () => 0));
    const sizeBytes = meta?.sizeBytes ?? (await directorySize(dir));
    entries.push({ key: name.slice(0, -4), dir, sizeBytes, lastUsedAt });
  }
  return entries;
}

export interface EvictionResult {
  totalBytes: number;
  evicted: string[];
}

/**
 * Deletes the least recently used mirrors until the cache fits in `maxBytes`. A mirror another task holds (shared
 * or exclusive) is skipped, as is `keep` (the caller's own); so the cache may stay over budget for a while.
 */
export async function evictLeastRecentlyUsed(l: CacheLayout, maxBytes: number, keep: string | null, log: Logger): Promise<EvictionResult> {
  await sweepTrash(l);
  await sweepLocks(l);
  const entries = await listEntries(l);
  let totalBytes = entries.reduce((sum, e) => sum + e.sizeBytes, 0);
  const evicted: string[] = [];
  if (totalBytes <= maxBytes) return { totalBytes, evicted };
  entries.sort((a, b) => a.lastUsedAt - b.lastUsedAt);
  for (const e of entries) {
    if (totalBytes <= maxBytes) break;
    if (e.key === keep) continue;
    const lock = await acquireLock(lockFile(l, e.key), 'exclusive', { wait: false });
    if (!lock) continue;
    try {
      await removeDir(l, e.dir);
      // Under the lock: waiters on this file notice it is gone when they get it, and start over (file-lock.ts).
      await rm(lockFile(l, e.key), { force: true });
      totalBytes -= e.sizeBytes;
      evicted.push(e.key);
      log.info('git mirror evicted from the cache', { mirror: e.key, size_bytes: e.sizeBytes, last_used_at: new Date(e.lastUsedAt).toISOString() });
    } finally {
      await lock.release();
    }
  }
  if (totalBytes > maxBytes) log.warn('git mirror cache is over its size limit; the remaining mirrors are in use', { total_bytes: totalBytes, max_bytes: maxBytes });
  return { totalBytes, evicted };
}
