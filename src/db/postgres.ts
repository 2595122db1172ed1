/**
 * postgres.js behind the Db interface. Statements are sent as named prepared statements (cached per connection),
 * int8 comes back as a JS number (epoch milliseconds and ids stay far below 2^53).
 */
import postgres from 'postgres';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { DatabaseUnavailableError, type Db, isBound, type Query, type Rendered, type Row } from './database.ts';

const dialect = new PgDialect();
const toQuery = (q: SQL): Rendered => dialect.sqlToQuery(q);
const render = (q: Query): Rendered => (isBound(q) ? q.prepared.render('postgres', q.values, toQuery) : toQuery(q));

export interface PostgresOptions {
  maxConnections?: number;
  connectTimeoutSec?: number;
  /** A statement (or transaction) that got no answer for this long fails, instead of hanging its caller forever. */
  statementTimeoutMs?: number;
}

/**
 * A server that goes away mid-statement (restart, failover, a dropped connection) can leave postgres.js's promise
 * unsettled; a worker awaiting it would stop for good. Every round trip races a generous deadline.
 */
function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseUnavailableError(`the database gave no answer to ${what} within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

type Client = postgres.Sql | postgres.TransactionSql;

export function openPostgres(url: string, opts: PostgresOptions = {}): Db {
  const client = postgres(url, {
    max: opts.maxConnections ?? 10,
    connect_timeout: opts.connectTimeoutSec ?? 5,
    idle_timeout: 60,
    onnotice: () => {},
    types: {
      bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) },
    },
  });
  return new PgDb(client, client, false, opts.statementTimeoutMs ?? 120_000);
}

class PgDb implements Db {
  readonly dialect = 'postgres' as const;
  constructor(
    private readonly root: postgres.Sql,
    private readonly client: Client,
    private readonly inTx: boolean,
    private readonly timeoutMs: number,
  ) {}

  async all<T = Row>(query: Query): Promise<T[]> {
    const q = render(query);
    const prepare = !(isBound(query) && query.prepared.opts.planEachRun);
    const rows = await withDeadline(this.client.unsafe(q.sql, q.params as postgres.ParameterOrJSON<never>[], { prepare }), this.timeoutMs, 'a statement');
    return rows as unknown as T[];
  }

  async run(query: Query): Promise<number> {
    const q = render(query);
    const res = await withDeadline(this.client.unsafe(q.sql, q.params as postgres.ParameterOrJSON<never>[], { prepare: true }), this.timeoutMs, 'a statement');
    return res.count;
  }

  async tx<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.inTx) {
      const t = this.client as postgres.TransactionSql;
      return (await t.savepoint((sp) => fn(new PgDb(this.root, sp, true, this.timeoutMs)))) as T;
    }
    return (await withDeadline(this.root.begin((t) => fn(new PgDb(this.root, t, true, this.timeoutMs))), this.timeoutMs, 'a transaction')) as T;
  }

  async ping(): Promise<void> {
    await this.root`select 1`;
  }

  async subscribe(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    const sub = await this.root.listen(channel, () => onNotify());
    return () => sub.unlisten();
  }

  async close(): Promise<void> {
    await this.root.end({ timeout: 5 });
  }
}
