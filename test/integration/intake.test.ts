/**
 * Intake and gate over HTTP, on SQLite and Postgres, with no worker running (checks stay in progress): auth, bad
 * input, routing, idempotency and durability.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import { Database } from 'bun:sqlite';
import { DB_KINDS } from '../helpers/db.ts';
import { HEADERS, mrPayload, pushPayload, tagPayload, ZERO, fixture } from '../helpers/payloads.ts';
import { DEFAULT_CONFIG, WEBHOOK_TOKEN, World } from '../helpers/world.ts';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const TWO_JOBS = `${DEFAULT_CONFIG}
  - name: tags-too
    rules: { gitlab: { event_type: "tag_push" } }
    scans: [gitleaks]
`;

for (const kind of DB_KINDS) {
  describe(`intake on ${kind}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await World.start({ db: kind, modes: ['intake', 'results'], config: TWO_JOBS, env: { SECBOT_MAX_BODY_BYTES: '65536' } });
    });
    afterAll(async () => w.stop());

    const push = (after: string, extra: Record<string, unknown> = {}) => ({
      ...pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/webapp', before: SHA_B, after }),
      ...extra,
    });

    test('a wrong or missing token is refused with 403 and the documented body', async () => {
      for (const token of ['nope', '']) {
        const res = await fetch(`${w.intakeUrl}/v1/gitlab/webhook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-gitlab-token': token, 'x-gitlab-event': HEADERS.push },
          body: JSON.stringify(push(SHA_A)),
        });
        expect(res.status).toBe(403);
        expect(await res.json()).toEqual({ code: 'FORBIDDEN', message: 'X-Gitlab-Token header is invalid' });
      }
    });

    test('a payload from another host is refused, naming both hosts', async () => {
      const res = await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: 'https://evil.example.com', path: 'acme/webapp', before: SHA_B, after: SHA_A }));
      expect(res.status).toBe(403);
      const body = await res.json();
      expect(body.code).toBe('WRONG_INSTANCE');
      expect(body.message).toContain('evil.example.com');
    });

    test('bad input gets a 4xx with a message', async () => {
      const raw = (body: string, type = 'application/json') =>
        fetch(`${w.intakeUrl}/v1/gitlab/webhook`, {
          method: 'POST',
          headers: { 'content-type': type, 'x-gitlab-token': WEBHOOK_TOKEN, 'x-gitlab-event': HEADERS.push },
          body,
        });
      const malformed = await raw('{"object_kind": "push",');
      expect(malformed.status).toBe(400);
      expect((await malformed.json()).message).toContain('not valid JSON');
      expect((await raw('{}', 'text/plain')).status).toBe(415);
      const big = await raw(JSON.stringify({ ...push(SHA_A), padding: 'x'.repeat(100_000) }));
      expect(big.status).toBe(413);
      expect((await big.json()).message).toContain('SECBOT_MAX_BODY_BYTES');
      const missing = push(SHA_A);
      delete missing.project.path_with_namespace;
      const r422 = await w.deliver(HEADERS.push, missing);
      expect(r422.status).toBe(422);
      expect(await r422.json()).toMatchObject({ field: 'project.path_with_namespace' });
      const badSha = await w.deliver(HEADERS.push, push('not-a-sha'));
      expect(badSha.status).toBe(422);
      expect((await badSha.json()).field).toBe('after');
    });

    test('unsupported events, deletions and non-code MR actions are answered 200 ignored', async () => {
      const cases: [string, unknown][] = [
        ['Issue Hook', { object_kind: 'issue' }],
        [HEADERS.system, fixture('system_hook.repository_update.json')],
        [HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/webapp', before: SHA_A, after: ZERO })],
        [HEADERS.mr, mrPayload({ gitlabUrl: w.gitlab.url, path: 'acme/webapp', iid: 3, action: 'close', source: 'f', target: 'main', head: SHA_A })],
        [HEADERS.mr, mrPayload({ gitlabUrl: w.gitlab.url, path: 'acme/webapp', iid: 3, action: 'update', source: 'f', target: 'main', head: SHA_A })],
      ];
      for (const [event, body] of cases) {
        const res = await w.deliver(event, body);
        expect(res.status).toBe(200);
        const json = await res.json();
        expect(json.status).toBe('ignored');
        expect(typeof json.reason).toBe('string');
      }
    });

    test('an accepted push is committed with its tasks and polled as in_progress', async () => {
      const sha = '1'.repeat(40);
      const res = await w.deliver(HEADERS.push, push(sha), { 'Idempotency-Key': `k-${kind}-1` });
      expect(res.status).toBe(200);
      const body = await res.json();
      const id = w.checkId('acme/webapp', sha);
      expect(body).toMatchObject({ status: 'accepted', security_check_id: id, job: 'secrets', tasks: 3 });
      const st = await w.status(id);
      expect(st.status).toBe('in_progress');
      expect(st.check).toMatchObject({ project: 'acme/webapp', commit_sha: sha, event_type: 'push', job: 'secrets' });
      expect(st.scans).toHaveLength(1);
      expect(st.outputs).toHaveLength(1);
      expect(st.notifications).toHaveLength(1);
    });

    test('redeliveries and later events for the same commit add no work and say so', async () => {
      const sha = '2'.repeat(40);
      const first = await (await w.deliver(HEADERS.push, push(sha), { 'Idempotency-Key': `k-${kind}-2` })).json();
      expect(first.status).toBe('accepted');
      const again = await (await w.deliver(HEADERS.push, push(sha), { 'Idempotency-Key': `k-${kind}-2` })).json();
      expect(again).toMatchObject({ status: 'duplicate_delivery', tasks: 0 });
      const mr = mrPayload({ gitlabUrl: w.gitlab.url, path: 'acme/webapp', iid: 7, action: 'open', source: 'feature', target: 'main', head: sha });
      const later = await (await w.deliver(HEADERS.mr, mr)).json();
      expect(later).toMatchObject({ status: 'exists', tasks: 0, security_check_id: first.security_check_id });
    });

    test('system hooks are classified by their body', async () => {
      const sha = '3'.repeat(40);
      const res = await w.deliver(HEADERS.system, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/other', before: SHA_B, after: sha, system: true }));
      expect(await res.json()).toMatchObject({ status: 'accepted', security_check_id: w.checkId('acme/other', sha) });
    });

    test('an event matched by two jobs is recorded as a check in error naming them', async () => {
      const sha = '4'.repeat(40);
      const res = await w.deliver(HEADERS.tag, tagPayload({ gitlabUrl: w.gitlab.url, path: 'acme/webapp', tag: 'v1', after: sha, commit: sha }));
      const body = await res.json();
      expect(body.status).toBe('accepted');
      expect(body.message).toContain('secrets, tags-too');
      const st = await w.status(body.security_check_id);
      expect(st.status).toBe('error');
      expect(st.reason).toContain('secrets, tags-too');
      // Final at once: the intake logs the "check finished" line itself (no task will).
      const finished = w.logs.map((l) => JSON.parse(l)).filter((r) => r.check_id === body.security_check_id && r.msg.startsWith('check finished'));
      expect(finished).toMatchObject([{ msg: 'check finished: error', verdict: 'error', project: 'acme/webapp', ref: 'tag v1', sha: sha.slice(0, 8) }]);
    });

    test('the gate answers not_started for unknown ids and 422 for malformed ones', async () => {
      const unknown = w.checkId('acme/none', '5'.repeat(40));
      expect(await w.status(unknown)).toEqual({ status: 'not_started', security_check_id: unknown });
      for (const bad of ['nope', `GIT_LOCAL_${'z'.repeat(64)}`, `GIT_LOCAL_${'a'.repeat(63)}`]) {
        const res = await fetch(`${w.resultsUrl}/v1/security/gitlab/check/${bad}`);
        expect(res.status).toBe(422);
        expect((await res.json()).code).toBe('INVALID_CHECK_ID');
      }
    });

    test('when the database cannot store the delivery, GitLab gets 503 and nothing half-written remains', async () => {
      const sha = '6'.repeat(40);
      await breakDeliveries(kind, w.env.SECBOT_DATABASE_URL!);
      const res = await w.deliver(HEADERS.push, push(sha));
      expect(res.status).toBe(503);
      expect((await res.json()).code).toBe('UNAVAILABLE');
      await repairDeliveries(kind, w.env.SECBOT_DATABASE_URL!);
      expect((await w.status(w.checkId('acme/webapp', sha))).status).toBe('not_started');
      const retry = await w.deliver(HEADERS.push, push(sha));
      expect((await retry.json()).status).toBe('accepted');
    });
  });
}

/** Makes the deliveries table unwritable from outside SecBot (a stand-in for a database failure mid-transaction). */
async function breakDeliveries(kind: string, url: string): Promise<void> {
  const stmt = 'ALTER TABLE deliveries RENAME TO deliveries_broken';
  if (kind === 'sqlite') new Database(url).exec(stmt);
  else {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql.unsafe(stmt);
    await sql.end();
  }
}

async function repairDeliveries(kind: string, url: string): Promise<void> {
  const stmt = 'ALTER TABLE deliveries_broken RENAME TO deliveries';
  if (kind === 'sqlite') new Database(url).exec(stmt);
  else {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql.unsafe(stmt);
    await sql.end();
  }
}
