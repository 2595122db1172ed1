/**
 * The optional results read token (SECBOT_RESULTS_TOKEN). API callers send `Authorization: Bearer <token>`; a browser
 * on the check page enters it once in a form and gets a cookie holding an HMAC of it (never the token itself), scoped
 * to /checks, HttpOnly and SameSite=Strict. Comparisons are constant-time on fixed-length digests.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const PAGE_COOKIE = 'secbot_results';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export interface ResultsAuth {
  /** A token is configured: callers without it get the limited view. */
  required: boolean;
  bearerOk(authorization: string | null): boolean;
  cookieOk(cookieHeader: string | null): boolean;
  tokenOk(token: string): boolean;
  /** The Set-Cookie value after a correct token was entered on the page. */
  cookie(secure: boolean): string;
}

export function resultsAuth(token: string | undefined): ResultsAuth {
  if (!token) {
    return { required: false, bearerOk: () => true, cookieOk: () => true, tokenOk: () => true, cookie: () => '' };
  }
  const expected = digest(token);
  const pageValue = createHmac('sha256', token).update('secbot-check-page-v1').digest('base64url');
  const tokenOk = (given: string) => timingSafeEqual(digest(given), expected);
  return {
    required: true,
    tokenOk,
    bearerOk: (h) => {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(h ?? '');
      return m !== null && tokenOk(m[1]!);
    },
    cookieOk: (h) => {
      const v = cookieValue(h, PAGE_COOKIE);
      return v !== null && timingSafeEqual(digest(v), digest(pageValue));
    },
    cookie: (secure) => `${PAGE_COOKIE}=${pageValue}; Path=/checks; HttpOnly; SameSite=Strict; Max-Age=43200${secure ? '; Secure' : ''}`,
  };
}

function cookieValue(header: string | null, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}
