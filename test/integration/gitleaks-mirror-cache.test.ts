// The mirror cache under the scanner: concurrent scans, repair of a damaged mirror, LRU eviction, and where the
// token may (environment) and may not (argv, mirror files, logs) appear.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLayout, directorySize, lockFile, mirrorDir, mirrorKey } from '../../src/clients/git/cache-store.ts';
import { acquireLock } from '../../src/clients/git/file-lock.ts';
import { basicCredentials } from '../../src/clients/git/git-env.ts';
import { createMirrorCache } from '../../src/clients/git/mirror-cache.ts';
import type { Settings } from '../../src/config/settings.ts';
import { fakeAwsKey, startEnv, TOKEN, type Env } from './gitleaks-fixtures.ts';

// bun 1.4 ignores bunfig's [test] timeout (5 s default): real git and gitleaks runs need more under load.
const SLOW = 60_000;

let env: Env;
beforeAll(() => {
  env = startEnv('gitleaks-cache');
});
afterAll(() => env.stop());

const awsLine = (key: string) => `aws_access_key_id = "${key}"\n`;
const mirrorOf = (s: Settings, project: string) => mirrorDir(cacheLayout(s.cacheDir), mirrorKey(s.gitlab[0]!.baseUrl, project));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** The command lines of all processes, as `ps` would show them. */
function processes(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      out.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // The process ended between readdir and read.
    }
  }
  return out;
}

/** Overwrites every object file (loose objects, packs, indexes) with junk. */
function corruptObjects(mirror: string) {
  for (const file of filesUnder(join(mirror, 'objects'))) {
    if (file.includes(`${'/'}info${'/'}`)) continue;
    chmodSync(file, 0o644);
    writeFileSync(file, Buffer.alloc(Math.max(64, statSync(file).size), 0x5a));
  }
}

describe('concurrency', () => {
  test('two concurrent scans of one project on a cold cache both succeed', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('team/concurrent');
    repo.generateHistory(400);
    const before = repo.revParse('refs/heads/main');
    const sha = repo.commit({ files: { 'secrets.cfg': awsLine(key) }, message: 'leak' });
    const s = env.settings({ cacheDir: join(env.root, 'cache-concurrent') });
    const check = env.check({ projectPath: repo.name, commitSha: sha, beforeSha: before });
    // Two scanner instances stand for two workers: they share nothing but the cache folder.
    const [a, b] = await Promise.all([env.scanner({}, s).scan(env.run(check, s)), env.scanner({}, s).scan(env.run(check, s))]);
    expect(a.status).toBe('leaks');
    expect(b.status).toBe('leaks');
    expect(a.leaks).toEqual(b.leaks);
    const fsck = Bun.spawnSync(['git', '--git-dir', mirrorOf(s, repo.name), 'fsck', '--no-dangling'], { env: { PATH: process.env.PATH!, GIT_CONFIG_NOSYSTEM: '1', HOME: env.root } });
    expect(fsck.exitCode).toBe(0);
  }, SLOW);
});

describe('repair', () => {
  const damage: [string, number, (mirror: string) => void][] = [
    ['loose objects overwritten with junk', 0, corruptObjects],
    ['pack and index overwritten with junk', 300, corruptObjects],
    ['pack files deleted', 300, (m) => {
      for (const f of filesUnder(join(m, 'objects', 'pack'))) rmSync(f);
    }],
  ];
  test.each(damage)('a mirror with %s is deleted and fetched again', async (label, history, harm) => {
    const key = fakeAwsKey();
    const repo = env.repo(`team/corrupt-${label.replace(/\W+/g, '-')}`);
    if (history) repo.generateHistory(history);
    const c1 = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    const c2 = repo.commit({ files: { 'k.cfg': awsLine(key) }, message: 'leak' });
    const s = env.settings({ cacheDir: join(env.root, 'cache-corrupt') });
    const check = env.check({ projectPath: repo.name, commitSha: c2, beforeSha: c1 });
    expect((await env.scanner({}, s).scan(env.run(check, s))).status).toBe('leaks');
    const mirror = mirrorOf(s, repo.name);
    if (history) expect(filesUnder(join(mirror, 'objects', 'pack')).some((f) => f.endsWith('.pack'))).toBe(true);
    harm(mirror);
    env.logs.length = 0;
    expect((await env.scanner({}, s).scan(env.run(check, s))).status).toBe('leaks');
    expect(env.logs.join('\n')).toContain('damaged');
  }, SLOW);

  test('a damaged blob deep in the range (invisible to the quick check) is found by gitleaks and repaired', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('team/corrupt-blob');
    const c1 = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    const c2 = repo.commit({ files: { 'k.cfg': awsLine(key) }, message: 'leak' });
    const c3 = repo.commit({ files: { 'b.txt': 'b\n' }, message: 'b' });
    const s = env.settings({ cacheDir: join(env.root, 'cache-corrupt') });
    const check = env.check({ projectPath: repo.name, commitSha: c3, beforeSha: c1 });
    expect((await env.scanner({}, s).scan(env.run(check, s))).status).toBe('leaks');
    const blob = repo.revParse(`${c2}:k.cfg`);
    const file = join(mirrorOf(s, repo.name), 'objects', blob.slice(0, 2), blob.slice(2));
    chmodSync(file, 0o644);
    writeFileSync(file, Buffer.alloc(64, 0x5a));
    env.logs.length = 0;
    expect((await env.scanner({}, s).scan(env.run(check, s))).status).toBe('leaks');
    expect(env.logs.join('\n')).toContain('damaged');
  }, SLOW);

  test('a mirror that is no repository any more (HEAD gone) is rebuilt', async () => {
    const repo = env.repo('team/no-head');
    const c1 = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    const c2 = repo.commit({ files: { 'b.txt': 'b\n' }, message: 'b' });
    const s = env.settings({ cacheDir: join(env.root, 'cache-nohead') });
    const check = env.check({ projectPath: repo.name, commitSha: c2, beforeSha: c1 });
    expect((await env.scanner({}, s).scan(env.run(check, s))).status).toBe('clean');
    rmSync(join(mirrorOf(s, repo.name), 'HEAD'));
    expect((await env.scanner({}, s).scan(env.run(check, s))).status).toBe('clean');
    expect(existsSync(join(mirrorOf(s, repo.name), 'HEAD'))).toBe(true);
  }, SLOW);
});

describe('eviction', () => {
  async function scanProject(name: string, s: Settings) {
    const repo = existsSync(join(env.reposDir, `${name}.git`)) ? null : env.repo(name);
    if (repo) repo.generateHistory(50, { files: (i) => ({ [`f-${i % 5}.txt`]: `same content ${i}\n` }) });
    const sha = Bun.spawnSync(['git', '--git-dir', join(env.reposDir, `${name}.git`), 'rev-parse', 'refs/heads/main']).stdout.toString().trim();
    return env.scanner({}, s).scan(env.run(env.check({ projectPath: name, commitSha: sha, beforeSha: sha }), s));
  }

  test('least recently used mirrors go first; the one in use and locked ones stay', async () => {
    const cacheDir = join(env.root, 'cache-lru');
    const roomy = env.settings({ cacheDir });
    await scanProject('lru/aaa', roomy);
    await scanProject('lru/bbb', roomy);
    const sizeA = await directorySize(mirrorOf(roomy, 'lru/aaa'));
    const sizeB = await directorySize(mirrorOf(roomy, 'lru/bbb'));
    await Bun.sleep(5);
    await scanProject('lru/aaa', roomy); // A is now more recently used than B
    // Room for about two mirrors: adding C must evict B (least recently used), not A.
    const tight = env.settings({ cacheDir, maxBytes: sizeA + sizeB + 512 });
    await scanProject('lru/ccc', tight);
    expect(existsSync(mirrorOf(tight, 'lru/aaa'))).toBe(true);
    expect(existsSync(mirrorOf(tight, 'lru/bbb'))).toBe(false);
    expect(existsSync(mirrorOf(tight, 'lru/ccc'))).toBe(true);
    // The evicted mirror's lock file goes with it (deleted under its own lock).
    const locks = cacheLayout(cacheDir).locks;
    expect(existsSync(lockFile(cacheLayout(cacheDir), mirrorKey(tight.gitlab[0]!.baseUrl, 'lru/bbb')))).toBe(false);
    expect(existsSync(lockFile(cacheLayout(cacheDir), mirrorKey(tight.gitlab[0]!.baseUrl, 'lru/aaa')))).toBe(true);
    // A lock file left without its mirror (an older SecBot, a first fetch that died) is swept at the next eviction.
    writeFileSync(join(locks, 'orphan-0123456789abcdef.lock'), '');
    // A mirror somebody holds is not evicted, even when it is the oldest.
    const tiny = env.settings({ cacheDir, maxBytes: 1 });
    const held = await acquireLock(lockFile(cacheLayout(cacheDir), mirrorKey(tiny.gitlab[0]!.baseUrl, 'lru/aaa')), 'shared', { wait: true });
    try {
      await scanProject('lru/bbb', tiny);
    } finally {
      await held!.release();
    }
    expect(existsSync(mirrorOf(tiny, 'lru/aaa'))).toBe(true);
    expect(existsSync(mirrorOf(tiny, 'lru/bbb'))).toBe(true); // its own mirror, in use
    expect(existsSync(mirrorOf(tiny, 'lru/ccc'))).toBe(false);
    const result = await createMirrorCache({ settings: tiny, logger: env.logger }).evict();
    expect(result.evicted.length).toBe(2);
    expect(readdirSync(cacheLayout(cacheDir).mirrors)).toEqual([]);
    expect(readdirSync(locks)).toEqual([]);
  }, SLOW);
});

describe('the token', () => {
  test('never appears in any process argv, in the mirror files or in the logs', async () => {
    const repo = env.repo('team/token-hygiene');
    repo.generateHistory(3000, { files: (i) => ({ [`data/file-${i % 200}.txt`]: `line ${i} `.repeat(50) }) });
    const tip = repo.commit({ files: { 'x.txt': 'x\n' }, message: 'x' });
    const s = env.settings({ cacheDir: join(env.root, 'cache-token') });
    const needles = [TOKEN, basicCredentials(TOKEN)];
    const seen: string[] = [];
    const sample = () => seen.push(...processes());
    const timer = setInterval(sample, 2);
    try {
      await env.scanner({ mode: 'full' }, s).scan(env.run(env.check({ projectPath: repo.name, commitSha: tip }), s));
    } finally {
      clearInterval(timer);
    }
    // The sampler did see SecBot's git and gitleaks processes…
    expect(seen.some((c) => c.includes(' fetch ') && c.includes(repo.name))).toBe(true);
    expect(seen.some((c) => c.includes('gitleaks git '))).toBe(true);
    // …and none carried the token.
    for (const n of needles) expect(seen.filter((c) => c.includes(n))).toEqual([]);
    const mirror = mirrorOf(s, repo.name);
    const config = readFileSync(join(mirror, 'config'), 'utf8');
    expect(config).not.toContain('http');
    for (const file of filesUnder(mirror)) {
      const bytes = readFileSync(file);
      for (const n of needles) expect(bytes.includes(n)).toBe(false);
    }
    for (const n of needles) expect(env.logs.join('\n')).not.toContain(n);
  }, SLOW);
});

describe('cancellation', () => {
  test('aborting the task mid-scan kills gitleaks and the git it runs, and frees the mirror', async () => {
    const repo = env.repo('team/abort-mid-scan');
    repo.generateHistory(4000, { files: (i) => ({ [`data/file-${i % 100}.txt`]: `line ${i} `.repeat(200) }) });
    const tip = repo.revParse('refs/heads/main');
    const s = env.settings({ cacheDir: join(env.root, 'cache-abort') });
    const mirror = mirrorOf(s, repo.name);
    const running = () => processes().filter((cmd) => cmd.includes(mirror));
    const controller = new AbortController();
    const reason = new Error('lease lost');
    const scan = env.scanner({ mode: 'full' }, s).scan(env.run(env.check({ projectPath: repo.name, commitSha: tip }), s, controller.signal));
    const deadline = Date.now() + 20_000;
    while (!running().some((cmd) => cmd.startsWith('gitleaks '))) {
      if (Date.now() > deadline) throw new Error('gitleaks never started');
      await Bun.sleep(5);
    }
    controller.abort(reason);
    await expect(scan).rejects.toBe(reason);
    await Bun.sleep(200);
    expect(running()).toEqual([]);
    const lock = await acquireLock(lockFile(cacheLayout(s.cacheDir), mirrorKey(s.gitlab[0]!.baseUrl, repo.name)), 'exclusive', { wait: false });
    expect(lock).not.toBeNull();
    await lock!.release();
  }, SLOW);
});
