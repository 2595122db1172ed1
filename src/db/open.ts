import { isPostgresUrl } from '../config/settings.ts';
import { withoutUserinfo } from '../core/urls.ts';
import type { Db } from './database.ts';
import { openPostgres } from './postgres.ts';
import { openSqlite, type SqliteOptions } from './sqlite.ts';

/** Opens the database a URL names: `postgres://…` or a SQLite file path (`:memory:` for tests). */
export function openDatabase(url: string, opts: { sqlite?: SqliteOptions; maxConnections?: number } = {}): Db {
  if (isPostgresUrl(url)) return openPostgres(url, { maxConnections: opts.maxConnections });
  return openSqlite(url, opts.sqlite);
}

/** Where the database is, for logs: never the password. */
export function describeDatabaseUrl(url: string): string {
  // Settings refuse other URL schemes; stripping here too keeps a password out of the log whatever calls this.
  if (!isPostgresUrl(url)) return `sqlite:${withoutUserinfo(url)}`;
  try {
    const u = new URL(url);
    return `postgres://${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
