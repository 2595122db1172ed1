/**
 * /docs of every app: both OpenAPI documents pass openapi-spec-validator, every `$ref` resolves into
 * components/schemas, every route an app serves is documented (and nothing else), every response has a real
 * description, a schema and an example that its schema accepts and fully documents, credentials are security
 * schemes, and the docs pages work offline, with a trailing slash, and can be switched off.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import type { z } from 'zod';
import { classify } from '../../../src/core/webhook.ts';
import type { Db } from '../../../src/db/database.ts';
import { adminListQuery } from '../../../src/http/admin-routes.ts';
import { intakeApp } from '../../../src/http/intake-app.ts';
import type { OperationDoc } from '../../../src/http/openapi/document.ts';
import { ADMIN_OPERATIONS, commonOperations, GATE_OPERATION, WEBHOOK_OPERATION } from '../../../src/http/openapi/operations.ts';
import { resultsApp } from '../../../src/http/results-app.ts';
import { baseApp } from '../../../src/http/common.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import type { AdminService } from '../../../src/services/admin-service.ts';
import type { IntakeService } from '../../../src/services/intake-service.ts';
import type { StatusService } from '../../../src/services/status-service.ts';
import { type Json, refsAndDefs, resolve, undocumented, VALIDATOR_PYTHON, validateWithOpenapiSpecValidator } from '../../helpers/openapi.ts';

const db = { ping: async () => {} } as unknown as Db;
const common = (docs = true) => ({ db, metrics: createMetrics(), logger: silentLogger, docs, title: 'SecBot test', description: 'test' });
const apps = (docs = true) => ({
  intake: intakeApp({ ...common(docs), name: 'intake', intake: {} as IntakeService, maxBodyBytes: 1024, bufferBytes: 4096 }),
  results: resultsApp({ ...common(docs), name: 'results', status: {} as StatusService, admin: { service: {} as AdminService, token: 'admin-token-0123456789' } }),
  'results without admin': resultsApp({ ...common(docs), name: 'results', status: {} as StatusService, admin: null }),
  worker: baseApp({ ...common(docs), name: 'worker' }),
});

type App = ReturnType<typeof apps>[keyof ReturnType<typeof apps>];
const get = (app: App, path: string, headers: Record<string, string> = {}) => app.handle(new Request(`http://localhost${path}`, { headers }));
const specOf = async (app: App): Promise<Json> => (await get(app, '/docs/json')).json();
const HIDDEN = new Set(['/docs', '/docs/json', '/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css']);
const openapiPath = (p: string) => p.replace(/:([^/]+)/g, '{$1}');

describe('OpenAPI documents', () => {
  for (const [name, app] of Object.entries(apps())) {
    describe(name, () => {
      test('openapi-spec-validator accepts it', async () => {
        expect(existsSync(VALIDATOR_PYTHON), 'run ./scripts/setup.sh: it installs openapi-spec-validator into .tools/venv').toBe(true);
        const r = validateWithOpenapiSpecValidator(await specOf(app));
        expect(r.out).toContain(': OK');
        expect(r.code).toBe(0);
      });

      test('no $defs; every $ref names a schema in components/schemas', async () => {
        const doc = await specOf(app);
        const { refs, defs } = refsAndDefs(doc);
        expect(defs).toBe(0);
        expect(refs.length).toBeGreaterThan(0);
        for (const ref of refs) expect(ref).toMatch(/^#\/components\/schemas\/[A-Za-z]+$/);
        for (const ref of refs) expect(doc.components.schemas[ref.split('/').pop()!]).toBeDefined();
      });

      test('documents exactly the routes the app serves', async () => {
        const doc = await specOf(app);
        const served = app.routes
          .filter((r) => !HIDDEN.has(r.path))
          .map((r) => `${r.method.toLowerCase()} ${openapiPath(r.path)}`)
          .sort();
        const documented = Object.entries(doc.paths as Json).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)).sort();
        expect(documented).toEqual(served);
      });

      test('every operation has a summary, a description, and real responses with schemas and examples', async () => {
        const doc = await specOf(app);
        for (const [path, ops] of Object.entries(doc.paths as Json)) {
          for (const [method, op] of Object.entries(ops as Json)) {
            const where = `${method.toUpperCase()} ${path}`;
            expect({ where, summary: op.summary?.length > 5, description: op.description?.length > 20 }).toEqual({ where, summary: true, description: true });
            for (const [status, res] of Object.entries(op.responses as Json)) {
              expect({ where, status, description: res.description }).not.toMatchObject({ description: expect.stringMatching(/^Response for status/) });
              expect(res.description.length).toBeGreaterThan(5);
              const [media] = Object.values(res.content as Json) as Json[];
              expect({ where, status, schema: media?.schema !== undefined, example: media?.example !== undefined }).toEqual({ where, status, schema: true, example: true });
              expect(media!.example).not.toBe('string');
              expect({ where, status, undocumented: undocumented(doc, media!.schema, media!.example) }).toEqual({ where, status, undocumented: [] });
              for (const [n, ex] of Object.entries((media!.examples ?? {}) as Json)) {
                expect({ where, status, n, undocumented: undocumented(doc, media!.schema, ex.value) }).toEqual({ where, status, n, undocumented: [] });
              }
            }
            for (const p of op.parameters ?? []) expect({ where, p: p.name, d: p.description?.length > 5, ex: p.example !== undefined }).toEqual({ where, p: p.name, d: true, ex: true });
          }
        }
      });
    });
  }
});

describe('what the documents say', () => {
  const everyOperation: OperationDoc[] = [...commonOperations('intake'), WEBHOOK_OPERATION, GATE_OPERATION, ...ADMIN_OPERATIONS];

  test('every example and named example is accepted by the zod schema the route answers with', () => {
    for (const op of everyOperation) {
      for (const [status, r] of Object.entries(op.responses)) {
        const values = [r.example, ...Object.values(r.examples ?? {}).map((e) => e.value)];
        for (const v of values) {
          const parsed = (r.schema as z.ZodType).safeParse(v);
          expect({ op: op.operationId, status, ok: parsed.success, issues: parsed.error?.issues }).toMatchObject({ op: op.operationId, status, ok: true });
        }
      }
    }
  });

  test('the webhook examples are real GitLab events SecBot turns into checks', async () => {
    const doc = await specOf(apps().intake);
    const body = doc.paths['/v1/gitlab/webhook'].post.requestBody.content['application/json'];
    expect(resolve(doc, body.schema).properties.project).toBeDefined();
    const headerOf: Record<string, string> = { push: 'Push Hook', tag_push: 'Tag Push Hook', merge_request: 'Merge Request Hook', system_push: 'System Hook' };
    expect(Object.keys(body.examples).sort()).toEqual(Object.keys(headerOf).sort());
    for (const [name, ex] of Object.entries(body.examples as Json)) {
      expect(ex.value).not.toEqual({});
      expect({ name, kind: classify(headerOf[name]!, ex.value).kind }).toEqual({ name, kind: 'event' });
    }
  });

  test('X-Gitlab-Token is an apiKey security scheme, not a header parameter; the admin API uses a bearer scheme', async () => {
    const intake = await specOf(apps().intake);
    expect(intake.components.securitySchemes.gitlabToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Gitlab-Token' });
    const webhook = intake.paths['/v1/gitlab/webhook'].post;
    expect(webhook.security).toEqual([{ gitlabToken: [] }]);
    expect(webhook.parameters.map((p: Json) => p.name.toLowerCase())).not.toContain('x-gitlab-token');
    expect(webhook.parameters.find((p: Json) => p.name === 'X-Gitlab-Event')).toMatchObject({ in: 'header', required: true });

    const results = await specOf(apps().results);
    expect(results.components.securitySchemes).toEqual({ adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
    for (const op of ADMIN_OPERATIONS) expect(results.paths[op.path][op.method].security).toEqual([{ adminToken: [] }]);
    expect(results.paths['/v1/security/gitlab/check/{security_check_id}'].get.security).toBeUndefined();
  });

  test('the admin list documents every query parameter the route reads', async () => {
    const doc = await specOf(apps().results);
    const params = doc.paths['/v1/admin/checks'].get.parameters as Json[];
    expect(params.filter((p) => p.in === 'query').map((p) => p.name).sort()).toEqual(Object.keys(adminListQuery.shape).sort());
  });

  test('the gate answer documents counts, check, findings (rule, file, line, commit), scans, outputs and notifications', async () => {
    const doc = await specOf(apps().results);
    const gate = resolve(doc, doc.components.schemas.CheckStatus);
    for (const k of ['status', 'security_check_id', 'reason', 'stale', 'counts', 'check', 'findings', 'unscanned', 'scans', 'outputs', 'notifications']) {
      expect({ k, documented: k in gate.properties }).toEqual({ k, documented: true });
    }
    for (const k of ['rule', 'file', 'line', 'commit', 'open', 'inherited']) expect(gate.properties.findings.items.properties).toHaveProperty(k);
    const res = doc.paths['/v1/security/gitlab/check/{security_check_id}'].get.responses['200'].content['application/json'];
    expect(Object.keys(res.examples).sort()).toEqual(['error', 'fail', 'in_progress', 'not_started', 'success']);
    expect(res.example.findings.length).toBeGreaterThan(0);
  });
});

describe('docs pages', () => {
  test('/docs is Swagger UI loading its assets and spec from this server, relative to /docs', async () => {
    const app = apps().intake;
    const res = await get(app, '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toStartWith('text/html');
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('"url":"docs/json"');
    expect(html).toContain('"validatorUrl":null');
    for (const asset of html.match(/docs\/assets\/[a-z.-]+/g)!) {
      const a = await get(app, `/${asset}`);
      expect({ asset, status: a.status }).toEqual({ asset, status: 200 });
      expect((await a.text()).length).toBeGreaterThan(10_000);
    }
  });

  test('/docs/ redirects to /docs with a relative Location (works behind a path prefix)', async () => {
    const res = await get(apps().results, '/docs/');
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!, 'http://h/prefix/docs/').pathname).toBe('/prefix/docs');
  });

  test('GET / redirects browsers to the docs and answers an index otherwise', async () => {
    const app = apps().results;
    const browser = await get(app, '/', { accept: 'text/html,application/xhtml+xml' });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('docs');
    const index = await get(app, '/');
    expect(index.status).toBe(200);
    expect(await index.json()).toMatchObject({ service: 'secbot', role: 'results', docs: '/docs', endpoints: expect.arrayContaining(['GET /v1/security/gitlab/check/{security_check_id}', 'GET /ping']) });
  });

  test('GET /ping answers 200 {"ping":"pong"} on every app', async () => {
    for (const app of Object.values(apps())) {
      const res = await get(app, '/ping');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ping: 'pong' });
    }
  });

  test('SECBOT_DOCS_ENABLE=false: no /docs, /docs/json or assets; the index says so and does not redirect', async () => {
    for (const app of Object.values(apps(false))) {
      for (const path of ['/docs', '/docs/', '/docs/json', '/docs/assets/swagger-ui.css']) expect({ path, status: (await get(app, path)).status }).toEqual({ path, status: 404 });
      const index = await get(app, '/', { accept: 'text/html' });
      expect(index.status).toBe(200);
      expect((await index.json()).docs).toBeNull();
      expect((await get(app, '/ping')).status).toBe(200);
    }
  });
});
