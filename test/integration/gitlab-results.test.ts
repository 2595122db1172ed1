/**
 * Results written back to GitLab, the whole way (SecBot in-process, real git and gitleaks, fake DefectDojo, the GitLab
 * REST fake), on SQLite and Postgres: the status goes pending → running → failed and lands on the merge request's
 * head pipeline; the MR event that arrives after the push (answered `exists`) links the MR; one note; triage turns
 * status and note to success without a push; a new MR commit edits the note; a restart keeps one note; a refused
 * status (protected branch) is posted once the role allows it; re-evaluation runs once per interval across workers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { sql } from 'drizzle-orm';
import { PublicationStore } from '../../src/db/publications.ts';
import { openDatabase } from '../../src/db/open.ts';
import { DB_KINDS } from '../helpers/db.ts';
import { GITLAB_CONFIG, GITLAB_ENV, mergeRequestScenario } from '../helpers/gitlab-results.ts';
import { HEADERS, pushPayload, ZERO } from '../helpers/payloads.ts';
import { fakeAwsKey } from '../helpers/secrets.ts';
import { World } from '../helpers/world.ts';

const SLOW = 90_000;

for (const kind of DB_KINDS) {
  describe(`GitLab results on ${kind}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await World.start({ db: kind, config: GITLAB_CONFIG, env: GITLAB_ENV });
    });
    afterAll(async () => w.stop());

    const push = (path: string, id: number, before: string, after: string, branch: string) =>
      w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path, before, after, branch, projectId: id }));

    test('push → pending → failed; the later MR event links the MR: status on its head pipeline and one note; triage → success; a new MR commit edits the note; restart → still one note', async () => {
      await mergeRequestScenario(w, 'acme/gl-flow', 101, async () => {
        await w.stopInProcess();
        await w.startInProcess(['intake', 'results', 'worker']);
      });
    }, SLOW);

    test('a status refused on a protected branch is reported on the check page and posted once the role allows it', async () => {
      const path = 'acme/gl-protected';
      const PID = 102;
      const repo = w.apiProject(path, PID);
      w.gitlab.rest.protect(PID, 'main');
      const c = repo.commit({ files: { 'k.env': `K=${fakeAwsKey()}\n` }, message: 'leak on main' });
      await push(path, PID, ZERO, c, 'main');
      const id = w.checkId(path, c);
      await w.waitFinal(id, 30_000);
      await w.until(async () => (await (await fetch(`${w.resultsUrl}/checks/${id}`)).text()).includes('protected branch needs Maintainer'), 10_000, 'the refusal on the page');
      expect(w.gitlab.rest.statuses(PID, c)).toHaveLength(0);
      w.gitlab.rest.setRole(PID, w.botUserId, 'maintainer');
      await w.until(() => w.gitlab.rest.statuses(PID, c)[0]?.status === 'failed', 15_000, 'posted after the role changed');
    }, SLOW);

    test('re-evaluation: one lease holder per interval across workers, bounded to young checks, visible in metrics', async () => {
      const metrics = () => fetch(`${w.intakeUrl}/metrics`).then((r) => r.text());
      await w.until(async () => /secbot_reevaluation_requests_total\{output="defectdojo",outcome="ok"\} [1-9]/.test(await metrics()), 10_000, 'a round');
      const text = await metrics();
      expect(text).toMatch(/secbot_reevaluation_runs_total\{outcome="done"\} [1-9]/);
      expect(text).toMatch(/secbot_reevaluation_findings_total\{output="defectdojo"\} [1-9]/);
      expect(text).toMatch(/secbot_publication_writes_total\{notifier="gitlab"\} [1-9]/);
      const db = openDatabase(w.env.SECBOT_DATABASE_URL!);
      try {
        const store = new PublicationStore(db);
        expect(await store.acquireLease('reevaluate-test', 'worker-a', 60_000)).toBe(true);
        expect(await store.acquireLease('reevaluate-test', 'worker-b', 60_000)).toBe(false);
        expect(await store.acquireLease('reevaluate-test', 'worker-a', 60_000)).toBe(true);
        await db.run(sql`UPDATE leases SET until = 0 WHERE name = 'reevaluate-test'`);
        expect(await store.acquireLease('reevaluate-test', 'worker-b', 60_000)).toBe(true);
        const before = (await store.reevaluationCandidates(14 * 86_400_000, 100)).map((c) => c.id);
        expect(before.length).toBeGreaterThan(0);
        await db.run(sql`UPDATE checks SET created_at = created_at - ${15 * 86_400_000}`);
        expect(await store.reevaluationCandidates(14 * 86_400_000, 100)).toEqual([]);
      } finally {
        await db.close();
      }
    }, SLOW);
  });
}
