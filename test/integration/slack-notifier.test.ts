/**
 * The Slack notifier against the fake Slack (issue #6): one message per channel covering every scan of the job,
 * a missing channel does not stop the others (nor change the gate), a 429 is waited out by rescheduling and still
 * gives exactly one message, and render_limit caps the list with a "stripped" line.
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

async function pushLeaks(world: World, path: string, files: Record<string, string>) {
  const repo = world.repo(path);
  const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
  const head = repo.commit({ files, message: 'leaks' });
  await world.deliver(HEADERS.push, pushPayload({ gitlabUrl: world.gitlab.url, path, before: base, after: head }));
  const id = world.checkId(path, head);
  await world.waitFinal(id);
  await world.until(async () => ['done', 'failed'].includes((await world.status(id)).notifications[0]?.state), 20_000, 'notification settled');
  return { id, st: await world.status(id) };
}

const textOf = (m: { blocks: unknown[] | undefined }) => JSON.stringify(m.blocks);

describe('Slack notifier', () => {
  test('two channels where one does not exist: the other gets its message, the gate is unchanged', async () => {
    const config = DEFAULT_CONFIG.replace('channels: [security-alerts]', 'channels: [security-alerts, gone-channel]');
    const world = await start({ config, slackChannels: ['security-alerts'] });
    const { st } = await pushLeaks(world, 'acme/two', { 'a.env': `K=${fakeAwsKey()}\n` });
    expect(st.status).toBe('fail');
    expect(world.slack.messages).toHaveLength(1);
    const n = st.notifications[0];
    expect(n.state).toBe('failed');
    expect(n.error).toContain('channel_not_found');
    expect(n.error).toContain('gone-channel');
    expect(n.channels).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: 'security-alerts', state: 'sent' }),
        expect.objectContaining({ channel: 'gone-channel', state: 'failed' }),
      ]),
    );
  });

  test('429 with Retry-After is waited out by rescheduling: exactly one message, no attempt used', async () => {
    const world = await start();
    world.slack.failNext(1, { status: 429, retryAfter: 1 });
    const { st } = await pushLeaks(world, 'acme/ratelimited', { 'a.env': `K=${fakeAwsKey()}\n` });
    expect(world.slack.messages).toHaveLength(1);
    expect(world.slack.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(st.notifications[0]).toMatchObject({ state: 'done', attempts: 1 });
    const gap = world.slack.requests[1]!.receivedAt.getTime() - world.slack.requests[0]!.receivedAt.getTime();
    expect(gap).toBeGreaterThanOrEqual(900);
  });

  test('one message covers every scan of the job, with per-scan counts and render_limit', async () => {
    const config = DEFAULT_CONFIG.replace('render_limit: 10', 'render_limit: 2')
      .replace('  defectdojo:\n', '  gitleaks-full:\n    handler_name: gitleaks\n    config: { mode: full }\n  defectdojo:\n')
      .replace('scans: [gitleaks]', 'scans: [gitleaks, gitleaks-full]');
    const world = await start({ config });
    const files = { 'a.env': `A=${fakeAwsKey()}\n`, 'b.py': `t = "${fakeGithubPat()}"\n`, 'c.env': `C=${fakeAwsKey()}\n` };
    const { st } = await pushLeaks(world, 'acme/multi', files);
    expect(st.scans.map((s: { name: string }) => s.name).sort()).toEqual(['gitleaks', 'gitleaks-full']);
    expect(world.slack.messages).toHaveLength(1);
    const text = textOf(world.slack.messages[0]!);
    expect(text).toContain('*gitleaks* found');
    expect(text).toContain('*gitleaks-full* found');
    expect(text).toMatch(/\*1\* were \*stripped\*/);
    expect(world.dojo.state.tests).toHaveLength(2);
  });
});
