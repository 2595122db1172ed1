// A request after the server has read its body once, so that the log, failure injection
// and the handler can all look at it without fighting over the stream.

import { detail } from './errors.ts';

export interface Incoming {
  method: string;
  /** Path below the deployment prefix, e.g. `/api/v2/findings/`. */
  path: string;
  params: URLSearchParams;
  headers: Headers;
  contentType: string | null;
  bytes: Uint8Array;
  /** Absolute URL of this path without query, from the Host header (for next/previous). */
  base: string;
}

export async function formOf(inc: Incoming): Promise<FormData> {
  const headers = { 'content-type': inc.contentType ?? '' };
  // Bun's Response#formData is typed with undici's FormData; it is the global one at runtime.
  return (await new Response(inc.bytes, { headers }).formData()) as unknown as FormData;
}

/**
 * import-scan/reimport-scan use MultiPartParser only. DRF treats a body-less request without
 * a content type as empty data; anything else that is not multipart is a 415.
 */
export async function readMultipart(inc: Incoming): Promise<FormData | Response> {
  const ct = inc.contentType;
  if (!ct && inc.bytes.length === 0) return new FormData();
  if (!ct || !/^multipart\/form-data(\s*;|$)/i.test(ct.trim())) {
    return detail(`Unsupported media type "${ct ?? ''}" in request.`, 415);
  }
  try {
    return await formOf(inc);
  } catch (e) {
    const reason = /boundary=/i.test(ct) ? (e as Error).message : 'Invalid boundary in multipart: None';
    return detail(`Multipart form parse error - ${reason}`, 400);
  }
}

/** JSON/form/multipart bodies of the CRUD endpoints (DRF's default parsers). */
export async function readCrudBody(inc: Incoming): Promise<Record<string, unknown> | Response> {
  const ct = (inc.contentType ?? '').toLowerCase();
  if (inc.bytes.length === 0) return {};
  if (ct.startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(inc.bytes));
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch {
      return new Response(JSON.stringify({ message: 'JSON request content is malformed' }), {
        status: 400,
        headers: { 'content-type': 'application/json' },
      });
    }
  }
  if (ct.startsWith('multipart/form-data') || ct.startsWith('application/x-www-form-urlencoded')) {
    const form = await formOf(inc);
    const out: Record<string, unknown> = {};
    for (const key of new Set(form.keys())) {
      const all = form.getAll(key).filter((v): v is string => typeof v === 'string');
      out[key] = key === 'tags' ? all : all.at(-1);
    }
    return out;
  }
  return detail(`Unsupported media type "${inc.contentType ?? ''}" in request.`, 415);
}
