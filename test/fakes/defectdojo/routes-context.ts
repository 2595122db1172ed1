// product_types, products and engagements (CONTRACT.md §4): list/detail/create with the
// filters, orderings and validation messages a client can run into.

import type { EngagementRecord, ProductRecord, ProductTypeRecord } from './types.ts';
import { addError, bareNotFound, detail, err, fieldErrors, json, type FieldErrors } from './errors.ts';
import { FilterSet, ordering } from './filters.ts';
import { ENGAGEMENT_ORDER, PRODUCT_ORDER } from './orderings.ts';
import { readCrudBody, type Incoming } from './incoming.ts';
import { paginate } from './pagination.ts';
import { serializeEngagement, serializeProduct, serializeProductType } from './serializers.ts';
import { createEngagement, createProduct, createProductType, findById, type Store } from './store.ts';

const ENGAGEMENT_TYPES = ['Interactive', 'CI/CD'];
const ENGAGEMENT_STATUSES = ['Not Started', 'Blocked', 'Cancelled', 'Completed', 'In Progress', 'On Hold', 'Scheduled', 'Waiting for Resource'];

type Prefetch<T> = boolean | ((page: T[]) => Record<string, unknown>);

/** A list body; `prefetch` only on the views built on DefectDojo's prefetch mixins. */
export function listResponse<T>(inc: Incoming, items: T[], serialize: (item: T) => unknown, prefetch: Prefetch<T>): Response {
  const page = paginate(items, { base: inc.base, params: inc.params });
  const body: Record<string, unknown> = { ...page, results: page.results.map(serialize) };
  if (prefetch) body.prefetch = prefetch === true ? {} : prefetch(page.results);
  return json(body);
}

function byName<T extends { name: string | null }>(a: T, b: T): number {
  return (a.name ?? '').localeCompare(b.name ?? '');
}

function stringField(body: Record<string, unknown>, name: string, opts: { required: boolean; max: number }, errors: FieldErrors): string | undefined {
  if (!(name in body)) {
    if (opts.required) addError(errors, name, err('This field is required.', 'required'));
    return undefined;
  }
  const v = body[name];
  if (v === null) addError(errors, name, err('This field may not be null.', 'null'));
  else if (typeof v !== 'string' && typeof v !== 'number') addError(errors, name, err('Not a valid string.'));
  else if (String(v).trim() === '') addError(errors, name, err('This field may not be blank.', 'blank'));
  else if (String(v).length > opts.max) addError(errors, name, err(`Ensure this field has no more than ${opts.max} characters.`, 'max_length'));
  else return String(v).trim();
  return undefined;
}

export function listProductTypes(store: Store, inc: Incoming): Response {
  const f = new FilterSet<ProductTypeRecord>(inc.params)
    .number('id', (t) => t.id)
    .exact('name', (t) => t.name)
    .bool('critical_product', (t) => t.critical_product)
    .bool('key_product', (t) => t.key_product);
  if (Object.keys(f.errors).length > 0) return fieldErrors(f.errors);
  const items = f.apply([...store.state.productTypes].sort(byName));
  return listResponse(inc, items, (t) => serializeProductType(t, store.state.settings.legacy), true);
}

export async function createProductTypeRoute(store: Store, inc: Incoming): Promise<Response> {
  const body = await readCrudBody(inc);
  if (body instanceof Response) return body;
  const errors: FieldErrors = {};
  const name = stringField(body, 'name', { required: true, max: 255 }, errors);
  if (name !== undefined && store.state.productTypes.some((t) => t.name === name)) {
    addError(errors, 'name', err('product_ type with this name already exists.', 'unique'));
  }
  if (Object.keys(errors).length > 0) return fieldErrors(errors);
  const record = createProductType(store, name!, {
    description: typeof body.description === 'string' ? body.description : null,
    critical_product: body.critical_product === true,
    key_product: body.key_product === true,
  });
  return json(serializeProductType(record, store.state.settings.legacy), 201);
}

export function listProducts(store: Store, inc: Incoming): Response {
  const f = new FilterSet<ProductRecord>(inc.params)
    .icontains('name', (p) => p.name)
    .iexact('name_exact', (p) => p.name)
    .numberIn('prod_type', (p) => p.prod_type)
    .numberIn('id', (p) => p.id)
    .tags('tags', (p) => p.tags)
    .custom(tagSubstring(inc.params.get('tag'), (p: ProductRecord) => p.tags));
  const order = ordering<ProductRecord>(f.value('o'), PRODUCT_ORDER, f.errors);
  if (Object.keys(f.errors).length > 0) return fieldErrors(f.errors);
  const items = f.apply([...store.state.products].sort(byName));
  return listResponse(inc, order ? items.sort(order) : items, (p) => serializeProduct(store, p), true);
}

export function tagSubstring<T>(raw: string | null, get: (item: T) => string[]): ((item: T) => boolean) | undefined {
  if (!raw) return undefined;
  const needle = raw.toLowerCase();
  return (item) => get(item).some((t) => t.includes(needle));
}

function tagsOf(body: Record<string, unknown>): string[] {
  return Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase()) : [];
}

export async function createProductRoute(store: Store, inc: Incoming): Promise<Response> {
  const body = await readCrudBody(inc);
  if (body instanceof Response) return body;
  const prodType = body.prod_type;
  if (prodType === undefined || prodType === null || prodType === '') {
    return detail("Unable to check for permissions: Attribute 'prod_type' is required", 400);
  }
  if (!findById(store.state.productTypes, Number(prodType))) return detail('No Product_Type matches the given query.', 404);
  const errors: FieldErrors = {};
  const name = stringField(body, 'name', { required: true, max: 255 }, errors);
  const description = stringField(body, 'description', { required: true, max: 4000 }, errors);
  // Checked at validation time with no lock, like the unique validator; the handler does not
  // yield between this check and the insert, so the second of two racing POSTs gets the 400.
  if (name !== undefined && store.state.products.some((p) => p.name === name)) {
    addError(errors, 'name', err('product with this name already exists.', 'unique'));
  }
  if (Object.keys(errors).length > 0) return fieldErrors(errors);
  const record = createProduct(store, { name: name!, description: description!, prod_type: Number(prodType), tags: tagsOf(body) });
  return json(serializeProduct(store, record), 201);
}

export function listEngagements(store: Store, inc: Incoming): Response {
  const f = new FilterSet<EngagementRecord>(inc.params)
    .foreignKey('product', (id) => findById(store.state.products, id) !== undefined, (e) => e.product)
    .exact('name', (e) => e.name)
    .number('id', (e) => e.id)
    .bool('active', (e) => e.active)
    .exact('status', (e) => e.status)
    .exact('target_start', (e) => e.target_start)
    .exact('target_end', (e) => e.target_end)
    .exact('version', (e) => e.version)
    .tags('tags', (e) => e.tags)
    .numberIn('product__prod_type', (e) => findById(store.state.products, e.product)?.prod_type ?? null);
  const order = ordering<EngagementRecord>(f.value('o'), ENGAGEMENT_ORDER, f.errors);
  if (Object.keys(f.errors).length > 0) return fieldErrors(f.errors);
  const items = f.apply([...store.state.engagements]);
  // 2.50.4 builds engagements on the prefetch mixins too; 3.x on a plain ModelViewSet.
  return listResponse(inc, order ? items.sort(order) : items, serializeEngagement, store.state.settings.legacy);
}

function dateValue(body: Record<string, unknown>, name: string, errors: FieldErrors): string | undefined {
  const v = body[name];
  if (v === undefined) addError(errors, name, err('This field is required.', 'required'));
  else if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
    addError(errors, name, err('Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'));
  } else return v;
  return undefined;
}

function choice(body: Record<string, unknown>, name: string, choices: string[], fallback: string, errors: FieldErrors): string {
  const v = body[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !choices.includes(v)) addError(errors, name, err(`"${String(v)}" is not a valid choice.`, 'invalid_choice'));
  return typeof v === 'string' ? v : fallback;
}

export async function createEngagementRoute(store: Store, inc: Incoming): Promise<Response> {
  const body = await readCrudBody(inc);
  if (body instanceof Response) return body;
  if (body.product === undefined || body.product === null || body.product === '') {
    return detail("Unable to check for permissions: Attribute 'product' is required", 400);
  }
  if (!findById(store.state.products, Number(body.product))) return detail('No Product matches the given query.', 404);
  const errors: FieldErrors = {};
  const start = dateValue(body, 'target_start', errors);
  const end = dateValue(body, 'target_end', errors);
  const name = 'name' in body ? stringField(body, 'name', { required: false, max: 300 }, errors) : undefined;
  const engagementType = choice(body, 'engagement_type', ENGAGEMENT_TYPES, 'Interactive', errors);
  const status = choice(body, 'status', ENGAGEMENT_STATUSES, 'Not Started', errors);
  if (Object.keys(errors).length > 0) return fieldErrors(errors);
  if (start! > end!) return fieldErrors({ non_field_errors: [err('Your target start date exceeds your target end date')] });
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : null);
  const record = createEngagement(store, {
    product: Number(body.product), target_start: start!, target_end: end!, name: name ?? null,
    engagement_type: engagementType, status, description: str('description'), version: str('version'),
    branch_tag: str('branch_tag'), commit_hash: str('commit_hash'), build_id: str('build_id'),
    source_code_management_uri: str('source_code_management_uri'),
    deduplication_on_engagement: body.deduplication_on_engagement === true || body.deduplication_on_engagement === 'true',
    tags: tagsOf(body),
  });
  return json(serializeEngagement(record), 201);
}

/** GET /x/{id}/: numeric unknown → "No X matches", non-numeric → DRF's bare 404. */
export function detailRoute<T extends { id: number }>(list: T[], rawId: string, model: string, serialize: (item: T) => Record<string, unknown>, prefetch: boolean): Response {
  if (!/^\d+$/.test(rawId)) return bareNotFound();
  const item = findById(list, Number(rawId));
  if (!item) return detail(`No ${model} matches the given query.`, 404);
  return json(prefetch ? { ...serialize(item), prefetch: {} } : serialize(item));
}
