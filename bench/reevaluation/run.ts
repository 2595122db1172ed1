/**
 * Re-evaluation after triage at scale: N branches of one project, each with one commit planting a fake AWS key, pushed
 * to the compiled binary (`secbot all`) with the gitlab notifier, so that N checks fail and N statuses say `failed`.
 * Then:
 *   (1) one re-evaluation round, run here against the same database and fake DefectDojo: its duration and how many
 *       DefectDojo requests it made (batches of 100 findings);
 *   (2) every finding marked false positive in DefectDojo at once: the time until all N statuses in GitLab say
 *       `success` with the binary's re-evaluation interval set to `--interval` ms (the figure is interval + round +
 *       publication of N statuses).
 *
 *   bun bench/reevaluation/run.ts [--checks 300] [--interval 2000] [--db sqlite|postgres]
 */
import { join } from 'node:path';
import { loadSettings } from '../../src/config/settings.ts';
import { parseWorkflow } from '../../src/config/workflow.ts';
import { CheckStore } from '../../src/db/checks.ts';
import { HistoryStore } from '../../src/db/history.ts';
import { openDatabase } from '../../src/db/open.ts';
import { PublicationStore } from '../../src/db/publications.ts';
import { ResultStore } from '../../src/db/results.ts';
import { createLogger } from '../../src/log/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { catalogOf, instantiate } from '../../src/plugins/registry.ts';
import { TaskQueue } from '../../src/queue/task-queue.ts';
import { Reevaluation } from '../../src/services/reevaluation.ts';
import { unscannedPolicyOf } from '../../src/services/verdict.ts';
import { GITLAB_CONFIG } from '../../test/helpers/gitlab-results.ts';
import { HEADERS, pushPayload, ZERO } from '../../test/helpers/payloads.ts';
import { fakeAwsKey } from '../../test/helpers/secrets.ts';
import { World } from '../../test/helpers/world.ts';
import { loadNow, machineFacts, reproduceLine } from '../lib/machine.ts';
import { ROOT } from '../lib/secbot-bin.ts';

process.env.PATH = `${join(ROOT, '.tools', 'bin')}:${process.env.PATH ?? ''}`;

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const CHECKS = Number(arg('checks', '300'));
const INTERVAL = Number(arg('interval', '2000'));
const DB = arg('db', 'sqlite') as 'sqlite' | 'postgres';
const PATH = 'acme/triage';
const PID = 900;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  console.log(machineFacts());
  console.log(reproduceLine('bench/reevaluation/run.ts'));
  const w = await World.start({
    db: DB, launch: 'binary', config: GITLAB_CONFIG,
    env: { SECBOT_PUBLIC_URL: 'http://secbot.bench', SECBOT_REEVALUATE_INTERVAL_MS: String(INTERVAL), SECBOT_WORKER_CONCURRENCY: '4', SECBOT_LOG_LEVEL: 'info' },
  });
  try {
    const repo = w.apiProject(PATH, PID);
    const base = repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
    await w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: PATH, before: ZERO, after: base, projectId: PID }));
    await w.waitFinal(w.checkId(PATH, base), 120_000);
    const heads: string[] = [];
    for (let i = 0; i < CHECKS; i++) {
      repo.branch(`b-${i}`, base);
      heads.push(repo.commit({ files: { [`cfg/${i}.env`]: `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: `leak ${i}`, branch: `b-${i}` }));
    }
    const t0 = performance.now();
    for (let b = 0; b < heads.length; b += 50) {
      await Promise.all(heads.slice(b, b + 50).map((h, i) => w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path: PATH, before: ZERO, after: h, branch: `b-${b + i}`, projectId: PID }))));
    }
    for (const h of heads) await w.waitFinal(w.checkId(PATH, h), 600_000);
    await w.until(() => heads.every((h) => w.gitlab.rest.statuses(PID, h)[0]?.status === 'failed'), 600_000, 'all failed in GitLab');
    console.log(`${CHECKS} failing checks, all \`failed\` in GitLab after ${s(performance.now() - t0)}; load ${loadNow()}`);

    await oneRound(w);

    const findings = w.dojo.state.findings.map((f) => f.id as number);
    const t1 = performance.now();
    for (const id of findings) w.dojo.triage(id, { false_p: true, active: false });
    await w.until(() => heads.every((h) => w.gitlab.rest.statuses(PID, h)[0]?.status === 'success'), 600_000, 'all success in GitLab');
    console.log(`triage of ${findings.length} findings → all ${CHECKS} statuses \`success\` after ${s(performance.now() - t1)} (interval ${s(INTERVAL)}); load ${loadNow()}`);
    const repeats = heads.reduce((n, h) => n + w.gitlab.rest.statusPosts(PID, h).length, 0);
    console.log(`status writes in all: ${repeats} for ${CHECKS} checks (pending, running, failed, success: at most 4 each)`);
  } finally {
    await w.stop();
  }
}

/** A round in this process against the same database and DefectDojo, timed, with the DefectDojo requests it made. */
async function oneRound(w: World) {
  const settings = loadSettings(w.env);
  const workflow = parseWorkflow(GITLAB_CONFIG, catalogOf(), w.env);
  const db = openDatabase(settings.databaseUrl);
  const logger = createLogger({ level: 'error' });
  const components = instantiate(workflow, { settings, logger, fetch });
  const queue = new TaskQueue(db);
  const r = new Reevaluation({
    checks: new CheckStore(db, queue), history: new HistoryStore(db), results: new ResultStore(db), queue, publications: new PublicationStore(db),
    outputs: components.outputs, policy: unscannedPolicyOf(workflow), settings, logger, metrics: createMetrics(), owner: 'bench',
  });
  const before = w.dojo.requests.length;
  const t = performance.now();
  const report = await r.round();
  const took = performance.now() - t;
  console.log(`one round: ${report.checks} checks, ${report.findings} findings re-read in ${report.requests} batches (${w.dojo.requests.length - before} DefectDojo requests), ${report.changed} changed, ${s(took)}`);
  await db.close();
}

await main();
