/**
 * End-to-end benchmark of the compiled binary: webhook → gitleaks → DefectDojo → Slack → gate verdict, with the fake
 * GitLab (real repositories over git smart HTTP, served by `git http-backend`), the fake DefectDojo and the fake Slack
 * running in this bench process. Two layouts, one after the other in the same run:
 *   (a) `secbot all` on SQLite (synchronous=FULL, the default)
 *   (b) `secbot intake` + 2 × `secbot worker` + `secbot results`, separate processes, on Postgres
 * SecBot runs with its default settings (worker concurrency 4, poll 500 ms, gate cache TTL 30 s) except ports,
 * bind address and cache directory.
 *
 * M generated repositories (with H commits of history each) get, per layout:
 *   phase 1 "one at a time": every repository in parallel pushes K commits one after another, each delivered
 *     and awaited (gate polled until a final verdict) before the next: the first push of a repository meets a cold
 *     mirror cache (SecBot clones), the later ones a warm cache. Up to M checks are in flight (they share the
 *     workers' 4 task slots each), so these latencies include some queueing.
 *   phase 2 "isolated": one more push per repository, one repository after the other: a single check in flight in
 *     the whole system, warm cache (the latency of one push on an otherwise idle SecBot).
 *   phase 3 "burst": N deliveries (N/M per repository, each a 1-commit push of a new commit) sent as fast as
 *     20 concurrent senders can: deliveries/s accepted (HTTP 200 = check and tasks committed), then the time until
 *     every gate is final (checks/s end to end) and the latency webhook → verdict under that backlog.
 * Every 4th push plants a fake AWS key built at run time; its verdict must be `fail`, the others `success`.
 * Latency = from just before the POST to the first gate poll that answers a final status (polled every 50 ms).
 *
 * Beside it, the original SecBot's fixed costs for one check: a fresh full `git clone` of one generated repository +
 * gitleaks over its full history (measured) + the 120 s it slept for DefectDojo deduplication (a stated constant).
 *
 *   bun bench/e2e/run.ts [--deliveries 200] [--repos 10] [--history 1000] [--sequential 5] [--layouts all,separate]
 * Postgres: SECBOT_TEST_PG_URL (default postgres://secbot:secbot@127.0.0.1:5432/secbot). SECBOT_BENCH_BINARY runs another
 * build instead of dist/secbot.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { securityCheckId } from '../../src/core/check-id.ts';
import { startFakeDefectDojo } from '../../test/fakes/defectdojo/server.ts';
import { startFakeGitLab } from '../../test/fakes/gitlab.ts';
import { startFakeSlack } from '../../test/fakes/slack.ts';
import { createDatabaseUrl, type DbKind } from '../../test/helpers/db.ts';
import { createBareRepo, git, type BareRepo } from '../../test/helpers/git-repo.ts';
import { HEADERS, pushPayload } from '../../test/helpers/payloads.ts';
import { fakeAwsKey } from '../../test/helpers/secrets.ts';
import { loadNow, machineFacts, reproduceLine } from '../lib/machine.ts';
import { childrenCpuSeconds, cpuSeconds, memory } from '../lib/proc.ts';
import { BINARY, ensureBinary, ROOT, startSecbotBinary, type BenchProcess } from '../lib/secbot-bin.ts';
import { benchConfig } from '../lib/config.ts';

process.env.PATH = `${join(ROOT, '.tools', 'bin')}:${process.env.PATH ?? ''}`;

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}
const N = Number(opt('deliveries', '200'));
const M = Number(opt('repos', '10'));
const HISTORY = Number(opt('history', '1000'));
const K = Number(opt('sequential', '5'));
const LAYOUTS = opt('layouts', 'all,separate').split(',') as Layout[];
const SENDERS = 20;
const ORIGINAL_WAIT_S = 120;

type Layout = 'all' | 'separate';
const WEBHOOK_TOKEN = ['whsec', 'bench', 'e2e', '0123456789'].join('-');
const GITLAB_TOKEN = ['glpat', 'bench', 'e2e', 'abcdef123456'].join('-');
const SLACK_TOKEN = ['xoxb', 'bench', 'e2e', '0123456789'].join('-');
const PREFIX = 'BENCH';
const CONFIG = benchConfig();

const work = mkdtempSync(join(tmpdir(), 'secbot-bench-e2e-'));

interface Push {
  repo: string;
  index: number;
  before: string;
  after: string;
  leak: boolean;
  /** This push or an earlier one of the chain planted a key: the commit's history holds an untriaged leak. */
  historyLeak: boolean;
  checkId: string;
  sentAt?: number;
  acceptedAt?: number;
  finalAt?: number;
  verdict?: string;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const secs = (ms: number) => (Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(2)} s`);

/** M repositories with H commits of history and, per repository, a chain of `pushes` further commits. */
function makeRepos(reposDir: string, layout: Layout, pushes: number): { repos: BareRepo[]; chains: Map<string, Push[]> } {
  const repos: BareRepo[] = [];
  const chains = new Map<string, Push[]>();
  let n = 0;
  for (let r = 0; r < M; r++) {
    const repo = createBareRepo(reposDir, `bench-${layout}/service-${r}`);
    repo.generateHistory(HISTORY, {
      files: (i) => ({ [`src/module-${i % 100}.ts`]: Array.from({ length: 20 }, (_, l) => `export const v${l} = ${i * 20 + l};`).join('\n') + '\n' }),
    });
    let before = repo.revParse('refs/heads/main');
    const chain: Push[] = [];
    let historyLeak = false;
    for (let k = 0; k < pushes; k++) {
      const leak = n++ % 4 === 3;
      const files = leak
        ? { [`config/deploy-${k}.env`]: `AWS_REGION=eu-west-1\nAWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }
        : { [`src/feature-${k}.ts`]: `export function feature${k}(x: number): number {\n  return x * ${k + 1};\n}\n` };
      const after = repo.commit({ files, message: leak ? `deploy config ${k}` : `feature ${k}` });
      historyLeak ||= leak;
      chain.push({ repo: repo.name, index: k, before, after, leak, historyLeak, checkId: '' });
      before = after;
    }
    repos.push(repo);
    chains.set(repo.name, chain);
  }
  return { repos, chains };
}

interface Ctx {
  intakeUrl: string;
  resultsUrl: string;
  gitlabUrl: string;
}

async function deliver(ctx: Ctx, p: Push): Promise<void> {
  p.checkId = securityCheckId(PREFIX, '127.0.0.1', p.repo, p.after);
  p.sentAt = performance.now();
  const res = await fetch(`${ctx.intakeUrl}/v1/gitlab/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gitlab-token': WEBHOOK_TOKEN, 'x-gitlab-event': HEADERS.push },
    body: JSON.stringify(pushPayload({ gitlabUrl: ctx.gitlabUrl, path: p.repo, before: p.before, after: p.after })),
  });
  const body = (await res.json()) as { status: string };
  if (res.status !== 200 || body.status !== 'accepted') throw new Error(`delivery not accepted: ${res.status} ${JSON.stringify(body)}`);
  p.acceptedAt = performance.now();
}

const FINAL = new Set(['success', 'fail', 'error']);

/** Polls the gate of every push until each is final (or the deadline). */
async function awaitVerdicts(ctx: Ctx, pushes: Push[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let pending = pushes.filter((p) => p.finalAt === undefined);
  while (pending.length > 0) {
    if (performance.now() > deadline) throw new Error(`${pending.length} checks not final after ${timeoutMs} ms`);
    const queue = [...pending];
    await Promise.all(
      Array.from({ length: Math.min(8, queue.length) }, async () => {
        for (let p = queue.shift(); p; p = queue.shift()) {
          const st = (await (await fetch(`${ctx.resultsUrl}/v1/security/gitlab/check/${p.checkId}`)).json()) as { status: string };
          if (FINAL.has(st.status)) {
            p.finalAt = performance.now();
            p.verdict = st.status;
          }
        }
      }),
    );
    pending = pending.filter((p) => p.finalAt === undefined);
    if (pending.length > 0) await Bun.sleep(50);
  }
}

interface LayoutResult {
  layout: Layout;
  sequential: { cold: number[]; warm: number[]; seconds: number };
  isolated: number[];
  burst: { acceptedPerSec: number; acceptSeconds: number; drainSeconds: number; latencies: number[]; coldLatencies: number[] };
  wrong: string[];
  procs: { name: string; cpu: number; children: number; hwm: number }[];
  idleRssMiB: number | null;
  benchCpu: { self: number; children: number };
  dojoTests: number;
  slackMessages: number;
  /** Planted keys found in some Slack message, of how many. */
  slackAnnounced: string;
  slackDrainSeconds: number;
  taskMeans: Map<string, { count: number; meanMs: number }>;
}

/** Mean task duration by kind and handler, from secbot_task_duration_seconds on every worker. */
async function taskDurations(procs: BenchProcess[]): Promise<Map<string, { count: number; meanMs: number }>> {
  const acc = new Map<string, { sum: number; count: number }>();
  for (const p of procs) {
    const port = p.name === 'all' ? p.ports.intake : p.ports.worker;
    if (!port || !(p.name === 'all' || p.name.startsWith('worker'))) continue;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const m of text.matchAll(/^secbot_task_duration_seconds_(sum|count)\{([^}]*)\} ([0-9.e+-]+)$/gm)) {
      const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      const key = `${labels.kind}/${labels.handler}`;
      const a = acc.get(key) ?? { sum: 0, count: 0 };
      if (m[1] === 'sum') a.sum += Number(m[3]);
      else a.count += Number(m[3]);
      acc.set(key, a);
    }
  }
  return new Map([...acc].map(([k, v]) => [k, { count: v.count, meanMs: (v.sum / Math.max(1, v.count)) * 1000 }]));
}

async function runLayout(layout: Layout): Promise<LayoutResult> {
  const reposDir = join(work, `repos-${layout}`);
  mkdirSync(reposDir, { recursive: true });
  const perRepoBurst = Math.ceil(N / M);
  const t0 = performance.now();
  const { chains } = makeRepos(reposDir, layout, K + 1 + perRepoBurst);
  console.log(`  ${M} repositories × ${HISTORY} commits of history + ${K + 1 + perRepoBurst} pushes each generated in ${secs(performance.now() - t0)}`);
  const gitlab = startFakeGitLab({ reposDir, token: GITLAB_TOKEN });
  const dojo = startFakeDefectDojo({ enableDeduplication: true });
  const slack = startFakeSlack({ token: SLACK_TOKEN, channels: 'any' });
  const kind: DbKind = layout === 'all' ? 'sqlite' : 'postgres';
  const { url, drop } = await createDatabaseUrl(kind);
  const configPath = join(work, `config-${layout}.yml`);
  writeFileSync(configPath, CONFIG);
  const env: Record<string, string> = {
    GITLAB_CONFIGS: JSON.stringify([{ host: `${gitlab.url}/`, webhook_secret_token: WEBHOOK_TOKEN, auth_token: GITLAB_TOKEN, prefix: PREFIX }]),
    DEFECTDOJO__URL: dojo.url,
    DEFECTDOJO__TOKEN: dojo.token,
    DEFECTDOJO__USER: 'secbot',
    DEFECTDOJO__USER_ID: '1',
    SLACK_TOKEN,
    SECBOT_SLACK_API_URL: slack.url,
    SECBOT_DATABASE_URL: url,
    SECBOT_CONFIG: configPath,
    SECBOT_CACHE_DIR: join(work, `cache-${layout}`),
    SECBOT_BIND: '127.0.0.1',
    SECBOT_INTAKE_PORT: '0',
    SECBOT_RESULTS_PORT: '0',
    SECBOT_WORKER_PORT: '0',
  };
  const procs: BenchProcess[] = [];
  const logs = join(work, `logs-${layout}`);
  mkdirSync(logs);
  let idleRssMiB: number | null = null;
  const bench0 = process.cpuUsage();
  const children0 = childrenCpu();
  try {
    if (layout === 'all') {
      const p = await startSecbotBinary('all', ['all'], env, join(logs, 'all.log'));
      procs.push(p);
      await Bun.sleep(3000);
      idleRssMiB = memory(p.pid).rssMiB;
    } else {
      procs.push(await startSecbotBinary('intake', ['intake'], env, join(logs, 'intake.log')));
      const noMigrate = { ...env, SECBOT_MIGRATE_ON_START: 'false' };
      procs.push(await startSecbotBinary('results', ['results'], noMigrate, join(logs, 'results.log')));
      procs.push(await startSecbotBinary('worker-1', ['worker'], noMigrate, join(logs, 'worker-1.log')));
      procs.push(await startSecbotBinary('worker-2', ['worker'], noMigrate, join(logs, 'worker-2.log')));
    }
    const cpu0 = new Map(procs.map((p) => [p.name, cpuSeconds(p.pid)]));
    const kids0 = new Map(procs.map((p) => [p.name, childrenCpuSeconds(p.pid)]));
    const intake = procs.find((p) => p.ports.intake)!;
    const results = procs.find((p) => p.ports.results)!;
    const ctx: Ctx = { intakeUrl: `http://127.0.0.1:${intake.ports.intake}`, resultsUrl: `http://127.0.0.1:${results.ports.results}`, gitlabUrl: gitlab.url };

    // Phase 1: one push at a time per repository (cold first push, then warm).
    const seq = [...chains.values()].map((c) => c.slice(0, K));
    const s0 = performance.now();
    await Promise.all(
      seq.map(async (chain) => {
        for (const p of chain) {
          await deliver(ctx, p);
          await awaitVerdicts(ctx, [p], 180_000);
        }
      }),
    );
    const seqSeconds = (performance.now() - s0) / 1000;
    const seqAll = seq.flat();
    const lat = (p: Push) => p.finalAt! - p.sentAt!;
    const sequential = { cold: seqAll.filter((p) => p.index === 0).map(lat), warm: seqAll.filter((p) => p.index > 0).map(lat), seconds: seqSeconds };
    console.log(`  one at a time: ${seqAll.length} checks in ${seqSeconds.toFixed(1)} s; cold p50 ${secs(pct(sequential.cold, 50))}, warm p50 ${secs(pct(sequential.warm, 50))} p99 ${secs(pct(sequential.warm, 99))}`);

    // Phase 2: isolated pushes on a warm cache: one check in flight in the whole system, one push per repository.
    const isolated = [...chains.values()].map((c) => c[K]!);
    for (const p of isolated) {
      await deliver(ctx, p);
      await awaitVerdicts(ctx, [p], 180_000);
    }
    const isolatedLat = isolated.map(lat);
    console.log(`  isolated (one check in flight, warm): p50 ${secs(pct(isolatedLat, 50))}, max ${secs(pct(isolatedLat, 100))}`);

    // Phase 3: burst of N deliveries, interleaved across repositories (each repository's pushes in order).
    const burst: Push[] = [];
    for (let k = 0; k < perRepoBurst; k++) for (const c of chains.values()) if (burst.length < N) burst.push(c[K + 1 + k]!);
    const b0 = performance.now();
    const sendQueue = [...burst];
    await Promise.all(Array.from({ length: SENDERS }, async () => {
      for (let p = sendQueue.shift(); p; p = sendQueue.shift()) await deliver(ctx, p);
    }));
    const acceptSeconds = (performance.now() - b0) / 1000;
    await awaitVerdicts(ctx, burst, 600_000);
    const drainSeconds = (performance.now() - b0) / 1000;
    const burstRes = { acceptedPerSec: burst.length / acceptSeconds, acceptSeconds, drainSeconds, latencies: burst.map(lat), coldLatencies: [] as number[] };
    console.log(`  burst: ${burst.length} deliveries accepted in ${acceptSeconds.toFixed(2)} s (${burstRes.acceptedPerSec.toFixed(0)}/s); all final after ${drainSeconds.toFixed(1)} s (${(burst.length / drainSeconds).toFixed(1)} checks/s)`);

    // A planted key is announced once, by whichever check scanned its commit first: with two workers a later push's
    // check may scan (and announce) an earlier push's key together with its own, so count keys, not messages.
    const planted = [...seqAll, ...isolated, ...burst].filter((p) => p.leak);
    const announced = () => {
      const text = JSON.stringify(slack.messages);
      return planted.filter((p) => text.includes(p.after.slice(0, 8))).length;
    };
    const slackDeadline = performance.now() + 180_000;
    while (announced() < planted.length && performance.now() < slackDeadline) await Bun.sleep(100);
    const slackDrainSeconds = (performance.now() - b0) / 1000;
    console.log(`  Slack: ${announced()} of ${planted.length} planted keys announced, in ${slack.messages.length} messages, after ${slackDrainSeconds.toFixed(1)} s (notification tasks queue behind the scans of later checks)`);
    const taskMeans = await taskDurations(procs);
    // A commit answers for its history: after the first planted key, every later push of that chain fails too.
    const wrong = [...seqAll, ...isolated, ...burst]
      .filter((p) => p.verdict !== (p.historyLeak ? 'fail' : 'success'))
      .map((p) => `${p.repo}#${p.index}: ${p.verdict} (history leak: ${p.historyLeak})`);
    const procStats = procs.map((p) => ({
      name: p.name,
      cpu: cpuSeconds(p.pid) - cpu0.get(p.name)!,
      children: childrenCpuSeconds(p.pid) - kids0.get(p.name)!,
      hwm: memory(p.pid).hwmMiB,
    }));
    const benchCpu = process.cpuUsage(bench0);
    const children = childrenCpu() - children0;
    return {
      layout,
      sequential,
      isolated: isolatedLat,
      burst: burstRes,
      wrong,
      procs: procStats,
      idleRssMiB,
      benchCpu: { self: (benchCpu.user + benchCpu.system) / 1e6, children },
      dojoTests: dojo.state.tests.length,
      slackMessages: slack.messages.length,
      slackAnnounced: `${announced()} of ${planted.length}`,
      slackDrainSeconds,
      taskMeans,
    };
  } finally {
    for (const p of procs) await p.stop();
    await Promise.all([gitlab.stop(), dojo.stop(), slack.stop()]);
    await drop();
  }
}

/** CPU seconds of this process's reaped children (git http-backend, git in fixtures). */
const childrenCpu = () => childrenCpuSeconds('self');

/** The original's fixed costs for one check: fresh full clone + gitleaks over the whole history. */
async function originalWay(): Promise<{ cloneMs: number; scanMs: number }[]> {
  const reposDir = join(work, 'repos-original');
  mkdirSync(reposDir, { recursive: true });
  const repo = createBareRepo(reposDir, 'bench-original/service');
  repo.generateHistory(HISTORY, {
    files: (i) => ({ [`src/module-${i % 100}.ts`]: Array.from({ length: 20 }, (_, l) => `export const v${l} = ${i * 20 + l};`).join('\n') + '\n' }),
  });
  for (let k = 0; k < K + 1 + Math.ceil(N / M); k++) repo.commit({ files: { [`src/feature-${k}.ts`]: `export const f${k} = ${k};\n` }, message: `feature ${k}` });
  const gitlab = startFakeGitLab({ reposDir, token: GITLAB_TOKEN });
  const out: { cloneMs: number; scanMs: number }[] = [];
  try {
    for (let run = 0; run < 3; run++) {
      const dest = join(work, `original-clone-${run}`);
      const header = `Authorization: Basic ${Buffer.from(`oauth2:${GITLAB_TOKEN}`).toString('base64')}`;
      const env = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: header };
      const c0 = performance.now();
      const clone = await git(['clone', '--quiet', `${gitlab.url}/${repo.name}.git`, dest], { env });
      if (clone.exitCode !== 0) throw new Error(`clone failed: ${clone.stderr}`);
      const cloneMs = performance.now() - c0;
      const s0 = performance.now();
      const proc = Bun.spawn(['gitleaks', 'git', '--no-banner', '--no-color', '--redact', '--exit-code', '2', '--log-level', 'warn',
        '--report-format', 'json', '--report-path', join(work, `original-report-${run}.json`), dest], { stdout: 'ignore', stderr: 'pipe' });
      const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
      if (code !== 0 && code !== 2) throw new Error(`gitleaks failed (${code}): ${stderr}`);
      out.push({ cloneMs, scanMs: performance.now() - s0 });
      rmSync(dest, { recursive: true, force: true });
    }
  } finally {
    await gitlab.stop();
  }
  return out;
}

async function main() {
  ensureBinary();
  console.log('end-to-end benchmark');
  console.log(machineFacts());
  console.log(`SecBot binary: ${BINARY}`);
  console.log(`gitleaks ${Bun.spawnSync(['gitleaks', 'version']).stdout.toString().trim()}, ${Bun.spawnSync(['git', '--version']).stdout.toString().trim()}`);
  console.log(`${M} repositories × ${HISTORY} commits of history; phase 1: ${K} pushes per repository one at a time; phase 2: one isolated push per repository; phase 3: burst of ${N} deliveries (${SENDERS} concurrent senders); every 4th push plants a fake AWS key`);
  console.log('fakes (GitLab over git http-backend, DefectDojo, Slack) and the gate poller run in this bench process, on the same 2 cores as SecBot\n');
  const results: LayoutResult[] = [];
  for (const layout of LAYOUTS) {
    console.log(layout === 'all' ? '(a) secbot all, SQLite:' : '(b) intake + 2 workers + results, separate processes, Postgres:');
    results.push(await runLayout(layout));
  }
  console.log('\n(c) the original SecBot, one check (fresh full clone + gitleaks over the full history + 120 s fixed wait):');
  const orig = await originalWay();
  for (const o of orig) console.log(`  clone ${secs(o.cloneMs)}  gitleaks full history ${secs(o.scanMs)}`);
  const origMs = pct(orig.map((o) => o.cloneMs + o.scanMs), 50);
  const origTotal = origMs + ORIGINAL_WAIT_S * 1000;
  console.log(`\nload average at end: ${loadNow()}`);

  console.log('\n| layout | cold p50 (1st push/repo, ≤ M in flight) | warm p50 / p99 (≤ M in flight) | warm, isolated p50 / max | burst: deliveries/s accepted | burst: all final after | burst: checks/s | burst p50 / p99 verdict | wrong verdicts |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const name = r.layout === 'all' ? '(a) `secbot all`, SQLite' : '(b) intake + 2 workers + results, Postgres';
    console.log(
      `| ${name} | ${secs(pct(r.sequential.cold, 50))} | ${secs(pct(r.sequential.warm, 50))} / ${secs(pct(r.sequential.warm, 99))} | ${secs(pct(r.isolated, 50))} / ${secs(pct(r.isolated, 100))} | ${r.burst.acceptedPerSec.toFixed(0)} | ${r.burst.drainSeconds.toFixed(1)} s | ${(r.burst.latencies.length / r.burst.drainSeconds).toFixed(1)} | ${secs(pct(r.burst.latencies, 50))} / ${secs(pct(r.burst.latencies, 99))} | ${r.wrong.length} |`,
    );
  }
  console.log('\nCPU over both phases (utime+stime from /proc/<pid>/stat; children = reaped git and gitleaks processes):');
  console.log('| layout | process | CPU seconds | children CPU seconds | peak RSS (VmHWM) |');
  console.log('|---|---|---:|---:|---:|');
  for (const r of results) {
    for (const p of r.procs) console.log(`| ${r.layout} | ${p.name} | ${p.cpu.toFixed(1)} s | ${p.children.toFixed(1)} s | ${p.hwm.toFixed(0)} MiB |`);
    console.log(`| ${r.layout} | bench process (fakes + poller) | ${r.benchCpu.self.toFixed(1)} s | ${r.benchCpu.children.toFixed(1)} s (git http-backend) | — |`);
  }
  console.log('\nmean task duration (secbot_task_duration_seconds, both phases; run time only, not queueing):');
  for (const r of results) console.log(`  ${r.layout}: ${[...r.taskMeans].map(([k, v]) => `${k} ${v.meanMs.toFixed(0)} ms (${v.count})`).join(', ')}`);
  for (const r of results) {
    if (r.idleRssMiB !== null) console.log(`\n\`secbot all\` idle RSS 3 s after start: ${r.idleRssMiB.toFixed(0)} MiB (aim ≤ 120 MB)`);
    console.log(`${r.layout}: DefectDojo tests ${r.dojoTests}, Slack messages ${r.slackMessages}, planted keys announced ${r.slackAnnounced} (${r.slackDrainSeconds.toFixed(1)} s after the burst began)${r.wrong.length ? `; WRONG: ${r.wrong.slice(0, 5).join('; ')}` : ''}`);
  }
  console.log(`\noriginal SecBot per check: clone + scan ${secs(origMs)} (median of 3) + ${ORIGINAL_WAIT_S} s wait = ${secs(origTotal)}`);
  for (const r of results) {
    const w = pct(r.sequential.warm, 50);
    const iso = pct(r.isolated, 50);
    console.log(`  ${r.layout}: original / SecBot warm p50 = ${(origTotal / w).toFixed(0)}× (isolated: ${(origTotal / iso).toFixed(0)}×); without the 120 s wait: ${(origMs / w).toFixed(2)}× (isolated: ${(origMs / iso).toFixed(2)}×)`);
  }
  console.log(`aims: warm p50 verdict ≤ 2 s (${results.map((r) => `${r.layout} ${secs(pct(r.sequential.warm, 50))}, isolated ${secs(pct(r.isolated, 50))}`).join('; ')}); secbot all idle RSS ≤ 120 MB`);
  console.log(reproduceLine('bench/e2e/run.ts'));
}

try {
  await main();
} finally {
  // SECBOT_BENCH_KEEP=1 keeps the processes' logs and the repositories for a post-mortem.
  if (process.env.SECBOT_BENCH_KEEP === '1') console.log(`kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
