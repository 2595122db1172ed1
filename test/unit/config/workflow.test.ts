/**
 * parseWorkflow() on valid files: the shipped config.yml, the seed's §2.2 shapes (duplicate keys, `channel` vs
 * `channels`), env resolution and compiled rules.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDotenv } from '../../../src/config/dotenv.ts';
import { loadWorkflowFile, parseWorkflow } from '../../../src/config/workflow.ts';
import { CATALOG, DEV_ENV } from '../support/catalog.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');

function slackChannels(config: string): unknown {
  const text = `version: "1.0"
components:
  gitleaks: {handler_name: gitleaks}
  slack:
    handler_name: slack
    config:
${config}
    env: {token: SLACK_TOKEN}
jobs:
  - name: j
    rules: {gitlab: {event_type: push}}
    scans: [gitleaks]
`;
  return (parseWorkflow(text, CATALOG, DEV_ENV).components.get('slack')!.config as { channels: string[] }).channels;
}

describe('the shipped config.yml', () => {
  const devEnv = parseDotenv(readFileSync(join(ROOT, '.env.dev'), 'utf8'), '.env.dev');
  const wf = loadWorkflowFile(join(ROOT, 'config.yml'), CATALOG, devEnv);

  test('validates with the .env.dev values, without warnings', () => {
    expect(wf.warnings).toEqual([]);
    expect([...wf.components.keys()]).toEqual(['gitleaks', 'defectdojo', 'slack']);
  });

  test('components are resolved with their kinds, configs and env values', () => {
    expect(wf.components.get('gitleaks')).toMatchObject({
      handlerName: 'gitleaks',
      kind: 'scanner',
      config: { format: 'json', mode: 'diff', timeout_seconds: 600, max_target_megabytes: 10, allow_repo_config: false },
      env: {},
      secrets: [],
    });
    expect(wf.components.get('defectdojo')).toMatchObject({
      kind: 'output',
      env: { url: devEnv.DEFECTDOJO__URL, secret_key: devEnv.DEFECTDOJO__TOKEN, user: devEnv.DEFECTDOJO__USER, lead_id: devEnv.DEFECTDOJO__USER_ID },
      secrets: [devEnv.DEFECTDOJO__TOKEN],
    });
    expect(wf.components.get('slack')).toMatchObject({
      kind: 'notifier',
      config: { render_limit: 10, channels: ['test-sec-security-bot'] },
      env: { token: devEnv.SLACK_TOKEN },
      secrets: [devEnv.SLACK_TOKEN],
    });
  });

  test('one job: every event type, gitleaks → defectdojo → slack', () => {
    expect(wf.jobs).toHaveLength(1);
    const [job] = wf.jobs;
    expect(job).toMatchObject({ name: 'secrets-on-every-change', scans: ['gitleaks'], outputs: ['defectdojo'], notifications: ['slack'] });
    for (const t of ['push', 'tag_push', 'merge_request']) expect(job!.rules.gitlab!.event_type!.test(t)).toBe(true);
    expect(job!.rules.gitlab!.event_type!.test('push_x')).toBe(false);
  });

  test('an unreadable file names the path and how to set it', () => {
    expect(() => loadWorkflowFile(join(ROOT, 'no-such-config.yml'), CATALOG, devEnv)).toThrow(/no-such-config\.yml: cannot read .*SECBOT_CONFIG/);
  });
});

describe('seed §2.2 shapes', () => {
  test('duplicate YAML keys are allowed and the last one wins (two event_type keys)', () => {
    const wf = parseWorkflow(
      `version: "1.0"
components:
  gitleaks: {handler_name: gitleaks}
jobs:
  - name: j
    rules:
      gitlab:
        event_type: "tag_push"
        event_type: "merge_request"
    scans: [gitleaks]
`,
      CATALOG,
      DEV_ENV,
    );
    const rule = wf.jobs[0]!.rules.gitlab!.event_type!;
    expect(rule.test('merge_request')).toBe(true);
    expect(rule.test('tag_push')).toBe(false);
  });

  test('a duplicate component key: the last definition wins', () => {
    const wf = parseWorkflow(
      `version: "1.0"
components:
  gitleaks: {handler_name: gitleaks, config: {mode: full}}
  gitleaks: {handler_name: gitleaks, config: {mode: diff}}
jobs:
  - {name: j, scans: [gitleaks]}
`,
      CATALOG,
      DEV_ENV,
    );
    expect(wf.components.get('gitleaks')!.config).toMatchObject({ mode: 'diff' });
  });

  test.each([
    ['channel as a list (the seed)', '      channel:\n        - test-sec-security-bot\n        - my-personal-channel', ['test-sec-security-bot', 'my-personal-channel']],
    ['channel as a string', '      channel: test-sec-security-bot', ['test-sec-security-bot']],
    ['channels as a list', '      channels: [a, b]', ['a', 'b']],
    ['channels as a string', '      channels: a', ['a']],
    ['both, merged and deduplicated', '      channels: [a, b]\n      channel: [b, c]', ['a', 'b', 'c']],
    ['both as strings', '      channels: a\n      channel: b', ['a', 'b']],
  ])('slack %s', (_label, config, want) => {
    expect(slackChannels(config)).toEqual(want);
  });

  test('slack defaults: render_limit 10, timeout 30 s', () => {
    const text = `version: "1.0"
components:
  gitleaks: {handler_name: gitleaks}
  slack: {handler_name: slack, config: {channel: sec}, env: {token: SLACK_TOKEN}}
jobs:
  - {name: j, scans: [gitleaks]}
`;
    expect(parseWorkflow(text, CATALOG, DEV_ENV).components.get('slack')!.config).toEqual({ render_limit: 10, timeout_seconds: 30, channels: ['sec'] });
  });

  test.each(['"1.0"', '"1"', '1', '1.0'])('version %s is supported', (version) => {
    const wf = parseWorkflow(`version: ${version}\ncomponents:\n  g: {handler_name: gitleaks}\njobs:\n  - {name: j, scans: [g]}\n`, CATALOG, {});
    expect(wf.jobs).toHaveLength(1);
  });

  test('the defaults of a component without config are applied', () => {
    const wf = parseWorkflow('version: "1.0"\ncomponents:\n  g: {handler_name: gitleaks}\njobs:\n  - {name: j, scans: [g]}\n', CATALOG, {});
    expect(wf.components.get('g')).toMatchObject({ name: 'g', handlerName: 'gitleaks', config: { format: 'json', mode: 'diff' } });
  });

  test('optional env parameters may be left out or unset', () => {
    const text = `version: "1.0"
components:
  g: {handler_name: gitleaks}
  dd:
    handler_name: defectdojo
    env: {url: DEFECTDOJO__URL, secret_key: DEFECTDOJO__TOKEN, user: UNSET_VARIABLE}
jobs:
  - {name: j, scans: [g], outputs: [dd]}
`;
    const dd = parseWorkflow(text, CATALOG, DEV_ENV).components.get('dd')!;
    expect(dd.env).toEqual({ url: DEV_ENV.DEFECTDOJO__URL, secret_key: DEV_ENV.DEFECTDOJO__TOKEN });
  });

  test('rule values: strings, numbers and booleans compile to whole-string patterns', () => {
    const text = `version: "1.0"
components:
  g: {handler_name: gitleaks}
jobs:
  - name: j
    rules:
      gitlab: {event_type: "push|tag_push", project.id: 15, ref_protected: true, project.path_with_namespace: "group/.*"}
    scans: [g]
`;
    const rules = parseWorkflow(text, CATALOG, {}).jobs[0]!.rules.gitlab!;
    expect(Object.keys(rules)).toEqual(['event_type', 'project.id', 'ref_protected', 'project.path_with_namespace']);
    expect(rules['project.id']!.test('15')).toBe(true);
    expect(rules['project.id']!.test('150')).toBe(false);
    expect(rules.ref_protected!.test('true')).toBe(true);
    expect(rules['project.path_with_namespace']!.test('group/sub/p')).toBe(true);
    expect(rules['project.path_with_namespace']!.test('other/group/p')).toBe(false);
  });

  test('two components of one handler are separate components', () => {
    const text = `version: "1.0"
components:
  g: {handler_name: gitleaks}
  slack-a: {handler_name: slack, config: {channel: a}, env: {token: SLACK_TOKEN}}
  slack-b: {handler_name: slack, config: {channel: b}, env: {token: OTHER_TOKEN}}
  dd: {handler_name: defectdojo, env: {url: DEFECTDOJO__URL, secret_key: DEFECTDOJO__TOKEN}}
jobs:
  - {name: j, scans: [g], outputs: [dd], notifications: [slack-a, slack-b]}
`;
    const wf = parseWorkflow(text, CATALOG, { ...DEV_ENV, OTHER_TOKEN: 'xoxb-other' });
    expect(wf.components.get('slack-a')!.env).toEqual({ token: DEV_ENV.SLACK_TOKEN });
    expect(wf.components.get('slack-b')!.env).toEqual({ token: 'xoxb-other' });
    expect(wf.jobs[0]!.notifications).toEqual(['slack-a', 'slack-b']);
  });
});
