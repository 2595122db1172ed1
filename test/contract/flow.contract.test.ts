/**
 * SecBot's real flow — compiled binary, real git, real gitleaks — against the real DefectDojo 2.50.4 and against the
 * fake, same cases, both must pass (issue #12): the DefectDojo context created once (also when two checks race), one
 * test per (check, scan) with its tags, DefectDojo's findings equal to gitleaks', a redelivery adding nothing, more than
 * 250 findings from an import slower than the request timeout (waited for, never imported twice), an abandoned import
 * replaced, triage moving the gate both ways, and DefectDojo stopped or hung giving a stale verdict at once.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey, fakeGithubPat } from '../helpers/secrets.ts';
import { Flow, tokenLines } from './support/flow.ts';
import { eventually, type Json } from './support/raw-api.ts';
import { forEachTarget } from './support/targets.ts';

const SCAN_TAG = 'secbot-scan:gitleaks';
/** Long enough that a poll which waited for the hung DefectDojo (SECBOT_HTTP_TIMEOUT_MS 30 s) fails the case. */
const POLL_LIMIT_MS = 10_000;

forEachTarget('SecBot flow contract', (kind) => {
  let f: Flow;

  beforeAll(async () => {
    f = await Flow.start(kind, {
      // An import of 300 findings takes ~25 s on the real server (and 7.5 s on the fake, 25 ms a finding): longer than
      // the request timeout, so the answer is lost and the retry must wait for the running import.
      dojoConfig: 'timeout_seconds: 5, import_grace_seconds: 10',
      env: { SECBOT_WORKER_CONCURRENCY: '4' },
    });
  });
  afterAll(async () => {
    if (f?.target.fake) expect(f.target.fake.state.unexpected).toEqual([]);
    await f?.stop();
  });

  async function gate(checkId: string): Promise<Json> {
    const res = await fetch(`${f.world.resultsUrl}/v1/security/gitlab/check/${checkId}`, { signal: AbortSignal.timeout(POLL_LIMIT_MS) });
    return res.json();
  }

  async function gateBecomes(checkId: string, status: string, what: string): Promise<Json> {
    return eventually(`${what}: gate ${status}`, 30_000, async () => {
      const st = await gate(checkId);
      return st.status === status && !st.stale ? st : undefined;
    });
  }

  test('a leaky push: context created once, one tagged test, findings = gitleaks findings; a redelivery adds nothing; the next push reuses the engagement', async () => {
    const path = f.path('webapp');
    const files = { 'deploy.sh': `export AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n`, 'config/tokens.py': tokenLines(2, fakeGithubPat) };
    const first = await f.push(path, files, { key: `${path}-1` });
    const st = await f.world.waitFinal(first.checkId, 60_000);
    expect(st.status).toBe('fail');
    expect(st.scans[0].finding_count).toBe(3);
    const product = await f.product(path);
    expect(product).toBeDefined();
    expect((await f.raw.ok(`product_types/?name=${encodeURIComponent(f.productType)}`)).count).toBe(1);
    const engagements = await f.raw.ok(`engagements/?product=${product.id}`);
    expect(engagements.results.map((e: Json) => e.name)).toEqual(['main']);
    const tests = await f.testsOf(first.checkId);
    expect(tests).toHaveLength(1);
    expect([...tests[0].tags].sort()).toEqual([first.checkId.toLowerCase(), `commit:${first.sha}`, SCAN_TAG].sort());
    const findings = await f.raw.all(`findings/?test=${tests[0].id}`);
    expect(findings.map((x: Json) => x.file_path).sort()).toEqual(['config/tokens.py', 'config/tokens.py', 'deploy.sh']);
    expect(st.findings.map((x: Json) => x.file).sort()).toEqual(['config/tokens.py', 'config/tokens.py', 'deploy.sh']);
    expect(findings.every((x: Json) => x.tags.some((t: string) => t.startsWith('secbot-leak:')))).toBe(true);
    expect(st.counts).toMatchObject({ findings: 3, open: 3 });
    expect(st.outputs[0].recorded).toBe(3);
    expect(st.outputs[0].url).toBe(`${f.world.env.DEFECTDOJO__URL}/test/${tests[0].id}`);

    const again = await f.world.deliver('Push Hook', first.payload, first.headers);
    expect(again.status).toBe(200);
    expect((await f.world.waitFinal(first.checkId)).status).toBe('fail');
    expect(await f.testsOf(first.checkId)).toHaveLength(1);
    expect((await f.raw.ok(`findings/?test__engagement__product=${product.id}&limit=1`)).count).toBe(3);

    const second = await f.push(path, { 'later.env': `KEY=${fakeAwsKey()}\n` }, { before: first.sha });
    expect((await f.world.waitFinal(second.checkId, 60_000)).status).toBe('fail');
    expect((await f.raw.ok(`engagements/?product=${product.id}`)).count).toBe(1);
    expect((await f.raw.ok(`tests/?engagement=${engagements.results[0].id}`)).count).toBe(2);
  }, 120_000);

  test('two checks of a new project racing: one product, one engagement', async () => {
    const path = f.path('race');
    const repo = f.world.repo(path);
    const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const a = repo.commit({ files: { 'a.env': `A=${fakeAwsKey()}\n` }, message: 'a' });
    const b = repo.commit({ files: { 'b.env': `B=${fakeAwsKey()}\n` }, message: 'b' });
    await Promise.all([
      f.world.deliver(HEADERS.push, pushPayload({ gitlabUrl: f.world.gitlab.url, path, before: base, after: a })),
      f.world.deliver(HEADERS.push, pushPayload({ gitlabUrl: f.world.gitlab.url, path, before: a, after: b, branch: 'feature' })),
    ]);
    const [sa, sb] = await Promise.all([f.world.waitFinal(f.world.checkId(path, a), 60_000), f.world.waitFinal(f.world.checkId(path, b), 60_000)]);
    expect([sa.status, sb.status]).toEqual(['fail', 'fail']);
    const products = await f.raw.ok(`products/?name_exact=${encodeURIComponent(path)}`);
    expect(products.count).toBe(1);
    const engagements = await f.raw.ok(`engagements/?product=${products.results[0].id}`);
    expect(engagements.results.map((e: Json) => e.name).sort()).toEqual(['feature', 'main']);
    expect((await f.raw.ok(`product_types/?name=${encodeURIComponent(f.productType)}`)).count).toBe(1);
  }, 120_000);

  test('triage in DefectDojo moves the gate: false positive, mitigated, out of scope, risk accepted → success; reopened → fail', async () => {
    const path = f.path('triage');
    const { checkId } = await f.push(path, { 'app.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` });
    expect((await f.world.waitFinal(checkId, 60_000)).status).toBe('fail');
    const [test] = await f.testsOf(checkId);
    const [finding] = await f.raw.all(`findings/?test=${test.id}`);
    const patch = async (body: unknown) => expect((await f.raw.patch(`findings/${finding.id}/`, body)).status).toBe(200);
    const closings: [string, unknown, unknown][] = [
      ['false positive', { false_p: true, active: false }, { active: true }],
      ['mitigated', { is_mitigated: true, active: false }, { active: true }],
      ['out of scope', { out_of_scope: true, active: false }, { active: true }],
      ['risk accepted', { risk_accepted: true, active: false }, { active: true, risk_accepted: false }],
    ];
    const product = await f.product(path);
    expect((await f.raw.patch(`products/${product.id}/`, { enable_simple_risk_acceptance: true })).status).toBe(200);
    for (const [what, close, reopen] of closings) {
      await patch(close);
      await gateBecomes(checkId, 'success', what);
      await patch(reopen);
      await gateBecomes(checkId, 'fail', `${what} reopened`);
    }
  }, 120_000);

  test('300 findings from an import slower than timeout_seconds: waited for, one test, every finding read across pages', async () => {
    const path = f.path('many');
    const seen = f.target.fake?.requests.length ?? 0;
    const { checkId } = await f.push(path, { 'tokens.py': tokenLines(300, fakeGithubPat) });
    const st = await f.world.waitFinal(checkId, 180_000);
    expect(st.status).toBe('fail');
    expect(st.scans[0].finding_count).toBe(300);
    expect(st.counts).toMatchObject({ findings: 300, open: 300 });
    expect(st.outputs[0].recorded).toBe(300);
    const tests = await f.testsOf(checkId);
    expect(tests.map((t: Json) => t.percent_complete)).toEqual([100]);
    expect((await f.raw.ok(`findings/?test=${tests[0].id}&limit=1`)).count).toBe(300);
    expect(f.world.logs.some((l) => l.includes('still importing'))).toBe(true);
    const imports = f.target.fake?.requests.filter((r) => r.path === '/api/v2/import-scan/' && r.form?.tags?.includes(checkId.toLowerCase()));
    if (f.target.fake) {
      expect(imports).toHaveLength(1);
      // Batched: a few paged listings, never a request per finding (issue #12 item 4).
      const lookups = f.target.fake.requests.slice(seen).filter((r) => r.path === '/api/v2/findings/');
      expect(lookups.filter((r) => r.query.hash_code !== undefined)).toEqual([]);
      expect(lookups.length).toBeLessThan(20);
    }
  }, 240_000);

  test('an abandoned import (below percent_complete 100 and no longer moving) is replaced, after the grace period', async () => {
    const path = f.path('abandoned');
    const repo = f.world.repo(path);
    const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const sha = repo.commit({ files: { 'prod.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'leak' });
    const checkId = f.world.checkId(path, sha);
    // What a crashed import leaves behind: DefectDojo never rolls the test back.
    const broken = await f.raw.importScan(
      { product_type_name: f.productType, product_name: path, engagement_name: 'main', auto_create_context: 'true', tags: [checkId.toLowerCase(), SCAN_TAG] },
      'not json',
    );
    expect(broken.status).toBe(400);
    const [stuck] = await f.testsOf(checkId);
    expect(stuck.percent_complete).toBe(50);
    await f.world.deliver(HEADERS.push, pushPayload({ gitlabUrl: f.world.gitlab.url, path, before: base, after: sha }));
    const st = await f.world.waitFinal(checkId, 90_000);
    expect(st.status).toBe('fail');
    const tests = await f.testsOf(checkId);
    expect(tests.map((t: Json) => [t.id === stuck.id, t.percent_complete]).sort()).toEqual([[false, 100], [true, 50]]);
    expect(st.outputs[0].url).not.toEndWith(`/test/${stuck.id}`);
    expect(f.world.logs.some((l) => l.includes('stopped importing'))).toBe(true);
  }, 120_000);

  test('DefectDojo stopped, then hung: the gate answers the last verdict at once, marked stale; polls share the hanging refresh', async () => {
    const path = f.path('outage');
    const { checkId } = await f.push(path, { 'app.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` });
    expect((await f.world.waitFinal(checkId, 60_000)).status).toBe('fail');

    f.proxy.stopListening();
    const down = await gate(checkId);
    expect(down).toMatchObject({ status: 'fail', stale: true });
    expect(down.outputs[0].refresh_error).toContain('DefectDojo');
    f.proxy.listenAgain();
    await gateBecomes(checkId, 'fail', 'DefectDojo back');

    f.proxy.freeze();
    const hung = await gate(checkId);
    expect(hung).toMatchObject({ status: 'fail', stale: true });
    const asked = f.proxy.heldChunks;
    expect(asked).toBeGreaterThan(0);
    const next = await gate(checkId);
    expect(next).toMatchObject({ status: 'fail', stale: true });
    expect(f.proxy.heldChunks).toBe(asked);
    f.proxy.thaw();
    await gateBecomes(checkId, 'fail', 'DefectDojo answering again');
  }, 120_000);
});
