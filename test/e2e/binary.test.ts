/**
 * End-to-end against the compiled `dist/secbot` (built by scripts/test.sh): the CLI, then the whole flow with
 * `secbot all` on SQLite and with separate intake / results / two workers on Postgres. Every log line must be JSON
 * and no token or planted secret may appear anywhere.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { BINARY } from '../helpers/secbot-process.ts';
import { tempDir } from '../helpers/db.ts';
import { GITLAB_TOKEN, SLACK_TOKEN, WEBHOOK_TOKEN, ADMIN_TOKEN, World } from '../helpers/world.ts';

function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([BINARY, ...args], { env: { PATH: process.env.PATH!, ...env }, cwd: tempDir() });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe('the secbot binary', () => {
  test('is built', () => {
    expect(existsSync(BINARY)).toBe(true);
  });

  test("embeds SecBot's gitleaks pack and its copy of gitleaks' defaults (text imports: no rules file beside the binary)", () => {
    // The pack has non-ASCII characters, so the bundle stores it as UTF-16.
    const bytes = readFileSync(BINARY);
    const has = (text: string) => bytes.includes(Buffer.from(text, 'utf16le')) || bytes.includes(Buffer.from(text, 'utf8'));
    expect(has('id = "secbot-password-in-config"')).toBe(true);
    expect(has('[extend]\n# gitleaks\' defaults as SecBot ships them')).toBe(true);
    expect(has('path = "@SECBOT_GITLEAKS_DEFAULTS@"')).toBe(true);
    expect(has("[allowlist]\ndescription = \"global allow lists\"\nregexes = [\n    '''(?i)^(?:true|false|null)$''',")).toBe(true);
  });

  test('--version, --help and an unknown command', () => {
    expect(run(['--version']).out).toMatch(/^secbot \d+\.\d+\.\d+/);
    const help = run(['--help']).out;
    for (const cmd of ['all', 'intake', 'results', 'worker', 'migrate', 'config validate', 'check-id']) expect(help).toContain(cmd);
    const bad = run(['frobnicate']);
    expect(bad.code).toBe(64);
    expect(bad.err).toContain('unknown command "frobnicate"');
  });

  test('check-id equals the seed pipeline line computed with sha256sum', () => {
    const env = { H: 'gitlab.example.com', P: 'group/sub/project', S: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' };
    const expected = Bun.spawnSync(['sh', '-c', 'echo -n "${H}:${P}_${S}" | sha256sum | head -c64'], { env: { ...env, PATH: process.env.PATH! } }).stdout.toString();
    const ours = run(['check-id', '--host', env.H, '--project', env.P, '--sha', env.S, '--prefix', 'GIT_LOCAL']).out.trim();
    expect(ours).toBe(`GIT_LOCAL_${expected}`);
  });

  test('config validate reports a missing env variable naming the component and the variable, without values', () => {
    const dir = tempDir();
    const config = join(dir, 'config.yml');
    writeFileSync(config, `version: "1.0"\ncomponents:\n  slack:\n    handler_name: slack\n    config: { channels: [x] }\n    env: { token: SLACK_TOKEN }\n  gitleaks: { handler_name: gitleaks }\njobs:\n  - name: j\n    rules: { gitlab: { event_type: push } }\n    scans: [gitleaks]\n`);
    const gitlab = JSON.stringify([{ host: 'https://gitlab.example.com/', webhook_secret_token: WEBHOOK_TOKEN, auth_token: GITLAB_TOKEN, prefix: 'GIT_LOCAL' }]);
    const r = run(['config', 'validate', '--config', config], { GITLAB_CONFIGS: gitlab });
    expect(r.code).toBe(2);
    expect(r.err).toContain('component "slack": environment variable SLACK_TOKEN');
    expect(r.err + r.out).not.toContain(WEBHOOK_TOKEN);
    const ok = run(['config', 'validate', '--config', config], { GITLAB_CONFIGS: gitlab, SLACK_TOKEN });
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('config.yml: ok');
  });

  test('config validate --event prints the job and the check id', () => {
    const dir = tempDir();
    const config = join(dir, 'config.yml');
    writeFileSync(config, `version: "1.0"\ncomponents:\n  gitleaks: { handler_name: gitleaks }\njobs:\n  - name: pushes\n    rules: { gitlab: { event_type: push } }\n    scans: [gitleaks]\n`);
    const payload = join(dir, 'push.json');
    writeFileSync(payload, JSON.stringify(pushPayload({ gitlabUrl: 'http://example.com', path: 'mike/diaspora', before: 'b'.repeat(40), after: 'c'.repeat(40) })));
    const gitlab = JSON.stringify([{ host: 'http://example.com/', webhook_secret_token: WEBHOOK_TOKEN, auth_token: GITLAB_TOKEN, prefix: 'GIT_LOCAL' }]);
    const r = run(['config', 'validate', '--config', config, '--event', payload, '--event-type', 'Push Hook'], { GITLAB_CONFIGS: gitlab });
    expect(r.code).toBe(0);
    expect(r.out).toContain('job: pushes');
    expect(r.out).toContain(run(['check-id', '--host', 'example.com', '--project', 'mike/diaspora', '--sha', 'c'.repeat(40), '--prefix', 'GIT_LOCAL']).out.trim());
    // An event from an instance SecBot does not know would be rejected: exit 1.
    writeFileSync(payload, JSON.stringify(pushPayload({ gitlabUrl: 'https://gitlab.other.example', path: 'mike/diaspora', before: 'b'.repeat(40), after: 'c'.repeat(40) })));
    const rejected = run(['config', 'validate', '--config', config, '--event', payload, '--event-type', 'Push Hook'], { GITLAB_CONFIGS: gitlab });
    expect(rejected.code).toBe(1);
    expect(rejected.out).toContain('event: rejected');
  });

  test('config validate: settings and config.yml problems in one run; YAML errors show the line', () => {
    const dir = tempDir();
    const config = join(dir, 'config.yml');
    writeFileSync(config, 'version: "1.0"\ncomponents:\n  gitleaks: { handler_name: gitleak }\njobs:\n  - name: j\n    scans: [gitleaks]\nextra_top: 1\n');
    const r = run(['config', 'validate', '--config', config], { SECBOT_INTAKE_PORT: 'x' });
    expect(r.code).toBe(2);
    for (const part of ['GITLAB_CONFIGS: is not set', 'SECBOT_INTAKE_PORT', 'unknown handler "gitleak"', 'did you mean "gitleaks"?', 'extra_top: unknown top-level key']) expect(r.err).toContain(part);
    writeFileSync(config, 'version: "1.0"\ncomponents:\n  gitleaks: {handler_name: gitleaks\njobs: []\n');
    const yaml = run(['config', 'validate', '--config', config]);
    expect(yaml.code).toBe(2);
    expect(yaml.err).toMatch(/config\.yml:\d+:\d+: not valid YAML: /);
    expect(yaml.err).toContain('|   gitleaks: {handler_name: gitleaks');
  });

  test('secbot help COMMAND and COMMAND --help', () => {
    const a = run(['help', 'config', 'validate']);
    const b = run(['config', 'validate', '--help']);
    expect(a.code).toBe(0);
    expect(a.out).toStartWith('Usage: secbot config validate');
    expect(b.out).toBe(a.out);
    expect(run(['help']).out).toBe(run(['--help']).out);
  });
});

for (const layout of ['all on sqlite', 'separate processes on postgres'] as const) {
  describe(`secbot end to end: ${layout}`, () => {
    let w: World;
    const secrets: string[] = [];
    beforeAll(async () => {
      const pg = layout.endsWith('postgres');
      w = await World.start({ db: pg ? 'postgres' : 'sqlite', launch: 'none' });
      if (!pg) await w.startProcess(['intake', 'results', 'worker']);
      else {
        await w.startProcess(['intake']);
        await w.startProcess(['results']);
        await w.startProcess(['worker']);
        await w.startProcess(['worker']);
      }
    });
    afterAll(async () => w.stop());

    test('a leak fails the gate, triage lifts it, and the announcement is made once', async () => {
      const repo = w.repo('team/service');
      const base = repo.commit({ files: { 'main.go': 'package main\n' }, message: 'init' });
      const secret = fakeAwsKey();
      secrets.push(secret);
      const leak = repo.commit({ files: { '.env': `AWS_ACCESS_KEY_ID=${secret}\n` }, message: 'oops' });
      const res = await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'team/service', before: base, after: leak }));
      expect(res.status).toBe(200);
      const id = w.checkId('team/service', leak);
      const st = await w.expectFinal(id, 'fail', 60_000);
      await w.until(() => w.slack.messages.length === 1, 20_000, 'slack message');
      expect(w.dojo.state.tests).toHaveLength(1);
      w.dojo.triage(Number(st.findings[0].url.split('/').pop()), { risk_accepted: true, active: false });
      expect((await w.status(id)).status).toBe('success');
    });

    test('`secbot healthcheck` (the image HEALTHCHECK) passes for every role and fails when nothing answers', () => {
      const closed = '1';
      for (const p of w.processes) {
        const env = {
          SECBOT_INTAKE_PORT: String(p.ports.intake ?? closed),
          SECBOT_RESULTS_PORT: String(p.ports.results ?? closed),
          SECBOT_WORKER_PORT: String(p.ports.worker ?? closed),
        };
        const r = run(['healthcheck'], env);
        expect({ ports: p.ports, code: r.code, out: r.out }).toMatchObject({ ports: p.ports, code: 0, out: expect.stringContaining('healthy: ') });
      }
      const none = run(['healthcheck'], { SECBOT_INTAKE_PORT: closed, SECBOT_RESULTS_PORT: closed, SECBOT_WORKER_PORT: closed });
      expect(none.code).toBe(1);
      expect(none.err).toContain('no SecBot port answered /healthz');
    });

    test('metrics and health answer on every role', async () => {
      const metrics = await (await fetch(`${w.resultsUrl}/metrics`)).text();
      expect(metrics).toContain('secbot_gate_verdicts_total');
      const intakeMetrics = await (await fetch(`${w.intakeUrl}/metrics`)).text();
      expect(intakeMetrics).toMatch(/secbot_webhook_events_total\{event="push",outcome="accepted"\} 1/);
      // Queue depth belongs to the worker: on the first port of `secbot all`, on the results process when it runs alone.
      expect(layout.endsWith('postgres') ? metrics : intakeMetrics).toContain('secbot_queue_tasks');
      for (const p of w.processes) {
        const port = p.ports.intake ?? p.ports.results ?? p.ports.worker;
        if (port) expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      }
    });

    test('every log line is JSON, task lines carry check, task and handler, and nothing secret is logged', async () => {
      for (const p of [...w.processes]) p.kill('SIGTERM');
      for (const p of w.processes) expect(await p.waitExit()).toBe(0);
      const lines = w.logs.filter((l) => l.trim() !== '');
      expect(lines.length).toBeGreaterThan(10);
      for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
      const taskLines = lines.map((l) => JSON.parse(l)).filter((r) => r.msg === 'task started');
      expect(taskLines.length).toBeGreaterThanOrEqual(3);
      for (const r of taskLines) expect(r).toMatchObject({ check_id: expect.any(String), task_id: expect.any(Number), handler: expect.any(String) });
      const all = lines.join('\n');
      for (const s of [WEBHOOK_TOKEN, GITLAB_TOKEN, SLACK_TOKEN, ADMIN_TOKEN, w.dojo.token, ...secrets]) expect(all).not.toContain(s);
    });
  });
}
