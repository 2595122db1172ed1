/**
 * How SecBot runs git: a closed environment (no system or user config, no prompts, a HOME of its own) and, for the
 * network, the GitLab token handed over through GIT_CONFIG_* environment entries. The token is never part of an
 * argv (visible in `ps` to every local user), never written to a repository's config, and scrubbed from any git
 * output SecBot repeats.
 */
import type { GitlabInstance } from '../../config/settings.ts';
import { PROJECT_PATH } from '../../core/webhook.ts';
import { PermanentError } from '../../core/errors.ts';

/**
 * `-c` options of every network command. Only http(s) may be used (no file://, ssh:// or ext:: a crafted URL or
 * submodule could name); redirects are refused so the Authorization header is never replayed to another host;
 * no credential helper runs; a stalled transfer fails instead of hanging until the task timeout.
 */
export const NETWORK_CONFIG_ARGS: readonly string[] = [
  '-c', 'protocol.allow=never',
  '-c', 'protocol.http.allow=always',
  '-c', 'protocol.https.allow=always',
  '-c', 'http.followRedirects=false',
  '-c', 'credential.helper=',
  '-c', 'http.lowSpeedLimit=1',
  '-c', 'http.lowSpeedTime=120',
];

/** Environment of local git commands: nothing from the service's own environment but PATH. */
export function gitEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    // Error texts are matched to tell auth, not-found and corruption apart: keep them in English.
    LC_ALL: 'C',
  };
}

/** Environment of network git commands: the token travels as an extra HTTP header defined in the environment. */
export function gitNetworkEnv(home: string, token: string): Record<string, string> {
  return {
    ...gitEnv(home),
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basicCredentials(token)}`,
  };
}

/** GitLab ignores the user name of git-over-HTTP; `oauth2` is what its docs use with access tokens. */
export function basicCredentials(token: string): string {
  return Buffer.from(`oauth2:${token}`).toString('base64');
}

/**
 * The only URL SecBot clones from: the configured instance plus the project path. Payload URLs
 * (git_http_url, web_url) are never used, so a forged payload cannot point the token at another host.
 */
export function cloneUrl(instance: GitlabInstance, projectPath: string): string {
  if (!PROJECT_PATH.test(projectPath) || projectPath.includes('..')) {
    throw new PermanentError(`project path "${projectPath}" is not a GitLab project path like group/project`);
  }
  return `${instance.baseUrl}/${projectPath}.git`;
}

/** Removes the token (raw and base64-encoded), any Basic credentials and URL userinfo from text SecBot repeats. */
export function makeScrubber(token: string): (text: string) => string {
  const needles = [token, basicCredentials(token), encodeURIComponent(token)].filter((n) => n.length >= 4);
  return (text) => {
    let out = text;
    for (const n of needles) out = out.split(n).join('[REDACTED]');
    return out
      .replace(/(Authorization:\s*\w+\s+)\S+/gi, '$1[REDACTED]')
      .replace(/(\w+:\/\/)[^/@\s]+@/g, '$1[REDACTED]@');
  };
}

/** The last `n` non-empty lines of a command's stderr, for error messages. */
export function tailLines(text: string, n = 20): string {
  return text.split(/\r?\n|\r/).map((l) => l.trimEnd()).filter(Boolean).slice(-n).join('\n');
}
