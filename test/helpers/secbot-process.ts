/**
 * Runs the compiled `dist/secbot` binary as a child process, reads its JSON log lines (kept for secret-hygiene
 * checks) and learns the ports it bound from its "listening" lines (tests start it with port 0).
 */
import { join } from 'node:path';
import type { Subprocess } from 'bun';

export const BINARY = join(import.meta.dir, '..', '..', 'dist', 'secbot');

export class SecbotProcess {
  readonly ports: { intake?: number; results?: number; worker?: number } = {};
  private exited: Promise<number>;

  private constructor(
    readonly proc: Subprocess<'ignore', 'pipe', 'pipe'>,
    readonly logs: string[],
  ) {
    this.exited = proc.exited;
  }

  static async start(args: string[], env: Record<string, string>, logs: string[], timeoutMs = 15_000): Promise<SecbotProcess> {
    const proc = Bun.spawn([BINARY, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const p = new SecbotProcess(proc, logs);
    const ready = p.pump(proc.stdout, args);
    void p.pump(proc.stderr, []);
    const timeout = Bun.sleep(timeoutMs).then(() => {
      throw new Error(`secbot ${args.join(' ')} did not start in ${timeoutMs} ms:\n${logs.slice(-20).join('\n')}`);
    });
    const died = proc.exited.then((code) => {
      throw new Error(`secbot ${args.join(' ')} exited with ${code} during start:\n${logs.slice(-20).join('\n')}`);
    });
    await Promise.race([ready, timeout, died]);
    return p;
  }

  /** Collects lines; resolves once every role in `args` logged that it listens (or the worker started). */
  private pump(stream: ReadableStream<Uint8Array>, args: string[]): Promise<void> {
    const roles = new Set(args.includes('all') ? ['intake', 'results'] : args.filter((a) => a !== 'worker' || args.length === 1));
    let resolveReady!: () => void;
    const ready = new Promise<void>((r) => (resolveReady = r));
    if (roles.size === 0) resolveReady();
    (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of stream) {
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          this.logs.push(line);
          const m = /"msg":"(intake|results|worker) listening".*"port":(\d+)/.exec(line);
          if (m) {
            this.ports[m[1] as 'intake'] = Number(m[2]);
            roles.delete(m[1]!);
            if (roles.size === 0) resolveReady();
          }
        }
      }
      if (buf) this.logs.push(buf);
    })();
    return ready;
  }

  get pid(): number {
    return this.proc.pid;
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): void {
    this.proc.kill(signal);
  }

  async waitExit(timeoutMs = 20_000): Promise<number | null> {
    return Promise.race([this.exited, Bun.sleep(timeoutMs).then(() => null)]);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.kill('SIGTERM');
    if ((await this.waitExit(10_000)) === null) {
      this.kill('SIGKILL');
      await this.exited;
    }
  }
}
