import { describe, expect, test } from 'bun:test';
import { mirrorKey } from '../../src/clients/git/cache-store.ts';
import { basicCredentials, cloneUrl, gitNetworkEnv, makeScrubber, NETWORK_CONFIG_ARGS } from '../../src/clients/git/git-env.ts';
import { looksCorrupt, remoteError } from '../../src/clients/git/git-errors.ts';
import { fetchArgv } from '../../src/clients/git/mirror-git.ts';
import type { GitlabInstance } from '../../src/config/settings.ts';
import { PermanentError, RetryableError } from '../../src/core/errors.ts';
import { gitleaksArgv } from '../../src/plugins/scanners/gitleaks/run-gitleaks.ts';

const TOKEN = ['glpat', 'unit', 'fixture', '998877'].join('-');
const instance: GitlabInstance = {
  baseUrl: 'https://gitlab.example.com/gl', host: 'gitlab.example.com', hostname: 'gitlab.example.com',
  webhookSecretToken: 'whsecret-123', authToken: TOKEN, prefix: 'ACME',
};

describe('git environment and argv', () => {
  test('the token travels in GIT_CONFIG_* environment entries, never in argv', () => {
    const env = gitNetworkEnv('/cache/git/home', TOKEN);
    expect(env).toMatchObject({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`oauth2:${TOKEN}`).toString('base64')}`,
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      HOME: '/cache/git/home',
    });
    const argv = fetchArgv('git', '/cache/m.git', ['--prune', cloneUrl(instance, 'g/p'), '+refs/heads/*:refs/heads/*']).join(' ');
    expect(argv).not.toContain(TOKEN);
    expect(argv).not.toContain(basicCredentials(TOKEN));
    expect(argv).toContain('-c protocol.allow=never -c protocol.http.allow=always -c protocol.https.allow=always');
    expect(NETWORK_CONFIG_ARGS).toContain('http.followRedirects=false');
  });

  test('clone URLs come from the configured instance and a validated project path only', () => {
    expect(cloneUrl(instance, 'group/sub/project')).toBe('https://gitlab.example.com/gl/group/sub/project.git');
    for (const bad of ['../etc', 'g/../../x', 'project', 'g/p?x=1', 'g/p@evil.example', 'g/ p']) {
      expect(() => cloneUrl(instance, bad)).toThrow(PermanentError);
    }
  });

  test('the scrubber removes the token in every form git could echo', () => {
    const scrub = makeScrubber(TOKEN);
    const text = `x ${TOKEN} y ${basicCredentials(TOKEN)} Authorization: Basic Zm9vOmJhcg== https://oauth2:${TOKEN}@h/p.git https://u:pw@h/x`;
    const out = scrub(text);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(basicCredentials(TOKEN));
    expect(out).not.toContain('Zm9vOmJhcg==');
    expect(out).not.toContain('pw@');
  });

  test('gitleaks argv, exactly', () => {
    const argv = gitleaksArgv({
      bin: 'gitleaks', mirrorPath: '/c/m.git', revs: ['abc', '--not', '--glob=refs/secbot/covered/gitleaks/*'],
      ignorePath: '/t/ignore', configPath: '/t/default-gitleaks.toml', maxTargetMegabytes: 10, timeoutSeconds: 600, ignoreGitleaksAllow: true,
    });
    expect(argv).toEqual([
      'gitleaks', 'git', '--no-banner', '--no-color', '--log-level', 'info', '--exit-code', '2',
      '--report-format', 'json', '--report-path', '-', '--log-opts=abc --not --glob=refs/secbot/covered/gitleaks/*',
      '--max-target-megabytes', '10', '--timeout', '600', '--gitleaks-ignore-path', '/t/ignore', '--config', '/t/default-gitleaks.toml',
      '--ignore-gitleaks-allow', '/c/m.git',
    ]);
  });

  test('mirror keys are stable, readable and differ per instance', () => {
    const a = mirrorKey('https://a.example', 'g/p');
    expect(a).toBe(mirrorKey('https://a.example', 'g/p'));
    expect(a).toStartWith('g-p-');
    expect(a).not.toBe(mirrorKey('https://b.example', 'g/p'));
    expect(mirrorKey('https://a.example', '.hidden/x')).not.toStartWith('.');
  });
});

describe('git error classification', () => {
  const classify = (stderr: string) => remoteError({ instance, projectPath: 'g/p', stderr });

  test('401 and 403 name the host and the instance prefix, and what to check', () => {
    for (const [stderr, code] of [
      ["fatal: could not read Username for 'https://gitlab.example.com': terminal prompts disabled\n", '401'],
      ["fatal: unable to access 'https://gitlab.example.com/gl/g/p.git/': The requested URL returned error: 403\n", '403'],
    ] as const) {
      const err = classify(stderr);
      expect(err).toBeInstanceOf(RetryableError);
      expect(err.message).toStartWith(`GitLab at gitlab.example.com rejected the auth_token of GITLAB_CONFIGS instance ACME (${code})`);
      expect(err.message).toContain('read_repository');
    }
  });

  test('404, 5xx and network failures are retryable with their own words', () => {
    expect(classify("fatal: repository 'https://gitlab.example.com/gl/g/p.git/' not found\n").message).toContain('did not find the project g/p (404)');
    expect(classify("fatal: unable to access 'x': The requested URL returned error: 502\n").message).toContain('answered 502');
    expect(classify("fatal: unable to access 'x': Could not resolve host: gitlab.example.com\n").message).toContain('network error');
    expect(classify('fatal: something new\n')).toBeInstanceOf(RetryableError);
  });

  test('corruption is recognised in the messages git prints for damaged objects', () => {
    for (const s of [
      'fatal: loose object 1234567 (stored in x) is corrupt',
      'error: inflate: data stream error (incorrect header check)',
      'fatal: missing object 8e114961cbd68c2c7e1f45d9777e1da6c4619b83 for refs/heads/main',
      'error: wrong index v1 file size in objects/pack/p.idx',
      'fatal: not a git repository: /c/m.git',
      'fatal: bad object refs/heads/main',
    ]) expect(looksCorrupt(s)).toBe(true);
    for (const s of ['fatal: could not read Username', "fatal: couldn't find remote ref refs/merge-requests/1/head"]) expect(looksCorrupt(s)).toBe(false);
  });
});
