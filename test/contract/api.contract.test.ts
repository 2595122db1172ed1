/**
 * API-level contract: the DefectDojo calls SecBot makes, run unchanged against the real DefectDojo 2.50.4 and the fake,
 * with the answers the real server gave (issue #12). Where SecBot's own client (src/clients/defectdojo/api.ts) makes
 * the call, the case goes through it, so its zod schemas are checked against real answers too.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { DefectDojoApi } from '../../src/clients/defectdojo/api.ts';
import { PermanentError } from '../../src/core/errors.ts';
import { RawApi, eventually, gitleaksReport, type Json } from './support/raw-api.ts';
import { RUN_ID, forEachTarget, startTarget, type DojoTarget } from './support/targets.ts';

const PRO = ['Pro comes with support. Try today for free or email us at hello@defectdojo.com'];
const SAMPLES = `${import.meta.dir}/../fixtures/defectdojo/`;

/** DRF's field-error shape as DefectDojo decorates it. */
function fieldError(field: string, text: string, code: string): Json {
  return { [field]: [text], message: `{'${field}': [ErrorDetail(string='${text}', code='${code}')]}`, pro: PRO };
}

/** The form SecBot's DefectDojoApi.importScan sends, through SecBot's own client. */
function secbotImport(api: DefectDojoApi, engagementId: number, report: string, tags: string[]) {
  return api.importScan({
    engagementId, report, tags, commitHash: 'a'.repeat(40), branchTag: 'main', scanDate: new Date().toISOString().slice(0, 10),
    minimumSeverity: 'Info', testTitle: 'gitleaks aaaaaaaa (push)', deduplicationMode: 'sync',
  });
}

forEachTarget('DefectDojo API contract', (kind) => {
  let t: DojoTarget;
  let raw: RawApi;
  let client: DefectDojoApi;
  const name = (what: string) => `contract-${RUN_ID}/${kind}-${what}`;

  beforeAll(async () => {
    t = await startTarget(kind);
    raw = new RawApi(t);
    client = new DefectDojoApi({ baseUrl: t.url, token: t.token, fetch, timeoutMs: 120_000 });
  });
  afterAll(async () => {
    if (t?.fake) expect(t.fake.state.unexpected).toEqual([]);
    await t?.stop();
  });

  test('403 for a missing and for a wrong token, with DRF detail bodies; SecBot reports it as a token problem', async () => {
    expect(await raw.get('findings/', null)).toMatchObject({ status: 403, body: { detail: 'Authentication credentials were not provided.' } });
    expect(await raw.get('findings/', 'f'.repeat(40))).toMatchObject({ status: 403, body: { detail: 'Invalid token.' } });
    const wrong = new DefectDojoApi({ baseUrl: t.url, token: 'f'.repeat(40), fetch, timeoutMs: 30_000 });
    const err = await wrong.findProductTypes('x').catch((e) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(String(err.message)).toContain('DEFECTDOJO__TOKEN');
  });

  test('orderings per endpoint: engagements and tests refuse o=id, findings and products accept it, product_types ignore o', async () => {
    const invalid = (what: string) => fieldError('o', `Select a valid choice. ${what} is not one of the available choices.`, 'invalid_choice');
    expect(await raw.get('engagements/?o=id')).toMatchObject({ status: 400, body: invalid('id') });
    expect(await raw.get('tests/?o=id')).toMatchObject({ status: 400, body: invalid('id') });
    for (const bad of ['test', 'hash_code', 'line']) expect(await raw.get(`findings/?o=${bad}&limit=1`)).toMatchObject({ status: 400, body: invalid(bad) });
    for (const ok of ['engagements/?o=name', 'engagements/?o=-created', 'tests/?o=-created', 'findings/?o=id', 'findings/?o=-id', 'products/?o=id', 'product_types/?o=bogus']) {
      expect([ok, (await raw.get(`${ok}&limit=1`)).status]).toEqual([ok, 200]);
    }
  });

  test('context lookups: exact names, single-id filters, unknown product, the calls of ensureContext', async () => {
    const ctx = await raw.context(name('lookup'));
    const product = name('lookup');
    expect((await client.findProducts(product.toUpperCase())).map((p) => p.id)).toEqual([ctx.product]);
    expect((await raw.ok(`products/?name=${encodeURIComponent(`${kind}-lookup`)}`)).count).toBeGreaterThanOrEqual(1);
    expect((await client.findProductTypes(`${product}-type`)).map((p) => p.id)).toEqual([ctx.productType]);
    expect((await client.findProductTypes(`${product}-TYPE`)).length).toBe(0);
    const second = await raw.create('engagements/', { product: ctx.product, name: 'main', target_start: '2025-01-01', target_end: '2025-01-02' });
    expect((await client.findEngagements(ctx.product, 'main')).map((e) => e.id).sort((a, b) => a - b)).toEqual([ctx.engagement, second.id]);
    expect(await client.findEngagements(ctx.product, 'MAIN')).toEqual([]);
    const listed = await raw.ok(`engagements/?product=${ctx.product}&name=main`);
    expect('prefetch' in listed).toBe(true);
    expect(await raw.get(`engagements/?id=${ctx.engagement},${second.id}`)).toMatchObject({ status: 400, body: fieldError('id', 'Enter a number.', 'invalid') });
    expect(await raw.get('tests/?id=1,2')).toMatchObject({ status: 400, body: fieldError('id', 'Enter a number.', 'invalid') });
    const unknown = await raw.get('engagements/?product=999999999');
    expect(unknown).toMatchObject({ status: 400, body: fieldError('product', 'Select a valid choice. That choice is not one of the available choices.', 'invalid_choice') });
    expect(await raw.get('tests/999999999/')).toMatchObject({ status: 404, body: { detail: 'No Test matches the given query.' } });
  });

  test('import-scan as SecBot sends it: unknown fields accepted and ignored, tags stored lowercase and matched exactly, legacy hash codes', async () => {
    const ctx = await raw.context(name('import'));
    const report = await Bun.file(`${SAMPLES}gitleaks8_many.json`).text();
    const answer = await raw.importScan(
      { engagement: String(ctx.engagement), tags: ['Check-ABC', 'commit:DEADbeef'], deduplication_execution_mode: 'sync', no_such_field: 'x', minimum_severity: 'Info' },
      report,
    );
    expect(answer.status).toBe(201);
    expect(answer.body).not.toHaveProperty('deduplication_complete');
    expect(answer.body).not.toHaveProperty('deduplication_execution_mode');
    expect(answer.body).not.toHaveProperty('no_such_field');
    expect(answer.body.tags).toEqual(['Check-ABC', 'commit:DEADbeef']);
    expect(Object.keys(answer.body).sort()).toEqual([
      'active', 'api_scan_configuration', 'apply_tags_to_endpoints', 'apply_tags_to_findings', 'auto_create_context',
      'close_old_findings', 'close_old_findings_product_scope', 'create_finding_groups_for_all_findings',
      'deduplication_on_engagement', 'endpoint_to_add', 'engagement', 'engagement_id', 'lead', 'minimum_severity',
      'product_id', 'product_type_id', 'push_to_jira', 'scan_type', 'statistics', 'tags', 'test', 'test_id', 'verified',
    ]);
    const testId = answer.body.test_id as number;
    const stored = await client.getTest(testId);
    expect([...stored.tags].sort()).toEqual(['check-abc', 'commit:deadbeef']);
    expect(stored.percent_complete).toBe(100);
    for (const q of ['check-abc', 'CHECK-abc', 'nothing,check-abc']) expect((await client.findTestsByTag(q)).map((x) => x.id)).toContain(testId);
    expect((await raw.ok('tests/?tags=check-ab')).results.map((x: Json) => x.id)).not.toContain(testId);
    const expected = (await Bun.file(`${SAMPLES}expected_findings.json`).json()).files['gitleaks8_many.json'] as Json[];
    const findings = await client.findingsOfTest(testId);
    expect(findings.map((f) => [f.title, f.hash_code])).toEqual(expected.map((e) => [e.title_as_stored_and_returned_by_api, e.hash_code_without_service]));
    const secbotAnswer = await secbotImport(client, ctx.engagement, report, ['check-def']);
    expect(secbotAnswer.test_id).toBeGreaterThan(testId);
    expect(secbotAnswer.deduplication_complete).toBeUndefined();
  });

  test('a leak tag in a report entry\'s Tags becomes a finding tag, stored lowercase, one finding per entry', async () => {
    const ctx = await raw.context(name('leaktags'));
    const entries = JSON.parse(gitleaksReport(3)) as Json[];
    entries.forEach((e, i) => {
      e.Tags = [`secbot-leak:Key${i}AbC`];
    });
    const answer = await secbotImport(client, ctx.engagement, JSON.stringify(entries), ['check-leaktags']);
    const findings = await client.findingsOfTest(answer.test_id!);
    expect(findings.map((f) => f.tags)).toEqual([['secbot-leak:key0abc'], ['secbot-leak:key1abc'], ['secbot-leak:key2abc']]);
    expect((await raw.ok(`findings/?test=${answer.test_id}&tags=SECBOT-LEAK:KEY1ABC`)).results.map((f: Json) => f.id)).toEqual([findings[1]!.id]);
  });

  test('a test\'s description is set with PATCH (SecBot notes what it could not scan); unknown test 404', async () => {
    const ctx = await raw.context(name('describe'));
    const answer = await secbotImport(client, ctx.engagement, '[]', ['check-describe']);
    const note = 'SecBot could not scan 1 file(s) of this check (binary, or larger than max_target_megabytes):\n- `a.bin` (commit abcdef12): binary';
    const t1 = await client.describeTest(answer.test_id!, note);
    expect(t1.id).toBe(answer.test_id!);
    expect((await raw.ok(`tests/${answer.test_id}/`)).description).toBe(note);
    expect((await raw.patch('tests/999999999/', { description: 'x' })).status).toBe(404);
  });

  test('a report the parser rejects: 400 with the parser message, and the test stays behind at percent_complete 50', async () => {
    const ctx = await raw.context(name('broken'));
    const tag = `broken-${RUN_ID}-${kind}`;
    const answer = await raw.importScan({ engagement: String(ctx.engagement), tags: tag }, 'not json');
    expect(answer).toMatchObject({ status: 400, body: { message: "['Expecting value: line 1 column 1 (char 0)']", pro: PRO } });
    const left = await client.findTestsByTag(tag);
    expect(left.map((x) => x.percent_complete)).toEqual([50]);
    expect((await client.importProgress(left[0]!.id)).findings).toBe(0);
  });

  test('filters: id lists, hash_code contains, booleans only as true/false', async () => {
    const ctx = await raw.context(name('filters'));
    const imported = await raw.importScan({ engagement: String(ctx.engagement) }, gitleaksReport(3));
    const testId = imported.body.test_id as number;
    const ids = (await client.findingsOfTest(testId)).map((f) => f.id);
    expect(ids).toHaveLength(3);
    const [first, , third] = ids as [number, number, number];
    expect((await client.findingsByIds([third, first])).map((f) => f.id)).toEqual([first, third]);
    const hash = (await client.findingsByIds([ids[1]!]))[0]!.hash_code!;
    expect((await raw.ok(`findings/?test=${testId}&hash_code=${hash.slice(0, 12).toUpperCase()}`)).results.map((f: Json) => f.id)).toEqual([ids[1]]);
    for (const v of ['1', '0', 'yes']) expect((await raw.ok(`findings/?test=${testId}&active=${v}`)).count).toBe(3);
    expect((await raw.ok(`findings/?test=${testId}&active=false`)).count).toBe(0);
    expect((await raw.ok(`findings/?test=${testId}&active=true`)).count).toBe(3);
  });

  test('PATCH triage: false positive, mitigated, out of scope, risk accepted (only with simple risk acceptance), reopening', async () => {
    const ctx = await raw.context(name('triage'));
    const imported = await raw.importScan({ engagement: String(ctx.engagement) }, gitleaksReport(2));
    const [a, b] = (await client.findingsOfTest(imported.body.test_id)).map((f) => f.id);
    const state = (x: Json) => ({ active: x.active, false_p: x.false_p, out_of_scope: x.out_of_scope, risk_accepted: x.risk_accepted, is_mitigated: x.is_mitigated, mitigated: x.mitigated !== null });
    const closed = { active: false, is_mitigated: true, mitigated: true, risk_accepted: false };
    const open = { active: true, false_p: false, out_of_scope: false, risk_accepted: false, is_mitigated: false, mitigated: false };
    const patch = async (id: number | undefined, body: unknown) => {
      const r = await raw.patch(`findings/${id}/`, body);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 200]);
      return state(r.body);
    };
    expect(await patch(a, { false_p: true, active: false })).toMatchObject({ ...closed, false_p: true });
    expect(await patch(a, { false_p: false })).toMatchObject({ active: false, is_mitigated: true });
    expect(await patch(a, { active: true })).toEqual(open);
    expect(await patch(a, { out_of_scope: true, active: false })).toMatchObject({ ...closed, out_of_scope: true });
    expect(await patch(a, { active: true })).toEqual(open);
    expect(await patch(a, { is_mitigated: true, active: false })).toMatchObject({ active: false, is_mitigated: true, mitigated: true });
    expect(await patch(a, { active: true })).toEqual(open);
    const refused = await raw.patch(`findings/${b}/`, { risk_accepted: true, active: false });
    expect(refused).toMatchObject({ status: 400, body: fieldError('non_field_errors', 'Simple risk acceptance is disabled for this product, use the UI to accept this finding.', 'invalid') });
    expect(await raw.patch(`findings/${b}/`, { active: 'maybe' })).toMatchObject({ status: 400, body: fieldError('active', 'Must be a valid boolean.', 'invalid') });
    expect((await raw.patch(`products/${ctx.product}/`, { enable_simple_risk_acceptance: true })).status).toBe(200);
    const stillActive = await raw.patch(`findings/${b}/`, { risk_accepted: true });
    expect(stillActive).toMatchObject({ status: 400, body: fieldError('non_field_errors', 'Active findings cannot be risk accepted.', 'invalid') });
    expect(await patch(b, { risk_accepted: true, active: false })).toMatchObject({ active: false, risk_accepted: true, is_mitigated: false });
    expect((await raw.patch(`findings/${b}/`, { active: true })).status).toBe(400);
    expect(await patch(b, { risk_accepted: false })).toEqual(open);
  });

  test('asynchronous deduplication: the same report imported again becomes duplicates of the first findings, after the import answered', async () => {
    const ctx = await raw.context(name('dedup'));
    const report = gitleaksReport(3);
    const first = await raw.importScan({ engagement: String(ctx.engagement) }, report);
    const second = await raw.importScan({ engagement: String(ctx.engagement), deduplication_execution_mode: 'sync' }, report);
    expect(second.status).toBe(201);
    expect(second.body).not.toHaveProperty('deduplication_complete');
    const originals = (await client.findingsOfTest(first.body.test_id)).map((f) => f.id);
    const dups = await eventually('the second import to be deduplicated', 60_000, async () => {
      const fs = await client.findingsOfTest(second.body.test_id);
      return fs.every((f) => f.duplicate) ? fs : undefined;
    });
    expect(dups.map((f) => f.duplicate_finding)).toEqual(originals);
    expect(dups.every((f) => !f.active)).toBe(true);
  }, 90_000);

  test('a long import: percent_complete 50 with findings appearing one by one, then 100; more than 250 findings come in two pages', async () => {
    const ctx = await raw.context(name('long'));
    const tag = `long-${RUN_ID}-${kind}`;
    const n = 260;
    const importing = raw.importScan({ engagement: String(ctx.engagement), tags: tag }, gitleaksReport(n));
    const during = await eventually('the test to show up while importing', 60_000, async () => {
      const [test] = await client.findTestsByTag(tag);
      if (!test) return undefined;
      const progress = await client.importProgress(test.id);
      return progress.findings > 0 ? { test, progress } : undefined;
    });
    expect(during.test.percent_complete).toBe(50);
    expect(during.progress.findings).toBeLessThan(n);
    expect(during.progress.newestFindingAt).toBeGreaterThan(0);
    expect(during.progress.serverTime).toBeGreaterThan(0);
    const answer = await importing;
    expect(answer.status).toBe(201);
    expect((await client.getTest(answer.body.test_id)).percent_complete).toBe(100);
    const page = await raw.ok(`findings/?test=${answer.body.test_id}&limit=250&offset=0`);
    expect([page.count, page.results.length]).toEqual([n, 250]);
    expect(new URL(page.next).searchParams.get('offset')).toBe('250');
    const all = await client.findingsOfTest(answer.body.test_id);
    expect(new Set(all.map((f) => f.id)).size).toBe(n);
  }, 120_000);
});
