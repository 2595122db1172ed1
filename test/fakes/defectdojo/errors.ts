// Response bodies in the four error shapes of CONTRACT.md §1.1. The exact shape matters:
// a client must cope with `detail` objects, bare JSON arrays and decorated field errors.

export const PRO_BANNER = [
  'Pro comes with support. Try today for free or email us at hello@defectdojo.com',
];

/** One DRF ErrorDetail: the text plus the code that shows up in the `message` repr. */
export interface ErrorDetail {
  message: string;
  code: string;
}

export type FieldErrors = Record<string, ErrorDetail[]>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** Shape 1: `{"detail": "..."}` without decorations. */
export function detail(text: string, status: number): Response {
  return json({ detail: text }, status);
}

/** Shape 2: the permission pre-check of import/reimport raises a bare list. */
export function listError(text: string): Response {
  return json([text], 400);
}

/** Shape 3: serializer/filter errors, decorated with the repr `message` and `pro`. */
export function fieldErrors(errors: FieldErrors, status = 400): Response {
  const body: Record<string, unknown> = {};
  for (const [field, list] of Object.entries(errors)) body[field] = list.map((e) => e.message);
  body.message = reprErrorDict(errors);
  body.pro = PRO_BANNER;
  return json(body, status);
}

/** Shape 4: a Django ValidationError from the importer or parser. */
export function djangoValidation(text: string): Response {
  return json({ message: `[${pyStrRepr(text)}]`, pro: PRO_BANNER }, 400);
}

/** Shape 4 for unexpected exceptions (500); details only if the admin exposes them. */
export function internalError(text: string, expose: boolean): Response {
  const message = expose ? text : 'Internal server error, check logs for details';
  return json({ message, pro: PRO_BANNER }, 500);
}

/** DRF's bare 404 (non-numeric id): the handler adds an empty `message` and `pro`. */
export function bareNotFound(): Response {
  return json({ detail: 'Not found.', message: '', pro: PRO_BANNER }, 404);
}

export function err(message: string, code = 'invalid'): ErrorDetail {
  return { message, code };
}

export function addError(errors: FieldErrors, field: string, detailItem: ErrorDetail): void {
  (errors[field] ??= []).push(detailItem);
}

/** Python's repr() of a str, so that `message` reads like DefectDojo's. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function reprErrorDict(errors: FieldErrors): string {
  const parts = Object.entries(errors).map(([field, list]) => {
    const items = list.map(
      (e) => `ErrorDetail(string=${pyStrRepr(e.message)}, code=${pyStrRepr(e.code)})`,
    );
    return `${pyStrRepr(field)}: [${items.join(', ')}]`;
  });
  return `{${parts.join(', ')}}`;
}
