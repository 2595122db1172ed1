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
import { type Db, isBound, type Query, type Rendered, type Row } from './database.ts';

const dialect = new SQLiteSyncDialect();
const toQuery = (q: SQL): Rendered => dialect.sqlToQuery(q);
const render = (q: Query): Rendered => (isBound(q) ? q.prepared.render('sqlite', q.values, toQuery) : toQuery(q));

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
  // The gate reads the rows of whichever checks CI polls: a 16 MiB page cache (SQLite's default is 2 MiB) keeps
  // those of the checks polled lately in memory instead of reading them again from the file system.
  client.exec('PRAGMA cache_size = -16384');
  // A row rewritten with a secret masked (a branch named after a token) must not leave the old bytes in free space.
  client.exec('PRAGMA secure_delete = ON');
  return new SqliteDb(client);
}

class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private lock: Promise<void> | null = null;
  private savepoints = 0;

  constructor(private readonly client: Database) {}

  async all<T = Row>(query: Query): Promise<T[]> {
    while (this.lock) await this.lock;
    return this.allNow<T>(query);
  }

  async run(query: Query): Promise<number> {
    while (this.lock) await this.lock;
    return this.runNow(query);
  }

  allNow<T>(query: Query): T[] {
    const q = render(query);
    return this.client.query(q.sql).all(...(q.params as Bindable[])) as T[];
  }

  runNow(query: Query): number {
    const q = render(query);
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
  async all<T = Row>(query: Query): Promise<T[]> {
    return this.db.allNow<T>(query);
  }
  async run(query: Query): Promise<number> {
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
