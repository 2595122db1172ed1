/** readBodyLimited() and readBodyHeld(): stop at the limit whatever Content-Length says; share a byte budget. */
import { describe, expect, test } from 'bun:test';
import { BodyBudget, BodyTooLarge, BudgetExhausted, readBodyHeld, readBodyLimited } from '../../../src/http/body.ts';

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

describe('readBodyHeld under a shared budget', () => {
  test('a declared body takes its Content-Length before reading and gives it back on release', async () => {
    const budget = new BodyBudget(100);
    const held = await readBodyHeld(post('x'.repeat(60), { 'content-length': '60' }), 100, budget);
    expect(held.text).toBe('x'.repeat(60));
    expect(budget.inUse).toBe(60);
    held.release();
    held.release();
    expect(budget.inUse).toBe(0);
  });

  test('a declared body that does not fit is refused before a byte is read, and nothing stays taken', async () => {
    const budget = new BodyBudget(100);
    expect(budget.tryTake(50)).toBe(true);
    // A body that never delivers a byte: reading it would hang, so only the budget can refuse it.
    const stalled = new ReadableStream<Uint8Array>({ pull: () => new Promise<void>(() => {}) });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the body was read')), 1000);
    });
    let error: unknown;
    await Promise.race([readBodyHeld(post(stalled, { 'content-length': '60' }), 100, budget), timeout])
      .catch((e) => (error = e))
      .finally(() => clearTimeout(timer));
    expect(error).toBeInstanceOf(BudgetExhausted);
    expect((error as Error).message).toContain('SECBOT_INTAKE_BUFFER_BYTES');
    expect(budget.inUse).toBe(50);
  });

  test('a chunked body takes bytes as they arrive and gives them all back when the budget runs out midway', async () => {
    const budget = new BodyBudget(100);
    expect(budget.tryTake(30)).toBe(true);
    const { stream, state } = streamed(['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)]);
    let error: unknown;
    await readBodyHeld(post(stream), 1000, budget).catch((e) => (error = e));
    expect(error).toBeInstanceOf(BudgetExhausted);
    expect(state.cancelled).toBe(true);
    expect(budget.inUse).toBe(30);
  });

  test('a body over the limit gives back what it took', async () => {
    const budget = new BodyBudget(1000);
    const { stream } = streamed(['a'.repeat(50), 'b'.repeat(50)]);
    await rejection(readBodyHeld(post(stream), 64, budget));
    expect(budget.inUse).toBe(0);
  });

  test('concurrent bodies share the budget', async () => {
    const budget = new BodyBudget(100);
    const a = await readBodyHeld(post('a'.repeat(70), { 'content-length': '70' }), 100, budget);
    await expect(readBodyHeld(post('b'.repeat(40), { 'content-length': '40' }), 100, budget)).rejects.toBeInstanceOf(BudgetExhausted);
    const c = await readBodyHeld(post('c'.repeat(30), { 'content-length': '30' }), 100, budget);
    expect(budget.inUse).toBe(100);
    a.release();
    c.release();
    expect(budget.inUse).toBe(0);
  });
});
