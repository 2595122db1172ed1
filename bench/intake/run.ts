/**
 * Intake benchmark: webhook deliveries accepted durably per second (every delivery a new commit → a new check whose
 * task graph is committed before the 200) and GET status req/s for existing checks, on SQLite (synchronous=FULL, the
 * default) and Postgres, against the compiled binary as `secbot intake` + `secbot results` (two processes, no worker: the
 * measurement is the intake path). Beside it, in the same run, the physical limit of this stack: a bare `Bun.serve`
 * that inserts one row per POST (same body, same synchronous setting, one commit per request) and a bare GET by id.
 * Rows: POST saturating (each connection sends again as soon as it has its answer), POST at a bounded load (each
 * connection waits a random 0–2×think ms between requests, ≈ 450–500 req/s offered), GET saturating.
 *
 * Load generator: wrk (Debian package), 2 threads × 50 connections, on the same machine as the server (2 cores
 * shared: wrk takes a part of the CPU the server could use; compare ratios, not absolutes).
 *
 *   bun bench/intake/run.ts [--seconds 10] [--warmup 3] [--connections 50] [--threads 2] [--backends sqlite,postgres] [--rounds 2] [--think-ms 100] [--cases POST,POST-paced,GET]
 * Postgres: SECBOT_TEST_PG_URL (default postgres://secbot:secbot@127.0.0.1:5432/secbot). SECBOT_BENCH_BINARY runs another
 * build instead of dist/secbot (to compare commits).
 */
import { Database } from 'bun:sqlite';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createDatabaseUrl, type DbKind } from '../../test/helpers/db.ts';
import { loadNow, machineFacts, reproduceLine } from '../lib/machine.ts';
import { cpuSeconds } from '../lib/proc.ts';
import { BINARY, ensureBinary, startSecbotBinary } from '../lib/secbot-bin.ts';
import { DONE_LUA, runWrk, wrkVersion, type WrkResult } from '../lib/wrk.ts';
import { benchConfig } from '../lib/config.ts';

const TOKEN = ['whsec', 'bench', 'intake', '0123456789'].join('-');
const GITLAB = 'http://gitlab.bench.test';
const PROJECT = 'acme/webapp';
const PREFIX = 'BENCH';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}
const SECONDS = Number(opt('seconds', '10'));
const WARMUP = Number(opt('warmup', '3'));
const CONNS = Number(opt('connections', '50'));
const THREADS = Number(opt('threads', '2'));
const BACKENDS = opt('backends', 'sqlite,postgres').split(',') as DbKind[];
const ROUNDS = Number(opt('rounds', '2'));
/** Which cases to measure (all by default); GET needs checks, so without POST a short POST run stores some first. */
const CASES = new Set(opt('cases', 'POST,POST-paced,GET').split(','));
/** Mean think time per connection for the bounded-load POST case: 50 connections × 1 request per (100 ms + latency) ≈ 450–500 req/s. */
const THINK_MS = Number(opt('think-ms', '100'));

const work = mkdtempSync(join(tmpdir(), 'secbot-bench-intake-'));

const CONFIG = benchConfig('acme/.*');

/** GitLab's documented push payload (test/fixtures), on the bench project, with the new commit as @SHA@. */
function bodyTemplate(): string {
  const p = JSON.parse(readFileSync(join(import.meta.dir, '..', '..', 'test', 'fixtures', 'gitlab', 'project_hook.push.json'), 'utf8'));
  const web = `${GITLAB}/${PROJECT}`;
  p.project = { ...p.project, web_url: web, path_with_namespace: PROJECT, git_http_url: `${web}.git`, http_url: `${web}.git`, homepage: web };
  p.ref = 'refs/heads/main';
  p.after = '@SHA@';
  p.checkout_sha = '@SHA@';
  p.commits = [p.commits.at(-1)];
  p.commits[0].id = '@SHA@';
  p.commits[0].url = `${web}/commit/@SHA@`;
  p.total_commits_count = 1;
  return JSON.stringify(p, null, 2);
}

function script(name: string): string {
  const path = join(work, name);
  writeFileSync(path, readFileSync(join(import.meta.dir, name), 'utf8') + DONE_LUA);
  return path;
}

const runHex = () => crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16).padStart(8, '0');

interface Row {
  backend: DbKind;
  what: What;
  server: 'bare' | 'secbot';
  r: WrkResult;
  cpu: number;
  stored?: number;
}

/** POST: saturating (each connection sends as soon as it has its answer); POST-paced: with THINK_MS between requests. */
type What = 'POST' | 'POST-paced' | 'GET';

const rows: Row[] = [];

async function measure(o: { backend: DbKind; what: What; server: 'bare' | 'secbot'; pid: number; url: string; script: string; args: string[]; stored?: () => Promise<number> }) {
  const postArgs = () => [o.args[0]!, runHex(), o.args[2]!, String(o.what === 'POST-paced' ? THINK_MS : 0)];
  await runWrk({ url: o.url, script: o.script, args: o.what === 'GET' ? o.args : postArgs(), seconds: WARMUP, connections: CONNS, threads: THREADS });
  const before = o.stored ? await o.stored() : 0;
  const cpu0 = cpuSeconds(o.pid);
  const args = o.what === 'GET' ? o.args : postArgs();
  const r = await runWrk({ url: o.url, script: o.script, args, seconds: SECONDS, connections: CONNS, threads: THREADS });
  const cpu = (cpuSeconds(o.pid) - cpu0) / r.seconds;
  const stored = o.stored ? (await o.stored()) - before : undefined;
  rows.push({ backend: o.backend, what: o.what, server: o.server, r, cpu, stored });
  const errs = Object.entries(r.errors).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(
    `  ${o.what.padEnd(10)} ${o.server.padEnd(6)} ${o.backend.padEnd(8)} ${Math.round(r.rps).toString().padStart(6)} req/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms  server CPU ${(cpu * 100).toFixed(0)}%` +
      (stored !== undefined ? `  committed ${stored} (responses ${r.requests})` : '') +
      (errs ? `  errors: ${errs}` : ''),
  );
}

function counter(kind: DbKind, url: string, table: string): { count: () => Promise<number>; ids: (n: number) => Promise<string[]>; close: () => Promise<void> } {
  if (kind === 'sqlite') {
    return {
      count: async () => {
        const db = new Database(url, { readonly: true });
        const n = (db.query(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
        db.close();
        return n;
      },
      ids: async (n) => {
        const db = new Database(url, { readonly: true });
        const r = db.query(`SELECT id FROM ${table} ORDER BY random() LIMIT ?`).all(n) as { id: string }[];
        db.close();
        return r.map((x) => x.id);
      },
      close: async () => {},
    };
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  return {
    count: async () => Number((await sql.unsafe(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n),
    ids: async (n) => (await sql.unsafe(`SELECT id FROM ${table} ORDER BY random() LIMIT ${n}`)).map((r) => String(r.id)),
    close: async () => void (await sql.end()),
  };
}

interface Target {
  server: 'bare' | 'secbot';
  postPid: number;
  getPid: number;
  postUrl: string;
  getUrl: string;
  getPrefix: string;
  stored: ReturnType<typeof counter>;
  stop: () => Promise<void>;
}

async function startBare(kind: DbKind): Promise<Target> {
  const { url, drop } = await createDatabaseUrl(kind);
  const target = kind === 'sqlite' ? join(work, `bare-${Date.now()}.sqlite`) : url;
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'bare-server.ts'), kind, target, 'FULL'], { stdout: 'pipe', stderr: 'inherit' });
  const reader = proc.stdout.getReader();
  let text = '';
  while (!/listening (\d+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`bare server exited: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const port = Number(/listening (\d+)/.exec(text)![1]);
  const stored = counter(kind, target, 'rows');
  return {
    server: 'bare',
    postPid: proc.pid,
    getPid: proc.pid,
    postUrl: `http://127.0.0.1:${port}/rows`,
    getUrl: `http://127.0.0.1:${port}/`,
    getPrefix: '/rows/',
    stored,
    stop: async () => {
      await stored.close();
      proc.kill('SIGTERM');
      await proc.exited;
      await drop();
    },
  };
}

async function startSecbot(kind: DbKind): Promise<Target & { tasks: ReturnType<typeof counter> }> {
  const { url, drop } = await createDatabaseUrl(kind);
  const configPath = join(work, 'config.yml');
  writeFileSync(configPath, CONFIG);
  const env = {
    GITLAB_CONFIGS: JSON.stringify([{ host: `${GITLAB}/`, webhook_secret_token: TOKEN, auth_token: 'glpat-bench-unused-000000', prefix: PREFIX }]),
    DEFECTDOJO__URL: 'http://127.0.0.1:9',
    DEFECTDOJO__TOKEN: 'dojo-bench-unused',
    DEFECTDOJO__USER: 'secbot',
    DEFECTDOJO__USER_ID: '1',
    SLACK_TOKEN: 'xoxb-bench-unused',
    SECBOT_DATABASE_URL: url,
    SECBOT_CONFIG: configPath,
    SECBOT_CACHE_DIR: join(work, 'cache'),
    SECBOT_BIND: '127.0.0.1',
    SECBOT_INTAKE_PORT: '0',
    SECBOT_RESULTS_PORT: '0',
  };
  // `secbot intake` and `secbot results` are separate processes (one role per process, as deployed).
  const intake = await startSecbotBinary(`intake-${kind}`, ['intake'], env, join(work, `intake-${kind}.log`));
  const results = await startSecbotBinary(`results-${kind}`, ['results'], { ...env, SECBOT_MIGRATE_ON_START: 'false' }, join(work, `results-${kind}.log`));
  const stored = counter(kind, url, 'checks');
  const tasks = counter(kind, url, 'tasks');
  return {
    server: 'secbot',
    postPid: intake.pid,
    getPid: results.pid,
    postUrl: `http://127.0.0.1:${intake.ports.intake}/v1/gitlab/webhook`,
    getUrl: `http://127.0.0.1:${results.ports.results}/`,
    getPrefix: '/v1/security/gitlab/check/',
    stored,
    tasks,
    stop: async () => {
      await stored.close();
      await tasks.close();
      await intake.stop();
      await results.stop();
      await drop();
    },
  };
}

async function backendCase(kind: DbKind, bodyFile: string, post: string, get: string) {
  const bare = await startBare(kind);
  const secbot = await startSecbot(kind);
  try {
    // Rounds alternate bare and SecBot so that drift in the machine's load (fsync latency above all) hits both.
    for (let round = 1; round <= ROUNDS && CASES.has('POST'); round++) {
      for (const t of [bare, secbot]) {
        await measure({ backend: kind, what: 'POST', server: t.server, pid: t.postPid, url: t.postUrl, script: post, args: [bodyFile, '', TOKEN], stored: t.stored.count });
      }
    }
    for (const t of CASES.has('POST-paced') || !CASES.has('POST') ? [bare, secbot] : []) {
      await measure({ backend: kind, what: 'POST-paced', server: t.server, pid: t.postPid, url: t.postUrl, script: post, args: [bodyFile, '', TOKEN], stored: t.stored.count });
    }
    await Bun.sleep(500); // requests still in flight when wrk stopped
    const [nChecks, nTasks] = [await secbot.stored.count(), await secbot.tasks.count()];
    if (nTasks !== nChecks * 3) throw new Error(`expected 3 tasks per check, found ${nTasks} tasks for ${nChecks} checks`);
    for (const t of [bare, secbot]) writeFileSync(join(work, `ids-${t.server}.txt`), (await t.stored.ids(1000)).join('\n'));
    const someId = readFileSync(join(work, 'ids-secbot.txt'), 'utf8').split('\n')[0];
    const sample = (await (await fetch(`${secbot.getUrl}v1/security/gitlab/check/${someId}`)).json()) as { status: string };
    if (sample.status !== 'in_progress') throw new Error(`unexpected gate answer ${JSON.stringify(sample)}`);
    for (let round = 1; round <= ROUNDS && CASES.has('GET'); round++) {
      for (const t of [bare, secbot]) {
        await measure({ backend: kind, what: 'GET', server: t.server, pid: t.getPid, url: t.getUrl, script: get, args: [join(work, `ids-${t.server}.txt`), t.getPrefix] });
      }
    }
  } finally {
    await secbot.stop();
    await bare.stop();
  }
}

/** The round with the median req/s (its latencies belong to that same round). */
function medianRow(xs: Row[]): Row {
  return [...xs].sort((a, b) => a.r.rps - b.r.rps)[Math.floor((xs.length - 1) / 2)]!;
}

async function main() {
  ensureBinary();
  console.log('intake benchmark');
  console.log(machineFacts());
  console.log(`load generator: ${wrkVersion()}, ${THREADS} threads × ${CONNS} connections, ${SECONDS} s per case after ${WARMUP} s warm-up, ${ROUNDS} rounds alternating bare and SecBot, on the same machine as the server`);
  const bodyFile = join(work, 'push.json');
  const tpl = bodyTemplate();
  writeFileSync(bodyFile, tpl);
  console.log(`body: GitLab push payload, ${Buffer.byteLength(tpl.replaceAll('@SHA@', 'x'.repeat(40)))} bytes; each POST a new commit SHA; SecBot job: 1 scan + 1 output + 1 notification = 3 tasks`);
  console.log(`SecBot: ${BINARY} intake + results (two processes, no worker), SQLite synchronous=FULL (default), log level info to a file; bare: Bun.serve + bun:sqlite (WAL, synchronous=FULL) / postgres.js (max 10), one INSERT per POST\n`);
  const post = script('post.lua');
  const get = script('get.lua');
  for (const kind of BACKENDS) {
    console.log(`${kind}:`);
    await backendCase(kind, bodyFile, post, get);
  }
  console.log(`\nload average at end: ${loadNow()}`);
  console.log(`\nmedian round of ${ROUNDS} (lower median for an even count):`);
  console.log('| backend | request | bare req/s | bare p50 / p99 ms | SecBot req/s | SecBot p50 / p99 ms | SecBot / bare | SecBot CPU |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const kind of BACKENDS) {
    for (const what of ['POST', 'POST-paced', 'GET'] as const) {
      if (!rows.some((x) => x.backend === kind && x.what === what)) continue;
      const b = medianRow(rows.filter((x) => x.backend === kind && x.what === what && x.server === 'bare'));
      const s = medianRow(rows.filter((x) => x.backend === kind && x.what === what && x.server === 'secbot'));
      const label =
        what === 'POST'
          ? 'POST webhook (new check + 3 tasks), saturating'
          : what === 'POST-paced'
            ? `POST webhook, bounded load (random 0–${2 * THINK_MS} ms think time per connection)`
            : 'GET status (existing check), saturating';
      console.log(
        `| ${kind} | ${label} | ${Math.round(b.r.rps)} | ${b.r.p50ms.toFixed(2)} / ${b.r.p99ms.toFixed(2)} | ${Math.round(s.r.rps)} | ${s.r.p50ms.toFixed(2)} / ${s.r.p99ms.toFixed(2)} | ${((s.r.rps / b.r.rps) * 100).toFixed(0)} % | ${(s.cpu * 100).toFixed(0)} % |`,
      );
    }
  }
  console.log(`\nSaturating rows: every connection sends its next request as soon as it has the answer, so latency = ${CONNS} / throughput (Little's law).`);
  console.log('The bounded-load row offers the same load to both servers; there req/s is the offered load and the ratio is not a capacity ratio.');
  console.log('aims: SecBot ≥ 70 % of bare, p99 < 20 ms. "SecBot CPU" is the server process CPU over the measured run (100 % = one core).');
  console.log(reproduceLine('bench/intake/run.ts'));
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
