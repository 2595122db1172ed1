/**
 * A push with many leaks, end to end, against a real DefectDojo (issue #12 item 4): the compiled binary (`secbot all`
 * on SQLite, default settings), real git over smart HTTP from the fake GitLab, the real gitleaks, the fake Slack, and
 * the real DefectDojo behind a timing proxy in this process that records every DefectDojo request SecBot makes.
 *
 * Each run pushes one commit adding N GitHub-token-shaped secrets (one file, one per line) to a project; the clock
 * runs from just before the webhook POST to the first gate poll (every 100 ms) that answers a final verdict.
 * Run 1 uses a new project (product type, product and engagement are created); later runs push N more secrets to the
 * same project, so the product already holds (run − 1) × N findings when SecBot looks them up.
 * Printed per run: total, the scan task, the output task, DefectDojo's import request, and the other DefectDojo
 * requests (count, total time) — the batching shows in the count.
 *
 *   bun bench/dojo-push/run.ts [--findings 300] [--runs 2] [--detail]   (--detail: every DefectDojo request of each run)
 * DefectDojo: DEFECTDOJO_CONTRACT_URL / DEFECTDOJO_CONTRACT_TOKEN, else DEFECTDOJO__URL / DEFECTDOJO__TOKEN
 * (`eval "$(../shared/defectdojo/defectdojo.sh env | sed 's/^/export /')"`).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { securityCheckId } from '../../src/core/check-id.ts';
import { startFakeGitLab } from '../../test/fakes/gitlab.ts';
import { startFakeSlack } from '../../test/fakes/slack.ts';
import { createBareRepo } from '../../test/helpers/git-repo.ts';
import { HEADERS, pushPayload } from '../../test/helpers/payloads.ts';
import { fakeGithubPat } from '../../test/helpers/secrets.ts';
import { benchConfig } from '../lib/config.ts';
import { machineFacts, reproduceLine } from '../lib/machine.ts';
import { ensureBinary, ROOT, startSecbotBinary } from '../lib/secbot-bin.ts';

process.env.PATH = `${join(ROOT, '.tools', 'bin')}:${process.env.PATH ?? ''}`;

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}
const N = Number(opt('findings', '300'));
const RUNS = Number(opt('runs', '2'));
const DETAIL = process.argv.includes('--detail');
const DD_URL = (process.env.DEFECTDOJO_CONTRACT_URL ?? process.env.DEFECTDOJO__URL ?? '').replace(/\/+$/, '');
const DD_TOKEN = process.env.DEFECTDOJO_CONTRACT_TOKEN ?? process.env.DEFECTDOJO__TOKEN ?? '';
if (!DD_URL || !DD_TOKEN) throw new Error('set DEFECTDOJO_CONTRACT_URL and DEFECTDOJO_CONTRACT_TOKEN (or DEFECTDOJO__URL / DEFECTDOJO__TOKEN)');

const WEBHOOK_TOKEN = ['whsec', 'bench', 'dojo', '0123456789'].join('-');
const GITLAB_TOKEN = ['glpat', 'bench', 'dojo', 'abcdef123456'].join('-');
const SLACK_TOKEN = ['xoxb', 'bench', 'dojo', '0123456789'].join('-');
const PREFIX = 'BENCH';
const RUN_ID = Date.now().toString(36);

interface DojoCall {
  method: string;
  path: string;
  startedAt: number;
  ms: number;
  status: number;
}

/** A reverse proxy that times each DefectDojo request (it adds well under a millisecond per request). */
function timingProxy(target: string, calls: DojoCall[]) {
  return Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    reusePort: false,
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const startedAt = performance.now();
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer();
      const res = await fetch(`${target}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body, redirect: 'manual' });
      const bytes = await res.arrayBuffer();
      calls.push({ method: req.method, path: url.pathname, startedAt, ms: performance.now() - startedAt, status: res.status });
      const headers = new Headers(res.headers);
      headers.delete('content-encoding');
      headers.delete('content-length');
      return new Response(bytes, { status: res.status, headers });
    },
  });
}

interface TaskSpan {
  kind: string;
  ms: number;
}

/** Durations of the check's tasks from SecBot's JSON log ("task started" → "task done"). */
function taskSpans(logFile: string, checkId: string): TaskSpan[] {
  const started = new Map<string, number>();
  const spans: TaskSpan[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes(checkId)) continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line);
    } catch {
      continue;
    }
    const task = String(rec.task_id ?? '');
    if (rec.msg === 'task started') started.set(task, Date.parse(String(rec.ts)));
    if (rec.msg === 'task done' && started.has(task)) spans.push({ kind: String(rec.task ?? rec.kind ?? rec.handler ?? task), ms: Date.parse(String(rec.ts)) - started.get(task)! });
  }
  return spans;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  ensureBinary();
  console.log(machineFacts());
  console.log(reproduceLine('bench/dojo-push/run.ts'));
  console.log(`DefectDojo: ${DD_URL}; ${N} leaks per push; ${RUNS} runs\n`);
  const work = mkdtempSync(join(tmpdir(), 'secbot-bench-dojo-'));
  const reposDir = join(work, 'repos');
  mkdirSync(reposDir);
  const calls: DojoCall[] = [];
  const proxy = timingProxy(DD_URL, calls);
  const gitlab = startFakeGitLab({ reposDir, token: GITLAB_TOKEN });
  const slack = startFakeSlack({ token: SLACK_TOKEN });
  const logFile = join(work, 'secbot.log');
  const secbot = await startSecbotBinary('all', ['all'], {
    GITLAB_CONFIGS: JSON.stringify([{ host: `${gitlab.url}/`, webhook_secret_token: WEBHOOK_TOKEN, auth_token: GITLAB_TOKEN, prefix: PREFIX }]),
    DEFECTDOJO__URL: `http://127.0.0.1:${proxy.port}`,
    DEFECTDOJO__TOKEN: DD_TOKEN,
    DEFECTDOJO__USER: 'admin',
    DEFECTDOJO__USER_ID: '1',
    SLACK_TOKEN,
    SECBOT_SLACK_API_URL: slack.url,
    SECBOT_DATABASE_URL: join(work, 'secbot.sqlite'),
    SECBOT_CONFIG: await writeConfig(work),
    SECBOT_CACHE_DIR: join(work, 'cache'),
    SECBOT_BIND: '127.0.0.1',
    SECBOT_INTAKE_PORT: '0',
    SECBOT_RESULTS_PORT: '0',
  }, logFile);
  const intake = `http://127.0.0.1:${secbot.ports.intake}`;
  const results = `http://127.0.0.1:${secbot.ports.results}`;
  const path = `bench-${RUN_ID}/many-leaks`;
  const repo = createBareRepo(reposDir, path);
  let before = repo.commit({ files: { 'README.md': 'bench\n' }, message: 'init' });
  console.log('| run | product findings before | total | scan task | output task | import-scan | other DefectDojo requests |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  try {
    for (let run = 1; run <= RUNS; run++) {
      const lines = Array.from({ length: N }, (_, i) => `token_${run}_${i} = "${fakeGithubPat()}"`).join('\n');
      const after = repo.commit({ files: { [`tokens_${run}.py`]: `${lines}\n` }, message: `add tokens ${run}` });
      const checkId = securityCheckId(PREFIX, '127.0.0.1', path, after);
      const from = calls.length;
      const t0 = performance.now();
      const res = await fetch(`${intake}/v1/gitlab/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-token': WEBHOOK_TOKEN, 'x-gitlab-event': HEADERS.push },
        body: JSON.stringify(pushPayload({ gitlabUrl: gitlab.url, path, before, after })),
      });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      let st: { status: string; scans?: { finding_count: number }[] } = { status: '' };
      while (!['fail', 'success', 'error'].includes(st.status)) {
        await Bun.sleep(100);
        st = (await (await fetch(`${results}/v1/security/gitlab/check/${checkId}`)).json()) as typeof st;
      }
      const total = performance.now() - t0;
      if (st.status !== 'fail' || st.scans?.[0]?.finding_count !== N) throw new Error(`run ${run}: unexpected verdict ${JSON.stringify(st).slice(0, 400)}`);
      const mine = calls.slice(from);
      const imports = mine.filter((c) => c.path.endsWith('/import-scan/'));
      const others = mine.filter((c) => !c.path.endsWith('/import-scan/'));
      const spans = taskSpans(logFile, checkId);
      const span = (k: string) => spans.filter((s) => s.kind.includes(k)).reduce((a, s) => a + s.ms, 0);
      console.log(
        `| ${run} | ${(run - 1) * N} | ${secs(total)} | ${secs(span('scan'))} | ${secs(span('output'))} | ${imports.map((c) => secs(c.ms)).join(' + ')} | ${others.length} requests, ${secs(others.reduce((a, c) => a + c.ms, 0))} |`,
      );
      if (DETAIL) for (const c of mine) console.log(`    ${c.method} ${c.path} ${c.status} ${secs(c.ms)} (at +${secs(c.startedAt - t0)})`);
      before = after;
    }
  } finally {
    await secbot.stop();
    proxy.stop(true);
    await gitlab.stop();
    await slack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function writeConfig(dir: string): Promise<string> {
  const file = join(dir, 'config.yml');
  await Bun.write(file, benchConfig().replace('handler_name: defectdojo\n', `handler_name: defectdojo\n    config: { product_type_name: "bench-${RUN_ID}" }\n`));
  return file;
}

await main();
