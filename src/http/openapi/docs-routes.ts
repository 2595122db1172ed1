/**
 * /docs (Swagger UI), /docs/json (the OpenAPI document) and the UI's assets, all served from inside the binary:
 * SecBot runs air-gapped, so no CDN, and Swagger UI's online validator badge is switched off. The page refers to
 * its spec and assets relative to /docs, so it also works behind a reverse proxy that adds a path prefix; /docs/
 * redirects there because relative URLs would resolve one level too deep from it.
 */
import { Elysia } from 'elysia';
import swaggerBundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };
import { buildDocument, type DocumentInput } from './document.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string): string {
  const options = { url: 'docs/json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null, displayRequestDuration: true };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script>window.onload = () => { window.ui = SwaggerUIBundle(${JSON.stringify(options)}); };</script>
</body>
</html>
`;
}

/** Routes of the docs; `document` is built once, on first request (route set and schemas are fixed by then). */
export function docsRoutes(input: () => DocumentInput) {
  let cached: string | null = null;
  const spec = () => (cached ??= JSON.stringify(buildDocument(input())));
  const hide = { detail: { hide: true } };
  return new Elysia()
    .get(
      '/docs',
      ({ request, set }) => {
        if (new URL(request.url).pathname.endsWith('/')) return redirect('../docs', set);
        return new Response(page(input().title), { headers: { 'content-type': 'text/html; charset=utf-8' } });
      },
      hide,
    )
    .get('/docs/json', () => new Response(spec(), { headers: { 'content-type': 'application/json; charset=utf-8' } }), hide)
    .get('/docs/assets/swagger-ui-bundle.js', () => asset(swaggerBundle, 'text/javascript; charset=utf-8'), hide)
    .get('/docs/assets/swagger-ui.css', () => asset(swaggerCss, 'text/css; charset=utf-8'), hide);
}

function asset(path: string, contentType: string): Response {
  return new Response(Bun.file(path), { headers: { 'content-type': contentType, 'cache-control': 'public, max-age=86400' } });
}

/** A relative Location keeps any path prefix a reverse proxy added. `set.status` keeps the request metrics right. */
export function redirect(location: string, set: { status?: number | string }): Response {
  set.status = 302;
  return new Response(null, { status: 302, headers: { location } });
}
