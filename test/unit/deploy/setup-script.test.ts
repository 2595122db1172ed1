/**
 * scripts/setup.sh's Go check (scripts/lib/go-check.sh) with fake `go` binaries: Debian 12's Go 1.19 cannot build
 * gitleaks v8.30.1 and the script says how to fix it; Go 1.21+ is told to fetch the toolchain gitleaks asks for.
 * And setup says where bun and secbot are, since it puts nothing on PATH.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { read, ROOT } from './deploy-helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'secbot-setup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs check_go with `go` reporting `version` (or no go at all) first on PATH. */
function checkGo(version: string | null, env: Record<string, string> = {}) {
  const bin = join(tmp, version ?? 'none');
  mkdirSync(bin, { recursive: true });
  if (version) {
    writeFileSync(join(bin, 'go'), `#!/bin/sh\necho "go version go${version} linux/amd64"\n`);
    chmodSync(join(bin, 'go'), 0o755);
  }
  const script = `GITLEAKS_VERSION=v8.30.1; GITLEAKS_GO=1.24.11; . "${ROOT}/scripts/lib/go-check.sh"; check_go; echo "toolchain=$go_toolchain"`;
  // PATH without any real go: only the fake (and the coreutils the check uses).
  const p = Bun.spawnSync(['bash', '-c', script], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, stdout: 'pipe', stderr: 'pipe' });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe('setup: the Go that builds gitleaks', () => {
  test('the pins agree: setup.sh names the Go version gitleaks v8.30.1 needs', () => {
    expect(read('scripts/setup.sh')).toMatch(/^GITLEAKS_VERSION=v8\.30\.1$/m);
    expect(read('scripts/setup.sh')).toMatch(/^GITLEAKS_GO=1\.24\.11$/m);
  });

  test("Debian 12's Go 1.19: stops and explains the fix", () => {
    const r = checkGo('1.19.8');
    expect(r.code).toBe(1);
    expect(r.err).toContain('go 1.19.8 is too old to build gitleaks v8.30.1 (it needs Go 1.24.11');
    expect(r.err).toContain('https://go.dev/dl/');
    expect(r.err).toContain('bookworm-backports');
  });

  test('no Go at all: says so, with the same fix', () => {
    const r = checkGo(null);
    expect(r.code).toBe(1);
    expect(r.err).toContain('go is not installed');
    expect(r.err).toContain('https://go.dev/dl/');
  });

  test('Go 1.22: builds with the toolchain gitleaks asks for, fetched by go itself (even under GOTOOLCHAIN=local)', () => {
    const r = checkGo('1.22.3', { GOTOOLCHAIN: 'local' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('toolchain=go1.24.11+auto');
    expect(r.err).toContain('go will download go1.24.11');
  });

  test('Go 1.24.11 or newer: used as it is', () => {
    expect(checkGo('1.24.11').out).toContain('toolchain=auto');
    expect(checkGo('1.26.8', { GOTOOLCHAIN: 'local' }).out).toContain('toolchain=local');
  });
});

test('setup says where bun, gitleaks and secbot are and how to put them on PATH', () => {
  const s = read('scripts/setup.sh');
  for (const part of ['bun       $bun_bin', 'secbot    $root/dist/secbot', 'export PATH="$root/dist:$root/scripts/toolchain/node_modules/.bin:$root/.tools/bin']) expect(s).toContain(part);
});
