/**
 * Transport for DefectDojo API v2 (contract: ../shared/contracts/defectdojo/CONTRACT.md): `Authorization: Token`,
 * trailing slashes on every path, JSON everywhere except the multipart imports, limit/offset pagination followed to
 * the end by computing offsets ourselves (`next` can carry a wrong host behind a proxy).
 */
import { z } from 'zod';
import { PermanentError, RetryableError } from '../../core/errors.ts';
import { bodySnippet, networkError, retryAfterMs, statusError } from '../http-errors.ts';

export interface DojoHttpOptions {
  baseUrl: string;
  token: string;
  fetch: typeof fetch;
  timeoutMs: number;
}

export type Query = Record<string, string | number | boolean | undefined>;

const SERVICE = 'DefectDojo';
const PAGE = 250;
const PARALLEL_PAGES = 3;

export class DojoHttp {
  readonly baseUrl: string;
  constructor(private readonly o: DojoHttpOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
  }

  url(path: string, query: Query = {}): string {
    const p = `/api/v2/${path.replace(/^\/+/, '').replace(/\/?$/, '/')}`;
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    const s = qs.toString();
    return `${this.baseUrl}${p}${s ? `?${s}` : ''}`;
  }

  async get<T>(path: string, schema: z.ZodType<T>, query: Query = {}, signal?: AbortSignal): Promise<T> {
    return (await this.send('GET', this.url(path, query), schema, undefined, signal)).data;
  }

  /**
   * A GET plus the server's clock (its `Date` header, ms; undefined when absent), for comparing DefectDojo's own
   * timestamps without trusting that SecBot's clock agrees with DefectDojo's.
   */
  async getWithServerTime<T>(path: string, schema: z.ZodType<T>, query: Query = {}, signal?: AbortSignal): Promise<{ data: T; serverTime?: number }> {
    return this.send('GET', this.url(path, query), schema, undefined, signal);
  }

  async postJson<T>(path: string, schema: z.ZodType<T>, body: unknown, signal?: AbortSignal): Promise<T> {
    return (await this.send('POST', this.url(path), schema, { json: body }, signal)).data;
  }

  async patchJson<T>(path: string, schema: z.ZodType<T>, body: unknown, signal?: AbortSignal): Promise<T> {
    return (await this.send('PATCH', this.url(path), schema, { json: body }, signal)).data;
  }

  async postForm<T>(path: string, schema: z.ZodType<T>, form: FormData, signal?: AbortSignal): Promise<T> {
    return (await this.send('POST', this.url(path), schema, { form }, signal)).data;
  }

  /**
   * Every page of a list endpoint. Callers pass an ordering the endpoint accepts (DefectDojo answers 400 to any
   * other `o`, and `engagements`/`tests` have no `id` ordering) or none when the result fits one page.
   */
  async listAll<T>(path: string, item: z.ZodType<T>, query: Query, signal?: AbortSignal): Promise<T[]> {
    const page = z.object({ count: z.number(), results: z.array(item) });
    const first = await this.get(path, page, { ...query, limit: PAGE, offset: 0 }, signal);
    const offsets: number[] = [];
    for (let offset = PAGE; offset < first.count && first.results.length > 0; offset += PAGE) offsets.push(offset);
    const rest: T[][] = [];
    // The remaining pages a few at a time: DefectDojo serves them in parallel (2 × 250 findings ≈ 1.5 s apart).
    for (let i = 0; i < offsets.length; i += PARALLEL_PAGES) {
      const batch = offsets.slice(i, i + PARALLEL_PAGES).map((offset) => this.get(path, page, { ...query, limit: PAGE, offset }, signal));
      for (const p of await Promise.all(batch)) rest.push(p.results);
    }
    return [...first.results, ...rest.flat()];
  }

  private async send<T>(
    method: string,
    url: string,
    schema: z.ZodType<T>,
    body: { json?: unknown; form?: FormData } | undefined,
    signal?: AbortSignal,
  ): Promise<{ data: T; serverTime?: number }> {
    const headers: Record<string, string> = { Authorization: `Token ${this.o.token}`, Accept: 'application/json' };
    if (body?.json !== undefined) headers['Content-Type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    let res: Response;
    try {
      res = await this.o.fetch(url, {
        method,
        headers,
        body: body?.json !== undefined ? JSON.stringify(body.json) : body?.form,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'manual',
      });
    } catch (err) {
      throw networkError(SERVICE, this.baseUrl, err);
    }
    const text = await res.text().catch(() => '');
    const what = `${method} ${new URL(url).pathname}`;
    if (res.status === 403) throw new PermanentError(forbiddenMessage(text));
    if (res.status >= 300) {
      const err = statusError(SERVICE, res.status, what, bodySnippet(text), hintFor(res.status, text));
      if (err instanceof RetryableError && res.status === 429) {
        throw new RetryableError(err.message, { retryAfterMs: retryAfterMs(res.headers.get('retry-after')) });
      }
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RetryableError(`${SERVICE} answered ${what} with a non-JSON body: ${bodySnippet(text)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PermanentError(`${SERVICE} answered ${what} with an unexpected shape (${issue?.path.join('.')}: ${issue?.message}); is DEFECTDOJO__URL a DefectDojo API v2?`);
    }
    const date = Date.parse(res.headers.get('date') ?? '');
    return { data: parsed.data, serverTime: Number.isNaN(date) ? undefined : date };
  }
}

function forbiddenMessage(text: string): string {
  const detail = bodySnippet(text);
  if (/invalid token|credentials were not provided|token header/i.test(text)) {
    return `DefectDojo rejected the API token (${detail}); set DEFECTDOJO__TOKEN to the API v2 key of the SecBot user`;
  }
  return `DefectDojo refused the request (403: ${detail}); give the SecBot user the Maintainer global role`;
}

function hintFor(status: number, text: string): string | undefined {
  if (status === 404 && /Product_Type|Product matches/i.test(text)) return 'the product or product type was deleted in DefectDojo';
  if (status === 404) return 'check DEFECTDOJO__URL (it must be the base URL, without /api/v2)';
  if (status === 400 && /lead/i.test(text)) return 'DEFECTDOJO__USER_ID (lead_id) must be the id of an existing DefectDojo user';
  if (/trailing slash/i.test(text)) return 'a proxy in front of DefectDojo rewrote the URL';
  return undefined;
}
