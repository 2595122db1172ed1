/**
 * Credentials in URLs (issue 13, item 4), against the compiled binary. A configured service URL with
 * `user:password@` is refused at start with an error naming the variable and not the password (it used to reach the
 * log, the database and the unauthenticated gate answer through error messages). A webhook payload's
 * `project.web_url` (and a merge request's `url`) is kept without its userinfo: the password must appear in no log
 * line, database row, DefectDojo or Slack request, or API answer.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { DB_KINDS, tempDir } from '../helpers/db.ts';
import { HEADERS, mrPayload, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { BINARY } from '../helpers/secbot-process.ts';
import { ADMIN_TOKEN, DEFAULT_CONFIG, GITLAB_TOKEN, WEBHOOK_TOKEN, World } from '../helpers/world.ts';

const URL_PASSWORD = 'pa55-in-the-url-7c3d9e';

async function databaseText(url: string): Promise<string> {
  if (!url.startsWith('postgres://')) {
    return ['', '-wal', '-shm'].map((s) => (existsSync(url + s) ? readFileSync(url + s).toString('latin1') : '')).join('\n');
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const tables = await sql`select table_name from information_schema.tables where table_schema = 'public'`;
  const parts: string[] = [];
  for (const t of tables) {
    const rows = await sql.unsafe(`select row_to_json(x)::text as j from "${t.table_name}" x`);
    parts.push(...rows.map((r) => String(r.j)));
  }
  await sql.end();
  return parts.join('\n');
}

describe('a configured URL with credentials is refused at start', () => {
  const dir = tempDir();
  const config = join(dir, 'config.yml');
  const gitlab = (host: string) => JSON.stringify([{ host, webhook_secret_token: WEBHOOK_TOKEN, auth_token: GITLAB_TOKEN, prefix: 'GIT_LOCAL' }]);
  const base = {
    GITLAB_CONFIGS: gitlab('https://gitlab.example.com/'),
    DEFECTDOJO__URL: 'http://dojo.example.com',
    DEFECTDOJO__TOKEN: 'dojo-token-0123456789',
    DEFECTDOJO__USER_ID: '1',
    SLACK_TOKEN: 'xoxb-0123456789',
    SECBOT_DATABASE_URL: join(dir, 'secbot.sqlite'),
    SECBOT_CONFIG: config,
    SECBOT_INTAKE_PORT: '0',
    SECBOT_RESULTS_PORT: '0',
  };
  beforeAll(() => Bun.write(config, DEFAULT_CONFIG));

  test.each([
    ['DEFECTDOJO__URL', { DEFECTDOJO__URL: `http://secbot:${URL_PASSWORD}@dojo.example.com` }, 'DEFECTDOJO__URL'],
    ['DEFECTDOJO__URL with a user only', { DEFECTDOJO__URL: `https://${URL_PASSWORD}@dojo.example.com/` }, 'DEFECTDOJO__URL'],
    ['GITLAB_CONFIGS[].host', { GITLAB_CONFIGS: gitlab(`https://oauth2:${URL_PASSWORD}@gitlab.example.com/`) }, 'GITLAB_CONFIGS[0].host'],
    ['SECBOT_SLACK_API_URL', { SECBOT_SLACK_API_URL: `https://proxy:${URL_PASSWORD}@slack-proxy.example.com/api/` }, 'SECBOT_SLACK_API_URL'],
    ['SECBOT_DATABASE_URL of another scheme', { SECBOT_DATABASE_URL: `mysql://secbot:${URL_PASSWORD}@db.example.com/secbot` }, 'SECBOT_DATABASE_URL'],
    ['an unparseable Postgres URL', { SECBOT_DATABASE_URL: `postgres://secbot:${URL_PASSWORD}@db.example.com:99999/secbot` }, 'SECBOT_DATABASE_URL'],
  ])('%s', (_name, over, variable) => {
    for (const args of [['all'], ['config', 'validate']]) {
      const p = Bun.spawnSync([BINARY, ...args], { env: { PATH: process.env.PATH!, ...base, ...over }, cwd: dir, timeout: 15_000 });
      const out = p.stdout.toString() + p.stderr.toString();
      expect(p.exitCode).toBe(2);
      expect(out).toContain(variable);
      expect(out).not.toContain(URL_PASSWORD);
    }
  });

  test('the same settings without credentials are valid', () => {
    const p = Bun.spawnSync([BINARY, 'config', 'validate'], { env: { PATH: process.env.PATH!, ...base }, cwd: dir });
    expect(p.stderr.toString()).toBe('');
    expect(p.exitCode).toBe(0);
  });
});

for (const kind of DB_KINDS) {
  describe(`userinfo in a payload's URLs is stripped on ${kind}`, () => {
    let w: World;
    const ids: string[] = [];
    let apis = '';
    beforeAll(async () => {
      w = await World.start({ db: kind, launch: 'binary', env: { SECBOT_LOG_LEVEL: 'debug' } });
      const repo = w.repo('acme/creds');
      const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
      const leak = repo.commit({ files: { 'prod.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'leak' });
      repo.branch('feature', leak);
      const mrHead = repo.commit({ files: { 'b.txt': 'b\n' }, message: 'b', branch: 'feature' });
      repo.mergeRequestRef(3, mrHead);
      const withCreds = w.gitlab.url.replace('://', `://oauth2:${URL_PASSWORD}@`);
      const push = pushPayload({ gitlabUrl: w.gitlab.url, path: 'acme/creds', before: base, after: leak });
      push.project.web_url = `${withCreds}/acme/creds`;
      push.project.homepage = push.project.web_url;
      const mr = mrPayload({ gitlabUrl: w.gitlab.url, path: 'acme/creds', iid: 3, action: 'open', source: 'feature', target: 'main', head: mrHead });
      mr.project.web_url = `${withCreds}/acme/creds`;
      mr.object_attributes.url = `${withCreds}/acme/creds/-/merge_requests/3`;
      for (const [event, payload] of [[HEADERS.push, push], [HEADERS.mr, mr]] as const) {
        const res = await w.deliver(event, payload);
        expect(res.status).toBe(200);
      }
      ids.push(w.checkId('acme/creds', leak), w.checkId('acme/creds', mrHead));
      for (const id of ids) await w.waitFinal(id, 60_000);
      await w.until(() => w.slack.messages.length >= 1, 20_000, 'slack');
      for (const id of ids) {
        apis += JSON.stringify(await w.status(id));
        apis += await (await fetch(`${w.resultsUrl}/v1/admin/checks/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
      }
      for (const p of w.processes) p.kill('SIGTERM');
      for (const p of w.processes) await p.waitExit();
    });
    afterAll(async () => w.stop());

    test('the project link is kept, without the userinfo, in Slack, DefectDojo and the gate answer', async () => {
      const stripped = `${w.gitlab.url}/acme/creds`;
      expect(JSON.stringify(w.slack.messages)).toContain(stripped);
      expect(JSON.stringify(w.dojo.requests)).toContain(stripped);
      expect(apis).toContain(stripped);
      // The merge request's own link is stored with the check.
      expect(await databaseText(w.env.SECBOT_DATABASE_URL!)).toContain(`${stripped}/-/merge_requests/3`);
    });

    test('the password is nowhere: logs, database rows, DefectDojo, Slack, API answers', async () => {
      const haystacks: Record<string, string> = {
        logs: w.logs.join('\n'),
        database: await databaseText(w.env.SECBOT_DATABASE_URL!),
        defectdojo: JSON.stringify(w.dojo.requests) + JSON.stringify(w.dojo.state),
        slack: JSON.stringify(w.slack.messages) + JSON.stringify(w.slack.requests),
        api: apis,
      };
      expect(haystacks.database!.length).toBeGreaterThan(1000);
      const found = Object.entries(haystacks).filter(([, text]) => text.includes(URL_PASSWORD)).map(([where]) => where);
      expect(found).toEqual([]);
    });
  });
}
