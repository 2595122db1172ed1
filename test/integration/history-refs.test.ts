/**
 * The refs SecBot pins in a mirror (history-refs.ts) on a real repository: an incremental update from the state
 * file, recovery when the file lies or is broken, commits the mirror lacks, and the range walk's boundary.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitEnv } from '../../src/clients/git/git-env.ts';
import type { Mirror } from '../../src/clients/git/mirror-cache.ts';
import { localGit } from '../../src/clients/git/mirror-git.ts';
import { coveredPrefix, leakPrefix, pinnedAncestors, pinRefs, walkRange } from '../../src/plugins/scanners/gitleaks/history-refs.ts';
import { createBareRepo, gitSync } from '../helpers/git-repo.ts';

const dir = mkdtempSync(join(tmpdir(), 'secbot-refs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mirrorOf(path: string): Mirror {
  const runner = { gitBin: 'git', home: dir, signal: new AbortController().signal, timeoutMs: 30_000 };
  return { path, key: 'k', env: gitEnv(dir), git: (args, ok, stdin) => localGit(runner, path, args, ok, stdin) };
}

const refs = (path: string, prefix: string) =>
  gitSync(['--git-dir', path, 'for-each-ref', '--format=%(objectname)', prefix]).stdout.split('\n').filter(Boolean).sort();

test('pins follow the database, incrementally or in full, whatever the state file says', async () => {
  const repo = createBareRepo(join(dir, 'r'), 'acme/refs');
  const c = [1, 2, 3, 4].map((i) => repo.commit({ files: { [`f${i}`]: `${i}\n` }, message: `c${i}` }));
  const m = mirrorOf(repo.path);
  const cov = coveredPrefix('gitleaks');
  const lk = leakPrefix('gitleaks');
  expect(await pinRefs(m, [{ prefix: cov, commits: [c[0]!] }, { prefix: lk, commits: [] }])).toEqual({ pinned: 1, absent: 0 });
  // Incremental: one more, one gone, one the mirror does not have.
  const missing = 'f'.repeat(40);
  expect(await pinRefs(m, [{ prefix: cov, commits: [c[2]!, missing] }, { prefix: lk, commits: [c[1]!] }])).toEqual({ pinned: 2, absent: 1 });
  expect(refs(repo.path, cov)).toEqual([c[2]!]);
  expect(refs(repo.path, lk)).toEqual([c[1]!]);
  // A crash between update-ref and writing the state file leaves the file one step behind the refs: every wanted
  // ref is there after the next pin (a ref the file forgot may stay: it names a commit the database vouched for).
  const behind = readFileSync(join(repo.path, 'secbot-pins.json'), 'utf8');
  await pinRefs(m, [{ prefix: cov, commits: [c[3]!] }, { prefix: lk, commits: [c[1]!, c[0]!] }]);
  writeFileSync(join(repo.path, 'secbot-pins.json'), behind);
  await pinRefs(m, [{ prefix: cov, commits: [c[3]!] }, { prefix: lk, commits: [c[1]!, c[0]!, c[2]!] }]);
  for (const sha of [c[1]!, c[0]!, c[2]!]) expect(refs(repo.path, lk)).toContain(sha);
  expect(refs(repo.path, cov)).toContain(c[3]!);
  writeFileSync(join(repo.path, 'secbot-pins.json'), '{not json');
  await pinRefs(m, [{ prefix: cov, commits: [c[1]!] }, { prefix: lk, commits: [] }]);
  expect(refs(repo.path, cov)).toEqual([c[1]!]);
  expect(refs(repo.path, lk)).toEqual([]);
  // The range above a covered commit, and its boundary; the leak commits it reaches.
  const walk = await walkRange(m, [c[3]!, '--not', `--glob=${cov}*`]);
  expect(walk).toEqual({ commits: 2, boundary: [c[1]!] });
  await pinRefs(m, [{ prefix: cov, commits: [c[1]!] }, { prefix: lk, commits: [c[0]!, c[3]!] }]);
  expect((await pinnedAncestors(m, [lk], c[2]!)).get(lk)).toEqual([c[0]!]);
});
