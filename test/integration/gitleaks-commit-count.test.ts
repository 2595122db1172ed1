// What proves a gitleaks scan read its whole range: gitleaks' own "N commits scanned" must reach the commits of the
// range that hold a text hunk (unscanned.ts commitsWithText). Measured here on real git and the real gitleaks over
// every kind of change, then a git whose `log -p` stops early without a word (as when it is killed): the scan must
// be done again, never read as clean.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RetryableError } from '../../src/core/errors.ts';
import { gitEnv } from '../../src/clients/git/git-env.ts';
import type { Mirror } from '../../src/clients/git/mirror-cache.ts';
import { localGit } from '../../src/clients/git/mirror-git.ts';
import { runGitleaks, proveWholeRange } from '../../src/plugins/scanners/gitleaks/run-gitleaks.ts';
import { gitleaksConfigSchema } from '../../src/plugins/scanners/gitleaks/config.ts';
import { inspectRange } from '../../src/plugins/scanners/gitleaks/unscanned.ts';
import { fakeAwsKey, outcome, startEnv, type Env } from './gitleaks-fixtures.ts';

const SLOW = 60_000;
let env: Env;
let work: string;
let bare: string;

function git(...args: string[]): string {
  const res = Bun.spawnSync(['git', ...args], { cwd: work, env: { ...gitEnv(join(env.root, 'home')), GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@example.org', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@example.org' } });
  if (res.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${res.stderr.toString()}`);
  return res.stdout.toString().trim();
}
const commit = (message: string) => {
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
};

/** Every kind of change, one commit each; `text` says whether git shows it as a text hunk to gitleaks. */
function buildHistory(): { sha: string; message: string; text: boolean }[] {
  const out: { sha: string; message: string; text: boolean }[] = [];
  const step = (message: string, text: boolean, change: () => void) => {
    change();
    out.push({ sha: commit(message), message, text });
  };
  step('leak', true, () => writeFileSync(join(work, 'prod.env'), `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n`));
  step('modify', true, () => writeFileSync(join(work, 'prod.env'), 'REGION=eu-west-1\n'));
  step('binary only', false, () => writeFileSync(join(work, 'bin.dat'), Buffer.from([1, 0, 2, 0])));
  step('exact rename', false, () => git('mv', 'prod.env', 'renamed.env'));
  step('rename and modify', true, () => {
    writeFileSync(join(work, 'renamed.env'), 'REGION=eu-west-1\nZONE=b\n');
    git('mv', 'renamed.env', 'moved.env');
  });
  step('mode only', false, () => chmodSync(join(work, 'moved.env'), 0o755));
  step('empty file', false, () => writeFileSync(join(work, 'empty.txt'), ''));
  step('empty commit', false, () => {});
  step('delete file', false, () => git('rm', '-q', 'bin.dat'));
  step('delete lines only', true, () => writeFileSync(join(work, 'moved.env'), 'REGION=eu-west-1\n'));
  step('symlink', false, () => symlinkSync('moved.env', join(work, 'link')));
  step('copy', true, () => writeFileSync(join(work, 'copy.env'), 'REGION=eu-west-1\n'));
  git('checkout', '-q', '-b', 'side', out[1]!.sha);
  step('side', true, () => writeFileSync(join(work, 'side.txt'), 'side\n'));
  git('checkout', '-q', 'main');
  git('merge', '-q', '--no-edit', '-m', 'merge', 'side');
  out.push({ sha: git('rev-parse', 'HEAD'), message: 'merge', text: false });
  return out;
}

let history: { sha: string; message: string; text: boolean }[];

beforeAll(() => {
  env = startEnv('gitleaks-count');
  work = join(env.root, 'work');
  mkdirSync(work);
  git('init', '-q', '-b', 'main');
  history = buildHistory();
  bare = join(env.root, 'mirror.git');
  git('clone', '-q', '--bare', work, bare);
});
afterAll(() => env.stop());

/** The bare repository as a Mirror (what `secbot scan` builds for a local repository). */
function mirrorOf(gitBin: string): Mirror {
  const runner = { gitBin, home: join(env.root, 'home'), signal: new AbortController().signal, timeoutMs: SLOW };
  return { path: bare, key: 'local', env: gitEnv(runner.home), git: (args, okCodes, stdin) => localGit(runner, bare, args, okCodes, stdin) };
}

async function scan(revs: string[], gitBin = 'git') {
  const mirror = mirrorOf(gitBin);
  const config = gitleaksConfigSchema.parse({});
  const result = await runGitleaks({
    component: 'gitleaks', bin: 'gitleaks', gitBin, config, mirror, commitSha: history.at(-1)!.sha, revs,
    signal: new AbortController().signal, log: env.logger, scrub: (t) => t,
  });
  return { result, contents: await inspectRange(mirror, revs, config.max_target_megabytes) };
}

describe("gitleaks' commit count against the range", () => {
  test('each kind of change alone: gitleaks counts it exactly when git shows it a text hunk; the lower bound never exceeds it', async () => {
    for (const c of history) {
      const { result, contents } = await scan([c.sha, '-1']);
      const row = { change: c.message, scanned: result.commitsScanned, expected: contents.commitsWithText };
      // Symlinks have a hunk gitleaks reads; the lower bound leaves them out.
      expect(row).toEqual({ ...row, expected: c.text ? 1 : 0, scanned: c.text || c.message === 'symlink' ? 1 : 0 });
    }
  }, SLOW);

  test('the whole history: the count proves the range was read', async () => {
    const { result, contents } = await scan([history.at(-1)!.sha]);
    expect(contents.commitsWithText).toBe(history.filter((c) => c.text).length);
    expect(result.commitsScanned).toBe(contents.commitsWithText + 1);
    expect(() => proveWholeRange(result.commitsScanned, contents.commitsWithText)).not.toThrow();
  }, SLOW);

  test('a git log -p that stops early without an error is caught: RetryableError, never a clean scan', async () => {
    // A git that passes everything through, except that `log -p` ends quietly after two commits, as when killed.
    const dir = join(env.root, 'short-git');
    mkdirSync(dir, { recursive: true });
    const real = Bun.which('git')!;
    writeFileSync(join(dir, 'git'), `#!/bin/sh
for a in "$@"; do
  if [ "$a" = "-p" ]; then "${real}" "$@" | awk '/^commit [0-9a-f]+/ { n++ } n <= 2'; exit 0; fi
done
exec "${real}" "$@"
`, { mode: 0o755 });
    const shortGit = join(dir, 'git');
    const { result, contents } = await scan([history.at(-1)!.sha], shortGit);
    // Newest first: the leak, the oldest commit, is what the short log lost, and gitleaks says nothing is wrong.
    expect(result.exitCode).toBe(0);
    expect(result.rawReport.trim()).toBe('[]');
    expect(result.commitsScanned).toBeLessThan(contents.commitsWithText);
    const res = await outcome(Promise.resolve().then(() => proveWholeRange(result.commitsScanned, contents.commitsWithText)));
    expect((res as { error: Error }).error).toBeInstanceOf(RetryableError);
    expect((res as { error: Error }).error.message).toContain('stopped early');

    // The scanner itself, on a project the fake GitLab serves: the same short log is a retry, not a clean check.
    const repo = env.repo('acme/short-log');
    repo.commit({ files: { 'prod.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'leak' });
    for (let i = 0; i < 3; i++) repo.commit({ files: { [`f${i}.txt`]: `${i}\n` }, message: `clean ${i}` });
    const head = repo.revParse('refs/heads/main');
    const s = { ...env.settings(), gitBin: shortGit };
    const scanned = await outcome(env.scanner({}, s).scan(env.run(env.check({ projectPath: repo.name, commitSha: head }), s)));
    expect((scanned as { error: Error }).error).toBeInstanceOf(RetryableError);
    expect((scanned as { error: Error }).error.message).toMatch(/gitleaks read 2 commit\(s\) but the range holds 4 with changes/);
  }, SLOW);
});
