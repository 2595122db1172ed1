/**
 * ci/secbot-gate.sh (seed §3.5) run against a small fake of the results API: the id it asks for, how it waits, what
 * it prints and how it exits. Every scenario runs three times (ci-gate-harness.ts): with curl and jq, with curl and
 * jq forced missing (the grep/awk reader), and with busybox applets only (wget, no curl, no jq). Answers that are
 * not SecBot's, control characters and the read token are in ci-gate-answers.test.ts.
 * The GitLab CI template must embed the script verbatim; that is checked here too.
 */
import { describe, expect, test } from 'bun:test';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { securityCheckId } from '../../../src/core/check-id.ts';
import { read } from './deploy-helpers.ts';
import {
  CHECK_PATH,
  expectOnlyTheCheckId,
  FAIL_BODY,
  gate,
  h,
  HOST,
  ID,
  json,
  PROJECT,
  RESULTS_TOKEN,
  SHA,
  URL_PASSWORD,
  useFakeResults,
  verdict,
  VARIANT_NAMES,
  VARIANTS,
} from './ci-gate-harness.ts';

useFakeResults();

describe('check id', () => {
  test('the printf form in the script gives the seed’s `echo -n … | sha256sum | head -c64` and SecBot’s id', () => {
    const input = `${HOST}:${PROJECT}_${SHA}`;
    const seed = Bun.spawnSync(['sh', '-c', 'echo -n "$X" | sha256sum | head -c64'], { env: { PATH: process.env.PATH, X: input } });
    expect(`GIT_LOCAL_${seed.stdout.toString()}`).toBe(ID);
  });
});


for (const variant of VARIANTS) {
  describe(`secbot-gate.sh (${VARIANT_NAMES[variant]})`, () => {
    test('success: exit 0, one request for SecBot’s check id', async () => {
      h.responder = () => json(verdict('success'));
      const r = await gate(variant);
      expect(r.code).toBe(0);
      expect(r.out).toContain('success --> No vulnerabilities found');
      expect(r.out).toContain(ID);
      expect(h.requests).toEqual([CHECK_PATH]);
      if (variant !== 'jq') expect(r.out).toContain('jq not found');
      if (variant === 'busybox' || variant === 'gnuwget') expect(r.out).toContain('curl not found, using wget');
    });

    test('fail: exit 1 with the reason, the report link and every finding’s title and URL', async () => {
      h.responder = () => json(FAIL_BODY);
      const r = await gate(variant);
      expect(r.code).toBe(1);
      expect(r.out).toContain('fail --> Vulnerabilities found');
      expect(r.out).toContain('reason: defectdojo has 2 open findings for gitleaks');
      expect(r.out).toContain('https://defectdojo.example.com/test/42');
      expect(r.out).toContain('[High] AWS Access Key in "config/prod.env"');
      expect(r.out).toContain('https://defectdojo.example.com/finding/7');
      expect(r.out).toContain('[Medium] Generic API Key');
      expect(r.out).toContain('https://defectdojo.example.com/finding/8');
      if (variant === 'jq') {
        expect(r.out).toContain('[Medium] Generic API Key (app.py:9, commit aaaaaaaa, inherited): https://defectdojo.example.com/finding/8');
        // Triaged findings are not what a developer has to act on.
        expect(r.out).not.toContain('finding/9');
      }
      // The project link is not a report link.
      expect(r.out).not.toContain(`https://${HOST}/${PROJECT}`);
      expect(r.out).toContain('FAILED (status fail)');
      expectOnlyTheCheckId();
    });

    test('error: exit 1 with SecBot’s reason', async () => {
      h.responder = () => json(verdict('error', { reason: 'scan:gitleaks: git fetch failed: \\"repository not found\\"', outputs: [] }));
      const r = await gate(variant);
      expect(r.code).toBe(1);
      expect(r.out).toContain('error --> SecBot could not complete the check');
      expect(r.out).toContain('reason: scan:gitleaks: git fetch failed: \\"repository not found\\"');
      expect(r.out).toContain('FAILED (status error)');
    });

    test('not_started, then in_progress, then success: prints each while waiting, exit 0', async () => {
      h.responder = (n) =>
        n <= 2 ? json(verdict('not_started')) : n <= 4 ? json(verdict('in_progress', { reason: 'scan:gitleaks is running' })) : json(verdict('success'));
      const r = await gate(variant);
      expect(r.code).toBe(0);
      const iNot = r.out.indexOf('not_started, waiting');
      const iProg = r.out.indexOf('in_progress (scan:gitleaks is running), waiting');
      const iOk = r.out.indexOf('success -->');
      expect(iNot).toBeGreaterThan(-1);
      expect(iProg).toBeGreaterThan(iNot);
      expect(iOk).toBeGreaterThan(iProg);
      expect(h.requests).toHaveLength(5);
      expectOnlyTheCheckId();
    });

    test('not_started with a reason (the commit will not be checked): fails after the grace period with the fix', async () => {
      const reason = 'no job in config.yml matches merge_request events of group/app';
      h.responder = () => json(verdict('not_started', { reason }));
      const r = await gate(variant, { SECBOT_NOT_STARTED_GRACE: '1' });
      expect(r.code).toBe(1);
      expect(r.out).toContain(`not_started (${reason}), waiting`);
      expect(r.out).toContain(`not_started --> this commit will not be checked: ${reason}`);
      expect(r.ms).toBeLessThan(10_000);
      // The reason may go away (the event that starts the check arrived): then it waits and passes as usual.
      h.requests = [];
      h.responder = (n) => (n <= 2 ? json(verdict('not_started', { reason })) : json(verdict('success')));
      expect((await gate(variant, { SECBOT_NOT_STARTED_GRACE: '30' })).code).toBe(0);
    });

    test('success after triage says what changed; unscanned files are noted', async () => {
      h.responder = () => json(verdict('success', { counts: { findings: 2, open: 0, inherited: 1, open_inherited: 0, unscanned: 1 } }));
      const r = await gate(variant);
      expect(r.code).toBe(0);
      expect(r.out).toContain('success --> no open findings: 2 finding(s) in this commit\'s history were triaged in DefectDojo');
      expect(r.out).toContain('note: 1 file(s) could not be scanned');
      expect(r.out).not.toContain('No vulnerabilities found');
    });

    test('timeout: in_progress forever fails after SECBOT_TIMEOUT', async () => {
      h.responder = () => json(verdict('in_progress', { reason: 'scan:gitleaks is queued' }));
      const r = await gate(variant, { SECBOT_TIMEOUT: '2' });
      expect(r.code).toBe(1);
      expect(r.out).toContain('in_progress (scan:gitleaks is queued), waiting');
      expect(r.out).toContain('FAILED (timeout: no final verdict after 2s; last status: in_progress');
      expect(h.requests.length).toBeGreaterThan(2);
      expect(r.ms).toBeGreaterThan(900);
      expect(r.ms).toBeLessThan(10_000);
      expectOnlyTheCheckId();
    });

    test('non-200 (4xx): exit 1 at once with the status code and body', async () => {
      h.responder = () => json({ code: 'INVALID_CHECK_ID', message: 'security_check_id must be <PREFIX>_<64 hex digits>' }, 422);
      const r = await gate(variant);
      expect(r.code).toBe(1);
      expect(r.out).toContain('HTTP 422');
      // busybox wget does not keep the body of an error answer.
      if (variant !== 'busybox') expect(r.out).toContain('INVALID_CHECK_ID');
      expect(h.requests).toHaveLength(1);
    });

    test('5xx a couple of times (a restarting service) is retried; a persistent 5xx fails', async () => {
      h.responder = (n) => (n <= 2 ? new Response('upstream down', { status: 503 }) : json(verdict('success')));
      const ok = await gate(variant);
      expect(ok.code).toBe(0);
      expect(ok.out).toContain('HTTP 503 (attempt 1 of 4)');
      expect(h.requests).toHaveLength(3);

      h.requests = [];
      h.responder = () => new Response('boom', { status: 500 });
      const bad = await gate(variant, { SECBOT_HTTP_RETRIES: '1' });
      expect(bad.code).toBe(1);
      expect(bad.out).toContain('FAILED (SecBot did not answer usefully)');
      expect(h.requests).toHaveLength(2);
    });

    test('an unknown status or a non-JSON 200 fails instead of passing', async () => {
      h.responder = () => new Response('<html>login</html>', { status: 200, headers: { 'content-type': 'text/html' } });
      const r = await gate(variant);
      expect(r.code).toBe(1);
      expect(r.out).toContain('not a SecBot answer for this check');
    });

  });
}

describe('secbot-gate.sh options and safety', () => {
  test('the seed-style URL (…/v1/security/gitlab/check) and a custom prefix', async () => {
    const prodId = securityCheckId('GIT_PROD', HOST, PROJECT, SHA);
    h.responder = () => json({ ...verdict('success'), security_check_id: prodId });
    const r = await gate('jq', { SECBOT_URL: `${h.base}/v1/security/gitlab/check/`, SECBOT_PREFIX: 'GIT_PROD' });
    expect(r.code).toBe(0);
    expect(h.requests).toEqual([`/v1/security/gitlab/check/${prodId}`]);
  });

  test('credentials in SECBOT_URL are masked in the log', async () => {
    h.responder = () => json(FAIL_BODY);
    const r = await gate('nojq', { SECBOT_URL: `http://ci:${URL_PASSWORD}@127.0.0.1:${h.port}` });
    expect(r.code).toBe(1);
    expect(r.out).toContain('http://***@127.0.0.1');
  });

  test('misconfiguration exits 2 and says what is wrong', async () => {
    for (const [env, message] of [
      [{ SECBOT_URL: '' }, 'SECBOT_URL is not set'],
      [{ CI_COMMIT_SHA: '' }, 'CI_COMMIT_SHA is not set'],
      [{ SECBOT_PREFIX: 'GIT-LOCAL' }, 'SECBOT_PREFIX may contain only'],
      [{ SECBOT_TIMEOUT: '15m' }, 'SECBOT_TIMEOUT must be whole seconds'],
      [{ SECBOT_POLL_INTERVAL: 'fast' }, 'SECBOT_POLL_INTERVAL must be a number'],
      [{ SECBOT_CA_FILE: '/nonexistent/ca.pem' }, 'is not a readable file'],
      [{ SECBOT_RESULTS_TOKEN: `${RESULTS_TOKEN}\nX-Injected: 1` }, 'SECBOT_RESULTS_TOKEN contains whitespace or control characters'],
    ] as const) {
      const r = await gate('jq', env);
      expect({ message, code: r.code, said: r.out.includes(message) }).toEqual({ message, code: 2, said: true });
    }
    expect(h.requests).toEqual([]);
  });

  test('TLS is verified by default: curl never gets -k unless SECBOT_INSECURE=true; SECBOT_CA_FILE becomes --cacert', async () => {
    // A curl shim on PATH records the arguments, then runs the real curl.
    const realCurl = Bun.which('curl')!;
    const bin = join(h.tmp, 'shim-bin');
    const log = join(h.tmp, 'curl-args.log');
    Bun.spawnSync(['mkdir', '-p', bin]);
    writeFileSync(join(bin, 'curl'), `#!/bin/sh\nprintf '%s\\n' "$@" >> "${log}"\nexec "${realCurl}" "$@"\n`);
    chmodSync(join(bin, 'curl'), 0o755);
    const ca = join(h.tmp, 'ca.pem');
    writeFileSync(ca, 'not used over plain http\n');
    h.responder = () => json(verdict('success'));
    const argsOf = async (env: Record<string, string>) => {
      writeFileSync(log, '');
      const r = await gate('jq', { PATH: `${bin}:${process.env.PATH}`, ...env });
      return { r, args: readFileSync(log, 'utf8').split('\n') };
    };

    const plain = await argsOf({});
    expect(plain.r.code).toBe(0);
    expect(plain.args).not.toContain('-k');
    expect(plain.args).not.toContain('--insecure');
    expect(plain.args).not.toContain('--cacert');

    const withCa = await argsOf({ SECBOT_CA_FILE: ca });
    expect(withCa.args[withCa.args.indexOf('--cacert') + 1]).toBe(ca);
    expect(withCa.args).not.toContain('-k');

    const insecure = await argsOf({ SECBOT_INSECURE: 'true' });
    expect(insecure.args).toContain('-k');
    expect(insecure.r.out).toContain('WARNING: SECBOT_INSECURE=true');
  });

  // Needs openssl to make a certificate; Debian has it wherever curl and ca-certificates are installed.
  test.skipIf(!Bun.which('openssl'))('against a self-signed HTTPS SecBot: refused without SECBOT_CA_FILE, passes with it', async () => {
    const key = join(h.tmp, 'tls.key');
    const cert = join(h.tmp, 'tls.crt');
    const gen = Bun.spawnSync(
      ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdout: 'pipe', stderr: 'pipe' },
    );
    expect(gen.exitCode).toBe(0);
    const tls = Bun.serve({ port: 0, hostname: '127.0.0.1', tls: { cert: Bun.file(cert), key: Bun.file(key) }, fetch: () => json(verdict('success')) });
    try {
      const url = `https://127.0.0.1:${tls.port}`;
      const refused = await gate('jq', { SECBOT_URL: url, SECBOT_HTTP_RETRIES: '0' });
      expect(refused.code).toBe(1);
      expect(refused.out).toMatch(/certificate/i);
      const trusted = await gate('jq', { SECBOT_URL: url, SECBOT_CA_FILE: cert });
      expect(trusted.code).toBe(0);
    } finally {
      tls.stop(true);
    }
  });
});

describe('ci/secbot-gate.gitlab-ci.yml', () => {
  const text = read('ci/secbot-gate.gitlab-ci.yml');
  // biome-ignore lint/suspicious/noExplicitAny: a GitLab CI file is free-form YAML
  const doc = parse(text) as Record<string, Record<string, any>>;
  const tpl = doc['.secbot-gate']!;
  const block = tpl.script[0] as string;
  const START = "<<'SECBOT_GATE_SH'\n";
  const embedded = block.slice(block.indexOf(START) + START.length, block.indexOf('\nSECBOT_GATE_SH\n') + 1);

  test('a template job and a ready job in the security stage, no `stages:` of its own', () => {
    expect(Object.keys(doc).sort()).toEqual(['.secbot-gate', 'secbot-gate']);
    expect(doc['secbot-gate']).toEqual({ extends: '.secbot-gate', stage: 'security' });
    expect(tpl.image).toMatch(/^alpine:\d+\.\d+$/);
    expect(tpl.before_script).toEqual(['apk add --no-cache curl jq']);
  });

  test('defaults live in the script, not in job variables that would shadow a pipeline’s global ones', () => {
    expect(Object.keys(tpl.variables ?? {}).filter((k) => k.startsWith('SECBOT_'))).toEqual([]);
    const script = read('ci/secbot-gate.sh');
    for (const [v, d] of [['SECBOT_PREFIX', 'GIT_LOCAL'], ['SECBOT_TIMEOUT', '900'], ['SECBOT_POLL_INTERVAL', '10']]) expect(script).toContain(`${v}=\${${v}:-${d}}`);
    expect(script).toContain('SECBOT_CA_FILE=${SECBOT_CA_FILE:-}');
  });

  test('embeds ci/secbot-gate.sh verbatim', () => {
    expect(embedded).toBe(read('ci/secbot-gate.sh'));
    expect(block.trimEnd().endsWith('sh /tmp/secbot-gate.sh')).toBe(true);
  });

  test('the job’s script block, run by sh, writes and runs a working gate', async () => {
    const runner = join(h.tmp, 'job-script.sh');
    writeFileSync(runner, block.replaceAll('/tmp/secbot-gate.sh', join(h.tmp, 'from-template.sh')));
    h.responder = () => json(verdict('success'));
    const r = await gate('jq', {}, runner);
    expect(r.code).toBe(0);
    expect(h.requests).toEqual([CHECK_PATH]);
  });

  test('never disables TLS verification by default', () => {
    expect(text).not.toMatch(/curl[^\n]*\s(-k|--insecure)\b/);
  });
});
