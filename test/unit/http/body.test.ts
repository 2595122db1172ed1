/** readBodyLimited(): stops at the limit whatever Content-Length says. */
import { describe, expect, test } from 'bun:test';
import { BodyTooLarge, readBodyLimited } from '../../../src/http/body.ts';

const URL_ = 'http://secbot.test/v1/gitlab/webhook';

function post(body: RequestInit['body'], headers: Record<string, string> = {}): Request {
  return new Request(URL_, { method: 'POST', body, headers });
}

/** A streamed body delivered in the given chunks, recording whether the reader cancelled it. */
function streamed(chunks: (string | Uint8Array)[]) {
  const state = { pulled: 0, cancelled: false };
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[state.pulled++];
      if (next === undefined) controller.close();
      else controller.enqueue(typeof next === 'string' ? enc.encode(next) : next);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

async function rejection(p: Promise<unknown>): Promise<BodyTooLarge> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BodyTooLarge);
    return err as BodyTooLarge;
  }
  throw new Error('expected BodyTooLarge');
}

describe('readBodyLimited', () => {
  test('a body of exactly the limit is read', async () => {
    expect(await readBodyLimited(post('x'.repeat(64), { 'content-length': '64' }), 64)).toBe('x'.repeat(64));
  });

  test('a body under the limit is read', async () => {
    expect(await readBodyLimited(post('{"object_kind":"push"}'), 1024)).toBe('{"object_kind":"push"}');
  });

  test('no body → empty string', async () => {
    expect(await readBodyLimited(new Request(URL_, { method: 'POST' }), 10)).toBe('');
  });

  test('Content-Length over the limit is refused before reading', async () => {
    // A body that never delivers a byte: reading it would hang, so only the header can refuse it.
    const stalled = new ReadableStream<Uint8Array>({ pull: () => new Promise<void>(() => {}) });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the body was read')), 1000);
    });
    const err = await rejection(Promise.race([readBodyLimited(post(stalled, { 'content-length': '65' }), 64), timeout])).finally(() => clearTimeout(timer));
    expect(err.limit).toBe(64);
    expect(err.message).toContain('64 bytes');
    expect(err.message).toContain('SECBOT_MAX_BODY_BYTES');
  });

  test('a body one byte over the limit is refused', async () => {
    await rejection(readBodyLimited(post('x'.repeat(65)), 64));
  });

  test('a streamed body over the limit is refused and the stream cancelled', async () => {
    const { stream, state } = streamed(['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40), 'd'.repeat(40)]);
    await rejection(readBodyLimited(post(stream), 64));
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(4);
  });

  test('a Content-Length that understates the body does not help', async () => {
    const { stream } = streamed(['a'.repeat(50), 'b'.repeat(50)]);
    await rejection(readBodyLimited(post(stream, { 'content-length': '10' }), 64));
  });

  test('a streamed body of exactly the limit, in chunks, is read whole', async () => {
    const { stream } = streamed(['a'.repeat(30), 'b'.repeat(30), 'c'.repeat(4)]);
    expect(await readBodyLimited(post(stream), 64)).toBe(`${'a'.repeat(30)}${'b'.repeat(30)}cccc`);
  });

  test('the limit counts bytes, not characters', async () => {
    const text = 'é'.repeat(32); // 64 bytes in UTF-8
    expect(await readBodyLimited(post(text), 64)).toBe(text);
    await rejection(readBodyLimited(post(`${text}é`), 64));
  });

  test('a multi-byte character split across chunks is decoded correctly', async () => {
    const bytes = new TextEncoder().encode('{"user_name":"Jürgen ✓"}');
    const cut = bytes.indexOf(0xc3) + 1; // inside "ü"
    const { stream } = streamed([bytes.slice(0, cut), bytes.slice(cut)]);
    expect(await readBodyLimited(post(stream), 1024)).toBe('{"user_name":"Jürgen ✓"}');
  });
});
