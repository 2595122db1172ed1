// The gitleaks scanner end to end: real bare repositories served over git smart HTTP by the fake GitLab, the real
// mirror cache, the real gitleaks binary (.tools/bin), and the real history store (SQLite) between scans, recorded
// the way the task runner records them. Each test builds the history it needs.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckRecord } from '../../src/core/check.ts';
import { ConfigError, PermanentError, RetryableError } from '../../src/core/errors.ts';
import type { ScanReport } from '../../src/core/results.ts';
import { HistoryStore, projectKey } from '../../src/db/history.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { password } from '../helpers/fake-values.ts';
import { fakeAwsKey, fakeGithubPat, outcome, PREFIX, startEnv, TOKEN, type Env } from './gitleaks-fixtures.ts';

// bun 1.4 ignores bunfig's [test] timeout (5 s default): real git and gitleaks runs need more under load.
const SLOW = 60_000;

let env: Env;
let testDb: TestDb;
let store: HistoryStore;
beforeAll(async () => {
  env = startEnv('gitleaks-scan');
  testDb = await createTestDb('sqlite');
  store = new HistoryStore(testDb.db);
});
afterAll(async () => {
  await env.stop();
  await testDb.drop();
});

const awsLine = (key: string) => `aws_access_key_id = "${key}"\n`;

/** Reads the recorded history, scans, records — what the task runner does — and returns the report and links. */
async function scanRecorded(check: CheckRecord, cfg: Record<string, unknown> = {}) {
  const project = projectKey(check);
  const history = await store.scanHistory(project, 'gitleaks');
  const report = await env.scanner(cfg).scan(env.run(check, undefined, undefined, history));
  const k = { checkId: check.id, generation: 1 };
  await testDb.db.tx((tx) => store.recordScan(tx, { ...k, createdAt: check.createdAt }, project, 'gitleaks', report));
  const linked = await store.checkLeaks(k);
  return { report, linked, own: linked.filter((l) => !l.inherited), inherited: linked.filter((l) => l.inherited) };
}

function expectNoSecret(report: ScanReport, ...secrets: string[]) {
  const text = JSON.stringify(report);
  for (const s of secrets) expect(text).not.toContain(s);
}

describe('coverage: every commit of the history, once', () => {
  test('first sight scans the whole history; the next push scans one commit and inherits the old leak', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/first-sight');
    const c1 = repo.commit({ files: { 'old.cfg': awsLine(key) }, message: 'oops' });
    repo.commit({ files: { 'old.cfg': null, 'src/a.ts': 'export const a = 1;\n' }, message: 'remove' });
    const c3 = repo.commit({ files: { 'src/b.ts': 'export const b = 2;\n' }, message: 'more' });
    const first = await scanRecorded(env.check({ projectPath: repo.name, commitSha: c3 }));
    expect(first.report.summary).toMatchObject({ commits: 3, firstSight: true });
    expect(first.report.status).toBe('leaks');
    expect(first.own.map((l) => [l.commit, l.file, l.line, l.ruleId])).toEqual([[c1, 'old.cfg', 1, 'aws-access-token']]);
    expect(JSON.parse(first.report.reportJson)[0].Secret).toStartWith('REDACTED-');
    expectNoSecret(first.report, key);
    const c4 = repo.commit({ files: { 'src/c.ts': 'export const c = 3;\n' }, message: 'clean commit on top' });
    const next = await scanRecorded(env.check({ projectPath: repo.name, commitSha: c4, beforeSha: c3 }));
    expect(next.report.summary).toMatchObject({ commits: 1, firstSight: false });
    expect(next.report.status).toBe('clean');
    expect(next.own).toEqual([]);
    expect(next.inherited.map((l) => l.commit)).toEqual([c1]);
    expect(env.logs.join('\n')).not.toContain(key);
  }, SLOW);

  test('a forged before == after does not shrink the range', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/forged');
    const c1 = repo.commit({ files: { 'k.cfg': awsLine(key) }, message: 'leak' });
    const forged = await scanRecorded(env.check({ projectPath: repo.name, commitSha: c1, beforeSha: c1 }));
    expect(forged.report.status).toBe('leaks');
    expect(forged.own.map((l) => l.commit)).toEqual([c1]);
  }, SLOW);

  test('two branches, one containing the other (git push --all): both answer for the leak', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/push-all');
    repo.commit({ files: { 'README.md': '# x\n' }, message: 'init' });
    const leak = repo.commit({ files: { 'deploy.cfg': awsLine(key) }, message: 'leak' });
    const tip = repo.commit({ files: { 'b.txt': 'b\n' }, message: 'more' });
    repo.branch('feature', leak);
    const onFeature = await scanRecorded(env.check({ projectPath: repo.name, commitSha: leak, ref: { kind: 'branch', name: 'feature' } }));
    const onMain = await scanRecorded(env.check({ projectPath: repo.name, commitSha: tip }));
    expect(onFeature.own.map((l) => l.commit)).toEqual([leak]);
    expect(onMain.report.summary.commits).toBe(1);
    expect(onMain.inherited.map((l) => l.commit)).toEqual([leak]);
  }, SLOW);

  test('a tag (or branch) on a covered commit scans nothing and inherits', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/tag-covered');
    const c1 = repo.commit({ files: { 'k.cfg': awsLine(key) }, message: 'leak' });
    const c2 = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    await scanRecorded(env.check({ projectPath: repo.name, commitSha: c2 }));
    repo.tag('v1', c1, { annotated: true });
    const tag = await scanRecorded(env.check({ projectPath: repo.name, eventType: 'tag_push', commitSha: c1, ref: { kind: 'tag', name: 'v1' } }));
    expect(tag.report.status).toBe('skipped');
    expect(tag.report.summary.commits).toBe(0);
    expect(tag.inherited.map((l) => l.commit)).toEqual([c1]);
  }, SLOW);

  test('a secret added then removed inside an MR (MR ref only, as from a fork) is part of the head\'s history', async () => {
    const pat = fakeGithubPat();
    const repo = env.repo('acme/mr');
    const m1 = repo.commit({ files: { 'README.md': '# mr\n' }, message: 'init' });
    await scanRecorded(env.check({ projectPath: repo.name, commitSha: m1 }));
    repo.branch('fork-work', m1);
    const f1 = repo.commit({ files: { 'ci/token.txt': `GITHUB_TOKEN=${pat}\n` }, message: 'add token', branch: 'fork-work' });
    const f2 = repo.commit({ files: { 'ci/token.txt': null }, message: 'remove token', branch: 'fork-work' });
    repo.mergeRequestRef(12, f2);
    repo.deleteBranch('fork-work');
    const mr = await scanRecorded(env.check({
      projectPath: repo.name, eventType: 'merge_request', commitSha: f2, ref: { kind: 'branch', name: 'fork-work' },
      mergeRequest: { iid: 12, action: 'update', sourceBranch: 'fork-work', targetBranch: 'main', oldrev: f1, url: null, title: 'MR' },
    }));
    expect(mr.report.summary.commits).toBe(2);
    expect(mr.own.map((l) => [l.commit, l.ruleId])).toEqual([[f1, 'github-pat']]);
    expectNoSecret(mr.report, pat);
  }, SLOW);

  test('full mode scans the whole history every time and answers in the same shape', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/full');
    const c1 = repo.commit({ files: { 'k.cfg': awsLine(key) }, message: 'leak' });
    const c2 = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    await scanRecorded(env.check({ projectPath: repo.name, commitSha: c2 }), { mode: 'full' });
    const again = await scanRecorded(env.check({ projectPath: repo.name, commitSha: c2 }), { mode: 'full' });
    expect(again.report.summary).toMatchObject({ mode: 'full', commits: 2 });
    expect(again.own.map((l) => l.commit)).toEqual([c1]);
    expect(again.report.history?.covers).toBe(c2);
  }, SLOW);

  test('coverage stays small: a commit covering an older covered commit replaces it', async () => {
    const repo = env.repo('acme/prune');
    const c1 = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    await scanRecorded(env.check({ projectPath: repo.name, commitSha: c1 }));
    const c2 = repo.commit({ files: { 'b.txt': 'b\n' }, message: 'b' });
    await scanRecorded(env.check({ projectPath: repo.name, commitSha: c2 }));
    const c3 = repo.commit({ files: { 'c.txt': 'c\n' }, message: 'c' });
    const third = await scanRecorded(env.check({ projectPath: repo.name, commitSha: c3 }));
    expect(third.report.summary.commits).toBe(1);
    expect((await store.scanHistory(projectKey(env.check({ projectPath: repo.name, commitSha: c3 })), 'gitleaks')).coveredCommits).toEqual([c3]);
  }, SLOW);
});

describe('secrets stay secret', () => {
  test('a secret in a file name, a commit message and the branch name is masked everywhere', async () => {
    const pat = fakeGithubPat();
    const repo = env.repo('acme/names');
    const c1 = repo.commit({
      files: { [`keys/${pat}.txt`]: `token: ${pat}\n` },
      message: `add ${pat} for CI`,
      author: { name: `dev ${pat}`, email: 'dev@example.com' },
    });
    const check = env.check({ projectPath: repo.name, commitSha: c1, ref: { kind: 'branch', name: `feature/${pat}` }, userName: pat });
    const { report, own } = await scanRecorded(check);
    expect(report.findingCount).toBeGreaterThanOrEqual(1);
    expectNoSecret(report, pat);
    expect(JSON.stringify(own)).not.toContain(pat);
    expect(own[0]!.file).toBe('keys/REDACTED.txt');
    expect(report.maskedContext).toEqual({ refName: 'feature/REDACTED', userName: 'REDACTED' });
    const entry = JSON.parse(report.reportJson)[0];
    expect(entry.Message).toBe('add REDACTED for CI');
    expect(entry.Author).toBeUndefined();
    expect(entry.Tags).toContain(`secbot-leak:${own[0]!.leakKey}`);
  }, SLOW);
});

describe('what gitleaks cannot read is reported, not called clean', () => {
  test('a file over max_target_megabytes and a text file with one NUL byte are listed as unscanned', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/unscanned');
    const big = `${awsLine(key)}${'x'.repeat(120)}\n`.repeat(Math.ceil(2_100_000 / 160));
    const c1 = repo.commit({ files: { 'dump/big.sql': big, 'notes/nul.txt': `${awsLine(fakeAwsKey())}\u0000\n`, 'ok.txt': 'fine\n' }, message: 'data' });
    const { report, own } = await scanRecorded(env.check({ projectPath: repo.name, commitSha: c1 }), { max_target_megabytes: 1 });
    expect(report.status).toBe('clean');
    expect(report.summary.unscanned).toBe(2);
    expect(own.filter((l) => l.kind === 'unscanned').map((l) => [l.file, l.ruleId]).sort()).toEqual([
      ['dump/big.sql', 'secbot:unscanned:too-large'],
      ['notes/nul.txt', 'secbot:unscanned:binary'],
    ]);
    // A later small change to the big file is scanned (its hunk is small): not listed again.
    const c2 = repo.commit({ files: { 'ok.txt': 'fine, still\n' }, message: 'small' });
    const next = await scanRecorded(env.check({ projectPath: repo.name, commitSha: c2 }), { max_target_megabytes: 1 });
    expect(next.report.summary.unscanned).toBe(0);
    expect(next.inherited.filter((l) => l.kind === 'unscanned').length).toBe(2);
  }, SLOW);
});

describe('rules', () => {
  test('rules_file replaces the built-in rules; a missing one is a ConfigError', async () => {
    const repo = env.repo('acme/rules-file');
    const canary = ['secbot', 'canary', '424242'].join('-');
    const c1 = repo.commit({ files: { 'a.txt': `${canary}\n`, 'k.cfg': awsLine(fakeAwsKey()) }, message: 'two' });
    const rules = join(env.root, 'rules.toml');
    writeFileSync(rules, `[[rules]]\nid = "secbot-canary"\ndescription = "canary"\nregex = '''secbot-canary-[0-9]{6}'''\n`);
    const check = env.check({ projectPath: repo.name, commitSha: c1 });
    const report = await env.scanner({ rules_file: rules }).scan(env.run(check));
    expect(report.leaks.map((l) => l.ruleId)).toEqual(['secbot-canary']);
    const missing = await outcome(env.scanner({ rules_file: join(env.root, 'nope.toml') }).scan(env.run(check)));
    expect((missing as { error: Error }).error).toBeInstanceOf(ConfigError);
    expect((missing as { error: Error }).error.message).toContain('nope.toml of component gitleaks does not exist');
  }, SLOW);
});

describe('rules setting', () => {
  test("SecBot's pack is the default: a password in a config file is found, with its severity tag; not with gitleaks-default", async () => {
    const pw = password();
    const repo = env.repo('acme/rules-pack');
    const c1 = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const c2 = repo.commit({ files: { 'config/app.ini': `[db]\nhost = db1\npassword = ${pw}\n` }, message: 'db config' });
    const check = env.check({ projectPath: repo.name, commitSha: c2, beforeSha: c1 });
    const report = await env.scanner().scan(env.run(check));
    expect(report.leaks.map(({ ruleId, file, line, commit }) => ({ ruleId, file, line, commit }))).toEqual([
      { ruleId: 'secbot-password-in-config', file: 'config/app.ini', line: 3, commit: c2 },
    ]);
    expect(JSON.parse(report.reportJson)[0].Tags).toContain('severity:high');
    expectNoSecret(report, pw);
    expect((await env.scanner({ rules: 'secbot' }).scan(env.run(check))).status).toBe('leaks');
    // gitleaks' own rules have no such rule (their generic-api-key may or may not find a random password).
    const defaults = await env.scanner({ rules: 'gitleaks-default' }).scan(env.run(check));
    expect(defaults.leaks.map((l) => l.ruleId)).not.toContain('secbot-password-in-config');
  }, SLOW);

  test('rules: <path> runs that file; a missing one is a ConfigError', async () => {
    const repo = env.repo('acme/rules-path');
    const c1 = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const canary = ['secbot', 'canary', '515151'].join('-');
    const c2 = repo.commit({ files: { 'a.txt': `${canary}\n` }, message: 'canary' });
    const rules = join(env.root, 'rules-path.toml');
    writeFileSync(rules, `[[rules]]\nid = "secbot-canary"\ndescription = "canary"\nregex = '''secbot-canary-[0-9]{6}'''\n`);
    const check = env.check({ projectPath: repo.name, commitSha: c2, beforeSha: c1 });
    expect((await env.scanner({ rules }).scan(env.run(check))).leaks.map((l) => l.ruleId)).toEqual(['secbot-canary']);
    const missing = await outcome(env.scanner({ rules: join(env.root, 'absent.toml') }).scan(env.run(check)));
    expect((missing as { error: Error }).error).toBeInstanceOf(ConfigError);
    expect((missing as { error: Error }).error.message).toContain('absent.toml of component gitleaks does not exist');
  }, SLOW);
});

describe('repository-controlled suppression', () => {
  test('.gitleaks.toml disabling the rule is ignored by default and honoured with allow_repo_config', async () => {
    const repo = env.repo('acme/repo-config');
    const toml = '[extend]\nuseDefault = true\ndisabledRules = ["aws-access-token"]\n';
    const c1 = repo.commit({ files: { '.gitleaks.toml': toml, 'keys.cfg': awsLine(fakeAwsKey()) }, message: 'sneaky' });
    const check = env.check({ projectPath: repo.name, commitSha: c1 });
    expect((await env.scanner().scan(env.run(check))).status).toBe('leaks');
    expect((await env.scanner({ allow_repo_config: true }).scan(env.run(check))).status).toBe('clean');
  }, SLOW);

  test('.gitleaksignore is ignored by default and honoured with allow_repo_config', async () => {
    const repo = env.repo('acme/repo-ignore');
    const c1 = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const c2 = repo.commit({ files: { 'keys.cfg': awsLine(fakeAwsKey()) }, message: 'leak' });
    const c3 = repo.commit({ files: { '.gitleaksignore': `${c2}:keys.cfg:aws-access-token:1\n` }, message: 'ignore it' });
    const check = env.check({ projectPath: repo.name, commitSha: c3 });
    expect(c1).toBeString();
    expect((await env.scanner().scan(env.run(check))).status).toBe('leaks');
    expect((await env.scanner({ allow_repo_config: true }).scan(env.run(check))).status).toBe('clean');
  }, SLOW);

  test('an inline gitleaks:allow comment is ignored by default', async () => {
    const repo = env.repo('acme/inline-allow');
    const c1 = repo.commit({ files: { 'app.py': `KEY = "${fakeAwsKey()}"  # gitleaks:allow\n` }, message: 'allow' });
    const check = env.check({ projectPath: repo.name, commitSha: c1 });
    expect((await env.scanner().scan(env.run(check))).status).toBe('leaks');
    expect((await env.scanner({ allow_repo_config: true }).scan(env.run(check))).status).toBe('clean');
  }, SLOW);
});

describe('failures', () => {
  test('a wrong token: RetryableError naming the instance and host, never the token', async () => {
    const repo = env.repo('acme/auth');
    const c1 = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    const wrong = ['wrong', 'token', 'zyxwvu987'].join('-');
    const s = env.settings({ token: wrong });
    const res = await outcome(env.scanner({}, s).scan(env.run(env.check({ projectPath: repo.name, commitSha: c1 }), s)));
    expect(res.ok).toBe(false);
    const error = (res as { error: Error }).error;
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toContain(`GitLab at ${env.fake.host} rejected the auth_token of GITLAB_CONFIGS instance ${PREFIX} (401)`);
    expect(error.message).toContain('read_repository');
    for (const t of [wrong, TOKEN, Buffer.from(`oauth2:${wrong}`).toString('base64')]) {
      expect(error.message).not.toContain(t);
      expect(env.logs.join('\n')).not.toContain(t);
    }
  }, SLOW);

  test('an unknown project: RetryableError with the project path', async () => {
    const res = await outcome(env.scanner().scan(env.run(env.check({ projectPath: 'acme/does-not-exist', commitSha: 'a'.repeat(40) }))));
    expect((res as { error: Error }).error).toBeInstanceOf(RetryableError);
    expect((res as { error: Error }).error.message).toContain('did not find the project acme/does-not-exist (404)');
  }, SLOW);

  test('a commit GitLab does not have: PermanentError', async () => {
    const repo = env.repo('acme/missing-commit');
    repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    const res = await outcome(env.scanner().scan(env.run(env.check({ projectPath: repo.name, commitSha: 'b'.repeat(40) }))));
    expect((res as { error: Error }).error).toBeInstanceOf(PermanentError);
    expect((res as { error: Error }).error.message).toContain(`commit ${'b'.repeat(40)} is not in acme/missing-commit`);
  }, SLOW);

  test('a gitleaks binary that is not there: ConfigError naming the setting', async () => {
    const repo = env.repo('acme/no-binary');
    const c1 = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    const s = { ...env.settings(), gitleaksBin: join(env.root, 'missing', 'gitleaks') };
    const res = await outcome(env.scanner({}, s).scan(env.run(env.check({ projectPath: repo.name, commitSha: c1 }), s)));
    expect((res as { error: Error }).error).toBeInstanceOf(ConfigError);
    expect((res as { error: Error }).error.message).toContain('SECBOT_GITLEAKS_BIN');
  }, SLOW);

  test('a gitleaks whose exit code and report disagree is never read as clean: RetryableError', async () => {
    const repo = env.repo('acme/disagree');
    const c1 = repo.commit({ files: { 'prod.env': awsLine(fakeAwsKey()) }, message: 'leak' });
    // The real gitleaks runs (its report goes to stdout); the wrapper then loses its report or its exit code.
    const real = env.settings().gitleaksBin;
    for (const [name, script] of [
      ['lost-report', `report=$("${real}" "$@"); status=$?; printf '[]'; exit $status`],
      ['lost-exit-code', `"${real}" "$@"; exit 0`],
    ] as const) {
      const bin = join(env.root, `gitleaks-${name}`);
      writeFileSync(bin, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
      const s = { ...env.settings(), gitleaksBin: bin };
      const res = await outcome(env.scanner({}, s).scan(env.run(env.check({ projectPath: repo.name, commitSha: c1 }), s)));
      expect((res as { error: Error }).error).toBeInstanceOf(RetryableError);
      expect((res as { error: Error }).error.message).toMatch(/gitleaks exited \d but its report lists/);
    }
  }, SLOW);

  test('an aborted task stops with the abort reason', async () => {
    const repo = env.repo('acme/abort');
    const c1 = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    const controller = new AbortController();
    const reason = new Error('task timed out');
    controller.abort(reason);
    const res = await outcome(env.scanner().scan(env.run(env.check({ projectPath: repo.name, commitSha: c1 }), undefined, controller.signal)));
    expect((res as { error: Error }).error).toBe(reason);
  }, SLOW);
});
