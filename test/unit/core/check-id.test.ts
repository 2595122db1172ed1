/**
 * securityCheckId must equal, byte for byte, what the seed's pipeline snippet (§3.5) computes:
 *   SECURITY_CHECK_UID="GIT_LOCAL_$(echo -n "${CI_SERVER_HOST}:${CI_PROJECT_PATH}_${CI_COMMIT_SHA}" | sha256sum | head -c64)"
 * The expected value is computed by running that shell line (values passed as environment variables, never spliced
 * into the script) with the real sha256sum.
 */
import { describe, expect, test } from 'bun:test';
import { checkLogFields, elideTokenLike } from '../../../src/core/check.ts';
import { CHECK_ID_PATTERN, isCheckId, securityCheckId } from '../../../src/core/check-id.ts';

const SEED_LINE = 'echo -n "${CI_SERVER_HOST}:${CI_PROJECT_PATH}_${CI_COMMIT_SHA}" | sha256sum | head -c64';

function pipelineId(prefix: string, host: string, path: string, sha: string): string {
  const proc = Bun.spawnSync(['sh', '-c', `printf '%s_' "$PREFIX"; ${SEED_LINE}`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PREFIX: prefix, CI_SERVER_HOST: host, CI_PROJECT_PATH: path, CI_COMMIT_SHA: sha },
  });
  if (proc.exitCode !== 0) throw new Error(`sh failed: ${proc.stderr.toString()}`);
  return proc.stdout.toString();
}

const CASES: [prefix: string, host: string, path: string, sha: string][] = [
  ['GIT_LOCAL', 'git.env.local', 'mike/diaspora', 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7'],
  ['GIT_LOCAL', 'gitlab.example.com', 'flightjs/Flight', 'f15b32277d2c55c6c595845a87109b09c913c556'],
  ['GIT_LOCAL', 'example.com', 'gitlabhq/gitlab-test', '5937ac0a7beb003549fc5fd26fc247adbce4a52e'],
  ['GL2', 'gitlab.internal', 'group/sub.group/my_project-1', '0123456789abcdef0123456789abcdef01234567'],
  ['X', '10.0.0.7', 'a/b', 'e'.repeat(64)],
  ['MULTI_PART_PREFIX_9', 'git.env.local', 'deep/er/nested/group/project', 'ffffffffffffffffffffffffffffffffffffffff'],
];

describe('securityCheckId', () => {
  test.each(CASES)('%s %s:%s_%s equals the pipeline snippet', (prefix, host, path, sha) => {
    const expected = pipelineId(prefix, host, path, sha);
    expect(expected).toMatch(new RegExp(`^${prefix}_[0-9a-f]{64}$`));
    expect(securityCheckId(prefix, host, path, sha)).toBe(expected);
  });

  test('the shell helper really hashes without a trailing newline (echo -n), like the seed', () => {
    const withNewline = Bun.spawnSync(['sh', '-c', 'printf "%s\\n" "$V" | sha256sum | head -c64'], { env: { ...process.env, V: 'h:p/q_s' } })
      .stdout.toString();
    expect(pipelineId('P', 'h', 'p/q', 's')).toBe(`P_${new Bun.CryptoHasher('sha256').update('h:p/q_s').digest('hex')}`);
    expect(pipelineId('P', 'h', 'p/q', 's')).not.toBe(`P_${withNewline}`);
  });

  test('a known vector: sha256("git.env.local:group/project_" + 40×"a")', () => {
    expect(securityCheckId('GIT_LOCAL', 'git.env.local', 'group/project', 'a'.repeat(40))).toBe(
      `GIT_LOCAL_${new Bun.CryptoHasher('sha256').update(`git.env.local:group/project_${'a'.repeat(40)}`).digest('hex')}`,
    );
  });

  test('has the format of the seed example (GIT_LOCAL_ + 64 lower-case hex)', () => {
    const seedExample = 'GIT_LOCAL_d42052411d2729e637980c355cf6a8ea8e41b8688b98c34a125b71b7f2c7f76e';
    const id = securityCheckId('GIT_LOCAL', 'git.env.local', 'mike/diaspora', 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
    expect(id).toHaveLength(seedExample.length);
    expect(id.startsWith('GIT_LOCAL_')).toBe(true);
    expect(id).toMatch(CHECK_ID_PATTERN);
    expect(seedExample).toMatch(CHECK_ID_PATTERN);
  });

  test('every input changes the id (host, path, sha, prefix)', () => {
    const base = securityCheckId('P', 'h.example', 'g/p', 'a'.repeat(40));
    const variants = [
      securityCheckId('Q', 'h.example', 'g/p', 'a'.repeat(40)),
      securityCheckId('P', 'h2.example', 'g/p', 'a'.repeat(40)),
      securityCheckId('P', 'h.example', 'g/q', 'a'.repeat(40)),
      securityCheckId('P', 'h.example', 'g/p', 'b'.repeat(40)),
    ];
    for (const v of variants) expect(v).not.toBe(base);
    expect(new Set(variants).size).toBe(variants.length);
  });

  test('the hash covers the host name only, as CI_SERVER_HOST (no scheme, no port)', () => {
    const id = securityCheckId('P', 'git.env.local', 'g/p', 'c'.repeat(40));
    expect(id).toBe(pipelineId('P', 'git.env.local', 'g/p', 'c'.repeat(40)));
    expect(id).not.toBe(pipelineId('P', 'https://git.env.local', 'g/p', 'c'.repeat(40)));
  });
});

describe('isCheckId', () => {
  const hex = 'd42052411d2729e637980c355cf6a8ea8e41b8688b98c34a125b71b7f2c7f76e';
  test.each([
    `GIT_LOCAL_${hex}`,
    `X_${hex}`,
    `gl2_${hex}`,
    `A_B_C_${hex}`,
    securityCheckId('GIT_LOCAL', 'git.env.local', 'a/b', 'a'.repeat(40)),
    `${'P'.repeat(300 - 65)}_${hex}`,
  ])('accepts %s', (id) => {
    expect(isCheckId(id)).toBe(true);
  });

  test.each([
    ['empty', ''],
    ['hash only', hex],
    ['missing prefix', `_${hex}`],
    ['upper-case hex', `GIT_LOCAL_${hex.toUpperCase()}`],
    ['63 hex digits', `GIT_LOCAL_${hex.slice(1)}`],
    ['65 hex digits', `GIT_LOCAL_${hex}0`],
    ['non-hex digit', `GIT_LOCAL_${hex.slice(0, 63)}g`],
    ['dash in prefix', `GIT-LOCAL_${hex}`],
    ['path traversal', `../${hex}`],
    ['slash', `GIT/LOCAL_${hex}`],
    ['space', `GIT LOCAL_${hex}`],
    ['trailing newline', `GIT_LOCAL_${hex}\n`],
    ['leading space', ` GIT_LOCAL_${hex}`],
    ['query string', `GIT_LOCAL_${hex}?x=1`],
    ['longer than 300 characters', `${'P'.repeat(300 - 64)}_${hex}`],
  ])('rejects %s', (_label, id) => {
    expect(isCheckId(id)).toBe(false);
  });
});

describe('log fields of a check', () => {
  test('ref names stay readable; token-shaped runs (a branch named after a secret) are elided', () => {
    expect(elideTokenLike('feature/login-page')).toBe('feature/login-page');
    expect(elideTokenLike('release-2026.03')).toBe('release-2026.03');
    expect(elideTokenLike(`leak/${['gh', 'p_'].join('')}${'aB3'.repeat(12)}`)).toBe('leak/ghp_…');
    expect(elideTokenLike(`tag ${'A'.repeat(40)}`)).toBe('tag …');
    const ctx = { projectPath: 'acme/app', commitSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', ref: { kind: 'branch' as const, name: 'main' }, mergeRequest: null };
    expect(checkLogFields(ctx)).toEqual({ project: 'acme/app', ref: 'main', sha: 'da156088' });
  });
});
