/**
 * `secbot scan` (issue 15): the compiled binary on real repositories with the real gitleaks — a pre-push hook or a
 * CI step without the service. Exit 0 clean, 1 findings, 2 error; findings printed masked, never the secret.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBareRepo, gitSync } from '../helpers/git-repo.ts';
import { fakeAwsKey, fakeGithubPat } from '../helpers/secrets.ts';
import { BINARY } from '../helpers/secbot-process.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'secbot-scan-cmd-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function secbot(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([BINARY, 'scan', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, SECBOT_CONFIG: join(dir, 'absent.yml') },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out: out + err };
}

function must(args: string[], cwd?: string) {
  const r = gitSync(args, { cwd });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('secbot scan', () => {
  test('a clean repository exits 0; a leak exits 1 with rule, file:line and commit, never the secret', async () => {
    const repo = createBareRepo(join(dir, 'bare'), 'acme/one');
    repo.commit({ files: { 'README.md': '# x\n' }, message: 'init' });
    const clean = await secbot([repo.path], dir);
    expect(clean.code).toBe(0);
    expect(clean.out).toContain('verdict: clean');
    const key = fakeAwsKey();
    const leak = repo.commit({ files: { 'conf/prod.env': `A=1\nAWS_ACCESS_KEY_ID=${key}\n` }, message: `add ${key}` });
    const r = await secbot([repo.path], dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`aws-access-token  conf/prod.env:2  commit ${leak.slice(0, 8)}`);
    expect(r.out).toContain('verdict: fail');
    expect(r.out).not.toContain(key);
  }, 60_000);

  test('in a clone, the default range is what a push would send; --full and --range say otherwise', async () => {
    const origin = createBareRepo(join(dir, 'bare'), 'acme/two');
    const oldKey = fakeGithubPat();
    const old = origin.commit({ files: { 'old.txt': `token=${oldKey}\n` }, message: 'old leak, already pushed' });
    const work = join(dir, 'work-two');
    must(['clone', '--quiet', origin.path, work]);
    must(['-c', 'user.name=d', '-c', 'user.email=d@x', 'commit', '--quiet', '--allow-empty', '-m', 'local, clean'], work);
    const local = await secbot([], work);
    expect(local.code).toBe(0);
    expect(local.out).toContain('commits of HEAD on no remote-tracking branch, 1 commits');
    const full = await secbot(['--full'], work);
    expect(full.code).toBe(1);
    expect(full.out).toContain(`commit ${old.slice(0, 8)}`);
    const range = await secbot(['--range', `${old}..HEAD`], work);
    expect(range.code).toBe(0);
    expect((await secbot(['--range', '--not'], work)).code).toBe(2);
  }, 60_000);

  test('a clone URL is cloned and scanned whole; a path that is no repository exits 2', async () => {
    const repo = createBareRepo(join(dir, 'bare'), 'acme/three');
    repo.commit({ files: { 'k.env': `K=${fakeAwsKey()}\n` }, message: 'leak' });
    const r = await secbot([`file://${repo.path}`], dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('whole history of HEAD');
    const notRepo = join(dir, 'plain');
    mkdirSync(notRepo, { recursive: true });
    const bad = await secbot([notRepo], dir);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('is not a git repository');
  }, 60_000);

  test('config.yml: the job\'s scan settings apply, and unscanned: fail fails on a binary file', async () => {
    const repo = createBareRepo(join(dir, 'bare'), 'acme/four');
    repo.commit({ files: { 'data.bin': 'a\u0000b\n' }, message: 'binary' });
    const config = join(dir, 'scan-config.yml');
    writeFileSync(config, [
      'version: "1.0"',
      'components:',
      '  gitleaks: { handler_name: gitleaks, config: { max_target_megabytes: 5 } }',
      'jobs:',
      '  - { name: strict, rules: { gitlab: { event_type: push } }, scans: [gitleaks], unscanned: fail }',
      '  - { name: lenient, rules: { gitlab: { event_type: tag_push } }, scans: [gitleaks] }',
      '',
    ].join('\n'));
    const strict = await secbot([repo.path, '--config', config, '--job', 'strict'], dir);
    expect(strict.code).toBe(1);
    expect(strict.out).toContain('[not scanned] data.bin');
    expect((await secbot([repo.path, '--config', config, '--job', 'lenient'], dir)).code).toBe(0);
    const unknown = await secbot([repo.path, '--config', config, '--job', 'nope'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toContain('no job named "nope"');
  }, 60_000);
});
