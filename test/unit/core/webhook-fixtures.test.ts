/**
 * classify() on every real GitLab payload, sent with the X-Gitlab-Event header it arrives with (project hooks and
 * system hooks), plus the push / tag / merge-request semantics the contract describes.
 */
import { describe, expect, test } from 'bun:test';
import type { CheckContext } from '../../../src/core/check.ts';
import { classify, type Classified, type InstanceRef } from '../../../src/core/webhook.ts';
import { body, deliveryHeaders, FIXTURE_HEADERS, header, withPath, type FixtureName, type Json } from '../support/gitlab-fixtures.ts';

const INSTANCE: InstanceRef = { prefix: 'GIT_LOCAL', host: 'git.env.local:8443', hostname: 'git.env.local' };

const DA15 = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
const OLD_9579 = '95790bf891e76fee5e1747ab589903a6a1f80f22';
const TAG_OBJECT = '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7';
const TAG_COMMIT = '5937ac0a7beb003549fc5fd26fc247adbce4a52e';
const ZERO = '0000000000000000000000000000000000000000';

function built(c: Classified): CheckContext {
  if (c.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(c)}`);
  return c.build(INSTANCE);
}

function classifyFixture(name: FixtureName, edit: (b: Json) => Json = (b) => b): Classified {
  return classify(header(name), edit(body(name)));
}

const MR_INFO = {
  iid: 1,
  sourceBranch: 'ms-viewport',
  targetBranch: 'master',
  url: 'http://example.com/diaspora/merge_requests/1',
  title: 'MS-Viewport',
};

/** What each fixture becomes. `context` lists the CheckContext fields that must hold (checked with toMatchObject). */
const EXPECTED: Record<FixtureName, { kind: 'event' | 'ignored'; eventType?: string; webUrl?: string; context?: Partial<CheckContext>; reason?: RegExp }> = {
  'project_hook.push.json': {
    kind: 'event',
    eventType: 'push',
    webUrl: 'http://example.com/mike/diaspora',
    context: {
      eventType: 'push',
      projectPath: 'mike/diaspora',
      projectId: 15,
      projectUrl: 'http://example.com/mike/diaspora',
      commitSha: DA15,
      beforeSha: OLD_9579,
      ref: { kind: 'branch', name: 'master' },
      mergeRequest: null,
      userName: 'jsmith',
    },
  },
  'project_hook.push.delivery_with_headers.json': {
    kind: 'event',
    eventType: 'push',
    webUrl: 'https://gitlab.example.com/flightjs/Flight',
    context: {
      projectPath: 'flightjs/Flight',
      projectId: 7,
      commitSha: 'f15b32277d2c55c6c595845a87109b09c913c556',
      beforeSha: '468abc807a2b2572f43e72c743b76cee6db24025',
      ref: { kind: 'branch', name: 'master' },
      userName: 'root',
    },
  },
  'project_hook.push.branch_create.derived.json': {
    kind: 'event',
    eventType: 'push',
    context: { commitSha: DA15, beforeSha: null, ref: { kind: 'branch', name: 'ms-viewport' }, projectId: 15 },
  },
  'project_hook.push.branch_delete.derived.json': { kind: 'ignored', reason: /branch deletion/ },
  'project_hook.tag_push.json': {
    kind: 'event',
    eventType: 'tag_push',
    webUrl: 'http://example.com/jsmith/example',
    context: {
      eventType: 'tag_push',
      projectPath: 'jsmith/example',
      projectId: 1,
      commitSha: TAG_OBJECT,
      beforeSha: null,
      ref: { kind: 'tag', name: 'v1.0.0' },
      mergeRequest: null,
      userName: 'John Smith',
    },
  },
  'project_hook.merge_request.open.json': {
    kind: 'event',
    eventType: 'merge_request',
    webUrl: 'http://example.com/gitlabhq/gitlab-test',
    context: {
      eventType: 'merge_request',
      projectPath: 'gitlabhq/gitlab-test',
      projectId: 1,
      commitSha: DA15,
      beforeSha: null,
      ref: { kind: 'branch', name: 'ms-viewport' },
      mergeRequest: { ...MR_INFO, action: 'open', oldrev: null },
      userName: 'root',
    },
  },
  'project_hook.merge_request.update.derived.json': {
    kind: 'event',
    eventType: 'merge_request',
    context: { commitSha: DA15, mergeRequest: { ...MR_INFO, action: 'update', oldrev: OLD_9579 } },
  },
  'system_hook.push.json': {
    kind: 'event',
    eventType: 'push',
    webUrl: 'http://example.com/mike/diaspora',
    // No object_kind and no project.id in the system-hook push: classified by event_name, id from project_id.
    context: { projectPath: 'mike/diaspora', projectId: 15, commitSha: DA15, beforeSha: OLD_9579, userName: 'John Smith' },
  },
  'system_hook.tag_push.json': {
    kind: 'event',
    eventType: 'tag_push',
    // Annotated tag: `after` is the tag object, checkout_sha the peeled commit, which is what gets checked.
    context: { commitSha: TAG_COMMIT, projectId: 1, ref: { kind: 'tag', name: 'v1.0.0' }, beforeSha: null },
  },
  'system_hook.merge_request.open.json': {
    kind: 'event',
    eventType: 'merge_request',
    context: { commitSha: DA15, projectPath: 'gitlabhq/gitlab-test', mergeRequest: { ...MR_INFO, action: 'open', oldrev: null } },
  },
  'system_hook.repository_update.json': { kind: 'ignored', reason: /repository_update/ },
};

describe('classify: every fixture with the header it arrives with', () => {
  test('the table covers every fixture', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(FIXTURE_HEADERS).sort());
  });

  for (const [name, want] of Object.entries(EXPECTED) as [FixtureName, (typeof EXPECTED)[FixtureName]][]) {
    test(`${name} (${header(name)}) → ${want.kind}${want.eventType ? ` ${want.eventType}` : ''}`, () => {
      const c = classifyFixture(name);
      expect(c.kind).toBe(want.kind);
      if (c.kind === 'ignored') {
        expect(c.reason).toMatch(want.reason!);
        return;
      }
      if (c.kind !== 'event') throw new Error('unreachable');
      expect(c.eventType).toBe(want.eventType as CheckContext['eventType']);
      if (want.webUrl) expect(c.webUrl).toBe(want.webUrl);
      const ctx = c.build(INSTANCE);
      expect(ctx).toMatchObject(want.context!);
      expect(ctx).toMatchObject({ instancePrefix: 'GIT_LOCAL', host: 'git.env.local:8443', hostname: 'git.env.local' });
    });
  }

  test('the recorded delivery carries the header the table uses', () => {
    expect(deliveryHeaders()['X-Gitlab-Event']).toBe('Push Hook');
  });

  test('project-hook payloads delivered by a system hook classify the same (GitLab sends the same data)', () => {
    for (const name of Object.keys(FIXTURE_HEADERS).filter((n) => n.startsWith('project_hook.')) as FixtureName[]) {
      const asProject = classifyFixture(name);
      const asSystem = classify('System Hook', body(name));
      expect(asSystem.kind).toBe(asProject.kind);
      if (asProject.kind === 'event' && asSystem.kind === 'event') expect(asSystem.build(INSTANCE)).toEqual(asProject.build(INSTANCE));
      if (asProject.kind === 'ignored' && asSystem.kind === 'ignored') expect(asSystem.reason).toBe(asProject.reason);
    }
  });

  test('every fixture still classifies the same without its commits[] array', () => {
    for (const name of Object.keys(FIXTURE_HEADERS) as FixtureName[]) {
      const original = classifyFixture(name);
      const stripped = classifyFixture(name, (b) => withPath(b, 'commits', undefined));
      expect(stripped.kind).toBe(original.kind);
      if (original.kind === 'event' && stripped.kind === 'event') expect(stripped.build(INSTANCE)).toEqual(original.build(INSTANCE));
    }
  });
});

describe('push and tag push semantics', () => {
  test('push: commit is checkout_sha; without checkout_sha it falls back to after', () => {
    const other = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    expect(built(classifyFixture('project_hook.push.json', (b) => ({ ...b, checkout_sha: other }))).commitSha).toBe(other);
    expect(built(classifyFixture('project_hook.push.json', (b) => withPath(b, 'checkout_sha', undefined))).commitSha).toBe(DA15);
  });

  test('annotated tag (system hook): after ≠ checkout_sha and the peeled commit is checked', () => {
    const b = body('system_hook.tag_push.json');
    expect(b.after).toBe(TAG_OBJECT);
    expect(b.checkout_sha).toBe(TAG_COMMIT);
    expect(built(classify('System Hook', b)).commitSha).toBe(TAG_COMMIT);
  });

  test('annotated tag as a project hook: the peeled commit is checked, not the tag object', () => {
    const c = classifyFixture('project_hook.tag_push.json', (b) => ({ ...b, checkout_sha: TAG_COMMIT }));
    expect(built(c).commitSha).toBe(TAG_COMMIT);
  });

  test.each([
    ['branch deletion (project hook)', 'project_hook.push.json', 'refs/heads/gone', /^branch deletion/],
    ['tag deletion (project hook)', 'project_hook.tag_push.json', 'refs/tags/v1.0.0', /^tag deletion/],
    ['tag deletion (system hook)', 'system_hook.tag_push.json', 'refs/tags/v1.0.0', /^tag deletion/],
    ['branch deletion (system hook)', 'system_hook.push.json', 'refs/heads/master', /^branch deletion/],
  ] as const)('%s is ignored', (_label, name, ref, reason) => {
    const c = classifyFixture(name, (b) => ({ ...b, ref, before: DA15, after: ZERO, checkout_sha: null }));
    expect(c).toEqual({ kind: 'ignored', reason: expect.stringMatching(reason) });
  });

  test('deletion in a SHA-256 repository (after = 64 zeros, checkout_sha null) is ignored too', () => {
    const c = classifyFixture('project_hook.push.json', (b) => ({ ...b, before: 'a'.repeat(64), after: '0'.repeat(64), checkout_sha: null }));
    expect(c.kind).toBe('ignored');
  });

  test('branch creation in a SHA-256 repository has no before commit', () => {
    const head = 'b'.repeat(64);
    const c = classifyFixture('project_hook.push.json', (b) => ({ ...b, before: '0'.repeat(64), after: head, checkout_sha: head }));
    expect(built(c)).toMatchObject({ commitSha: head, beforeSha: null });
  });

  test('a push whose ref is a tag, or a tag push whose ref is a branch, is invalid at `ref`', () => {
    expect(classifyFixture('project_hook.push.json', (b) => ({ ...b, ref: 'refs/tags/v1' }))).toMatchObject({ kind: 'invalid', field: 'ref' });
    expect(classifyFixture('system_hook.tag_push.json', (b) => ({ ...b, ref: 'refs/heads/main' }))).toMatchObject({ kind: 'invalid', field: 'ref' });
  });

  test('branch names keep their slashes', () => {
    const c = classifyFixture('project_hook.push.json', (b) => ({ ...b, ref: 'refs/heads/feature/x/y' }));
    expect(built(c).ref).toEqual({ kind: 'branch', name: 'feature/x/y' });
  });
});

describe('merge request actions', () => {
  const mr = (action: string | null | undefined, oldrev?: string | null) =>
    classifyFixture('project_hook.merge_request.open.json', (b) => {
      let out = withPath(b, 'object_attributes.action', action);
      if (oldrev !== undefined) out = withPath(out, 'object_attributes.oldrev', oldrev);
      return out;
    });

  test.each([
    ['open', undefined],
    ['reopen', undefined],
    ['update', OLD_9579],
  ])('%s (oldrev %p) is checked at last_commit.id', (action, oldrev) => {
    const ctx = built(mr(action, oldrev));
    expect(ctx.commitSha).toBe(DA15);
    expect(ctx.mergeRequest).toMatchObject({ action, oldrev: oldrev ?? null });
  });

  test.each([
    ['update', null, /without oldrev/],
    ['update', undefined, /without oldrev/],
    ['close', undefined, /"close" does not change code/],
    ['merge', undefined, /"merge" does not change code/],
    ['approved', undefined, /"approved" does not change code/],
    ['unapproved', undefined, /"unapproved" does not change code/],
    [undefined, undefined, /"none" does not change code/],
  ])('%p (oldrev %p) is ignored', (action, oldrev, reason) => {
    const c = mr(action as string | undefined, oldrev as string | null | undefined);
    expect(c).toEqual({ kind: 'ignored', reason: expect.stringMatching(reason) });
  });

  test('the derived update fixture is checked; without its oldrev it is ignored', () => {
    expect(classifyFixture('project_hook.merge_request.update.derived.json').kind).toBe('event');
    const c = classifyFixture('project_hook.merge_request.update.derived.json', (b) => withPath(b, 'object_attributes.oldrev', undefined));
    expect(c.kind).toBe('ignored');
  });

  test('the same MR as a system hook is checked the same way', () => {
    const project = built(classifyFixture('project_hook.merge_request.open.json'));
    const system = built(classifyFixture('system_hook.merge_request.open.json'));
    expect(system).toEqual(project);
  });
});
