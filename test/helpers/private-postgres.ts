/**
 * A Postgres server of the test's own (initdb in a temp folder, a free port), for tests that stop and start the
 * server: stopping the shared cluster would break every other test (and DefectDojo) using it at the same time.
 */
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

function asPostgres(args: string[]): void {
  const p = Bun.spawnSync(['runuser', '-u', 'postgres', '--', ...args], { stdout: 'pipe', stderr: 'pipe' });
  if (p.exitCode !== 0) throw new Error(`${args.join(' ')} failed: ${p.stderr.toString()}${p.stdout.toString()}`);
}

function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

export interface PrivatePostgres {
  url: string;
  stop(): void;
  start(): void;
  destroy(): void;
}

export function startPrivatePostgres(): PrivatePostgres {
  const dir = mkdtempSync(join(tmpdir(), 'secbot-pg-'));
  const pgUid = Number(Bun.spawnSync(['id', '-u', 'postgres']).stdout.toString().trim());
  const pgGid = Number(Bun.spawnSync(['id', '-g', 'postgres']).stdout.toString().trim());
  chownSync(dir, pgUid, pgGid);
  const data = join(dir, 'data');
  asPostgres([`${BIN}/initdb`, '-D', data, '-A', 'trust', '-U', 'secbot', '--no-sync', '--no-instructions']);
  const port = freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`;
  const pg = {
    url: `postgres://secbot@127.0.0.1:${port}/postgres`,
    start: () => asPostgres([`${BIN}/pg_ctl`, '-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', 'start']),
    stop: () => asPostgres([`${BIN}/pg_ctl`, '-D', data, '-m', 'fast', '-w', 'stop']),
    destroy: () => {
      try {
        pg.stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}
