/** parseWorkflow() on invalid files: each problem is reported precisely, with its place in the file. */
import { describe, expect, test } from 'bun:test';
import { ConfigError } from '../../../src/core/errors.ts';
import { parseWorkflow } from '../../../src/config/workflow.ts';
import { CATALOG, DEV_ENV, workflowError } from '../support/catalog.ts';

const COMPONENTS = `components:
  gitleaks: {handler_name: gitleaks}
  defectdojo:
    handler_name: defectdojo
    env: {url: DEFECTDOJO__URL, secret_key: DEFECTDOJO__TOKEN}
  slack:
    handler_name: slack
    config: {channels: [sec]}
    env: {token: SLACK_TOKEN}
`;
const JOB = `  - name: j
    rules: {gitlab: {event_type: push}}
    scans: [gitleaks]
    outputs: [defectdojo]
    notifications: [slack]
`;
const file = (components = COMPONENTS, jobs = JOB, version = '"1.0"') => `version: ${version}\n${components}jobs:\n${jobs}`;

/** Replaces one component's definition in COMPONENTS. */
const withComponent = (name: string, def: string) => COMPONENTS.replace(new RegExp(`  ${name}:[\\s\\S]*?(?=\\n  \\w|$)`), `  ${name}: ${def}`);

describe('precise messages', () => {
  test.each([
    [
      'unknown handler (lists the known ones)',
      file(`${COMPONENTS}  trivy: {handler_name: trivy}\n`),
      'components.trivy.handler_name: unknown handler "trivy" (known: gitleaks, defectdojo, slack)',
    ],
    ['job naming an unknown component', file(COMPONENTS, JOB.replace('scans: [gitleaks]', 'scans: [gitleaks, semgrep]')), 'jobs[0] (j).scans[1]: unknown component "semgrep"'],
    ['unknown output', file(COMPONENTS, JOB.replace('outputs: [defectdojo]', 'outputs: [dojo]')), 'jobs[0] (j).outputs[0]: unknown component "dojo"'],
    [
      'a notifier under scans',
      file(COMPONENTS, JOB.replace('scans: [gitleaks]', 'scans: [gitleaks, slack]')),
      'jobs[0] (j).scans[1]: "slack" is a notifier, it cannot be listed under scans',
    ],
    [
      'a scanner under outputs',
      file(COMPONENTS, JOB.replace('outputs: [defectdojo]', 'outputs: [gitleaks]')),
      'jobs[0] (j).outputs[0]: "gitleaks" is a scanner, it cannot be listed under outputs',
    ],
    [
      'an output under notifications',
      file(COMPONENTS, JOB.replace('notifications: [slack]', 'notifications: [defectdojo]')),
      'jobs[0] (j).notifications[0]: "defectdojo" is a output, it cannot be listed under notifications',
    ],
    ['a component listed twice', file(COMPONENTS, JOB.replace('scans: [gitleaks]', 'scans: [gitleaks, gitleaks]')), 'jobs[0] (j).scans[1]: "gitleaks" is listed twice'],
    ['env parameter not mapped', file(withComponent('slack', '{handler_name: slack, config: {channel: sec}}\n')), 'components.slack.env.token: missing; name the environment variable that holds the Slack bot token'],
    [
      'unknown env parameter',
      file(withComponent('slack', '{handler_name: slack, config: {channel: sec}, env: {token: SLACK_TOKEN, tokn: SLACK_TOKEN}}\n')),
      'components.slack.env.tokn: unknown parameter (this handler reads: token)',
    ],
    ['env on a handler that reads none', file(withComponent('gitleaks', '{handler_name: gitleaks, env: {token: SLACK_TOKEN}}\n')), 'components.gitleaks.env.token: unknown parameter (this handler reads: none)'],
    ['unsupported version', file(COMPONENTS, JOB, '"2.0"'), 'version: "2.0" is not supported; this SecBot reads version "1.0"'],
    ['invalid regex', file(COMPONENTS, JOB.replace('event_type: push', 'event_type: "push|(tag"')), 'jobs[0] (j).rules.gitlab.event_type: invalid regular expression: '],
    ['invalid regex on a payload key', file(COMPONENTS, JOB.replace('event_type: push', 'ref: "refs/heads/[main"')), 'jobs[0] (j).rules.gitlab.ref: invalid regular expression: '],
    ['duplicate job names', file(COMPONENTS, JOB + JOB), 'jobs[1].name: "j" is used by another job'],
    ['empty scans', file(COMPONENTS, JOB.replace('scans: [gitleaks]', 'scans: []')), 'jobs[0] (j).scans: a job needs at least one scan'],
    ['no scans key', file(COMPONENTS, JOB.replace('    scans: [gitleaks]\n', '')), 'jobs[0] (j).scans: a job needs at least one scan'],
    ['notifications without outputs', file(COMPONENTS, JOB.replace('outputs: [defectdojo]', 'outputs: []')), 'jobs[0] (j).notifications: notifiers report what outputs produced; add an output'],
    ['rules for an unknown input', file(COMPONENTS, JOB.replace('gitlab:', 'github:')), 'jobs[0] (j).rules.github: unknown input (supported: gitlab)'],
    ['a typo in a plugin config key (strict)', file(withComponent('gitleaks', '{handler_name: gitleaks, config: {mdoe: full}}\n')), 'components.gitleaks.config: Unrecognized key: "mdoe"'],
    ['an invalid plugin config value', file(withComponent('gitleaks', '{handler_name: gitleaks, config: {mode: fast}}\n')), 'components.gitleaks.config.mode: '],
    ['slack without channels', file(withComponent('slack', '{handler_name: slack, env: {token: SLACK_TOKEN}}\n')), 'components.slack.config.channels: set `channels` (or `channel`)'],
    ['slack render_limit too large', file(withComponent('slack', '{handler_name: slack, config: {channel: a, render_limit: 1001}, env: {token: SLACK_TOKEN}}\n')), 'components.slack.config.render_limit: '],
    ['a typo in a job key', file(COMPONENTS, JOB.replace('notifications:', 'notifcations:')), 'jobs[0]: Unrecognized key: "notifcations"'],
    ['`rule` instead of `rules`', file(COMPONENTS, JOB.replace('rules:', 'rule:')), 'jobs[0]: Unrecognized key: "rule"'],
    ['a typo in a component key', file(withComponent('gitleaks', '{handler_name: gitleaks, confg: {mode: full}}\n')), 'components.gitleaks: Unrecognized key: "confg"'],
    ['a ":" in a component name (task names use it as a separator)', file(`${COMPONENTS}  "scan:b": {handler_name: gitleaks}\n`), 'components.scan:b: '],
  ])('%s', (_label, text, message) => {
    const msg = workflowError(text);
    expect(msg).toStartWith('config.yml is invalid:\n');
    expect(msg).toContain(message);
  });

  test('missing env variable: names the component AND the variable, never a value', () => {
    const env: Record<string, string> = { ...DEV_ENV };
    delete env.SLACK_TOKEN;
    const msg = workflowError(file(), env);
    expect(msg).toContain('component "slack"');
    expect(msg).toContain('environment variable SLACK_TOKEN');
    expect(msg).toContain('env.token');
    expect(msg).toMatch(/is not set/);
    expect(msg).not.toContain(DEV_ENV.DEFECTDOJO__TOKEN);
  });

  test('an empty variable counts as not set', () => {
    const msg = workflowError(file(), { ...DEV_ENV, DEFECTDOJO__TOKEN: '' });
    expect(msg).toContain('component "defectdojo": environment variable DEFECTDOJO__TOKEN (env.secret_key');
  });

  test.each([
    ['credentials in the URL', 'https://secbot:dd-pa55word@dojo.example.com', 'must not carry credentials'],
    ['a user (token) in the URL', 'https://dd-pa55word@dojo.example.com', 'must not carry credentials'],
    ['not an http(s) URL', 'dojo.example.com/dd-pa55word', 'must be an http(s) URL'],
  ])('a DefectDojo URL with %s is refused, naming the variable and not the value', (_label, url, problem) => {
    const msg = workflowError(file(), { ...DEV_ENV, DEFECTDOJO__URL: url });
    expect(msg).toContain(`component "defectdojo": environment variable DEFECTDOJO__URL (env.url`);
    expect(msg).toContain(problem);
    expect(msg).not.toContain('dd-pa55word');
  });

  test('every problem is reported in one error', () => {
    const text = file(
      `${COMPONENTS}  trivy: {handler_name: trivy}\n`,
      `${JOB.replace('scans: [gitleaks]', 'scans: [nope]')}${JOB}`,
      '"3"',
    );
    const msg = workflowError(text, {});
    for (const part of [
      'version: "3" is not supported',
      'unknown handler "trivy"',
      'jobs[0] (j).scans[0]: unknown component "nope"',
      'jobs[1].name: "j" is used by another job',
      'environment variable SLACK_TOKEN',
      'environment variable DEFECTDOJO__URL',
    ]) {
      expect(msg).toContain(part);
    }
  });

  test('errors are ConfigErrors and carry the file name', () => {
    expect(() => parseWorkflow(file(COMPONENTS, JOB, '"9"'), CATALOG, DEV_ENV, '/etc/secbot/config.yml')).toThrow(ConfigError);
    expect(() => parseWorkflow(file(COMPONENTS, JOB, '"9"'), CATALOG, DEV_ENV, '/etc/secbot/config.yml')).toThrow(/^\/etc\/secbot\/config\.yml is invalid/);
  });
});

describe('structural errors', () => {
  test.each([
    ['not YAML (file:line:column, then the lines themselves)', 'version: "1.0"\ncomponents: [\n', /^config\.yml:3:1: not valid YAML: .*\n +2 \| components: \[\n +3 \| \n +\| \^$/],
    ['not a mapping', '- a\n- b\n', /\(top level\): /],
    ['no version', `${COMPONENTS}jobs:\n${JOB}`, /^\s+version: /m],
    ['no components', `version: "1.0"\njobs:\n${JOB}`, /^\s+components: /m],
    ['no jobs', `version: "1.0"\n${COMPONENTS}`, /^\s+jobs: /m],
    ['empty jobs', `version: "1.0"\n${COMPONENTS}jobs: []\n`, /^\s+jobs: /m],
    ['job without a name', file(COMPONENTS, JOB.replace('- name: j\n    ', '- ')), /^\s+jobs\[0\]\.name: /m],
    ['component without handler_name', file(withComponent('gitleaks', '{config: {mode: full}}\n')), /^\s+components\.gitleaks\.handler_name: /m],
    ['empty env variable name', file(withComponent('slack', '{handler_name: slack, config: {channel: a}, env: {token: ""}}\n')), /^\s+components\.slack\.env\.token: /m],
    ['a rule value that is a list', file(COMPONENTS, JOB.replace('event_type: push', 'event_type: [push, tag_push]')), /^\s+jobs\[0\]\.rules\.gitlab\.event_type: /m],
  ])('%s', (_label, text, message) => {
    expect(workflowError(text)).toMatch(message);
  });
});

describe('all problems at once, with suggestions', () => {
  test('unknown top-level keys are errors; a near miss gets a suggestion', () => {
    const msg = workflowError(`${file()}extra_top: 1\njob: []\n`);
    expect(msg).toContain('extra_top: unknown top-level key (allowed: version, components, jobs)');
    expect(msg).toContain('job: unknown top-level key (allowed: version, components, jobs); did you mean "jobs"?');
  });

  test('a typo in one component or job hides nothing else', () => {
    const components = `${withComponent('gitleaks', '{handler_name: gitleaks, confg: {mode: full}}\n')}  trivy: {handler_name: trivi}\n  sl: {handler_name: slak}\n`;
    const jobs = `${JOB.replace('notifications:', 'notifcations:')}  - name: k\n    rules: {gitlab: {event_type: push}}\n    scans: [gitleak]\n    outputs: [defectdojo]\n`;
    const msg = workflowError(file(components, jobs, '"2.0"'), { ...DEV_ENV, SLACK_TOKEN: '' });
    for (const part of [
      'components.gitleaks: Unrecognized key: "confg" (did you mean "config"?)',
      'components.sl.handler_name: unknown handler "slak" (known: gitleaks, defectdojo, slack); did you mean "slack"?',
      'components.trivy.handler_name: unknown handler "trivi"',
      'jobs[0]: Unrecognized key: "notifcations" (did you mean "notifications"?)',
      'jobs[1] (k).scans[0]: unknown component "gitleak"; did you mean "gitleaks"?',
      'version: "2.0" is not supported',
      'environment variable SLACK_TOKEN',
    ]) {
      expect(msg).toContain(part);
    }
    // A component whose shape is wrong is not reported a second time as unknown by the jobs naming it.
    expect(msg).not.toContain('unknown component "gitleaks"');
  });

  test('did you mean: plugin config keys, env parameters, rule inputs, job keys', () => {
    expect(workflowError(file(withComponent('gitleaks', '{handler_name: gitleaks, config: {mdoe: full}}\n')))).toContain(
      'components.gitleaks.config: Unrecognized key: "mdoe" (did you mean "mode"?)',
    );
    expect(workflowError(file(withComponent('slack', '{handler_name: slack, config: {channel: sec}, env: {token: SLACK_TOKEN, tokn: SLACK_TOKEN}}\n')))).toContain(
      'components.slack.env.tokn: unknown parameter (this handler reads: token); did you mean "token"?',
    );
    expect(workflowError(file(COMPONENTS, JOB.replace('gitlab:', 'gitlb:')))).toContain('jobs[0] (j).rules.gitlb: unknown input (supported: gitlab); did you mean "gitlab"?');
    expect(workflowError(file(COMPONENTS, JOB.replace('rules:', 'rule:')))).toContain('jobs[0]: Unrecognized key: "rule" (did you mean "rules"?)');
    // Far from every known key: the allowed keys instead of a guess.
    expect(workflowError(file(COMPONENTS, JOB.replace('rules:', 'when:')))).toContain('jobs[0]: Unrecognized key: "when" (allowed: name, rules, scans, outputs, notifications, unscanned)');
  });
});
