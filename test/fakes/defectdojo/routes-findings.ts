// GET /api/v2/findings/ and /findings/{id}/ (CONTRACT.md §12) with the filters a gating
// client uses, including the silently ignored boolean values and the 400 for unknown tests.

import type { FindingRecord } from './types.ts';
import { fieldErrors } from './errors.ts';
import { FilterSet, ordering } from './filters.ts';
import { FINDING_ORDER } from './orderings.ts';
import type { Incoming } from './incoming.ts';
import { detailRoute, listResponse, tagSubstring } from './routes-context.ts';
import { relatedFields, serializeFinding, serializeTest } from './serializers.ts';
import { USER_ID, findById, type Store } from './store.ts';

const BOOLEAN_FILTERS = [
  'active', 'verified', 'duplicate', 'false_p', 'out_of_scope', 'is_mitigated', 'static_finding',
  'dynamic_finding', 'under_review', 'risk_accepted',
] as const;

function related(store: Store, inc: Incoming) {
  const on = inc.params.get('related_fields') === 'true';
  return (f: FindingRecord) => serializeFinding(store, f, on ? relatedFields(store, f) : null);
}

function contextOf(store: Store) {
  const s = store.state;
  const test = (f: FindingRecord) => findById(s.tests, f.test)!;
  const engagement = (f: FindingRecord) => findById(s.engagements, test(f).engagement)!;
  const product = (f: FindingRecord) => findById(s.products, engagement(f).product)!;
  return { test, engagement, product };
}

function buildFilters(store: Store, params: URLSearchParams): FilterSet<FindingRecord> {
  const c = contextOf(store);
  const f = new FilterSet<FindingRecord>(params)
    .foreignKey('test', (id) => findById(store.state.tests, id) !== undefined, (x) => x.test)
    .numberIn('test__engagement', (x) => c.engagement(x).id)
    .numberIn('test__engagement__product', (x) => c.product(x).id)
    .numberIn('test__engagement__product__prod_type', (x) => c.product(x).prod_type)
    .numberIn('id', (x) => x.id)
    .numberIn('cwe', (x) => x.cwe)
    .numberIn('nb_occurences', (x) => x.nb_occurences)
    .numberIn('reporter', () => USER_ID)
    .number('duplicate_finding', (x) => x.duplicate_finding)
    .inList('severity', (x) => x.severity)
    .icontains('hash_code', (x) => x.hash_code)
    .icontains('title', (x) => x.title)
    .icontains('file_path', (x) => x.file_path)
    .icontains('description', (x) => x.description)
    .icontains('unique_id_from_tool', () => null)
    .icontains('component_name', () => null)
    .iexact('exact_title', (x) => x.title)
    .exact('service', (x) => x.service)
    .tags('tags', (x) => x.tags)
    .custom(tagSubstring(params.get('tag'), (x: FindingRecord) => x.tags))
    .tags('test__tags', (x) => c.test(x).tags)
    .tags('test__engagement__tags', (x) => c.engagement(x).tags)
    .tags('test__engagement__product__tags', (x) => c.product(x).tags);
  for (const name of BOOLEAN_FILTERS) f.bool(name, (x) => x[name]);
  return f;
}


/** `?prefetch=test,duplicate_finding`: each named relation serialized once, keyed by id. */
function prefetchFor(store: Store, inc: Incoming, findings: FindingRecord[]): Record<string, Record<string, unknown>> {
  const names = inc.params.getAll('prefetch').flatMap((v) => v.split(',')).filter((n) => n !== '');
  const out: Record<string, Record<string, unknown>> = {};
  const legacy = store.state.settings.legacy;
  for (const name of new Set(names)) {
    const bucket: Record<string, unknown> = {};
    for (const f of findings) {
      if (name === 'test') bucket[String(f.test)] = serializeTest(findById(store.state.tests, f.test)!, legacy);
      if (name === 'duplicate_finding' && f.duplicate_finding !== null) {
        const original = findById(store.state.findings, f.duplicate_finding);
        if (original) bucket[String(original.id)] = serializeFinding(store, original, null);
      }
      if (['reporter', 'last_reviewed_by'].includes(name)) bucket[String(USER_ID)] = { id: USER_ID, username: 'admin' };
    }
    if (Object.keys(bucket).length > 0) out[name] = bucket;
  }
  return out;
}

export function listFindings(store: Store, inc: Incoming): Response {
  const f = buildFilters(store, inc.params);
  const order = ordering(f.value('o'), FINDING_ORDER, f.errors);
  if (Object.keys(f.errors).length > 0) return fieldErrors(f.errors);
  const items = f.apply([...store.state.findings].sort((a, b) => a.id - b.id));
  if (order) items.sort(order);
  return listResponse(inc, items, related(store, inc), (page) => prefetchFor(store, inc, page));
}

export function findingDetail(store: Store, inc: Incoming, rawId: string): Response {
  return detailRoute(store.state.findings, rawId, 'Finding', related(store, inc), true);
}
