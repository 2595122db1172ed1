// DRF LimitOffsetPagination as DefectDojo configures it (CONTRACT.md §3): default 25, no
// maximum, absolute next/previous URLs whose query is re-encoded sorted by name.

export const PAGE_SIZE = 25;

/** Python int() on a query value; null when it would raise. */
function pyInt(raw: string | null): number | null {
  if (raw === null || !/^\s*[+-]?\d+\s*$/.test(raw)) return null;
  return Number.parseInt(raw, 10);
}

export function readLimit(params: URLSearchParams): number {
  const n = pyInt(params.get('limit'));
  return n !== null && n > 0 ? n : PAGE_SIZE;
}

export function readOffset(params: URLSearchParams): number {
  const n = pyInt(params.get('offset'));
  return n !== null && n >= 0 ? n : 0;
}

/** urllib.parse.quote_plus: only A-Z a-z 0-9 _ . - ~ stay literal, space becomes '+'. */
function quotePlus(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function rebuild(base: string, params: URLSearchParams, set: Record<string, string>, drop: string[]): string {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of params) {
    if (drop.includes(k)) continue;
    (grouped.get(k) ?? grouped.set(k, []).get(k)!).push(v);
  }
  for (const [k, v] of Object.entries(set)) grouped.set(k, [v]);
  const keys = [...grouped.keys()].sort();
  const query = keys.flatMap((k) => grouped.get(k)!.map((v) => `${quotePlus(k)}=${quotePlus(v)}`));
  return `${base}?${query.join('&')}`;
}

export interface PageRequest {
  /** Absolute URL of the list endpoint, without query: scheme://host/prefix/api/v2/x/ */
  base: string;
  params: URLSearchParams;
}

export function paginate<T>(items: T[], req: PageRequest): { count: number; next: string | null; previous: string | null; results: T[] } {
  const limit = readLimit(req.params);
  const offset = readOffset(req.params);
  const count = items.length;
  const results = items.slice(offset, offset + limit);
  const next = offset + limit >= count
    ? null
    : rebuild(req.base, req.params, { limit: String(limit), offset: String(offset + limit) }, []);
  let previous: string | null = null;
  if (offset > 0) {
    // DRF drops `offset` entirely when the previous page is the first one.
    previous = offset - limit <= 0
      ? rebuild(req.base, req.params, { limit: String(limit) }, ['offset'])
      : rebuild(req.base, req.params, { limit: String(limit), offset: String(offset - limit) }, []);
  }
  return { count, next, previous, results };
}
