/**
 * Hostile deliveries to POST /v1/gitlab/webhook. Statuses follow the README and CONTRACT.md §5: events SecBot does
 * not handle are 200 "ignored" (a 4xx would count toward GitLab auto-disabling the hook), malformed or invalid
 * requests are 4xx with a message, and nothing a sender can put in a request is a 5xx.
 */
import { fixture, HEADERS, mrPayload, pushPayload, ZERO } from '../helpers/payloads.ts';
import { WEBHOOK_TOKEN } from '../helpers/world.ts';
import type { Ctx, Row, Want } from './hostile-input-support.ts';

export const TOKEN_B = 'whsec-instance-B-0123456789';

// biome-ignore lint: payloads are free-form JSON
type Json = Record<string, any>;

const push = (c: Ctx, edit: (p: Json) => void = () => {}): Json => {
  const p = pushPayload({ gitlabUrl: c.gitlabUrl, path: 'acme/webapp', before: c.sha(), after: c.sha() });
  edit(p);
  return p;
};
const branch = (name: string) => (p: Json) => {
  p.ref = `refs/heads/${name}`;
};
const path = (value: string) => (p: Json) => {
  p.project.path_with_namespace = value;
};
const mr = (c: Ctx, edit: (a: Json) => void = () => {}): Json => {
  const p = mrPayload({ gitlabUrl: c.gitlabUrl, path: 'acme/webapp', iid: 4, action: 'open', source: 'feature', target: 'main', head: c.sha() });
  edit(p.object_attributes);
  return p;
};

/** A push to POST /v1/gitlab/webhook with GitLab's headers, `headers` overriding them. */
function hook(name: string, body: (c: Ctx) => RequestInit['body'], status: number, want: Want, headers: Record<string, string> = {}): Row {
  const h: Record<string, string> = { 'content-type': 'application/json', 'x-gitlab-token': WEBHOOK_TOKEN, 'x-gitlab-event': HEADERS.push, ...headers };
  for (const [k, v] of Object.entries(h)) if (v === '') delete h[k];
  return { name, app: 'intake', method: 'POST', headers: h, body, status, want };
}
const json = (make: (c: Ctx) => unknown) => (c: Ctx) => JSON.stringify(make(c));

const ACCEPTED: Want = { shape: 'accepted' };
const IGNORED: Want = { shape: 'ignored' };
const MALFORMED: Want = { code: 'MALFORMED_JSON' };
const NOT_OBJECT: Want = { code: 'INVALID_PAYLOAD', field: '(body)' };
const invalid = (field: string): Want => ({ code: 'INVALID_PAYLOAD', field });
const DEEP = 100_000;

export const WEBHOOK_ROWS: Row[] = [
  // Not JSON, or not all of it.
  hook('malformed JSON', () => '{"object_kind": "push",', 400, MALFORMED),
  hook('truncated JSON (half a real push)', (c) => JSON.stringify(push(c)).slice(0, 700), 400, MALFORMED),
  hook('empty body', () => '', 400, MALFORMED),
  hook('a raw NUL byte inside a JSON string', (c) => JSON.stringify(push(c)).replace('John Smith', 'John\u0000Smith'), 400, MALFORMED),
  // The UTF-8 decoder drops a leading BOM (WHATWG Encoding), so this is the plain push.
  hook('a UTF-8 BOM before the JSON', (c) => `\uFEFF${JSON.stringify(push(c))}`, 200, ACCEPTED),
  // Deep nesting must neither crash nor overflow the stack; it only matters where the schema looks.
  hook(`${DEEP} levels of [ closed`, () => '['.repeat(DEEP) + ']'.repeat(DEEP), 422, NOT_OBJECT),
  hook(`${DEEP} levels of [ never closed`, () => '['.repeat(DEEP), 400, MALFORMED),
  hook(`${DEEP} levels of {"a": closed`, () => '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP), 422, invalid('before')),
  hook(`${DEEP} levels of [ in commits (never read)`, (c) => JSON.stringify(push(c)).replace('"commits":[]', `"commits":${'['.repeat(DEEP)}${']'.repeat(DEEP)}`), 200, ACCEPTED),
  hook(`${DEEP} levels of [ as the project`, (c) => JSON.stringify(push(c)).replace(/"project":\{[^}]*\}/, `"project":${'['.repeat(DEEP)}${']'.repeat(DEEP)}`), 422, invalid('project')),
  // Over SECBOT_MAX_BODY_BYTES: declared, streamed without Content-Length, or declared and not sent.
  hook('a body one byte over the limit', (c) => JSON.stringify({ ...push(c), pad: '' }).replace('"pad":""', `"pad":"${'x'.repeat(c.maxBody)}"`), 413, { code: 'TOO_LARGE' }),
  hook('a chunked body over the limit, no Content-Length', (c) => overLimitStream(c.maxBody), 413, { code: 'TOO_LARGE' }),
  {
    name: 'Content-Length over the limit with a short body',
    app: 'intake',
    raw: (c) => rawPost(c, `{"object_kind":"push"}`, { 'Content-Length': String(c.maxBody + 1) }),
    status: 413,
    want: { code: 'TOO_LARGE' },
  },
  // Content type.
  hook('text/plain', (c) => JSON.stringify(push(c)), 415, { code: 'UNSUPPORTED_MEDIA_TYPE' }, { 'content-type': 'text/plain' }),
  hook('form-encoded', () => 'object_kind=push', 415, { code: 'UNSUPPORTED_MEDIA_TYPE' }, { 'content-type': 'application/x-www-form-urlencoded' }),
  hook('application/json-patch+json', (c) => JSON.stringify(push(c)), 415, { code: 'UNSUPPORTED_MEDIA_TYPE' }, { 'content-type': 'application/json-patch+json' }),
  hook('no Content-Type at all', (c) => new TextEncoder().encode(JSON.stringify(push(c))), 415, { code: 'UNSUPPORTED_MEDIA_TYPE' }, { 'content-type': '' }),
  hook('APPLICATION/JSON; charset=utf-8 is still JSON', json(push), 200, ACCEPTED, { 'content-type': 'APPLICATION/JSON; charset=utf-8' }),
  // Not an object.
  hook('a JSON array', (c) => JSON.stringify([push(c)]), 422, NOT_OBJECT),
  hook('a JSON number', () => '42', 422, NOT_OBJECT),
  hook('a JSON string', () => '"push"', 422, NOT_OBJECT),
  hook('JSON null', () => 'null', 422, NOT_OBJECT),
  // Authentication.
  hook('no X-Gitlab-Token', json(push), 403, { code: 'FORBIDDEN' }, { 'x-gitlab-token': '' }),
  hook('a wrong X-Gitlab-Token', json(push), 403, { code: 'FORBIDDEN' }, { 'x-gitlab-token': 'wrong-token-must-not-be-echoed' }),
  hook('an 8 KB X-Gitlab-Token', json(push), 403, { code: 'FORBIDDEN' }, { 'x-gitlab-token': `echo-me-${'t'.repeat(8000)}` }),
  hook('the token with a space inside', json(push), 403, { code: 'FORBIDDEN' }, { 'x-gitlab-token': `${WEBHOOK_TOKEN.slice(0, 8)} ${WEBHOOK_TOKEN.slice(8)}` }),
  hook('the token in upper case', json(push), 403, { code: 'FORBIDDEN' }, { 'x-gitlab-token': WEBHOOK_TOKEN.toUpperCase() }),
  // HTTP strips optional whitespace around header values, so this is the exact token.
  hook('the token with surrounding spaces', json(push), 200, ACCEPTED, { 'x-gitlab-token': `  ${WEBHOOK_TOKEN}  ` }),
  // Missing and wrong-typed fields name the field.
  hook('no after', json((c) => push(c, (p) => delete p.after)), 422, invalid('after')),
  hook('no project', json((c) => push(c, (p) => delete p.project)), 422, invalid('project')),
  hook('no project.web_url', json((c) => push(c, (p) => delete p.project.web_url)), 422, invalid('project.web_url')),
  hook('before is a number', json((c) => push(c, (p) => (p.before = 123))), 422, invalid('before')),
  hook('project is a string', json((c) => push(c, (p) => (p.project = 'acme/webapp'))), 422, invalid('project')),
  hook('project_id is a string', json((c) => push(c, (p) => (p.project_id = '15'))), 422, invalid('project_id')),
  hook('ref is an array', json((c) => push(c, (p) => (p.ref = ['refs/heads/main']))), 422, invalid('ref')),
  hook('merge request iid is a string', json((c) => mr(c, (a) => (a.iid = '4'))), 422, invalid('object_attributes.iid'), { 'x-gitlab-event': HEADERS.mr }),
  hook('merge request without last_commit', json((c) => mr(c, (a) => delete a.last_commit)), 422, invalid('object_attributes.last_commit'), { 'x-gitlab-event': HEADERS.mr }),
  hook('object_kind contradicts the header', json((c) => push(c, (p) => (p.object_kind = 'issue'))), 422, invalid('object_kind')),
  // Events SecBot does not handle: 200 ignored, whatever their body.
  hook('Issue Hook', () => JSON.stringify({ object_kind: 'issue', event_type: 'issue' }), 200, IGNORED, { 'x-gitlab-event': 'Issue Hook' }),
  hook('Pipeline Hook', () => JSON.stringify({ object_kind: 'pipeline', object_attributes: { id: 1 } }), 200, IGNORED, { 'x-gitlab-event': 'Pipeline Hook' }),
  hook('Note Hook', () => JSON.stringify({ object_kind: 'note', event_type: 'note' }), 200, IGNORED, { 'x-gitlab-event': 'Note Hook' }),
  hook('System Hook with an unknown event_name', () => JSON.stringify({ event_name: 'quantum_teleport', id: 1 }), 200, IGNORED, { 'x-gitlab-event': HEADERS.system }),
  hook('System Hook repository_update', () => JSON.stringify(fixture('system_hook.repository_update.json')), 200, IGNORED, { 'x-gitlab-event': HEADERS.system }),
  hook('an 8 KB X-Gitlab-Event', json(push), 200, IGNORED, { 'x-gitlab-event': `Push Hook${'!'.repeat(8000)}` }),
  // Regression: "constructor" & co. once matched Object.prototype and broke /metrics (500) for good.
  hook('X-Gitlab-Event: constructor', () => '{}', 200, IGNORED, { 'x-gitlab-event': 'constructor' }),
  hook('X-Gitlab-Event: __proto__', () => '{}', 200, IGNORED, { 'x-gitlab-event': '__proto__' }),
  hook('X-Gitlab-Event: toString without a token', () => '{}', 403, { code: 'FORBIDDEN' }, { 'x-gitlab-event': 'toString', 'x-gitlab-token': '' }),
  hook('a branch deletion', json((c) => push(c, (p) => ((p.after = ZERO), (p.checkout_sha = null)))), 200, IGNORED),
  // Project paths are never passed on unless they are plain GitLab paths.
  ...[
    ['..', 'acme/../../etc'],
    ['a leading ../', '../../etc/passwd'],
    ['$(id)', 'acme/$(id)'],
    [';', 'acme/web;rm -rf ~'],
    ['backticks', 'acme/`id`'],
    ['a space', 'acme/web app'],
    ['a newline', 'acme/web\napp'],
    ['a NUL', 'acme/web\u0000app'],
    ['an absolute path', '/etc/passwd'],
    ['non-ASCII letters', 'acme/wébapp'],
  ].map(([what, value]) => hook(`project path with ${what}`, json((c) => push(c, path(value!))), 422, invalid('project.path_with_namespace'))),
  // The payload must come from the instance the token belongs to.
  hook('token of A, payload of B', json((c) => pushPayload({ gitlabUrl: c.gitlabBUrl, path: 'acme/webapp', before: c.sha(), after: c.sha() })), 403, { code: 'WRONG_INSTANCE' }),
  hook('token of B, payload of A', json(push), 403, { code: 'WRONG_INSTANCE' }, { 'x-gitlab-token': TOKEN_B }),
  hook('token of B, payload of B', json((c) => pushPayload({ gitlabUrl: c.gitlabBUrl, path: 'acme/webapp', before: c.sha(), after: c.sha() })), 200, ACCEPTED, { 'x-gitlab-token': TOKEN_B }),
  hook('an unknown host', json((c) => pushPayload({ gitlabUrl: 'https://evil.example.com', path: 'acme/webapp', before: c.sha(), after: c.sha() })), 403, { code: 'WRONG_INSTANCE' }),
  hook('userinfo pointing elsewhere', json((c) => push(c, (p) => (p.project.web_url = `${c.gitlabUrl}@evil.example.com/acme/webapp`))), 403, { code: 'WRONG_INSTANCE' }),
  hook('a javascript: web_url', json((c) => push(c, (p) => (p.project.web_url = 'javascript:alert(1)'))), 422, invalid('project.web_url')),
  hook('a file: web_url', json((c) => push(c, (p) => (p.project.web_url = 'file:///etc/passwd'))), 422, invalid('project.web_url')),
  // Commit SHAs.
  hook('a non-hex sha', json((c) => push(c, (p) => (p.after = 'g'.repeat(40)))), 422, invalid('after')),
  hook('a short sha', json((c) => push(c, (p) => (p.after = 'abc1234'))), 422, invalid('after')),
  hook('an upper-case sha', json((c) => push(c, (p) => (p.after = 'ABCDEF0123'.repeat(4)))), 422, invalid('after')),
  hook('a 41-digit sha', json((c) => push(c, (p) => (p.after = `${p.after}a`))), 422, invalid('after')),
  hook('a 64-digit (SHA-256) sha', json((c) => push(c, (p) => ((p.after = c.sha() + c.sha().slice(0, 24)), (p.checkout_sha = p.after)))), 200, ACCEPTED),
  hook('10k commits, under the limit (never read)', json((c) => push(c, (p) => (p.commits = manyCommits(10_000)))), 200, ACCEPTED),
  // Unicode and odd but valid names are accepted; control characters in refs are not.
  hook('unicode project and user names', json((c) => push(c, (p) => ((p.project.name = '项目 🚀 مشروع'), (p.user_name = 'Zoë ✓ עברית'), (p.user_username = 'zoë')))), 200, ACCEPTED),
  hook('an emoji branch', json((c) => push(c, branch('feature/🚀-launch'))), 200, ACCEPTED),
  hook('an RTL branch', json((c) => push(c, branch('fix/\u202Eabc\u202C-שלום'))), 200, ACCEPTED),
  hook('shell metacharacters in a branch (valid for git)', json((c) => push(c, branch('$(id);`id`|x&y'))), 200, ACCEPTED),
  hook('an emoji merge request branch', json((c) => mr(c, (a) => (a.source_branch = 'feat/✨-مرحبا'))), 200, ACCEPTED, { 'x-gitlab-event': HEADERS.mr }),
  hook('a NUL in a user name (free text)', json((c) => push(c, (p) => (p.user_name = 'a\u0000b'))), 200, ACCEPTED),
  hook('a NUL in a branch', json((c) => push(c, branch('main\u0000x'))), 422, invalid('ref')),
  hook('a newline in a branch', json((c) => push(c, branch('main\nx'))), 422, invalid('ref')),
  // Regression: on Postgres this NUL reached a text column and the intake answered 503.
  hook('a NUL in a merge request branch', json((c) => mr(c, (a) => (a.source_branch = 'feat\u0000x'))), 422, invalid('object_attributes.source_branch'), { 'x-gitlab-event': HEADERS.mr }),
  // Duplicate keys: JSON.parse keeps the last one, so validation sees what is used.
  hook('duplicate key, valid one last', (c) => JSON.stringify(push(c)).replace(/^\{/, '{"after":"not-a-sha",'), 200, ACCEPTED),
  hook('duplicate key, invalid one last', (c) => JSON.stringify(push(c)).replace(/\}$/, ',"after":"not-a-sha"}'), 422, invalid('after')),
  // Headers.
  hook('an 8 KB Idempotency-Key', json(push), 200, ACCEPTED, { 'idempotency-key': 'k'.repeat(8000) }),
  hook('a 100 KB header (over Bun\'s header limit)', json(push), 431, { shape: 'server' }, { 'x-padding': 'p'.repeat(100_000) }),
  {
    name: 'a NUL byte in a header',
    app: 'intake',
    raw: (c) => rawPost(c, JSON.stringify(push(c)), { 'X-Gitlab-Event': 'Push\u0000Hook' }),
    status: 400,
    want: { shape: 'server' },
  },
  hook('no X-Gitlab-Event: the body decides', json(push), 200, ACCEPTED, { 'x-gitlab-event': '' }),
];

function rawPost(c: Ctx, body: string, headers: Record<string, string>): string {
  const h: Record<string, string> = {
    Host: new URL(c.intakeUrl).host,
    'Content-Type': 'application/json',
    'X-Gitlab-Token': WEBHOOK_TOKEN,
    'X-Gitlab-Event': HEADERS.push,
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
    ...headers,
  };
  return `POST /v1/gitlab/webhook HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`;
}

function overLimitStream(limit: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(`{"pad":"${'x'.repeat(65_536)}`);
  let sent = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (sent > limit) return ctrl.close();
      ctrl.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
}

function manyCommits(n: number): Json[] {
  const template = fixture('project_hook.push.json').commits[0];
  return Array.from({ length: n }, (_, i) => ({ ...template, id: i.toString(16).padStart(40, '0') }));
}
