/**
 * `secbot config validate` without the binary: settings and config.yml problems together in one error, warnings
 * for SECBOT_ typos, what an event would do (rule paths the payload lacks, why a job does not match), and the
 * result's `ok`, which becomes the exit status.
 */
import { describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from '../../../src/cli/load.ts';
import { validateCommand } from '../../../src/cli/validate.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { tempDir } from '../../helpers/db.ts';
import { pushPayload } from '../../helpers/payloads.ts';

const GITLAB = JSON.stringify([{ host: 'http://example.com/', webhook_secret_token: 'whsec-0123456789', auth_token: 'glpat-x', prefix: 'GIT_LOCAL' }]);
const CONFIG = `version: "1.0"
components:
  gitleaks: { handler_name: gitleaks }
jobs:
  - name: acme-pushes
    rules: { gitlab: { event_type: push, project.path_with_namespace: "acme/.*" } }
    scans: [gitleaks]
  - name: mike-pushes
    rules: { gitlab: { event_type: push, project.nmespace: Mike } }
    scans: [gitleaks]
`;

function setup(config = CONFIG, env: Record<string, string> = {}) {
  const dir = tempDir();
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, config);
  const event = (payload: unknown) => {
    const p = join(dir, `event-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify(payload));
    return p;
  };
  const load = () => loadAll({ envDir: dir, configPath }, { GITLAB_CONFIGS: GITLAB, ...env });
  return { dir, configPath, event, load };
}

const push = (path: string, host = 'http://example.com') => pushPayload({ gitlabUrl: host, path, before: 'b'.repeat(40), after: 'c'.repeat(40) });

describe('settings and config.yml together', () => {
  test('a broken setting does not hide config.yml problems, and each side reports all of its own', () => {
    const { load } = setup(`${CONFIG}extra_top: 1\n`, { GITLAB_CONFIGS: '[{"host": 1}]', SECBOT_INTAKE_PORT: 'x', SECBOT_LOG_LEVEL: 'loud' });
    let msg = '';
    try {
      load();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      msg = (err as Error).message;
    }
    for (const part of ['SECBOT_INTAKE_PORT', 'SECBOT_LOG_LEVEL', 'GITLAB_CONFIGS[0].host', 'GITLAB_CONFIGS[0].prefix', 'extra_top: unknown top-level key']) {
      expect({ part, found: msg.includes(part) }).toEqual({ part, found: true });
    }
  });

  test('SECBOT_ variables SecBot does not read are warned about, with a suggestion', () => {
    const { load } = setup(CONFIG, { SECBOT_LOG_LEVLE: 'debug', SECBOT_SOMETHING_ELSE: '1' });
    const r = validateCommand(load());
    expect(r.ok).toBe(true);
    expect(r.lines).toContain('warning: SECBOT_LOG_LEVLE is not a SecBot setting and is ignored; did you mean SECBOT_LOG_LEVEL?');
    expect(r.lines).toContain('warning: SECBOT_SOMETHING_ELSE is not a SecBot setting and is ignored');
  });
});

describe('--event', () => {
  test('the matching job and the check id; the other job’s rules say why they do not match, naming absent paths', () => {
    const { event, load } = setup();
    const r = validateCommand(load(), event(push('acme/app')), 'Push Hook');
    expect(r.ok).toBe(true);
    expect(r.lines).toContain('job: acme-pushes (1 tasks: scan:gitleaks)');
    expect(r.lines.some((l) => l.startsWith('security_check_id: GIT_LOCAL_'))).toBe(true);
    expect(r.lines).toContain('  jobs[1] (mike-pushes): rules.gitlab.project.nmespace: the payload has no project.nmespace; did you mean "project.namespace"?');
  });

  test('a rule that does not match says what the payload has', () => {
    const { event, load } = setup();
    const r = validateCommand(load(), event(push('other/app')), 'Push Hook');
    expect(r.lines).toContain('  jobs[0] (acme-pushes): rules.gitlab.project.path_with_namespace: "other/app" does not match ^(?:acme\\/.*)$');
    expect(r.lines.at(-1)).toBe('job: none matches (SecBot would answer 200 "ignored" and check nothing)');
    expect(r.ok).toBe(true);
  });

  test('several jobs match → not ok', () => {
    const { event, load } = setup(CONFIG.replace('project.nmespace: Mike', 'project.path_with_namespace: ".*"'));
    const r = validateCommand(load(), event(push('acme/app')), 'Push Hook');
    expect(r.lines.at(-1)).toStartWith('job: ERROR, several match (acme-pushes, mike-pushes)');
    expect(r.ok).toBe(false);
  });

  test('rejected (another instance) and invalid events → not ok; an ignored event is fine', () => {
    const { event, load } = setup();
    const rejected = validateCommand(load(), event(push('acme/app', 'https://gitlab.other.example')), 'Push Hook');
    expect(rejected.ok).toBe(false);
    expect(rejected.lines.at(-1)).toContain('event: rejected: project.web_url host gitlab.other.example is not in GITLAB_CONFIGS');
    const invalid = validateCommand(load(), event({ ...push('acme/app'), checkout_sha: 'nope' }), 'Push Hook');
    expect(invalid.ok).toBe(false);
    expect(invalid.lines.at(-1)).toStartWith('event: invalid: checkout_sha');
    const ignored = validateCommand(load(), event({ object_kind: 'pipeline' }), 'Pipeline Hook');
    expect(ignored.ok).toBe(true);
    expect(ignored.lines.at(-1)).toStartWith('event: ignored');
  });
});
