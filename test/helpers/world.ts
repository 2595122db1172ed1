/**
 * A complete test world: fake GitLab (real repositories over smart HTTP), fake DefectDojo, fake Slack, a database
 * (SQLite or Postgres) and SecBot itself — in-process (`startSecbot`) or as the compiled binary (`dist/secbot`).
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings } from '../../src/config/settings.ts';
import { parseWorkflow } from '../../src/config/workflow.ts';
import { securityCheckId } from '../../src/core/check-id.ts';
import { Redactor } from '../../src/log/logger.ts';
import { startSecbot, type Mode } from '../../src/main.ts';
import { catalogOf } from '../../src/plugins/registry.ts';
import { startFakeDefectDojo, type FakeDefectDojo, type FakeDefectDojoOptions } from '../fakes/defectdojo/server.ts';
import { startFakeGitLab, type FakeGitLab } from '../fakes/gitlab.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.ts';
import { createBareRepo, type BareRepo } from './git-repo.ts';
import { createDatabaseUrl, tempDir, type DbKind } from './db.ts';
import { SecbotProcess } from './secbot-process.ts';

export const WEBHOOK_TOKEN = 'whsec-test-0123456789abcdef';
export const GITLAB_TOKEN = 'glpat-test-TOKEN-abcdef123456';
/** The `api` token of the gitlab notifier (GITLAB_CONFIGS[].api_token); the fake knows it as user `secbot-bot`. */
export const GITLAB_API_TOKEN = 'glpat-test-API-0123456789abcdef';
export const SLACK_TOKEN = 'xoxb-test-SLACK-0123456789';
export const ADMIN_TOKEN = 'admin-test-token-0123456789';
export const PREFIX = 'GIT_LOCAL';

export const DEFAULT_CONFIG = `
version: "1.0"
components:
  gitleaks:
    handler_name: gitleaks
    config: { mode: diff, timeout_seconds: 120 }
  defectdojo:
    handler_name: defectdojo
    env: { url: DEFECTDOJO__URL, secret_key: DEFECTDOJO__TOKEN, user: DEFECTDOJO__USER, lead_id: DEFECTDOJO__USER_ID }
  slack:
    handler_name: slack
    config: { render_limit: 10, channels: [security-alerts] }
    env: { token: SLACK_TOKEN }
jobs:
  - name: secrets
    rules: { gitlab: { event_type: "push|tag_push|merge_request" } }
    scans: [gitleaks]
    outputs: [defectdojo]
    notifications: [slack]
`;

/**
 * Appends a failure's explanation to $SECBOT_TEST_DIAGNOSTICS (set by .ci/run, which prints the file after the
 * suite): bun prints an error beside its test, far from the summary a CI log keeps.
 */
export function writeDiagnostic(text: string): void {
  const file = process.env.SECBOT_TEST_DIAGNOSTICS;
  if (file) appendFileSync(file, `\n===== ${new Date().toISOString()}\n${text}\n`);
}

export interface WorldOptions {
  db: DbKind;
  config?: string;
  env?: Record<string, string>;
  dojo?: FakeDefectDojoOptions;
  slackChannels?: Parameters<typeof startFakeSlack>[0]['channels'];
  /** Start SecBot now (default true); 'binary' runs dist/secbot as a child process. */
  launch?: 'in-process' | 'binary' | 'none';
  modes?: Mode[];
  /** A database of the test's own instead of a fresh one on the shared server (e.g. a private Postgres). */
  databaseUrl?: string;
}

export class World {
  readonly dir = tempDir('secbot-world-');
  readonly reposDir = join(this.dir, 'repos');
  readonly gitlab: FakeGitLab;
  readonly dojo: FakeDefectDojo;
  readonly slack: FakeSlack;
  /** The fake GitLab user the api token acts as. */
  readonly botUserId: number;
  readonly logs: string[] = [];
  env: Record<string, string> = {};
  intakeUrl = '';
  resultsUrl = '';
  private stopSecbot: (() => Promise<void>) | null = null;
  readonly processes: SecbotProcess[] = [];
  private dropDb: () => Promise<void> = async () => {};

  private constructor(readonly opts: WorldOptions) {
    mkdirSync(this.reposDir, { recursive: true });
    this.gitlab = startFakeGitLab({ reposDir: this.reposDir, token: GITLAB_TOKEN });
    this.dojo = startFakeDefectDojo({ enableDeduplication: true, ...opts.dojo });
    this.slack = startFakeSlack({ token: SLACK_TOKEN, channels: opts.slackChannels ?? 'any' });
    this.botUserId = this.gitlab.rest.addUser('secbot-bot', GITLAB_API_TOKEN);
  }

  static async start(opts: WorldOptions): Promise<World> {
    const w = new World(opts);
    const { url, drop } = opts.databaseUrl ? { url: opts.databaseUrl, drop: async () => {} } : await createDatabaseUrl(opts.db);
    w.dropDb = drop;
    const configPath = join(w.dir, 'config.yml');
    writeFileSync(configPath, opts.config ?? DEFAULT_CONFIG);
    w.env = {
      GITLAB_CONFIGS: JSON.stringify([
        { host: `${w.gitlab.url}/`, webhook_secret_token: WEBHOOK_TOKEN, auth_token: GITLAB_TOKEN, api_token: GITLAB_API_TOKEN, prefix: PREFIX },
      ]),
      DEFECTDOJO__URL: w.dojo.url,
      DEFECTDOJO__TOKEN: w.dojo.token,
      DEFECTDOJO__USER: 'secbot',
      DEFECTDOJO__USER_ID: '1',
      SLACK_TOKEN,
      SECBOT_SLACK_API_URL: w.slack.url,
      SECBOT_DATABASE_URL: url,
      SECBOT_CONFIG: configPath,
      SECBOT_CACHE_DIR: join(w.dir, 'cache'),
      SECBOT_BIND: '127.0.0.1',
      SECBOT_INTAKE_PORT: '0',
      SECBOT_RESULTS_PORT: '0',
      SECBOT_WORKER_PORT: '0',
      SECBOT_POLL_MS: '100',
      SECBOT_RETRY_BASE_MS: '200',
      SECBOT_RETRY_MAX_MS: '1000',
      SECBOT_LEASE_MS: '5000',
      SECBOT_SHUTDOWN_GRACE_MS: '5000',
      SECBOT_GATE_CACHE_TTL_MS: '0',
      SECBOT_ADMIN_TOKEN: ADMIN_TOKEN,
      SECBOT_SQLITE_SYNCHRONOUS: 'NORMAL',
      SECBOT_LOG_LEVEL: 'debug',
      ...opts.env,
    };
    const launch = opts.launch ?? 'in-process';
    if (launch === 'in-process') await w.startInProcess(opts.modes ?? ['intake', 'results', 'worker']);
    if (launch === 'binary') await w.startProcess(opts.modes ?? ['intake', 'results', 'worker']);
    return w;
  }

  async startInProcess(modes: Mode[]): Promise<void> {
    const settings = loadSettings(this.env);
    const redactor = new Redactor();
    const workflow = parseWorkflow(this.opts.config ?? DEFAULT_CONFIG, catalogOf(), this.env);
    const rt = await startSecbot({ modes, settings, workflow, redactor, logSink: (l) => this.logs.push(l) });
    if (rt.ports.intake) this.intakeUrl = `http://127.0.0.1:${rt.ports.intake}`;
    if (rt.ports.results) this.resultsUrl = `http://127.0.0.1:${rt.ports.results}`;
    this.stopSecbot = rt.stop;
  }

  /** Stops the in-process SecBot (the fakes and the database stay), e.g. to work on its database alone. */
  async stopInProcess(): Promise<void> {
    await this.stopSecbot?.();
    this.stopSecbot = null;
  }

  /** Starts `dist/secbot <modes>` (several roles → one process each when `separate`). */
  async startProcess(modes: Mode[], env: Record<string, string> = {}): Promise<SecbotProcess> {
    const args = modes.length === 3 ? ['all'] : modes;
    const p = await SecbotProcess.start(args, { ...this.env, ...env }, this.logs);
    this.processes.push(p);
    if (p.ports.intake) this.intakeUrl = `http://127.0.0.1:${p.ports.intake}`;
    if (p.ports.results) this.resultsUrl = `http://127.0.0.1:${p.ports.results}`;
    return p;
  }

  repo(path = 'acme/webapp'): BareRepo {
    return createBareRepo(this.reposDir, path);
  }

  /** A repository that the REST fake knows as project `id`, with SecBot's bot user as a member (`developer`). */
  apiProject(path: string, id: number, role: 'developer' | 'maintainer' | 'reporter' = 'developer'): BareRepo {
    const repo = this.repo(path);
    this.gitlab.rest.addProject({ id, path, members: { [this.botUserId]: role } });
    return repo;
  }

  checkId(path: string, sha: string): string {
    return securityCheckId(PREFIX, '127.0.0.1', path, sha);
  }

  async deliver(event: string, payload: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.intakeUrl}/v1/gitlab/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-token': WEBHOOK_TOKEN, 'x-gitlab-event': event, ...headers },
      body: JSON.stringify(payload),
    });
  }

  // biome-ignore lint: the status body is free-form JSON
  async status(checkId: string): Promise<any> {
    const res = await fetch(`${this.resultsUrl}/v1/security/gitlab/check/${checkId}`);
    return res.json();
  }

  /** Polls the gate until a final status (success, fail, error) or the timeout. */
  // biome-ignore lint: the status body is free-form JSON
  async waitFinal(checkId: string, timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: { status?: string } = {};
    while (Date.now() < deadline) {
      last = await this.status(checkId);
      if (last.status === 'success' || last.status === 'fail' || last.status === 'error') return last;
      await Bun.sleep(50);
    }
    throw new Error(`check ${checkId} not final after ${timeoutMs} ms: ${JSON.stringify(last)}`);
  }

  /**
   * Waits for the final status and insists on `expected`. A wrong verdict (the rarest, worst failure a gate can have)
   * throws with the answer and what SecBot logged about the check, so one occurrence in CI explains itself.
   */
  // biome-ignore lint: the status body is free-form JSON
  async expectFinal(checkId: string, expected: 'success' | 'fail' | 'error', timeoutMs = 30_000): Promise<any> {
    const st = await this.waitFinal(checkId, timeoutMs);
    if (st.status === expected) return st;
    const related = this.logs.filter((l) => l.includes(checkId) || /"level":"(warn|error)"/.test(l)).slice(-60);
    const why = `check ${checkId}: expected ${expected}, got ${st.status}\nanswer: ${JSON.stringify(st)}\nlog (${related.length} lines about the check, warnings, errors):\n${related.join('\n')}`;
    writeDiagnostic(why);
    throw new Error(why);
  }

  /** Waits until `cond` holds (polling), e.g. a notification task finished. */
  async until(cond: () => Promise<boolean> | boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await cond()) return;
      await Bun.sleep(50);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async stop(): Promise<void> {
    await this.stopSecbot?.();
    for (const p of this.processes) await p.stop();
    await Promise.all([this.gitlab.stop(), this.dojo.stop(), this.slack.stop()]);
    await this.dropDb();
  }
}
