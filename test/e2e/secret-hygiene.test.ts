/**
 * Secret hygiene (issues #8, #13): plant known secret values in pushed code — and in a file name, a commit message,
 * an author name and e-mail and a branch name, where gitleaks' own --redact would not reach — and use known tokens
 * for every service, run
 * the whole flow through the compiled binary, then search every log line, the database (SQLite files including the
 * WAL; every Postgres table), every request the DefectDojo, Slack and GitLab (git and REST: statuses, MR notes) fakes
 * received, and the API answers (gate, admin, check page). Not one occurrence is allowed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import postgres from 'postgres';
import { DB_KINDS } from '../helpers/db.ts';
import { HEADERS, mrPayload, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey, fakeGithubPat } from '../helpers/secrets.ts';
import { ADMIN_TOKEN, DEFAULT_CONFIG, GITLAB_API_TOKEN, GITLAB_TOKEN, SLACK_TOKEN, WEBHOOK_TOKEN, World } from '../helpers/world.ts';

/** The default workflow plus the gitlab notifier: statuses and MR notes are searched too. */
const CONFIG = DEFAULT_CONFIG.replace('jobs:', '  gitlab:\n    handler_name: gitlab\njobs:').replace('notifications: [slack]', 'notifications: [slack, gitlab]');
const PID = 15;

async function databaseText(w: World): Promise<string> {
  const url = w.env.SECBOT_DATABASE_URL!;
  if (!url.startsWith('postgres://')) {
    return ['', '-wal', '-shm'].map((s) => (existsSync(url + s) ? readFileSync(url + s).toString('latin1') : '')).join('\n');
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const tables = await sql`select table_schema, table_name from information_schema.tables where table_schema in ('public', 'drizzle')`;
  const parts: string[] = [];
  for (const t of tables) {
    const rows = await sql.unsafe(`select row_to_json(x)::text as j from "${t.table_schema}"."${t.table_name}" x`);
    parts.push(...rows.map((r) => String(r.j)));
  }
  await sql.end();
  return parts.join('\n');
}

for (const kind of DB_KINDS) {
  describe(`secret hygiene on ${kind}`, () => {
    let w: World;
    const secrets: string[] = [];
    const ids: string[] = [];
    beforeAll(async () => {
      w = await World.start({ db: kind, launch: 'binary', config: CONFIG, env: { SECBOT_LOG_LEVEL: 'debug', SECBOT_PUBLIC_URL: 'https://secbot.example' } });
      const repo = w.apiProject('vault/app', PID, 'maintainer');
      const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
      const aws = fakeAwsKey();
      const pat = fakeGithubPat();
      secrets.push(aws, pat);
      const leak = repo.commit({ files: { 'deploy/.env': `AWS_ACCESS_KEY_ID=${aws}\n` }, message: `rotate ${aws.slice(0, 4)}` });
      repo.branch('feature', leak);
      repo.commit({ files: { 'ci.py': `TOKEN = "${pat}"\n` }, message: 'ci token', branch: 'feature' });
      const fix = repo.commit({ files: { 'ci.py': 'TOKEN = ""\n' }, message: 'remove', branch: 'feature' });
      repo.mergeRequestRef(5, fix);
      const named = fakeGithubPat();
      secrets.push(named);
      repo.branch(`leak/${named}`, base);
      const hidden = repo.commit({
        files: { [`keys/${named}.txt`]: `token: ${named}\n` },
        message: `add ${named} for the deploy job`,
        author: { name: `Dev ${named}`, email: `${named}@example.com` },
        branch: `leak/${named}`,
      });
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'vault/app', before: base, after: leak, projectId: PID }));
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'vault/app', before: '0'.repeat(40), after: hidden, branch: `leak/${named}`, projectId: PID }));
      ids.push(w.checkId('vault/app', hidden));
      w.gitlab.rest.upsertMergeRequest({ projectId: PID, iid: 5, sha: fix, source: 'feature' });
      await w.deliver(HEADERS.mr, mrPayload({ gitlabUrl: w.gitlab.url, path: 'vault/app', iid: 5, action: 'open', source: 'feature', target: 'main', head: fix, projectId: PID }));
      ids.push(w.checkId('vault/app', leak), w.checkId('vault/app', fix));
      for (const id of ids) expect((await w.waitFinal(id, 60_000)).status).toBe('fail');
      await w.until(() => w.slack.messages.length >= 1, 20_000, 'slack');
      await w.until(() => w.gitlab.rest.notes(PID, 5).length === 1, 20_000, 'the MR note');
      for (const id of ids) {
        const sha = [leak, fix, hidden].find((c) => w.checkId('vault/app', c) === id)!;
        await w.until(() => w.gitlab.rest.statuses(PID, sha).some((j) => j.status === 'failed'), 20_000, 'a failed status');
      }
    });
    afterAll(async () => w.stop());

    test('no planted secret and no token appears anywhere', async () => {
      const apis: string[] = [];
      for (const id of ids) {
        apis.push(JSON.stringify(await w.status(id)));
        const admin = await fetch(`${w.resultsUrl}/v1/admin/checks/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        expect(admin.status).toBe(200);
        apis.push(await admin.text());
        apis.push(await (await fetch(`${w.resultsUrl}/checks/${id}`)).text());
      }
      for (const p of w.processes) p.kill('SIGTERM');
      for (const p of w.processes) await p.waitExit();
      const haystacks: Record<string, string> = {
        logs: w.logs.join('\n'),
        database: await databaseText(w),
        defectdojo: JSON.stringify(w.dojo.requests) + JSON.stringify(w.dojo.state.findings) + JSON.stringify(w.dojo.state.tests),
        slack: JSON.stringify(w.slack.messages) + JSON.stringify(w.slack.requests),
        gitlab: JSON.stringify(w.gitlab.requests),
        // What SecBot sent GitLab's API (statuses, notes); the ref GitLab itself resolved for a status is GitLab's data.
        gitlabApi: JSON.stringify(w.gitlab.rest.state.requests) + JSON.stringify(w.gitlab.rest.state.notes),
        api: apis.join('\n'),
      };
      expect(haystacks.database!.length).toBeGreaterThan(1000);
      expect(haystacks.defectdojo!).toContain('REDACTED');
      expect(haystacks.gitlabApi!).toContain('`deploy/.env:1`');
      const needles = { aws: secrets[0]!, pat: secrets[1]!, named: secrets[2]!, WEBHOOK_TOKEN, GITLAB_TOKEN, GITLAB_API_TOKEN, SLACK_TOKEN, ADMIN_TOKEN, DEFECTDOJO__TOKEN: w.dojo.token };
      const found: string[] = [];
      for (const [where, text] of Object.entries(haystacks)) {
        for (const [name, needle] of Object.entries(needles)) if (text.includes(needle)) found.push(`${name} in ${where}`);
      }
      expect(found).toEqual([]);
    });
  });
}
