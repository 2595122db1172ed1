/**
 * bun:sqlite behind the Db interface. bun:sqlite is synchronous, so a transaction that awaits would let other
 * requests' statements run inside it on the same connection; a lock keeps every other statement out while a
 * transaction is open. Statements are cached by text (`Database.query`), and RETURNING statements always use
 * `.all()` (a `.get()` leaves the statement open and stops WAL checkpoints: stack-notes trap 1).
 */
import { Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { Db, Row } from './database.ts';

const dialect = new SQLiteSyncDialect();

type Bindable = string | number | bigint | boolean | null | Uint8Array;

export interface SqliteOptions {
  synchronous?: 'FULL' | 'NORMAL';
  busyTimeoutMs?: number;
}

export function openSqlite(path: string, opts: SqliteOptions = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const client = new Database(path, { create: true, strict: false });
  client.exec(`PRAGMA busy_timeout = ${opts.busyTimeoutMs ?? 10_000}`);
  client.exec('PRAGMA journal_mode = WAL');
  client.exec(`PRAGMA synchronous = ${opts.synchronous ?? 'FULL'}`);
  // A row rewritten with a secret masked (a branch named after a token) must not leave the old bytes in free space.
  client.exec('PRAGMA secure_delete = ON');
  return new SqliteDb(client);
}

class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private lock: Promise<void> | null = null;
  private savepoints = 0;

  constructor(private readonly client: Database) {}

  async all<T = Row>(query: SQL): Promise<T[]> {
    while (this.lock) await this.lock;
    return this.allNow<T>(query);
  }

  async run(query: SQL): Promise<number> {
    while (this.lock) await this.lock;
    return this.runNow(query);
  }

  allNow<T>(query: SQL): T[] {
    const q = dialect.sqlToQuery(query);
    return this.client.query(q.sql).all(...(q.params as Bindable[])) as T[];
  }

  runNow(query: SQL): number {
    const q = dialect.sqlToQuery(query);
    return this.client.query(q.sql).run(...(q.params as Bindable[])).changes;
  }

  async tx<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    while (this.lock) await this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    try {
      this.client.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(new SqliteTx(this));
        this.client.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.client.inTransaction) this.client.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.lock = null;
      release();
    }
  }

  /** Savepoint inside the open transaction (only SqliteTx calls this). */
  async savepoint<T>(fn: (tx: Db) => Promise<T>, tx: Db): Promise<T> {
    const name = `sp${++this.savepoints}`;
    this.client.exec(`SAVEPOINT ${name}`);
    try {
      const result = await fn(tx);
      this.client.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      this.client.exec(`ROLLBACK TO ${name}`);
      this.client.exec(`RELEASE ${name}`);
      throw err;
    }
  }

  async ping(): Promise<void> {
    while (this.lock) await this.lock;
    this.client.query('SELECT 1').all();
  }

  async close(): Promise<void> {
    while (this.lock) await this.lock;
    this.client.close();
  }
}

/** The transaction-scoped view: statements run at once, bypassing the lock its own transaction holds. */
class SqliteTx implements Db {
  readonly dialect = 'sqlite' as const;
  constructor(private readonly db: SqliteDb) {}
  async all<T = Row>(query: SQL): Promise<T[]> {
    return this.db.allNow<T>(query);
  }
  async run(query: SQL): Promise<number> {
    return this.db.runNow(query);
  }
  tx<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.db.savepoint(fn, this);
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {
    throw new Error('close() inside a transaction');
  }
}
