/** Start-up against a database that does not answer: every retry line and the final error say why, without the password. */
import { expect, test } from 'bun:test';
import { createServer } from 'node:net';
import { ConfigError } from '../../src/core/errors.ts';
import { createLogger } from '../../src/log/logger.ts';
import { connectWithRetry } from '../../src/main.ts';

test('"database not reachable" names the database and the cause, never the password', async () => {
  // A port that was free a moment ago: nothing listens there, so connecting is refused.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));

  const lines: string[] = [];
  const logger = createLogger({ sink: (l) => lines.push(l) });
  const url = `postgres://secbot:pw-never-logged-123@127.0.0.1:${port}/secbot`;
  const err = await connectWithRetry({ databaseUrl: url, sqliteSynchronous: 'FULL' }, logger, 2).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toMatch(/cannot reach the database postgres:\/\/127\.0\.0\.1:\d+\/secbot: .*(ECONNREFUSED|refused)/i);
  expect(lines).toHaveLength(1);
  const warn = JSON.parse(lines[0]!);
  expect(warn).toMatchObject({ level: 'warn', attempt: 1, of: 2, error: expect.stringMatching(/ECONNREFUSED|refused/i) });
  expect(warn.msg).toMatch(/^database not reachable yet \(.*(ECONNREFUSED|refused).*\); retrying$/i);
  expect(lines.join('\n') + (err as Error).message).not.toContain('pw-never-logged-123');
});
