// The gitleaks scanner end to end: real bare repositories served over git smart HTTP by the fake GitLab, the real
// mirror cache, the real gitleaks binary (.tools/bin). Each test builds the history it needs.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, PermanentError, RetryableError } from '../../src/core/errors.ts';
import type { ScanReport } from '../../src/core/results.ts';
import { password } from '../helpers/fake-values.ts';
import { fakeAwsKey, fakeGithubPat, outcome, PREFIX, startEnv, TOKEN, type Env } from './gitleaks-fixtures.ts';

// bun 1.4 ignores bunfig's [test] timeout (5 s default): real git and gitleaks runs need more under load.
const SLOW = 60_000;

let env: Env;
beforeAll(() => {
  env = startEnv('gitleaks-scan');
});
afterAll(() => env.stop());

const awsLine = (key: string) => `aws_access_key_id = "${key}"\n`;

function expectNoSecret(report: ScanReport, ...secrets: string[]) {
  for (const s of secrets) expect(report.reportJson).not.toContain(s);
}

describe('push (mode diff)', () => {
  test('a leak in the pushed commit is reported, redacted', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/push-leak');
    const c1 = repo.commit({ files: { 'README.md': '# app\n' }, message: 'init' });
    const c2 = repo.commit({ files: { 'config/prod.env': `REGION=eu\n${awsLine(key)}` }, message: 'add prod config' });
    const check = env.check({ projectPath: repo.name, commitSha: c2, beforeSha: c1 });
    const report = await env.scanner().scan(env.run(check));
    expect(report.status).toBe('leaks');
    expect(report.findingCount).toBe(1);
    expect(report.leaks).toEqual([{ ruleId: 'aws-access-token', file: 'config/prod.env', line: 2, commit: c2 }]);
    expect(report.summary).toMatchObject({ mode: 'diff', commits: 1, range: `${c1.slice(0, 8)}..${c2.slice(0, 8)}` });
    expect(JSON.parse(report.reportJson)[0].Secret).toBe('REDACTED');
    expectNoSecret(report, key);
    expect(env.logs.join('\n')).not.toContain(key);
  }, SLOW);

  test('a leak only in older history: a clean push is clean in diff mode, the leak is found in full mode', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/old-leak');
    const c1 = repo.commit({ files: { 'old.cfg': awsLine(key) }, message: 'oops' });
    const c2 = repo.commit({ files: { 'old.cfg': null, 'src/a.ts': 'export const a = 1;\n' }, message: 'remove' });
    const c3 = repo.commit({ files: { 'src/b.ts': 'export const b = 2;\n' }, message: 'more' });
    const check = env.check({ projectPath: repo.name, commitSha: c3, beforeSha: c2 });
    const diff = await env.scanner().scan(env.run(check));
    expect(diff.status).toBe('clean');
    expect(diff.findingCount).toBe(0);
    expect(JSON.parse(diff.reportJson)).toEqual([]);
    const full = await env.scanner({ mode: 'full' }).scan(env.run(check));
    expect(full.status).toBe('leaks');
    expect(full.leaks.map((l) => l.commit)).toEqual([c1]);
    expect(full.summary).toMatchObject({ mode: 'full', commits: 3 });
  }, SLOW);

  test('before == after: nothing to scan is skipped with a reason', async () => {
    const repo = env.repo('acme/empty-range');
    const c1 = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    const report = await env.scanner().scan(env.run(env.check({ projectPath: repo.name, commitSha: c1, beforeSha: c1 })));
    expect(report.status).toBe('skipped');
    expect(report.findingCount).toBe(0);
    expect(report.summary.commits).toBe(0);
    expect(report.summary.reason).toContain('no commits to scan');
  }, SLOW);

  test('a force push (before is no ancestor) scans what is on no other branch', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/force-push');
    const base = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'base' });
    repo.branch('topic', base);
    const old = repo.commit({ files: { 'b.txt': 'b\n' }, message: 'old topic', branch: 'topic' });
    // Rewrite topic: back to base, then a new commit with a leak.
    repo.deleteBranch('topic');
    repo.branch('topic', base);
    const rewritten = repo.commit({ files: { 'c.cfg': awsLine(key) }, message: 'rewritten', branch: 'topic' });
    const check = env.check({ projectPath: repo.name, commitSha: rewritten, beforeSha: old, ref: { kind: 'branch', name: 'topic' } });
    const report = await env.scanner().scan(env.run(check));
    expect(report.status).toBe('leaks');
    expect(report.summary.commits).toBe(1);
    expect(report.summary.range).toContain('force push');
  }, SLOW);
});

describe('new branches and tags', () => {
  test('a new branch scans only commits on no other branch', async () => {
    const oldKey = fakeAwsKey();
    const newKey = fakeAwsKey();
    const repo = env.repo('acme/new-branch');
    repo.commit({ files: { 'legacy.cfg': awsLine(oldKey) }, message: 'old leak on main' });
    const mainTip = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    repo.branch('feature/x', mainTip);
    const f1 = repo.commit({ files: { 'x.cfg': 'x = 1\n' }, message: 'f1', branch: 'feature/x' });
    const f2 = repo.commit({ files: { 'deploy/key.cfg': awsLine(newKey) }, message: 'f2', branch: 'feature/x' });
    const check = env.check({ projectPath: repo.name, commitSha: f2, ref: { kind: 'branch', name: 'feature/x' } });
    const report = await env.scanner().scan(env.run(check));
    expect(report.status).toBe('leaks');
    expect(report.summary.commits).toBe(2);
    expect(report.leaks).toEqual([{ ruleId: 'aws-access-token', file: 'deploy/key.cfg', line: 1, commit: f2 }]);
    expect(f1).toBeString();
  }, SLOW);

  test('a new branch without new commits is skipped', async () => {
    const repo = env.repo('acme/branch-no-commits');
    const tip = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    repo.branch('copy', tip);
    const report = await env.scanner().scan(env.run(env.check({ projectPath: repo.name, commitSha: tip, ref: { kind: 'branch', name: 'copy' } })));
    expect(report.status).toBe('skipped');
  }, SLOW);

  test('an annotated tag on a commit no branch has: the peeled commit is scanned', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/tags');
    const base = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    repo.branch('release-tmp', base);
    const rel = repo.commit({ files: { 'release.cfg': awsLine(key) }, message: 'release', branch: 'release-tmp' });
    const tagObject = repo.tag('v1.0.0', rel, { annotated: true });
    repo.deleteBranch('release-tmp');
    repo.tag('old', base);
    expect(tagObject).not.toBe(rel);
    const check = env.check({ projectPath: repo.name, eventType: 'tag_push', commitSha: rel, ref: { kind: 'tag', name: 'v1.0.0' } });
    const report = await env.scanner().scan(env.run(check));
    expect(report.status).toBe('leaks');
    expect(report.summary.commits).toBe(1);
    expect(report.leaks[0]!.commit).toBe(rel);
    // A tag on a commit that a branch already has brings nothing new.
    const onMain = env.check({ projectPath: repo.name, eventType: 'tag_push', commitSha: base, ref: { kind: 'tag', name: 'old' } });
    expect((await env.scanner().scan(env.run(onMain))).status).toBe('skipped');
  }, SLOW);
});

describe('merge requests', () => {
  test('a secret added then removed inside the MR is still found (MR ref only, as from a fork)', async () => {
    const pat = fakeGithubPat();
    const repo = env.repo('acme/mr');
    const m1 = repo.commit({ files: { 'README.md': '# mr\n' }, message: 'init' });
    repo.branch('fork-work', m1);
    const f1 = repo.commit({ files: { 'ci/token.txt': `GITHUB_TOKEN=${pat}\n` }, message: 'add token', branch: 'fork-work' });
    const f2 = repo.commit({ files: { 'ci/token.txt': null }, message: 'remove token', branch: 'fork-work' });
    repo.mergeRequestRef(12, f2);
    repo.deleteBranch('fork-work');
    repo.commit({ files: { 'main.txt': 'later\n' }, message: 'main moves on' });
    const check = env.check({
      projectPath: repo.name, eventType: 'merge_request', commitSha: f2, ref: { kind: 'branch', name: 'fork-work' },
      mergeRequest: { iid: 12, action: 'update', sourceBranch: 'fork-work', targetBranch: 'main', oldrev: f1, url: null, title: 'MR' },
    });
    const report = await env.scanner().scan(env.run(check));
    expect(report.status).toBe('leaks');
    expect(report.summary.commits).toBe(2);
    expect(report.leaks).toEqual([{ ruleId: 'github-pat', file: 'ci/token.txt', line: 1, commit: f1 }]);
    expectNoSecret(report, pat);
  }, SLOW);
});

describe('merge requests without their ref', () => {
  test('an MR whose refs/merge-requests/<iid>/head is missing still scans through the source branch', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/mr-no-ref');
    const m1 = repo.commit({ files: { 'README.md': '# mr\n' }, message: 'init' });
    repo.branch('feat', m1);
    const f1 = repo.commit({ files: { 'k.cfg': awsLine(key) }, message: 'leak', branch: 'feat' });
    const check = env.check({
      projectPath: repo.name, eventType: 'merge_request', commitSha: f1, ref: { kind: 'branch', name: 'feat' },
      mergeRequest: { iid: 99, action: 'open', sourceBranch: 'feat', targetBranch: 'main', oldrev: null, url: null, title: null },
    });
    const report = await env.scanner().scan(env.run(check));
    expect(report.status).toBe('leaks');
    expect(report.summary.range).toBe(`!99: main..${f1.slice(0, 8)}`);
  }, SLOW);
});

describe('rules', () => {
  test('rules_file replaces the built-in rules; a missing one is a ConfigError', async () => {
    const repo = env.repo('acme/rules-file');
    const c1 = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const canary = ['secbot', 'canary', '424242'].join('-');
    const c2 = repo.commit({ files: { 'a.txt': `${canary}\n`, 'k.cfg': awsLine(fakeAwsKey()) }, message: 'two' });
    const rules = join(env.root, 'rules.toml');
    writeFileSync(rules, `[[rules]]\nid = "secbot-canary"\ndescription = "canary"\nregex = '''secbot-canary-[0-9]{6}'''\n`);
    const check = env.check({ projectPath: repo.name, commitSha: c2, beforeSha: c1 });
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
    const key = fakeAwsKey();
    const repo = env.repo('acme/repo-config');
    const c1 = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const toml = '[extend]\nuseDefault = true\ndisabledRules = ["aws-access-token"]\n';
    const c2 = repo.commit({ files: { '.gitleaks.toml': toml, 'keys.cfg': awsLine(key) }, message: 'sneaky' });
    const check = env.check({ projectPath: repo.name, commitSha: c2, beforeSha: c1 });
    expect((await env.scanner().scan(env.run(check))).status).toBe('leaks');
    expect((await env.scanner({ allow_repo_config: true }).scan(env.run(check))).status).toBe('clean');
  }, SLOW);

  test('.gitleaksignore is ignored by default and honoured with allow_repo_config', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/repo-ignore');
    const c1 = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const c2 = repo.commit({ files: { 'keys.cfg': awsLine(key) }, message: 'leak' });
    const c3 = repo.commit({ files: { '.gitleaksignore': `${c2}:keys.cfg:aws-access-token:1\n` }, message: 'ignore it' });
    const check = env.check({ projectPath: repo.name, commitSha: c3, beforeSha: c1 });
    expect((await env.scanner().scan(env.run(check))).status).toBe('leaks');
    expect((await env.scanner({ allow_repo_config: true }).scan(env.run(check))).status).toBe('clean');
  }, SLOW);

  test('an inline gitleaks:allow comment is ignored by default', async () => {
    const key = fakeAwsKey();
    const repo = env.repo('acme/inline-allow');
    const c1 = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const c2 = repo.commit({ files: { 'app.py': `KEY = "${key}"  # gitleaks:allow\n` }, message: 'allow' });
    const check = env.check({ projectPath: repo.name, commitSha: c2, beforeSha: c1 });
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
