/**
 * The gitlab notifier against the GitLab REST fake (REST.md's traps), with an in-memory ledger: what it posts where,
 * and how it survives transition errors, name collisions, 403 on protected branches, 429 without Retry-After, short
 * note pages, lost ledger entries and the pipeline a first external status creates.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGitlabConfigs, type Settings } from '../../src/config/settings.ts';
import type { CheckRecord } from '../../src/core/check.ts';
import { ConfigError, RetryableError } from '../../src/core/errors.ts';
import type { CheckSnapshot, SnapshotFinding } from '../../src/core/publication.ts';
import { createLogger } from '../../src/log/logger.ts';
import { gitlabNotifierConfigSchema } from '../../src/plugins/notifiers/gitlab/config.ts';
import { gitlabDefinition } from '../../src/plugins/notifiers/gitlab/index.ts';
import { noteMarker } from '../../src/plugins/notifiers/gitlab/note.ts';
import type { Notifier, PublicationLedger, PublishedStatus, PublishMergeRequest, PublishResult } from '../../src/plugins/types.ts';
import { startFakeGitLab, type FakeGitLab } from '../fakes/gitlab.ts';
import { createBareRepo, type BareRepo } from '../helpers/git-repo.ts';

const API = 'glpat-api-publisher-0123456789';
const PID = 31;
let root: string;
let fake: FakeGitLab;
let repo: BareRepo;
let bot: number;
let settings: Settings;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'secbot-gl-publisher-'));
  repo = createBareRepo(join(root, 'repos'), 'acme/pub');
  repo.commit({ files: { 'README.md': 'x\n' }, message: 'init' });
  fake = startFakeGitLab({ reposDir: join(root, 'repos'), token: 'glpat-git' });
  bot = fake.rest.addUser('secbot-bot', API);
  fake.rest.addProject({ id: PID, path: 'acme/pub', members: { [bot]: 'developer' }, protectedBranches: ['main'] });
  const gitlab = parseGitlabConfigs(JSON.stringify([{ host: fake.url, webhook_secret_token: 'whsec-0123456789', auth_token: 'glpat-git', api_token: API, prefix: 'GIT' }]));
  settings = { gitlab } as Settings;
});
afterAll(async () => {
  await fake.stop();
  rmSync(root, { recursive: true, force: true });
});

class MemoryLedger implements PublicationLedger {
  rows = new Map<string, PublishedStatus>();
  noteRows = new Map<string, { noteId: number; bodyHash: string }>();
  closed: string[] = [];
  key = (mr: PublishMergeRequest) => `${mr.projectId}!${mr.iid}`;
  statuses = async () => [...this.rows.values()];
  saveStatus = async (s: PublishedStatus) => void this.rows.set(s.target, s);
  dropStatus = async (t: string) => void this.rows.delete(t);
  note = async (mr: PublishMergeRequest) => this.noteRows.get(this.key(mr));
  saveNote = async (mr: PublishMergeRequest, noteId: number, bodyHash: string) => void this.noteRows.set(this.key(mr), { noteId, bodyHash });
  dropNote = async (mr: PublishMergeRequest) => void this.noteRows.delete(this.key(mr));
  closeMergeRequest = async (mr: PublishMergeRequest, state: string) => void this.closed.push(`${this.key(mr)}:${state}`);
}

function publisher(config: Record<string, unknown> = {}): Notifier {
  const ctx = { name: 'gitlab', config: gitlabNotifierConfigSchema.parse(config), env: {}, settings, logger: createLogger({ level: 'error', sink: () => {} }), fetch };
  return gitlabDefinition.create(ctx);
}

function snapshotFor(sha: string, o: Partial<CheckSnapshot> & { branch?: string; mr?: number } = {}): CheckSnapshot {
  const check: CheckRecord = {
    id: `GIT_${sha.slice(0, 40).padEnd(64, '0')}`, generation: 1, jobName: 'j', createdAt: Date.now(), eventType: o.mr ? 'merge_request' : 'push',
    instancePrefix: 'GIT', host: settings.gitlab[0]!.host, hostname: '127.0.0.1', projectPath: 'acme/pub', projectId: PID,
    projectUrl: `${fake.url}/acme/pub`, commitSha: sha, ref: { kind: 'branch', name: o.branch ?? 'feature' }, beforeSha: null, userName: null,
    mergeRequest: o.mr ? { iid: o.mr, action: 'open', sourceBranch: o.branch ?? 'feature', targetBranch: 'main', oldrev: null, url: null, title: null } : null,
  };
  const finding: SnapshotFinding = {
    leakKey: 'k', rule: 'aws-access-token', file: 'k.env', line: 1, commit: sha, severity: 'High', title: 'AWS key', url: 'https://dojo.example/finding/7',
    open: true, inherited: false, foundBy: check.id,
  };
  return { check, status: 'fail', reason: '1 open finding(s)', phase: 'final', findings: [finding], unscanned: [], pageUrl: 'https://secbot.example/checks/x', ...o };
}

async function publish(p: Notifier, snapshot: CheckSnapshot, ledger: MemoryLedger, mrs: PublishMergeRequest[] = []): Promise<PublishResult> {
  return p.publish!({ snapshot, instance: settings.gitlab[0]!, mergeRequests: mrs, ledger, signal: AbortSignal.timeout(10_000), log: createLogger({ level: 'error', sink: () => {} }) });
}

let n = 0;
const newCommit = (branch = 'feature') => {
  repo.branch(branch, repo.revParse('refs/heads/main'));
  return repo.commit({ files: { [`f${n++}.txt`]: `${n}\n` }, message: `c${n}`, branch });
};

describe('commit statuses', () => {
  let ledger: MemoryLedger;
  beforeEach(() => {
    ledger = new MemoryLedger();
  });

  test('pending → running → failed on a pushed branch; an unchanged state is never posted again', async () => {
    const sha = newCommit('feat-a');
    const p = publisher();
    for (const phase of ['pending', 'running'] as const) await publish(p, snapshotFor(sha, { branch: 'feat-a', phase, status: 'in_progress' }), ledger);
    await publish(p, snapshotFor(sha, { branch: 'feat-a' }), ledger);
    const again = await publish(p, snapshotFor(sha, { branch: 'feat-a' }), ledger);
    expect(again).toEqual({ written: 0, unchanged: 1, problems: [] });
    const posts = fake.rest.statusPosts(PID, sha);
    expect(posts.map((x) => x.state)).toEqual(['pending', 'running', 'failed']);
    expect(posts[0]).toMatchObject({ name: 'secbot', target_url: 'https://secbot.example/checks/x' });
    // No ref is sent (GitLab picks the branch holding the commit); after the first answer named the pipeline, later
    // posts go to that pipeline.
    expect(posts.every((x) => x.ref === undefined)).toBe(true);
    expect(posts[1]).toMatchObject({ pipeline_id: expect.any(Number) });
    const visible = fake.rest.statuses(PID, sha);
    expect(visible).toHaveLength(1);
    expect(visible[0]).toMatchObject({ status: 'failed', name: 'secbot', ref: 'feat-a', description: 'Secrets found: 1 open finding(s)' });
  });

  test('a 400 "Cannot transition" (the state is already there, e.g. an answer was lost) counts as done', async () => {
    const sha = newCommit('feat-b');
    await fetch(`${fake.url}/api/v4/projects/${PID}/statuses/${sha}`, {
      method: 'POST', headers: { 'PRIVATE-TOKEN': API, 'content-type': 'application/json' }, body: JSON.stringify({ state: 'running', name: 'secbot', ref: 'feat-b' }),
    });
    const r = await publish(publisher(), snapshotFor(sha, { branch: 'feat-b', phase: 'running', status: 'in_progress' }), ledger);
    expect(r).toMatchObject({ written: 0, unchanged: 1, problems: [] });
    expect(fake.rest.statusPosts(PID, sha).at(-1)).toMatchObject({ _status: 400 });
    expect([...ledger.rows.values()][0]).toMatchObject({ state: 'running' });
    await publish(publisher(), snapshotFor(sha, { branch: 'feat-b' }), ledger);
    expect(fake.rest.statuses(PID, sha)[0]).toMatchObject({ status: 'failed' });
  });

  test('a CI job with the same name in the MR pipeline: the status goes there under a fallback name', async () => {
    const sha = newCommit('feat-c');
    const mr = fake.rest.upsertMergeRequest({ projectId: PID, iid: 40, sha, source: 'feat-c' });
    const pl = fake.rest.addCiPipeline({ projectId: PID, sha, ref: 'refs/merge-requests/40/head', jobs: ['secbot'], mr, source: 'merge_request_event' });
    await publish(publisher(), snapshotFor(sha, { branch: 'feat-c', mr: 40 }), ledger, [{ projectId: PID, iid: 40, checkIds: [] }]);
    const jobs = fake.rest.statuses(PID, sha);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ name: 'secbot-external', pipelineId: pl.id, status: 'failed' });
    expect(fake.rest.pipelineStatus(pl.id)).toBe('failed');
    expect(fake.rest.statusPosts(PID, sha).every((x) => x.ref === undefined)).toBe(true);
  });

  test('403 on a protected branch is reported with its fix, and posted once the role allows it', async () => {
    const sha = repo.commit({ files: { [`m${n++}.txt`]: 'm\n' }, message: 'main' });
    const first = await publish(publisher(), snapshotFor(sha, { branch: 'main' }), ledger);
    expect(first.problems[0]!.message).toContain('protected branch needs Maintainer');
    fake.rest.setRole(PID, bot, 'maintainer');
    const second = await publish(publisher(), snapshotFor(sha, { branch: 'main' }), ledger);
    fake.rest.setRole(PID, bot, 'developer');
    expect(second).toMatchObject({ written: 1, problems: [] });
    expect(fake.rest.statuses(PID, sha)[0]).toMatchObject({ status: 'failed', ref: 'main' });
  });

  test('the pipeline a first status created stays in step when CI later creates the MR head pipeline', async () => {
    const sha = newCommit('feat-d');
    const mr = fake.rest.upsertMergeRequest({ projectId: PID, iid: 41, sha, source: 'feat-d' });
    const mrs = [{ projectId: PID, iid: 41, checkIds: [] }];
    const p = publisher();
    await publish(p, snapshotFor(sha, { branch: 'feat-d', mr: 41, phase: 'pending', status: 'in_progress' }), ledger, mrs);
    const external = mr.headPipelineId!;
    expect(fake.rest.state.pipeline(external)?.source).toBe('external');
    const ci = fake.rest.addCiPipeline({ projectId: PID, sha, ref: 'refs/merge-requests/41/head', jobs: ['test'], mr, source: 'merge_request_event' });
    await publish(p, snapshotFor(sha, { branch: 'feat-d', mr: 41 }), ledger, mrs);
    const jobs = fake.rest.statuses(PID, sha);
    expect(jobs.find((j) => j.pipelineId === ci.id)).toMatchObject({ status: 'failed' });
    expect(jobs.find((j) => j.pipelineId === external)).toMatchObject({ status: 'failed' });
    expect(fake.rest.mergeRequest(PID, 41)?.headPipelineId).toBe(ci.id);
  });
});

describe('the merge request note', () => {
  test('one note, edited in place; found again by its marker when the ledger lost it, across short pages', async () => {
    const sha = newCommit('feat-e');
    fake.rest.upsertMergeRequest({ projectId: PID, iid: 50, sha, source: 'feat-e' });
    for (let i = 0; i < 150; i++) fake.rest.addNote({ projectId: PID, iid: 50, body: `chatter ${i}`, authorId: 9999, hidden: i % 3 === 0 });
    fake.rest.addNote({ projectId: PID, iid: 50, body: `${noteMarker('gitlab')}\nforged by someone else`, authorId: 9999 });
    const mrs = [{ projectId: PID, iid: 50, checkIds: [] }];
    const ledger = new MemoryLedger();
    await publish(publisher(), snapshotFor(sha, { branch: 'feat-e', mr: 50 }), ledger, mrs);
    const mine = () => fake.rest.notes(PID, 50).filter((x) => x.authorId === bot);
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.body).toContain('1 open secret finding');
    // A crash between POST and recording the note id leaves only the intent: the next publication finds the note.
    const lost = new MemoryLedger();
    lost.noteRows.set(`${PID}!50`, { noteId: 0, bodyHash: '' });
    await publish(publisher(), snapshotFor(sha, { branch: 'feat-e', mr: 50, status: 'success', reason: null, findings: [] }), lost, mrs);
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.body).toContain('no open secret findings');
    expect(fake.rest.state.quickActions).toEqual([]);
  });

  test('a clean check creates no note (on_findings); a deleted note is written again', async () => {
    const sha = newCommit('feat-f');
    fake.rest.upsertMergeRequest({ projectId: PID, iid: 51, sha, source: 'feat-f' });
    const mrs = [{ projectId: PID, iid: 51, checkIds: [] }];
    const ledger = new MemoryLedger();
    await publish(publisher(), snapshotFor(sha, { branch: 'feat-f', mr: 51, status: 'success', reason: null, findings: [] }), ledger, mrs);
    expect(fake.rest.notes(PID, 51)).toHaveLength(0);
    await publish(publisher(), snapshotFor(sha, { branch: 'feat-f', mr: 51 }), ledger, mrs);
    const [note] = fake.rest.notes(PID, 51);
    fake.rest.state.notes.splice(fake.rest.state.notes.indexOf(note!), 1);
    await publish(publisher(), snapshotFor(sha, { branch: 'feat-f', mr: 51, reason: '1 open finding(s) ', findings: [] }), ledger, mrs);
    expect(fake.rest.notes(PID, 51)).toHaveLength(1);
  });

  test('429 on note creation without Retry-After: retry later (rate-limited, the configured wait); statuses already set are kept', async () => {
    const sha = newCommit('feat-g');
    fake.rest.upsertMergeRequest({ projectId: PID, iid: 52, sha, source: 'feat-g' });
    fake.rest.rateLimitNotes(1);
    const ledger = new MemoryLedger();
    const err = await publish(publisher({ rate_limit_seconds: 7 }), snapshotFor(sha, { branch: 'feat-g', mr: 52 }), ledger, [{ projectId: PID, iid: 52, checkIds: [] }]).catch((e) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).toMatchObject({ rateLimited: true, retryAfterMs: 7000 });
    expect(ledger.rows.size).toBe(1);
    await publish(publisher(), snapshotFor(sha, { branch: 'feat-g', mr: 52 }), ledger, [{ projectId: PID, iid: 52, checkIds: [] }]);
    expect(fake.rest.notes(PID, 52)).toHaveLength(1);
    expect(fake.rest.statusPosts(PID, sha)).toHaveLength(1);
  });

  test('a closed merge request is recorded as such and no longer written to', async () => {
    const sha = newCommit('feat-h');
    fake.rest.upsertMergeRequest({ projectId: PID, iid: 53, sha, source: 'feat-h', state: 'merged' });
    const ledger = new MemoryLedger();
    await publish(publisher(), snapshotFor(sha, { branch: 'feat-h', mr: 53 }), ledger, [{ projectId: PID, iid: 53, checkIds: [] }]);
    expect(ledger.closed).toEqual([`${PID}!53:merged`]);
    expect(fake.rest.notes(PID, 53)).toHaveLength(0);
  });
});

describe('tokens', () => {
  test('no api_token anywhere is a configuration error naming the fix; a revoked token is one at publish time', async () => {
    const noApi = { gitlab: settings.gitlab.map((g) => ({ ...g, apiToken: undefined })) } as Settings;
    const ctx = { name: 'gitlab', config: gitlabNotifierConfigSchema.parse({}), env: {}, settings: noApi, logger: createLogger({ level: 'error', sink: () => {} }), fetch };
    expect(() => gitlabDefinition.create(ctx)).toThrow(/no GITLAB_CONFIGS instance has an api_token/);
    const sha = newCommit('feat-i');
    fake.rest.failNext(1, { status: 401, body: { error: 'invalid_token', error_description: 'Token was revoked. You have to re-authorize from the user.' } });
    const err = await publish(publisher(), snapshotFor(sha, { branch: 'feat-i' }), new MemoryLedger()).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('rejected the api_token');
    expect(err.message).not.toContain(API);
  });
});
