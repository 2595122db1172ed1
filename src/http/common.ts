/**
 * What both HTTP apps share: JSON errors that never echo request headers (stack-notes trap 4), request metrics by
 * route pattern, /healthz, /readyz, /metrics, and OpenAPI docs at /docs with the Swagger UI served from the binary
 * (no CDN: SecBot runs air-gapped). `onError` is registered before any route (trap 5).
 */
import { Elysia } from 'elysia';
import { openapi } from '@elysiajs/openapi';
import { z } from 'zod';
import swaggerBundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };
import type { Db } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { VERSION } from '../version.ts';

export interface AppDeps {
  name: 'intake' | 'results' | 'worker';
  title: string;
  description: string;
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** OpenAPI security schemes the app's routes refer to by name (components.securitySchemes). */
  securitySchemes?: Record<string, { type: 'http'; scheme: string; description?: string }>;
}

export const errorBody = z.object({ code: z.string(), message: z.string() }).meta({ id: 'Error' });

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
    .use(
      openapi({
        path: '/docs',
        specPath: '/docs/json',
        provider: 'swagger-ui',
        mapJsonSchema: { zod: z.toJSONSchema },
        exclude: { paths: ['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css'] },
        documentation: {
          info: { title: deps.title, version: VERSION, description: deps.description },
          ...(deps.securitySchemes ? { components: { securitySchemes: deps.securitySchemes } } : {}),
        },
        swagger: { cdn: '/docs/assets/swagger-ui-bundle.js', theme: '/docs/assets/swagger-ui.css', autoDarkMode: false },
      }),
    )
    .get('/docs/assets/swagger-ui-bundle.js', () => new Response(Bun.file(swaggerBundle), { headers: { 'content-type': 'text/javascript' } }), {
      detail: { hide: true },
    })
    .get('/docs/assets/swagger-ui.css', () => new Response(Bun.file(swaggerCss), { headers: { 'content-type': 'text/css' } }), {
      detail: { hide: true },
    })
    .get('/healthz', () => ({ status: 'ok' as const }), {
      detail: { summary: 'Liveness: the process is up', tags: ['operations'] },
      response: { 200: z.object({ status: z.literal('ok') }) },
    })
    .get(
      '/readyz',
      async ({ set }) => {
        try {
          await deps.db.ping();
          return { status: 'ok' as const };
        } catch {
          set.status = 503;
          return { status: 'unavailable' as const, message: 'the database is not reachable' };
        }
      },
      {
        detail: { summary: 'Readiness: the database is reachable', tags: ['operations'] },
        response: {
          200: z.object({ status: z.literal('ok') }),
          503: z.object({ status: z.literal('unavailable'), message: z.string() }),
        },
      },
    )
    .get(
      '/metrics',
      async () =>
        new Response(await deps.metrics.registry.render(), {
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        }),
      { detail: { summary: 'Prometheus metrics', tags: ['operations'] } },
    );
}
