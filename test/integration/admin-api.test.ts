/**
 * The admin API of the results instance (README "Operations"), on SQLite and Postgres, with the whole flow running
 * (fake GitLab with real repositories, gitleaks, fake DefectDojo and Slack): authentication, listing with filters,
 * one check with its tasks, attempts, per-attempt history and errors, and re-running checks that ended in `error`
 * — through POST /rerun and through a new webhook event, but not through a redelivery of the same delivery.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DB_KINDS } from '../helpers/db.ts';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { ADMIN_TOKEN, GITLAB_TOKEN, PREFIX, World } from '../helpers/world.ts';

const WRONG = 'Bearer not-the-admin-token-0123456789';
const UNKNOWN = `${PREFIX}_${'e'.repeat(64)}`;

// biome-ignore lint: admin answers are free-form JSON
type Json = Record<string, any>;

for (const kind of DB_KINDS) {
  describe(`admin API on ${kind}`, () => {
    let w: World;
    const ids: Record<'clean' | 'refused' | 'fetchFails', string> = { clean: '', refused: '', fetchFails: '' };
    beforeAll(async () => {
      w = await World.start({ db: kind });
    });
    afterAll(async () => w.stop());

    const admin = (path: string, init: RequestInit = {}, auth = `Bearer ${ADMIN_TOKEN}`) =>
      fetch(`${w.resultsUrl}/v1/admin${path}`, { ...init, headers: { authorization: auth } });
    const adminJson = async (path: string): Promise<Json> => {
      const res = await admin(path);
      expect(res.status).toBe(200);
      return res.json();
    };

    /** Two commits on a fresh repository and a push of the second; returns the check id. */
    async function push(path: string, headers: Record<string, string> = {}): Promise<{ id: string; payload: Json }> {
      const repo = w.repo(path);
      const base = repo.commit({ files: { 'README.md': `${path}\n` }, message: 'init' });
      const head = repo.commit({ files: { 'src/app.txt': 'nothing secret\n' }, message: 'work' });
      const payload = pushPayload({ gitlabUrl: w.gitlab.url, path, before: base, after: head });
      const res = await w.deliver(HEADERS.push, payload, headers);
      expect((await res.json()).status).toBe('accepted');
      return { id: w.checkId(path, head), payload };
    }

    /** Waits for the final verdict and for the notification tasks to settle (no work left behind). */
    async function settle(id: string): Promise<Json> {
      const st = await w.waitFinal(id);
      await w.until(async () => (await w.status(id)).notifications.every((n: Json) => ['done', 'failed', 'cancelled'].includes(n.state)), 15_000, 'notifications settled');
      return st;
    }

    test('401 without a bearer token or with a wrong one, and the answer never echoes it', async () => {
      for (const auth of ['', WRONG, `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}`]) {
        for (const [path, method] of [['/checks', 'GET'], [`/checks/${UNKNOWN}`, 'GET'], [`/checks/${UNKNOWN}/rerun`, 'POST']] as const) {
          const res = await admin(path, { method }, auth);
          expect(res.status).toBe(401);
          const text = await res.text();
          expect(JSON.parse(text)).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String) });
          expect(text).not.toContain('not-the-admin-token');
          expect(text).not.toContain(ADMIN_TOKEN);
        }
      }
    });

    test('a clean push succeeds; one whose DefectDojo import is refused ends in error', async () => {
      ids.clean = (await push('acme/alpha')).id;
      expect((await settle(ids.clean)).status).toBe('success');
      // A 403 "Invalid token." is permanent: the output task fails at once and its notification is cancelled.
      w.dojo.failNext(1, { status: 403, body: { detail: 'Invalid token.' }, pathPrefix: '/api/v2/import-scan' });
      ids.refused = (await push('acme/beta')).id;
      const st = await settle(ids.refused);
      expect(st.status).toBe('error');
      expect(JSON.stringify(st)).toContain('DefectDojo rejected the API token');
    });

    test('show: the check with its tasks, attempts, per-attempt history and errors', async () => {
      const c = await adminJson(`/checks/${ids.refused}`);
      expect(c).toMatchObject({ security_check_id: ids.refused, status: 'error', project: 'acme/beta', event_type: 'push', ref: 'main', job: 'secrets', generation: 1 });
      expect(c.details.status).toBe('error');
      const byKind = Object.fromEntries(c.tasks.map((t: Json) => [t.kind, t]));
      expect(Object.keys(byKind).sort()).toEqual(['notify', 'output', 'scan']);
      expect(byKind.scan).toMatchObject({ handler: 'gitleaks', state: 'done', attempts: 1, last_error: null });
      expect(byKind.output).toMatchObject({ handler: 'defectdojo', state: 'failed', attempts: 1 });
      expect(byKind.output.last_error).toContain('DefectDojo rejected the API token');
      expect(byKind.output.history).toEqual([{ attempt: 1, event: 'failed', message: byKind.output.last_error, at: expect.any(String) }]);
      expect(byKind.notify.state).toBe('cancelled');
      expect(byKind.notify.attempts).toBe(0);
      for (const t of c.tasks) expect(t.max_attempts).toBe(5);
    });

    test('list: newest first, filtered by project, status and limit; bad values are 422', async () => {
      const all = (await adminJson('/checks')).checks as Json[];
      expect(all.map((c) => c.security_check_id)).toEqual([ids.refused, ids.clean]);
      expect(all[1]).toMatchObject({ project: 'acme/alpha', status: 'success', commit_sha: expect.stringMatching(/^[0-9a-f]{40}$/), finished_at: expect.any(String) });
      expect((await adminJson('/checks?project=acme/alpha')).checks.map((c: Json) => c.security_check_id)).toEqual([ids.clean]);
      expect((await adminJson('/checks?project=acme/nothing')).checks).toEqual([]);
      expect((await adminJson('/checks?status=error')).checks.map((c: Json) => c.security_check_id)).toEqual([ids.refused]);
      expect((await adminJson('/checks?status=success&project=acme/beta')).checks).toEqual([]);
      expect((await adminJson('/checks?limit=1')).checks.map((c: Json) => c.security_check_id)).toEqual([ids.refused]);
      for (const q of ['limit=abc', 'limit=0', 'limit=501', 'status=failed', 'before=yesterday']) {
        const res = await admin(`/checks?${q}`);
        expect(res.status).toBe(422);
        const body = await res.json();
        expect(body.code).toBe('INVALID_QUERY');
        expect(body.message).toContain(q.split('=')[0]!);
      }
    });

    test('re-run of a check in error: 202, a new generation whose tasks run again to a final verdict', async () => {
      // The cause is gone: the one injected 403 was used up by the first import.
      const importsBefore = w.dojo.state.tests.length;
      const res = await admin(`/checks/${ids.refused}/rerun`, { method: 'POST' });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ status: 'rerun', security_check_id: ids.refused, generation: 2 });
      const st = await settle(ids.refused);
      expect(st.status).toBe('success');
      const c = await adminJson(`/checks/${ids.refused}`);
      expect(c).toMatchObject({ status: 'success', generation: 2, error: null });
      expect(c.tasks.map((t: Json) => [t.kind, t.state, t.attempts]).sort()).toEqual([['notify', 'done', 1], ['output', 'done', 1], ['scan', 'done', 1]]);
      // The first generation's scan completed and covered the commit: the new one has nothing new to scan or import.
      expect(c.details.scans[0]).toMatchObject({ result: 'skipped', commits: 0 });
      expect(w.dojo.state.tests.length).toBe(importsBefore);
    });

    test('re-run of a check not in error is 409 with a message; of an unknown or malformed id 404', async () => {
      const res = await admin(`/checks/${ids.clean}/rerun`, { method: 'POST' });
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ code: 'CONFLICT', message: expect.stringContaining('this one is success') });
      for (const id of [UNKNOWN, 'not-a-check-id']) {
        for (const [path, method] of [[`/checks/${id}/rerun`, 'POST'], [`/checks/${id}`, 'GET']] as const) {
          const r = await admin(path, { method });
          expect(r.status).toBe(404);
          expect(await r.json()).toEqual({ code: 'NOT_FOUND', message: 'no such check' });
        }
      }
      expect((await adminJson(`/checks/${ids.clean}`)).generation).toBe(1);
    });

    test('a new webhook event re-runs a check in error; a redelivery of the same delivery does not', async () => {
      // GitLab refuses the fetch token: the scan is retried to its last attempt, then the check is in error.
      w.gitlab.setToken('glpat-rotated-elsewhere-000000');
      const { id, payload } = await push('acme/gamma', { 'Idempotency-Key': `gamma-${kind}-1` });
      ids.fetchFails = id;
      expect((await settle(id)).status).toBe('error');
      const failed = await adminJson(`/checks/${id}`);
      const scan = failed.tasks.find((t: Json) => t.kind === 'scan');
      expect(scan).toMatchObject({ state: 'failed', attempts: 5 });
      expect(scan.last_error).toContain('rejected the auth_token');
      expect(scan.history.map((h: Json) => [h.attempt, h.event])).toEqual([[1, 'retry'], [2, 'retry'], [3, 'retry'], [4, 'retry'], [5, 'failed']]);
      for (const h of scan.history) expect(h.message).toContain('rejected the auth_token');
      w.gitlab.setToken(GITLAB_TOKEN);

      const again = await w.deliver(HEADERS.push, payload, { 'Idempotency-Key': `gamma-${kind}-1` });
      expect(await again.json()).toMatchObject({ status: 'duplicate_delivery', tasks: 0 });
      const still = await adminJson(`/checks/${id}`);
      expect(still).toMatchObject({ status: 'error', generation: 1 });
      expect(still.tasks.map((t: Json) => t.id)).toEqual(failed.tasks.map((t: Json) => t.id));

      const fresh = await w.deliver(HEADERS.push, payload, { 'Idempotency-Key': `gamma-${kind}-2` });
      expect(await fresh.json()).toMatchObject({ status: 'rerun', security_check_id: id, tasks: 3, message: expect.stringContaining('generation 2') });
      expect((await settle(id)).status).toBe('success');
      expect(await adminJson(`/checks/${id}`)).toMatchObject({ status: 'success', generation: 2 });
    });

    test('the admin routes are in /docs/json with their bearer security scheme', async () => {
      const doc = await (await fetch(`${w.resultsUrl}/docs/json`)).json();
      expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
      const routes: [string, string][] = [['/v1/admin/checks', 'get'], ['/v1/admin/checks/{id}', 'get'], ['/v1/admin/checks/{id}/rerun', 'post']];
      for (const [path, method] of routes) {
        expect(doc.paths[path]?.[method]?.security).toEqual([{ adminToken: [] }]);
        expect(doc.paths[path][method].tags).toEqual(['admin']);
      }
      // The gate stays open: CI jobs poll it without credentials.
      expect(doc.paths['/v1/security/gitlab/check/{security_check_id}'].get.security).toBeUndefined();
    });
  });

  describe(`admin API disabled on ${kind}`, () => {
    let w: World;
    beforeAll(async () => {
      // An empty assignment counts as unset (README): no SECBOT_ADMIN_TOKEN, no admin API.
      w = await World.start({ db: kind, modes: ['intake', 'results'], env: { SECBOT_ADMIN_TOKEN: '' } });
    });
    afterAll(async () => w.stop());

    test('without SECBOT_ADMIN_TOKEN the admin routes are 404, with or without a token, and not in the docs', async () => {
      for (const auth of [`Bearer ${ADMIN_TOKEN}`, '']) {
        for (const [path, method] of [['/checks', 'GET'], [`/checks/${UNKNOWN}`, 'GET'], [`/checks/${UNKNOWN}/rerun`, 'POST']] as const) {
          const res = await fetch(`${w.resultsUrl}/v1/admin${path}`, { method, headers: auth ? { authorization: auth } : {} });
          expect(res.status).toBe(404);
          expect((await res.json()).code).toBe('NOT_FOUND');
        }
      }
      const doc = await (await fetch(`${w.resultsUrl}/docs/json`)).json();
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/v1/admin'))).toEqual([]);
      expect(doc.components?.securitySchemes).toBeUndefined();
      expect((await w.status(UNKNOWN)).status).toBe('not_started');
    });
  });
}
