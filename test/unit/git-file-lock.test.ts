import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../../src/clients/git/file-lock.ts';
import { RetryableError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'secbot-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flock-based locks', () => {
  test('exclusive excludes everyone; shared admits shared only', async () => {
    const path = join(dir, 'a.lock');
    const ex = await acquireLock(path, 'exclusive', { wait: false });
    expect(ex).not.toBeNull();
    expect(await acquireLock(path, 'shared', { wait: false })).toBeNull();
    expect(await acquireLock(path, 'exclusive', { wait: false })).toBeNull();
    await ex!.release();
    const s1 = await acquireLock(path, 'shared', { wait: false });
    const s2 = await acquireLock(path, 'shared', { wait: false });
    expect(s1).not.toBeNull();
    expect(s2).not.toBeNull();
    expect(await acquireLock(path, 'exclusive', { wait: false })).toBeNull();
    await Promise.all([s1!.release(), s2!.release()]);
    const again = await acquireLock(path, 'exclusive', { wait: false });
    expect(again).not.toBeNull();
    await again!.release();
  });

  test('a waiter gets the lock as soon as it is released', async () => {
    const path = join(dir, 'b.lock');
    const first = (await acquireLock(path, 'exclusive', { wait: true }))!;
    let got = false;
    const waiting = acquireLock(path, 'exclusive', { wait: true, timeoutMs: 10_000 }).then((l) => {
      got = true;
      return l!;
    });
    await Bun.sleep(100);
    expect(got).toBe(false);
    await first.release();
    await (await waiting).release();
    expect(got).toBe(true);
  });

  test('waiting too long is a RetryableError; aborting stops the wait', async () => {
    const path = join(dir, 'c.lock');
    const held = (await acquireLock(path, 'exclusive', { wait: true }))!;
    await expect(acquireLock(path, 'shared', { wait: true, timeoutMs: 1000, what: 'the mirror of g/p' })).rejects.toThrow(
      new RetryableError('the mirror of g/p stayed locked by another worker for 1s; will retry'),
    );
    const controller = new AbortController();
    const reason = new Error('shutdown');
    setTimeout(() => controller.abort(reason), 50);
    await expect(acquireLock(path, 'shared', { wait: true, signal: controller.signal })).rejects.toBe(reason);
    await held.release();
  });

  test('the lock dies with its holder process (no stale lock after a crash)', async () => {
    const path = join(dir, 'd.lock');
    // Another holder, built like SecBot's, is killed without releasing anything.
    const other = Bun.spawn(['flock', '--close', '--exclusive', path, 'cat'], { stdin: 'pipe' });
    await Bun.sleep(150);
    expect(await acquireLock(path, 'exclusive', { wait: false })).toBeNull();
    other.kill('SIGKILL');
    await other.exited;
    await other.stdin.end(); // lets the orphaned `cat` go too
    const mine = await acquireLock(path, 'exclusive', { wait: true, timeoutMs: 5000 });
    expect(mine).not.toBeNull();
    await mine!.release();
  });

  test('a lock file deleted by its holder: a waiter starts over on the new file and never shares a lock', async () => {
    const path = join(dir, 'e.lock');
    const deleter = (await acquireLock(path, 'exclusive', { wait: true }))!;
    let waiterHolds = false;
    const waiter = acquireLock(path, 'exclusive', { wait: true, timeoutMs: 10_000 }).then((l) => {
      waiterHolds = true;
      return l!;
    });
    await Bun.sleep(150);
    rmSync(path);
    // A newcomer creates the file anew and takes its lock while the waiter still waits on the deleted one.
    const newcomer = (await acquireLock(path, 'exclusive', { wait: true, timeoutMs: 5000 }))!;
    await deleter.release();
    await Bun.sleep(300);
    expect(waiterHolds).toBe(false);
    await newcomer.release();
    const w = await waiter;
    expect(waiterHolds).toBe(true);
    expect(await acquireLock(path, 'shared', { wait: false })).toBeNull();
    await w.release();
  });
});
