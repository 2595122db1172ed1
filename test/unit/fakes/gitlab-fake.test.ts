import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeGitLab, type FakeGitLab } from '../../fakes/gitlab.ts';
import { createBareRepo, git, gitSync, type BareRepo } from '../../helpers/git-repo.ts';

const TOKEN = 'glpat-fake-token-0123456789';
let root: string;
let fake: FakeGitLab;
let repo: BareRepo;
let shas: { first: string; second: string; feature: string; tagObject: string };

const basic = (token: string) => `Authorization: Basic ${Buffer.from(`oauth2:${token}`).toString('base64')}`;
// No credential helper or askpass exists in gitEnv(), so a 401 fails fast instead of prompting.
const withToken = (token: string) => ['-c', `http.extraHeader=${basic(token)}`];
const cloneUrl = (project = 'group/sub/project') => `${fake.url}/${project}.git`;
const dest = (name: string) => join(root, 'clones', name);

// fetch() folds ".." and "%2e%2e" segments before sending, so traversal needs a raw request line.
function rawStatus(target: string, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const [host, port] = fake.host.split(':');
    const socket = connect(Number(port), host!, () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${fake.host}\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`);
    });
    let head = '';
    socket.on('data', (chunk) => (head += chunk.toString()));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'secbot-gitlab-fake-'));
  const reposDir = join(root, 'repos');
  repo = createBareRepo(reposDir, 'group/sub/project');
  const first = repo.commit({ files: { 'README.md': '# project\n', 'config/app.env': 'DEBUG=1\n' }, message: 'Initial commit' });
  const second = repo.commit({ files: { 'config/app.env': null, 'src/main.ts': 'export {};\n' }, message: 'Remove env file' });
  repo.branch('feature', second);
  const feature = repo.commit({ files: { 'src/feature.ts': 'export const x = 1;\n' }, message: 'Feature', branch: 'feature', author: { name: 'Jane Dev', email: 'jane@example.com' } });
  const tagObject = repo.tag('v1.0.0', second, { annotated: true });
  repo.tag('light', first);
  repo.mergeRequestRef(7, feature);
  shas = { first, second, feature, tagObject };
  fake = startFakeGitLab({ reposDir, token: TOKEN });
});
afterEach(() => {
  fake.setToken(TOKEN);
  fake.requests.length = 0;
});
afterAll(async () => {
  await fake.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('git-repo helper', () => {
  test('commits, branches, tags and MR refs land in the bare repository', () => {
    const refs = repo.refs();
    expect(refs).toMatchObject({
      'refs/heads/main': shas.second,
      'refs/heads/feature': shas.feature,
      'refs/tags/v1.0.0': shas.tagObject,
      'refs/tags/light': shas.first,
      'refs/merge-requests/7/head': shas.feature,
    });
    expect(repo.revParse('v1.0.0^{commit}')).toBe(shas.second);
    expect(gitSync(['--git-dir', repo.path, 'ls-tree', '-r', '--name-only', shas.second]).stdout.split('\n').filter(Boolean)).toEqual(['README.md', 'src/main.ts']);
    expect(gitSync(['--git-dir', repo.path, 'log', '-1', '--format=%an <%ae>', shas.feature]).stdout.trim()).toBe('Jane Dev <jane@example.com>');
    repo.branch('tmp', shas.first);
    repo.deleteBranch('tmp');
    expect(() => repo.revParse('refs/heads/tmp')).toThrow();
  });
});

describe('fake GitLab over smart HTTP', () => {
  test('git clone --mirror with the token in http.extraHeader gets every ref, MR refs included', async () => {
    const res = await git([...withToken(TOKEN), 'clone', '--mirror', cloneUrl(), dest('mirror.git')]);
    expect(res.stderr).not.toContain(TOKEN);
    expect(res.exitCode).toBe(0);
    const refs = gitSync(['--git-dir', dest('mirror.git'), 'for-each-ref', '--format=%(refname) %(objectname)']).stdout;
    expect(refs).toContain(`refs/merge-requests/7/head ${shas.feature}`);
    expect(refs).toContain(`refs/tags/v1.0.0 ${shas.tagObject}`);
    expect(gitSync(['--git-dir', dest('mirror.git'), 'config', '--get', 'remote.origin.url']).stdout.trim()).toBe(cloneUrl());
    expect(fake.requests.every((r) => r.hadAuth && r.authOk && r.status === 200)).toBe(true);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toContain('POST /group/sub/project.git/git-upload-pack');
    expect(fake.requests[0]!.gitProtocol).toBe('version=2');
    expect(fake.unexpected).toEqual([]);
  });

  test('an explicit refspec fetches refs/merge-requests/<iid>/head, and incremental fetches work', async () => {
    const dir = dest('fetcher');
    expect((await git(['init', '--quiet', dir])).exitCode).toBe(0);
    const fetch = (...refspecs: string[]) => git([...withToken(TOKEN), '-C', dir, 'fetch', '--no-tags', cloneUrl(), ...refspecs]);
    const mr = await fetch('+refs/merge-requests/7/head:refs/remotes/origin/merge-requests/7');
    expect(mr.exitCode).toBe(0);
    expect(gitSync(['-C', dir, 'rev-parse', 'refs/remotes/origin/merge-requests/7']).stdout.trim()).toBe(shas.feature);
    const newer = repo.commit({ files: { 'src/main.ts': 'export const y = 2;\n' }, message: 'More', branch: 'feature' });
    repo.mergeRequestRef(7, newer);
    expect((await fetch('+refs/merge-requests/7/head:refs/remotes/origin/merge-requests/7')).exitCode).toBe(0);
    expect(gitSync(['-C', dir, 'rev-parse', 'refs/remotes/origin/merge-requests/7']).stdout.trim()).toBe(newer);
    // Gitaly allows wants of unadvertised SHAs; the fake does too.
    expect((await fetch(shas.first)).exitCode).toBe(0);
  });

  test('a wrong token is rejected with 401 and git reports an authentication failure', async () => {
    const res = await git([...withToken('glpat-wrong'), 'ls-remote', cloneUrl()]);
    expect(res.exitCode).not.toBe(0);
    // The extraHeader credential is invisible to git's credential machinery, so a 401 makes it
    // ask for a username, exactly as with no credentials; only URL/helper credentials yield
    // "Authentication failed".
    expect(res.stderr).toContain('could not read Username');
    expect(fake.requests.map((r) => [r.status, r.hadAuth, r.authOk])).toEqual([[401, true, false]]);
    const urlCreds = await git(['ls-remote', cloneUrl().replace('://', '://oauth2:glpat-wrong@')]);
    expect(urlCreds.stderr).toContain('Authentication failed');
  });

  test('no credentials get 401 with a Basic challenge; setToken rotates the accepted token', async () => {
    const res = await git(['ls-remote', cloneUrl()]);
    expect(res.exitCode).not.toBe(0);
    expect(res.stderr).toContain('could not read Username');
    const raw = await fetch(`${cloneUrl()}/info/refs?service=git-upload-pack`);
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toBe('Basic realm="GitLab"');
    fake.setToken('glpat-rotated');
    expect((await git([...withToken(TOKEN), 'ls-remote', cloneUrl()])).exitCode).not.toBe(0);
    expect((await git([...withToken('glpat-rotated'), 'ls-remote', cloneUrl()])).stdout).toContain(`${shas.second}\tHEAD`);
  });

  test('gzip request bodies are handled (many wants make git compress the POST)', async () => {
    const many = createBareRepo(join(root, 'repos'), 'group/many');
    const base = many.commit({ files: { 'a.txt': 'a\n' }, message: 'base' });
    for (let i = 0; i < 40; i++) {
      many.branch(`topic-${i}`, base);
      many.commit({ files: { [`t${i}.txt`]: `${i}\n` }, message: `topic ${i}`, branch: `topic-${i}` });
    }
    const res = await git([...withToken(TOKEN), 'clone', '--bare', cloneUrl('group/many'), dest('many.git')]);
    expect(res.exitCode).toBe(0);
    expect(fake.requests.some((r) => r.contentEncoding === 'gzip' && r.status === 200)).toBe(true);
    expect(gitSync(['--git-dir', dest('many.git'), 'for-each-ref', 'refs/heads/']).stdout.split('\n').filter(Boolean)).toHaveLength(41);
  });

  test('push gets 403, missing projects 404, odd paths are unexpected, failNext injects errors', async () => {
    const unexpectedBefore = fake.unexpected.length;
    const auth = { Authorization: basic(TOKEN).slice('Authorization: '.length) };
    expect((await fetch(`${cloneUrl()}/info/refs?service=git-receive-pack`, { headers: auth })).status).toBe(403);
    expect((await fetch(`${cloneUrl('group/missing')}/info/refs?service=git-upload-pack`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${fake.url}/group/sub/project.git/HEAD`, { headers: auth })).status).toBe(404);
    const infoRefs = 'sub/project.git/info/refs?service=git-upload-pack';
    expect(await rawStatus(`/group/..%2fgroup/${infoRefs}`, auth.Authorization)).toBe(404);
    expect(await rawStatus(`/group/%2E%2E%2Fgroup/${infoRefs}`, auth.Authorization)).toBe(404);
    // Bun.serve folds literal (and %2e%2e) dot segments before the handler, so they cannot leave the root.
    expect(await rawStatus(`/group/../group/${infoRefs}`, auth.Authorization)).toBe(200);
    expect(fake.unexpected.slice(unexpectedBefore).map((u) => u.reason)).toEqual(['push attempted', 'not a smart HTTP git path', 'path traversal', 'path traversal']);
    fake.failNext(1, { status: 503 });
    expect((await git([...withToken(TOKEN), 'ls-remote', cloneUrl()])).stderr).toContain('503');
    expect((await git([...withToken(TOKEN), 'ls-remote', cloneUrl()])).exitCode).toBe(0);
  });

  test('generateHistory builds a long history quickly and it clones through the fake', async () => {
    const big = createBareRepo(join(root, 'repos'), 'group/big');
    const started = performance.now();
    const { head, shas: history } = big.generateHistory(2000);
    const elapsed = performance.now() - started;
    console.log(`generateHistory(2000) took ${elapsed.toFixed(0)} ms`);
    expect(history).toHaveLength(2000);
    expect(big.revParse('refs/heads/main')).toBe(head);
    const more = big.generateHistory(10, { files: (i) => ({ 'secret.env': `TOKEN=${i}\n` }) });
    expect(gitSync(['--git-dir', big.path, 'rev-list', '--count', more.head]).stdout.trim()).toBe('2010');
    expect(gitSync(['--git-dir', big.path, 'rev-parse', `${more.shas[0]}^`]).stdout.trim()).toBe(head);
    const res = await git([...withToken(TOKEN), 'clone', '--bare', '--quiet', cloneUrl('group/big'), dest('big.git')]);
    expect(res.exitCode).toBe(0);
    expect(gitSync(['--git-dir', dest('big.git'), 'rev-list', '--count', 'main']).stdout.trim()).toBe('2010');
  });
});
