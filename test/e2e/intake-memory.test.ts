/**
 * Memory under hostile deliveries, against the compiled binary (issue 13, item 3). Before the fix, 30 concurrent
 * 25 MB bodies with a wrong X-Gitlab-Token were read whole before the token was checked and took the intake from
 * ~55 MB to over 1.1 GB. Now the token is checked from the headers and a stranger's body is never buffered; bodies
 * with a valid token share SECBOT_INTAKE_BUFFER_BYTES and beyond it get 503 with Retry-After (nothing stored).
 * Memory is read from /proc/<pid>/status: VmHWM is the peak resident size since the process started.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { HEADERS, pushPayload } from '../helpers/payloads.ts';
import type { SecbotProcess } from '../helpers/secbot-process.ts';
import { WEBHOOK_TOKEN, World } from '../helpers/world.ts';

const MiB = 1024 * 1024;
const MAX_BODY = 25 * MiB;
/** Room for one maximal body at a time, so the flood below must be refused in part. */
const BUDGET = 40 * MiB;
/** The stated bound for the wrong-token flood: the peak may grow by less than this (measured: ~2 MiB; before the fix: +1.1 GiB). */
const WRONG_TOKEN_PEAK_GROWTH = 64 * MiB;
/** The stated bound for the valid-token flood with a 40 MiB budget (measured: ~320 MiB; unbounded: 1.9 GiB). */
const VALID_TOKEN_PEAK = 600 * MiB;

function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** A valid push padded with trailing whitespace (still valid JSON) to exactly `size` bytes. */
function paddedPush(w: World, size: number, sha: string): Uint8Array {
  const json = JSON.stringify(pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/big', before: 'b'.repeat(40), after: sha }));
  const body = new Uint8Array(size).fill(0x20);
  body.set(new TextEncoder().encode(json));
  return body;
}

async function flood(w: World, token: string, body: Uint8Array, n: number) {
  const answers = await Promise.all(
    Array.from({ length: n }, async () => {
      const res = await fetch(`${w.intakeUrl}/v1/gitlab/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-token': token, 'x-gitlab-event': HEADERS.push },
        body,
      });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    }),
  );
  return answers;
}

async function bufferedBytes(w: World): Promise<number> {
  const text = await (await fetch(`${w.intakeUrl}/metrics`)).text();
  return Number(/^secbot_intake_buffered_bytes (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Sends the headers of a delivery declaring `declared` bytes and only the first `sent` of them, then holds it. */
function holdOpen(w: World, declared: number, body: Uint8Array): { socket: Socket; answer: Promise<string> } {
  const u = new URL(w.intakeUrl);
  const socket = connect(Number(u.port), u.hostname);
  const head =
    `POST /v1/gitlab/webhook HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nX-Gitlab-Token: ${WEBHOOK_TOKEN}\r\n` +
    `X-Gitlab-Event: ${HEADERS.push}\r\nContent-Length: ${declared}\r\nConnection: close\r\n\r\n`;
  socket.write(head);
  socket.write(body);
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  const answer = new Promise<string>((resolve, reject) => {
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
  return { socket, answer };
}

describe('intake memory under hostile deliveries (compiled binary)', () => {
  let w: World;
  let proc: SecbotProcess;
  beforeAll(async () => {
    w = await World.start({
      db: 'sqlite',
      launch: 'none',
      env: { SECBOT_MAX_BODY_BYTES: String(MAX_BODY), SECBOT_INTAKE_BUFFER_BYTES: String(BUDGET), SECBOT_LOG_LEVEL: 'info' },
    });
    proc = await w.startProcess(['intake']);
  });
  afterAll(async () => w.stop());

  test('30 concurrent 25 MB bodies with a wrong token: all 403, and the peak RSS grows by less than 64 MiB', async () => {
    const before = memory(proc.pid);
    const answers = await flood(w, 'wrong-token-0123456789', paddedPush(w, MAX_BODY, 'a'.repeat(40)), 30);
    for (const a of answers) expect(a).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    const after = memory(proc.pid);
    console.log(`wrong-token flood: VmRSS ${before.rss / MiB | 0} → ${after.rss / MiB | 0} MiB, VmHWM ${before.hwm / MiB | 0} → ${after.hwm / MiB | 0} MiB`);
    expect(after.hwm - before.hwm).toBeLessThan(WRONG_TOKEN_PEAK_GROWTH);
  });

  test('30 concurrent 25 MB bodies with the valid token: beyond the budget 503 with Retry-After, the rest accepted, peak bounded', async () => {
    const answers = await flood(w, WEBHOOK_TOKEN, paddedPush(w, MAX_BODY, 'c'.repeat(40)), 30);
    const after = memory(proc.pid);
    console.log(`valid-token flood: VmHWM ${after.hwm / MiB | 0} MiB; answers ${answers.map((a) => a.status).join(' ')}`);
    const refused = answers.filter((a) => a.status === 503);
    const taken = answers.filter((a) => a.status === 200);
    expect(refused.length + taken.length).toBe(30);
    expect(refused.length).toBeGreaterThan(0);
    expect(taken.length).toBeGreaterThan(0);
    for (const a of refused) {
      expect(a.retryAfter).toMatch(/^\d+$/);
      expect(a.body.code).toBe('OVERLOADED');
      expect(a.body.message).toContain('SECBOT_INTAKE_BUFFER_BYTES');
      expect(a.body.message).toContain('nothing was stored');
    }
    // The same delivery each time: the first taken one is accepted, later ones are recognised as redeliveries.
    expect(taken.map((a) => a.body.status).sort()[0]).toBe('accepted');
    for (const a of taken) expect(['accepted', 'duplicate_delivery']).toContain(a.body.status);
    expect(after.hwm).toBeLessThan(VALID_TOKEN_PEAK);
  });

  test('while one large delivery is held, a second that does not fit gets 503; a small one still gets through', async () => {
    const big = paddedPush(w, 20 * MiB, 'd'.repeat(40));
    const held = holdOpen(w, MAX_BODY, big.subarray(0, 1024));
    await w.until(async () => (await bufferedBytes(w)) >= MAX_BODY, 10_000, 'the held body to take its budget');
    const [refused] = await flood(w, WEBHOOK_TOKEN, big, 1);
    expect(refused).toMatchObject({ status: 503, body: { code: 'OVERLOADED' } });
    expect(refused!.retryAfter).toMatch(/^\d+$/);
    const small = await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/small', before: 'b'.repeat(40), after: 'e'.repeat(40) }));
    expect(small.status).toBe(200);
    expect((await small.json()).status).toBe('accepted');
    // The held delivery completes (its body is not JSON: 400) and gives its budget back.
    held.socket.end(new Uint8Array(MAX_BODY - 1024).fill(0x78));
    expect(await held.answer).toMatch(/^HTTP\/1\.1 400 /);
    await w.until(async () => (await bufferedBytes(w)) === 0, 10_000, 'the budget to be given back');
    const [retried] = await flood(w, WEBHOOK_TOKEN, big, 1);
    expect(retried).toMatchObject({ status: 200, body: { status: 'accepted' } });
  });
});
