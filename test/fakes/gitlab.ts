// Fake GitLab git-over-HTTP endpoint: real repositories under `reposDir`, served by the real
// `git http-backend` as CGI. Auth follows CONTRACT.md §6: HTTP Basic, token as the password,
// username ignored. Read-only: pushes get 403. `/api/v4/…` is the REST fake (./gitlab-rest/,
// REST.md). Anything else is recorded in `unexpected`.
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeGitlabRest, handleRest } from './gitlab-rest/index.ts';

export interface GitLabRequestRecord {
  method: string;
  path: string;
  query: string;
  /** Whether an Authorization header was present; the credentials are never recorded. */
  hadAuth: boolean;
  authOk: boolean;
  status: number;
  /** `Content-Encoding` of the request body (git gzips POST bodies over ~1 KB). */
  contentEncoding: string | null;
  /** `Git-Protocol` header, e.g. `version=2`. */
  gitProtocol: string | null;
  receivedAt: Date;
  /** http-backend's stderr, filled in once the CGI process exits. */
  stderr?: string;
}

export interface FakeGitLab {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  /** e.g. 127.0.0.1:PORT */
  host: string;
  stop(): Promise<void>;
  requests: GitLabRequestRecord[];
  unexpected: { method: string; path: string; reason: string }[];
  setToken(token: string): void;
  /** The next n routed requests answer `status` (default 500) before auth is checked. */
  failNext(n: number, opts?: { status?: number }): void;
  /** Delays the next n git requests by `ms` before serving them normally (a slow or stuck fetch). */
  holdNext(n: number, ms: number): void;
  /** The REST API (commit statuses, merge requests, notes). */
  rest: FakeGitlabRest;
}

const ROUTE = /^\/(.+\.git)\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const DENIED = 'HTTP Basic: Access denied. If a password was provided for Git authentication, the password was incorrect or you\'re required to use a token instead of a password.\n';
const NOT_FOUND = 'The project you were looking for could not be found or you don\'t have permission to view it.\n';

// Shared and never written to; it only keeps the developer's ~/.gitconfig away from http-backend.
function emptyHome(): string {
  const home = join(tmpdir(), 'secbot-git-home');
  mkdirSync(home, { recursive: true });
  return home;
}

let httpBackend: string | undefined;
function httpBackendPath(): string {
  if (httpBackend) return httpBackend;
  const execPath = Bun.spawnSync(['git', '--exec-path'], { stdout: 'pipe' }).stdout.toString().trim();
  httpBackend = join(execPath, 'git-http-backend');
  return httpBackend;
}

interface GitLabState {
  reposDir: string;
  home: string;
  token: string;
  requests: GitLabRequestRecord[];
  unexpected: FakeGitLab['unexpected'];
  failures: { remaining: number; status: number }[];
  holds: { remaining: number; ms: number }[];
  rest: FakeGitlabRest;
}

export function startFakeGitLab(opts: { reposDir: string; token: string }): FakeGitLab {
  const state: GitLabState = {
    reposDir: realpathSync(opts.reposDir),
    home: emptyHome(),
    token: opts.token, requests: [], unexpected: [], failures: [], holds: [], rest: new FakeGitlabRest(),
  };
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    reusePort: false,
    // Pack generation for big histories can be silent for a while before the first byte.
    idleTimeout: 120,
    fetch: (req) => handleRequest(state, req),
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    host: `127.0.0.1:${server.port}`,
    stop: () => server.stop(true),
    requests: state.requests,
    unexpected: state.unexpected,
    setToken(t) {
      state.token = t;
    },
    failNext(n, o = {}) {
      if (n > 0) state.failures.push({ remaining: n, status: o.status ?? 500 });
    },
    holdNext(n, ms) {
      if (n > 0) state.holds.push({ remaining: n, ms });
    },
    rest: state.rest,
  };
}

// Order mirrors GitLab: routing, (injected outage), auth, push permission, project lookup.
async function handleRequest(state: GitLabState, req: Request): Promise<Response> {
  const url = new URL(req.url);
  if (url.pathname.startsWith('/api/v4/')) return handleRest(state.rest.state, state.reposDir, req, url);
  const auth = parseBasic(req.headers.get('authorization'));
  const record: GitLabRequestRecord = {
    method: req.method, path: url.pathname, query: url.search.slice(1), hadAuth: req.headers.has('authorization'),
    authOk: auth?.password === state.token, status: 0, contentEncoding: req.headers.get('content-encoding'),
    gitProtocol: req.headers.get('git-protocol'), receivedAt: new Date(),
  };
  state.requests.push(record);
  const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
    record.status = status;
    return new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers } });
  };
  const route = routeOf(req, url);
  if ('reason' in route) {
    state.unexpected.push({ method: req.method, path: url.pathname, reason: route.reason });
    return reply(404, 'Not Found\n');
  }
  const hold = state.holds[0];
  if (hold) {
    if (--hold.remaining <= 0) state.holds.shift();
    await Bun.sleep(hold.ms);
  }
  const failure = state.failures[0];
  if (failure) {
    if (--failure.remaining <= 0) state.failures.shift();
    return reply(failure.status, 'Injected failure\n');
  }
  if (!record.authOk) return reply(401, DENIED, { 'WWW-Authenticate': 'Basic realm="GitLab"' });
  if (route.service === 'git-receive-pack') {
    state.unexpected.push({ method: req.method, path: url.pathname, reason: 'push attempted' });
    return reply(403, 'You are not allowed to push code to this project.\n');
  }
  if (!existsSync(join(state.reposDir, route.repo))) return reply(404, NOT_FOUND);
  const res = await runBackend(req, url, route.pathInfo, { reposDir: state.reposDir, home: state.home, user: auth?.user ?? '' }, record);
  record.status = res.status;
  return res;
}

type Route = { repo: string; service: 'git-upload-pack' | 'git-receive-pack'; pathInfo: string } | { reason: string };

function routeOf(req: Request, url: URL): Route {
  // URL parsing already folds literal dot segments, so also look at the raw request line
  // and at percent-encoded forms, which http-backend would decode.
  const decoded = safeDecode(url.pathname);
  if (req.url.includes('..') || decoded === undefined || decoded.includes('..') || decoded.includes('\\')) {
    return { reason: 'path traversal' };
  }
  const m = ROUTE.exec(decoded);
  if (!m) return { reason: 'not a smart HTTP git path' };
  const repo = m[1]!;
  if (!repo.split('/').every((s) => SEGMENT.test(s))) return { reason: 'bad project path' };
  const isInfoRefs = m[2] === 'info/refs';
  const service = isInfoRefs ? url.searchParams.get('service') : m[2];
  if (service !== 'git-upload-pack' && service !== 'git-receive-pack') return { reason: `dumb HTTP or unknown service ${service ?? ''}` };
  if (req.method !== (isInfoRefs ? 'GET' : 'POST')) return { reason: `${req.method} not allowed here` };
  return { repo, service, pathInfo: decoded };
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function parseBasic(header: string | null): { user: string; password: string } | undefined {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

type BackendContext = { reposDir: string; home: string; user: string };

async function runBackend(req: Request, url: URL, pathInfo: string, ctx: BackendContext, record: GitLabRequestRecord): Promise<Response> {
  const body = req.method === 'POST' ? new Uint8Array(await req.arrayBuffer()) : undefined;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: ctx.home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_PROJECT_ROOT: ctx.reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: req.method,
    PATH_INFO: pathInfo,
    QUERY_STRING: url.search.slice(1),
    REMOTE_USER: ctx.user,
    REMOTE_ADDR: '127.0.0.1',
    CONTENT_TYPE: req.headers.get('content-type') ?? '',
    // Gitaly enables these, so fetching an unadvertised SHA and partial clones work as on GitLab.
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'uploadpack.allowAnySHA1InWant',
    GIT_CONFIG_VALUE_0: 'true',
    GIT_CONFIG_KEY_1: 'uploadpack.allowFilter',
    GIT_CONFIG_VALUE_1: 'true',
  };
  if (body) env.CONTENT_LENGTH = String(body.byteLength);
  const protocol = req.headers.get('git-protocol');
  if (protocol) env.GIT_PROTOCOL = protocol;
  // http-backend inflates gzip bodies itself when told about the encoding.
  const encoding = req.headers.get('content-encoding');
  if (encoding) env.HTTP_CONTENT_ENCODING = encoding;

  const proc = Bun.spawn([httpBackendPath()], { env, stdin: body ?? 'ignore', stdout: 'pipe', stderr: 'pipe' });
  void new Response(proc.stderr).text().then((text) => {
    if (text) record.stderr = text;
  });
  return cgiResponse(proc.stdout, record);
}

// CGI output is "Header: value" lines, a blank line, then the body, which is streamed through.
async function cgiResponse(stdout: ReadableStream<Uint8Array>, record: GitLabRequestRecord): Promise<Response> {
  const reader = stdout.getReader();
  let buffered: Uint8Array = new Uint8Array(0);
  let split: { end: number; next: number } | undefined;
  while (!(split = headerEnd(buffered))) {
    const { done, value } = await reader.read();
    if (done) {
      record.stderr ??= 'http-backend exited before sending headers';
      return new Response('Bad Gateway\n', { status: 502 });
    }
    buffered = concat(buffered, value);
  }
  const headers = new Headers();
  let status = 200;
  for (const line of new TextDecoder().decode(buffered.subarray(0, split.end)).split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers.append(name, value);
  }
  const rest = buffered.subarray(split.next);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (rest.byteLength > 0) controller.enqueue(rest);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: () => reader.cancel(),
  });
  return new Response(body, { status, headers });
}

function headerEnd(buf: Uint8Array): { end: number; next: number } | undefined {
  for (let i = 0; i < buf.length - 1; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return { end: i, next: i + 2 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return { end: i, next: i + 3 };
  }
  return undefined;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
