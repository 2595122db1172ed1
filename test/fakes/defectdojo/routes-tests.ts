// GET /api/v2/tests/ and /tests/{id}/ (CONTRACT.md §11). The list has no defined order in
// DefectDojo; the fake returns id order, so clients must not depend on it either way.

import type { TestRecord } from './types.ts';
import { fieldErrors } from './errors.ts';
import { FilterSet, ordering } from './filters.ts';
import { TEST_ORDER } from './orderings.ts';
import type { Incoming } from './incoming.ts';
import { detailRoute, listResponse } from './routes-context.ts';
import { serializeTest } from './serializers.ts';
import { TEST_TYPE_ID, findById, type Store } from './store.ts';

export function listTests(store: Store, inc: Incoming): Response {
  const f = new FilterSet<TestRecord>(inc.params)
    .foreignKey('engagement', (id) => findById(store.state.engagements, id) !== undefined, (t) => t.engagement)
    .foreignKey('test_type', (id) => id === TEST_TYPE_ID, () => TEST_TYPE_ID)
    .number('id', (t) => t.id)
    .number('percent_complete', (t) => t.percent_complete)
    .exact('scan_type', (t) => t.scan_type)
    .exact('title', (t) => t.title)
    .exact('commit_hash', (t) => t.commit_hash)
    .exact('branch_tag', (t) => t.branch_tag)
    .exact('build_id', (t) => t.build_id)
    .exact('version', (t) => t.version)
    .tags('tags', (t) => t.tags);
  const order = ordering<TestRecord>(f.value('o'), TEST_ORDER, f.errors);
  if (Object.keys(f.errors).length > 0) return fieldErrors(f.errors);
  const items = f.apply([...store.state.tests]);
  const legacy = store.state.settings.legacy;
  return listResponse(inc, order ? items.sort(order) : items, (t) => serializeTest(t, legacy), true);
}

export function testDetail(store: Store, rawId: string): Response {
  const legacy = store.state.settings.legacy;
  return detailRoute(store.state.tests, rawId, 'Test', (t) => serializeTest(t, legacy), true);
}
