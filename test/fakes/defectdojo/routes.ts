// The route table. Every route ends in a slash like DefectDojo's; anything not listed here
// is an unexpected request that tests can assert never happened.

import { err, fieldErrors, json } from './errors.ts';
import { readCrudBody, type Incoming } from './incoming.ts';
import { handleImportScan } from './import-scan.ts';
import { handleReimportScan } from './reimport-scan.ts';
import {
  createEngagementRoute, createProductRoute, createProductTypeRoute, detailRoute, listEngagements,
  listProductTypes, listProducts,
} from './routes-context.ts';
import { findingDetail, listFindings } from './routes-findings.ts';
import { patchFinding, patchProduct, patchTest } from './routes-patch.ts';
import { listTests, testDetail } from './routes-tests.ts';
import { serializeEngagement, serializeProduct, serializeProductType } from './serializers.ts';
import type { ScanContext } from './scan-common.ts';
import type { Credentials } from './auth.ts';

type Handler = (inc: Incoming, id: string) => Response | Promise<Response>;

export interface Route {
  pattern: RegExp;
  methods: Record<string, Handler>;
  /** api-token-auth is the one route reachable without credentials. */
  public?: boolean;
}

const API = '/api/v2';
const list = (name: string) => new RegExp(`^${API}/${name}/$`);
const item = (name: string) => new RegExp(`^${API}/${name}/([^/.]+)/$`);

async function tokenAuth(inc: Incoming, c: Credentials): Promise<Response> {
  const body = await readCrudBody(inc);
  if (body instanceof Response) return body;
  const missing = ['username', 'password'].filter((k) => typeof body[k] !== 'string' || body[k] === '');
  if (missing.length > 0) {
    return fieldErrors(Object.fromEntries(missing.map((k) => [k, [err('This field is required.', 'required')]])));
  }
  if (body.username !== c.username || body.password !== c.password) {
    return fieldErrors({ non_field_errors: [err('Unable to log in with provided credentials.', 'authorization')] });
  }
  return json({ token: c.token });
}

function systemSettings(ctx: ScanContext): Record<string, unknown> {
  const s = ctx.store.state.settings;
  return {
    id: 1, enable_deduplication: s.enableDeduplication, delete_duplicates: false, max_dupes: null,
    false_positive_history: false, retroactive_false_positive_history: false,
    api_expose_error_details: s.exposeErrorDetails, enable_jira: false, enable_product_grade: true,
  };
}

export function buildRoutes(ctx: ScanContext, credentials: Credentials): Route[] {
  const { store } = ctx;
  const s = store.state;
  const legacy = () => s.settings.legacy;
  return [
    { pattern: list('api-token-auth'), methods: { POST: (inc) => tokenAuth(inc, credentials) }, public: true },
    { pattern: list('product_types'), methods: { GET: (inc) => listProductTypes(store, inc), POST: (inc) => createProductTypeRoute(store, inc) } },
    { pattern: item('product_types'), methods: { GET: (_inc, id) => detailRoute(s.productTypes, id, 'Product_Type', (t) => serializeProductType(t, legacy()), true) } },
    { pattern: list('products'), methods: { GET: (inc) => listProducts(store, inc), POST: (inc) => createProductRoute(store, inc) } },
    {
      pattern: item('products'),
      methods: { GET: (_inc, id) => detailRoute(s.products, id, 'Product', (p) => serializeProduct(store, p), true), PATCH: (inc, id) => patchProduct(store, inc, id) },
    },
    { pattern: list('engagements'), methods: { GET: (inc) => listEngagements(store, inc), POST: (inc) => createEngagementRoute(store, inc) } },
    { pattern: item('engagements'), methods: { GET: (_inc, id) => detailRoute(s.engagements, id, 'Engagement', serializeEngagement, legacy()) } },
    { pattern: list('tests'), methods: { GET: (inc) => listTests(store, inc) } },
    { pattern: item('tests'), methods: { GET: (_inc, id) => testDetail(store, id), PATCH: (inc, id) => patchTest(store, inc, id) } },
    { pattern: list('findings'), methods: { GET: (inc) => listFindings(store, inc) } },
    { pattern: item('findings'), methods: { GET: (inc, id) => findingDetail(store, inc, id), PATCH: (inc, id) => patchFinding(store, inc, id) } },
    { pattern: list('import-scan'), methods: { POST: (inc) => handleImportScan(ctx, inc) } },
    { pattern: list('reimport-scan'), methods: { POST: (inc) => handleReimportScan(ctx, inc) } },
    {
      pattern: list('system_settings'),
      methods: { GET: () => json({ count: 1, next: null, previous: null, results: [systemSettings(ctx)] }) },
    },
  ];
}

export function matchRoute(routes: Route[], path: string): { route: Route; id: string } | undefined {
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (m) return { route, id: m[1] ?? '' };
  }
  return undefined;
}
