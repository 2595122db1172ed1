// Builds real bare repositories (laid out like GitLab's: <reposDir>/<namespace>/<project>.git)
// for tests. Every git call gets a clean environment so the developer's config never leaks in.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface GitRunOptions {
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string | Uint8Array;
}

export type FileChanges = Record<string, string | Uint8Array | null>;

export interface CommitOptions {
  /** path → content; null deletes the path. */
  files: FileChanges;
  message: string;
  branch?: string;
  author?: { name: string; email: string };
}

export interface HistoryOptions {
  branch?: string;
  /** Files changed by commit i (0-based); default: one small file per commit. */
  files?: (i: number) => FileChanges;
  message?: (i: number) => string;
}

export interface BareRepo {
  /** Absolute path of the bare repository. */
  path: string;
  /** Project path as GitLab names it, e.g. 'group/sub/project'. */
  name: string;
  commit(opts: CommitOptions): string;
  branch(name: string, fromSha: string): void;
  tag(name: string, sha: string, opts?: { annotated?: boolean; message?: string }): string;
  mergeRequestRef(iid: number, sha: string): void;
  deleteBranch(name: string): void;
  /** A merge commit on `branch` with `otherSha` as second parent, keeping the branch's tree (as `-s ours`). */
  merge(branch: string, otherSha: string, message?: string): string;
  /** Throws when the ref does not resolve. */
  revParse(ref: string): string;
  /** Every ref → the object it points at (tag objects are not peeled). */
  refs(): Record<string, string>;
  generateHistory(n: number, opts?: HistoryOptions): { head: string; shas: string[] };
}

export const TEST_AUTHOR = { name: 'Test Author', email: 'author@example.com' };
export const TEST_COMMITTER = { name: 'SecBot Test', email: 'committer@example.com' };
const EPOCH = 1_700_000_000;
const ZERO_SHA = '0'.repeat(40);

let isolatedHome: string | undefined;

/** Environment for git: no system/global config, no prompts, fixed identities, C locale. */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  // One shared, always-empty directory: bun test fires no exit hooks, so per-run dirs would pile up.
  if (isolatedHome === undefined) {
    isolatedHome = join(tmpdir(), 'secbot-git-home');
    mkdirSync(isolatedHome, { recursive: true });
  }
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: isolatedHome,
    XDG_CONFIG_HOME: isolatedHome,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    GIT_AUTHOR_NAME: TEST_AUTHOR.name,
    GIT_AUTHOR_EMAIL: TEST_AUTHOR.email,
    GIT_COMMITTER_NAME: TEST_COMMITTER.name,
    GIT_COMMITTER_EMAIL: TEST_COMMITTER.email,
    ...extra,
  };
}

/** Synchronous git; never use it against a server running in this process (it would block the loop). */
export function gitSync(args: string[], opts: GitRunOptions = {}): GitResult {
  const proc = Bun.spawnSync(['git', ...args], { cwd: opts.cwd, env: gitEnv(opts.env), stdin: toStdin(opts.stdin), stdout: 'pipe', stderr: 'pipe' });
  return { exitCode: proc.exitCode ?? -1, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

/** Asynchronous git, for clones and fetches against fakes served by this process. */
export async function git(args: string[], opts: GitRunOptions = {}): Promise<GitResult> {
  const proc = Bun.spawn(['git', ...args], { cwd: opts.cwd, env: gitEnv(opts.env), stdin: toStdin(opts.stdin) ?? 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { exitCode, stdout, stderr };
}

function toStdin(input: string | Uint8Array | undefined): Uint8Array | undefined {
  return typeof input === 'string' ? new TextEncoder().encode(input) : input;
}

function mustGit(args: string[], opts: GitRunOptions = {}): string {
  const res = gitSync(args, opts);
  if (res.exitCode !== 0) throw new Error(`git ${args.join(' ')} failed (${res.exitCode}): ${res.stderr.trim()}`);
  return res.stdout.trim();
}

export function createBareRepo(reposDir: string, name: string, opts: { defaultBranch?: string } = {}): BareRepo {
  const project = name.replace(/\.git$/, '');
  if (project.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error(`bad project path: ${name}`);
  const path = resolve(reposDir, `${project}.git`);
  const defaultBranch = opts.defaultBranch ?? 'main';
  mkdirSync(path, { recursive: true });
  mustGit(['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, path]);
  // Fixed, increasing dates keep SHAs reproducible across runs yet distinct per commit.
  let clock = EPOCH;
  const tick = (count = 1) => {
    const start = clock;
    clock += 60 * count;
    return start;
  };
  const inRepo = (args: string[], o: GitRunOptions = {}) => mustGit(['--git-dir', path, ...args], o);
  const tryRev = (ref: string) => {
    const res = gitSync(['--git-dir', path, 'rev-parse', '--verify', '--quiet', '--end-of-options', ref]);
    return res.exitCode === 0 ? res.stdout.trim() : undefined;
  };

  return {
    path,
    name: project,
    commit: (c) => commitFiles(path, c, c.branch ?? defaultBranch, tick(), tryRev),
    branch: (branch, fromSha) => void inRepo(['update-ref', `refs/heads/${branch}`, fromSha]),
    tag(tagName, sha, t = {}) {
      if (!t.annotated) {
        inRepo(['update-ref', `refs/tags/${tagName}`, sha]);
        return sha;
      }
      inRepo(['tag', '-a', '-m', t.message ?? `Release ${tagName}`, '--', tagName, sha], { env: dateEnv(tick()) });
      return inRepo(['rev-parse', '--verify', `refs/tags/${tagName}`]);
    },
    mergeRequestRef: (iid, sha) => void inRepo(['update-ref', `refs/merge-requests/${iid}/head`, sha]),
    deleteBranch: (branch) => void inRepo(['update-ref', '-d', `refs/heads/${branch}`]),
    merge(branch, otherSha, message = `Merge ${otherSha.slice(0, 8)} into ${branch}`) {
      const tip = inRepo(['rev-parse', '--verify', `refs/heads/${branch}`]);
      const tree = inRepo(['rev-parse', `${tip}^{tree}`]);
      const sha = inRepo(['commit-tree', tree, '-p', tip, '-p', otherSha], { env: dateEnv(tick()), stdin: message });
      inRepo(['update-ref', `refs/heads/${branch}`, sha, tip]);
      return sha;
    },
    revParse(ref) {
      const sha = tryRev(ref);
      if (sha === undefined) throw new Error(`${project}: ref ${ref} does not resolve`);
      return sha;
    },
    refs() {
      const out = inRepo(['for-each-ref', '--format=%(objectname) %(refname)']);
      return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => [l.slice(41), l.slice(0, 40)]));
    },
    generateHistory: (n, h = {}) => fastImport(path, n, h.branch ?? defaultBranch, h, tick(n), tryRev),
  };
}

function dateEnv(when: number): Record<string, string> {
  const date = `@${when} +0000`;
  return { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
}

function checkPath(p: string): void {
  if (p.startsWith('/') || p.split('/').some((s) => s === '' || s === '.' || s === '..' || s === '.git')) {
    throw new Error(`bad repository file path: ${p}`);
  }
}

// A throwaway index and work tree holding only the changed files: untouched paths stay as
// the parent's tree has them, so a commit costs the same whatever the repository size.
function commitFiles(gitDir: string, c: CommitOptions, branch: string, when: number, tryRev: (r: string) => string | undefined): string {
  const tmp = mkdtempSync(join(tmpdir(), 'secbot-commit-'));
  try {
    const workTree = join(tmp, 'wt');
    mkdirSync(workTree);
    const author = c.author ?? TEST_AUTHOR;
    const env = { GIT_INDEX_FILE: join(tmp, 'index'), GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, ...dateEnv(when) };
    const run = (args: string[], stdin?: string) => mustGit(['--git-dir', gitDir, '--work-tree', workTree, '--literal-pathspecs', ...args], { env, stdin });
    const parent = tryRev(`refs/heads/${branch}`);
    if (parent) run(['read-tree', parent]);
    const added: string[] = [];
    const removed: string[] = [];
    for (const [file, content] of Object.entries(c.files)) {
      checkPath(file);
      if (content === null) {
        removed.push(file);
        continue;
      }
      mkdirSync(dirname(join(workTree, file)), { recursive: true });
      writeFileSync(join(workTree, file), content);
      added.push(file);
    }
    if (added.length > 0) run(['add', '--force', '--', ...added]);
    if (removed.length > 0) run(['rm', '--cached', '--quiet', '--ignore-unmatch', '--', ...removed]);
    const tree = run(['write-tree']);
    const sha = run(['commit-tree', tree, ...(parent ? ['-p', parent] : [])], c.message);
    run(['update-ref', `refs/heads/${branch}`, sha, parent ?? ZERO_SHA]);
    return sha;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// fast-import writes all n commits into one pack in a single process: ~10k commits/second.
function fastImport(gitDir: string, n: number, branch: string, h: HistoryOptions, start: number, tryRev: (r: string) => string | undefined): { head: string; shas: string[] } {
  if (n <= 0) throw new Error('generateHistory needs n > 0');
  const parent = tryRev(`refs/heads/${branch}`);
  const files = h.files ?? ((i: number) => ({ [`history/file-${i % 50}.txt`]: `generated commit ${i}\n` }));
  const message = h.message ?? ((i: number) => `Generated commit ${i}`);
  const chunks: (string | Uint8Array)[] = [];
  const data = (content: string | Uint8Array) => {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    chunks.push(`data ${bytes.byteLength}\n`, bytes, '\n');
  };
  for (let i = 0; i < n; i++) {
    const when = start + 60 * i;
    chunks.push(`commit refs/heads/${branch}\nmark :${i + 1}\n`);
    chunks.push(`author ${TEST_AUTHOR.name} <${TEST_AUTHOR.email}> ${when} +0000\n`);
    chunks.push(`committer ${TEST_COMMITTER.name} <${TEST_COMMITTER.email}> ${when} +0000\n`);
    data(message(i));
    // fast-import treats a branch it has not seen as new, so the existing tip must be named.
    if (i === 0 && parent) chunks.push(`from ${parent}\n`);
    for (const [file, content] of Object.entries(files(i))) {
      checkPath(file);
      if (/["\n\\]/.test(file)) throw new Error(`generateHistory: unsupported path ${file}`);
      if (content === null) chunks.push(`D ${file}\n`);
      else {
        chunks.push(`M 100644 inline ${file}\n`);
        data(content);
      }
    }
  }
  chunks.push('done\n');
  const tmp = mkdtempSync(join(tmpdir(), 'secbot-marks-'));
  try {
    const marks = join(tmp, 'marks');
    const stdin = Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
    mustGit(['--git-dir', gitDir, 'fast-import', '--quiet', '--done', `--export-marks=${marks}`], { stdin });
    const shas: string[] = new Array(n);
    for (const line of readFileSync(marks, 'utf8').split('\n')) {
      const m = /^:(\d+) ([0-9a-f]{40})$/.exec(line);
      if (m) shas[Number(m[1]) - 1] = m[2]!;
    }
    return { head: shas[n - 1]!, shas };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
