/**
 * One small interface over both databases. SQL is written once with drizzle's `sql` template (it renders `?` or
 * `$n` placeholders per dialect); the schema and migrations come from drizzle-kit. Everything that differs between
 * SQLite and Postgres (locking, upserts that need it, clocks) is chosen through `dialect` by the callers.
 */
import type { SQL } from 'drizzle-orm';

export type Dialect = 'sqlite' | 'postgres';

export type Row = Record<string, unknown>;

export interface Db {
  readonly dialect: Dialect;
  /** Runs a statement and returns its rows (use for SELECT and for INSERT/UPDATE … RETURNING). */
  all<T = Row>(query: SQL): Promise<T[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(query: SQL): Promise<number>;
  /**
   * Runs `fn` in a transaction (SQLite: BEGIN IMMEDIATE, so the write lock is taken up front and two writers never
   * deadlock on lock upgrade). Inside a transaction, `tx` opens a savepoint: a failing unit rolls back alone.
   */
  tx<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Postgres only: calls `onNotify` on every NOTIFY of `channel` (a dedicated connection that reconnects by itself).
   * Resolves to an unsubscribe function.
   */
  subscribe?(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
}

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}
