/**
 * Restarts under load, against the compiled binary (issue #8): Postgres stopped and started while webhooks arrive
 * (every delivery answered 200 is kept and completed, the others got 503, workers resume by themselves), and SIGTERM
 * of each role while work is in flight (no accepted delivery lost, no task left running).
 */
import { afterEach, describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import { startPrivatePostgres } from '../helpers/private-postgres.ts';
import { World } from '../helpers/world.ts';

const FAST = { SECBOT_LEASE_MS: '2000', SECBOT_POLL_MS: '100', SECBOT_LOG_LEVEL: 'info', SECBOT_SHUTDOWN_GRACE_MS: '8000' };

let w: World | null = null;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await w?.stop();
  w = null;
  for (const c of cleanups.splice(0)) c();
});


async function pgReady(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
      await sql`select 1`;
      await sql.end();
      return;
    } catch {
      await Bun.sleep(200);
    }
  }
  throw new Error('postgres did not come back');
}

/** Makes `n` clean commits on a fresh project and returns a function delivering push i (before = commit i-1). */
function commits(world: World, path: string, n: number) {
  const repo = world.repo(path);
  const shas = [repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' })];
  for (let i = 1; i <= n; i++) shas.push(repo.commit({ files: { [`f${i}.txt`]: `${i}\n` }, message: `c${i}` }));
  const deliver = async (i: number, url = world.intakeUrl): Promise<number> => {
    try {
      const res = await fetch(`${url}/v1/gitlab/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-token': 'whsec-test-0123456789abcdef', 'x-gitlab-event': HEADERS.push },
        body: JSON.stringify(pushPayload({ gitlabUrl: world.gitlab.url, path, before: shas[i - 1]!, after: shas[i]! })),
      });
      return res.status;
    } catch {
      return 0;
    }
  };
  return { shas, deliver };
}

async function allFinal(world: World, ids: string[], timeoutMs = 90_000): Promise<void> {
  for (const id of ids) expect(['success', 'fail']).toContain((await world.waitFinal(id, timeoutMs)).status);
}

describe('restarts under load', () => {
  test('Postgres stopped and started under webhook load: nothing answered 200 is lost, workers resume', async () => {
    // A server of this test's own: stopping the shared one would break everything else using it meanwhile.
    const pg = startPrivatePostgres();
    cleanups.push(() => pg.destroy());
    w = await World.start({ db: 'postgres', launch: 'none', env: FAST, databaseUrl: pg.url });
    const world = w;
    await world.startProcess(['intake']);
    await world.startProcess(['results']);
    await world.startProcess(['worker']);
    const { shas, deliver } = commits(world, 'acme/pgload', 40);
    const statuses: Promise<number>[] = [];
    for (let i = 1; i <= 40; i++) {
      statuses.push(deliver(i));
      if (i === 12) pg.stop();
      // Keep the database down longer than the client's connect timeout (5 s): deliveries in that window get 503.
      if (i === 20) await Bun.sleep(6500);
      if (i === 28) {
        pg.start();
        await pgReady(world.env.SECBOT_DATABASE_URL!);
      }
      await Bun.sleep(60);
    }
    const answered = await Promise.all(statuses);
    expect(answered.every((s) => s === 200 || s === 503)).toBe(true);
    expect(answered.filter((s) => s === 503).length).toBeGreaterThan(0);
    const accepted = answered.flatMap((s, i) => (s === 200 ? [world.checkId('acme/pgload', shas[i + 1]!)] : []));
    expect(accepted.length).toBeGreaterThan(10);
    await allFinal(world, accepted);
  }, 180_000);

  test('SIGTERM of intake, worker and results while work is in flight: no accepted delivery lost, no task stuck', async () => {
    w = await World.start({ db: 'postgres', launch: 'none', env: FAST });
    const world = w;
    const intake = await world.startProcess(['intake']);
    const results = await world.startProcess(['results']);
    const worker = await world.startProcess(['worker']);
    const { shas, deliver } = commits(world, 'acme/termload', 30);
    const firstUrl = world.intakeUrl;
    const first = Array.from({ length: 15 }, (_, k) => deliver(k + 1, firstUrl));
    await Bun.sleep(30);
    intake.kill('SIGTERM');
    worker.kill('SIGTERM');
    results.kill('SIGTERM');
    const answeredFirst = await Promise.all(first);
    for (const p of [intake, worker, results]) {
      const code = await p.waitExit(15_000);
      if (code !== 0) console.error(world.logs.filter((l) => l.includes('shutdown') || l.includes('error')).slice(-10).join('\n'));
      expect(code).toBe(0);
    }
    await world.startProcess(['intake']);
    await world.startProcess(['results']);
    await world.startProcess(['worker']);
    const answeredSecond = await Promise.all(Array.from({ length: 15 }, (_, k) => deliver(k + 16)));
    const answered = [...answeredFirst, ...answeredSecond];
    expect(answered.every((s) => s === 200 || s === 0)).toBe(true);
    const accepted = answered.flatMap((s, i) => (s === 200 ? [world.checkId('acme/termload', shas[i + 1]!)] : []));
    expect(accepted.length).toBeGreaterThanOrEqual(15);
    await allFinal(world, accepted);
    // Gates are final once scans and outputs are; notifications may still be finishing: give them their lease.
    const sql = postgres(world.env.SECBOT_DATABASE_URL!, { max: 1, onnotice: () => {} });
    const unfinished = async () => (await sql`select count(*)::int as n from tasks where state in ('running', 'queued', 'blocked')`)[0]!.n as number;
    await world.until(async () => (await unfinished()) === 0, 15_000, 'every task finished').catch(() => {});
    const stuck = await unfinished();
    await sql.end();
    expect(stuck).toBe(0);
  }, 180_000);
});
