/**
 * The pipeline gate script (ci/secbot-gate.sh, what ci/secbot-gate.gitlab-ci.yml runs) against a running SecBot
 * binary, for each outcome: success, fail (with the findings' links), error, timeout, and waiting through
 * not_started / in_progress until the verdict. The check id it polls is computed the seed's way, in shell.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { PREFIX, World } from '../helpers/world.ts';

const SCRIPT = join(import.meta.dir, '..', '..', 'ci', 'secbot-gate.sh');

/** A PATH of busybox applets only (sh, wget, sed, grep, awk…): an alpine image without curl or jq. */
function busyboxPath(): string {
  const busybox = Bun.which('busybox');
  if (!busybox) throw new Error('busybox is required: apt-get install -y busybox (scripts/test.sh does)');
  const bin = join(mkdtempSync(join(tmpdir(), 'secbot-bb-')), 'bin');
  mkdirSync(bin);
  for (const a of ['sh', 'wget', 'sha256sum', 'head', 'tail', 'sed', 'grep', 'tr', 'awk', 'wc', 'mktemp', 'rm', 'date', 'sleep', 'timeout', 'cat']) {
    symlinkSync(busybox, join(bin, a));
  }
  return bin;
}

describe('ci/secbot-gate.sh against SecBot', () => {
  let w: World;
  beforeAll(async () => {
    w = await World.start({ db: 'sqlite', launch: 'binary', env: { SECBOT_TASK_MAX_ATTEMPTS: '1', SECBOT_LOG_LEVEL: 'info' } });
  });
  afterAll(async () => w.stop());

  function gate(project: string, sha: string, timeout = 30, opts: { busybox?: boolean } = {}) {
    const proc = Bun.spawn([...(opts.busybox ? [Bun.which('busybox')!, 'sh'] : ['sh']), SCRIPT], {
      env: {
        PATH: opts.busybox ? busyboxPath() : process.env.PATH!,
        SECBOT_URL: w.resultsUrl,
        SECBOT_PREFIX: PREFIX,
        SECBOT_TIMEOUT: String(timeout),
        SECBOT_POLL_INTERVAL: '0.2',
        CI_SERVER_HOST: '127.0.0.1',
        CI_PROJECT_PATH: project,
        CI_COMMIT_SHA: sha,
      },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    return (async () => ({ code: await proc.exited, out: (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text()) }))();
  }

  function project(path: string, files: Record<string, string>) {
    const repo = w.repo(path);
    const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const head = repo.commit({ files, message: 'change' });
    return { base, head, push: () => w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path, before: base, after: head })) };
  }

  test('success: a clean commit passes', async () => {
    const p = project('ci/clean', { 'a.txt': 'fine\n' });
    await p.push();
    const r = await gate('ci/clean', p.head);
    expect(r.code).toBe(0);
    expect(r.out).toContain('success');
  });

  test('fail: a leaking commit fails the job and lists the findings', async () => {
    const p = project('ci/leaky', { '.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` });
    await p.push();
    const r = await gate('ci/leaky', p.head);
    expect(r.code).toBe(1);
    expect(r.out).toContain('fail');
    expect(r.out).toContain(`${w.dojo.url}/finding/`);
  });

  test('busybox only (wget, no curl, no jq): a clean commit passes, a leaking one fails with its findings', async () => {
    const clean = project('ci/bb-clean', { 'a.txt': 'fine\n' });
    const leaky = project('ci/bb-leaky', { '.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` });
    await clean.push();
    await leaky.push();
    const ok = await gate('ci/bb-clean', clean.head, 30, { busybox: true });
    expect(ok.out).toContain('curl not found, using wget');
    expect(ok.code).toBe(0);
    const bad = await gate('ci/bb-leaky', leaky.head, 30, { busybox: true });
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('fail --> Vulnerabilities found');
    expect(bad.out).toContain(`${w.dojo.url}/finding/`);
  });

  test('error: a check SecBot could not finish fails the job with the reason', async () => {
    const p = project('ci/broken', { 'a.txt': 'x\n' });
    w.gitlab.setToken('rotated-token-that-secbot-does-not-have');
    await p.push();
    const r = await gate('ci/broken', p.head);
    w.gitlab.setToken('glpat-test-TOKEN-abcdef123456');
    expect(r.code).toBe(1);
    expect(r.out).toContain('error');
    expect(r.out).toContain('auth_token');
  });

  test('waits through not_started and in_progress, then passes', async () => {
    const p = project('ci/later', { 'b.txt': 'fine\n' });
    const pending = gate('ci/later', p.head);
    await Bun.sleep(800);
    await p.push();
    const r = await pending;
    expect(r.code).toBe(0);
    expect(r.out).toContain('not_started');
  });

  test('timeout: a commit SecBot never heard of fails after SECBOT_TIMEOUT', async () => {
    const r = await gate('ci/unknown', 'e'.repeat(40), 2);
    expect(r.code).toBe(1);
    expect(r.out.toLowerCase()).toContain('timeout');
  });
});
