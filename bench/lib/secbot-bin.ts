/**
 * Starts the compiled `dist/secbot` for benchmarks: its JSON log goes to a file (not through a pipe into the bench
 * process, which would cost the load generator CPU), and the ports are read from the "listening" lines.
 */
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Subprocess } from 'bun';

export const ROOT = join(import.meta.dir, '..', '..');
/** dist/secbot, or SECBOT_BENCH_BINARY (e.g. a build of another commit, to compare). */
export const BINARY = process.env.SECBOT_BENCH_BINARY ?? join(ROOT, 'dist', 'secbot');

export function ensureBinary(): void {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`bun run build\` first`);
}

export interface BenchProcess {
  name: string;
  proc: Subprocess;
  pid: number;
  logFile: string;
  ports: { intake?: number; results?: number; worker?: number };
  stop(): Promise<void>;
}

export async function startSecbotBinary(name: string, args: string[], env: Record<string, string>, logFile: string, timeoutMs = 20_000): Promise<BenchProcess> {
  const fd = openSync(logFile, 'w');
  const proc = Bun.spawn([BINARY, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdin: 'ignore',
    stdout: fd,
    stderr: fd,
  });
  closeSync(fd);
  const want = new Set(args.includes('all') ? ['intake', 'results'] : args);
  const ports: BenchProcess['ports'] = {};
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readFileSync(logFile, 'utf8');
    for (const m of text.matchAll(/"msg":"(intake|results|worker) listening".*"port":(\d+)/g)) ports[m[1] as 'intake'] = Number(m[2]);
    if ([...want].every((r) => ports[r as 'intake'] !== undefined)) break;
    if (proc.exitCode !== null) throw new Error(`secbot ${args.join(' ')} exited with ${proc.exitCode}:\n${text.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`secbot ${args.join(' ')} did not start in ${timeoutMs} ms:\n${text.slice(-3000)}`);
    await Bun.sleep(20);
  }
  return {
    name,
    proc,
    pid: proc.pid,
    logFile,
    ports,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const done = await Promise.race([proc.exited, Bun.sleep(15_000).then(() => null)]);
      if (done === null) {
        proc.kill('SIGKILL');
        await proc.exited;
      }
    },
  };
}
