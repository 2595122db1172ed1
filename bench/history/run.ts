/**
 * History verdicts at scale: a project with C commits on main (every C/L-th one planting a fake AWS key, so L leaks
 * spread over its history), B branches forked at random points of it (one commit each), all pushed to the compiled
 * binary (`secbot all`, SQLite) so that SecBot has scanned every commit once and recorded B + 1 covered commits and
 * L leaks. Then:
 *   (1) the gate: sequential GETs of random branch heads' check ids (each inherits the leaks of its fork point) —
 *       p50 / p90 / p99 over S samples, the DefectDojo refresh kept off the measurement (gate cache TTL 1 h);
 *   (2) the range computation of a new push (one new commit on a branch), timed by phase against the same mirror
 *       and database: read the history (coverage + leak commits), pin them as refs (under the exclusive lock),
 *       count the uncovered range, list the inherited leak commits and the subsumed covered commits.
 * Aims (issue 11): (1) p50 ≤ 20 ms; (2) < 100 ms in all.
 *
 *   bun bench/history/run.ts [--commits 10000] [--branches 1000] [--leaks 100] [--samples 500] [--range-only]
 *
 * `--range-only` skips SecBot (no gate figure): it mirrors the generated repository, pins the B + 1 covered commits
 * and L leak commits the full run would have recorded, and times the range steps of R = 20 new pushes (p50).
 */
import { join } from 'node:path';
import { loadSettings } from '../../src/config/settings.ts';
import { createMirrorCache } from '../../src/clients/git/mirror-cache.ts';
import { openDatabase } from '../../src/db/open.ts';
import { HistoryStore, projectKey } from '../../src/db/history.ts';
import { createLogger } from '../../src/log/logger.ts';
import { coveredPrefix, leakPrefix, pinnedAncestors, pinRefs } from '../../src/plugins/scanners/gitleaks/history-refs.ts';
import { planRange, resolveRange } from '../../src/plugins/scanners/gitleaks/range.ts';
import { HEADERS, pushPayload, ZERO } from '../../test/helpers/payloads.ts';
import { fakeAwsKey } from '../../test/helpers/secrets.ts';
import { World } from '../../test/helpers/world.ts';
import { loadNow, machineFacts, reproduceLine } from '../lib/machine.ts';
import { ROOT } from '../lib/secbot-bin.ts';

process.env.PATH = `${join(ROOT, '.tools', 'bin')}:${process.env.PATH ?? ''}`;

const opt = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 ? process.argv[i + 1]! : def);
};
const COMMITS = opt('commits', '10000');
const BRANCHES = opt('branches', '1000');
const LEAKS = opt('leaks', '100');
const SAMPLES = opt('samples', '500');
const PATH = 'acme/monorepo';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main() {
  console.log(machineFacts());
  console.log(reproduceLine('bench/history/run.ts'));
  if (process.argv.includes('--range-only')) return rangeOnly();
  const w = await World.start({
    db: 'sqlite', launch: 'binary',
    env: { SECBOT_GATE_CACHE_TTL_MS: '3600000', SECBOT_WORKER_CONCURRENCY: '4', SECBOT_SQLITE_SYNCHRONOUS: 'FULL' },
  });
  try {
    const repo = w.repo(PATH);
    const every = Math.max(1, Math.floor(COMMITS / LEAKS));
    const t0 = performance.now();
    const { head, shas } = repo.generateHistory(COMMITS, {
      files: (i) => (i % every === every - 1 ? { [`cfg/leak-${i}.env`]: `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` } : { [`src/f-${i % 200}.txt`]: `v${i}\n` }),
    });
    const heads: string[] = [];
    for (let b = 0; b < BRANCHES; b++) {
      const from = shas[Math.floor(Math.random() * shas.length)]!;
      repo.branch(`topic-${b}`, from);
      heads.push(repo.commit({ files: { [`topic/${b}.txt`]: `${b}\n` }, message: `topic ${b}`, branch: `topic-${b}` }));
    }
    console.log(`history: ${COMMITS} commits, ${LEAKS} leaks, ${BRANCHES} branches built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = performance.now();
    await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: PATH, before: ZERO, after: head }));
    const first = await w.waitFinal(w.checkId(PATH, head), 600_000);
    console.log(`first sight (whole history): ${first.status}, ${first.scans[0].commits} commits, ${first.counts.findings} findings in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    const t2 = performance.now();
    for (let b = 0; b < heads.length; b += 50) {
      await Promise.all(heads.slice(b, b + 50).map((h, i) => w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: PATH, before: ZERO, after: h, branch: `topic-${b + i}` }))));
    }
    for (const h of heads) await w.waitFinal(w.checkId(PATH, h), 600_000);
    console.log(`${BRANCHES} branch pushes final in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
    await gateLatency(w, heads);
    await rangeTimings(w, repo.commit({ files: { 'new.txt': 'new\n' }, message: 'new push', branch: 'topic-0' }));
  } finally {
    await w.stop();
  }
}

async function gateLatency(w: World, heads: string[]) {
  const ids = heads.map((h) => w.checkId(PATH, h));
  for (const id of ids.slice(0, 50)) await w.status(id);
  const times: number[] = [];
  let inherited = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const id = ids[Math.floor(Math.random() * ids.length)]!;
    const t = performance.now();
    const res = await fetch(`${w.resultsUrl}/v1/security/gitlab/check/${id}`);
    const body = (await res.json()) as { counts: { inherited: number } };
    times.push(performance.now() - t);
    inherited += body.counts.inherited;
  }
  console.log(`gate GET (${SAMPLES} sequential, mean ${(inherited / SAMPLES).toFixed(1)} inherited findings each): p50 ${ms(pct(times, 50))}, p90 ${ms(pct(times, 90))}, p99 ${ms(pct(times, 99))}; load ${loadNow()}`);
}

async function rangeTimings(w: World, commit: string) {
  const settings = loadSettings(w.env);
  const db = openDatabase(settings.databaseUrl);
  const history = new HistoryStore(db);
  const instance = settings.gitlab[0]!;
  const cache = createMirrorCache({ settings, logger: createLogger({ level: 'error' }) });
  const t: Record<string, number> = {};
  const lap = async <T>(name: string, fn: () => Promise<T>) => {
    const s = performance.now();
    const v = await fn();
    t[name] = (t[name] ?? 0) + performance.now() - s;
    return v;
  };
  const project = projectKey({ host: instance.host, projectPath: PATH });
  const h = await lap('read history', () => history.scanHistory(project, 'gitleaks'));
  let commits = 0;
  let inheritedCommits = 0;
  await cache.withMirror(
    {
      instance, projectPath: PATH, commitSha: commit, signal: new AbortController().signal, log: createLogger({ level: 'error' }),
      prepare: async (m) => {
        await lap('pin refs', () =>
          pinRefs(m, [
            { prefix: coveredPrefix('gitleaks'), commits: h.coveredCommits },
            { prefix: leakPrefix('gitleaks'), commits: h.leakCommits },
          ]),
        );
      },
    },
    async (m) => {
      commits = (await lap('walk range', () => resolveRange(m, planRange(commit, 'diff', 'gitleaks', false)))).commits;
      const reached = await lap('inherited leaks', () => pinnedAncestors(m, [leakPrefix('gitleaks')], commit));
      inheritedCommits = reached.get(leakPrefix('gitleaks'))!.length;
    },
  );
  await db.close();
  const total = Object.values(t).reduce((a, b) => a + b, 0);
  const parts = Object.entries(t).map(([k, v]) => `${k} ${ms(v)}`).join(', ');
  console.log(`range of a new push (${h.coveredCommits.length} covered commits, ${h.leakCommits.length} leak commits): ${commits} commit(s) to scan, ${inheritedCommits} leak commits inherited; ${ms(total)} in all (${parts})`);
}

await main();

async function rangeOnly() {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { createBareRepo, gitSync } = await import('../../test/helpers/git-repo.ts');
  const { gitEnv } = await import('../../src/clients/git/git-env.ts');
  const { localGit } = await import('../../src/clients/git/mirror-git.ts');
  const dir = mkdtempSync(join((tmpdir as () => string)(), 'secbot-range-'));
  try {
    const repo = createBareRepo(join(dir, 'repos'), PATH);
    const every = Math.max(1, Math.floor(COMMITS / LEAKS));
    const leaks: string[] = [];
    const { head, shas } = repo.generateHistory(COMMITS, { files: (i) => ({ [`src/f-${i % 200}.txt`]: `v${i}\n` }) });
    for (let i = every - 1; i < COMMITS; i += every) leaks.push(shas[i]!);
    const tips = [head];
    for (let b = 0; b < BRANCHES; b++) {
      repo.branch(`topic-${b}`, shas[Math.floor(Math.random() * shas.length)]!);
      tips.push(repo.commit({ files: { [`topic/${b}.txt`]: `${b}\n` }, message: `topic ${b}`, branch: `topic-${b}` }));
    }
    const mirrorPath = join(dir, 'mirror.git');
    gitSync(['clone', '--quiet', '--mirror', repo.path, mirrorPath]);
    gitSync(['--git-dir', mirrorPath, 'commit-graph', 'write', '--reachable']);
    const runner = { gitBin: 'git', home: dir, signal: new AbortController().signal, timeoutMs: 60_000 };
    const m = { path: mirrorPath, key: 'bench', env: gitEnv(dir), git: (a: string[], ok?: number[], stdin?: string) => localGit(runner, mirrorPath, a, ok, stdin) };
    const covered = [...tips];
    await pinRefs(m, [{ prefix: coveredPrefix('gitleaks'), commits: covered }, { prefix: leakPrefix('gitleaks'), commits: leaks }]);
    const laps: Record<string, number[]> = { 'pin refs': [], 'walk range': [], 'inherited leaks': [], total: [] };
    for (let r = 0; r < 20; r++) {
      const b = Math.floor(Math.random() * BRANCHES);
      const commit = repo.commit({ files: { [`new/${r}.txt`]: `${r}\n` }, message: `push ${r}`, branch: `topic-${b}` });
      gitSync(['--git-dir', mirrorPath, 'fetch', '--quiet', repo.path, `+refs/heads/topic-${b}:refs/heads/topic-${b}`]);
      const t0 = performance.now();
      await pinRefs(m, [{ prefix: coveredPrefix('gitleaks'), commits: covered }, { prefix: leakPrefix('gitleaks'), commits: leaks }]);
      const t1 = performance.now();
      await resolveRange(m, planRange(commit, 'diff', 'gitleaks', false));
      const t2 = performance.now();
      await pinnedAncestors(m, [leakPrefix('gitleaks')], commit);
      const t3 = performance.now();
      laps['pin refs']!.push(t1 - t0);
      laps['walk range']!.push(t2 - t1);
      laps['inherited leaks']!.push(t3 - t2);
      laps.total!.push(t3 - t0);
      covered.push(commit);
    }
    const parts = Object.entries(laps).map(([k, v]) => `${k} p50 ${ms(pct(v, 50))}`).join(', ');
    console.log(`range of a new push (${covered.length} covered commits, ${leaks.length} leak commits, ${COMMITS} commits, ${BRANCHES} branches): ${parts}; load ${loadNow()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
