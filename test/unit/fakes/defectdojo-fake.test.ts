import { afterEach, describe, expect, test } from 'bun:test';
import { startFakeDefectDojo, type FakeDefectDojo, type FakeDefectDojoOptions } from '../../fakes/defectdojo/server.ts';
import { parseGitleaksReport, ReportCrashError, ReportFormatError } from '../../fakes/defectdojo/gitleaks-parser.ts';
import { computeHashCode } from '../../fakes/defectdojo/hash-code.ts';
import { titlecase } from '../../fakes/defectdojo/titlecase.ts';

const SAMPLES = `${import.meta.dir}/../../fixtures/defectdojo/`;
const PRO = ['Pro comes with support. Try today for free or email us at hello@defectdojo.com'];

// biome-ignore lint/suspicious/noExplicitAny: the fake's answers are free-form JSON
type Json = Record<string, any>;
interface ExpectedFinding {
  title_from_parser: string;
  title_as_stored_and_returned_by_api: string;
  severity: string;
  line: number | null;
  nb_occurences: number | null;
  parser_tags: string[];
  hash_code_without_service: string;
  description: string;
  file_path: string;
}

const expected = (await Bun.file(`${SAMPLES}expected_findings.json`).json()) as { files: Record<string, ExpectedFinding[]> };
const expectedCounts = (await Bun.file(`${SAMPLES}expected_counts.json`).json()) as { files: Record<string, { expected_findings: number }> };

let fakes: FakeDefectDojo[] = [];
/**
 * These cases pin the fake's model of DefectDojo ≥ 3.1 (execution modes, deduplication_complete) with the Celery
 * stand-in switched off; 2.50.4 (the fake's default) is pinned against the real server in test/contract/.
 */
function start(opts: FakeDefectDojoOptions = {}): FakeDefectDojo {
  const fake = startFakeDefectDojo({ legacy: false, asyncDeduplicationDelayMs: null, ...opts });
  fakes.push(fake);
  return fake;
}
afterEach(async () => {
  for (const fake of fakes) {
    expect(fake.state.unexpected).toEqual([]);
    await fake.stop();
  }
  fakes = [];
});

function call(fake: FakeDefectDojo, path: string, init: RequestInit = {}, token: string | null = fake.token): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('Authorization', `Token ${token}`);
  return fetch(`${fake.url}${path}`, { ...init, headers, redirect: 'manual' });
}

async function getJson(fake: FakeDefectDojo, path: string): Promise<Json> {
  const res = await call(fake, path);
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

function postJson(fake: FakeDefectDojo, path: string, body: unknown): Promise<Response> {
  return call(fake, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const CONTEXT = { product_type_name: 'SecBot', product_name: 'acme/webapp', engagement_name: 'main', auto_create_context: 'true' };

function scanForm(fields: Record<string, string | string[]>, report?: { text: string; name?: string }): FormData {
  const form = new FormData();
  form.append('scan_type', 'Gitleaks Scan');
  for (const [k, v] of Object.entries(fields)) {
    form.delete(k);
    for (const one of [v].flat()) form.append(k, one);
  }
  if (report) form.append('file', new File([report.text], report.name ?? 'gitleaks.json', { type: 'application/json' }));
  return form;
}

// biome-ignore lint/suspicious/noExplicitAny: the fake's answers are free-form JSON
async function scan(fake: FakeDefectDojo, kind: 'import-scan' | 'reimport-scan', fields: Record<string, string | string[]>, report?: { text: string; name?: string }): Promise<{ status: number; body: any }> {
  const res = await call(fake, `/api/v2/${kind}/`, { method: 'POST', body: scanForm(fields, report) });
  return { status: res.status, body: await res.json() };
}

const sample = (name: string) => Bun.file(SAMPLES + name).text();

/** A v8 report with n distinct secrets (no merging). */
function manyLeaks(n: number, offset = 0): string {
  return JSON.stringify(Array.from({ length: n }, (_, i) => ({
    Description: 'Generic API Key', StartLine: i + 1 + offset, Secret: `secret-${i + offset}`, Match: `key=secret-${i + offset}`,
    File: `src/file${i + offset}.ts`, Commit: '', Date: '', Message: '', Tags: [], RuleID: 'generic-api-key',
  })));
}

describe('parser and hash_code against the contract samples', () => {
  for (const file of ['gitleaks8_many.json', 'version_7.5.0.json', 'no_findings.json']) {
    test(file, async () => {
      const parsed = parseGitleaksReport(new Uint8Array(await Bun.file(SAMPLES + file).arrayBuffer()));
      const want = expected.files[file]!;
      expect(parsed.length).toBe(expectedCounts.files[file]!.expected_findings);
      parsed.forEach((p, i) => {
        const w = want[i]!;
        expect(p.title).toBe(w.title_from_parser);
        expect(titlecase(p.title)).toBe(w.title_as_stored_and_returned_by_api);
        expect(p.description).toBe(w.description);
        expect([p.severity, p.line, p.nb_occurences, p.file_path]).toEqual([w.severity, w.line, w.nb_occurences, w.file_path]);
        expect(p.tags).toEqual(w.parser_tags);
        expect(computeHashCode(p)).toBe(w.hash_code_without_service);
      });
    });
  }

  test('error classes and edge inputs', () => {
    const parse = (text: string) => parseGitleaksReport(new TextEncoder().encode(text));
    expect(parse('[]')).toEqual([]);
    expect(() => parse('')).toThrow(new ReportFormatError('Expecting value: line 1 column 1 (char 0)'));
    expect(() => parse('[{"Description":""}]')).toThrow(new ReportFormatError('Format is not recognized for Gitleaks'));
    expect(() => parse('{"a":1}')).toThrow(ReportCrashError);
    expect(() => parse('[{"Description":"AWS","File":"a","Secret":null,"RuleID":"x"}]')).toThrow(ReportCrashError);
    expect(() => parse('[{"rule":"AWS","file":"a"}]')).toThrow(ReportCrashError);
    const noLine = parse('[{"Description":"AWS","File":"a","Secret":"s"}]');
    expect(noLine[0]!.line).toBe(0);
    expect(noLine[0]!.description).toBe('**Secret:** s');
  });

  test('service is appended and case folding applies', () => {
    const base = { title: 'T', cwe: 798, line: 1, file_path: 'f', description: 'STRASSE' };
    expect(computeHashCode(base)).toBe(computeHashCode({ ...base, description: 'straße' }));
    expect(computeHashCode({ ...base, service: 'api' })).not.toBe(computeHashCode(base));
  });
});

describe('authentication', () => {
  test('403 bodies, no challenge header, never logs the Authorization header', async () => {
    const fake = start({ inactiveTokens: ['dead'], readOnlyTokens: ['ro'] });
    const cases: [string | null, string][] = [
      [null, 'Authentication credentials were not provided.'],
      ['Bearer x', 'Authentication credentials were not provided.'],
      ['Token wrong', 'Invalid token.'],
      ['Token', 'Invalid token header. No credentials provided.'],
      ['Token a b', 'Invalid token header. Token string should not contain spaces.'],
      ['Token dead', 'User inactive or deleted.'],
    ];
    for (const [header, text] of cases) {
      const res = await fetch(`${fake.url}/api/v2/findings/`, { headers: header === null ? {} : { Authorization: header } });
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(await res.json()).toEqual({ detail: text });
    }
    expect((await call(fake, '/api/v2/products/', {}, 'ro')).status).toBe(200);
    const denied = await call(fake, '/api/v2/product_types/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' }, 'ro');
    expect([denied.status, await denied.json()]).toEqual([403, { detail: 'You do not have permission to perform this action.' }]);
    expect((await call(fake, '/api/v2/findings/', { headers: { Authorization: `token ${fake.token}` } }, null)).status).toBe(200);
    expect(fake.requests.every((r) => !('authorization' in r.headers))).toBe(true);
  });

  test('api-token-auth returns the token for the right credentials', async () => {
    const fake = start({ username: 'bot', password: 'pw' });
    const ok = await postJson(fake, '/api/v2/api-token-auth/', { username: 'bot', password: 'pw' });
    expect(await ok.json()).toEqual({ token: fake.token });
    const bad = await postJson(fake, '/api/v2/api-token-auth/', { username: 'bot', password: 'no' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).non_field_errors).toEqual(['Unable to log in with provided credentials.']);
  });
});

describe('transport', () => {
  test('trailing slash: GET redirects, POST gets the middleware message, before auth', async () => {
    const fake = start();
    const get = await call(fake, '/api/v2/findings?limit=1', {}, null);
    expect(get.status).toBe(301);
    expect(get.headers.get('location')).toBe('/api/v2/findings/?limit=1');
    const post = await call(fake, '/api/v2/import-scan', { method: 'POST', body: scanForm({}) });
    expect([post.status, await post.json()]).toEqual([400, { message: 'Please add a trailing slash to your request.' }]);
  });

  test('unknown routes and methods are 404 and recorded as unexpected', async () => {
    const fake = start();
    const res = await call(fake, '/api/v2/nope/');
    expect([res.status, await res.json()]).toEqual([404, { detail: 'Not found.' }]);
    expect((await call(fake, '/api/v2/findings/', { method: 'DELETE' })).status).toBe(404);
    expect(fake.state.unexpected.map((u) => u.path)).toEqual(['/api/v2/nope/', '/api/v2/findings/']);
    fake.state.unexpected.length = 0;
  });

  test('import-scan accepts multipart only: 415 with the exact body', async () => {
    const fake = start();
    const res = await postJson(fake, '/api/v2/import-scan/', { scan_type: 'Gitleaks Scan' });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ detail: 'Unsupported media type "application/json" in request.' });
    const re = await call(fake, '/api/v2/reimport-scan/', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(await re.json()).toEqual({ detail: 'Unsupported media type "text/plain" in request.' });
    expect(fake.state.tests).toEqual([]);
  });

  test('a path prefix is honoured in routes and in next links', async () => {
    const fake = start({ pathPrefix: '/defectdojo' });
    expect(fake.url.endsWith('/defectdojo')).toBe(true);
    expect((await scan(fake, 'import-scan', CONTEXT, { text: manyLeaks(2) })).status).toBe(201);
    const page = await getJson(fake, '/api/v2/findings/?limit=1');
    expect(page.next).toBe(`${fake.url}/api/v2/findings/?limit=1&offset=1`);
  });
});

describe('import-scan', () => {
  for (const file of ['gitleaks8_many.json', 'version_7.5.0.json', 'no_findings.json']) {
    test(`imports ${file} with the expected findings`, async () => {
      const fake = start();
      const { status, body } = await scan(fake, 'import-scan', { ...CONTEXT, deduplication_execution_mode: 'sync' }, { text: await sample(file) });
      expect(status).toBe(201);
      const want = expected.files[file]!;
      expect(body.statistics.after.total.total).toBe(expectedCounts.files[file]!.expected_findings);
      expect(body.test).toBe(body.test_id);
      const page = await getJson(fake, `/api/v2/findings/?test=${body.test_id}`);
      expect(page.count).toBe(want.length);
      expect(page.results.map((f: Json) => f.title)).toEqual(want.map((w) => w.title_as_stored_and_returned_by_api));
      expect(page.results.map((f: Json) => f.hash_code)).toEqual(want.map((w) => w.hash_code_without_service));
      expect(page.results.map((f: Json) => f.severity)).toEqual(want.map((w) => w.severity));
      expect(page.results.map((f: Json) => f.tags)).toEqual(want.map((w) => w.parser_tags.map((t) => t.toLowerCase())));
      expect(page.prefetch).toEqual({});
    });
  }

  test('echoes validated fields, defaults and ids like the contract example', async () => {
    const fake = start();
    const fields = { ...CONTEXT, commit_hash: 'abc', branch_tag: 'main', tags: 'commit:ABC', active: 'true', verified: 'false', deduplication_execution_mode: 'sync' };
    const { body } = await scan(fake, 'import-scan', fields, { text: await sample('gitleaks8_many.json') });
    expect(body).toMatchObject({
      minimum_severity: 'Info', active: true, verified: false, endpoint_to_add: null, lead: null, push_to_jira: false,
      auto_create_context: true, deduplication_on_engagement: false, create_finding_groups_for_all_findings: true,
      apply_tags_to_findings: false, close_old_findings: false, close_old_findings_product_scope: false,
      scan_type: 'Gitleaks Scan', tags: ['commit:ABC'], deduplication_complete: true,
      product_type_id: fake.state.productTypes[0]!.id, product_id: fake.state.products[0]!.id, engagement_id: fake.state.engagements[0]!.id,
    });
    expect(body.statistics.after.high).toEqual({ active: 3, verified: 0, duplicate: 0, false_p: 0, out_of_scope: 0, is_mitigated: 0, risk_accepted: 0, total: 3 });
    expect('scan_date' in body || 'engagement' in body || 'service' in body).toBe(false);
    const t = await getJson(fake, `/api/v2/tests/${body.test_id}/`);
    expect(t).toMatchObject({ tags: ['commit:abc'], commit_hash: 'abc', branch_tag: 'main', version: '', percent_complete: 100, scan_type: 'Gitleaks Scan', deduplication_algorithm: 'hash_code', hash_code_fields: null, prefetch: {} });
    const eng = await getJson(fake, `/api/v2/engagements/${body.engagement_id}/`);
    expect(eng).toMatchObject({ name: 'main', engagement_type: 'CI/CD', status: 'In Progress', lead: 1 });
    expect('prefetch' in eng).toBe(false);
    expect((await getJson(fake, `/api/v2/products/${body.product_id}/`)).description).toBe('acme/webapp');
  });

  test('omitted active keeps the parser value but is echoed false; verified defaults false', async () => {
    const fake = start();
    const { body } = await scan(fake, 'import-scan', CONTEXT, { text: manyLeaks(1) });
    expect([body.active, body.verified]).toEqual([false, false]);
    expect('deduplication_complete' in body && body.deduplication_complete).toBe(false);
    expect(fake.state.findings[0]).toMatchObject({ active: true, verified: false });
  });

  test('permission pre-check list errors come before field errors', async () => {
    const fake = start();
    const bad = { scan_type: 'Gitleaks', scan_date: '2999-01-01' };
    const cases: [Record<string, string>, string][] = [
      [{ ...bad }, 'product_name parameter missing'],
      [{ ...bad, product_name: 'p' }, 'engagement_name parameter missing'],
      [{ ...bad, product_name: 'p', engagement_name: 'e', product_type_name: 'T' }, 'Product Type "T" does not exist'],
      [{ ...bad, product_name: 'p', engagement_name: 'e' }, 'Product "p" does not exist'],
      [{ ...bad, product_name: 'p', engagement_name: 'e', auto_create_context: 'true' }, 'Product "p" does not exist and no product_type_name provided to create the new product in'],
      [{ ...bad, engagement: '999' }, 'Engagement "999" does not exist'],
      [{ ...bad, engagement: 'x' }, 'engagement must be an integer'],
    ];
    for (const [fields, message] of cases) {
      const res = await call(fake, '/api/v2/import-scan/', { method: 'POST', body: scanForm(fields) });
      expect([res.status, await res.json()]).toEqual([400, [message]]);
    }
  });

  test('product under another type and inconsistent identifiers', async () => {
    const fake = start();
    const first = await scan(fake, 'import-scan', CONTEXT, { text: manyLeaks(1) });
    const conflict = await scan(fake, 'import-scan', { ...CONTEXT, product_type_name: 'Other' }, { text: manyLeaks(1) });
    expect(conflict.body).toEqual(['The fetched product has a conflict with the supplied product type name: existing product type name - SecBot vs supplied product type name - Other']);
    const wrongName = await scan(fake, 'import-scan', { engagement: String(first.body.engagement_id), engagement_name: 'dev' }, { text: manyLeaks(1) });
    expect(wrongName.body).toEqual(['The provided identifiers are inconsistent — the engagement name does not match the specified engagement.']);
    const noEng = await scan(fake, 'import-scan', { product_name: 'acme/webapp', engagement_name: 'dev' }, { text: manyLeaks(1) });
    expect(noEng.body).toEqual(['Engagement "dev" does not exist in Product "acme/webapp"']);
  });

  test('field errors are decorated with message and pro', async () => {
    const fake = start();
    const { status, body } = await scan(fake, 'import-scan', { ...CONTEXT, scan_type: 'Gitleaks' }, { text: '[]' });
    expect(status).toBe(400);
    expect(body).toEqual({
      scan_type: ['"Gitleaks" is not a valid choice.'],
      message: `{'scan_type': [ErrorDetail(string='"Gitleaks" is not a valid choice.', code='invalid_choice')]}`,
      pro: PRO,
    });
    const many = await scan(fake, 'import-scan', { ...CONTEXT, scan_date: '2999-01-01', tags: 'a b', active: 'maybe' }, { text: '[]', name: 'report' });
    expect(many.body.file).toEqual(['File extension “” is not allowed. Allowed extensions are: xml, csv, nessus, json, jsonl, html, js, zip, xlsx, txt, sarif, fpr, md, log, fvdl.']);
    expect(many.body.scan_date).toEqual(['The scan_date cannot be in the future!']);
    expect(many.body.tags).toEqual(["Invalid tag: 'a b'. Tags should not contain spaces, commas, or quotes."]);
    expect(many.body.active).toEqual(['Must be a valid boolean.']);
    const noFile = await scan(fake, 'import-scan', CONTEXT);
    expect(noFile.body.non_field_errors).toEqual(['Uploading a Report File is required for Gitleaks Scan']);
    expect(fake.state.tests).toEqual([]);
  });

  test('parser errors: 400 shape 4 or 500, and the empty test stays behind', async () => {
    const fake = start();
    const format = await scan(fake, 'import-scan', CONTEXT, { text: '[{"foo":1}]' });
    expect([format.status, format.body]).toEqual([400, { message: "['Format is not recognized for Gitleaks']", pro: PRO }]);
    const empty = await scan(fake, 'import-scan', CONTEXT, { text: '' });
    expect(empty.body.message).toBe("['Expecting value: line 1 column 1 (char 0)']");
    const crash = await scan(fake, 'import-scan', CONTEXT, { text: '{"not":"a list"}' });
    expect([crash.status, crash.body]).toEqual([500, { message: 'Internal server error, check logs for details', pro: PRO }]);
    expect(fake.state.tests.map((t) => t.percent_complete)).toEqual([50, 50, 50]);
    expect(fake.state.findings).toEqual([]);
  });

  test('minimum_severity, service in the hash, apply_tags_to_findings', async () => {
    const fake = start();
    const { body } = await scan(fake, 'import-scan', { ...CONTEXT, minimum_severity: 'Critical', service: 'api', tags: ['a,b', 'c'], apply_tags_to_findings: 'true' }, { text: await sample('version_7.5.0.json') });
    const findings = fake.findingsOfTest(body.test_id);
    expect(findings.map((f) => f.severity)).toEqual(['Critical', 'Critical', 'Critical']);
    expect(findings[0]!.hash_code).not.toBe(expected.files['version_7.5.0.json']![0]!.hash_code_without_service);
    expect(findings[0]!.tags).toEqual(['key', 'aws', 'a', 'b', 'c']);
    expect(body.tags).toEqual(['a', 'b', 'c']);
  });

  test('close_old_findings on import mitigates missing findings of the same engagement', async () => {
    const fake = start();
    await scan(fake, 'import-scan', CONTEXT, { text: manyLeaks(3) });
    const second = await scan(fake, 'import-scan', { ...CONTEXT, close_old_findings: 'true' }, { text: manyLeaks(2) });
    const old = fake.state.findings.filter((f) => f.test !== second.body.test_id);
    expect(old.map((f) => f.is_mitigated)).toEqual([false, false, true]);
    expect(old[2]).toMatchObject({ active: false, mitigated_by: 1 });
  });
});

describe('lists and filters', () => {
  test('pagination across more than 25 findings with sorted absolute next/previous', async () => {
    const fake = start();
    const { body } = await scan(fake, 'import-scan', CONTEXT, { text: manyLeaks(30) });
    const first = await getJson(fake, `/api/v2/findings/?test=${body.test_id}&active=true`);
    expect([first.count, first.results.length, first.previous]).toEqual([30, 25, null]);
    expect(first.next).toBe(`${fake.url}/api/v2/findings/?active=true&limit=25&offset=25&test=${body.test_id}`);
    const second = (await (await call(fake, first.next.slice(fake.url.length))).json()) as Json;
    expect([second.results.length, second.next]).toEqual([5, null]);
    expect(second.previous).toBe(`${fake.url}/api/v2/findings/?active=true&limit=25&test=${body.test_id}`);
    expect(second.results[0].id).toBe(first.results[24].id + 1);
    expect((await getJson(fake, '/api/v2/findings/?limit=0')).results.length).toBe(25);
    expect((await getJson(fake, '/api/v2/findings/?limit=1000')).results.length).toBe(30);
    const mid = await getJson(fake, '/api/v2/findings/?limit=10&offset=20');
    expect(mid.previous).toBe(`${fake.url}/api/v2/findings/?limit=10&offset=10`);
  });

  test('boolean trap: 1/0/yes are ignored, true/false filter', async () => {
    const fake = start();
    const { body } = await scan(fake, 'import-scan', CONTEXT, { text: manyLeaks(3) });
    fake.triage(fake.findingsOfTest(body.test_id)[0]!.id, { false_p: true, active: false });
    for (const v of ['1', '0', 'yes', 'on']) expect((await getJson(fake, `/api/v2/findings/?active=${v}`)).count).toBe(3);
    expect((await getJson(fake, '/api/v2/findings/?active=true')).count).toBe(2);
    expect((await getJson(fake, '/api/v2/findings/?active=False&false_p=True')).count).toBe(1);
  });

  test('unknown test id is a decorated 400; other filters', async () => {
    const fake = start();
    const res = await call(fake, '/api/v2/findings/?test=424242');
    expect(res.status).toBe(400);
    const body = (await res.json()) as Json;
    expect(body.test).toEqual(['Select a valid choice. That choice is not one of the available choices.']);
    expect(body.pro).toEqual(PRO);
    const imp = await scan(fake, 'import-scan', { ...CONTEXT, tags: 'commit:abc' }, { text: await sample('gitleaks8_many.json') });
    const ids = fake.findingsOfTest(imp.body.test_id).map((f) => f.id);
    expect((await getJson(fake, '/api/v2/findings/?hash_code=1BDFC04D')).count).toBe(1);
    expect((await getJson(fake, `/api/v2/findings/?id=${ids[0]},${ids[2]}`)).count).toBe(2);
    expect((await getJson(fake, '/api/v2/findings/?test__tags=other,COMMIT:ABC')).count).toBe(3);
    expect((await getJson(fake, '/api/v2/findings/?test__tags=other')).count).toBe(0);
    expect((await getJson(fake, `/api/v2/findings/?test__engagement__product=${imp.body.product_id}`)).count).toBe(3);
    expect((await getJson(fake, '/api/v2/findings/?o=-id')).results.map((f: Json) => f.id)).toEqual([...ids].reverse());
    const rel = await getJson(fake, `/api/v2/findings/${ids[0]}/?related_fields=true`);
    expect(rel.related_fields.test.engagement.product.prod_type.name).toBe('SecBot');
    expect(rel.prefetch).toEqual({});
    expect((await getJson(fake, `/api/v2/findings/${ids[0]}/`)).related_fields).toBeNull();
    const missing = await call(fake, '/api/v2/findings/1/');
    expect([missing.status, await missing.json()]).toEqual([404, { detail: 'No Finding matches the given query.' }]);
    const pre = await getJson(fake, '/api/v2/findings/?prefetch=test');
    expect(Object.keys(pre.prefetch.test)).toEqual([String(imp.body.test_id)]);
  });

  test('tests endpoint: filters and 404 shapes', async () => {
    const fake = start();
    const a = await scan(fake, 'import-scan', { ...CONTEXT, commit_hash: 'aaa', tags: 'Commit:AAA' }, { text: manyLeaks(1) });
    await scan(fake, 'import-scan', { ...CONTEXT, commit_hash: 'bbb', tags: 'commit:bbb' }, { text: manyLeaks(1) });
    expect((await getJson(fake, `/api/v2/tests/?engagement=${a.body.engagement_id}&scan_type=Gitleaks%20Scan`)).count).toBe(2);
    expect((await getJson(fake, '/api/v2/tests/?commit_hash=aaa')).results.map((t: Json) => t.id)).toEqual([a.body.test_id]);
    expect((await getJson(fake, '/api/v2/tests/?tags=commit:aaa,commit:bbb')).count).toBe(2);
    expect((await getJson(fake, '/api/v2/tests/?tags=COMMIT:AAA')).count).toBe(1);
    const unknown = await call(fake, '/api/v2/tests/99999/');
    expect([unknown.status, await unknown.json()]).toEqual([404, { detail: 'No Test matches the given query.' }]);
    const bare = await call(fake, '/api/v2/tests/abc/');
    expect([bare.status, await bare.json()]).toEqual([404, { detail: 'Not found.', message: '', pro: PRO }]);
  });

  test('products, product types and engagements: filters, validation, prefetch', async () => {
    const fake = start();
    const pt = (await (await postJson(fake, '/api/v2/product_types/', { name: 'SecBot' })).json()) as Json;
    expect((await postJson(fake, '/api/v2/product_types/', { name: 'SecBot' })).status).toBe(400);
    expect((await postJson(fake, '/api/v2/products/', { name: 'x', description: 'x' })).status).toBe(400);
    const noType = await postJson(fake, '/api/v2/products/', { name: 'x', description: 'x', prod_type: 999 });
    expect([noType.status, await noType.json()]).toEqual([404, { detail: 'No Product_Type matches the given query.' }]);
    for (const name of ['acme/webapp', 'acme/webapp-legacy']) {
      expect((await postJson(fake, '/api/v2/products/', { name, description: name, prod_type: pt.id })).status).toBe(201);
    }
    const missingDesc = (await (await postJson(fake, '/api/v2/products/', { name: 'y', prod_type: pt.id })).json()) as Json;
    expect(missingDesc.description).toEqual(['This field is required.']);
    expect((await getJson(fake, '/api/v2/products/?name=ACME/WEBAPP')).count).toBe(2);
    const exact = await getJson(fake, '/api/v2/products/?name_exact=ACME/WEBAPP');
    expect([exact.count, exact.prefetch]).toEqual([1, {}]);
    expect((await getJson(fake, '/api/v2/product_types/?name=secbot')).count).toBe(0);
    const product = exact.results[0].id;
    const eng = { product, target_start: '2026-01-01', target_end: '2026-12-31', name: 'main' };
    expect((await postJson(fake, '/api/v2/engagements/', eng)).status).toBe(201);
    expect((await postJson(fake, '/api/v2/engagements/', eng)).status).toBe(201);
    const reversed = (await (await postJson(fake, '/api/v2/engagements/', { ...eng, target_start: '2027-01-01' })).json()) as Json;
    expect(reversed.non_field_errors).toEqual(['Your target start date exceeds your target end date']);
    const engs = await getJson(fake, `/api/v2/engagements/?product=${product}&name=main`);
    expect(engs.count).toBe(2);
    expect('prefetch' in engs).toBe(false);
  });
});

describe('deduplication', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the fake's answers are free-form JSON
  async function twice(fake: FakeDefectDojo, mode?: string): Promise<any[]> {
    const fields = mode ? { ...CONTEXT, deduplication_execution_mode: mode } : CONTEXT;
    const text = await sample('gitleaks8_many.json');
    return [(await scan(fake, 'import-scan', fields, { text })).body, (await scan(fake, 'import-scan', fields, { text })).body];
  }

  test('disabled by default: nothing becomes a duplicate even in sync mode', async () => {
    const fake = start();
    const [, second] = await twice(fake, 'sync');
    expect(second.deduplication_complete).toBe(true);
    expect(fake.state.findings.filter((f) => f.duplicate)).toEqual([]);
  });

  test('sync: duplicates exist when the 201 arrives', async () => {
    const fake = start({ enableDeduplication: true });
    const [first, second] = await twice(fake, 'sync');
    expect(second.deduplication_complete).toBe(true);
    expect(second.statistics.after.total.duplicate).toBe(3);
    const dups = await getJson(fake, `/api/v2/findings/?test=${second.test_id}&duplicate=true`);
    const originals = fake.findingsOfTest(first.test_id).map((f) => f.id);
    expect(dups.results.map((f: Json) => f.duplicate_finding)).toEqual(originals);
    expect(dups.results.every((f: Json) => !f.active && !f.verified && f.display_status === 'Inactive, Duplicate')).toBe(true);
    expect((await getJson(fake, `/api/v2/findings/?duplicate_finding=${originals[0]}`)).count).toBe(1);
  });

  test('async: not done at 201, done after runPendingDeduplication()', async () => {
    const fake = start({ enableDeduplication: true });
    const [, second] = await twice(fake);
    expect(second.deduplication_complete).toBe(false);
    expect(fake.findingsOfTest(second.test_id).some((f) => f.duplicate)).toBe(false);
    expect(fake.runPendingDeduplication()).toBe(6);
    expect(fake.findingsOfTest(second.test_id).every((f) => f.duplicate)).toBe(true);
  });

  test('async with a timer, async_wait, and block_execution', async () => {
    const timed = start({ enableDeduplication: true, asyncDeduplicationDelayMs: 20 });
    const [, second] = await twice(timed, 'async');
    await Bun.sleep(60);
    expect(timed.findingsOfTest(second.test_id).every((f) => f.duplicate)).toBe(true);
    const wait = start({ enableDeduplication: true });
    expect((await twice(wait, 'async_wait'))[1].deduplication_complete).toBe(true);
    const blocked = start({ enableDeduplication: true, blockExecution: true });
    const [, b2] = await twice(blocked, 'async');
    expect(b2.deduplication_complete).toBe(false);
    expect(blocked.findingsOfTest(b2.test_id).every((f) => f.duplicate)).toBe(true);
  });

  test('legacy server: no deduplication fields, the mode field is ignored', async () => {
    const fake = start({ enableDeduplication: true, legacy: true });
    const [, second] = await twice(fake, 'sync');
    expect('deduplication_complete' in second || 'deduplication_execution_mode' in second).toBe(false);
    expect(fake.state.pendingDeduplication.length).toBe(6);
    const t = await getJson(fake, `/api/v2/tests/${second.test_id}/`);
    expect('deduplication_algorithm' in t).toBe(false);
  });

  test('scope: deduplication_on_engagement, and mitigated originals are skipped', async () => {
    const fake = start({ enableDeduplication: true });
    const text = manyLeaks(1);
    const a = await scan(fake, 'import-scan', { ...CONTEXT, deduplication_execution_mode: 'sync' }, { text });
    const b = await scan(fake, 'import-scan', { ...CONTEXT, engagement_name: 'isolated', deduplication_on_engagement: 'true', deduplication_execution_mode: 'sync' }, { text });
    expect(fake.findingsOfTest(b.body.test_id)[0]!.duplicate).toBe(false);
    fake.triage(fake.findingsOfTest(a.body.test_id)[0]!.id, { is_mitigated: true, active: false });
    const c = await scan(fake, 'import-scan', { ...CONTEXT, deduplication_execution_mode: 'sync' }, { text });
    expect(fake.findingsOfTest(c.body.test_id)[0]).toMatchObject({ duplicate: false, active: true });
  });
});

describe('reimport-scan', () => {
  test('closes, keeps and reactivates by hash_code; replaces tags and test metadata', async () => {
    const fake = start();
    const first = await scan(fake, 'import-scan', { ...CONTEXT, commit_hash: 'aaa', tags: 'commit:aaa' }, { text: manyLeaks(3) });
    const testId = String(first.body.test_id);
    const r1 = await scan(fake, 'reimport-scan', { test: testId, tags: 'commit:bbb' }, { text: manyLeaks(2) });
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({ test: first.body.test_id, close_old_findings: true, do_not_reactivate: false });
    expect(r1.body.statistics.delta.closed.total.total).toBe(1);
    expect(r1.body.statistics.delta.untouched.total.total).toBe(2);
    expect(r1.body.statistics.before.total.active).toBe(3);
    expect(r1.body.statistics.after.total.is_mitigated).toBe(1);
    const t = await getJson(fake, `/api/v2/tests/${testId}/`);
    expect([t.tags, t.commit_hash]).toEqual([['commit:bbb'], '']);
    const r2 = await scan(fake, 'reimport-scan', { test: testId }, { text: manyLeaks(4) });
    expect(r2.body.statistics.delta.reactivated.total.total).toBe(1);
    expect(r2.body.statistics.delta.created.total.total).toBe(1);
    expect(fake.state.tests.length).toBe(1);
    expect(fake.findingsOfTest(first.body.test_id).every((f) => f.active)).toBe(true);
  });

  test('targets by names, error lists, and auto-create as an import', async () => {
    const fake = start();
    const missing = await scan(fake, 'reimport-scan', { test: '999' }, { text: '[]' });
    expect(missing.body).toEqual(['Test "999" does not exist']);
    const created = await scan(fake, 'reimport-scan', CONTEXT, { text: manyLeaks(1) });
    expect(created.status).toBe(201);
    expect(created.body.close_old_findings).toBe(false);
    expect(Object.keys(created.body.statistics)).toEqual(['after']);
    const byName = await scan(fake, 'reimport-scan', { product_name: 'acme/webapp', engagement_name: 'main' }, { text: manyLeaks(1) });
    expect(byName.body.test_id).toBe(created.body.test_id);
    const noTest = await scan(fake, 'reimport-scan', { product_name: 'acme/webapp', engagement_name: 'main', test_title: 'T' }, { text: '[]' });
    expect(noTest.body).toEqual(['Test "T" with scan_type "Gitleaks Scan" does not exist in Engagement "main"']);
  });

  test('false positives stay untouched and do_not_reactivate keeps closed findings closed', async () => {
    const fake = start();
    const first = await scan(fake, 'import-scan', CONTEXT, { text: manyLeaks(2) });
    const [fp, gone] = fake.findingsOfTest(first.body.test_id);
    fake.triage(fp!.id, { false_p: true, active: false });
    await scan(fake, 'reimport-scan', { test: String(first.body.test_id) }, { text: manyLeaks(1) });
    expect(gone!.is_mitigated).toBe(true);
    const again = await scan(fake, 'reimport-scan', { test: String(first.body.test_id), do_not_reactivate: 'true' }, { text: manyLeaks(2) });
    expect(again.body.statistics.delta.reactivated.total.total).toBe(0);
    expect([fp!.false_p, fp!.active, gone!.active]).toEqual([true, false, false]);
  });
});

describe('test controls', () => {
  test('triage sets statuses that the API then reports', async () => {
    const fake = start();
    const { body } = await scan(fake, 'import-scan', CONTEXT, { text: manyLeaks(3) });
    const [a, b, c] = fake.findingsOfTest(body.test_id).map((f) => f.id);
    expect(fake.triage(a!, { risk_accepted: true, active: false }).display_status).toBe('Inactive, Risk Accepted');
    const mitigated = fake.triage(b!, { is_mitigated: true, active: false });
    expect(mitigated.mitigated).not.toBeNull();
    fake.triage(c!, { out_of_scope: true });
    expect((await getJson(fake, '/api/v2/findings/?risk_accepted=true')).results.map((f: Json) => f.id)).toEqual([a]);
    expect((await getJson(fake, '/api/v2/findings/?is_mitigated=true')).results.map((f: Json) => f.id)).toEqual([b]);
    expect((await getJson(fake, '/api/v2/findings/?out_of_scope=true&active=true')).results.map((f: Json) => f.id)).toEqual([c]);
    expect(() => fake.triage(1, { active: false })).toThrow();
  });

  test('failNext: status, path prefix, delay and reset', async () => {
    const fake = start();
    fake.failNext(2, { status: 500 });
    const r1 = await call(fake, '/api/v2/findings/');
    expect([r1.status, await r1.json()]).toEqual([500, { message: 'Internal server error, check logs for details', pro: PRO }]);
    expect((await call(fake, '/api/v2/tests/')).status).toBe(500);
    expect((await call(fake, '/api/v2/tests/')).status).toBe(200);
    fake.failNext(1, { status: 502, pathPrefix: '/api/v2/import-scan/' });
    expect((await call(fake, '/api/v2/findings/')).status).toBe(200);
    const gw = await call(fake, '/api/v2/import-scan/', { method: 'POST', body: scanForm(CONTEXT, { text: manyLeaks(1) }) });
    expect([gw.status, gw.headers.get('content-type')]).toEqual([502, 'text/html']);
    expect(fake.state.tests.length).toBe(0);
    fake.failNext(1, { delayMs: 300 });
    const slow = await call(fake, '/api/v2/findings/', { signal: AbortSignal.timeout(50) }).catch((e: Error) => e.name);
    expect(slow).toBe('TimeoutError');
    fake.failNext(1, { reset: true });
    expect(await call(fake, '/api/v2/findings/').then(() => 'ok', () => 'reset')).toBe('reset');
    fake.failNext(1, { status: 429, body: { detail: 'slow down' } });
    expect(await (await call(fake, '/api/v2/findings/')).json()).toEqual({ detail: 'slow down' });
    expect(fake.requests.at(-1)!.status).toBe(429);
  });

  test('setDown: 503, reset and refused connections, then back up', async () => {
    const fake = start();
    await fake.setDown(true);
    expect((await call(fake, '/api/v2/findings/')).status).toBe(503);
    await fake.setDown(true, 'reset');
    expect(await call(fake, '/api/v2/findings/').then(() => 'ok', () => 'reset')).toBe('reset');
    await fake.setDown(true, 'refuse');
    const refused = await call(fake, '/api/v2/findings/').then(() => 'ok', (e: { code?: string }) => e.code);
    expect(refused).toBe('ECONNREFUSED');
    await fake.setDown(false);
    expect((await call(fake, '/api/v2/findings/')).status).toBe(200);
  });

  test('requests log keeps the form fields and report text, not the bytes', async () => {
    const fake = start();
    await scan(fake, 'import-scan', { ...CONTEXT, commit_hash: 'abc' }, { text: await sample('gitleaks8_many.json') });
    const entry = fake.requests.find((r) => r.path === '/api/v2/import-scan/')!;
    expect(entry.form!.commit_hash).toEqual(['abc']);
    expect(entry.files![0]!.text).toContain('secretAWSsecret');
    expect(entry.contentType).toStartWith('multipart/form-data');
  });
});

describe('races', () => {
  test('two concurrent product POSTs with the same name: one 201, one unique-constraint 400', async () => {
    const fake = start();
    const pt = (await (await postJson(fake, '/api/v2/product_types/', { name: 'SecBot' })).json()) as Json;
    const body = { name: 'acme/webapp', description: 'd', prod_type: pt.id };
    const results = await Promise.all([postJson(fake, '/api/v2/products/', body), postJson(fake, '/api/v2/products/', body)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 400]);
    const loser = (await results.find((r) => r.status === 400)!.json()) as Json;
    expect(loser.name).toEqual(['product with this name already exists.']);
    expect(loser.message).toBe(`{'name': [ErrorDetail(string='product with this name already exists.', code='unique')]}`);
    expect(fake.state.products.length).toBe(1);
  });
});
