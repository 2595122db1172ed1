/**
 * `secbot scan [PATH|URL] [--range A..B | --full] [--config config.yml --job NAME]`: the job's scan components on a
 * local repository or a clone URL, without the service — as a pre-push hook, in CI, or to try SecBot out. Findings
 * are printed masked (rule, file:line, commit), then a verdict. Exit codes: 0 clean, 1 findings (or unscanned files
 * under `unscanned: fail`), 2 error.
 *
 * Default range: in a working repository, the commits of HEAD that no remote-tracking branch has (what a push would
 * send); with no remotes, or for a clone URL, the whole history of HEAD. `--full`: the whole history of HEAD.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { gitEnv } from '../clients/git/git-env.ts';
import type { Mirror } from '../clients/git/mirror-cache.ts';
import { localGit } from '../clients/git/mirror-git.ts';
import { runProcess } from '../clients/git/run-process.ts';
import { ConfigError, PermanentError, errorMessage } from '../core/errors.ts';
import type { LeakRecord } from '../core/leaks.ts';
import { createLogger } from '../log/logger.ts';
import { gitleaksConfigSchema, type GitleaksConfig } from '../plugins/scanners/gitleaks/config.ts';
import { runGitleaks } from '../plugins/scanners/gitleaks/run-gitleaks.ts';
import { parseRawReport, sanitize } from '../plugins/scanners/gitleaks/sanitize.ts';
import { unscannedLeaks } from '../plugins/scanners/gitleaks/unscanned-leaks.ts';
import { unscannedAfterScan } from '../plugins/scanners/gitleaks/unscanned.ts';

export interface ScanOptions {
  target?: string;
  range?: string;
  full: boolean;
  job?: string;
  configPath?: string;
  gitBin: string;
  gitleaksBin: string;
  out: (line: string) => void;
}

interface ScanComponent {
  name: string;
  config: GitleaksConfig;
  unscannedFails: boolean;
}

export async function scanCommand(o: ScanOptions): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'secbot-scan-'));
  try {
    const components = scanComponents(o);
    const repo = await openRepository(o, work);
    const revs = await rangeOf(o, repo);
    const count = await repo.git(['rev-list', '--count', ...revs, '--']);
    o.out(`secbot scan: ${o.target ?? '.'} (${describe(o, revs)}, ${count.stdout.trim()} commits)`);
    let failing = 0;
    for (const c of components) failing += await scanWith(o, c, repo, revs);
    o.out(failing > 0 ? `verdict: fail (${failing} finding(s) to fix or triage)` : 'verdict: clean');
    return failing > 0 ? 1 : 0;
  } catch (err) {
    o.out(`secbot scan: error: ${errorMessage(err)}`);
    return 2;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function scanWith(o: ScanOptions, c: ScanComponent, repo: Mirror, revs: string[]): Promise<number> {
  const log = createLogger({ level: 'warn', sink: (line) => process.stderr.write(`${line}\n`) });
  const result = await runGitleaks({
    component: c.name, bin: o.gitleaksBin, gitBin: o.gitBin, config: c.config, mirror: repo, commitSha: 'HEAD', revs,
    signal: new AbortController().signal, log, scrub: (t) => t,
  });
  // An ephemeral key: nothing is stored, the fingerprints only need to tell findings apart.
  const sanitized = sanitize(parseRawReport(result.rawReport), randomBytes(32));
  const skipped = await unscannedAfterScan(repo, revs, c.config.max_target_megabytes, result.commitsScanned);
  const unscanned = unscannedLeaks(skipped, sanitized.mask, c.config.max_target_megabytes);
  for (const l of sanitized.leaks) o.out(`  ${findingLine(l)}`);
  for (const u of unscanned) o.out(`  [not scanned] ${u.file} (commit ${u.commit.slice(0, 8)}): ${u.description}`);
  o.out(`${c.name}: ${sanitized.leaks.length} finding(s), ${unscanned.length} file(s) not scanned`);
  return sanitized.leaks.length + (c.unscannedFails ? unscanned.length : 0);
}

function findingLine(l: LeakRecord): string {
  return `[${l.severity ?? 'High'}] ${l.ruleId}  ${l.file}:${l.line}  commit ${l.commit.slice(0, 8)}`;
}

/** The scan components of the job (or of every job), with their config.yml settings; gitleaks defaults without one. */
export function scanComponents(o: Pick<ScanOptions, 'configPath' | 'job'>): ScanComponent[] {
  const path = o.configPath ?? process.env.SECBOT_CONFIG ?? 'config.yml';
  if (!existsSync(path)) {
    if (o.configPath || o.job) throw new ConfigError(`${path}: no such workflow configuration file`);
    return [{ name: 'gitleaks', config: gitleaksConfigSchema.parse({}), unscannedFails: false }];
  }
  // biome-ignore lint: the file's shape is checked field by field below
  const doc = (parse(readFileSync(path, 'utf8'), { uniqueKeys: false }) ?? {}) as any;
  const jobs: { name?: string; scans?: string[]; unscanned?: string }[] = Array.isArray(doc.jobs) ? doc.jobs : [];
  const chosen = o.job ? jobs.filter((j) => j.name === o.job) : jobs;
  if (o.job && chosen.length === 0) throw new ConfigError(`${path}: no job named "${o.job}" (jobs: ${jobs.map((j) => j.name).join(', ')})`);
  const out = new Map<string, ScanComponent>();
  for (const job of chosen) {
    for (const name of job.scans ?? []) {
      const comp = doc.components?.[name];
      if (!comp) throw new ConfigError(`${path}: job "${job.name}" lists unknown component "${name}"`);
      if (comp.handler_name !== 'gitleaks') throw new ConfigError(`${path}: component "${name}" is not a scanner SecBot can run locally`);
      const parsed = gitleaksConfigSchema.safeParse(comp.config ?? {});
      if (!parsed.success) throw new ConfigError(`${path}: components.${name}.config: ${parsed.error.issues[0]?.message}`);
      const prev = out.get(name);
      out.set(name, { name, config: parsed.data, unscannedFails: (prev?.unscannedFails ?? false) || job.unscanned === 'fail' });
    }
  }
  if (out.size === 0) throw new ConfigError(`${path}: no scan component to run${o.job ? ` in job "${o.job}"` : ''}`);
  return [...out.values()];
}

/** A local repository as a read-only Mirror, or a clone of a URL into the work folder (with the user's own git). */
async function openRepository(o: ScanOptions, work: string): Promise<Mirror & { hasRemotes: boolean; cloned: boolean }> {
  const target = o.target ?? '.';
  const home = join(work, 'home');
  const runner = { gitBin: o.gitBin, home, signal: new AbortController().signal, timeoutMs: 30 * 60_000 };
  let path = resolve(target);
  let cloned = false;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) || /^[^/]+@[^/:]+:/.test(target)) {
    path = join(work, 'repo.git');
    // The user's own environment: their credentials and protocol settings decide what they may clone.
    const res = await runProcess([o.gitBin, 'clone', '--quiet', '--mirror', '--', target, path], { env: { ...process.env } as Record<string, string>, timeoutMs: runner.timeoutMs });
    if (res.exitCode !== 0) throw new PermanentError(`git clone ${target} failed: ${res.stderr.trim().split('\n').pop()}`);
    cloned = true;
  }
  const probe = await runProcess([o.gitBin, '-C', path, 'rev-parse', '--absolute-git-dir'], { env: gitEnv(home) });
  if (probe.exitCode !== 0) throw new ConfigError(`${target} is not a git repository`);
  const gitDir = probe.stdout.trim();
  const remotes = await localGit(runner, gitDir, ['for-each-ref', '--count=1', '--format=%(refname)', 'refs/remotes/']);
  return {
    path,
    key: 'local',
    env: gitEnv(home),
    git: (args, okCodes, stdin) => localGit(runner, gitDir, args, okCodes, stdin),
    hasRemotes: remotes.stdout.trim() !== '',
    cloned,
  };
}

const SAFE_RANGE = /^[^\s-][^\s]*$/;

async function rangeOf(o: ScanOptions, repo: Awaited<ReturnType<typeof openRepository>>): Promise<string[]> {
  if (o.range && o.full) throw new ConfigError('--range and --full exclude each other');
  if (o.range) {
    if (!SAFE_RANGE.test(o.range)) throw new ConfigError(`--range "${o.range}" must be a revision range like A..B`);
    return [o.range];
  }
  const head = await repo.git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], [0, 1]);
  if (head.exitCode !== 0) throw new ConfigError('the repository has no commit at HEAD');
  if (o.full || repo.cloned || !repo.hasRemotes) return ['HEAD'];
  return ['HEAD', '--not', '--remotes'];
}

function describe(o: ScanOptions, revs: string[]): string {
  if (o.range) return `range ${o.range}`;
  return revs.length === 1 ? 'whole history of HEAD' : 'commits of HEAD on no remote-tracking branch';
}
