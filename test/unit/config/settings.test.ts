/**
 * loadSettings() / parseGitlabConfigs(): every error names the variable and never carries a secret value.
 */
import { describe, expect, test } from 'bun:test';
import {
  DEFAULT_DATABASE_URL,
  isPostgresUrl,
  loadSettings,
  normaliseDatabaseUrl,
  parseGitlabConfigs,
} from '../../../src/config/settings.ts';
import { ConfigError } from '../../../src/core/errors.ts';

const HOOK_SECRET = 'hook-S3CRET-value-7f1e2d';
const AUTH_SECRET = 'glpat-AUTH-s3cret-9a8b7c';
const ADMIN_SECRET = 'adm1n-s3cret';

const instance = (over: Record<string, unknown> = {}) => ({
  host: 'https://git.env.local/',
  webhook_secret_token: HOOK_SECRET,
  auth_token: AUTH_SECRET,
  prefix: 'GIT_LOCAL',
  ...over,
});
const configs = (...list: unknown[]) => JSON.stringify(list);
const BASE = { GITLAB_CONFIGS: configs(instance()) };

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

/** The message names `variable` and carries none of the secrets. */
function expectSafe(message: string, variable: string, secrets: string[] = [HOOK_SECRET, AUTH_SECRET, ADMIN_SECRET]) {
  expect(message).toContain(variable);
  for (const s of secrets) expect(message).not.toContain(s);
}

describe('GITLAB_CONFIGS', () => {
  test('the .env.dev value parses into one normalised instance', () => {
    const [gl] = parseGitlabConfigs(configs(instance()));
    expect(gl).toEqual({
      baseUrl: 'https://git.env.local',
      host: 'git.env.local',
      hostname: 'git.env.local',
      webhookSecretToken: HOOK_SECRET,
      authToken: AUTH_SECRET,
      prefix: 'GIT_LOCAL',
    });
  });

  test('host with port, path and upper case', () => {
    const [gl] = parseGitlabConfigs(configs(instance({ host: 'http://Git.Example.COM:8080/gitlab/' })));
    expect(gl).toMatchObject({ baseUrl: 'http://git.example.com:8080/gitlab', host: 'git.example.com:8080', hostname: 'git.example.com' });
  });

  test('several instances, extra keys ignored', () => {
    const list = parseGitlabConfigs(
      configs(instance({ extra: true }), instance({ host: 'https://gl2.local', webhook_secret_token: 'another-hook-token', prefix: 'GL2' })),
    );
    expect(list.map((i) => i.prefix)).toEqual(['GIT_LOCAL', 'GL2']);
  });

  test.each([
    ['not JSON', `[{"host": "https://x", "webhook_secret_token": "${HOOK_SECRET}", auth_token: ${AUTH_SECRET}}]`, /GITLAB_CONFIGS: is not valid JSON/],
    ['the seed with comments left in', `[{"auth_token": "${AUTH_SECRET}"} # token]`, /GITLAB_CONFIGS: is not valid JSON/],
    ['an object instead of a list', JSON.stringify(instance()), /GITLAB_CONFIGS: .*array/],
    ['an empty list', '[]', /GITLAB_CONFIGS: must list at least one GitLab instance/],
    ['missing host', configs(instance({ host: undefined })), /GITLAB_CONFIGS\[0\]\.host: /],
    ['missing webhook_secret_token', configs(instance({ webhook_secret_token: undefined })), /GITLAB_CONFIGS\[0\]\.webhook_secret_token: /],
    ['missing auth_token', configs(instance({ auth_token: undefined })), /GITLAB_CONFIGS\[0\]\.auth_token: /],
    ['missing prefix', configs(instance({ prefix: undefined })), /GITLAB_CONFIGS\[0\]\.prefix: /],
    ['empty auth_token', configs(instance({ auth_token: '' })), /GITLAB_CONFIGS\[0\]\.auth_token: must not be empty/],
    ['short webhook token', configs(instance({ webhook_secret_token: 'S3cr3t!' })), /GITLAB_CONFIGS\[0\]\.webhook_secret_token: must be at least 8 characters/],
    ['numeric auth token', configs(instance({ auth_token: 918273645 })), /GITLAB_CONFIGS\[0\]\.auth_token: /],
    ['host is not a URL', configs(instance({ host: 'git.env.local' })), /GITLAB_CONFIGS\[0\]\.host: must be an http\(s\) URL/],
    ['host is not http(s)', configs(instance({ host: 'ssh://git.env.local' })), /GITLAB_CONFIGS\[0\]\.host: must be an http\(s\) URL/],
    ['prefix with a dash', configs(instance({ prefix: 'GIT-LOCAL' })), /GITLAB_CONFIGS\[0\]\.prefix: must contain only letters, digits and _/],
    ['prefix with a space', configs(instance({ prefix: 'GIT LOCAL' })), /GITLAB_CONFIGS\[0\]\.prefix: /],
    ['empty prefix', configs(instance({ prefix: '' })), /GITLAB_CONFIGS\[0\]\.prefix: /],
    ['second instance broken', configs(instance(), instance({ host: 'https://b', webhook_secret_token: 'other-token-123', prefix: 'a/b' })), /GITLAB_CONFIGS\[1\]\.prefix: /],
    ['duplicate webhook tokens', configs(instance(), instance({ host: 'https://other.local' })), /GITLAB_CONFIGS\[1\]\.webhook_secret_token: duplicates another instance/],
    ['duplicate hosts', configs(instance(), instance({ webhook_secret_token: 'other-token-123', host: 'https://GIT.env.local' })), /GITLAB_CONFIGS\[1\]\.host: duplicates another instance/],
  ])('%s → precise error without secrets', (_label, raw, message) => {
    const err = errorOf(() => parseGitlabConfigs(raw));
    expect(err.message).toMatch(message);
    expectSafe(err.message, 'GITLAB_CONFIGS', [HOOK_SECRET, AUTH_SECRET, 'S3cr3t!', '918273645', 'other-token-123']);
    // Through loadSettings too.
    const viaSettings = errorOf(() => loadSettings({ GITLAB_CONFIGS: raw }));
    expect(viaSettings.message).toBe(err.message);
  });
});

describe('environment variables', () => {
  test('GITLAB_CONFIGS missing', () => {
    const err = errorOf(() => loadSettings({}));
    expect(err.message).toMatch(/GITLAB_CONFIGS: is not set/);
  });

  test.each([
    ['SECBOT_INTAKE_PORT', 'eighty'],
    ['SECBOT_RESULTS_PORT', '-1'],
    ['SECBOT_WORKER_CONCURRENCY', '0'],
    ['SECBOT_LEASE_MS', '999'],
    ['SECBOT_MAX_BODY_BYTES', '1.5'],
    ['SECBOT_INTAKE_BUFFER_BYTES', '-5'],
    ['SECBOT_TASK_MAX_ATTEMPTS', 'many'],
    ['SECBOT_MIGRATE_ON_START', 'maybe'],
    ['SECBOT_LOG_LEVEL', 'verbose'],
    ['SECBOT_SQLITE_SYNCHRONOUS', 'OFF'],
    ['SECBOT_SLACK_API_URL', 'not a url'],
    ['SECBOT_ADMIN_TOKEN', ADMIN_SECRET],
  ])('%s=%p → error naming the variable, not the value', (name, value) => {
    const err = errorOf(() => loadSettings({ ...BASE, [name]: value }));
    expect(err.message).toMatch(new RegExp(`^\\s+${name}: `, 'm'));
    expectSafe(err.message, name);
    expect(err.message).not.toContain(value);
  });

  test('SECBOT_INTAKE_BUFFER_BYTES below SECBOT_MAX_BODY_BYTES is refused: the largest body could never be accepted', () => {
    const err = errorOf(() => loadSettings({ ...BASE, SECBOT_MAX_BODY_BYTES: '2000000', SECBOT_INTAKE_BUFFER_BYTES: '1000000' }));
    expect(err.message).toMatch(/^\s+SECBOT_INTAKE_BUFFER_BYTES: must be at least SECBOT_MAX_BODY_BYTES/m);
    expect(loadSettings({ ...BASE, SECBOT_MAX_BODY_BYTES: '2000000', SECBOT_INTAKE_BUFFER_BYTES: '2000000' }).intakeBufferBytes).toBe(2_000_000);
  });

  test('all bad variables are reported at once', () => {
    const err = errorOf(() => loadSettings({ ...BASE, SECBOT_INTAKE_PORT: 'x', SECBOT_LOG_LEVEL: 'loud' }));
    expect(err.message).toContain('SECBOT_INTAKE_PORT');
    expect(err.message).toContain('SECBOT_LOG_LEVEL');
  });

  test('defaults', () => {
    const s = loadSettings(BASE);
    expect(s).toMatchObject({
      databaseUrl: DEFAULT_DATABASE_URL,
      configPath: 'config.yml',
      bind: '0.0.0.0',
      intakePort: 5000,
      resultsPort: 5001,
      workerPort: 5002,
      maxBodyBytes: 25 * 1024 * 1024,
      intakeBufferBytes: 100 * 1024 * 1024,
      migrateOnStart: true,
      logLevel: 'info',
      worker: { concurrency: 4, leaseMs: 60_000, pollMs: 500, maxAttempts: 5, taskTimeoutMs: 900_000, retryBaseMs: 2000, retryMaxMs: 300_000 },
      shutdownGraceMs: 25_000,
      cacheDir: 'data/cache',
      cacheMaxBytes: 10 * 1024 ** 3,
      gitBin: 'git',
      gitleaksBin: 'gitleaks',
      gateCacheTtlMs: 30_000,
      slackApiUrl: 'https://slack.com/api/',
      httpTimeoutMs: 30_000,
      sqliteSynchronous: 'FULL',
    });
    expect(s.adminToken).toBeUndefined();
    expect(s.gitlab).toHaveLength(1);
    expect(s.env).toBe(BASE);
  });

  test('values are coerced from strings', () => {
    const s = loadSettings({
      ...BASE,
      SECBOT_INTAKE_PORT: '8000',
      SECBOT_MIGRATE_ON_START: 'no',
      SECBOT_LOG_LEVEL: 'debug',
      SECBOT_WORKER_CONCURRENCY: '16',
      SECBOT_ADMIN_TOKEN: 'a-long-random-string-for-admin',
    });
    expect(s).toMatchObject({ intakePort: 8000, migrateOnStart: false, logLevel: 'debug', worker: { concurrency: 16 }, adminToken: 'a-long-random-string-for-admin' });
  });

  test.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('SECBOT_MIGRATE_ON_START=%s → %p', (v, want) => {
    expect(loadSettings({ ...BASE, SECBOT_MIGRATE_ON_START: v }).migrateOnStart).toBe(want);
  });
});

describe('logs, docs and error reports', () => {
  test('defaults: log format decided by the terminal, docs on, no Sentry', () => {
    expect(loadSettings(BASE)).toMatchObject({ logFormat: undefined, docsEnabled: true, sentryDsn: undefined });
  });

  test('SECBOT_LOG_FORMAT, SECBOT_DOCS_ENABLE=false and a SENTRY_DSN', () => {
    const dsn = 'https://0123456789abcdef@sentry.example.com/42';
    expect(loadSettings({ ...BASE, SECBOT_LOG_FORMAT: 'pretty', SECBOT_DOCS_ENABLE: 'false', SENTRY_DSN: dsn })).toMatchObject({
      logFormat: 'pretty',
      docsEnabled: false,
      sentryDsn: dsn,
    });
    expect(loadSettings({ ...BASE, SECBOT_LOG_FORMAT: 'json' }).logFormat).toBe('json');
  });

  test.each([
    ['SECBOT_LOG_FORMAT', 'colourful', 'must be pretty or json'],
    ['SECBOT_DOCS_ENABLE', 'maybe', 'SECBOT_DOCS_ENABLE'],
    ['SENTRY_DSN', 'https://sentry.example.com/42', 'must be a Sentry DSN'],
    ['SENTRY_DSN', 'not a url', 'must be a Sentry DSN'],
  ])('%s=%s is refused, naming the variable', (name, value, message) => {
    const err = errorOf(() => loadSettings({ ...BASE, [name]: value }));
    expect(err.message).toContain(name);
    expect(err.message).toContain(message);
  });

  test('a SENTRY_DSN error does not print the DSN (its key)', () => {
    const err = errorOf(() => loadSettings({ ...BASE, SENTRY_DSN: 'ftp://secretkey123@sentry.example.com/x' }));
    expect(err.message).not.toContain('secretkey123');
  });
});

describe('credentials in configured URLs are refused, never quoted', () => {
  const PASSWORD = 'url-pa55word-4e2f';
  test('GITLAB_CONFIGS[].host', () => {
    const err = errorOf(() => loadSettings({ GITLAB_CONFIGS: configs(instance({ host: `https://oauth2:${PASSWORD}@git.env.local/` })) }));
    expect(err.message).toContain('GITLAB_CONFIGS[0].host: must not carry credentials');
    expectSafe(err.message, 'GITLAB_CONFIGS', [PASSWORD, HOOK_SECRET, AUTH_SECRET]);
  });

  test('SECBOT_SLACK_API_URL', () => {
    const err = errorOf(() => loadSettings({ ...BASE, SECBOT_SLACK_API_URL: `https://proxy:${PASSWORD}@proxy.local/api/` }));
    expect(err.message).toMatch(/^\s+SECBOT_SLACK_API_URL: must not carry credentials/m);
    expectSafe(err.message, 'SECBOT_SLACK_API_URL', [PASSWORD]);
  });

  test.each([
    ['SECBOT_DATABASE_URL', `mysql://secbot:${PASSWORD}@db/secbot`, 'must be a postgres:// URL or a SQLite file path'],
    ['SECBOT_DATABASE_URL', `postgres://secbot:${PASSWORD}@db:99999/secbot`, 'is not a valid postgres:// URL'],
    ['SECBOT_POSTGRES_DSN', `postgresql+asyncpg://secbot:${PASSWORD}@[db/secbot`, 'is not a valid postgres:// URL'],
  ])('%s=%s', (variable, value, message) => {
    const err = errorOf(() => loadSettings({ ...BASE, [variable]: value }));
    expect(err.message).toContain(`${variable}: ${message}`);
    expectSafe(err.message, variable, [PASSWORD]);
  });

  test('a Postgres URL keeps its password (it needs one); only printing it is forbidden', () => {
    expect(loadSettings({ ...BASE, SECBOT_DATABASE_URL: `postgres://secbot:${PASSWORD}@db:5432/secbot` }).databaseUrl).toContain(PASSWORD);
  });
});

describe('database URL', () => {
  test("the seed's SECBOT_POSTGRES_DSN (postgresql+asyncpg://) becomes postgres://", () => {
    const s = loadSettings({ ...BASE, SECBOT_POSTGRES_DSN: 'postgresql+asyncpg://secbot:foobar@db:5432/secbot' });
    expect(s.databaseUrl).toBe('postgres://secbot:foobar@db:5432/secbot');
    expect(isPostgresUrl(s.databaseUrl)).toBe(true);
  });

  test('SECBOT_DATABASE_URL wins over SECBOT_POSTGRES_DSN', () => {
    const s = loadSettings({ ...BASE, SECBOT_DATABASE_URL: 'data/other.sqlite', SECBOT_POSTGRES_DSN: 'postgresql+asyncpg://u:p@db/x' });
    expect(s.databaseUrl).toBe('data/other.sqlite');
    const pg = loadSettings({ ...BASE, SECBOT_DATABASE_URL: 'postgresql://a:b@h:1/d', SECBOT_POSTGRES_DSN: 'postgresql+asyncpg://u:p@db/x' });
    expect(pg.databaseUrl).toBe('postgres://a:b@h:1/d');
  });

  test.each([
    ['postgresql+asyncpg://secbot:foobar@db:5432/secbot', 'postgres://secbot:foobar@db:5432/secbot'],
    ['postgresql+psycopg2://u@h/d', 'postgres://u@h/d'],
    ['postgresql://u:p@h:5432/d?sslmode=require', 'postgres://u:p@h:5432/d?sslmode=require'],
    ['postgres://u:p@h/d', 'postgres://u:p@h/d'],
    ['POSTGRESQL+ASYNCPG://u@h/d', 'postgres://u@h/d'],
    ['data/secbot.sqlite', 'data/secbot.sqlite'],
    ['sqlite:data/x.sqlite', 'data/x.sqlite'],
    [':memory:', ':memory:'],
  ])('normaliseDatabaseUrl(%s) → %s', (input, want) => {
    expect(normaliseDatabaseUrl(input)).toBe(want);
  });

  test('isPostgresUrl', () => {
    expect(isPostgresUrl('postgres://h/d')).toBe(true);
    expect(isPostgresUrl('data/secbot.sqlite')).toBe(false);
    expect(isPostgresUrl('postgresql://h/d')).toBe(false);
  });
});
