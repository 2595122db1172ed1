/**
 * Runs `gitleaks git` on a bare mirror (CONTRACT.md §1, §2, §6). The report comes back on stdout, unredacted, and
 * goes straight to sanitize.ts, which fingerprints and masks it in memory: no raw report ever touches the disk
 * (gitleaks' own --redact would leave secrets in file names and commit messages). gitleaks starts in an empty folder with its
 * ignore path pointing to a folder SecBot controls and always gets an explicit --config, so nothing the pusher
 * committed (.gitleaks.toml, .gitleaksignore, `gitleaks:allow`) weakens the scan unless the component sets
 * allow_repo_config: then those two files are read from the scanned commit and handed over explicitly.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, RetryableError } from '../../../core/errors.ts';
import type { Logger } from '../../../log/logger.ts';
import type { Mirror } from '../../../clients/git/mirror-cache.ts';
import { tailLines } from '../../../clients/git/git-env.ts';
import { CorruptMirrorError, looksCorrupt } from '../../../clients/git/git-errors.ts';
import { ProcessTimeoutError, runProcess } from '../../../clients/git/run-process.ts';
import type { GitleaksConfig } from './config.ts';
import { chooseRules, configFiles } from './rules.ts';

const LEAKS_EXIT_CODE = 2;
/** gitleaks' own --timeout fires first and writes a partial report; this is the hard stop after it. */
const KILL_GRACE_MS = 30_000;
const MAX_REPO_FILE_BYTES = 1024 * 1024;
/** A zerolog console line at error or fatal level, e.g. `9:47PM ERR [git] fatal: unable to read …`. */
const ERROR_LINE = /^\S+\s+(?:ERR|FTL)\s/m;
const COMMITS_SCANNED = /^\S+\s+INF\s+(\d+) commits scanned\.\s*$/m;

export interface GitleaksArgs {
  bin: string;
  mirrorPath: string;
  /** Revision arguments; joined with single spaces into one --log-opts argument. */
  revs: string[];
  ignorePath: string;
  configPath: string;
  maxTargetMegabytes: number;
  timeoutSeconds: number;
  ignoreGitleaksAllow: boolean;
}

export function gitleaksArgv(a: GitleaksArgs): string[] {
  return [
    a.bin, 'git',
    // info: gitleaks then says how many commits it read ("N commits scanned."), which proveWholeRange() checks.
    '--no-banner', '--no-color', '--log-level', 'info',
    '--exit-code', String(LEAKS_EXIT_CODE),
    '--report-format', 'json', '--report-path', '-',
    `--log-opts=${a.revs.join(' ')}`,
    '--max-target-megabytes', String(a.maxTargetMegabytes),
    '--timeout', String(a.timeoutSeconds),
    '--gitleaks-ignore-path', a.ignorePath,
    '--config', a.configPath,
    ...(a.ignoreGitleaksAllow ? ['--ignore-gitleaks-allow'] : []),
    a.mirrorPath,
  ];
}

export interface GitleaksRequest {
  /** Component name, for configuration errors. */
  component: string;
  bin: string;
  gitBin: string;
  config: GitleaksConfig;
  mirror: Mirror;
  commitSha: string;
  revs: string[];
  signal: AbortSignal;
  log: Logger;
  /** Removes credentials from gitleaks' stderr before it goes into an error message. */
  scrub: (text: string) => string;
}

export interface GitleaksResult {
  exitCode: number;
  /** gitleaks' own count of the commits it read a text hunk of. */
  commitsScanned: number;
  /** Unredacted: hand it to sanitize() and drop it. */
  rawReport: string;
  configSource: 'repository' | 'file' | 'secbot' | 'gitleaks-default';
}

export async function runGitleaks(req: GitleaksRequest): Promise<GitleaksResult> {
  const root = await mkdtemp(join(tmpdir(), 'secbot-gitleaks-'));
  try {
    const ws = await prepareWorkspace(root, req);
    const argv = gitleaksArgv({
      bin: req.bin, mirrorPath: req.mirror.path, revs: req.revs, ignorePath: ws.ignoreDir,
      configPath: ws.configPath, maxTargetMegabytes: req.config.max_target_megabytes, timeoutSeconds: req.config.timeout_seconds,
      ignoreGitleaksAllow: !req.config.allow_repo_config,
    });
    req.log.debug('running gitleaks', { argv: argv.join(' '), config: ws.configSource });
    const res = await runProcess(argv, {
      cwd: ws.cwd, env: gitleaksEnv(req), signal: req.signal, timeoutMs: req.config.timeout_seconds * 1000 + KILL_GRACE_MS,
    }).catch((err: unknown) => {
      if (err instanceof ProcessTimeoutError) throw timeoutError(req);
      throw err;
    });
    const stderr = req.scrub(res.stderr);
    req.log.debug('gitleaks exited', { exit_code: res.exitCode, stderr_tail: tailLines(stderr, 3) });
    if (res.exitCode !== 0 && res.exitCode !== LEAKS_EXIT_CODE) throw failure(req, res.exitCode, stderr);
    // gitleaks logs a failing `git log` (an unreadable object, say) at ERR level yet still exits 0: a silent gap.
    if (ERROR_LINE.test(stderr)) throw failure(req, res.exitCode, stderr);
    if (res.stdout.trim() === '') throw new RetryableError(`gitleaks exited ${res.exitCode} without writing its report:\n${tailLines(stderr)}`);
    // Its exit code and its report must tell the same story: a report that lost its findings must never read as clean.
    const emptyReport = /^\[\s*\]$/.test(res.stdout.trim());
    if ((res.exitCode === LEAKS_EXIT_CODE) === emptyReport) {
      throw new RetryableError(`gitleaks exited ${res.exitCode} but its report ${emptyReport ? 'lists no finding' : 'lists findings'}; scanning again`);
    }
    const counted = COMMITS_SCANNED.exec(stderr);
    if (!counted) throw new RetryableError(`gitleaks did not say how many commits it scanned; scanning again:\n${tailLines(stderr)}`);
    return { exitCode: res.exitCode, commitsScanned: Number(counted[1]), rawReport: res.stdout, configSource: ws.configSource };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function gitleaksEnv(req: GitleaksRequest): Record<string, string> {
  // gitleaks runs `git` from PATH: make it the git SecBot is configured with. No GITLEAKS_CONFIG* is ever passed.
  const env = { ...req.mirror.env };
  if (req.gitBin.includes('/')) env.PATH = `${dirname(resolve(req.gitBin))}:${env.PATH ?? ''}`;
  // The repository's own config (`secbot scan` of a working copy) must not change what `git log -p` shows: copy
  // detection would hide copied files from gitleaks and from the commit count unscanned.ts predicts, and signature
  // lines would mix into the log gitleaks parses. These entries outrank any repository config.
  const pinned: [string, string][] = [['diff.renames', 'true'], ['log.showSignature', 'false']];
  env.GIT_CONFIG_COUNT = String(pinned.length);
  pinned.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

function timeoutError(req: GitleaksRequest): RetryableError {
  return new RetryableError(
    `gitleaks did not finish within timeout_seconds=${req.config.timeout_seconds} of component ${req.component}; ` +
      'raise it, or lower max_target_megabytes',
  );
}

function failure(req: GitleaksRequest, exitCode: number, stderr: string): Error {
  if (looksCorrupt(stderr)) return new CorruptMirrorError(`gitleaks could not read the mirror: ${tailLines(stderr, 3)}`);
  if (/context deadline exceeded|\btimeout\b|timed out/i.test(stderr)) return timeoutError(req);
  const what = exitCode === 0 || exitCode === LEAKS_EXIT_CODE ? `reported errors (exit ${exitCode}); the scan may be incomplete` : `exited ${exitCode}`;
  return new RetryableError(`gitleaks ${what}:\n${tailLines(stderr, 20)}`);
}

interface Workspace {
  cwd: string;
  ignoreDir: string;
  configPath: string;
  configSource: GitleaksResult['configSource'];
}

async function prepareWorkspace(root: string, req: GitleaksRequest): Promise<Workspace> {
  const ws = { cwd: join(root, 'cwd'), ignoreDir: join(root, 'ignore') };
  await Promise.all([mkdir(ws.cwd), mkdir(ws.ignoreDir)]);
  const repo = req.config.allow_repo_config ? await readRepoFiles(req) : {};
  if (repo.ignore !== undefined) await writeFile(join(ws.ignoreDir, '.gitleaksignore'), repo.ignore);
  if (repo.toml !== undefined) {
    const configPath = join(root, 'repo-gitleaks.toml');
    await writeFile(configPath, repo.toml);
    return { ...ws, configPath, configSource: 'repository' };
  }
  const rules = chooseRules(req.config);
  if (rules.kind === 'file') {
    // gitleaks runs in the temp folder: a relative path must be resolved against SecBot's own working directory.
    const configPath = resolve(rules.path);
    if (!existsSync(configPath)) throw new ConfigError(`rules file ${configPath} of component ${req.component} does not exist`);
    return { ...ws, configPath, configSource: 'file' };
  }
  const files = configFiles(rules.toml, root, `${rules.name}-gitleaks.toml`);
  for (const f of files.files) await writeFile(f.path, f.content);
  return { ...ws, configPath: files.configPath, configSource: rules.name };
}

/** .gitleaks.toml and .gitleaksignore as committed in the scanned commit (a bare mirror has no work tree to read). */
async function readRepoFiles(req: GitleaksRequest): Promise<{ toml?: string; ignore?: string }> {
  const listed = await req.mirror.git(['ls-tree', '-z', '--full-tree', req.commitSha, '--', '.gitleaks.toml', '.gitleaksignore']);
  const out: { toml?: string; ignore?: string } = {};
  for (const entry of listed.stdout.split('\0').filter(Boolean)) {
    const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.+)$/.exec(entry);
    // Regular files only: a symlink's blob is a path, not a config.
    if (m?.[2] !== 'blob' || m[1] === '120000') continue;
    const size = Number((await req.mirror.git(['cat-file', '-s', m[3]!])).stdout.trim());
    if (size > MAX_REPO_FILE_BYTES) {
      req.log.warn('repository gitleaks file too large; ignored', { file: m[4], size_bytes: size });
      continue;
    }
    const content = (await req.mirror.git(['cat-file', 'blob', m[3]!])).stdout;
    if (m[4] === '.gitleaks.toml') out.toml = content;
    else if (m[4] === '.gitleaksignore') out.ignore = content;
  }
  return out;
}

/**
 * gitleaks must have read at least the commits of the range that hold a text hunk (unscanned.ts commitsWithText). A
 * git log that died mid-stream without a word (killed, out of memory) leaves gitleaks with less history and exit 0:
 * that scan proves nothing and is done again, never read as clean.
 */
export function proveWholeRange(commitsScanned: number, commitsWithText: number): void {
  if (commitsScanned >= commitsWithText) return;
  throw new RetryableError(
    `gitleaks read ${commitsScanned} commit(s) but the range holds ${commitsWithText} with changes to scan; its git log stopped early, scanning again`,
  );
}
