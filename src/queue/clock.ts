/**
 * The database's clock in epoch milliseconds. Leases and run times are compared on one clock (the database's), so
 * workers on hosts with skewed clocks never steal each other's live leases.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Dialect } from '../db/database.ts';

const SQLITE_NOW = sql.raw(`CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`);
const PG_NOW = sql.raw(`(extract(epoch from clock_timestamp()) * 1000)::bigint`);

export function nowSql(dialect: Dialect): SQL {
  return dialect === 'sqlite' ? SQLITE_NOW : PG_NOW;
}
