/**
 * The results read token (issue 13 item 6) and the check page, on the results role: without the token (when one is
 * configured) the gate answer and the page carry status, reason and counts only — no file names, titles, links, task
 * errors or channel names; `Authorization: Bearer` (or the page's cookie) gets the details. The page escapes
 * everything from the repository and sets a strict CSP. Without a configured token the seed's answer stays public.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DB_KINDS } from '../helpers/db.ts';
import { HEADERS, pushPayload, ZERO } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { World } from '../helpers/world.ts';

const TOKEN = 'results-read-token-0123456789';
const HOSTILE = `conf/<img src=x onerror=alert(1)>"'&.env`;

// biome-ignore lint: the status body is free-form JSON
type Json = any;

for (const kind of DB_KINDS) {
  describe(`results read token on ${kind}`, () => {
    let w: World;
    let failId = '';
    let errorId = '';
    let secret = '';
    beforeAll(async () => {
      w = await World.start({ db: kind, env: { SECBOT_RESULTS_TOKEN: TOKEN, SECBOT_PUBLIC_URL: 'https://secbot.example' } });
      const repo = w.repo('acme/token');
      secret = fakeAwsKey();
      const leak = repo.commit({ files: { [HOSTILE]: `AWS_ACCESS_KEY_ID=${secret}\n` }, message: 'leak' });
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/token', before: ZERO, after: leak }));
      failId = w.checkId('acme/token', leak);
      await w.until(async () => (await bearer(failId)).status === 'fail', 30_000, 'fail');
      w.dojo.failNext(1, { status: 401, body: { detail: 'Invalid token.' } });
      const other = w.repo('acme/token-error');
      const c = other.commit({ files: { 'k.env': `K=${fakeAwsKey()}\n` }, message: 'leak' });
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/token-error', before: ZERO, after: c }));
      errorId = w.checkId('acme/token-error', c);
      await w.until(async () => (await bearer(errorId)).status === 'error', 30_000, 'error');
    }, 90_000);
    afterAll(async () => w.stop());

    const gate = async (id: string, headers: Record<string, string> = {}): Promise<Json> =>
      (await fetch(`${w.resultsUrl}/v1/security/gitlab/check/${id}`, { headers })).json();
    const bearer = (id: string) => gate(id, { authorization: `Bearer ${TOKEN}` });

    test('without the token: status, reason and counts only; with it: the details', async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }] as Record<string, string>[]) {
        const limited = await gate(failId, headers);
        expect(Object.keys(limited).sort()).toEqual(['counts', 'reason', 'security_check_id', 'stale', 'status']);
        expect(limited).toMatchObject({ status: 'fail', counts: { open: 1, findings: 1 } });
        expect(JSON.stringify(limited)).not.toMatch(/conf\/|onerror|http|slack|defectdojo/i);
      }
      const full = await bearer(failId);
      expect(full.findings[0]).toMatchObject({ file: HOSTILE, url: expect.stringMatching(/^http/) });
    });

    test('an error verdict names the failed task, not its error', async () => {
      const limited = await gate(errorId);
      expect(limited.status).toBe('error');
      expect(limited.reason).toBe('task output:gitleaks:defectdojo failed (the error is shown with the results token)');
      expect((await bearer(errorId)).reason).toContain('DefectDojo');
    });

    test('the check page: limited without the token, an unlock form, details with the cookie or Bearer; strict CSP', async () => {
      const page = await fetch(`${w.resultsUrl}/checks/${failId}`);
      expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; img-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'$/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      const limited = await page.text();
      expect(limited).toContain('data-status="fail"');
      expect(limited).toContain('id="unlock"');
      expect(limited).not.toMatch(/conf\/|onerror|href=/);
      const wrong = await fetch(`${w.resultsUrl}/checks/${failId}/unlock`, { method: 'POST', body: new URLSearchParams({ token: 'nope' }), redirect: 'manual' });
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).toContain('id="unlock-failed"');
      const ok = await fetch(`${w.resultsUrl}/checks/${failId}/unlock`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), redirect: 'manual' });
      expect(ok.status).toBe(303);
      const cookie = ok.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^secbot_results=[A-Za-z0-9_-]+; Path=\/checks; HttpOnly; SameSite=Strict/);
      expect(cookie).not.toContain(TOKEN);
      for (const headers of [{ cookie: cookie.split(';')[0]! }, { authorization: `Bearer ${TOKEN}` }] as Record<string, string>[]) {
        const html = await (await fetch(`${w.resultsUrl}/checks/${failId}`, { headers })).text();
        expect(html).toContain('conf/&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;.env:1');
        expect(html).not.toContain('<img');
        expect(html).not.toContain('<script');
        expect(html).not.toContain(secret);
        expect(html).toMatch(/<table id="findings">.*class="finding"/s);
        expect(html).toContain('id="timeline"');
        expect(html).toContain(`href="${w.gitlab.url}/acme/token/-/commit/`);
      }
    });

    test('unknown ids render "not started"; malformed ids are 404 pages', async () => {
      const unknown = await fetch(`${w.resultsUrl}/checks/${w.checkId('acme/none', 'f'.repeat(40))}`);
      expect(unknown.status).toBe(200);
      expect(await unknown.text()).toContain('id="not-started"');
      const bad = await fetch(`${w.resultsUrl}/checks/%3Cscript%3E`);
      expect(bad.status).toBe(404);
      expect(await bad.text()).not.toContain('<script>');
    });
  });
}

describe('without SECBOT_RESULTS_TOKEN', () => {
  test('the gate answer keeps its details for everyone (existing pipelines)', async () => {
    const w = await World.start({ db: 'sqlite' });
    try {
      const repo = w.repo('acme/open');
      const c = repo.commit({ files: { 'k.env': `K=${fakeAwsKey()}\n` }, message: 'leak' });
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/open', before: ZERO, after: c }));
      const st = await w.waitFinal(w.checkId('acme/open', c));
      expect(st.findings[0].file).toBe('k.env');
      expect(st.notifications).toBeDefined();
      const html = await (await fetch(`${w.resultsUrl}/checks/${st.security_check_id}`)).text();
      expect(html).toContain('k.env:1');
      expect(html).not.toContain('id="unlock"');
    } finally {
      await w.stop();
    }
  }, 60_000);
});
