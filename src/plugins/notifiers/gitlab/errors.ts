/** GitLab REST failures in SecBot's terms (REST.md §1, §7), with what the operator has to fix. */
import { GitlabApiError } from '../../../clients/gitlab/rest.ts';
import { ConfigError, PermanentError, RetryableError } from '../../../core/errors.ts';

/** Errors that concern the whole publication (token, rate limit, outage), not one target. */
export function classifyGitlabError(err: unknown, host: string, rateLimitWaitMs: number): Error {
  if (!(err instanceof GitlabApiError)) return err instanceof Error ? err : new RetryableError(String(err));
  const where = `GITLAB_CONFIGS instance ${host}`;
  if (err.status === 401) {
    return new ConfigError(`GitLab rejected the api_token of ${where} (${err.detail}); create a token with the api scope and update api_token`);
  }
  if (err.status === 403 && /insufficient_scope/.test(err.detail)) {
    return new ConfigError(`the api_token of ${where} lacks the api scope (read_repository or read_api cannot write statuses or notes); create one with api`);
  }
  if (err.status === 429) {
    return new RetryableError(`GitLab rate-limited ${err.what}; waiting before trying again`, {
      retryAfterMs: err.retryAfterMs ?? rateLimitWaitMs,
      rateLimited: true,
    });
  }
  if (err.status >= 500 || err.status === 408 || err.status === 409) return new RetryableError(err.message);
  if (err.status === 404 && /Project Not Found/i.test(err.detail)) {
    return new PermanentError(`${err.message}: the project does not exist or the api_token's user cannot see it; add that user to the project (Developer, or Maintainer for protected branches)`);
  }
  return new PermanentError(err.message);
}

/** A refusal about one target (a status on one pipeline, one note) that retrying soon cannot fix, or null. */
export function targetProblem(err: GitlabApiError): string | null {
  if (err.status === 403) {
    return `${err.message}: the api_token's user may not do this here; setting a status on a protected branch needs Maintainer (or the right to push or merge there), a note needs at least Reporter`;
  }
  if (err.status === 422) return `${err.message}: the pipeline cannot take another job`;
  if (err.status === 400 || err.status === 404) return err.message;
  return null;
}

export const isTransitionError = (err: unknown): err is GitlabApiError =>
  err instanceof GitlabApiError && err.status === 400 && err.detail.startsWith('Cannot transition status via');

/** `Cannot transition status via :run from :running (…)` → `running`. */
export function currentStateOf(err: GitlabApiError): string | null {
  return /from :([a-z_]+)/.exec(err.detail)?.[1] ?? null;
}

export const isNameTaken = (err: unknown): err is GitlabApiError =>
  err instanceof GitlabApiError && err.status === 400 && /name: .*has already been taken/.test(err.detail);
