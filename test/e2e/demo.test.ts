/** scripts/demo.ts (issue 15): one command shows the whole flow end in a `fail` with the planted finding. */
import { expect, test } from 'bun:test';
import { join } from 'node:path';

test('the demo pushes a leaking commit through SecBot and prints the failing gate answer', async () => {
  const root = join(import.meta.dir, '..', '..');
  const proc = Bun.spawn(['bun', join(root, 'scripts', 'demo.ts'), '--exit'], { cwd: root, stdout: 'pipe', stderr: 'pipe', env: process.env });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
  expect(out).toContain('answered 200');
  expect(out).toContain('status: fail');
  expect(out).toMatch(/finding: \[High\] aws-access-token in deploy\/prod\.env:2, commit [0-9a-f]{8}/);
  expect(out).toContain('/checks/GIT_LOCAL_');
  expect(out).not.toMatch(/AKIA[A-Z2-7]{16}/);
}, 120_000);
