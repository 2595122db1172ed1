/**
 * The real GitLab payloads (test/fixtures/gitlab, copied from the GitLab contract's fixtures) and the
 * X-Gitlab-Event header each one arrives with (fixtures/README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(import.meta.dir, '..', '..', 'fixtures', 'gitlab');

// biome-ignore lint/suspicious/noExplicitAny: payloads are free-form JSON
export type Json = Record<string, any>;

export const FIXTURE_HEADERS = {
  'project_hook.push.json': 'Push Hook',
  'project_hook.push.delivery_with_headers.json': 'Push Hook',
  'project_hook.push.branch_create.derived.json': 'Push Hook',
  'project_hook.push.branch_delete.derived.json': 'Push Hook',
  'project_hook.tag_push.json': 'Tag Push Hook',
  'project_hook.merge_request.open.json': 'Merge Request Hook',
  'project_hook.merge_request.update.derived.json': 'Merge Request Hook',
  'system_hook.push.json': 'System Hook',
  'system_hook.tag_push.json': 'System Hook',
  'system_hook.merge_request.open.json': 'System Hook',
  'system_hook.repository_update.json': 'System Hook',
} as const;

export type FixtureName = keyof typeof FIXTURE_HEADERS;

/** A fresh deep copy of a fixture's request body (the delivery record is unwrapped to its `request_data`). */
export function body(name: FixtureName): Json {
  const raw = JSON.parse(readFileSync(join(FIXTURE_DIR, name), 'utf8')) as Json;
  return name.endsWith('delivery_with_headers.json') ? (raw.request_data as Json) : raw;
}

/** The recorded request headers of the delivery fixture. */
export function deliveryHeaders(): Record<string, string> {
  const raw = JSON.parse(readFileSync(join(FIXTURE_DIR, 'project_hook.push.delivery_with_headers.json'), 'utf8')) as Json;
  return raw.request_headers as Record<string, string>;
}

export function header(name: FixtureName): string {
  return FIXTURE_HEADERS[name];
}

/** Sets (or, with `undefined`, deletes) the value at a dot path of a copy of `obj`. */
export function withPath(obj: Json, path: string, value: unknown): Json {
  const copy = structuredClone(obj);
  const parts = path.split('.');
  let cur: Json = copy;
  for (const p of parts.slice(0, -1)) cur = cur[p] as Json;
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}
