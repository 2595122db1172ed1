/**
 * A table of hostile requests against every endpoint of the intake and results instances, on SQLite and Postgres
 * (rows in hostile-input-webhook-rows.ts and hostile-input-endpoint-rows.ts). Each row's status is asserted
 * exactly, with its documented body; no answer may be a 5xx (GitLab counts those toward disabling the hook, and
 * they mean SecBot lost control of an input), no answer may echo a token, and afterwards the process must still be
 * healthy and still accept a normal push.
 *
 * Two GitLab instances are configured so a token of one with a payload of the other can be tried (WRONG_INSTANCE).
 * The body limit is small (8 MiB) so oversized bodies are cheap, yet 10k commits still fit under it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DB_KINDS } from '../helpers/db.ts';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { ADMIN_TOKEN, GITLAB_TOKEN, PREFIX, WEBHOOK_TOKEN, World } from '../helpers/world.ts';
import { ENDPOINT_ROWS } from './hostile-input-endpoint-rows.ts';
import { expectShape, send, type Ctx, type Row } from './hostile-input-support.ts';
import { TOKEN_B, WEBHOOK_ROWS } from './hostile-input-webhook-rows.ts';

const MAX_BODY = 8 * 1024 * 1024;
const GITLAB_B = 'https://gitlab-b.example.com';
const ROWS: Row[] = [...WEBHOOK_ROWS, ...ENDPOINT_ROWS];

/** Secrets no answer may contain, whatever the request carried. */
const SECRETS = [WEBHOOK_TOKEN, TOKEN_B, ADMIN_TOKEN, GITLAB_TOKEN, 'auth-token-of-B-0123456789'];

test('row names are unique (they name the failing case)', () => {
  const names = ROWS.map((r) => r.name);
  expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
});

for (const kind of DB_KINDS) {
  describe(`hostile input on ${kind}`, () => {
    let w: World;
    let ctx: Ctx;
    let counter = 0;
    beforeAll(async () => {
      w = await World.start({ db: kind, launch: 'none', env: { SECBOT_MAX_BODY_BYTES: String(MAX_BODY) } });
      w.env.GITLAB_CONFIGS = JSON.stringify([
        { host: `${w.gitlab.url}/`, webhook_secret_token: WEBHOOK_TOKEN, auth_token: GITLAB_TOKEN, prefix: PREFIX },
        { host: `${GITLAB_B}/`, webhook_secret_token: TOKEN_B, auth_token: 'auth-token-of-B-0123456789', prefix: 'GIT_B' },
      ]);
      // No worker: this is about what the HTTP layer and the database accept, not about scans.
      await w.startInProcess(['intake', 'results']);
      ctx = {
        intakeUrl: w.intakeUrl,
        resultsUrl: w.resultsUrl,
        gitlabUrl: w.gitlab.url,
        gitlabBUrl: GITLAB_B,
        maxBody: MAX_BODY,
        sha: () => (++counter).toString(16).padStart(8, '0').repeat(5),
      };
    });
    afterAll(async () => w.stop());

    for (const row of ROWS) {
      test(`${row.name} → ${row.status}`, async () => {
        const answer = await send(row, ctx);
        // Checked before the exact status so a 5xx is reported as such, with its body.
        expect(answer.status < 500 ? 'no 5xx' : `${answer.status}: ${answer.text.slice(0, 300)}`).toBe('no 5xx');
        expect(answer.status).toBe(row.status);
        expectShape(answer, row.want);
        for (const secret of [...SECRETS, ...sentCredentials(row)]) expect(answer.text).not.toContain(secret);
      });
    }

    test('afterwards the process is up, its metrics render, and a normal push is accepted and polled', async () => {
      for (const base of [w.intakeUrl, w.resultsUrl]) {
        const health = await fetch(`${base}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: 'ok' });
        const metrics = await fetch(`${base}/metrics`);
        expect(metrics.status).toBe(200);
        // Webhook counters belong to intake: one process's results port does not repeat them (no double count).
        const rejected = 'secbot_webhook_events_total{event="push",outcome="rejected"}';
        if (base === w.intakeUrl) expect(await metrics.text()).toContain(rejected);
        else expect(await metrics.text()).not.toContain(rejected);
      }
      const sha = 'f'.repeat(40);
      const res = await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/webapp', before: ctx.sha(), after: sha }));
      expect(res.status).toBe(200);
      const id = w.checkId('acme/webapp', sha);
      expect(await res.json()).toMatchObject({ status: 'accepted', security_check_id: id, job: 'secrets', tasks: 3 });
      expect(await w.status(id)).toMatchObject({ status: 'in_progress', security_check_id: id });
    });

    test('a check of instance B is polled under its own prefix, and hostile branches are stored verbatim', async () => {
      const list = await fetch(`${w.resultsUrl}/v1/admin/checks?limit=500`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const checks: { security_check_id: string; ref: string }[] = (await list.json()).checks;
      const fromB = checks.filter((c) => c.security_check_id.startsWith('GIT_B_'));
      expect(fromB).toHaveLength(1);
      expect((await w.status(fromB[0]!.security_check_id)).status).toBe('in_progress');
      const refs = checks.map((c) => c.ref);
      for (const branch of ['feature/🚀-launch', 'fix/\u202Eabc\u202C-שלום', '$(id);`id`|x&y', 'feat/✨-مرحبا']) expect(refs).toContain(branch);
    });
  });
}

/** The token-like header values a row sent: the answer must not echo them back. */
function sentCredentials(row: Row): string[] {
  const h = row.headers ?? {};
  return [h['x-gitlab-token'], h.authorization?.replace(/^\S+ /, '')].filter((v): v is string => typeof v === 'string' && v.length >= 8);
}
