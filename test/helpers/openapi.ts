/**
 * Reading SecBot's OpenAPI documents in tests: resolve `$ref`s, list the fields of a JSON value that its schema
 * does not document, and validate a document with openapi-spec-validator (installed by scripts/setup.sh).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are free-form JSON
export type Json = Record<string, any>;

const ROOT = join(import.meta.dir, '..', '..');
export const VALIDATOR_PYTHON = join(ROOT, '.tools', 'venv', 'bin', 'python');

export function resolve(doc: Json, schema: Json): Json {
  let s = schema;
  for (let i = 0; s?.$ref && i < 20; i++) {
    const m = /^#\/components\/schemas\/(.+)$/.exec(s.$ref);
    if (!m) throw new Error(`unresolvable $ref ${s.$ref}`);
    s = doc.components.schemas[m[1]!];
    if (!s) throw new Error(`$ref ${schema.$ref} names no schema in components.schemas`);
  }
  return s;
}

/** Dot paths of `value` that `schema` does not describe (object keys without a `properties` entry). */
export function undocumented(doc: Json, schema: Json, value: unknown, path = '$'): string[] {
  const s = resolve(doc, schema);
  const branches = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (branches) {
    const results = branches.map((b) => undocumented(doc, b, value, path));
    return results.reduce((best, r) => (r.length < best.length ? r : best));
  }
  if (Array.isArray(value)) return s.items ? value.flatMap((v, i) => undocumented(doc, s.items, v, `${path}[${i}]`)) : [];
  if (typeof value !== 'object' || value === null) return [];
  const props = (s.properties ?? {}) as Json;
  return Object.entries(value).flatMap(([k, v]) => (k in props ? undocumented(doc, props[k], v, `${path}.${k}`) : [`${path}.${k}`]));
}

/** Every `$ref` in the document, and every `$defs` key (which must not exist: Swagger UI cannot resolve them). */
export function refsAndDefs(value: unknown, found: { refs: string[]; defs: number } = { refs: [], defs: 0 }) {
  if (Array.isArray(value)) for (const v of value) refsAndDefs(v, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') found.refs.push(v);
      if (k === '$defs') found.defs++;
      refsAndDefs(v, found);
    }
  }
  return found;
}

/** Runs openapi-spec-validator on the document; returns its exit code and output. */
export function validateWithOpenapiSpecValidator(doc: Json): { code: number; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'secbot-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const p = Bun.spawnSync([VALIDATOR_PYTHON, '-m', 'openapi_spec_validator', '--validation-errors', 'all', file], { stdout: 'pipe', stderr: 'pipe' });
    return { code: p.exitCode ?? -1, out: p.stdout.toString() + p.stderr.toString() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
