// DRF authentication as DefectDojo configures it (CONTRACT.md §2): Session, Basic, Token.
// Session comes first and has no WWW-Authenticate challenge, so every failure is a 403.

import { detail } from './errors.ts';

export interface Credentials {
  token: string;
  username: string;
  password: string;
  /** Tokens of a user that is inactive: "User inactive or deleted." */
  inactiveTokens: string[];
  /** Tokens that authenticate but lack permission for any write. */
  readOnlyTokens: string[];
}

export type AuthOutcome = { user: 'admin' | 'read-only' } | { response: Response };

const forbidden = (text: string): AuthOutcome => ({ response: detail(text, 403) });

function basic(parts: string[], c: Credentials): AuthOutcome {
  if (parts.length === 1) return forbidden('Invalid basic header. No credentials provided.');
  if (parts.length > 2) return forbidden('Invalid basic header. Credentials string should not contain spaces.');
  let decoded: string;
  try {
    decoded = atob(parts[1]!);
  } catch {
    return forbidden('Invalid basic header. Credentials not correctly base64 encoded.');
  }
  const sep = decoded.indexOf(':');
  const [user, pass] = sep === -1 ? [decoded, ''] : [decoded.slice(0, sep), decoded.slice(sep + 1)];
  if (user !== c.username || pass !== c.password) return forbidden('Invalid username/password.');
  return { user: 'admin' };
}

function token(parts: string[], c: Credentials): AuthOutcome {
  if (parts.length === 1) return forbidden('Invalid token header. No credentials provided.');
  if (parts.length > 2) return forbidden('Invalid token header. Token string should not contain spaces.');
  const key = parts[1]!;
  if (c.inactiveTokens.includes(key)) return forbidden('User inactive or deleted.');
  if (c.readOnlyTokens.includes(key)) return { user: 'read-only' };
  if (key !== c.token) return forbidden('Invalid token.');
  return { user: 'admin' };
}

export function authenticate(headers: Headers, c: Credentials): AuthOutcome {
  // Python's bytes.split(): any run of ASCII whitespace separates the parts.
  const parts = (headers.get('authorization') ?? '').split(/[ \t\n\r\v\f]+/).filter((p) => p !== '');
  const keyword = parts[0]?.toLowerCase();
  if (keyword === 'basic') return basic(parts, c);
  if (keyword === 'token') return token(parts, c);
  return forbidden('Authentication credentials were not provided.');
}

export const PERMISSION_DENIED = 'You do not have permission to perform this action.';
