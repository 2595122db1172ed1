/**
 * Scan benchmark: a generated repository (10,000 commits by default) behind the fake GitLab (real git smart HTTP),
 * then a 1-commit push scanned three ways:
 *   (a) the original way: fresh `git clone` of the whole repository + `gitleaks git` over the full history
 *   (b) SecBot, cold cache: empty mirror cache, diff mode
 *   (c) SecBot, warm cache: the mirror already holds the history before the push, diff mode
 * Each run pushes a new commit; the figures are medians over the runs.
 *
 *   bun bench/scan/run.ts [--commits 10000] [--runs 3] [--rules secbot|gitleaks-default]
 *
 * --rules picks the component's rules setting for (b) and (c) (default: SecBot's pack, as shipped).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, type Settings } from '../../src/config/settings.ts';
import type { CheckRecord } from '../../src/core/check.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { gitleaksConfigSchema } from '../../src/plugins/scanners/gitleaks/config.ts';
import { gitleaksDefinition } from '../../src/plugins/scanners/gitleaks/index.ts';
import { startFakeGitLab } from '../../test/fakes/gitlab.ts';
import { createBareRepo, git } from '../../test/helpers/git-repo.ts';

const ROOT_DIR = join(import.meta.dir, '..', '..');
process.env.PATH = `${join(ROOT_DIR, '.tools', 'bin')}:${process.env.PATH ?? ''}`;
const TOKEN = ['glpat', 'bench', 'token', '0000'].join('-');
const PREFIX = 'BENCH';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const RULES = process.argv.includes('--rules') ? process.argv[process.argv.indexOf('--rules') + 1]! : 'secbot';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function settingsFor(url: string, cacheDir: string): Settings {
  return loadSettings({
    GITLAB_CONFIGS: JSON.stringify([{ host: url, webhook_secret_token: 'whsecret-123', auth_token: TOKEN, prefix: PREFIX }]),
    SECBOT_CACHE_DIR: cacheDir,
    SECBOT_GITLEAKS_BIN: 'gitleaks',
  });
}

function checkFor(s: Settings, projectPath: string, before: string, after: string): CheckRecord {
  const inst = s.gitlab[0]!;
  return {
    id: `${PREFIX}-bench`, generation: 1, jobName: null, createdAt: Date.now(), eventType: 'push', instancePrefix: PREFIX,
    host: inst.host, hostname: inst.hostname, projectPath, projectId: null, projectUrl: `${inst.baseUrl}/${projectPath}`,
    commitSha: after, ref: { kind: 'branch', name: 'main' }, beforeSha: before, mergeRequest: null, userName: 'bench',
  };
}

async function secbotScan(s: Settings, check: CheckRecord) {
  const scanner = gitleaksDefinition.create({ name: 'gitleaks', config: gitleaksConfigSchema.parse({ rules: RULES }), env: {}, settings: s, logger: silentLogger, fetch });
  // The warm case: SecBot covered the history up to `before` (an earlier completed scan), so one commit is new.
  const history = { coveredCommits: check.beforeSha ? [check.beforeSha] : [], leakCommits: [] };
  const report = await scanner.scan({ check, instance: s.gitlab[0]!, signal: new AbortController().signal, log: silentLogger, scanName: 'gitleaks', history });
  if (report.summary.commits !== 1) throw new Error(`expected a 1-commit range, got ${report.summary.commits}`);
  return report;
}

/** (a): what a scanner without a cache does on every push. Returns the clone's share of the time. */
async function originalWay(url: string, work: string): Promise<number> {
  const dest = join(work, 'clone');
  const t0 = performance.now();
  const header = `Authorization: Basic ${Buffer.from(`oauth2:${TOKEN}`).toString('base64')}`;
  const env = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: header };
  const clone = await git(['clone', '--quiet', url, dest], { env });
  if (clone.exitCode !== 0) throw new Error(`clone failed: ${clone.stderr}`);
  const cloneMs = performance.now() - t0;
  const proc = Bun.spawn(['gitleaks', 'git', '--no-banner', '--no-color', '--redact', '--exit-code', '2', '--log-level', 'warn',
    '--report-format', 'json', '--report-path', join(work, 'report.json'), dest], { cwd: work, stdout: 'ignore', stderr: 'pipe' });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  if (code !== 0 && code !== 2) throw new Error(`gitleaks failed (${code}): ${stderr}`);
  rmSync(dest, { recursive: true, force: true });
  return cloneMs;
}

async function main() {
  const commits = arg('commits', 10_000);
  const runs = arg('runs', 3);
  const root = mkdtempSync(join(tmpdir(), 'secbot-bench-scan-'));
  const reposDir = join(root, 'repos');
  mkdirSync(reposDir);
  const repo = createBareRepo(reposDir, 'bench/big');
  const gen = await timed(async () =>
    repo.generateHistory(commits, {
      files: (i) => ({ [`src/module-${i % 300}.ts`]: Array.from({ length: 20 }, (_, l) => `export const v${l} = ${i * 20 + l};`).join('\n') + '\n' }),
    }),
  );
  const fake = startFakeGitLab({ reposDir, token: TOKEN });
  const url = `${fake.url}/${repo.name}.git`;
  const warm = settingsFor(fake.url, join(root, 'cache-warm'));
  console.log(`repository: ${commits} commits generated in ${secs(gen.ms)}; gitleaks ${Bun.spawnSync(['gitleaks', 'version']).stdout.toString().trim()}; ${runs} runs; rules ${RULES}`);
  try {
    // The warm cache has seen the project before this benchmark's pushes.
    const tip = repo.revParse('refs/heads/main');
    await secbotScan(warm, checkFor(warm, repo.name, gen.value.shas[commits - 2]!, tip));
    const times = { a: [] as number[], clone: [] as number[], b: [] as number[], c: [] as number[] };
    for (let run = 1; run <= runs; run++) {
      const before = repo.revParse('refs/heads/main');
      const after = repo.commit({ files: { [`feature/run-${run}.ts`]: `export const run = ${run};\n` }, message: `push ${run}` });
      const work = mkdtempSync(join(root, `a-${run}-`));
      const original = await timed(() => originalWay(url, work));
      times.a.push(original.ms);
      times.clone.push(original.value);
      const cold = settingsFor(fake.url, join(root, `cache-cold-${run}`));
      times.b.push((await timed(() => secbotScan(cold, checkFor(cold, repo.name, before, after)))).ms);
      times.c.push((await timed(() => secbotScan(warm, checkFor(warm, repo.name, before, after)))).ms);
      console.log(`run ${run}: (a) ${secs(original.ms)} (clone ${secs(original.value)})  (b) ${secs(times.b.at(-1)!)}  (c) ${secs(times.c.at(-1)!)}`);
    }
    const [a, b, c] = [median(times.a), median(times.b), median(times.c)];
    console.log('\nmedian of runs, 1-commit push:');
    console.log(`  (a) fresh clone + gitleaks full history   ${secs(a)} (clone ${secs(median(times.clone))})`);
    console.log(`  (b) SecBot, cold cache (diff)             ${secs(b)}`);
    console.log(`  (c) SecBot, warm cache (diff)             ${secs(c)}`);
    console.log(`  a/c = ${(a / c).toFixed(1)}x   a/b = ${(a / b).toFixed(1)}x`);
  } finally {
    await fake.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
