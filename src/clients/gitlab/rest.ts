/**
 * The few GitLab REST v4 calls SecBot makes to write results back (../shared/contracts/gitlab/REST.md): the token's
 * user, a merge request, commit statuses, and merge request notes. Every answer is parsed with zod (only the fields
 * used); every error becomes a `GitlabApiError` carrying the status and GitLab's message, whose meaning depends on
 * the call (a 400 transition error on a status is "already in that state", not a failure), so callers classify.
 */
import { z } from 'zod';
import { bodySnippet, networkError, retryAfterMs } from '../http-errors.ts';

export class GitlabApiError extends Error {
  override readonly name = 'GitlabApiError';
  constructor(
    readonly status: number,
    /** GitLab's `message` (string, or an object flattened to `field: msgs`), or `error` / `error_description`. */
    readonly detail: string,
    readonly what: string,
    /** From Retry-After, else RateLimit-Reset; undefined when GitLab sent neither (the notes limit sends neither). */
    readonly retryAfterMs?: number,
  ) {
    super(`GitLab answered ${status} to ${what}: ${detail}`);
  }
}

const user = z.object({ id: z.number().int() });
const mergeRequest = z.object({
  iid: z.number().int(),
  state: z.string(),
  sha: z.string().nullable(),
  head_pipeline: z.object({ id: z.number().int(), sha: z.string() }).nullish(),
});
const commitStatus = z.object({ id: z.number().int(), status: z.string(), pipeline_id: z.number().int().nullish() });
const note = z.object({
  id: z.number().int(),
  body: z.string().nullish(),
  system: z.boolean().nullish(),
  author: z.object({ id: z.number().int() }).nullish(),
});

export type MergeRequest = z.infer<typeof mergeRequest>;
export type Note = z.infer<typeof note>;
export type StatusState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

export interface StatusRequest {
  state: StatusState;
  name: string;
  description: string;
  targetUrl?: string;
  /** The pipeline to attach to; without it GitLab picks the commit's newest pipeline (or creates one). */
  pipelineId?: number;
}

export interface GitlabRestOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  fetch: typeof fetch;
}

const enc = encodeURIComponent;

export class GitlabRest {
  constructor(private readonly o: GitlabRestOptions) {}

  async currentUser(signal?: AbortSignal): Promise<{ id: number }> {
    return (await this.call('GET', '/user', 'GET /user', user, signal)).data;
  }

  async mergeRequest(projectId: number, iid: number, signal?: AbortSignal): Promise<MergeRequest> {
    const path = `/projects/${projectId}/merge_requests/${iid}`;
    return (await this.call('GET', path, `GET merge request !${iid}`, mergeRequest, signal)).data;
  }

  /** POST /projects/:id/statuses/:sha with a JSON body (no long query strings). */
  async setStatus(projectId: number, sha: string, s: StatusRequest, signal?: AbortSignal): Promise<z.infer<typeof commitStatus>> {
    const body: Record<string, unknown> = { state: s.state, name: s.name, description: s.description };
    if (s.targetUrl) body.target_url = s.targetUrl;
    if (s.pipelineId !== undefined) body.pipeline_id = s.pipelineId;
    const path = `/projects/${projectId}/statuses/${enc(sha)}`;
    return (await this.call('POST', path, `POST commit status ${s.state}`, commitStatus, signal, body)).data;
  }

  /**
   * Every comment of a merge request, oldest first. Pages may be short while more follow (notes the caller cannot
   * read are dropped after pagination), so only an empty `x-next-page` ends the walk.
   */
  async *notes(projectId: number, iid: number, signal?: AbortSignal): AsyncGenerator<Note> {
    let page = '1';
    for (let n = 0; n < 1000 && page; n++) {
      const q = `sort=asc&order_by=created_at&per_page=100&activity_filter=only_comments&page=${enc(page)}`;
      const res = await this.call('GET', `/projects/${projectId}/merge_requests/${iid}/notes?${q}`, `GET notes of !${iid}`, z.array(note), signal);
      yield* res.data;
      page = res.headers.get('x-next-page')?.trim() ?? '';
    }
  }

  async createNote(projectId: number, iid: number, body: string, signal?: AbortSignal): Promise<Note> {
    const path = `/projects/${projectId}/merge_requests/${iid}/notes`;
    return (await this.call('POST', path, `POST note on !${iid}`, note, signal, { body })).data;
  }

  async updateNote(projectId: number, iid: number, noteId: number, body: string, signal?: AbortSignal): Promise<Note> {
    const path = `/projects/${projectId}/merge_requests/${iid}/notes/${noteId}`;
    return (await this.call('PUT', path, `PUT note ${noteId} on !${iid}`, note, signal, { body })).data;
  }

  private async call<T>(
    method: string,
    path: string,
    what: string,
    schema: z.ZodType<T>,
    signal: AbortSignal | undefined,
    body?: Record<string, unknown>,
  ): Promise<{ data: T; headers: Headers }> {
    const url = `${this.o.baseUrl}/api/v4${path}`;
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    let res: Response;
    try {
      res = await this.o.fetch(url, {
        method,
        headers: { 'PRIVATE-TOKEN': this.o.token, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'follow',
      });
    } catch (err) {
      throw networkError('GitLab', `${this.o.baseUrl}/api/v4`, err);
    }
    const text = await res.text();
    if (!res.ok) throw new GitlabApiError(res.status, errorDetail(text), what, waitOf(res.headers));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GitlabApiError(res.status, `the answer is not JSON: ${bodySnippet(text)}`, what);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new GitlabApiError(res.status, `unexpected answer: ${parsed.error.issues[0]?.message ?? 'invalid'}`, what);
    return { data: parsed.data, headers: res.headers };
  }
}

/** `{"message": "…"}`, `{"message": {"field": ["…"]}}`, `{"error": "…", "error_description": "…"}`, or plain text. */
export function errorDetail(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return bodySnippet(text);
  }
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const m = o.message;
  if (typeof m === 'string') return m;
  if (m && typeof m === 'object') {
    return Object.entries(m as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
      .join('; ');
  }
  if (typeof o.error === 'string') return o.error_description ? `${o.error}: ${String(o.error_description)}` : o.error;
  return bodySnippet(text);
}

function waitOf(h: Headers): number | undefined {
  const ra = retryAfterMs(h.get('retry-after'));
  if (ra !== undefined) return ra;
  const reset = Number(h.get('ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : undefined;
}
