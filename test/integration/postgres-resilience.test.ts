/**
 * The Postgres client does not let a lost server hang or kill SecBot: a statement that gets no answer fails after
 * its deadline (a worker awaiting it would otherwise stop for good), and postgres.js's write-after-close race (a
 * server restart under load) is recognised as harmless by the process guard.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { sql } from 'drizzle-orm';
import { DatabaseUnavailableError, type Db } from '../../src/db/database.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { isDroppedConnectionRace } from '../../src/main.ts';
import { createDatabaseUrl } from '../helpers/db.ts';

let db: Db;
let drop: () => Promise<void>;
beforeAll(async () => {
  const created = await createDatabaseUrl('postgres');
  drop = created.drop;
  db = openPostgres(created.url, { statementTimeoutMs: 500 });
});
afterAll(async () => {
  await db.close();
  await drop();
});

test('a statement without an answer fails after the deadline, and the connection pool stays usable', async () => {
  const started = Date.now();
  await expect(db.all(sql`SELECT pg_sleep(3)`)).rejects.toBeInstanceOf(DatabaseUnavailableError);
  expect(Date.now() - started).toBeLessThan(2500);
  expect(await db.all<{ one: number }>(sql`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
  await expect(db.tx(async (tx) => tx.all(sql`SELECT pg_sleep(3)`))).rejects.toBeInstanceOf(DatabaseUnavailableError);
});

test('only postgres.js\'s write-after-close race is treated as harmless', () => {
  expect(isDroppedConnectionRace(new TypeError("null is not an object (evaluating 'socket.write')"))).toBe(true);
  expect(isDroppedConnectionRace(new TypeError("Cannot read properties of null (reading 'write')"))).toBe(true);
  expect(isDroppedConnectionRace(new TypeError("undefined is not an object (evaluating 'task.name')"))).toBe(false);
  expect(isDroppedConnectionRace(new Error("null is not an object (evaluating 'socket.write')"))).toBe(false);
});
