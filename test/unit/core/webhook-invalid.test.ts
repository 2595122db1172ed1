/**
 * eventKind() and the parts of classify() that reject or ignore a delivery: unknown events, invalid fields (with the
 * exact field path), contradicting headers, and tolerance of extra / missing optional keys.
 */
import { describe, expect, test } from 'bun:test';
import { classify, eventKind } from '../../../src/core/webhook.ts';
import { body, header, withPath, type FixtureName, type Json } from '../support/gitlab-fixtures.ts';

const PUSH: FixtureName = 'project_hook.push.json';
const MR: FixtureName = 'project_hook.merge_request.open.json';

function edited(name: FixtureName, path: string, value: unknown) {
  return classify(header(name), withPath(body(name), path, value));
}

describe('eventKind', () => {
  test.each([
    ['Push Hook', {}, 'push'],
    ['Tag Push Hook', {}, 'tag_push'],
    ['Merge Request Hook', {}, 'merge_request'],
    // Project hooks: the header decides, whatever the body says.
    ['Push Hook', { object_kind: 'tag_push' }, 'push'],
    ['Issue Hook', { object_kind: 'issue' }, null],
    ['Pipeline Hook', { object_kind: 'pipeline' }, null],
    ['Note Hook', { object_kind: 'note', event_type: 'note' }, null],
    // System hooks: object_kind ?? event_name (?? event_type).
    ['System Hook', { event_name: 'push' }, 'push'],
    ['System Hook', { object_kind: 'push', event_name: 'push' }, 'push'],
    ['System Hook', { event_name: 'tag_push' }, 'tag_push'],
    ['System Hook', { object_kind: 'merge_request', event_type: 'merge_request' }, 'merge_request'],
    ['System Hook', { event_name: 'repository_update' }, 'repository_update'],
    ['System Hook', { object_kind: 'gitlab_subscription_member_approval', action: 'x' }, 'gitlab_subscription_member_approval'],
    ['System Hook', { object_kind: '', event_name: 'push' }, 'push'],
    ['System Hook', {}, null],
    ['System Hook', { object_kind: 42 }, null],
    // No header at all: only the body can say.
    [null, { object_kind: 'push' }, 'push'],
    [null, {}, null],
  ] as const)('%p with %j → %p', (h, b, want) => {
    expect(eventKind(h, b as Record<string, unknown>)).toBe(want);
  });

  test('every fixture has the event kind of its header', () => {
    expect(eventKind('System Hook', body('system_hook.push.json'))).toBe('push');
    expect(eventKind('System Hook', body('system_hook.tag_push.json'))).toBe('tag_push');
    expect(eventKind('System Hook', body('system_hook.merge_request.open.json'))).toBe('merge_request');
    expect(eventKind('Push Hook', body(PUSH))).toBe('push');
  });
});

describe('unknown events are ignored with a reason', () => {
  test.each([
    ['Issue Hook', { object_kind: 'issue', event_type: 'issue' }, /"Issue Hook" is not handled/],
    ['Pipeline Hook', { object_kind: 'pipeline' }, /"Pipeline Hook" is not handled/],
    ['Note Hook', { object_kind: 'note', event_type: 'note' }, /"Note Hook" is not handled/],
    ['Job Hook', { object_kind: 'build' }, /"Job Hook" is not handled/],
    ['System Hook', { event_name: 'project_create' }, /"project_create" is not handled/],
    ['System Hook', { event_name: 'user_create' }, /"user_create" is not handled/],
    ['System Hook', body('system_hook.repository_update.json'), /"repository_update" is not handled/],
    ['System Hook', {}, /not handled/],
    [null, {}, /"unknown" is not handled/],
  ] as const)('%p %j', (h, b, reason) => {
    expect(classify(h, b)).toEqual({ kind: 'ignored', reason: expect.stringMatching(reason) });
  });

  test('an unknown event is ignored even with a body that would be invalid for a push', () => {
    expect(classify('Issue Hook', { object_kind: 'issue', project: 7 }).kind).toBe('ignored');
  });
});

describe('invalid deliveries name the offending field', () => {
  test.each([[null], [[]], [['push']], ['push'], [42], [true], [undefined]])('body %p is not an object', (b) => {
    expect(classify('Push Hook', b)).toEqual({ kind: 'invalid', field: '(body)', message: 'must be a JSON object' });
  });

  test.each([
    ['Push Hook', PUSH, 'tag_push'],
    ['Push Hook', PUSH, 'merge_request'],
    ['Tag Push Hook', 'project_hook.tag_push.json', 'push'],
    ['Merge Request Hook', MR, 'push'],
  ] as const)('%s with object_kind %p contradicts the header', (h, name, kind) => {
    const c = classify(h, { ...body(name), object_kind: kind });
    expect(c).toMatchObject({ kind: 'invalid', field: 'object_kind' });
    if (c.kind === 'invalid') expect(c.message).toContain(h);
  });

  const hex = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
  test.each([
    // [fixture, path, value, field, message]
    [PUSH, 'project.path_with_namespace', undefined, 'project.path_with_namespace', /is required/],
    [PUSH, 'project', undefined, 'project', /is required/],
    [PUSH, 'project.web_url', undefined, 'project.web_url', /is required/],
    [PUSH, 'project.web_url', 'ftp://example.com/x', 'project.web_url', /http/],
    [PUSH, 'after', undefined, 'after', /is required/],
    [PUSH, 'after', hex.slice(0, 7), 'after', /hex/],
    [PUSH, 'after', hex.toUpperCase(), 'after', /hex/],
    [PUSH, 'after', `${hex.slice(0, 39)}g`, 'after', /hex/],
    [PUSH, 'after', `${hex}0`, 'after', /hex/],
    [PUSH, 'before', 'not-a-sha', 'before', /hex/],
    [PUSH, 'checkout_sha', 'HEAD', 'checkout_sha', /hex/],
    [PUSH, 'ref', 'master', 'ref', /refs\/heads/],
    [PUSH, 'ref', 'refs/remotes/origin/master', 'ref', /refs\/heads/],
    [PUSH, 'ref', 'refs/merge-requests/1/head', 'ref', /refs\/heads/],
    [PUSH, 'ref', 'refs/heads/', 'ref', /refs\/heads/],
    [PUSH, 'project.path_with_namespace', 'group/../etc', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', '../group/project', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'group/pro..ject', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'group/project;rm -rf ~', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'group/$(id)', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'group/`id`', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'group/a|b', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'group/a&b', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'group/a b', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'group/a\nb', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'project', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', '/group/project', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'group/project.git', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 'group/-project', 'project.path_with_namespace', /project path/],
    [PUSH, 'project.path_with_namespace', 42, 'project.path_with_namespace', /expected string/],
    [PUSH, 'project.id', '15', 'project.id', /expected number/],
    [PUSH, 'project.id', 1.5, 'project.id', /int/],
    [PUSH, 'project_id', '15', 'project_id', /expected number/],
    [PUSH, 'after', 12345, 'after', /expected string/],
    [PUSH, 'ref', ['refs/heads/master'], 'ref', /expected string/],
    [PUSH, 'project', 'mike/diaspora', 'project', /expected object/],
    [MR, 'object_attributes', undefined, 'object_attributes', /is required/],
    [MR, 'object_attributes.last_commit', undefined, 'object_attributes.last_commit', /is required/],
    [MR, 'object_attributes.last_commit.id', 'abc', 'object_attributes.last_commit.id', /hex/],
    [MR, 'object_attributes.oldrev', 'xyz', 'object_attributes.oldrev', /hex/],
    [MR, 'object_attributes.iid', '1', 'object_attributes.iid', /expected number/],
    [MR, 'object_attributes.iid', 0, 'object_attributes.iid', /.+/],
    [MR, 'object_attributes.source_branch', '', 'object_attributes.source_branch', /.+/],
    [MR, 'object_attributes.target_branch', undefined, 'object_attributes.target_branch', /is required/],
    [MR, 'project.path_with_namespace', 'a/b/../c', 'project.path_with_namespace', /project path/],
  ] as const)('%s: %s = %p → invalid at %s', (name, path, value, field, message) => {
    const c = edited(name, path, value);
    expect(c).toMatchObject({ kind: 'invalid', field });
    if (c.kind === 'invalid') expect(c.message).toMatch(message);
  });

  test('a wrong type is not reported as missing', () => {
    const c = edited(PUSH, 'project.id', '15');
    expect(c.kind === 'invalid' && c.message).not.toBe('is required');
  });

  test('a system-hook push is validated like a project-hook push', () => {
    const c = classify('System Hook', withPath(body('system_hook.push.json'), 'project.path_with_namespace', 'x/../y'));
    expect(c).toMatchObject({ kind: 'invalid', field: 'project.path_with_namespace' });
  });
});

describe('tolerance of extra and missing optional keys', () => {
  test('extra keys anywhere are ignored', () => {
    const b: Json = { ...body(PUSH), brand_new_field: { nested: [1, 2] }, push_options: { ci: { skip: true } } };
    b.project.some_new_attribute = 'x';
    expect(classify('Push Hook', b).kind).toBe('event');
    const m = body(MR);
    m.object_attributes.future_field = 42;
    expect(classify('Merge Request Hook', m).kind).toBe('event');
  });

  test.each([
    'object_kind',
    'event_name',
    'commits',
    'total_commits_count',
    'repository',
    'user_username',
    'user_name',
    'user_email',
    'project_id',
    'project.id',
    'ref_protected',
    'message',
  ])('push without %s is still an event', (path) => {
    expect(edited(PUSH, path, undefined).kind).toBe('event');
  });

  test.each(['user', 'labels', 'changes', 'assignees', 'reviewers', 'repository', 'object_attributes.url', 'object_attributes.title', 'event_type'])(
    'merge request without %s is still an event',
    (path) => {
      expect(edited(MR, path, undefined).kind).toBe('event');
    },
  );

  test('null optional values are tolerated', () => {
    const b: Json = { ...body(PUSH), user_username: null, user_name: null, project_id: null, message: null };
    b.project.id = null;
    const c = classify('Push Hook', b);
    if (c.kind !== 'event') throw new Error(JSON.stringify(c));
    expect(c.build({ prefix: 'P', host: 'h', hostname: 'h' })).toMatchObject({ projectId: null, userName: null });
  });

  test('system-hook push without object_kind and without project.id uses project_id', () => {
    const b = body('system_hook.push.json');
    expect(b.object_kind).toBeUndefined();
    expect(b.project.id).toBeUndefined();
    const c = classify('System Hook', b);
    if (c.kind !== 'event') throw new Error(JSON.stringify(c));
    expect(c.build({ prefix: 'P', host: 'h', hostname: 'h' }).projectId).toBe(b.project_id);
  });

  test('project.id wins over project_id when both exist', () => {
    const c = classify('Push Hook', { ...body(PUSH), project_id: 99 });
    if (c.kind !== 'event') throw new Error(JSON.stringify(c));
    expect(c.build({ prefix: 'P', host: 'h', hostname: 'h' }).projectId).toBe(15);
  });
});
