/** Maps HTTP transport failures of external APIs to SecBot's error kinds, with operator-facing messages. */
import { PermanentError, RetryableError } from '../core/errors.ts';

/** The request may or may not have reached the server: no answer came back (timeout, reset, refused). */
export class NoAnswerError extends RetryableError {}

export function networkError(service: string, url: string, err: unknown): NoAnswerError {
  const e = err as { name?: string; message?: string; code?: string };
  if (e?.name === 'TimeoutError') return new NoAnswerError(`${service} at ${url} did not answer in time`, { cause: err });
  if (e?.name === 'AbortError') return new NoAnswerError(`request to ${service} was aborted`, { cause: err });
  return new NoAnswerError(`${service} at ${url} is unreachable: ${e?.code ?? e?.message ?? String(err)}`, { cause: err });
}

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unparseable. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function statusError(service: string, status: number, what: string, detail: string, hint?: string): Error {
  const msg = `${service} answered ${status} to ${what}: ${detail}${hint ? ` — ${hint}` : ''}`;
  if (status >= 500 || status === 429 || status === 408) return new RetryableError(msg);
  return new PermanentError(msg);
}

/** The first 300 characters of a response body, on one line: enough to diagnose, never a whole page. */
export function bodySnippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine || '(empty body)';
}
