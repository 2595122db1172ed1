/**
 * Fault tests against the compiled binary (issue #8), on SQLite and Postgres: a worker SIGKILLed in the middle of
 * a scan, of a DefectDojo import and of a Slack post. Each time the check must still end with the right verdict,
 * with exactly one DefectDojo test per (check, scan) and at most one Slack message per channel.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { DB_KINDS, type DbKind } from '../helpers/db.ts';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { DEFAULT_CONFIG, World, writeDiagnostic } from '../helpers/world.ts';

const FAST = { SECBOT_LEASE_MS: '2000', SECBOT_POLL_MS: '100', SECBOT_LOG_LEVEL: 'info' };
const GRACE_CONFIG = DEFAULT_CONFIG.replace('handler_name: defectdojo\n', 'handler_name: defectdojo\n    config: { import_grace_seconds: 8, timeout_seconds: 2 }\n');

let w: World | null = null;
afterEach(async () => {
  await w?.stop();
  w = null;
});

/** intake, results and a victim worker as separate processes; arms a fault, pushes a leak, kills the victim. */
async function killWorkerDuring(kind: DbKind, arm: (w: World) => void, reached: (w: World) => boolean) {
  w = await World.start({ db: kind, launch: 'none', env: FAST, config: GRACE_CONFIG });
  await w.startProcess(['intake']);
  await w.startProcess(['results']);
  const victim = await w.startProcess(['worker']);
  const repo = w.repo('acme/faulty');
  const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
  const leak = repo.commit({ files: { 'prod.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'leak' });
  arm(w);
  const res = await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/faulty', before: base, after: leak }));
  expect(res.status).toBe(200);
  const world = w;
  await world.until(() => reached(world), 20_000, 'the fault point');
  victim.kill('SIGKILL');
  await victim.waitExit();
  await world.startProcess(['worker']);
  const id = world.checkId('acme/faulty', leak);
  await world.waitFinal(id, 60_000);
  await world.until(async () => ['done', 'failed'].includes((await world.status(id)).notifications[0]?.state), 30_000, 'notification settled');
  const st = await world.status(id);
  // Every leak pushed here must fail the check: if one ever does not, leave what the processes said in the test log.
  if (st.status !== 'fail') writeDiagnostic(`faults: unexpected verdict\n${world.logs.slice(-80).join('\n')}\nanswer: ${JSON.stringify(st)}`);
  return { world, id, st };
}

/** `secbot all` with a leak pushed after `arm` set up a fault; returns the final status once notifications settled. */
async function leakThroughAll(kind: DbKind, arm: (w: World) => void, env: Record<string, string> = {}) {
  w = await World.start({ db: kind, launch: 'binary', env: { ...FAST, ...env }, config: GRACE_CONFIG });
  const world = w;
  const repo = world.repo('acme/outage');
  const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
  const leak = repo.commit({ files: { 'prod.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'leak' });
  arm(world);
  await world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path: 'acme/outage', before: base, after: leak }));
  const id = world.checkId('acme/outage', leak);
  await world.waitFinal(id, 60_000);
  await world.until(async () => ['done', 'failed', 'cancelled'].includes((await world.status(id)).notifications[0]?.state), 30_000, 'notification settled');
  return { world, st: await world.status(id) };
}

for (const kind of DB_KINDS) {
  describe(`outages of DefectDojo and Slack on ${kind}`, () => {
    test('DefectDojo answers 500 and times out for a while, then recovers: the check completes with one test', async () => {
      const { world, st } = await leakThroughAll(kind, (x) => {
        x.dojo.failNext(2, { status: 500, pathPrefix: '/api/v2/product_types' });
        x.dojo.failNext(1, { delayMs: 3000, pathPrefix: '/api/v2/products' });
        x.dojo.failNext(1, { status: 502, pathPrefix: '/api/v2/import-scan' });
      });
      expect(st.status).toBe('fail');
      expect(st.outputs[0].attempts).toBeGreaterThan(1);
      expect(world.dojo.state.tests).toHaveLength(1);
      expect(world.slack.messages).toHaveLength(1);
    });

    test('DefectDojo never recovers: the check ends in error after the configured attempts, saying why', async () => {
      const { world, st } = await leakThroughAll(kind, (x) => x.dojo.failNext(1000, { status: 500 }), { SECBOT_TASK_MAX_ATTEMPTS: '3' });
      expect(st.status).toBe('error');
      expect(st.outputs[0]).toMatchObject({ state: 'failed', attempts: 3 });
      expect(st.reason).toContain('DefectDojo answered 500');
      expect(world.slack.messages).toHaveLength(0);
    });

    test('Slack 429 with Retry-After is honoured and gives one message', async () => {
      const { world, st } = await leakThroughAll(kind, (x) => x.slack.failNext(2, { status: 429, retryAfter: 1 }));
      expect(st.notifications[0].state).toBe('done');
      expect(world.slack.messages).toHaveLength(1);
      const times = world.slack.requests.map((r) => r.receivedAt.getTime());
      expect(times[times.length - 1]! - times[0]!).toBeGreaterThanOrEqual(1800);
    });
  });

  describe(`worker killed mid-task on ${kind}`, () => {
    test('in the middle of a scan (git fetch in flight): the scan runs again and the check completes', async () => {
      const { world, st } = await killWorkerDuring(
        kind,
        (x) => x.gitlab.holdNext(1, 3000),
        (x) => x.gitlab.requests.length > 0,
      );
      expect(st.status).toBe('fail');
      expect(st.scans[0].attempts).toBe(2);
      expect(world.dojo.state.tests).toHaveLength(1);
      expect(world.slack.messages).toHaveLength(1);
    });

    test('in the middle of a DefectDojo import: no second test is created', async () => {
      const { world, st } = await killWorkerDuring(
        kind,
        (x) => x.dojo.failNext(1, { delayMs: 3000, pathPrefix: '/api/v2/import-scan' }),
        (x) => x.dojo.requests.some((r) => r.path.startsWith('/api/v2/import-scan')),
      );
      expect(st.status).toBe('fail');
      expect(world.dojo.state.tests).toHaveLength(1);
      expect(world.dojo.requests.filter((r) => r.path.startsWith('/api/v2/import-scan'))).toHaveLength(1);
      expect(world.slack.messages).toHaveLength(1);
    });

    test('after Slack stored the post but before the worker recorded it: no second message', async () => {
      const { world, st } = await killWorkerDuring(
        kind,
        (x) => x.slack.holdNext(1, 3000),
        (x) => x.slack.messages.length === 1,
      );
      expect(st.status).toBe('fail');
      await Bun.sleep(500);
      expect(world.slack.messages).toHaveLength(1);
      expect(st.notifications[0].channels[0]).toMatchObject({ state: 'uncertain' });
      expect(world.dojo.state.tests).toHaveLength(1);
    });
  });
}
