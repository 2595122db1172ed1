/**
 * The API documents against real answers: a whole flow on SQLite and Postgres (a clean push, a leak, triage, an
 * ignored event), and every answer SecBot gave — webhook, gate, admin list and detail — must be fully described by
 * the schema /docs shows for it, field by field. Also `secbot all`'s two /metrics never expose the same series.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DB_KINDS } from '../helpers/db.ts';
import { type Json, undocumented } from '../helpers/openapi.ts';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { ADMIN_TOKEN, World } from '../helpers/world.ts';

for (const kind of DB_KINDS) {
  describe(`API documents vs real answers on ${kind}`, () => {
    let w: World;
    let intakeDoc: Json;
    let resultsDoc: Json;
    const answers: { doc: () => Json; path: string; method: string; status: number; body: Json }[] = [];
    const schemaOf = (doc: Json, path: string, method: string, status: number) => doc.paths[path][method].responses[String(status)].content['application/json'].schema;

    beforeAll(async () => {
      w = await World.start({ db: kind });
      intakeDoc = await (await fetch(`${w.intakeUrl}/docs/json`)).json();
      resultsDoc = await (await fetch(`${w.resultsUrl}/docs/json`)).json();
    });
    afterAll(async () => w.stop());

    const deliver = async (event: string, payload: Json) => {
      const res = await w.deliver(event, payload);
      answers.push({ doc: () => intakeDoc, path: '/v1/gitlab/webhook', method: 'post', status: res.status, body: (await res.clone().json()) as Json });
      return res;
    };
    const gate = async (id: string) => {
      const res = await fetch(`${w.resultsUrl}/v1/security/gitlab/check/${id}`);
      const body = await res.json();
      answers.push({ doc: () => resultsDoc, path: '/v1/security/gitlab/check/{security_check_id}', method: 'get', status: res.status, body });
      return body;
    };
    const admin = async (path: string, docPath: string) => {
      const res = await fetch(`${w.resultsUrl}/v1/admin${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      answers.push({ doc: () => resultsDoc, path: docPath, method: 'get', status: res.status, body: await res.json() });
    };

    test('a clean push, a leak, triage and an ignored event', async () => {
      const repo = w.repo('acme/docs');
      const base = repo.commit({ files: { 'README.md': 'docs\n' }, message: 'init' });
      const clean = repo.commit({ files: { 'a.txt': 'nothing\n' }, message: 'clean' });
      expect((await deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/docs', before: base, after: clean }))).status).toBe(200);
      await deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/docs', before: base, after: clean }));
      await deliver('Pipeline Hook', { object_kind: 'pipeline' });
      const leak = repo.commit({ files: { '.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'oops' });
      await deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/docs', before: clean, after: leak }));

      const cleanId = w.checkId('acme/docs', clean);
      const leakId = w.checkId('acme/docs', leak);
      await gate(w.checkId('acme/docs', 'e'.repeat(40)));
      await gate(leakId);
      expect((await w.waitFinal(cleanId)).status).toBe('success');
      const failed = await w.expectFinal(leakId, 'fail', 60_000);
      await w.until(async () => (await gate(leakId)).notifications?.[0]?.state === 'done', 20_000, 'notification done');
      w.dojo.triage(Number(failed.findings[0].url.split('/').pop()), { false_p: true, active: false });
      expect((await gate(leakId)).status).toBe('success');
      await gate(cleanId);
      await admin('/checks', '/v1/admin/checks');
      await admin(`/checks/${leakId}`, '/v1/admin/checks/{id}');
      expect(answers.map((a) => a.status).every((s) => s === 200)).toBe(true);
    });

    test('every field of every answer is documented in its response schema', () => {
      expect(answers.length).toBeGreaterThan(8);
      for (const a of answers) {
        const missing = undocumented(a.doc(), schemaOf(a.doc(), a.path, a.method, a.status), a.body);
        expect({ path: a.path, status: a.status, missing }).toEqual({ path: a.path, status: a.status, missing: [] });
      }
    });

    test('in one process, the intake and results ports never expose the same metric series', async () => {
      const series = async (url: string) =>
        new Set((await (await fetch(`${url}/metrics`)).text()).split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' '))));
      const intake = await series(w.intakeUrl);
      const results = await series(w.resultsUrl);
      expect([...intake].filter((s) => results.has(s))).toEqual([]);
      // Each still shows its own role: webhooks and the worker on intake (the first port), the gate on results.
      expect([...intake].some((s) => s.startsWith('secbot_webhook_events_total{event="push",outcome="accepted"}'))).toBe(true);
      expect([...intake].some((s) => s.startsWith('secbot_checks_finished_total'))).toBe(true);
      expect([...results].some((s) => s.startsWith('secbot_gate_verdicts_total{status="fail"}'))).toBe(true);
      expect([...results].some((s) => s.includes('app="intake"'))).toBe(false);
      expect([...intake].some((s) => s.includes('app="results"'))).toBe(false);
    });
  });
}
