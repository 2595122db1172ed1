/**
 * Secret hygiene (issues #8, #13): plant known secret values in pushed code — and in a file name, a commit message,
 * an author name and e-mail and a branch name, where gitleaks' own --redact would not reach — and use known tokens
 * for every service, run
 * the whole flow through the compiled binary, then search every log line, the database (SQLite files including the
 * WAL; every Postgres table), every request the DefectDojo and Slack fakes received, and the API answers (gate and
 * admin). Not one occurrence is allowed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import postgres from 'postgres';
import { DB_KINDS } from '../helpers/db.ts';
import { HEADERS, mrPayload, pushPayload } from '../helpers/payloads.ts';
import { fakeAwsKey, fakeGithubPat } from '../helpers/secrets.ts';
import { ADMIN_TOKEN, GITLAB_TOKEN, SLACK_TOKEN, WEBHOOK_TOKEN, World } from '../helpers/world.ts';

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
      w = await World.start({ db: kind, launch: 'binary', env: { SECBOT_LOG_LEVEL: 'debug' } });
      const repo = w.repo('vault/app');
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
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'vault/app', before: base, after: leak }));
      await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'vault/app', before: '0'.repeat(40), after: hidden, branch: `leak/${named}` }));
      ids.push(w.checkId('vault/app', hidden));
      await w.deliver(HEADERS.mr, mrPayload({ gitlabUrl: w.gitlab.url, path: 'vault/app', iid: 5, action: 'open', source: 'feature', target: 'main', head: fix }));
      ids.push(w.checkId('vault/app', leak), w.checkId('vault/app', fix));
      for (const id of ids) expect((await w.waitFinal(id, 60_000)).status).toBe('fail');
      await w.until(() => w.slack.messages.length >= 1, 20_000, 'slack');
    });
    afterAll(async () => w.stop());

    test('no planted secret and no token appears anywhere', async () => {
      const apis: string[] = [];
      for (const id of ids) {
        apis.push(JSON.stringify(await w.status(id)));
        const admin = await fetch(`${w.resultsUrl}/v1/admin/checks/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        expect(admin.status).toBe(200);
        apis.push(await admin.text());
      }
      for (const p of w.processes) p.kill('SIGTERM');
      for (const p of w.processes) await p.waitExit();
      const haystacks: Record<string, string> = {
        logs: w.logs.join('\n'),
        database: await databaseText(w),
        defectdojo: JSON.stringify(w.dojo.requests) + JSON.stringify(w.dojo.state.findings) + JSON.stringify(w.dojo.state.tests),
        slack: JSON.stringify(w.slack.messages) + JSON.stringify(w.slack.requests),
        gitlab: JSON.stringify(w.gitlab.requests),
        api: apis.join('\n'),
      };
      expect(haystacks.database!.length).toBeGreaterThan(1000);
      expect(haystacks.defectdojo!).toContain('REDACTED');
      const needles = { aws: secrets[0]!, pat: secrets[1]!, named: secrets[2]!, WEBHOOK_TOKEN, GITLAB_TOKEN, SLACK_TOKEN, ADMIN_TOKEN, DEFECTDOJO__TOKEN: w.dojo.token };
      const found: string[] = [];
      for (const [where, text] of Object.entries(haystacks)) {
        for (const [name, needle] of Object.entries(needles)) if (text.includes(needle)) found.push(`${name} in ${where}`);
      }
      expect(found).toEqual([]);
    });
  });
}
