/**
 * Advisory locks that work across processes and hosts sharing a local disk, held by a small `flock(1)` (util-linux)
 * process for as long as SecBot needs them. The kernel drops the lock when that process ends, so a worker that
 * crashes, is killed or loses its pipe never leaves a stale lock behind: no lock-file timestamps to second-guess.
 * Shared locks let several scans read one mirror; exclusive locks serialise fetches, repairs and eviction.
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
// flock runs this once it holds the lock: the line tells SecBot so; `cat` then waits for SecBot to close the pipe.
const HOLDER = 'echo locked; exec cat >/dev/null';

/** Acquires the lock on `path` (created if missing). Resolves to null only when `wait` is false and it is taken. */
export async function acquireLock(path: string, mode: LockMode, opts: LockOptions): Promise<HeldLock | null> {
  throwIfAborted(opts.signal);
  const args = ['flock', mode === 'shared' ? '--shared' : '--exclusive', '--close', '--conflict-exit-code', String(BUSY)];
  if (!opts.wait) args.push('--nonblock');
  else if (opts.timeoutMs) args.push('--timeout', String(Math.max(1, Math.ceil(opts.timeoutMs / 1000))));
  args.push(path, 'sh', '-c', HOLDER);
  const proc = spawnFlock(args);
  const onAbort = () => proc.kill('SIGKILL');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const first = await proc.stdout.getReader().read();
    if (!first.done) return holder(proc);
    throwIfAborted(opts.signal);
    const code = await proc.exited;
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
    return Bun.spawn(args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  } catch (err) {
    throw new ConfigError(`flock(1) is needed to lock the git mirror cache; install util-linux (${String(err)})`);
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
          proc.kill('SIGKILL');
        }
        const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
        if (!exited) proc.kill('SIGKILL');
        await proc.exited;
      })();
      return released;
    },
  };
}
