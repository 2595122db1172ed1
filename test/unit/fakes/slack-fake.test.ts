import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack.ts';

const TOKEN = 'xoxb-test-token';
let fake: FakeSlack;

function client(token: string | null = TOKEN): WebClient {
  // null, not undefined: undefined would pick up the default parameter.
  return new WebClient(token ?? undefined, {
    slackApiUrl: fake.url,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
}

async function rejection(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected the call to reject');
}

function platformErrorOf(err: Record<string, unknown>): string | undefined {
  expect(err.code).toBe(ErrorCode.PlatformError);
  return (err.data as { error?: string }).error;
}

const rawPost = (body: string, contentType: string) =>
  fetch(`${fake.url}chat.postMessage`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': contentType }, body });

beforeAll(() => {
  fake = startFakeSlack({ token: TOKEN });
});
afterEach(() => {
  fake.setChannels('any');
  fake.messages.length = 0;
  fake.requests.length = 0;
  fake.unexpected.length = 0;
});
afterAll(() => fake.stop());

describe('fake Slack with the real WebClient', () => {
  test('accepts a form-encoded post with blocks and records it', async () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'Secrets detected in group/project' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*2 findings* in push to `main`' } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Rule*\naws-access-token' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'secret redacted' }] },
    ];
    const slack = client();
    const first = await slack.chat.postMessage({ channel: 'C0123456789', text: 'gitleaks: 2 findings', blocks });
    const second = await slack.chat.postMessage({ channel: 'C0123456789', text: 'again', thread_ts: first.ts });
    expect(first.ok).toBe(true);
    expect(first.channel).toBe('C0123456789');
    expect(first.ts).toMatch(/^\d+\.\d{6}$/);
    expect(second.ts).not.toBe(first.ts);
    expect(fake.messages).toHaveLength(2);
    expect(fake.messages[0]).toMatchObject({ channel: 'C0123456789', text: 'gitleaks: 2 findings', blocks, ts: first.ts });
    expect(fake.messages[1]!.threadTs).toBe(first.ts!);
    expect(fake.requests[0]!.contentType).toBe('application/x-www-form-urlencoded');
    expect(fake.unexpected).toEqual([]);
  });

  test('accepts an application/json body with blocks as an array', async () => {
    const res = await rawPost(JSON.stringify({ channel: 'C0123456789', blocks: [{ type: 'divider' }, { type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] }), 'application/json; charset=utf-8');
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0123456789' });
    expect(fake.messages[0]!.blocks).toHaveLength(2);
  });

  test('wrong token → invalid_auth, no token → not_authed', async () => {
    expect(platformErrorOf(await rejection(client('xoxb-wrong').chat.postMessage({ channel: 'C0123456789', text: 'x' })))).toBe('invalid_auth');
    expect(platformErrorOf(await rejection(client(null).chat.postMessage({ channel: 'C0123456789', text: 'x' })))).toBe('not_authed');
    expect(fake.messages).toEqual([]);
  });

  test('channel rules: unknown → channel_not_found, not a member → not_in_channel, names resolve to ids', async () => {
    fake.setChannels([{ id: 'C0SECBOT01', name: 'secbot-alerts' }, { id: 'G0PRIVATE1', name: 'private', member: false }]);
    const slack = client();
    expect(platformErrorOf(await rejection(slack.chat.postMessage({ channel: 'C0NOPE0001', text: 'x' })))).toBe('channel_not_found');
    expect(platformErrorOf(await rejection(slack.chat.postMessage({ channel: 'G0PRIVATE1', text: 'x' })))).toBe('not_in_channel');
    const ok = await slack.chat.postMessage({ channel: '#secbot-alerts', text: 'x' });
    expect(ok.channel).toBe('C0SECBOT01');
    expect(platformErrorOf(await rejection(slack.apiCall('chat.postMessage', { text: 'no channel' })))).toBe('channel_not_found');
  });

  test('429 surfaces as slack_webapi_rate_limited_error with retryAfter', async () => {
    fake.failNext(1, { retryAfter: 7 });
    const err = await rejection(client().chat.postMessage({ channel: 'C0123456789', text: 'x' }));
    expect(err.code).toBe(ErrorCode.RateLimitedError);
    expect(err.retryAfter).toBe(7);
    const after = await client().chat.postMessage({ channel: 'C0123456789', text: 'x' });
    expect(after.ok).toBe(true);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  test('failNext: 503, a platform error, and a channel-scoped failure', async () => {
    const slack = client();
    fake.failNext(1, { status: 503 });
    const http = await rejection(slack.chat.postMessage({ channel: 'C0123456789', text: 'x' }));
    expect(http.code).toBe(ErrorCode.HTTPError);
    expect(http.statusCode).toBe(503);
    fake.failNext(1, { error: 'is_archived' });
    expect(platformErrorOf(await rejection(slack.chat.postMessage({ channel: 'C0123456789', text: 'x' })))).toBe('is_archived');
    fake.failNext(1, { channel: 'C0OTHER001', retryAfter: 2 });
    await slack.chat.postMessage({ channel: 'C0123456789', text: 'unaffected' });
    expect((await rejection(slack.chat.postMessage({ channel: 'C0OTHER001', text: 'x' }))).code).toBe(ErrorCode.RateLimitedError);
    expect(fake.messages.map((m) => m.text)).toEqual(['unaffected']);
  });

  test('rejects what Slack rejects: no_text, bad blocks JSON, block limits', async () => {
    const slack = client();
    const post = (blocks: unknown[]) => slack.chat.postMessage({ channel: 'C0123456789', text: 'fallback', blocks: blocks as never });
    const errorOf = async (blocks: unknown[]) => platformErrorOf(await rejection(post(blocks)));
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const header = (text: string, type = 'plain_text') => ({ type: 'header', text: { type, text } });
    const fields = (n: number) => ({ type: 'section', fields: Array.from({ length: n }, (_, i) => ({ type: 'mrkdwn', text: `f${i}` })) });

    expect(platformErrorOf(await rejection(slack.apiCall('chat.postMessage', { channel: 'C0123456789' })))).toBe('no_text');
    expect(await (await rawPost('channel=C0123456789&text=x&blocks=%5Bnot-json', 'application/x-www-form-urlencoded')).json()).toEqual({ ok: false, error: 'invalid_blocks_format' });

    expect(await errorOf(Array.from({ length: 51 }, () => ({ type: 'divider' })))).toBe('invalid_blocks');
    expect(await errorOf([section('x'.repeat(3001))])).toBe('invalid_blocks');
    expect(await errorOf([header('h'.repeat(151))])).toBe('invalid_blocks');
    expect(await errorOf([header('bold', 'mrkdwn')])).toBe('invalid_blocks');
    expect(await errorOf([fields(11)])).toBe('invalid_blocks');
    const detail = await rejection(post([section('x'.repeat(3001))]));
    expect((detail.data as { errors: string[] }).errors).toEqual(['must be less than 3001 characters [json-pointer:/blocks/0/text/text]']);
    expect(fake.messages).toEqual([]);

    // Exactly at each limit is accepted.
    await post(Array.from({ length: 50 }, () => ({ type: 'divider' })));
    await post([section('x'.repeat(3000)), header('h'.repeat(150)), fields(10)]);
    expect(fake.messages).toHaveLength(2);
  });

  test('unknown methods are recorded as unexpected and answered 404', async () => {
    const res = await fetch(`${fake.url}conversations.list`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
    expect(fake.unexpected).toEqual([{ method: 'POST', path: '/api/conversations.list', reason: 'unknown method or path' }]);
  });
});
