// Fake DefectDojo API v2 for tests, modelled on /work/shared/contracts/defectdojo/CONTRACT.md.
// In memory, starts in a few milliseconds. Requests it does not model are answered 404 and
// recorded in `state.unexpected`, so a test can assert the client stayed on the contract.

import type { FakeSettings, FakeState, FindingRecord, RequestRecord } from './types.ts';
import { authenticate, PERMISSION_DENIED, type Credentials } from './auth.ts';
import { detail, internalError, json } from './errors.ts';
import { Faults, connectionReset, failureResponse, unavailable, type DownMode, type FailureSpec } from './faults.ts';
import { formOf, type Incoming } from './incoming.ts';
import { runPending } from './dedup.ts';
import { buildRoutes, matchRoute, type Route } from './routes.ts';
import { serializeFinding } from './serializers.ts';
import { USER_ID, createStore, findById, isoMicro, type Store } from './store.ts';

export type { FailureSpec, DownMode } from './faults.ts';
export type * from './types.ts';

export interface FakeDefectDojoOptions {
  /** API key for `Authorization: Token <key>`; default: random 40 hex characters. */
  token?: string;
  /** For Basic auth and POST /api-token-auth/. Default admin / admin. */
  username?: string;
  password?: string;
  inactiveTokens?: string[];
  readOnlyTokens?: string[];
  /** A deployment URL prefix in front of /api/v2/, e.g. `/defectdojo`. */
  pathPrefix?: string;
  /** Clock for dates, scan_date checks and timestamps. */
  now?: () => Date;
  enableDeduplication?: boolean;
  /** Default true: DefectDojo 2.50.4, the release SecBot is tested against (see FakeSettings.legacy). */
  legacy?: boolean;
  blockExecution?: boolean;
  profileDeduplicationMode?: FakeSettings['profileDeduplicationMode'];
  /** Default 150 ms; null: dedup waits for runPendingDeduplication(). */
  asyncDeduplicationDelayMs?: number | null;
  exposeErrorDetails?: boolean;
  maxScanFileBytes?: number;
  importMsPerFinding?: number;
  hashcodeFields?: string[] | null;
}

export type TriagePatch = Partial<Pick<FindingRecord,
  'active' | 'verified' | 'false_p' | 'risk_accepted' | 'out_of_scope' | 'is_mitigated' | 'mitigated' |
  'under_review' | 'duplicate' | 'duplicate_finding' | 'severity' | 'tags'>>;

export interface FakeDefectDojo {
  /** Server root including the path prefix; the client appends `/api/v2/...`. */
  url: string;
  token: string;
  state: FakeState;
  /** Same object as state.settings; mutate it to flip switches between requests. */
  settings: FakeSettings;
  requests: RequestRecord[];
  stop(): Promise<void>;
  /** Set status fields as a user would in the UI; returns the finding as the API shows it. */
  triage(findingId: number, patch: TriagePatch): Record<string, unknown>;
  /** The next n requests (matching `pathPrefix`, if given) fail or are delayed. */
  failNext(n: number, spec?: FailureSpec): void;
  /** 'unavailable' answers 503 from "nginx", 'reset' drops connections, 'refuse' stops listening, 'hang' never answers. */
  setDown(down: boolean, mode?: DownMode): Promise<void>;
  /** Runs the async dedup a Celery worker would do; returns how many findings it processed. */
  runPendingDeduplication(): number;
  findingsOfTest(testId: number): FindingRecord[];
}

function settingsFrom(opts: FakeDefectDojoOptions): FakeSettings {
  return {
    enableDeduplication: opts.enableDeduplication ?? false,
    legacy: opts.legacy ?? true,
    blockExecution: opts.blockExecution ?? false,
    profileDeduplicationMode: opts.profileDeduplicationMode ?? null,
    asyncDeduplicationDelayMs: opts.asyncDeduplicationDelayMs === undefined ? 150 : opts.asyncDeduplicationDelayMs,
    exposeErrorDetails: opts.exposeErrorDetails ?? false,
    maxScanFileBytes: opts.maxScanFileBytes ?? 100 * 1024 * 1024,
    importMsPerFinding: opts.importMsPerFinding ?? 0,
    hashcodeFields: opts.hashcodeFields ?? null,
  };
}

function randomToken(): string {
  return [...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

interface Runtime {
  store: Store;
  routes: Route[];
  credentials: Credentials;
  faults: Faults;
  prefix: string;
  requests: RequestRecord[];
}

export function startFakeDefectDojo(opts: FakeDefectDojoOptions = {}): FakeDefectDojo {
  const store = createStore(settingsFrom(opts), opts.now ?? (() => new Date()));
  const dedupTimers = new Set<ReturnType<typeof setTimeout>>();
  const scheduleDedup = () => {
    const ms = store.state.settings.asyncDeduplicationDelayMs;
    if (ms === null) return;
    const timer = setTimeout(() => { dedupTimers.delete(timer); runPending(store); }, ms);
    dedupTimers.add(timer);
  };
  const credentials: Credentials = {
    token: opts.token ?? randomToken(), username: opts.username ?? 'admin', password: opts.password ?? 'admin',
    inactiveTokens: opts.inactiveTokens ?? [], readOnlyTokens: opts.readOnlyTokens ?? [],
  };
  const faults = new Faults();
  const rt: Runtime = {
    store, credentials, faults, prefix: (opts.pathPrefix ?? '').replace(/\/+$/, ''), requests: [],
    routes: buildRoutes({ store, scheduleDedup, sleep: (ms) => faults.sleep(ms) }, credentials),
  };
  const serve = (port: number) =>
    Bun.serve({ port, hostname: '127.0.0.1', reusePort: false, fetch: (req, srv) => handle(rt, req, srv) });
  let server = serve(0);
  const port = server.port!;
  return {
    url: `http://127.0.0.1:${port}${rt.prefix}`,
    token: credentials.token,
    state: store.state,
    settings: store.state.settings,
    requests: rt.requests,
    async stop() {
      rt.faults.cancelAll();
      for (const t of dedupTimers) clearTimeout(t);
      await server.stop(true);
    },
    triage: (id, patch) => triage(store, id, patch),
    failNext: (n, spec = {}) => rt.faults.add(n, spec),
    async setDown(down, mode = 'unavailable') {
      const wasRefusing = rt.faults.down === 'refuse';
      rt.faults.down = down ? mode : null;
      if (rt.faults.down !== 'hang') rt.faults.releaseHung();
      if (down && mode === 'refuse' && !wasRefusing) await server.stop(true);
      if (wasRefusing && rt.faults.down !== 'refuse') server = serve(port);
    },
    runPendingDeduplication: () => runPending(store),
    findingsOfTest: (testId) => store.state.findings.filter((f) => f.test === testId),
  };
}

function triage(store: Store, id: number, patch: TriagePatch): Record<string, unknown> {
  const f = findById(store.state.findings, id);
  if (!f) throw new Error(`fake DefectDojo: no finding ${id}`);
  Object.assign(f, patch);
  if (patch.is_mitigated === true && patch.mitigated === undefined && f.mitigated === null) {
    f.mitigated = isoMicro(store.now());
    f.mitigated_by = USER_ID;
  }
  if (patch.is_mitigated === false && patch.mitigated === undefined) {
    f.mitigated = null;
    f.mitigated_by = null;
  }
  if (patch.tags) f.tags = patch.tags.map((t) => t.toLowerCase());
  f.updated = f.last_status_update = isoMicro(store.now());
  return serializeFinding(store, f, null);
}

async function record(rt: Runtime, req: Request, url: URL, inc: Incoming): Promise<RequestRecord> {
  const query: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) if (k !== 'authorization') headers[k] = v;
  const entry: RequestRecord = { method: req.method, path: url.pathname, query, headers, contentType: inc.contentType, receivedAt: new Date() };
  rt.requests.push(entry);
  if (inc.bytes.length === 0) return entry;
  const ct = (inc.contentType ?? '').toLowerCase();
  if (ct.startsWith('multipart/form-data') || ct.startsWith('application/x-www-form-urlencoded')) {
    await logForm(entry, inc);
  } else {
    const text = new TextDecoder().decode(inc.bytes);
    try { entry.body = JSON.parse(text); } catch { entry.body = text; }
  }
  return entry;
}

/** Keeps the form fields and the report text for assertions, never the raw upload bytes. */
async function logForm(entry: RequestRecord, inc: Incoming): Promise<void> {
  try {
    const form = await formOf(inc);
    entry.form = {};
    entry.files = [];
    const entries: [string, string | File][] = [];
    form.forEach((value, field) => {
      entries.push([field, value]);
    });
    for (const [field, value] of entries) {
      if (typeof value === 'string') (entry.form[field] ??= []).push(value);
      else entry.files.push({ field, filename: value.name, size: value.size, text: await value.text() });
    }
  } catch {
    entry.body = '<unparseable form body>';
  }
}

async function handle(rt: Runtime, req: Request, srv: Bun.Server<undefined>): Promise<Response> {
  const url = new URL(req.url);
  const bytes = req.body ? new Uint8Array(await req.arrayBuffer()) : new Uint8Array();
  const routePath = url.pathname.startsWith(rt.prefix) ? url.pathname.slice(rt.prefix.length) : url.pathname;
  const host = req.headers.get('host') ?? url.host;
  const inc: Incoming = {
    method: req.method, path: routePath, params: url.searchParams, headers: req.headers,
    contentType: req.headers.get('content-type'), bytes, base: `${url.protocol}//${host}${url.pathname}`,
  };
  const entry = await record(rt, req, url, inc);
  if (rt.faults.down === 'hang') {
    srv.timeout(req, 0);
    await rt.faults.hang();
    return connectionReset();
  }
  const response = await respond(rt, inc, url);
  entry.status = response.status;
  return response;
}

async function respond(rt: Runtime, inc: Incoming, url: URL): Promise<Response> {
  if (rt.faults.down === 'unavailable') return unavailable();
  if (rt.faults.down === 'reset') return connectionReset();
  const fault = rt.faults.take([url.pathname, inc.path]);
  if (fault?.delayMs) await rt.faults.sleep(fault.delayMs);
  if (fault && (fault.status !== undefined || fault.reset)) return failureResponse(fault);
  return route(rt, inc, url);
}

function unexpected(rt: Runtime, inc: Incoming, reason: string): Response {
  rt.store.state.unexpected.push({ method: inc.method, path: inc.path, reason });
  return detail('Not found.', 404);
}

async function route(rt: Runtime, inc: Incoming, url: URL): Promise<Response> {
  if (rt.prefix && !url.pathname.startsWith(rt.prefix)) return unexpected(rt, inc, 'outside the path prefix');
  const found = matchRoute(rt.routes, inc.path);
  if (!found) {
    // Django's APPEND_SLASH, rewritten by DefectDojo's middleware for non-GET requests.
    if (!inc.path.endsWith('/') && matchRoute(rt.routes, `${inc.path}/`)) {
      if (inc.method === 'GET' || inc.method === 'HEAD') {
        return new Response(null, { status: 301, headers: { location: `${url.pathname}/${url.search}` } });
      }
      return json({ message: 'Please add a trailing slash to your request.' }, 400);
    }
    return unexpected(rt, inc, 'unknown route');
  }
  const handler = found.route.methods[inc.method];
  if (!handler) return unexpected(rt, inc, `method ${inc.method} not served`);
  if (!found.route.public) {
    const auth = authenticate(inc.headers, rt.credentials);
    if ('response' in auth) return auth.response;
    if (auth.user === 'read-only' && inc.method !== 'GET') return detail(PERMISSION_DENIED, 403);
  }
  try {
    return await handler(inc, found.id);
  } catch (e) {
    rt.store.state.unexpected.push({ method: inc.method, path: inc.path, reason: `fake crashed: ${String(e)}` });
    return internalError(String(e), rt.store.state.settings.exposeErrorDetails);
  }
}
