/**
 * The Sentry client against a local fake DSN endpoint: envelopes reach /api/<project>/envelope/ with the public
 * key in X-Sentry-Auth, carry the log record as an event, and never contain a token or secret value — neither
 * the ones the redactor knows nor token-shaped strings and secret-named fields it does not.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createLogger, Redactor } from '../../../src/log/logger.ts';
import { parseDsn, SentryReporter, scrub } from '../../../src/observability/sentry.ts';
import { fakeAwsKey, fakeGithubPat } from '../../helpers/secrets.ts';

interface Received {
  path: string;
  auth: string;
  contentType: string;
  body: string;
}

const KNOWN = { gitlab: 'glpat-known-gitlab-token-0001', slack: 'xoxb-known-slack-token-0002', dojo: '6f1c2e9a0b8d4c7e9f1a2b3c4d5e6f708192a3b4', admin: 'admin-known-token-00000003' };
const UNKNOWN = { gitlab: 'glpat-UNREGISTERED4567890abc', slack: 'xoxb-111-222-UNREGISTEREDabc', bearer: 'eyJhbGciOiJIUzI1NiJ9UNREGISTERED', password: 'hunter2-unregistered-pw' };

let server: ReturnType<typeof Bun.serve>;
const received: Received[] = [];
let status = 200;

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      received.push({ path: new URL(req.url).pathname, auth: req.headers.get('x-sentry-auth') ?? '', contentType: req.headers.get('content-type') ?? '', body: await req.text() });
      return Response.json({ id: 'x' }, { status });
    },
  });
});
afterAll(() => server.stop(true));

const dsn = () => `http://publickey0123456789@127.0.0.1:${server.port}/sentry/42`;

function setup() {
  const redactor = new Redactor();
  redactor.add(...Object.values(KNOWN));
  const reporter = new SentryReporter({ dsn: dsn(), release: 'secbot@test', redactor, tags: { mode: 'worker' } });
  const log = createLogger({ redactor, sink: () => {}, onError: (r) => reporter.capture(r), base: { service: 'secbot', mode: 'worker' } });
  return { reporter, log };
}

describe('Sentry reporting', () => {
  test('parseDsn: envelope URL with the path prefix and project id, public key', () => {
    expect(parseDsn('https://abc123@sentry.example.com/prefix/7')).toEqual({ envelopeUrl: 'https://sentry.example.com/prefix/api/7/envelope/', publicKey: 'abc123' });
    expect(() => parseDsn('https://sentry.example.com/7')).toThrow('SENTRY_DSN');
  });

  test('an error log line becomes one envelope with the event; tokens and secrets are scrubbed', async () => {
    received.length = 0;
    const { reporter, log } = setup();
    const leaked = fakeAwsKey();
    const pat = fakeGithubPat();
    const task = log.child({ check_id: 'GIT_LOCAL_abc', task: 'output:gitleaks:defectdojo', handler: 'defectdojo', project: 'acme/app' });
    log.info('not an error');
    task.warn('nor this');
    task.error(`DefectDojo rejected Token ${KNOWN.dojo} and ${UNKNOWN.gitlab}`, {
      error: new Error(`fetch https://oauth2:${KNOWN.gitlab}@gitlab.example.com/acme/app.git failed; slack ${UNKNOWN.slack}`),
      authorization: `Bearer ${UNKNOWN.bearer}`,
      db_password: UNKNOWN.password,
      headers: { 'X-Gitlab-Token': 'whatever-the-header-was', Accept: 'application/json' },
      note: `Authorization: Bearer ${UNKNOWN.bearer}, url https://user:${UNKNOWN.password}@db.example.com/x, admin ${KNOWN.admin}, slack ${KNOWN.slack}, aws ${leaked}, github ${pat}`,
    });
    await reporter.flush();
    expect(received).toHaveLength(1);
    const r = received[0]!;
    expect(r.path).toBe('/sentry/api/42/envelope/');
    expect(r.contentType).toBe('application/x-sentry-envelope');
    expect(r.auth).toContain('sentry_key=publickey0123456789');
    const [header, item, payload] = r.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(item).toEqual({ type: 'event' });
    expect(payload.event_id).toBe(header.event_id);
    expect(payload).toMatchObject({
      level: 'error',
      release: 'secbot@test',
      tags: { mode: 'worker', handler: 'defectdojo', task: 'output:gitleaks:defectdojo', project: 'acme/app' },
      exception: { values: [{ type: 'Error' }] },
      extra: { check_id: 'GIT_LOCAL_abc', authorization: '[Filtered]', db_password: '[Filtered]', headers: { 'X-Gitlab-Token': '[Filtered]', Accept: 'application/json' } },
    });
    expect(payload.message.formatted).toStartWith('DefectDojo rejected Token');
    for (const secret of [...Object.values(KNOWN), ...Object.values(UNKNOWN), leaked, pat, 'publickey0123456789', 'whatever-the-header-was']) {
      expect({ secret, found: r.body.includes(secret) }).toEqual({ secret, found: false });
    }
  });

  test('a Sentry that is down or refuses does not throw or block; reports are rate limited', async () => {
    received.length = 0;
    status = 500;
    const redactor = new Redactor();
    const errors: string[] = [];
    const reporter = new SentryReporter({ dsn: dsn(), release: 'r', redactor, perMinute: 3, onSendError: (m) => errors.push(m) });
    for (let i = 0; i < 10; i++) reporter.capture({ ts: new Date().toISOString(), level: 'error', msg: `boom ${i}` });
    await reporter.flush();
    status = 200;
    expect(received).toHaveLength(3);
    expect(errors[0]).toContain('Sentry answered 500');
    const down = new SentryReporter({ dsn: 'http://k1234567@127.0.0.1:1/1', release: 'r', redactor, onSendError: (m) => errors.push(m) });
    down.capture({ ts: new Date().toISOString(), level: 'error', msg: 'x' });
    await down.flush();
    expect(errors.at(-1)).toContain('could not send an error report to Sentry');
  });

  test('scrub: secret-named keys at any depth, token shapes in any string', () => {
    expect(scrub({ a: { apiKey: 'k', list: [{ token: 't' }, 'glpat-abcdefgh12345'] }, ok: 'Basic dXNlcjpwYXNzd29yZA==' })).toEqual({
      a: { apiKey: '[Filtered]', list: [{ token: '[Filtered]' }, '[Filtered]'] },
      ok: 'Basic [Filtered]',
    });
  });
});
