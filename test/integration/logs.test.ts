/**
 * What the logs say about a real flow (README "Operations"), on SQLite and Postgres: every task line names the
 * project, ref and short SHA; one "check finished" line per check with its verdict; a task's last failure says
 * "failed after N attempts" and no longer "will retry"; rejected deliveries (bad token, wrong instance, 415) carry
 * the client address and the instance; debug lines say what is fetched, scanned and requested. Error lines reach a
 * local fake Sentry endpoint with no token in them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DB_KINDS } from '../helpers/db.ts';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { ADMIN_TOKEN, GITLAB_TOKEN, SLACK_TOKEN, WEBHOOK_TOKEN, World } from '../helpers/world.ts';

// biome-ignore lint/suspicious/noExplicitAny: log records are free-form JSON
type Rec = Record<string, any>;

for (const kind of DB_KINDS) {
  describe(`logs on ${kind}`, () => {
    let w: World;
    let sentry: ReturnType<typeof Bun.serve>;
    const envelopes: string[] = [];
    const records = () => w.logs.map((l) => JSON.parse(l) as Rec);

    beforeAll(async () => {
      sentry = Bun.serve({
        port: 0,
        hostname: '127.0.0.1',
        async fetch(req) {
          envelopes.push(`${req.headers.get('x-sentry-auth')}\n${await req.text()}`);
          return Response.json({});
        },
      });
      w = await World.start({
        db: kind,
        env: { SECBOT_TASK_MAX_ATTEMPTS: '2', SENTRY_DSN: `http://sentrykey0123456789@127.0.0.1:${sentry.port}/9` },
      });
    });
    afterAll(async () => {
      await w.stop();
      sentry.stop(true);
    });

    test('a leak: task lines carry project, ref and short SHA; one "check finished" line with the verdict', async () => {
      const repo = w.repo('acme/logs');
      const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
      const leak = repo.commit({ files: { '.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'oops' });
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/logs', before: base, after: leak }));
      const id = w.checkId('acme/logs', leak);
      await w.expectFinal(id, 'fail', 60_000);
      await w.until(() => records().some((r) => r.check_id === id && r.msg === 'task done' && r.task.startsWith('notify:')), 20_000, 'notification done');

      const taskLines = records().filter((r) => r.check_id === id && r.task_id !== undefined);
      expect(taskLines.length).toBeGreaterThanOrEqual(6);
      for (const r of taskLines) expect(r).toMatchObject({ project: 'acme/logs', ref: 'main', sha: leak.slice(0, 8) });
      const finished = records().filter((r) => r.check_id === id && r.msg.startsWith('check finished'));
      expect(finished).toHaveLength(1);
      expect(finished[0]).toMatchObject({ msg: 'check finished: fail', verdict: 'fail', project: 'acme/logs', ref: 'main', sha: leak.slice(0, 8), level: 'info' });
      const delivery = records().find((r) => r.check_id === id && r.msg === 'webhook delivery accepted');
      expect(delivery).toMatchObject({ project: 'acme/logs', sha: leak.slice(0, 8), instance: 'GIT_LOCAL', client: '127.0.0.1' });
    });

    test('debug says what is fetched, which range is scanned, and which requests go out', () => {
      const msgs = records().filter((r) => r.level === 'debug');
      expect(msgs.find((r) => r.msg === 'git: cloning into a new mirror')).toMatchObject({ from: `${w.gitlab.url}/acme/logs.git`, project: 'acme/logs' });
      expect(msgs.find((r) => r.msg === 'gitleaks range resolved')).toMatchObject({ rule: expect.any(String), range: expect.any(String), commits: expect.any(Number) });
      expect(msgs.find((r) => r.msg === 'running gitleaks')?.argv).toContain('gitleaks');
      expect(msgs.find((r) => r.msg === 'HTTP request' && String(r.url).startsWith(w.dojo.url))).toMatchObject({ method: expect.any(String), status: expect.any(Number) });
      expect(msgs.some((r) => r.msg === 'Slack: chat.postMessage')).toBe(true);
      expect(msgs.some((r) => r.msg === 'gate answered' && r.project === 'acme/logs')).toBe(true);
    });

    test('the last failed attempt says "failed after N attempts", earlier ones "will retry"', async () => {
      // A project GitLab does not have: every fetch fails with a retryable 404.
      const sha = 'a'.repeat(40);
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/missing', before: 'b'.repeat(40), after: sha }));
      const id = w.checkId('acme/missing', sha);
      const st = await w.expectFinal(id, 'error', 60_000);
      expect(st.reason).toContain('failed after 2 attempts');
      const lines = records().filter((r) => r.check_id === id && r.task === 'scan:gitleaks');
      const failures = lines.filter((r) => r.level === 'warn' || r.level === 'error');
      expect(failures.map((r) => [r.attempt, r.level])).toEqual([[1, 'warn'], [2, 'error']]);
      expect(failures[0]!.msg).toMatch(/^task attempt failed; will retry in \d+(\.\d)? s$/);
      expect(failures[0]!.msg).not.toBe('task attempt failed; will retry in 0 s');
      expect(failures[1]!.msg).toBe('task failed after 2 attempts');
      expect(failures[1]!.error).toStartWith('failed after 2 attempts: ');
      expect(failures[1]!.error).not.toContain('will retry');
      expect(records().filter((r) => r.check_id === id && r.msg.startsWith('check finished'))).toMatchObject([{ verdict: 'error', level: 'warn' }]);
    });

    test('rejected deliveries carry the client address and the instance; 415 is logged', async () => {
      const before = w.logs.length;
      const send = (headers: Record<string, string>, body = '{}') =>
        fetch(`${w.intakeUrl}/v1/gitlab/webhook`, { method: 'POST', headers: { 'x-gitlab-event': 'Push Hook', ...headers }, body });
      expect((await send({ 'content-type': 'application/json', 'x-gitlab-token': 'not-the-token-000', 'x-forwarded-for': '203.0.113.9' })).status).toBe(403);
      const foreign = pushPayload({ gitlabUrl: 'https://gitlab.elsewhere.example', path: 'a/b', before: 'b'.repeat(40), after: 'c'.repeat(40) });
      expect((await send({ 'content-type': 'application/json', 'x-gitlab-token': WEBHOOK_TOKEN }, JSON.stringify(foreign))).status).toBe(403);
      expect((await send({ 'content-type': 'text/plain', 'x-gitlab-token': WEBHOOK_TOKEN })).status).toBe(415);
      const recs = w.logs.slice(before).map((l) => JSON.parse(l) as Rec);
      expect(recs.find((r) => r.http_status === 403 && r.instance === null)).toMatchObject({ msg: 'webhook delivery rejected', client: '127.0.0.1', forwarded_for: '203.0.113.9', level: 'warn' });
      expect(recs.find((r) => r.http_status === 403 && r.instance === 'GIT_LOCAL')).toMatchObject({ msg: 'webhook delivery rejected', client: '127.0.0.1', reason: expect.stringContaining('not the GitLab instance') });
      expect(recs.find((r) => r.http_status === 415)).toMatchObject({ msg: 'webhook delivery rejected: unsupported media type', client: '127.0.0.1', content_type: 'text/plain', level: 'warn' });
    });

    test('error lines reached the fake Sentry, without any token', async () => {
      await w.until(() => envelopes.some((e) => e.includes('task failed after 2 attempts')), 10_000, 'Sentry event');
      const all = envelopes.join('\n');
      expect(all).toContain('"level":"error"');
      for (const secret of [WEBHOOK_TOKEN, GITLAB_TOKEN, SLACK_TOKEN, ADMIN_TOKEN, w.dojo.token]) expect(all).not.toContain(secret);
      // The DSN's key authenticates the request and appears nowhere else.
      expect(envelopes.every((e) => e.split('\n').slice(1).join('\n').includes('sentrykey0123456789') === false)).toBe(true);
      expect(w.logs.join('\n')).not.toContain('sentrykey0123456789');
    });
  });
}
