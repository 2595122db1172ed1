/**
 * Applies the drizzle-kit migrations embedded in the binary. Safe when several processes start at once: SQLite
 * serialises on BEGIN IMMEDIATE, Postgres on a transaction-scoped advisory lock. The bookkeeping table is the one
 * drizzle's own migrator uses, with the same hashes.
 */
import { sql } from 'drizzle-orm';
import type { Db } from './database.ts';
import { EMBEDDED_MIGRATIONS } from './migrations.generated.ts';

export interface EmbeddedMigration {
  tag: string;
  when: number;
  hash: string;
  statements: string[];
}

const MIGRATE_LOCK = 7_433_019;

export async function migrate(db: Db): Promise<string[]> {
  const migrations = db.dialect === 'sqlite' ? EMBEDDED_MIGRATIONS.sqlite : EMBEDDED_MIGRATIONS.pg;
  const table = db.dialect === 'sqlite' ? sql`"__drizzle_migrations"` : sql`drizzle."__drizzle_migrations"`;
  return db.tx(async (tx) => {
    if (tx.dialect === 'postgres') {
      await tx.run(sql`select pg_advisory_xact_lock(${MIGRATE_LOCK})`);
      await tx.run(sql`create schema if not exists drizzle`);
      await tx.run(sql`create table if not exists drizzle."__drizzle_migrations" (id serial primary key, hash text not null, created_at bigint)`);
    } else {
      await tx.run(sql`create table if not exists "__drizzle_migrations" (id integer primary key, hash text not null, created_at numeric)`);
    }
    const rows = await tx.all<{ last: number | string | null }>(sql`select max(created_at) as last from ${table}`);
    const last = Number(rows[0]?.last ?? 0);
    const applied: string[] = [];
    for (const m of migrations) {
      if (m.when <= last) continue;
      for (const stmt of m.statements) await tx.run(sql.raw(stmt));
      await tx.run(sql`insert into ${table} (hash, created_at) values (${m.hash}, ${m.when})`);
      applied.push(m.tag);
    }
    return applied;
  });
}
