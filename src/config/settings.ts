/**
 * Service settings (seed §1.3, §2.1) read from the layered environment and validated with zod. Errors name the
 * variable and what is wrong with it, never its value: several of these are tokens.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import type { EnvMap } from './dotenv.ts';

export const gitlabInstanceSchema = z.object({
  host: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://gitlab.example.com/' }),
  webhook_secret_token: z.string().min(8, 'must be at least 8 characters'),
  auth_token: z.string().min(1, 'must not be empty'),
  prefix: z.string().regex(/^[A-Za-z0-9_]+$/, 'must contain only letters, digits and _ (it starts every check id)'),
});

export interface GitlabInstance {
  /** Base URL as configured, normalised to end without a slash. */
  baseUrl: string;
  /** host[:port] of the instance: payloads must come from it and clones go to it. */
  host: string;
  /** Hostname alone: GitLab CI's CI_SERVER_HOST, used in the check id (seed §3.5). */
  hostname: string;
  webhookSecretToken: string;
  authToken: string;
  prefix: string;
}

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const settingsSchema = z.object({
  GITLAB_CONFIGS: z.string({ error: 'is not set; it must be a JSON array of GitLab instances' }),
  SECBOT_DATABASE_URL: z.string().optional(),
  SECBOT_POSTGRES_DSN: z.string().optional(),
  SECBOT_CONFIG: z.string().default('config.yml'),
  SECBOT_BIND: z.string().default('0.0.0.0'),
  SECBOT_INTAKE_PORT: int(5000, 0),
  SECBOT_RESULTS_PORT: int(5001, 0),
  SECBOT_WORKER_PORT: int(5002, 0),
  SECBOT_MAX_BODY_BYTES: int(25 * 1024 * 1024, 1024),
  SECBOT_MIGRATE_ON_START: bool(true),
  SECBOT_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  SECBOT_WORKER_CONCURRENCY: int(4, 1),
  SECBOT_LEASE_MS: int(60_000, 1000),
  SECBOT_POLL_MS: int(500, 10),
  SECBOT_TASK_MAX_ATTEMPTS: int(5, 1),
  SECBOT_TASK_TIMEOUT_MS: int(15 * 60_000, 1000),
  SECBOT_RETRY_BASE_MS: int(2000, 1),
  SECBOT_RETRY_MAX_MS: int(5 * 60_000, 1),
  SECBOT_SHUTDOWN_GRACE_MS: int(25_000, 0),
  SECBOT_CACHE_DIR: z.string().default('data/cache'),
  SECBOT_CACHE_MAX_BYTES: int(10 * 1024 ** 3, 0),
  SECBOT_GIT_BIN: z.string().default('git'),
  SECBOT_GITLEAKS_BIN: z.string().default('gitleaks'),
  SECBOT_GATE_CACHE_TTL_MS: int(30_000, 0),
  SECBOT_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SECBOT_SLACK_API_URL: z.url().default('https://slack.com/api/'),
  SECBOT_HTTP_TIMEOUT_MS: int(30_000, 100),
  SECBOT_SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  SECBOT_FINGERPRINT_KEY: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
});

/** Every environment variable SecBot reads itself (config.yml components name their own). */
export const SETTINGS_VARIABLES: readonly string[] = Object.keys(settingsSchema.shape);

export type Settings = {
  gitlab: GitlabInstance[];
  databaseUrl: string;
  configPath: string;
  bind: string;
  intakePort: number;
  resultsPort: number;
  workerPort: number;
  maxBodyBytes: number;
  migrateOnStart: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  worker: {
    concurrency: number;
    leaseMs: number;
    pollMs: number;
    maxAttempts: number;
    taskTimeoutMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
  };
  shutdownGraceMs: number;
  cacheDir: string;
  cacheMaxBytes: number;
  gitBin: string;
  gitleaksBin: string;
  gateCacheTtlMs: number;
  adminToken?: string;
  slackApiUrl: string;
  httpTimeoutMs: number;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /**
   * HMAC key of secret fingerprints (novelty, leak identity). Never stored in the database, so the fingerprints
   * there cannot be brute-forced back into short secrets. Derived from the instances' webhook tokens when unset.
   */
  fingerprintKey: Uint8Array;
  fingerprintKeyDerived: boolean;
  /** The whole layered environment: config.yml components name variables from it. */
  env: EnvMap;
};

/** Default database: an embedded SQLite file beside the working directory. */
export const DEFAULT_DATABASE_URL = 'data/secbot.sqlite';

export function loadSettings(env: EnvMap): Settings {
  // An empty assignment (`SECBOT_INTAKE_PORT=`) means "not set": it falls back to the default instead of 0 or "".
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v.trim() !== ''));
  const parsed = settingsSchema.safeParse(given);
  if (!parsed.success) throw new ConfigError(formatEnvIssues(parsed.error));
  const s = parsed.data;
  const gitlab = parseGitlabConfigs(s.GITLAB_CONFIGS);
  return {
    gitlab,
    databaseUrl: normaliseDatabaseUrl(s.SECBOT_DATABASE_URL ?? s.SECBOT_POSTGRES_DSN ?? DEFAULT_DATABASE_URL),
    configPath: s.SECBOT_CONFIG,
    bind: s.SECBOT_BIND,
    intakePort: s.SECBOT_INTAKE_PORT,
    resultsPort: s.SECBOT_RESULTS_PORT,
    workerPort: s.SECBOT_WORKER_PORT,
    maxBodyBytes: s.SECBOT_MAX_BODY_BYTES,
    migrateOnStart: s.SECBOT_MIGRATE_ON_START,
    logLevel: s.SECBOT_LOG_LEVEL,
    worker: {
      concurrency: s.SECBOT_WORKER_CONCURRENCY,
      leaseMs: s.SECBOT_LEASE_MS,
      pollMs: s.SECBOT_POLL_MS,
      maxAttempts: s.SECBOT_TASK_MAX_ATTEMPTS,
      taskTimeoutMs: s.SECBOT_TASK_TIMEOUT_MS,
      retryBaseMs: s.SECBOT_RETRY_BASE_MS,
      retryMaxMs: s.SECBOT_RETRY_MAX_MS,
    },
    shutdownGraceMs: s.SECBOT_SHUTDOWN_GRACE_MS,
    cacheDir: s.SECBOT_CACHE_DIR,
    cacheMaxBytes: s.SECBOT_CACHE_MAX_BYTES,
    gitBin: s.SECBOT_GIT_BIN,
    gitleaksBin: s.SECBOT_GITLEAKS_BIN,
    gateCacheTtlMs: s.SECBOT_GATE_CACHE_TTL_MS,
    adminToken: s.SECBOT_ADMIN_TOKEN,
    slackApiUrl: s.SECBOT_SLACK_API_URL,
    httpTimeoutMs: s.SECBOT_HTTP_TIMEOUT_MS,
    sqliteSynchronous: s.SECBOT_SQLITE_SYNCHRONOUS,
    ...fingerprintKeyOf(s.SECBOT_FINGERPRINT_KEY, gitlab),
    env,
  };
}

/**
 * Changing the key makes every secret look new once (one more announcement each), so a derived key is a fallback:
 * README tells operators to set SECBOT_FINGERPRINT_KEY, the same on every process.
 */
function fingerprintKeyOf(configured: string | undefined, gitlab: readonly GitlabInstance[]) {
  if (configured) return { fingerprintKey: createHash('sha256').update(`secbot-fingerprint\u0000${configured}`).digest(), fingerprintKeyDerived: false };
  const material = gitlab.map((g) => g.webhookSecretToken).sort().join('\u0000');
  return { fingerprintKey: createHash('sha256').update(`secbot-fingerprint-derived\u0000${material}`).digest(), fingerprintKeyDerived: true };
}

function formatEnvIssues(error: z.ZodError): string {
  const lines = error.issues.map((i) => `  ${String(i.path[0] ?? '?')}: ${i.message}`);
  return `invalid service settings (environment, .env.override, .env.dev):\n${lines.join('\n')}`;
}

export function parseGitlabConfigs(raw: string): GitlabInstance[] {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError('GITLAB_CONFIGS: is not valid JSON; expected [{"host", "webhook_secret_token", "auth_token", "prefix"}, …]');
  }
  const parsed = z.array(gitlabInstanceSchema).min(1, 'must list at least one GitLab instance').safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  GITLAB_CONFIGS${pathText(i.path)}: ${i.message}`);
    throw new ConfigError(`invalid service settings:\n${lines.join('\n')}`);
  }
  const instances = parsed.data.map(toInstance);
  assertUnique(instances, (i) => i.webhookSecretToken, 'webhook_secret_token', 'a token must identify one instance');
  assertUnique(instances, (i) => i.host, 'host', 'each instance is configured once');
  return instances;
}

function toInstance(c: z.infer<typeof gitlabInstanceSchema>): GitlabInstance {
  const url = new URL(c.host);
  return {
    baseUrl: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`,
    host: url.host.toLowerCase(),
    hostname: url.hostname.toLowerCase(),
    webhookSecretToken: c.webhook_secret_token,
    authToken: c.auth_token,
    prefix: c.prefix,
  };
}

function assertUnique(list: GitlabInstance[], key: (i: GitlabInstance) => string, field: string, why: string) {
  const seen = new Set<string>();
  list.forEach((inst, idx) => {
    const k = key(inst);
    if (seen.has(k)) throw new ConfigError(`GITLAB_CONFIGS[${idx}].${field}: duplicates another instance (${why})`);
    seen.add(k);
  });
}

function pathText(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/** Accepts the seed's SQLAlchemy-style DSN (`postgresql+asyncpg://…`) as well as `postgres://` and SQLite paths. */
export function normaliseDatabaseUrl(url: string): string {
  const m = /^postgres(?:ql)?(?:\+[a-z0-9]+)?:\/\//i.exec(url);
  if (m) return 'postgres://' + url.slice(m[0].length);
  return url.replace(/^sqlite:(\/\/)?/i, '');
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://');
}
