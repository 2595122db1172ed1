/**
 * Advisory locks that work across processes and hosts sharing a local disk, held by a small `flock(1)` (util-linux)
 * process for as long as SecBot needs them. The kernel drops the lock when that process ends, so a worker that
 * crashes, is killed or loses its pipe never leaves a stale lock behind: no lock-file timestamps to second-guess.
 * Shared locks let several scans read one mirror; exclusive locks serialise fetches, repairs and eviction.
 *
 * Lock files can be deleted (an evicted mirror's lock goes with it): whoever deletes one holds it exclusively, and
 * whoever acquires a lock checks afterwards that the path still names the file it locked (`-ef`); if the file was
 * deleted or replaced while it waited, it starts over on the new file. So two holders never hold "the same" lock
 * on two different files.
 */
import { ConfigError, RetryableError } from '../../core/errors.ts';
import { throwIfAborted } from './run-process.ts';

export type LockMode = 'shared' | 'exclusive';

export interface HeldLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** false: give up at once when the lock is taken (returns null). */
  wait: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Words for the "busy" error, e.g. "the mirror of group/project". */
  what?: string;
}

const BUSY = 75;
const REPLACED = 76;
/**
 * Opens the lock file on fd 9, locks it, and checks that the path still names that file; then says so and waits
 * (`cat`) until SecBot closes the pipe. $1 is the path, the rest are flock(1)'s options.
 */
const HOLDER = [
  'p="$1"; shift',
  'exec 9>>"$p" || exit 1',
  'flock "$@" 9 || exit $?',
  `[ "$p" -ef /dev/fd/9 ] || exit ${REPLACED}`,
  'echo locked',
  'exec cat >/dev/null',
].join('\n');
const MAX_REPLACED_RETRIES = 20;

/** Acquires the lock on `path` (created if missing). Resolves to null only when `wait` is false and it is taken. */
export async function acquireLock(path: string, mode: LockMode, opts: LockOptions): Promise<HeldLock | null> {
  for (let attempt = 1; ; attempt++) {
    const held = await acquireOnce(path, mode, opts);
    if (held !== 'replaced') return held;
    if (attempt >= MAX_REPLACED_RETRIES) throw new RetryableError(`the lock file ${path} kept being replaced while waiting for it; will retry`);
  }
}

async function acquireOnce(path: string, mode: LockMode, opts: LockOptions): Promise<HeldLock | null | 'replaced'> {
  throwIfAborted(opts.signal);
  const flockArgs = [mode === 'shared' ? '--shared' : '--exclusive', '--conflict-exit-code', String(BUSY)];
  if (!opts.wait) flockArgs.push('--nonblock');
  else if (opts.timeoutMs) flockArgs.push('--timeout', String(Math.max(1, Math.ceil(opts.timeoutMs / 1000))));
  const proc = spawnFlock(['sh', '-c', HOLDER, 'secbot-lock', path, ...flockArgs]);
  // The shell runs flock(1) as its child: kill the whole process group, or a waiting flock would outlive the abort.
  const onAbort = () => killGroup(proc);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const first = await proc.stdout.getReader().read();
    if (!first.done) return holder(proc);
    throwIfAborted(opts.signal);
    const code = await proc.exited;
    if (code === REPLACED) return 'replaced';
    if (code === 127) throw new ConfigError('flock(1) is needed to lock the git mirror cache; install util-linux');
    if (code === BUSY && !opts.wait) return null;
    if (code === BUSY) {
      throw new RetryableError(`${opts.what ?? path} stayed locked by another worker for ${Math.round((opts.timeoutMs ?? 0) / 1000)}s; will retry`);
    }
    const stderr = (await new Response(proc.stderr).text()).trim();
    throw new RetryableError(`could not lock ${path} (flock exit ${code}): ${stderr}`);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

type FlockProcess = Bun.Subprocess<'pipe', 'pipe', 'pipe'>;

function spawnFlock(args: string[]): FlockProcess {
  try {
    return Bun.spawn(args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, detached: true });
  } catch (err) {
    throw new ConfigError(`a POSIX sh and flock(1) are needed to lock the git mirror cache; install util-linux (${String(err)})`);
  }
}

function holder(proc: FlockProcess): HeldLock {
  let released: Promise<void> | null = null;
  return {
    release() {
      released ??= (async () => {
        // Closing the pipe ends `cat`, then flock exits and the kernel drops the lock.
        try {
          await proc.stdin.end();
        } catch {
          killGroup(proc);
        }
        const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
        if (!exited) killGroup(proc);
        await proc.exited;
      })();
      return released;
    },
  };
}

function killGroup(proc: FlockProcess): void {
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    proc.kill('SIGKILL');
  }
}
