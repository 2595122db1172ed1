/** Plain HTTP against a DefectDojo (real or fake) for the API-level contract cases: status, JSON body, headers. */
import type { DojoTarget } from './targets.ts';

// biome-ignore lint: DefectDojo bodies are free-form JSON
export type Json = any;

export interface Answer {
  status: number;
  body: Json;
  headers: Headers;
}

export class RawApi {
  constructor(readonly t: Pick<DojoTarget, 'url' | 'token'>) {}

  async call(method: string, path: string, init: { json?: unknown; form?: FormData; token?: string | null } = {}): Promise<Answer> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = init.token === undefined ? this.t.token : init.token;
    if (token !== null) headers.Authorization = `Token ${token}`;
    if (init.json !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.t.url}/api/v2/${path}`, {
      method,
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.form,
      redirect: 'manual',
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    let body: Json = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body, headers: res.headers };
  }

  get(path: string, token?: string | null): Promise<Answer> {
    return this.call('GET', path, { token });
  }
  post(path: string, json: unknown): Promise<Answer> {
    return this.call('POST', path, { json });
  }
  patch(path: string, json: unknown): Promise<Answer> {
    return this.call('PATCH', path, { json });
  }

  /** A GET that must succeed; returns the body. */
  async ok(path: string): Promise<Json> {
    const a = await this.get(path);
    if (a.status !== 200) throw new Error(`GET ${path} → ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
    return a.body;
  }

  async create(path: string, json: unknown): Promise<Json> {
    const a = await this.post(path, json);
    if (a.status !== 201) throw new Error(`POST ${path} → ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
    return a.body;
  }

  /** product type → product → engagement, all new (names carry the run id). */
  async context(name: string): Promise<{ productType: number; product: number; engagement: number }> {
    const pt = await this.create('product_types/', { name: `${name}-type` });
    const product = await this.create('products/', { name, description: name, prod_type: pt.id });
    const today = new Date().toISOString().slice(0, 10);
    const engagement = await this.create('engagements/', {
      product: product.id, name: 'main', target_start: today, target_end: today, engagement_type: 'CI/CD', status: 'In Progress',
    });
    return { productType: pt.id, product: product.id, engagement: engagement.id };
  }

  importScan(fields: Record<string, string | string[]>, report: string, filename = 'gitleaks.json'): Promise<Answer> {
    const form = new FormData();
    form.append('scan_type', 'Gitleaks Scan');
    form.append('file', new File([report], filename, { type: 'application/json' }));
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) form.append(k, one);
    return this.call('POST', 'import-scan/', { form });
  }

  /** Every page of a list, at `limit` per page, following offsets. */
  async all(path: string, limit = 250): Promise<Json[]> {
    const out: Json[] = [];
    for (let offset = 0; ; offset += limit) {
      const sep = path.includes('?') ? '&' : '?';
      const page = await this.ok(`${path}${sep}limit=${limit}&offset=${offset}`);
      out.push(...page.results);
      if (offset + limit >= page.count) return out;
    }
  }
}

/** Polls until `cond` returns a value (not undefined), or throws after `ms`. */
export async function eventually<T>(what: string, ms: number, cond: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await cond();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await Bun.sleep(200);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A gitleaks v8 report with n distinct leaks (already redacted, as SecBot uploads them). */
export function gitleaksReport(n: number, opts: { commit?: string; prefix?: string } = {}): string {
  const commit = opts.commit ?? 'c'.repeat(40);
  return JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      RuleID: 'generic-api-key', Description: 'Detected a Generic API Key, potentially exposing access to various services and sensitive operations.',
      StartLine: i + 1, EndLine: i + 1, StartColumn: 1, EndColumn: 40, Match: 'REDACTED', Secret: 'REDACTED',
      File: `${opts.prefix ?? 'src'}/file${i}.py`, SymlinkFile: '', Commit: commit, Entropy: 4.5, Author: 'Dev',
      Email: 'dev@example.com', Date: '2025-01-01T00:00:00Z', Message: 'add config', Tags: [], Fingerprint: `${commit}:src/file${i}.py:generic-api-key:${i + 1}`,
    })),
  );
}
