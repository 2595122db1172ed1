/**
 * The physical limit for this stack: a bare `Bun.serve` that stores each POST body as one row (one statement, one
 * commit, answered after the commit) and answers GET by id with one prepared SELECT. No framework, no validation.
 *   bun bench/intake/bare-server.ts sqlite <file> [FULL|NORMAL]
 *   bun bench/intake/bare-server.ts postgres <url>
 * Prints `listening <port>` once ready.
 */
import { Database } from 'bun:sqlite';
import postgres from 'postgres';

const [kind, target, sync = 'FULL'] = process.argv.slice(2);
if (!kind || !target) throw new Error('usage: bare-server.ts sqlite|postgres <file|url> [FULL|NORMAL]');

type Store = { insert(id: string, body: string): Promise<void> | void; get(id: string): Promise<unknown> | unknown };

function sqliteStore(file: string): Store {
  const db = new Database(file, { create: true });
  db.exec('PRAGMA busy_timeout = 10000');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${sync === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  db.exec('CREATE TABLE IF NOT EXISTS rows (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL)');
  const ins = db.prepare('INSERT INTO rows (id, body, created_at) VALUES (?, ?, ?)');
  const sel = db.prepare('SELECT id, created_at FROM rows WHERE id = ?');
  return { insert: (id, body) => void ins.run(id, body, Date.now()), get: (id) => sel.all(id)[0] };
}

async function pgStore(url: string): Promise<Store> {
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  await sql`CREATE TABLE IF NOT EXISTS rows (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at BIGINT NOT NULL)`;
  return {
    insert: async (id, body) => void (await sql`INSERT INTO rows (id, body, created_at) VALUES (${id}, ${body}, ${Date.now()})`),
    get: async (id) => (await sql`SELECT id, created_at FROM rows WHERE id = ${id}`)[0],
  };
}

const store = kind === 'postgres' ? await pgStore(target) : sqliteStore(target);
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  reusePort: false,
  async fetch(req) {
    const url = new URL(req.url);
    if (req.method === 'POST') {
      const body = await req.text();
      const id = crypto.randomUUID();
      await store.insert(id, body);
      return Response.json({ status: 'accepted', id });
    }
    const id = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    const row = await store.get(id);
    return row ? Response.json({ status: 'found', ...(row as object) }) : Response.json({ status: 'not_found' }, { status: 404 });
  },
});
console.log(`listening ${server.port}`);
process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
