/**
 * A cache of bare mirrors, one per GitLab project, shared by every worker process on the host. A scan asks for a
 * project and a commit: the mirror is created or brought up to date under an exclusive lock (only new objects
 * travel), then the caller reads it under a shared lock, so concurrent scans of one project run side by side while
 * fetches, repairs and evictions wait for them. A damaged mirror is deleted and fetched again; the cache stays under
 * `cacheMaxBytes` by evicting the least recently used mirrors that nobody holds.
 */
import type { GitlabInstance, Settings } from '../../config/settings.ts';
import { PermanentError, RetryableError, errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../log/logger.ts';
import {
  cacheLayout, directorySize, ensureLayout, evictLeastRecentlyUsed, lockFile, mirrorDir, mirrorKey, readMeta, removeDir, writeMeta,
  type CacheLayout, type EvictionResult,
} from './cache-store.ts';
import { acquireLock, type HeldLock } from './file-lock.ts';
import { cloneUrl, gitEnv } from './git-env.ts';
import { CorruptMirrorError } from './git-errors.ts';
import { checkMirror, fetchCommit, fetchRefs, hasCommit, initMirror, localGit, type GitRunner, type Remote } from './mirror-git.ts';
import type { ProcessResult } from './run-process.ts';

export interface MirrorRequest {
  instance: GitlabInstance;
  projectPath: string;
  /** The commit that must be in the mirror when `use` runs. */
  commitSha: string;
  /** Also fetch refs/merge-requests/<iid>/head. */
  mergeRequestIid?: number | null;
  signal: AbortSignal;
  log: Logger;
  /** Limit for each git network command and each wait for the mirror's lock. Default 10 minutes. */
  timeoutMs?: number;
  /**
   * Runs under the exclusive lock once the mirror is up to date: the only moment a caller may write to it (SecBot's
   * own refs under refs/secbot/). Scans then read under the shared lock, so what it writes cannot change under them.
   */
  prepare?: (mirror: Mirror) => Promise<void>;
}

/** What `use` gets: a mirror it may read (never write, except in `prepare`) while the shared lock is held. */
export interface Mirror {
  path: string;
  key: string;
  /** Environment for programs that run git on the mirror themselves (gitleaks): no token, no user config. */
  env: Record<string, string>;
  /** Runs a local git command; throws CorruptMirrorError or RetryableError unless the exit code is in okCodes. */
  git(args: string[], okCodes?: number[], stdin?: string): Promise<ProcessResult>;
}

export interface MirrorCache {
  readonly layout: CacheLayout;
  withMirror<T>(req: MirrorRequest, use: (mirror: Mirror) => Promise<T>): Promise<T>;
  /** Evicts least recently used mirrors over the size limit, never `keep` nor a locked one. */
  evict(keep?: string | null): Promise<EvictionResult>;
}

export interface MirrorCacheOptions {
  settings: Pick<Settings, 'cacheDir' | 'cacheMaxBytes' | 'gitBin'>;
  logger: Logger;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export function createMirrorCache(opts: MirrorCacheOptions): MirrorCache {
  const layout = cacheLayout(opts.settings.cacheDir);
  const evict = async (keep: string | null = null) => {
    await ensureLayout(layout);
    return evictLeastRecentlyUsed(layout, opts.settings.cacheMaxBytes, keep, opts.logger);
  };
  return {
    layout,
    evict,
    async withMirror(req, use) {
      await ensureLayout(layout);
      const key = mirrorKey(req.instance.baseUrl, req.projectPath);
      const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const runner: GitRunner = { gitBin: opts.settings.gitBin, home: layout.home, signal: req.signal, timeoutMs };
      const ctx: SyncContext = { req, layout, key, dir: mirrorDir(layout, key), runner, timeoutMs };
      const evictOthers = () => evict(key).then(() => undefined, (err) => req.log.warn('git mirror cache eviction failed', { error: errorMessage(err) }));
      try {
        return await runWithMirror(ctx, use, evictOthers);
      } catch (err) {
        // A mirror still damaged after a rebuild means GitLab sent something broken or the disk is failing.
        if (err instanceof CorruptMirrorError) throw new RetryableError(`the git mirror of ${req.projectPath} is damaged even after a fresh fetch: ${err.message}`);
        throw err;
      }
    },
  };
}

interface SyncContext {
  req: MirrorRequest;
  layout: CacheLayout;
  key: string;
  dir: string;
  runner: GitRunner;
  timeoutMs: number;
}

type ReadOutcome<T> = { ok: true; value: T } | { ok: false; retry: 'vanished' | 'corrupt'; err?: unknown };

// Two rounds: the second one follows a repair (a damaged mirror found while reading) or a mirror that vanished
// between the exclusive and the shared lock (evicted by another worker).
async function runWithMirror<T>(ctx: SyncContext, use: (m: Mirror) => Promise<T>, evictOthers: () => Promise<void>): Promise<T> {
  let rebuild = false;
  for (let round = 1; ; round++) {
    await withLock(ctx, 'exclusive', async () => {
      await syncMirror(ctx, rebuild);
      await ctx.req.prepare?.(mirrorHandle(ctx));
    });
    await evictOthers();
    const outcome = await withLock(ctx, 'shared', async (): Promise<ReadOutcome<T>> => {
      try {
        if (!(await hasCommit(ctx.runner, ctx.dir, ctx.req.commitSha))) return { ok: false, retry: 'vanished' };
        return { ok: true, value: await use(mirrorHandle(ctx)) };
      } catch (err) {
        if (err instanceof CorruptMirrorError && round === 1) return { ok: false, retry: 'corrupt', err };
        throw err;
      }
    });
    if (outcome.ok) return outcome.value;
    if (round >= 2) throw new RetryableError(`the mirror of ${ctx.req.projectPath} kept changing under the scan; will retry`);
    rebuild = outcome.retry === 'corrupt';
    if (rebuild) ctx.req.log.warn('git mirror is damaged; deleting it and fetching again', { mirror: ctx.key, error: errorMessage(outcome.err) });
  }
}

async function withLock<T>(ctx: SyncContext, mode: 'shared' | 'exclusive', fn: () => Promise<T>): Promise<T> {
  const lock = (await acquireLock(lockFile(ctx.layout, ctx.key), mode, {
    wait: true,
    timeoutMs: ctx.timeoutMs,
    signal: ctx.req.signal,
    what: `the git mirror of ${ctx.req.projectPath}`,
  })) as HeldLock;
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

function mirrorHandle(ctx: SyncContext): Mirror {
  return {
    path: ctx.dir,
    key: ctx.key,
    env: gitEnv(ctx.layout.home),
    git: (args, okCodes, stdin) => localGit(ctx.runner, ctx.dir, args, okCodes, stdin),
  };
}

/** Under the exclusive lock: create or repair the mirror, fetch, make sure the commit is there, record the use. */
async function syncMirror(ctx: SyncContext, rebuild: boolean): Promise<void> {
  try {
    await syncOnce(ctx, rebuild);
  } catch (err) {
    if (!(err instanceof CorruptMirrorError) || rebuild) throw err;
    ctx.req.log.warn('git mirror is damaged; deleting it and fetching again', { mirror: ctx.key, error: err.message });
    await syncOnce(ctx, true);
  }
}

async function syncOnce(ctx: SyncContext, rebuild: boolean): Promise<void> {
  const { req, runner, dir } = ctx;
  const remote: Remote = { instance: req.instance, projectPath: req.projectPath, url: cloneUrl(req.instance, req.projectPath) };
  const started = Date.now();
  const fresh = await prepareMirror(ctx, rebuild);
  const mr = req.mergeRequestIid ?? null;
  req.log.debug(fresh ? 'git: cloning into a new mirror' : 'git: fetching new objects into the mirror', {
    from: `${req.instance.baseUrl}/${req.projectPath}.git`,
    refs: `branches, tags${mr === null ? '' : `, refs/merge-requests/${mr}/head`}`,
    mirror: ctx.key,
  });
  await fetchRefs(runner, dir, remote, mr);
  let present = await hasCommit(runner, dir, req.commitSha);
  if (!present) {
    req.log.debug('git: the commit is on no fetched ref; fetching it by SHA', { commit: req.commitSha });
    present = (await fetchCommit(runner, dir, remote, req.commitSha)) && (await hasCommit(runner, dir, req.commitSha));
  }
  // Recorded even when the commit is missing: the fetch itself succeeded and the mirror is worth keeping.
  const sizeBytes = await directorySize(dir);
  await writeMeta(dir, { host: req.instance.host, projectPath: req.projectPath, lastUsedAt: Date.now(), sizeBytes });
  req.log.debug('git mirror up to date', { mirror: ctx.key, fresh, duration_ms: Date.now() - started, size_bytes: sizeBytes });
  if (!present) {
    throw new PermanentError(
      `commit ${req.commitSha} is not in ${req.projectPath} on GitLab at ${req.instance.host}: it was probably ` +
        'force-pushed away or its branch deleted before the scan ran',
    );
  }
}

/** Returns true when the mirror was (re)created empty and needs a full first fetch. */
async function prepareMirror(ctx: SyncContext, rebuild: boolean): Promise<boolean> {
  const meta = rebuild ? null : await readMeta(ctx.dir);
  if (meta) {
    try {
      await checkMirror(ctx.runner, ctx.dir);
      return false;
    } catch (err) {
      if (!(err instanceof CorruptMirrorError)) throw err;
      ctx.req.log.warn('git mirror is damaged; deleting it and fetching again', { mirror: ctx.key, error: err.message });
    }
  }
  // No metadata: never created, or the first fetch died half-way. Either way start clean.
  await removeDir(ctx.layout, ctx.dir);
  await initMirror(ctx.runner, ctx.dir);
  return true;
}
