/**
 * Hostile requests to every endpoint but the webhook: the operations endpoints of both instances, the gate, the
 * admin API with and without its token, unknown routes and wrong methods. Unknown routes and methods are 404 with
 * the JSON error body; a malformed check id is 422 on the gate and 404 ("no such check") on the admin API.
 */
import { ADMIN_TOKEN, PREFIX, WEBHOOK_TOKEN } from '../helpers/world.ts';
import type { Ctx, Row, Want } from './hostile-input-support.ts';

const ID = `${PREFIX}_${'0a'.repeat(32)}`;
const LONG_ID = `${PREFIX}_${'a'.repeat(10_000)}`;
const BEARER = { authorization: `Bearer ${ADMIN_TOKEN}` };
const NOT_FOUND: Want = { code: 'NOT_FOUND' };
const UNAUTHORIZED: Want = { code: 'UNAUTHORIZED' };
const BAD_ID: Want = { code: 'INVALID_CHECK_ID' };
const BAD_QUERY: Want = { code: 'INVALID_QUERY' };

/** A readable row name: the check id as <id>, long runs of one character as <N×c>, and which credentials were sent. */
function label(method: string, path: string, headers: Record<string, string>, body?: string): string {
  const p = path.replace(ID, '<id>').replace(/(.)\1{19,}/g, (run, ch) => `<${run.length}×${ch}>`);
  const auth = headers.authorization === BEARER.authorization ? ' [admin token]' : headers.authorization ? ' [other authorization]' : '';
  return `${method} ${p}${auth}${body === undefined ? '' : ` with a ${body.length}-byte body`}`;
}

function get(app: Row['app'], path: string, status: number, want: Want, headers: Record<string, string> = {}, name = label('GET', path, headers)): Row {
  return { name: `${app}: ${name}`, app, method: 'GET', path, headers, status, want };
}

function call(app: Row['app'], method: string, path: string, status: number, want: Want, headers: Record<string, string> = {}, body?: string): Row {
  const h = body === undefined ? headers : { 'content-type': 'application/json', ...headers };
  return { name: `${app}: ${label(method, path, headers, body)}`, app, method, path, headers: h, body: body === undefined ? undefined : () => body, status, want };
}

function rawGet(app: Row['app'], target: string, status: number, want: Want, name: string): Row {
  return {
    name: `${app}: raw ${name}`,
    app,
    raw: (c: Ctx) => `GET ${target} HTTP/1.1\r\nHost: ${new URL(app === 'intake' ? c.intakeUrl : c.resultsUrl).host}\r\nConnection: close\r\n\r\n`,
    status,
    want,
  };
}

const operations = (app: Row['app']): Row[] => [
  get(app, '/healthz', 200, { shape: 'health' }),
  get(app, `/healthz?${'q=%00&'.repeat(1000)}`, 200, { shape: 'health' }, {}, 'GET /healthz with 1000 NUL query values'),
  get(app, '/healthz', 200, { shape: 'health' }, { 'x-long': 'h'.repeat(12_000), 'x-gitlab-token': `echo-${'e'.repeat(100)}` }, 'GET /healthz with a 12 KB header'),
  get(app, '/readyz', 200, { shape: 'health' }),
  get(app, '/metrics', 200, { shape: 'metrics' }),
  get(app, '/docs', 200, { shape: 'html' }),
  get(app, '/docs/json', 200, { shape: 'openapi' }),
  call(app, 'POST', '/healthz', 404, NOT_FOUND, {}, '{'),
  call(app, 'DELETE', '/readyz', 404, NOT_FOUND),
  call(app, 'PUT', '/metrics', 404, NOT_FOUND, {}, '['.repeat(100_000)),
  call(app, 'POST', '/docs', 404, NOT_FOUND, {}, '{"a":1}'),
  call(app, 'POST', '/docs/json', 404, NOT_FOUND, {}, '{'),
  get(app, '/nope', 404, NOT_FOUND),
  get(app, `/${'q'.repeat(10_000)}`, 404, NOT_FOUND, {}, 'GET a 10k-character path'),
  get(app, '/v1/gitlab/webhook%00', 404, NOT_FOUND),
  rawGet(app, '/docs/../../../../etc/passwd', 404, NOT_FOUND, 'dot segments'),
  get(app, '/healthz', 431, { shape: 'server' }, { 'x-long': 'h'.repeat(100_000) }, 'GET /healthz with a 100 KB header'),
];

export const ENDPOINT_ROWS: Row[] = [
  ...operations('intake'),
  ...operations('results'),
  // The webhook with a wrong method; the gate and admin API do not exist on intake.
  call('intake', 'GET', '/v1/gitlab/webhook', 404, NOT_FOUND, { 'x-gitlab-token': WEBHOOK_TOKEN }),
  call('intake', 'PUT', '/v1/gitlab/webhook', 404, NOT_FOUND, { 'x-gitlab-token': WEBHOOK_TOKEN }, '{}'),
  get('intake', `/v1/security/gitlab/check/${ID}`, 404, NOT_FOUND),
  get('intake', '/v1/admin/checks', 404, NOT_FOUND, BEARER),
  call('results', 'POST', '/v1/gitlab/webhook', 404, NOT_FOUND, { 'x-gitlab-token': WEBHOOK_TOKEN, 'x-gitlab-event': 'Push Hook' }, '{}'),
  // The gate: well-formed ids are always 200, anything else is 422.
  get('results', `/v1/security/gitlab/check/${ID}`, 200, { shape: 'gate' }),
  get('results', `/v1/security/gitlab/check/${LONG_ID}`, 422, BAD_ID, {}, 'GET the gate with a 10k-character id'),
  get('results', `/v1/security/gitlab/check/${'A'.repeat(10_000)}`, 422, BAD_ID, {}, 'GET the gate with 10k A'),
  get('results', '/v1/security/gitlab/check/..%2F..%2F..%2Fetc%2Fpasswd', 422, BAD_ID),
  get('results', `/v1/security/gitlab/check/${ID}%00`, 422, BAD_ID),
  get('results', `/v1/security/gitlab/check/${encodeURIComponent(`${PREFIX}_' OR '1'='1`)}`, 422, BAD_ID),
  get('results', `/v1/security/gitlab/check/${ID.toUpperCase()}`, 422, BAD_ID),
  rawGet('results', `/v1/security/gitlab/check/../../../../etc/passwd`, 404, NOT_FOUND, 'gate with dot segments'),
  call('results', 'POST', `/v1/security/gitlab/check/${ID}`, 404, NOT_FOUND, {}, '{'),
  call('results', 'DELETE', `/v1/security/gitlab/check/${ID}`, 404, NOT_FOUND),
  // Admin API without a valid token: 401 before anything else is looked at, and the token is never echoed.
  get('results', '/v1/admin/checks', 401, UNAUTHORIZED, {}, 'GET admin list without a token'),
  get('results', '/v1/admin/checks', 401, UNAUTHORIZED, { authorization: 'Bearer wrong-admin-token-do-not-echo' }, 'GET admin list with a wrong token'),
  get('results', '/v1/admin/checks', 401, UNAUTHORIZED, { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` }, 'GET admin list with Basic auth'),
  get('results', '/v1/admin/checks', 401, UNAUTHORIZED, { authorization: `Bearer ${ADMIN_TOKEN}x` }, 'GET admin list with the token plus a character'),
  get('results', '/v1/admin/checks', 401, UNAUTHORIZED, { authorization: `Bearer ${'b'.repeat(8000)}` }, 'GET admin list with an 8 KB bearer'),
  get('results', '/v1/admin/checks', 401, UNAUTHORIZED, { authorization: `bearer ${ADMIN_TOKEN}` }, 'GET admin list with a lower-case scheme'),
  get('results', `/v1/admin/checks/${ID}`, 401, UNAUTHORIZED, {}, 'GET admin show without a token'),
  get('results', `/v1/admin/checks/${LONG_ID}`, 401, UNAUTHORIZED, { authorization: 'Bearer nope-nope-nope' }, 'GET admin show with a 10k id and a wrong token'),
  call('results', 'POST', `/v1/admin/checks/${ID}/rerun`, 401, UNAUTHORIZED, {}, '{'),
  call('results', 'POST', `/v1/admin/checks/${ID}/rerun`, 401, UNAUTHORIZED, { authorization: 'Bearer wrong-admin-token-do-not-echo' }, '['.repeat(100_000)),
  // Admin API with the token: bad query values are 422, malformed or unknown ids 404.
  get('results', '/v1/admin/checks?limit=abc', 422, BAD_QUERY, BEARER),
  get('results', '/v1/admin/checks?limit=0', 422, BAD_QUERY, BEARER),
  get('results', '/v1/admin/checks?limit=501', 422, BAD_QUERY, BEARER),
  get('results', '/v1/admin/checks?limit=1.5', 422, BAD_QUERY, BEARER),
  get('results', '/v1/admin/checks?status=pwned', 422, BAD_QUERY, BEARER),
  get('results', '/v1/admin/checks?before=-5', 422, BAD_QUERY, BEARER),
  get('results', `/v1/admin/checks?project=${'p'.repeat(2000)}`, 422, BAD_QUERY, BEARER, 'GET admin list with a 2000-character project'),
  get('results', `/v1/admin/checks?project=${encodeURIComponent("x' OR '1'='1")}`, 200, { shape: 'list' }, BEARER),
  // Regression: on Postgres a NUL in the filter reached the query and the answer was 500.
  get('results', '/v1/admin/checks?project=acme%2Fweb%00app&status=error', 422, BAD_QUERY, BEARER),
  get('results', '/v1/admin/checks?project=acme%2Fweb%0Aapp', 422, BAD_QUERY, BEARER),
  get('results', '/v1/admin/checks?project=%F0%9F%9A%80%E2%80%AE&status=error', 200, { shape: 'list' }, BEARER),
  get('results', `/v1/admin/checks/${ID}`, 404, NOT_FOUND, BEARER),
  get('results', `/v1/admin/checks/${LONG_ID}`, 404, NOT_FOUND, BEARER, 'GET admin show with a 10k-character id'),
  get('results', '/v1/admin/checks/..%2F..%2Fetc%2Fpasswd', 404, NOT_FOUND, BEARER),
  call('results', 'POST', `/v1/admin/checks/${ID}/rerun`, 404, NOT_FOUND, BEARER, '{'),
  call('results', 'POST', `/v1/admin/checks/${LONG_ID}/rerun`, 404, NOT_FOUND, BEARER),
  call('results', 'GET', `/v1/admin/checks/${ID}/rerun`, 404, NOT_FOUND, BEARER),
  call('results', 'DELETE', '/v1/admin/checks', 404, NOT_FOUND, BEARER),
  get('results', '/v1/admin/nope', 404, NOT_FOUND, BEARER),
  // The check page: HTML for well-formed ids, an HTML 404 for anything else; not on intake.
  get('results', `/checks/${ID}`, 200, { shape: 'html' }),
  get('results', `/checks/${LONG_ID}`, 404, { shape: 'html' }, {}, 'GET the check page with a 10k-character id'),
  get('results', `/checks/${encodeURIComponent('<script>alert(1)</script>')}`, 404, { shape: 'html' }),
  get('results', '/checks/..%2F..%2Fetc%2Fpasswd', 404, { shape: 'html' }),
  call('results', 'POST', `/checks/${ID}/unlock`, 400, { code: 'MALFORMED_REQUEST' }, {}, '{'),
  call('results', 'POST', `/checks/${LONG_ID}/unlock`, 404, { shape: 'html' }),
  call('results', 'DELETE', `/checks/${ID}`, 404, NOT_FOUND),
  get('intake', `/checks/${ID}`, 404, NOT_FOUND),
];
