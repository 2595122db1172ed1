// Shared setup of the gitleaks scanner tests: a fake GitLab serving real bare repositories, settings and checks
// built by hand, and fake secrets assembled at run time so that no secret-looking literal sits in the source.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, type Settings } from '../../src/config/settings.ts';
import type { CheckRecord } from '../../src/core/check.ts';
import { createLogger, type Logger } from '../../src/log/logger.ts';
import { gitleaksConfigSchema } from '../../src/plugins/scanners/gitleaks/config.ts';
import { gitleaksDefinition } from '../../src/plugins/scanners/gitleaks/index.ts';
import type { ScanHistoryInput, Scanner, ScanRunContext } from '../../src/plugins/types.ts';
import { startFakeGitLab, type FakeGitLab } from '../fakes/gitlab.ts';
import { createBareRepo, type BareRepo } from '../helpers/git-repo.ts';

export const PREFIX = 'GIT_LOCAL';
// Not a real credential; the fake GitLab only compares it.
export const TOKEN = ['glpat', 'secbot', 'fixture', 'a1b2c3d4e5'].join('-');

export { fakeAwsKey, fakeGithubPat } from '../helpers/secrets.ts';

export interface Env {
  root: string;
  reposDir: string;
  fake: FakeGitLab;
  logs: string[];
  logger: Logger;
  repo(name: string): BareRepo;
  settings(over?: { token?: string; cacheDir?: string; maxBytes?: number }): Settings;
  scanner(cfg?: Record<string, unknown>, settings?: Settings): Scanner;
  /** A scan's run context; `history` defaults to a project SecBot never scanned (first sight). */
  run(check: CheckRecord, settings?: Settings, signal?: AbortSignal, history?: ScanHistoryInput): ScanRunContext;
  check(c: Partial<CheckRecord> & Pick<CheckRecord, 'projectPath' | 'commitSha'>): CheckRecord;
  stop(): Promise<void>;
}

export function startEnv(label: string): Env {
  const root = mkdtempSync(join(tmpdir(), `secbot-${label}-`));
  const reposDir = join(root, 'repos');
  mkdirSync(reposDir);
  const fake = startFakeGitLab({ reposDir, token: TOKEN });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', sink: (l) => logs.push(l) });
  const defaultCache = join(root, 'cache');
  const settings: Env['settings'] = (over = {}) =>
    loadSettings({
      GITLAB_CONFIGS: JSON.stringify([{ host: fake.url, webhook_secret_token: 'whsecret-123', auth_token: over.token ?? TOKEN, prefix: PREFIX }]),
      SECBOT_CACHE_DIR: over.cacheDir ?? defaultCache,
      SECBOT_GITLEAKS_BIN: 'gitleaks',
      ...(over.maxBytes !== undefined ? { SECBOT_CACHE_MAX_BYTES: String(over.maxBytes) } : {}),
    });
  const base = settings();
  let checks = 0;
  return {
    root, reposDir, fake, logs, logger,
    repo: (name) => createBareRepo(reposDir, name),
    settings,
    scanner: (cfg = {}, s = base) =>
      gitleaksDefinition.create({ name: 'gitleaks', config: gitleaksConfigSchema.parse(cfg), env: {}, settings: s, logger, fetch }),
    run: (check, s = base, signal = new AbortController().signal, history = { coveredCommits: [], leakCommits: [] }) => ({
      check, instance: s.gitlab[0]!, signal, log: logger, scanName: 'gitleaks', history,
    }),
    check: (c) => ({
      id: `${PREFIX}-check-${++checks}`,
      generation: 1,
      jobName: null,
      createdAt: Date.now(),
      eventType: 'push',
      instancePrefix: PREFIX,
      host: base.gitlab[0]!.host,
      hostname: base.gitlab[0]!.hostname,
      projectId: null,
      projectUrl: `${fake.url}/${c.projectPath}`,
      ref: { kind: 'branch', name: 'main' },
      beforeSha: null,
      mergeRequest: null,
      userName: 'dev',
      ...c,
    }),
    async stop() {
      await fake.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Every RetryableError/PermanentError the scanner throws, or the report when it succeeds. */
export async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}
