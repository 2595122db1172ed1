/**
 * Test databases: a fresh SQLite file or a fresh Postgres database per call, migrated. Postgres tests need the
 * server `scripts/ensure-postgres.sh` starts; SECBOT_TEST_PG_URL points elsewhere if needed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { Db } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/open.ts';

export const PG_ADMIN_URL = process.env.SECBOT_TEST_PG_URL ?? 'postgres://secbot:secbot@127.0.0.1:5432/secbot';

export type DbKind = 'sqlite' | 'postgres';
export const DB_KINDS: DbKind[] = ['sqlite', 'postgres'];

export interface TestDb {
  kind: DbKind;
  url: string;
  db: Db;
  drop(): Promise<void>;
}

export function tempDir(prefix = 'secbot-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Creates an empty database of the kind and returns its URL (not migrated, not opened). */
export async function createDatabaseUrl(kind: DbKind): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'sqlite') return { url: join(tempDir(), 'secbot.sqlite'), drop: async () => {} };
  const name = `secbot_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      // FORCE cannot end an autovacuum worker of another role; it goes away by itself, so try again shortly.
      for (let attempt = 1; attempt <= 10; attempt++) {
        try {
          await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          break;
        } catch (err) {
          if (attempt === 10) console.warn(`could not drop test database ${name}: ${(err as Error).message}`);
          await Bun.sleep(300);
        }
      }
      await a.end();
    },
  };
}

export async function createTestDb(kind: DbKind): Promise<TestDb> {
  const { url, drop } = await createDatabaseUrl(kind);
  const db = openDatabase(url, { sqlite: { synchronous: 'NORMAL' } });
  await migrate(db);
  return {
    kind,
    url,
    db,
    drop: async () => {
      await db.close().catch(() => {});
      await drop();
    },
  };
}
