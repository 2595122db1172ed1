/**
 * A fetch that logs every request at debug level: method, URL (without credentials), status and duration. Plugins get it from the composition root, so `SECBOT_LOG_LEVEL=debug` shows what SecBot asks
 * DefectDojo and how long it takes. Headers (tokens) are never logged.
 */
import { elideTokenLike } from '../core/check.ts';
import type { Logger } from '../log/logger.ts';

export function loggingFetch(logger: Logger, inner: typeof fetch = fetch): typeof fetch {
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const url = describeUrl(input instanceof Request ? input.url : String(input));
    const started = performance.now();
    try {
      const res = await inner(input, init);
      logger.debug('HTTP request', { method, url, status: res.status, duration_ms: Math.round(performance.now() - started) });
      return res;
    } catch (err) {
      logger.debug('HTTP request failed', { method, url, error: err, duration_ms: Math.round(performance.now() - started) });
      throw err;
    }
  };
  return Object.assign(wrapped, { preconnect: inner.preconnect }) as typeof fetch;
}

/**
 * Origin, path and query; credentials in the URL are dropped (`origin` has none) and token-shaped runs elided:
 * queries carry branch names (DefectDojo engagements), and a branch may be named after a secret.
 */
export function describeUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return elideTokenLike(`${u.origin}${u.pathname}${u.search}`);
  } catch {
    return '(unparsable URL)';
  }
}
