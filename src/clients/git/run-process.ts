/**
 * Runs one external program (git, gitleaks, flock) with an argv array, an explicit environment, a timeout and an
 * AbortSignal. The child gets its own process group so that killing it also kills what it started (git's
 * remote-http and index-pack helpers, the `git log` that gitleaks reads from): nothing outlives a cancelled task.
 */
import { ConfigError } from '../../core/errors.ts';

export interface ProcessOptions {
  /** The whole environment of the child: nothing is inherited, so no stray GIT_* or GITLEAKS_* variable leaks in. */
  env: Record<string, string>;
  cwd?: string;
  signal?: AbortSignal;
  /** Kill the child after this many milliseconds (0 or absent: no limit besides the signal). */
  timeoutMs?: number;
  /** Keep only the last N bytes of stderr: a failing fetch can print a lot of progress. */
  maxStderrBytes?: number;
  /** Drop stdout (only the exit code and stderr matter). */
  ignoreStdout?: boolean;
  /** Text written to the child's stdin (then closed); absent: no stdin. */
  stdin?: string;
}

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The child ran past its deadline and was killed. */
export class ProcessTimeoutError extends Error {
  override readonly name = 'ProcessTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${Math.round(timeoutMs / 1000)}s`);
  }
}

const KILL_GRACE_MS = 2000;

export async function runProcess(argv: string[], opts: ProcessOptions): Promise<ProcessResult> {
  throwIfAborted(opts.signal);
  const proc = spawn(argv, opts);
  let stopped: 'timeout' | 'abort' | null = null;
  let hardKill: ReturnType<typeof setTimeout> | null = null;
  const stop = (why: 'timeout' | 'abort') => {
    if (stopped) return;
    stopped = why;
    killGroup(proc.pid, 'SIGTERM');
    hardKill = setTimeout(() => killGroup(proc.pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer = opts.timeoutMs ? setTimeout(() => stop('timeout'), opts.timeoutMs) : null;
  const onAbort = () => stop('abort');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const stdoutText = proc.stdout instanceof ReadableStream ? new Response(proc.stdout).text() : Promise.resolve('');
    const [stdout, stderr, exitCode] = await Promise.all([stdoutText, readTail(proc.stderr, opts.maxStderrBytes ?? 256 * 1024), proc.exited]);
    if (stopped === 'abort') throwIfAborted(opts.signal);
    if (stopped === 'timeout') throw new ProcessTimeoutError(opts.timeoutMs ?? 0);
    return { exitCode, stdout, stderr };
  } finally {
    if (timer) clearTimeout(timer);
    // Once the group is gone its id may be reused: never signal it late.
    if (hardKill) clearTimeout(hardKill);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

function spawn(argv: string[], opts: ProcessOptions) {
  try {
    return Bun.spawn(argv, {
      cwd: opts.cwd,
      env: opts.env,
      stdin: opts.stdin === undefined ? 'ignore' : new TextEncoder().encode(opts.stdin),
      stdout: opts.ignoreStdout ? 'ignore' : 'pipe',
      stderr: 'pipe',
      detached: true,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(`cannot start "${argv[0]}" (${code}): check that it is installed and that SECBOT_GIT_BIN / SECBOT_GITLEAKS_BIN point to it`);
  }
}

/** Throws the signal's reason (the worker's TimeoutAbort, ShutdownAbort…) so the caller can tell why. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof Error ? reason : new Error('the task was cancelled');
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // Already gone: nothing to kill.
  }
}

async function readTail(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.byteLength;
    while (size > maxBytes && chunks.length > 1) size -= chunks.shift()!.byteLength;
  }
  return Buffer.concat(chunks).toString('utf8');
}
