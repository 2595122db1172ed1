/**
 * Service settings (seed §1.3, §2.1) read from the layered environment and validated with zod. Errors name the
 * variable and what is wrong with it, never its value: several of these are tokens.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { configuredUrlProblem } from '../core/urls.ts';
import type { EnvMap } from './dotenv.ts';
import { didYouMean } from './suggest.ts';

/** An http(s) URL without userinfo (issue 13: a password in it reached logs, rows and the gate answer). */
const serviceUrl = (example: string) =>
  z.string().superRefine((v, ctx) => {
    const problem = configuredUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem === 'must be an http(s) URL' ? `${problem} such as ${example}` : problem });
  });

export const gitlabInstanceSchema = z.object({
  host: serviceUrl('https://gitlab.example.com/'),
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
  SECBOT_INTAKE_BUFFER_BYTES: int(100 * 1024 * 1024, 1024),
  SECBOT_MIGRATE_ON_START: bool(true),
  SECBOT_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  SECBOT_LOG_FORMAT: z.enum(['pretty', 'json'], { error: 'must be pretty or json (unset: pretty on a terminal, json otherwise)' }).optional(),
  SECBOT_DOCS_ENABLE: bool(true),
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
  SECBOT_SLACK_API_URL: serviceUrl('https://slack.com/api/').default('https://slack.com/api/'),
  SECBOT_HTTP_TIMEOUT_MS: int(30_000, 100),
  SECBOT_SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  SENTRY_DSN: z
    .url({ protocol: /^https?$/, error: 'must be a Sentry DSN such as https://<public key>@sentry.example.com/<project id>' })
    .refine((v) => sentryDsnValid(v), 'must be a Sentry DSN such as https://<public key>@sentry.example.com/<project id>')
    .optional(),
  SECBOT_RETENTION_DAYS: int(90, 1),
  SECBOT_DELIVERY_RETENTION_DAYS: int(30, 1),
  SECBOT_PRUNE_INTERVAL_MS: int(3_600_000, 0),
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
  /** Webhook body bytes one intake holds at once, across concurrent requests. */
  intakeBufferBytes: number;
  migrateOnStart: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** undefined: decided by whether stdout is a terminal. */
  logFormat?: 'pretty' | 'json';
  docsEnabled: boolean;
  sentryDsn?: string;
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
  retention: {
    /** Finished checks older than this many days are pruned (their verdict's evidence is project knowledge and stays). */
    checkDays: number;
    deliveryDays: number;
    /** 0: no housekeeping pass. */
    pruneIntervalMs: number;
  };
  /**
   * HMAC key of secret fingerprints (novelty, leak identity). Never stored in the database, so the fingerprints
   * there cannot be brute-forced back into short secrets. Derived from the instances' webhook tokens when unset.
   */
  fingerprintKey: Uint8Array;
  fingerprintKeyDerived: boolean;
  /** The whole layered environment: config.yml components name variables from it. */
  env: EnvMap;
};

/** A DSN names a public key (the URL's user) and a project id (the last path segment). */
function sentryDsnValid(v: string): boolean {
  const u = URL.parse(v);
  return u !== null && u.username !== '' && /\/\d+$/.test(u.pathname);
}

/** Default database: an embedded SQLite file beside the working directory. */
export const DEFAULT_DATABASE_URL = 'data/secbot.sqlite';

export function loadSettings(env: EnvMap): Settings {
  // An empty assignment (`SECBOT_INTAKE_PORT=`) means "not set": it falls back to the default instead of 0 or "".
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v.trim() !== ''));
  const parsed = settingsSchema.safeParse(given);
  // Every problem at once: a bad port does not hide a broken GITLAB_CONFIGS, nor the other way round.
  const problems = parsed.success ? [] : parsed.error.issues.map(envIssue);
  const gitlab = given.GITLAB_CONFIGS === undefined ? null : gitlabConfigs(given.GITLAB_CONFIGS);
  if (gitlab) problems.push(...gitlab.problems);
  if (parsed.success) problems.push(...crossChecks(parsed.data));
  if (!parsed.success || !gitlab || problems.length > 0) throw new ConfigError(`${SETTINGS_HEADER}\n${problems.map((p) => `  ${p}`).join('\n')}`);
  const s = parsed.data;
  const databaseUrl = normaliseDatabaseUrl(s.SECBOT_DATABASE_URL ?? s.SECBOT_POSTGRES_DSN ?? DEFAULT_DATABASE_URL);
  return {
    gitlab: gitlab.instances,
    databaseUrl,
    configPath: s.SECBOT_CONFIG,
    bind: s.SECBOT_BIND,
    intakePort: s.SECBOT_INTAKE_PORT,
    resultsPort: s.SECBOT_RESULTS_PORT,
    workerPort: s.SECBOT_WORKER_PORT,
    maxBodyBytes: s.SECBOT_MAX_BODY_BYTES,
    intakeBufferBytes: s.SECBOT_INTAKE_BUFFER_BYTES,
    migrateOnStart: s.SECBOT_MIGRATE_ON_START,
    logLevel: s.SECBOT_LOG_LEVEL,
    logFormat: s.SECBOT_LOG_FORMAT,
    docsEnabled: s.SECBOT_DOCS_ENABLE,
    sentryDsn: s.SENTRY_DSN,
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
    retention: { checkDays: s.SECBOT_RETENTION_DAYS, deliveryDays: s.SECBOT_DELIVERY_RETENTION_DAYS, pruneIntervalMs: s.SECBOT_PRUNE_INTERVAL_MS },
    ...fingerprintKeyOf(s.SECBOT_FINGERPRINT_KEY, gitlab.instances),
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

const SETTINGS_HEADER = 'invalid service settings (environment, .env.override, .env.dev):';

/** Rules across variables, reported with the rest. */
function crossChecks(s: z.infer<typeof settingsSchema>): string[] {
  const out: string[] = [];
  const dbProblem = databaseUrlProblem(normaliseDatabaseUrl(s.SECBOT_DATABASE_URL ?? s.SECBOT_POSTGRES_DSN ?? DEFAULT_DATABASE_URL));
  if (dbProblem) out.push(`${s.SECBOT_DATABASE_URL !== undefined ? 'SECBOT_DATABASE_URL' : 'SECBOT_POSTGRES_DSN'}: ${dbProblem}`);
  if (s.SECBOT_INTAKE_BUFFER_BYTES < s.SECBOT_MAX_BODY_BYTES) {
    out.push('SECBOT_INTAKE_BUFFER_BYTES: must be at least SECBOT_MAX_BODY_BYTES, or a body of the largest allowed size could never be accepted');
  }
  return out;
}

function envIssue(i: z.core.$ZodIssue): string {
  return `${String(i.path[0] ?? '?')}: ${i.message}`;
}

/** Where config.yml is, without validating the rest of the settings (so its problems can be shown alongside). */
export function configPathOf(env: EnvMap): string {
  return env.SECBOT_CONFIG?.trim() || 'config.yml';
}

/**
 * The ports a health probe should try and the address to reach them on, from the settings alone (a broken
 * GITLAB_CONFIGS does not matter to "is the process up"). A wildcard bind is reached on loopback.
 */
export function probePorts(env: EnvMap): { host: string; ports: { role: 'intake' | 'results' | 'worker'; port: number }[] } {
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v.trim() !== ''));
  const s = settingsSchema.pick({ SECBOT_BIND: true, SECBOT_INTAKE_PORT: true, SECBOT_RESULTS_PORT: true, SECBOT_WORKER_PORT: true }).parse(given);
  const host = ['0.0.0.0', '::', ''].includes(s.SECBOT_BIND) ? '127.0.0.1' : s.SECBOT_BIND;
  return {
    host,
    ports: [
      { role: 'intake', port: s.SECBOT_INTAKE_PORT },
      { role: 'results', port: s.SECBOT_RESULTS_PORT },
      { role: 'worker', port: s.SECBOT_WORKER_PORT },
    ],
  };
}

/** SECBOT_ variables SecBot does not read: almost certainly typos (they are ignored, so say so). */
export function unknownSettingWarnings(env: EnvMap): string[] {
  return Object.keys(env)
    .filter((k) => k.startsWith('SECBOT_') && !SETTINGS_VARIABLES.includes(k))
    .sort()
    .map((k) => {
      const near = didYouMean(k, SETTINGS_VARIABLES);
      return `${k} is not a SecBot setting and is ignored${near ? `; did you mean ${near}?` : ''}`;
    });
}

export function parseGitlabConfigs(raw: string): GitlabInstance[] {
  const { instances, problems } = gitlabConfigs(raw);
  if (problems.length > 0) throw new ConfigError(`${SETTINGS_HEADER}\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return instances;
}

function gitlabConfigs(raw: string): { instances: GitlabInstance[]; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { instances: [], problems: ['GITLAB_CONFIGS: is not valid JSON; expected [{"host", "webhook_secret_token", "auth_token", "prefix"}, …]'] };
  }
  const parsed = z.array(gitlabInstanceSchema).min(1, 'must list at least one GitLab instance').safeParse(json);
  if (!parsed.success) return { instances: [], problems: parsed.error.issues.map((i) => `GITLAB_CONFIGS${pathText(i.path)}: ${i.message}`) };
  const instances = parsed.data.map(toInstance);
  const problems = [
    ...duplicates(instances, (i) => i.webhookSecretToken, 'webhook_secret_token', 'a token must identify one instance'),
    ...duplicates(instances, (i) => i.host, 'host', 'each instance is configured once'),
  ];
  return { instances, problems };
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

function duplicates(list: GitlabInstance[], key: (i: GitlabInstance) => string, field: string, why: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  list.forEach((inst, idx) => {
    const k = key(inst);
    if (seen.has(k)) out.push(`GITLAB_CONFIGS[${idx}].${field}: duplicates another instance (${why})`);
    seen.add(k);
  });
  return out;
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

/**
 * Why a (normalised) database URL cannot be used, never quoting it: a Postgres URL carries the password, and
 * another scheme would be taken for a SQLite file path and printed as such.
 */
function databaseUrlProblem(url: string): string | null {
  if (isPostgresUrl(url)) {
    if (URL.canParse(url)) return null;
    return 'is not a valid postgres:// URL (check the host and port, and percent-encode special characters of the password)';
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return 'must be a postgres:// URL or a SQLite file path';
  return null;
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://');
}
