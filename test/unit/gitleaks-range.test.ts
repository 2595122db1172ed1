import { describe, expect, test } from 'bun:test';
import type { CheckContext } from '../../src/core/check.ts';
import { PermanentError } from '../../src/core/errors.ts';
import { planRange, type RangeFacts } from '../../src/plugins/scanners/gitleaks/range.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const facts = (f: Partial<RangeFacts> = {}): RangeFacts => ({ beforeIsAncestor: true, targetExists: true, ...f });

function check(c: Partial<CheckContext> = {}): CheckContext {
  return {
    eventType: 'push', instancePrefix: 'GL', host: 'gitlab.example.com', hostname: 'gitlab.example.com', projectPath: 'g/p',
    projectId: 1, projectUrl: 'https://gitlab.example.com/g/p', commitSha: B, ref: { kind: 'branch', name: 'main' },
    beforeSha: A, mergeRequest: null, userName: null, ...c,
  };
}

const mr = (target = 'main') => ({ iid: 7, action: 'open', sourceBranch: 'feat', targetBranch: target, oldrev: null, url: null, title: null });

describe('planRange', () => {
  test('push: before..after', () => {
    expect(planRange(check(), 'diff', facts())).toEqual({ rule: 'push', revs: [`${A}..${B}`], description: 'aaaaaaaa..bbbbbbbb' });
  });

  test('full mode: the whole history of the commit, whatever the event', () => {
    for (const c of [check(), check({ mergeRequest: mr() }), check({ ref: { kind: 'tag', name: 'v1' } })]) {
      expect(planRange(c, 'full', facts())).toMatchObject({ rule: 'full', revs: [B] });
    }
  });

  test('new branch: the commit minus every other branch (its own ref excluded from the others)', () => {
    const plan = planRange(check({ beforeSha: null, ref: { kind: 'branch', name: 'feature/x' } }), 'diff', facts());
    expect(plan).toMatchObject({ rule: 'new-branch', revs: [B, '--not', '--exclude=feature/x', '--branches'] });
  });

  test('force push: before is no ancestor, so the new-branch rule applies', () => {
    const plan = planRange(check({ ref: { kind: 'branch', name: 'dev' } }), 'diff', facts({ beforeIsAncestor: false }));
    expect(plan.rule).toBe('force-push');
    expect(plan.revs).toEqual([B, '--not', '--exclude=dev', '--branches']);
    expect(plan.description).toContain('force push');
  });

  test('tag: the peeled commit minus every branch and every other tag', () => {
    const plan = planRange(check({ eventType: 'tag_push', beforeSha: null, ref: { kind: 'tag', name: 'v1.2' } }), 'diff', facts());
    expect(plan).toMatchObject({ rule: 'tag', revs: [B, '--not', '--branches', '--exclude=v1.2', '--tags'] });
  });

  test('merge request: every commit of the MR, i.e. the head minus the target branch (not just oldrev..head)', () => {
    const plan = planRange(check({ eventType: 'merge_request', beforeSha: null, mergeRequest: { ...mr('release/1'), oldrev: A } }), 'diff', facts());
    expect(plan).toMatchObject({ rule: 'merge-request', revs: [B, '--not', 'refs/heads/release/1'] });
  });

  test('merge request whose target branch is gone: what no other branch has', () => {
    const plan = planRange(check({ mergeRequest: mr() }), 'diff', facts({ targetExists: false }));
    expect(plan).toMatchObject({ rule: 'merge-request-no-target', revs: [B, '--not', '--exclude=feat', '--branches'] });
  });

  test('no revision argument contains a space (gitleaks splits --log-opts on spaces)', () => {
    const plans = [
      planRange(check(), 'diff', facts()),
      planRange(check({ beforeSha: null }), 'diff', facts()),
      planRange(check({ ref: { kind: 'tag', name: 't' } }), 'diff', facts()),
      planRange(check({ mergeRequest: mr() }), 'diff', facts()),
    ];
    for (const p of plans) for (const r of p.revs) expect(r).not.toContain(' ');
  });

  test('names that could smuggle options or globs in are refused', () => {
    for (const name of ['x --output=/tmp/f', 'a\tb', 'feat*', 'a..b', 'x[1]', 'a\\b']) {
      expect(() => planRange(check({ beforeSha: null, ref: { kind: 'branch', name } }), 'diff', facts())).toThrow(PermanentError);
    }
    expect(() => planRange(check({ mergeRequest: mr('main --all') }), 'diff', facts())).toThrow(PermanentError);
  });

  test('SHAs must be full hex', () => {
    expect(() => planRange(check({ commitSha: 'HEAD' }), 'diff', facts())).toThrow(PermanentError);
    expect(() => planRange(check({ beforeSha: '--all' }), 'diff', facts())).toThrow(PermanentError);
  });
});
