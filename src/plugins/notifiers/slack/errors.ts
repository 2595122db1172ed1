/** Slack failures in SecBot's terms, with what the operator has to fix. */
import { PermanentError, RetryableError } from '../../../core/errors.ts';

const TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'no_permission']);
const TRANSIENT = new Set(['fatal_error', 'service_unavailable', 'request_timeout', 'internal_error']);
const RATE = new Set(['ratelimited', 'rate_limited']);

interface SlackLikeError {
  code?: string;
  data?: { error?: string };
  retryAfter?: number;
  statusCode?: number;
  message?: string;
}

export function classifySlackError(err: unknown, channel: string, tokenVar: string): Error {
  const e = err as SlackLikeError;
  if (e?.code === 'slack_webapi_rate_limited_error') {
    return new RetryableError(`Slack rate-limited posting to ${channel}; retrying after ${e.retryAfter ?? 1} s`, {
      retryAfterMs: (e.retryAfter ?? 1) * 1000,
      rateLimited: true,
    });
  }
  if (e?.code === 'slack_webapi_platform_error') return platformError(e.data?.error ?? 'unknown_error', channel, tokenVar);
  if (e?.code === 'slack_webapi_http_error') {
    const status = e.statusCode ?? 0;
    const msg = `Slack answered HTTP ${status} when posting to ${channel}`;
    return status >= 500 || status === 408 ? new RetryableError(msg) : new PermanentError(`${msg}; check SECBOT_SLACK_API_URL`);
  }
  if (e?.code === 'slack_webapi_request_error') return new RetryableError(`Slack is unreachable: ${String(e.message ?? '').slice(0, 200)}`);
  return new RetryableError(`posting to Slack failed: ${String(e?.message ?? err).slice(0, 200)}`);
}

function platformError(code: string, channel: string, tokenVar: string): Error {
  if (RATE.has(code)) return new RetryableError(`Slack rate-limited posting to ${channel}`, { retryAfterMs: 30_000, rateLimited: true });
  if (TRANSIENT.has(code)) return new RetryableError(`Slack reported ${code} when posting to ${channel}`);
  if (TOKEN_ERRORS.has(code)) {
    return new PermanentError(`Slack rejected the bot token (${code}); reinstall the Slack app and update ${tokenVar}`);
  }
  const fixes: Record<string, string> = {
    channel_not_found: `channel ${channel} does not exist or the bot cannot see it; fix the component's channels in config.yml`,
    not_in_channel: `the Slack app is not a member of ${channel}; invite it (/invite @app) or add the chat:write.public scope`,
    is_archived: `channel ${channel} is archived; unarchive it or remove it from config.yml`,
    missing_scope: 'the Slack token lacks the chat:write scope; add it and reinstall the app',
  };
  return new PermanentError(`Slack: ${code}: ${fixes[code] ?? `posting to ${channel} was refused`}`);
}
