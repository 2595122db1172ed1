/**
 * Results in GitLab end to end with the compiled binary, on SQLite and Postgres: push → `pending` → `failed` and a
 * note on the merge request; triage in DefectDojo → `success` within the re-evaluation interval (1 s here) without a
 * push; SecBot restarted (SIGTERM, new process); a new MR commit → the note is edited, still one note.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DB_KINDS } from '../helpers/db.ts';
import { GITLAB_CONFIG, GITLAB_ENV, mergeRequestScenario } from '../helpers/gitlab-results.ts';
import { SecbotProcess } from '../helpers/secbot-process.ts';
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

describe('the gitlab notifier without an api_token', () => {
  test('the binary refuses to start and says what to add', async () => {
    const w = await World.start({ db: 'sqlite', launch: 'none', config: GITLAB_CONFIG, env: GITLAB_ENV });
    try {
      const configs = JSON.parse(w.env.GITLAB_CONFIGS!) as Record<string, unknown>[];
      const env = { ...w.env, GITLAB_CONFIGS: JSON.stringify(configs.map(({ api_token: _, ...rest }) => rest)) };
      const logs: string[] = [];
      const err = await SecbotProcess.start(['all'], env, logs).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain('exited with 2 during start');
      expect(logs.join('\n')).toContain('no GITLAB_CONFIGS instance has an api_token; add "api_token" (a token with the api scope)');
    } finally {
      await w.stop();
    }
  }, 60_000);
});
