/**
 * What all HTTP apps share: JSON errors that never echo request headers (stack-notes trap 4), request metrics by
 * route pattern, the operations routes (`/`, /ping, /healthz, /readyz, /metrics) and the API docs (/docs, unless
 * SECBOT_DOCS_ENABLE=false). `onError` is registered before any route (trap 5). Every route takes its `response`
 * map from its OperationDoc, because a status missing from that map would be sent as 200 (trap 3).
 */
import { Elysia } from 'elysia';
import type { Db } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { OwnerFilter } from '../observability/registry.ts';
import { VERSION } from '../version.ts';
import { type OperationDoc, responseSchemas, type SecurityScheme } from './openapi/document.ts';
import { docsRoutes, redirect } from './openapi/docs-routes.ts';
import { commonOperations, TAGS } from './openapi/operations.ts';

export interface AppDeps {
  name: 'intake' | 'results' | 'worker';
  title: string;
  description: string;
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** Serve /docs and /docs/json (SECBOT_DOCS_ENABLE). */
  docs: boolean;
  /** Which metric owners this port's /metrics speaks for (all when omitted; see src/observability/registry.ts). */
  metricsOwns?: OwnerFilter;
  /** The app's own routes, for /docs and the index. */
  operations?: readonly OperationDoc[];
  /** OpenAPI security schemes the operations name. */
  securitySchemes?: Record<string, SecurityScheme>;
}

export { errorBody } from './openapi/schemas.ts';

export function baseApp(deps: AppDeps) {
  const started = new WeakMap<Request, number>();
  return new Elysia({ name: `secbot-${deps.name}` })
    .onRequest(({ request }) => {
      started.set(request, performance.now());
    })
    .onError(({ code, error, set, request }) => {
      if (code === 'NOT_FOUND') {
        set.status = 404;
        return { code: 'NOT_FOUND', message: `no route for ${request.method} ${new URL(request.url).pathname}` };
      }
      if (code === 'VALIDATION') {
        set.status = 422;
        const first = (error as { valueError?: { path?: string; message?: string } }).valueError;
        const where = first?.path ? `${first.path.replace(/^\//, '').replace(/\//g, '.')}: ` : '';
        return { code: 'INVALID_REQUEST', message: `${where}${first?.message ?? 'invalid request'}` };
      }
      if (code === 'PARSE') {
        set.status = 400;
        return { code: 'MALFORMED_REQUEST', message: 'the request body could not be parsed' };
      }
      deps.logger.error('unhandled error in HTTP handler', { error, path: new URL(request.url).pathname });
      set.status = 500;
      return { code: 'INTERNAL', message: 'internal error; see the SecBot logs' };
    })
    .onAfterResponse(({ request, route, set }) => {
      const t0 = started.get(request);
      const status = String(typeof set.status === 'number' ? set.status : 200);
      const r = route || 'unmatched';
      deps.metrics.httpRequests.inc({ app: deps.name, method: request.method, route: r, status });
      if (t0 !== undefined) deps.metrics.httpDuration.observe({ app: deps.name, route: r }, (performance.now() - t0) / 1000);
    })
    .use(deps.docs ? docsRoutes(() => documentOf(deps)) : new Elysia())
    .get('/', ({ request, set }) => index(deps, request, set), { response: responseSchemas(op('/')) })
    .get('/ping', () => ({ ping: 'pong' as const }), { response: responseSchemas(op('/ping')) })
    .get('/healthz', () => ({ status: 'ok' as const }), { response: responseSchemas(op('/healthz')) })
    .get(
      '/readyz',
      async ({ set }) => {
        try {
          await deps.db.ping();
          return { status: 'ok' as const };
        } catch (err) {
          deps.logger.warn('readiness probe: the database is not reachable', { error: err });
          set.status = 503;
          return { status: 'unavailable' as const, message: 'the database is not reachable' };
        }
      },
      { response: responseSchemas(op('/readyz')) },
    )
    .get(
      '/metrics',
      async () =>
        new Response(await deps.metrics.registry.render(deps.metricsOwns), {
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        }),
    );
}

const COMMON = commonOperations('intake');
function op(path: string): OperationDoc {
  return COMMON.find((o) => o.path === path)!;
}

function operationsOf(deps: AppDeps): OperationDoc[] {
  return [...commonOperations(deps.name), ...(deps.operations ?? [])];
}

function documentOf(deps: AppDeps) {
  return {
    title: deps.title,
    version: VERSION,
    description: deps.description,
    operations: operationsOf(deps),
    securitySchemes: deps.securitySchemes,
    tags: TAGS,
  };
}

/** Browsers go to the docs; anything else gets a small JSON index of this port. */
function index(deps: AppDeps, request: Request, set: { status?: number | string }) {
  if (deps.docs && (request.headers.get('accept') ?? '').includes('text/html')) return redirect('docs', set) as never;
  return {
    service: 'secbot' as const,
    role: deps.name,
    version: VERSION,
    docs: deps.docs ? '/docs' : null,
    endpoints: operationsOf(deps).map((o) => `${o.method.toUpperCase()} ${o.path}`),
  };
}
