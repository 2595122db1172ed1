/**
 * Routing, authentication and the merge request / notes endpoints of the fake GitLab REST API (REST.md §1, §2, §5,
 * §7): PRIVATE-TOKEN or Bearer tokens with scopes, numeric or URL-encoded project ids (404 for invisible projects),
 * offset pagination whose pages can be short while more follow, the notes rate limit (429 JSON without
 * Retry-After), quick actions run from created notes, and author-only note edits. Unknown paths are recorded.
 */
import { postStatus, type Reply } from './statuses.ts';
import { ROLE_RANK, type FakeNote, type FakeProject, type FakeToken, type RestState } from './state.ts';

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({ status, body, headers });
const NOT_FOUND_PROJECT = json(404, { message: '404 Project Not Found' });

export async function handleRest(st: RestState, reposDir: string, req: Request, url: URL): Promise<Response> {
  const path = url.pathname.slice('/api/v4'.length);
  let params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (req.method === 'POST' || req.method === 'PUT') {
    const text = await req.text();
    if (text && (req.headers.get('content-type') ?? '').includes('application/json')) {
      try {
        params = { ...params, ...(JSON.parse(text) as Record<string, unknown>) };
      } catch {
        return send(st, req, path, json(400, { message: '400 Bad request - JSON parse error' }));
      }
    }
  }
  const fault = st.faults.find((f) => (!f.method || f.method === req.method) && (!f.pathPattern || f.pathPattern.test(path)));
  if (fault) {
    if (--fault.remaining <= 0) st.faults.splice(st.faults.indexOf(fault), 1);
    return record(st, req, path, params, new Response(fault.body, { status: fault.status, headers: { 'content-type': 'application/json', ...fault.headers } }));
  }
  const token = tokenOf(st, req);
  if (!token) return send(st, req, path, json(401, { message: '401 Unauthorized' }), params);
  if (!token.scopes.includes('api') && !(req.method === 'GET' && token.scopes.includes('read_api'))) {
    const body = { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: 'api' };
    return send(st, req, path, json(403, body), params);
  }
  return send(st, req, path, route(st, reposDir, req.method, path, params, token, url), params);
}

function route(st: RestState, reposDir: string, method: string, path: string, p: Record<string, unknown>, token: FakeToken, url: URL): Reply {
  if (method === 'GET' && path === '/user') return json(200, { id: token.user.id, username: token.user.username, name: token.user.username, state: 'active' });
  const m = /^\/projects\/([^/]+)(\/.*)$/.exec(path);
  if (!m) return unexpected(st, method, path, 'no such endpoint in the fake');
  const project = st.project(m[1]!);
  const role = project?.members.get(token.user.id);
  if (!project || !role) return NOT_FOUND_PROJECT;
  const rest = m[2]!;
  let r: RegExpExecArray | null;
  if (method === 'POST' && (r = /^\/statuses\/([0-9a-f]{40})$/.exec(rest))) return postStatus(st, reposDir, project, token.user, r[1]!, p);
  if (method === 'GET' && (r = /^\/merge_requests\/(\d+)$/.exec(rest))) return getMergeRequest(st, project, Number(r[1]));
  if ((r = /^\/merge_requests\/(\d+)\/notes(?:\/(\d+))?$/.exec(rest))) {
    const iid = Number(r[1]);
    const noteId = r[2] ? Number(r[2]) : null;
    if (!st.mergeRequest(project.id, iid)) return json(404, { message: '404 Not found' });
    if (ROLE_RANK[role] < ROLE_RANK.reporter && method !== 'GET') return json(403, { message: '403 Forbidden' });
    if (method === 'GET' && noteId === null) return listNotes(st, project, iid, url);
    if (method === 'POST' && noteId === null) return createNote(st, project, iid, token, p);
    if (method === 'PUT' && noteId !== null) return updateNote(st, project, iid, noteId, token, p);
  }
  return unexpected(st, method, path, 'no such endpoint in the fake');
}

function unexpected(st: RestState, method: string, path: string, reason: string): Reply {
  st.unexpected.push({ method, path, reason });
  return json(404, { error: '404 Not Found' });
}

function getMergeRequest(st: RestState, project: FakeProject, iid: number): Reply {
  const mr = st.mergeRequest(project.id, iid);
  if (!mr) return json(404, { message: '404 Not found' });
  const hp = mr.headPipelineId !== null ? st.pipeline(mr.headPipelineId) : undefined;
  return json(200, {
    id: mr.iid + 100_000, iid: mr.iid, project_id: project.id, state: mr.state, sha: mr.sha, source_branch: mr.sourceBranch,
    target_branch: mr.targetBranch, source_project_id: project.id, target_project_id: project.id,
    head_pipeline: hp ? { id: hp.id, sha: hp.sha, ref: hp.ref, status: st.pipelineStatus(hp.id), source: hp.source } : null,
    detailed_merge_status: hp ? (st.pipelineStatus(hp.id) === 'success' ? 'mergeable' : 'ci_must_pass') : 'ci_must_pass',
  });
}

function noteEntity(n: FakeNote): Record<string, unknown> {
  return {
    id: n.id, body: n.body, author: { id: n.authorId, username: `user${n.authorId}`, name: `User ${n.authorId}`, state: 'active' },
    created_at: n.createdAt, updated_at: n.updatedAt, system: n.system, noteable_id: n.iid + 100_000, noteable_type: 'MergeRequest',
    project_id: n.projectId, noteable_iid: n.iid, resolvable: false, confidential: false, internal: false, imported: false, imported_from: 'none',
  };
}

/** Offset pagination; notes the caller cannot read are dropped after paging, so a page can be short with more to come. */
function listNotes(st: RestState, project: FakeProject, iid: number, url: URL): Reply {
  const q = url.searchParams;
  const perPage = Math.min(st.maxPerPage, Math.max(1, Number(q.get('per_page') ?? 20)));
  const page = Math.max(1, Number(q.get('page') ?? 1));
  let all = st.notes.filter((n) => n.projectId === project.id && n.iid === iid);
  if (q.get('activity_filter') === 'only_comments') all = all.filter((n) => !n.system);
  all.sort((a, b) => a.id - b.id);
  if ((q.get('sort') ?? 'desc') === 'desc') all.reverse();
  const slice = all.slice((page - 1) * perPage, page * perPage).filter((n) => !n.hiddenFromApi);
  const pages = Math.max(1, Math.ceil(all.length / perPage));
  const next = page < pages ? String(page + 1) : '';
  const link = (n: number, rel: string) => `<${url.origin}${url.pathname}?page=${n}&per_page=${perPage}>; rel="${rel}"`;
  const links = [next ? link(page + 1, 'next') : '', link(1, 'first'), link(pages, 'last')].filter(Boolean).join(', ');
  return json(200, slice.map(noteEntity), {
    'x-next-page': next, 'x-page': String(page), 'x-per-page': String(perPage), 'x-prev-page': page > 1 ? String(page - 1) : '',
    'x-total': String(all.length), 'x-total-pages': String(pages), link: links,
  });
}

const QUICK_ACTION = /^\/[a-z_]+/;

function createNote(st: RestState, project: FakeProject, iid: number, token: FakeToken, p: Record<string, unknown>): Reply {
  if (st.notesRateLimited > 0) {
    st.notesRateLimited--;
    return json(429, { message: { error: 'This endpoint has been requested too many times. Try again later.' } });
  }
  if (typeof p.body !== 'string' || p.body.trim() === '') return json(400, { error: 'body is missing' });
  if (p.body.length > 1_000_000) return json(400, { message: '400 Bad request - Note {:note=>["is too long (maximum is 1000000 characters)"]}' });
  const commands = p.body.split('\n').filter((l) => QUICK_ACTION.test(l));
  for (const line of commands) st.quickActions.push({ noteBody: p.body, line });
  const rest = p.body.split('\n').filter((l) => !QUICK_ACTION.test(l)).join('\n').trim();
  if (commands.length > 0 && rest === '') return json(202, { commands_changes: {}, summary: commands });
  const n: FakeNote = {
    id: st.id(), projectId: project.id, iid, body: p.body, authorId: token.user.id, system: false, hiddenFromApi: false,
    createdAt: st.now(), updatedAt: st.now(),
  };
  st.notes.push(n);
  return json(201, noteEntity(n));
}

function updateNote(st: RestState, project: FakeProject, iid: number, noteId: number, token: FakeToken, p: Record<string, unknown>): Reply {
  const n = st.notes.find((x) => x.id === noteId && x.projectId === project.id && x.iid === iid);
  if (!n || n.hiddenFromApi) return json(404, { message: '404 Note Not Found' });
  if (n.system || n.authorId !== token.user.id) return json(403, { message: '403 Forbidden' });
  if (typeof p.body !== 'string' || p.body.trim() === '') return json(400, { error: 'body is empty' });
  n.body = p.body;
  n.updatedAt = st.now();
  return json(200, noteEntity(n));
}

function tokenOf(st: RestState, req: Request): FakeToken | undefined {
  const raw = req.headers.get('private-token') ?? /^Bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '')?.[1];
  return raw ? st.tokens.get(raw) : undefined;
}

function send(st: RestState, req: Request, path: string, r: Reply, params?: Record<string, unknown>): Response {
  const res = new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json', ...r.headers } });
  return record(st, req, path, params, res);
}

function record(st: RestState, req: Request, path: string, params: Record<string, unknown> | undefined, res: Response): Response {
  const body = req.method === 'GET' || !params ? undefined : params;
  st.requests.push({ method: req.method, path, status: res.status, body });
  return res;
}
