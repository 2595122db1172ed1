/**
 * `GET /checks/{security_check_id}` on the results role: the page a commit status links to (SECBOT_PUBLIC_URL).
 * Server-rendered HTML with a strict CSP, no caching, no referrer. With a results token configured, the details need
 * `Authorization: Bearer <token>` or the cookie that `POST /checks/{id}/unlock` sets after the token was entered.
 */
import { Elysia } from 'elysia';
import { isCheckId } from '../core/check-id.ts';
import { checkPageData, type CheckPageDeps } from '../services/check-page.ts';
import { CHECK_PAGE_CSP, esc, renderCheckPage } from './check-page-html.ts';
import type { ResultsAuth } from './results-auth.ts';

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CHECK_PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const html = (body: string, status = 200, extra: Record<string, string> = {}) => new Response(body, { status, headers: { ...HEADERS, ...extra } });

function notFoundPage(): Response {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SecBot · no such check</title></head><body><main><h1>Not a check id</h1><p>${esc(
    'A check id is <PREFIX>_<64 hex digits>.',
  )}</p></main></body></html>`;
  return html(body, 404);
}

export function checkPageRoutes(deps: CheckPageDeps, auth: ResultsAuth) {
  const render = async (id: string, detailed: boolean, status = 200, unlockFailed = false) =>
    html(renderCheckPage(await checkPageData(deps, id, detailed), { tokenRequired: auth.required, unlockFailed }), status);
  return new Elysia({ name: 'secbot-check-page' })
    .get(
      '/checks/:security_check_id',
      async ({ params, request }) => {
        if (!isCheckId(params.security_check_id)) return notFoundPage();
        const h = request.headers;
        return render(params.security_check_id, auth.bearerOk(h.get('authorization')) || auth.cookieOk(h.get('cookie')));
      },
      { detail: { summary: 'Check page (HTML): verdict, findings, timeline', tags: ['gate'] } },
    )
    .post(
      '/checks/:security_check_id/unlock',
      async ({ params, body, request }) => {
        const id = params.security_check_id;
        if (!isCheckId(id)) return notFoundPage();
        const token = tokenOf(body);
        if (!auth.required) return html('', 303, { location: `/checks/${id}` });
        if (!token || !auth.tokenOk(token)) return render(id, false, 401, true);
        const secure = new URL(request.url).protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';
        return html('', 303, { location: `/checks/${id}`, 'set-cookie': auth.cookie(secure) });
      },
      { detail: { summary: 'Check page: enter the results read token (sets a cookie for /checks)', tags: ['gate'] } },
    );
}

function tokenOf(body: unknown): string | null {
  if (typeof body === 'string') return new URLSearchParams(body).get('token');
  if (body && typeof body === 'object' && 'token' in body) {
    const t = (body as { token: unknown }).token;
    return typeof t === 'string' ? t : null;
  }
  return null;
}
