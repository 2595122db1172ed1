/**
 * The check page in a real browser: headless Chromium (Debian's package) drives pages served by the compiled binary
 * for a `fail` (own and inherited findings), a `success`, an `in_progress` and a `not_started` check, asserts that
 * the key elements render under the strict CSP (the stylesheet applies, nothing is blocked, no script runs), and keeps
 * a screenshot of each in test-artifacts/check-page/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, type Page } from '../helpers/cdp.ts';
import { GITLAB_CONFIG, GITLAB_ENV } from '../helpers/gitlab-results.ts';
import { HEADERS, pushPayload, ZERO } from '../helpers/payloads.ts';
import { fakeAwsKey, fakeGithubPat } from '../helpers/secrets.ts';
import { World } from '../helpers/world.ts';

const ARTIFACTS = join(import.meta.dir, '..', '..', 'test-artifacts', 'check-page');

interface Seen {
  status: string;
  label: string;
  background: string;
  own: number;
  inherited: number;
  dojoLinks: number;
  projectHref: string | null;
  commitHref: string | null;
  range: string | null;
  timeline: string[];
  notStarted: boolean;
  scripts: number;
}

const READ = `(() => {
  const q = (s) => document.querySelector(s);
  const v = q('#verdict');
  return {
    status: v.dataset.status, label: v.textContent, background: getComputedStyle(v).backgroundColor,
    own: document.querySelectorAll('#findings tr.finding').length,
    inherited: document.querySelectorAll('#inherited tr.finding').length,
    dojoLinks: document.querySelectorAll('#findings a[href^="http"], #inherited a[href^="http"]').length,
    projectHref: q('a#project')?.getAttribute('href') ?? null, commitHref: q('a#commit')?.getAttribute('href') ?? null,
    range: q('#range')?.textContent ?? null,
    timeline: [...document.querySelectorAll('#timeline tbody tr')].map((r) => r.children[1].textContent),
    notStarted: q('#not-started') !== null, scripts: document.scripts.length,
  };
})()`;

describe('check page in Chromium (binary, SQLite)', () => {
  let w: World;
  let browser: Browser;
  let page: Page;
  const ids: Record<'fail' | 'success' | 'in_progress' | 'not_started', string> = { fail: '', success: '', in_progress: '', not_started: '' };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    w = await World.start({ db: 'sqlite', launch: 'binary', config: GITLAB_CONFIG, env: { ...GITLAB_ENV, SECBOT_WORKER_CONCURRENCY: '2' } });
    const push = (path: string, id: number, before: string, after: string) =>
      w.deliver(HEADERS.push, pushPayload({ gitlabUrl: w.gitlab.url, path, before, after, branch: 'main', projectId: id }));
    const repo = w.apiProject('acme/page-fail', 201);
    const first = repo.commit({ files: { 'deploy/aws.env': `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n` }, message: 'aws' });
    await push('acme/page-fail', 201, ZERO, first);
    await w.waitFinal(w.checkId('acme/page-fail', first), 60_000);
    const second = repo.commit({ files: { 'ci/token.txt': `TOKEN=${fakeGithubPat()}\n` }, message: 'ci token' });
    await push('acme/page-fail', 201, first, second);
    ids.fail = w.checkId('acme/page-fail', second);
    const clean = w.apiProject('acme/page-clean', 202);
    const c = clean.commit({ files: { 'README.md': '# clean\n' }, message: 'init' });
    await push('acme/page-clean', 202, ZERO, c);
    ids.success = w.checkId('acme/page-clean', c);
    await w.waitFinal(ids.fail, 60_000);
    await w.waitFinal(ids.success, 60_000);
    // The next fetch hangs long enough for a screenshot of a running check.
    w.gitlab.holdNext(5, 20_000);
    const slow = w.apiProject('acme/page-running', 203);
    const s = slow.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
    await push('acme/page-running', 203, ZERO, s);
    ids.in_progress = w.checkId('acme/page-running', s);
    await w.until(async () => (await w.status(ids.in_progress)).scans?.[0]?.state === 'running', 15_000, 'scan running');
    ids.not_started = w.checkId('acme/never-pushed', 'e'.repeat(40));
    browser = await Browser.launch();
    page = await browser.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await w?.stop();
  });

  async function visit(state: keyof typeof ids): Promise<Seen> {
    await page.goto(`${w.resultsUrl}/checks/${ids[state]}`);
    const seen = await page.eval<Seen>(READ);
    writeFileSync(join(ARTIFACTS, `${state}.png`), await page.screenshot());
    return seen;
  }

  test('fail: verdict, links, scanned range, own and inherited findings with DefectDojo links, timeline', async () => {
    const seen = await visit('fail');
    expect(seen).toMatchObject({ status: 'fail', label: 'fail', background: 'rgb(207, 34, 46)', own: 1, inherited: 1, dojoLinks: 2, scripts: 0 });
    expect(seen.projectHref).toBe(`${w.gitlab.url}/acme/page-fail`);
    expect(seen.commitHref).toMatch(/\/acme\/page-fail\/-\/commit\/[0-9a-f]{40}$/);
    expect(seen.range).toMatch(/[0-9a-f]/);
    expect(seen.timeline[0]).toContain('check accepted');
    expect(seen.timeline.some((t) => t.startsWith('scan:gitleaks done'))).toBe(true);
  });

  test('success: no findings, green', async () => {
    const seen = await visit('success');
    expect(seen).toMatchObject({ status: 'success', background: 'rgb(26, 127, 55)', own: 0, inherited: 0 });
    expect(await page.eval<boolean>(`document.querySelector('#findings-empty') !== null`)).toBe(true);
  });

  test('in_progress: the running scan is on the timeline', async () => {
    const seen = await visit('in_progress');
    expect(seen).toMatchObject({ status: 'in_progress', label: 'in progress' });
    expect(seen.timeline.some((t) => t === 'scan:gitleaks started')).toBe(true);
  });

  test('not_started: says so', async () => {
    const seen = await visit('not_started');
    expect(seen).toMatchObject({ status: 'not_started', notStarted: true, own: 0 });
  });

  test('nothing was blocked or thrown (the CSP allows exactly the page\'s stylesheet)', () => {
    expect(browser.consoleErrors).toEqual([]);
  });
});
