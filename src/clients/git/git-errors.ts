/**
 * Turns a failed git command into the error the worker acts on. git's exit code is 128 for nearly everything, so
 * the (English, LC_ALL=C) stderr decides: auth, not found, server error, network, or a broken local mirror.
 */
import type { GitlabInstance } from '../../config/settings.ts';
import { RetryableError } from '../../core/errors.ts';
import { tailLines } from './git-env.ts';

/** The local mirror is damaged; the cache deletes it and fetches it again. */
export class CorruptMirrorError extends Error {
  override readonly name = 'CorruptMirrorError';
}

const CORRUPTION = [
  /not a git repository/i,
  /\bcorrupt/i,
  /bad object\b/i,
  /bad packed object/i,
  /bad config/i,
  /non-monotonic index/i,
  /index file .* is too small/i,
  /packfile .* (?:cannot be accessed|does not match index)/i,
  /packed object .* is corrupt/i,
  /inflate(?:Init)?: data stream error/i,
  /unable to (?:read|parse) (?:tree|commit|object)/i,
  /unable to (?:read|unpack) [0-9a-f]{7,}/i,
  /invalid (?:object|sha1 pointer)/i,
  /did not send all necessary objects/i,
  /missing (?:blob|tree|commit) /i,
  /missing object [0-9a-f]{7,} for refs\//i,
  /wrong index v\d file size/i,
  /bad pack signature|unknown pack file version|premature end of pack file/i,
  /broken link from/i,
  /loose object .* is corrupt/i,
  /unknown object type/i,
  /object file .* is empty/i,
];

export function looksCorrupt(stderr: string): boolean {
  return CORRUPTION.some((re) => re.test(stderr));
}

export interface FetchFailure {
  instance: GitlabInstance;
  projectPath: string;
  /** Already scrubbed of the token. */
  stderr: string;
}

/** Every remote failure is retryable: credentials get fixed, projects appear (or reappear), servers recover. */
export function remoteError(f: FetchFailure): RetryableError {
  const where = `GitLab at ${f.instance.host}`;
  const status = /returned error: (\d{3})/.exec(f.stderr)?.[1];
  const detail = tailLines(f.stderr, 5);
  if (status === '401' || status === '403' || /could not read (?:Username|Password)|Authentication failed/i.test(f.stderr)) {
    const code = status ?? '401';
    return new RetryableError(
      `${where} rejected the auth_token of GITLAB_CONFIGS instance ${f.instance.prefix} (${code}) when fetching ` +
        `${f.projectPath}: check that the token is valid, not expired, and has the read_repository scope on this project`,
    );
  }
  if (status === '404' || /repository '.*' not found/i.test(f.stderr)) {
    return new RetryableError(
      `${where} did not find the project ${f.projectPath} (404): it may have been renamed, deleted or not yet ` +
        `created, or the auth_token of GITLAB_CONFIGS instance ${f.instance.prefix} cannot see it`,
    );
  }
  if (status?.startsWith('5')) {
    return new RetryableError(`${where} answered ${status} while fetching ${f.projectPath}; will retry:\n${detail}`);
  }
  if (/Could not resolve host|Failed to connect|Couldn't connect|Connection (?:refused|reset|timed out)|Operation (?:too slow|timed out)|early EOF|remote end hung up|RPC failed|SSL|TLS|transfer closed/i.test(f.stderr)) {
    return new RetryableError(`cannot reach ${where} to fetch ${f.projectPath} (network error); will retry:\n${detail}`);
  }
  if (status && /^3/.test(status)) {
    return new RetryableError(`${where} redirected the fetch of ${f.projectPath} (${status}); SecBot does not follow redirects: was the project moved?`);
  }
  return new RetryableError(`git fetch of ${f.projectPath} from ${where} failed:\n${detail}`);
}
