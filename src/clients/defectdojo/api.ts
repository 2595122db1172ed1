/**
 * The DefectDojo calls SecBot makes, with zod schemas for the fields it reads (and nothing else: servers of 2.x and
 * 3.x differ in the rest). Boolean filters are always sent as `true`/`false`: DefectDojo silently drops `1`/`0`.
 */
import { z } from 'zod';
import { DojoHttp, type DojoHttpOptions } from './http.ts';

const named = z.object({ id: z.number(), name: z.string() });
const product = named.extend({ prod_type: z.number() });
const engagement = named.extend({ product: z.number() });
const test = z.object({
  id: z.number(),
  engagement: z.number(),
  tags: z.array(z.string()).default([]),
  scan_type: z.string().nullish(),
  /** 50 while DefectDojo imports into it, 100 once the import finished (or below 100 forever if it failed). */
  percent_complete: z.number().nullish(),
  created: z.string().nullish(),
  updated: z.string().nullish(),
});
export type DojoTest = z.infer<typeof test>;

const createdOnly = z.object({ id: z.number(), created: z.string().nullish() });

export const findingSchema = z.object({
  id: z.number(),
  test: z.number(),
  title: z.string(),
  severity: z.enum(['Critical', 'High', 'Medium', 'Low', 'Info']),
  hash_code: z.string().nullish(),
  active: z.boolean(),
  duplicate: z.boolean(),
  duplicate_finding: z.number().nullish(),
  false_p: z.boolean(),
  risk_accepted: z.boolean(),
  out_of_scope: z.boolean(),
  is_mitigated: z.boolean(),
  tags: z.array(z.string()).default([]),
});
export type DojoFinding = z.infer<typeof findingSchema>;

const importAnswer = z.object({
  test: z.number().optional(),
  test_id: z.number().optional(),
  engagement_id: z.number().optional(),
  product_id: z.number().optional(),
  deduplication_complete: z.boolean().optional(),
});
export type ImportAnswer = z.infer<typeof importAnswer>;

export interface ImportRequest {
  engagementId: number;
  report: string;
  tags: string[];
  commitHash: string;
  branchTag: string;
  scanDate: string;
  minimumSeverity: string;
  testTitle: string;
  deduplicationMode: string;
}

export class DefectDojoApi {
  readonly http: DojoHttp;
  constructor(o: DojoHttpOptions) {
    this.http = new DojoHttp(o);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  findProductTypes(name: string, signal?: AbortSignal) {
    return this.http.listAll('product_types', named, { name }, signal);
  }
  createProductType(name: string, signal?: AbortSignal) {
    return this.http.postJson('product_types', named, { name }, signal);
  }
  /** `name_exact` is case-insensitive equality (`name` would be a substring match); callers compare exactly. */
  findProducts(name: string, signal?: AbortSignal) {
    return this.http.listAll('products', product, { name_exact: name }, signal);
  }
  createProduct(p: { name: string; description: string; prodType: number }, signal?: AbortSignal) {
    return this.http.postJson('products', product, { name: p.name, description: p.description, prod_type: p.prodType }, signal);
  }
  /**
   * Engagements named `name` in the product. No `o`: DefectDojo cannot order engagements by id (`o=id` → 400), and
   * the handful of same-named engagements fits one page; callers sort by id themselves.
   */
  findEngagements(productId: number, name: string, signal?: AbortSignal) {
    return this.http.listAll('engagements', engagement, { product: productId, name }, signal);
  }
  createEngagement(e: { productId: number; name: string; lead?: number; branch: string; repoUrl: string }, signal?: AbortSignal) {
    const today = new Date();
    const end = new Date(today.getTime() + 365 * 86_400_000);
    return this.http.postJson(
      'engagements',
      engagement,
      {
        product: e.productId,
        name: e.name,
        engagement_type: 'CI/CD',
        status: 'In Progress',
        target_start: isoDate(today),
        target_end: isoDate(end),
        lead: e.lead,
        branch_tag: e.branch,
        source_code_management_uri: e.repoUrl,
        description: 'Created by SecBot',
      },
      signal,
    );
  }
  getTest(id: number, signal?: AbortSignal) {
    return this.http.get(`tests/${id}`, test, {}, signal);
  }
  /** The test's free-text description (what SecBot could not scan). */
  describeTest(id: number, description: string, signal?: AbortSignal) {
    return this.http.patchJson(`tests/${id}`, test, { description }, signal);
  }
  findTestsByTag(tag: string, signal?: AbortSignal) {
    return this.http.listAll('tests', test, { tags: tag.toLowerCase() }, signal);
  }
  findingsOfTest(testId: number, signal?: AbortSignal) {
    return this.http.listAll('findings', findingSchema, { test: testId, o: 'id' }, signal);
  }
  /** Batched: one request per 100 ids (a URL stays short enough for every proxy in between). */
  async findingsByIds(ids: readonly number[], signal?: AbortSignal): Promise<DojoFinding[]> {
    const out: DojoFinding[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const part = ids.slice(i, i + 100);
      out.push(...(await this.http.listAll('findings', findingSchema, { id: part.join(','), o: 'id' }, signal)));
    }
    return out;
  }
  /**
   * How far an import into this test has come: its newest finding (the importer saves them one by one) and the
   * server's clock at the time of asking.
   */
  async importProgress(testId: number, signal?: AbortSignal): Promise<{ findings: number; newestFindingAt?: number; serverTime?: number }> {
    const { data, serverTime } = await this.http.getWithServerTime(
      'findings',
      z.object({ count: z.number(), results: z.array(createdOnly) }),
      { test: testId, o: '-id', limit: 1 },
      signal,
    );
    return { findings: data.count, newestFindingAt: parseTime(data.results[0]?.created), serverTime };
  }

  importScan(r: ImportRequest, signal?: AbortSignal): Promise<ImportAnswer> {
    const form = new FormData();
    form.set('scan_type', 'Gitleaks Scan');
    form.set('file', new Blob([r.report], { type: 'application/json' }), 'gitleaks.json');
    form.set('engagement', String(r.engagementId));
    for (const t of r.tags) form.append('tags', t);
    form.set('commit_hash', r.commitHash);
    form.set('branch_tag', r.branchTag);
    form.set('scan_date', r.scanDate);
    form.set('minimum_severity', r.minimumSeverity);
    form.set('test_title', r.testTitle);
    form.set('close_old_findings', 'false');
    form.set('close_old_findings_product_scope', 'false');
    if (r.deduplicationMode) form.set('deduplication_execution_mode', r.deduplicationMode);
    return this.http.postForm('import-scan', importAnswer, form, signal);
  }
}

/** A DefectDojo timestamp (ISO 8601 with microseconds) in ms; undefined when absent or unreadable. */
export function parseTime(s: string | null | undefined): number | undefined {
  if (!s) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}
