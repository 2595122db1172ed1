/**
 * The fake GitLab REST API answers like GitLab (REST.md, bodies from test/fixtures/gitlab/rest): a fake that accepts
 * what GitLab rejects would let SecBot's handling of those answers go untested.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeGitLab, type FakeGitLab } from '../../fakes/gitlab.ts';
import { createBareRepo, type BareRepo } from '../../helpers/git-repo.ts';

const API = 'glpat-api-0123456789abcdef';
const READ = 'glpat-read-0123456789abcdef';
const MAINTAINER = 'glpat-maint-0123456789abcdef';
const PID = 17;

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dir, '../../fixtures/gitlab/rest', name), 'utf8'));

let root: string;
let fake: FakeGitLab;
let repo: BareRepo;
let bot: number;
let sha: string;
let sha2: string;

async function call(method: string, path: string, body?: unknown, token: string | null = API) {
  const res = await fetch(`${fake.url}/api/v4${path}`, {
    method,
    headers: { ...(token ? { 'PRIVATE-TOKEN': token } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}
const status = (s: Record<string, unknown>, at = sha) => call('POST', `/projects/${PID}/statuses/${at}`, s);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'secbot-gitlab-rest-'));
  const reposDir = join(root, 'repos');
  repo = createBareRepo(reposDir, 'acme/app');
  sha = repo.commit({ files: { 'a.txt': 'a\n' }, message: 'a' });
  repo.branch('feature', sha);
  sha2 = repo.commit({ files: { 'b.txt': 'b\n' }, message: 'b', branch: 'feature' });
  fake = startFakeGitLab({ reposDir, token: 'glpat-git' });
  bot = fake.rest.addUser('bot', API);
  fake.rest.addUser('reader', READ, ['read_repository']);
  const maint = fake.rest.addUser('maint', MAINTAINER);
  fake.rest.addProject({ id: PID, path: 'acme/app', members: { [bot]: 'developer', [maint]: 'maintainer' }, protectedBranches: ['main'] });
});
afterAll(async () => {
  await fake.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('authentication and projects (REST §1, §2)', () => {
  test('no token → 401; a read_repository token → 403 insufficient_scope; a project the user cannot see → 404', async () => {
    expect(await call('GET', '/user', undefined, null)).toMatchObject({ status: 401, body: fixture('error.unauthorized.json') });
    expect(await call('POST', `/projects/${PID}/statuses/${sha}`, { state: 'running' }, READ)).toMatchObject({ status: 403, body: fixture('error.insufficient_scope.derived.json') });
    expect(await call('GET', '/projects/999/merge_requests/1')).toMatchObject({ status: 404, body: fixture('error.project_not_found.derived.json') });
    expect((await call('GET', `/projects/${encodeURIComponent('acme/app')}/merge_requests/999`)).status).toBe(404);
    expect((await call('GET', '/user')).body).toMatchObject({ id: bot });
  });
});

describe('commit statuses (REST §3)', () => {
  test('a first status creates an external pipeline, which becomes the head pipeline of an MR that had none', async () => {
    const mr = fake.rest.upsertMergeRequest({ projectId: PID, iid: 1, sha: sha2, source: 'feature' });
    const res = await status({ state: 'pending', name: 'secbot', ref: 'feature', description: 'queued' }, sha2);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(Object.keys(fixture('commit_status.running.derived.json')).sort());
    expect(res.body.pipeline_id).toBe(mr.headPipelineId);
    expect(fake.rest.state.pipeline(res.body.pipeline_id)?.source).toBe('external');
  });

  test('re-posting a pending or running state is a 400 transition error with GitLab\'s text; moving on reuses the job', async () => {
    const first = await status({ state: 'pending', name: 'gate', ref: 'feature' }, sha2);
    expect(await status({ state: 'pending', name: 'gate', ref: 'feature' }, sha2)).toMatchObject({ status: 400, body: fixture('error.status_transition_pending.json') });
    const running = await status({ state: 'running', name: 'gate', ref: 'feature' }, sha2);
    expect(running.body.id).toBe(first.body.id);
    expect(await status({ state: 'running', name: 'gate', ref: 'feature' }, sha2)).toMatchObject({ status: 400, body: fixture('error.status_transition.json') });
    expect((await status({ state: 'pending', name: 'gate', ref: 'feature' }, sha2)).status).toBe(400);
    const done = await status({ state: 'failed', name: 'gate', ref: 'feature' }, sha2);
    expect(done.body.id).toBe(first.body.id);
    // A finished job is never reused: the same state again creates a new job and hides the old one as retried.
    const again = await status({ state: 'failed', name: 'gate', ref: 'feature' }, sha2);
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
    expect(fake.rest.statuses(PID, sha2).filter((j) => j.name === 'gate')).toHaveLength(1);
  });

  test('a name a CI job of the pipeline uses → 400 name taken', async () => {
    const pl = fake.rest.addCiPipeline({ projectId: PID, sha: sha2, ref: 'feature', jobs: ['secbot'] });
    expect(await status({ state: 'running', name: 'secbot', pipeline_id: pl.id }, sha2)).toMatchObject({ status: 400, body: fixture('error.name_taken.derived.json') });
  });

  test('a protected branch needs Maintainer: a Developer gets 403 and leaves an empty pipeline behind', async () => {
    const before = fake.rest.state.pipelines.length;
    const res = await status({ state: 'running', name: 'x', ref: 'main' });
    expect(res).toMatchObject({ status: 403, body: fixture('error.forbidden.json') });
    expect(fake.rest.state.pipelines.length).toBe(before + 1);
    expect(fake.rest.statuses(PID, sha)).toHaveLength(0);
    expect((await call('POST', `/projects/${PID}/statuses/${sha}`, { state: 'running', name: 'x', ref: 'main' }, MAINTAINER)).status).toBe(201);
  });

  test('validation: unknown commit, unknown pipeline, bad state, long description, blocked target_url', async () => {
    expect(await status({ state: 'running' }, 'f'.repeat(40))).toMatchObject({ status: 404, body: fixture('error.commit_not_found.json') });
    expect(await status({ state: 'running', pipeline_id: 424242 })).toMatchObject({ status: 404, body: fixture('error.pipeline_not_found.json') });
    expect(await status({ state: 'error' })).toMatchObject({ status: 400, body: fixture('error.state_invalid.derived.json') });
    expect(await status({ state: 'running', name: 'd', ref: 'feature', description: 'x'.repeat(256) }, sha2)).toMatchObject({ status: 400, body: fixture('error.description_too_long.derived.json') });
    const blocked = await status({ state: 'running', name: 't', ref: 'feature', target_url: 'javascript:alert(1)' }, sha2);
    expect(blocked.status).toBe(400);
    expect(blocked.body.message.target_url[0]).toContain(fixture('error.target_url_blocked.derived.json').message.target_url[0].slice(0, 20));
  });
});

describe('merge request notes (REST §5, §7)', () => {
  test('pages can be short while more follow; system notes are filtered by only_comments', async () => {
    const other = 4242;
    for (let i = 0; i < 5; i++) fake.rest.addNote({ projectId: PID, iid: 1, body: `n${i}`, authorId: other, hidden: i % 2 === 0 });
    fake.rest.addNote({ projectId: PID, iid: 1, body: 'added 1 commit', authorId: other, system: true });
    const page1 = await call('GET', `/projects/${PID}/merge_requests/1/notes?sort=asc&per_page=2&activity_filter=only_comments`);
    expect(page1.body.length).toBeLessThan(2);
    expect(page1.headers.get('x-next-page')).toBe('2');
    expect(page1.headers.get('link')).toContain('rel="next"');
    const all = await call('GET', `/projects/${PID}/merge_requests/1/notes?sort=asc&per_page=100`);
    expect(all.body.some((n: { system: boolean }) => n.system)).toBe(true);
    expect(all.headers.get('x-next-page')).toBe('');
  });

  test('the notes rate limit answers 429 JSON without Retry-After; quick actions in a note are recorded; only the author edits', async () => {
    fake.rest.rateLimitNotes(1);
    const limited = await call('POST', `/projects/${PID}/merge_requests/1/notes`, { body: 'hello' });
    expect(limited).toMatchObject({ status: 429, body: fixture('error.notes_rate_limited.derived.json') });
    expect(limited.headers.get('retry-after')).toBeNull();
    const created = await call('POST', `/projects/${PID}/merge_requests/1/notes`, { body: 'text\n/close' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(expect.arrayContaining(Object.keys(fixture('note.created.json')).filter((k) => k !== 'type' && k !== 'commands_changes')));
    expect(fake.rest.state.quickActions.map((q) => q.line)).toEqual(['/close']);
    fake.rest.state.quickActions.length = 0;
    const theirs = fake.rest.addNote({ projectId: PID, iid: 1, body: 'theirs', authorId: 4242 });
    expect((await call('PUT', `/projects/${PID}/merge_requests/1/notes/${theirs.id}`, { body: 'mine now' })).status).toBe(403);
    expect((await call('PUT', `/projects/${PID}/merge_requests/1/notes/${created.body.id}`, { body: 'edited' })).status).toBe(200);
    expect((await call('PUT', `/projects/${PID}/merge_requests/1/notes/987654`, { body: 'x' })).status).toBe(404);
  });
});
