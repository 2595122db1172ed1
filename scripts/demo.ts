/**
 * The whole SecBot flow on this machine, in one command, with nothing to configure: a local git server (smart HTTP)
 * holding a sample repository with a planted fake AWS key, stand-ins for DefectDojo and Slack, and the compiled
 * `secbot all` on an embedded SQLite database. A push event is delivered the way GitLab sends it; the demo prints
 * the gate answer a CI pipeline would get, and leaves everything running until Ctrl-C so you can look around
 * (`--exit` stops right after the answer).
 *
 *   ./scripts/demo.sh            (installs what is missing, builds, then runs this)
 */
import { HEADERS, pushPayload, ZERO } from '../test/helpers/payloads.ts';
import { fakeAwsKey } from '../test/helpers/secrets.ts';
import { World } from '../test/helpers/world.ts';

const exitAfter = process.argv.includes('--exit');
const say = (s = '') => console.log(s);

const w = await World.start({ db: 'sqlite', launch: 'binary', env: { SECBOT_LOG_LEVEL: 'info', SECBOT_GATE_CACHE_TTL_MS: '5000' } });
try {
  const repo = w.repo('demo/webshop');
  const base = repo.commit({ files: { 'README.md': '# webshop\n', 'src/app.js': 'console.log("hello");\n' }, message: 'Initial commit' });
  const head = repo.commit({
    files: { 'deploy/prod.env': `REGION=eu-west-1\nAWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` },
    message: 'Add production deploy settings',
  });
  say('SecBot demo');
  say(`  git server:   ${w.gitlab.url}/demo/webshop.git (a sample repository: a planted fake AWS key in deploy/prod.env)`);
  say(`  SecBot:       intake ${w.intakeUrl}, results ${w.resultsUrl} (dist/secbot all, SQLite in ${w.dir})`);
  say(`  stand-ins:    DefectDojo ${w.dojo.url}, Slack ${w.slack.url}`);
  say();
  say(`push event: main ${base.slice(0, 8)}..${head.slice(0, 8)} → POST ${w.intakeUrl}/v1/gitlab/webhook`);
  const res = await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: 'demo/webshop', before: ZERO, after: head }));
  say(`  answered ${res.status}: ${JSON.stringify(await res.json())}`);
  const id = w.checkId('demo/webshop', head);
  const st = await w.waitFinal(id, 120_000);
  say();
  say(`gate: GET ${w.resultsUrl}/v1/security/gitlab/check/${id}`);
  say(`  status: ${st.status} (${st.reason ?? 'no reason'})`);
  for (const f of st.findings) say(`  finding: [${f.severity}] ${f.rule} in ${f.file}:${f.line}, commit ${f.commit.slice(0, 8)} → ${f.url ?? 'no link'}`);
  say(`  Slack stand-in received ${w.slack.messages.length} message(s); DefectDojo stand-in holds ${w.dojo.state.findings.length} finding(s)`);
  say();
  say(`check page: ${w.resultsUrl}/checks/${id}`);
  say(`full answer: curl -s ${w.resultsUrl}/v1/security/gitlab/check/${id}`);
  if (!exitAfter) {
    say('\nEverything keeps running: press Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      process.on('SIGINT', () => resolve());
      process.on('SIGTERM', () => resolve());
    });
  }
} finally {
  await w.stop();
}
