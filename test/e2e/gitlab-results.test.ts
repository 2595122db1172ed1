/**
 * Results in GitLab end to end with the compiled binary, on SQLite and Postgres: push → `pending` → `failed` and a
 * note on the merge request; triage in DefectDojo → `success` within the re-evaluation interval (1 s here) without a
 * push; SecBot restarted (SIGTERM, new process); a new MR commit → the note is edited, still one note.
 */
import { afterAll, beforeAll, describe, test } from 'bun:test';
import { DB_KINDS } from '../helpers/db.ts';
import { GITLAB_CONFIG, GITLAB_ENV, mergeRequestScenario } from '../helpers/gitlab-results.ts';
import { World } from '../helpers/world.ts';

for (const kind of DB_KINDS) {
  describe(`GitLab results on ${kind} (binary)`, () => {
    let w: World;
    beforeAll(async () => {
      w = await World.start({ db: kind, launch: 'binary', config: GITLAB_CONFIG, env: GITLAB_ENV });
    });
    afterAll(async () => w.stop());

    test('push → pending → failed + note; triage → success; restart; new MR commit → the note is edited, not duplicated', async () => {
      await mergeRequestScenario(w, 'acme/e2e-gitlab', 301, async () => {
        for (const p of w.processes.splice(0)) await p.stop();
        await w.startProcess(['intake', 'results', 'worker']);
      });
    }, 120_000);
  });
}
