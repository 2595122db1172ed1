/**
 * One small interface over both databases. SQL is written once with drizzle's `sql` template (it renders `?` or
 * `$n` placeholders per dialect); the schema and migrations come from drizzle-kit. Everything that differs between
 * SQLite and Postgres (locking, upserts that need it, clocks) is chosen through `dialect` by the callers.
 *
 * Hot statements are `Prepared`: rendered once per dialect with named placeholders, then run with values only
 * (no SQL rendering per call; SQLite keeps the compiled statement, Postgres a named prepared statement).
 */
import { is, Placeholder, type SQL } from 'drizzle-orm';

export type Dialect = 'sqlite' | 'postgres';

export type Row = Record<string, unknown>;

/** A statement to run: drizzle SQL (rendered per call) or a prepared statement with its values. */
export type Query = SQL | Bound;

export interface Bound {
  readonly prepared: Prepared;
  readonly values: Readonly<Record<string, unknown>>;
}

export interface Rendered {
  sql: string;
  params: unknown[];
}

/**
 * A statement built once per dialect (`build` uses `sql.placeholder('name')` for values), bound by name per run:
 * `db.all(STMT.bind({ id }))`. Values that are part of the text (dialect-specific SQL) come from `build`'s argument.
 */
export class Prepared {
  private readonly texts = new Map<Dialect, { sql: string; slots: (string | { value: unknown })[] }>();

  /**
   * `planEachRun`: Postgres plans the statement at every run instead of keeping a plan. For a statement whose best
   * plan depends on how large a table is now: a kept plan may date from when the table was empty.
   */
  constructor(
    private readonly build: (dialect: Dialect) => SQL,
    readonly opts: { planEachRun?: boolean } = {},
  ) {}

  bind(values: Readonly<Record<string, unknown>>): Bound {
    return { prepared: this, values };
  }

  render(dialect: Dialect, values: Readonly<Record<string, unknown>>, toQuery: (q: SQL) => Rendered): Rendered {
    let text = this.texts.get(dialect);
    if (!text) {
      const q = toQuery(this.build(dialect));
      text = { sql: q.sql, slots: q.params.map((p) => (is(p, Placeholder) ? p.name : { value: p })) };
      this.texts.set(dialect, text);
    }
    const params = text.slots.map((s) => {
      if (typeof s !== 'string') return s.value;
      if (!(s in values)) throw new Error(`no value for placeholder "${s}"`);
      return values[s];
    });
    return { sql: text.sql, params };
  }
}

export function isBound(q: Query): q is Bound {
  return (q as Bound).prepared instanceof Prepared;
}

export interface Db {
  readonly dialect: Dialect;
  /** Runs a statement and returns its rows (use for SELECT and for INSERT/UPDATE … RETURNING). */
  all<T = Row>(query: Query): Promise<T[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(query: Query): Promise<number>;
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
