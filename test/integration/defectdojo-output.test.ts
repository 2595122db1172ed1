/**
 * The DefectDojo output against the fake DefectDojo (issue #5): retries after 500s and timeouts still give exactly
 * one test, a permanent error names what to fix, pagination past one page, two workers racing for one product,
 * the stale verdict when DefectDojo is down at status time, and "new" decided by hash_code when the server does not
 * deduplicate.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey, fakeGithubPat } from '../helpers/secrets.ts';
import { DEFAULT_CONFIG, World, type WorldOptions } from '../helpers/world.ts';

let w: World | null = null;
afterEach(async () => {
  await w?.stop();
  w = null;
});

async function start(opts: Partial<WorldOptions> = {}): Promise<World> {
  w = await World.start({ db: 'sqlite', ...opts });
  return w;
}

async function leakyPush(world: World, path: string, files?: Record<string, string>) {
  const repo = world.repo(path);
  const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
  const head = repo.commit({ files: files ?? { 'app.env': `KEY=${fakeAwsKey()}\n` }, message: 'leak' });
  const res = await world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path, before: base, after: head }));
  expect(res.status).toBe(200);
  return world.checkId(path, head);
}

describe('DefectDojo output', () => {
  test('500s on import, then recovery: the check completes with exactly one test', async () => {
    const world = await start();
    world.dojo.failNext(2, { status: 500, pathPrefix: '/api/v2/import-scan' });
    const st = await world.expectFinal(await leakyPush(world, 'acme/retry'), 'fail');
    expect(st.outputs[0].attempts).toBe(3);
    expect(world.dojo.state.tests).toHaveLength(1);
    expect(world.dojo.state.unexpected).toEqual([]);
  });

  test('an import whose answer never arrived is found by its tag, not imported twice', async () => {
    const config = DEFAULT_CONFIG.replace('handler_name: defectdojo\n', 'handler_name: defectdojo\n    config: { timeout_seconds: 1, import_grace_seconds: 5 }\n');
    const world = await start({ config });
    world.dojo.failNext(1, { delayMs: 2500, pathPrefix: '/api/v2/import-scan' });
    const st = await world.expectFinal(await leakyPush(world, 'acme/slow'), 'fail', 40_000);
    expect(world.dojo.state.tests).toHaveLength(1);
    expect(world.dojo.requests.filter((r) => r.path.startsWith('/api/v2/import-scan')).length).toBe(1);
    expect(st.outputs[0].external_id ?? st.outputs[0].url).toContain(String(world.dojo.state.tests[0]!.id));
  }, 60_000);

  test('DefectDojo that never recovers ends the check in error after the configured attempts, saying why', async () => {
    const world = await start({ env: { SECBOT_TASK_MAX_ATTEMPTS: '2' } });
    world.dojo.failNext(100, { status: 500, pathPrefix: '/api/v2/import-scan' });
    const st = await world.expectFinal(await leakyPush(world, 'acme/down'), 'error');
    expect(st.reason).toContain('output:gitleaks:defectdojo');
    expect(st.reason).toContain('DefectDojo answered 500');
    expect(st.notifications[0].state).toBe('cancelled');
  });

  test('a rejected token is a permanent error telling the operator what to fix', async () => {
    const world = await start({ env: { DEFECTDOJO__TOKEN: 'f'.repeat(40) } });
    const st = await world.expectFinal(await leakyPush(world, 'acme/badtoken'), 'error');
    expect(st.outputs[0].attempts).toBe(1);
    expect(st.reason).toContain('DEFECTDOJO__TOKEN');
    expect(JSON.stringify(st)).not.toContain('f'.repeat(40));
  });

  test('findings beyond one page are all read', async () => {
    const world = await start();
    const lines = Array.from({ length: 260 }, (_, i) => `token_${i} = "${fakeGithubPat()}"`).join('\n');
    const st = await world.expectFinal(await leakyPush(world, 'acme/many', { 'tokens.py': `${lines}\n` }), 'fail', 60_000);
    expect(st.findings).toHaveLength(260);
    expect(st.counts).toMatchObject({ findings: 260, open: 260 });
    expect(st.outputs[0].recorded).toBe(260);
    const pages = world.dojo.requests.filter((r) => r.path === '/api/v2/findings/' && r.query.test !== undefined);
    expect(pages.some((r) => Number(r.query.offset) > 0)).toBe(true);
    await world.until(() => world.slack.messages.length === 1, 15_000, 'message');
    expect(JSON.stringify(world.slack.messages[0]!.blocks)).toContain('*250* were *stripped*');
  }, 90_000);

  test('two checks of a new project racing: one product type, one product, both tests in one engagement', async () => {
    const world = await start();
    const repo = world.repo('acme/race');
    const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    const a = repo.commit({ files: { 'a.env': `A=${fakeAwsKey()}\n` }, message: 'a' });
    const b = repo.commit({ files: { 'b.env': `B=${fakeAwsKey()}\n` }, message: 'b' });
    await Promise.all([
      world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path: 'acme/race', before: base, after: a })),
      world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path: 'acme/race', before: a, after: b })),
    ]);
    await Promise.all([world.waitFinal(world.checkId('acme/race', a)), world.waitFinal(world.checkId('acme/race', b))]);
    expect(world.dojo.state.productTypes).toHaveLength(1);
    expect(world.dojo.state.products).toHaveLength(1);
    expect(new Set(world.dojo.state.tests.map((t) => t.engagement)).size).toBe(1);
  });

  test('DefectDojo unreachable at status time: the last verdict is answered, marked stale', async () => {
    const world = await start({ env: { SECBOT_GATE_CACHE_TTL_MS: '300' } });
    const id = await leakyPush(world, 'acme/stale');
    expect((await world.waitFinal(id)).status).toBe('fail');
    await world.dojo.setDown(true, 'refuse');
    await Bun.sleep(350);
    const st = await world.status(id);
    expect(st).toMatchObject({ status: 'fail', stale: true });
    expect(st.outputs[0].refresh_error).toContain('DefectDojo');
    await world.dojo.setDown(false);
    // A failed refresh is not retried before the TTL has passed again (a down DefectDojo is not hammered).
    expect(await world.status(id)).toMatchObject({ status: 'fail', stale: true });
    await Bun.sleep(350);
    const fresh = await world.status(id);
    expect(fresh).toMatchObject({ status: 'fail', stale: false });
  });

  test('DefectDojo hung at status time (accepts, never answers): the gate answers the last verdict at once, marked stale', async () => {
    const world = await start({ env: { SECBOT_GATE_CACHE_TTL_MS: '300', SECBOT_HTTP_TIMEOUT_MS: '30000' } });
    const id = await leakyPush(world, 'acme/hung');
    expect((await world.waitFinal(id)).status).toBe('fail');
    const asked = () => world.dojo.requests.filter((r) => r.path === '/api/v2/findings/').length;
    // A poll that waited for the hung DefectDojo would take SECBOT_HTTP_TIMEOUT_MS (30 s) and abort here.
    const poll = async () => (await fetch(`${world.resultsUrl}/v1/security/gitlab/check/${id}`, { signal: AbortSignal.timeout(10_000) })).json();
    await world.dojo.setDown(true, 'hang');
    await Bun.sleep(350);
    const before = asked();
    expect(await poll()).toMatchObject({ status: 'fail', stale: true });
    expect(asked()).toBe(before + 1);
    // The next poll shares the refresh still hanging: no second request.
    expect(await poll()).toMatchObject({ status: 'fail', stale: true });
    expect(asked()).toBe(before + 1);
    await world.dojo.setDown(false);
    await world.until(async () => (await poll()).stale === false, 10_000, 'the verdict to be fresh again');
  });

  test('a duplicate whose original cannot be read (deleted) still counts as open: a lost original never lifts the gate', async () => {
    const world = await start();
    const id = await leakyPush(world, 'acme/orphan');
    await world.expectFinal(id, 'fail');
    const findingId = world.dojo.state.findings[0]!.id;
    world.dojo.triage(findingId, { duplicate: true, duplicate_finding: 9_999_999, active: false });
    expect(await world.status(id)).toMatchObject({ status: 'fail', stale: false });
    world.dojo.triage(findingId, { duplicate: false, duplicate_finding: null, false_p: true });
    expect(await world.status(id)).toMatchObject({ status: 'success', stale: false });
  });

  test('without server-side deduplication, "new" is SecBot\'s own decision (keyed fingerprint), not DefectDojo\'s', async () => {
    const config = DEFAULT_CONFIG.replace('config: { mode: diff, timeout_seconds: 120 }', 'config: { mode: full, timeout_seconds: 120 }');
    const world = await start({ config, dojo: { enableDeduplication: false, legacy: true } });
    const repo = world.repo('acme/legacy');
    const base = repo.commit({ files: { 'k.env': `K=${fakeAwsKey()}\n` }, message: 'leak' });
    const next = repo.commit({ files: { 'n.txt': 'n\n' }, message: 'next' });
    await world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path: 'acme/legacy', before: '0'.repeat(40), after: base }));
    expect((await world.waitFinal(world.checkId('acme/legacy', base))).findings.filter((f: { new: boolean }) => f.new)).toHaveLength(1);
    await world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path: 'acme/legacy', before: base, after: next }));
    const second = await world.waitFinal(world.checkId('acme/legacy', next));
    expect(second.counts).toMatchObject({ findings: 1, open: 1 });
    expect(second.findings[0].new).toBe(false);
    expect(world.dojo.state.findings.every((f) => !f.duplicate)).toBe(true);
  });
});
