/**
 * Property-based fuzzing of POST /v1/gitlab/webhook with fast-check, against an in-process intake + results on
 * SQLite (no worker: only what the HTTP layer and the database accept matters here). Whatever the body, the answer
 * is one of the documented statuses with a JSON body, never a 5xx; a mutated real payload is accepted, ignored or
 * a 422 that names the mutated field; and every accepted push can be polled on the gate.
 *
 * Bounded: 300 runs per property. A failure prints the seed; FC_SEED=<seed> replays it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { securityCheckId } from '../../src/core/check-id.ts';
import { GATE_STATUSES } from '../../src/core/gate.ts';
import { HEADERS } from '../helpers/payloads.ts';
import { PREFIX, WEBHOOK_TOKEN, World } from '../helpers/world.ts';
import { body as fixtureBody, FIXTURE_HEADERS, type FixtureName, type Json } from '../unit/support/gitlab-fixtures.ts';

const NUM_RUNS = 300;
const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SUPPORTED = [HEADERS.push, HEADERS.tag, HEADERS.mr, HEADERS.system] as const;
const OK_200 = ['accepted', 'rerun', 'exists', 'duplicate_delivery', 'ignored'];

let w: World;
let deliveries = 0;
beforeAll(async () => {
  w = await World.start({ db: 'sqlite', modes: ['intake', 'results'] });
});
afterAll(async () => w.stop());

/** Posts a raw body; a fresh Idempotency-Key unless given, so equal bodies meet the check, not the delivery dedup. */
async function post(event: string, body: string, key = `fuzz-${++deliveries}`) {
  const res = await fetch(`${w.intakeUrl}/v1/gitlab/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gitlab-token': WEBHOOK_TOKEN, 'x-gitlab-event': event, 'idempotency-key': key },
    body,
  });
  const text = await res.text();
  let json: Json | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** fc.assert with the seed in the failure message (fast-check's own report follows it). */
async function check<T>(prop: fc.IAsyncProperty<T>): Promise<void> {
  try {
    await fc.assert(prop, { numRuns: NUM_RUNS, seed: SEED });
  } catch (err) {
    throw new Error(`property failed with seed ${SEED} (replay: FC_SEED=${SEED}):\n${(err as Error).message}`);
  }
}

/** Objects with GitLab's keys holding arbitrary JSON, so the schemas (not just JSON.parse) get exercised. */
const eventShaped = fc
  .record(
    {
      object_kind: fc.oneof(fc.constantFrom('push', 'tag_push', 'merge_request', 'issue', ''), fc.jsonValue()),
      event_name: fc.oneof(fc.constantFrom('push', 'tag_push', 'repository_update'), fc.jsonValue()),
      before: fc.oneof(fc.constant('0'.repeat(40)), fc.stringMatching(/^[0-9a-f]{40}$/), fc.jsonValue()),
      after: fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), fc.jsonValue()),
      ref: fc.oneof(fc.constantFrom('refs/heads/main', 'refs/tags/v1'), fc.jsonValue()),
      checkout_sha: fc.oneof(fc.constant(null), fc.jsonValue()),
      project: fc.oneof(
        fc.record({ web_url: fc.oneof(fc.constant('@GITLAB@/acme/webapp'), fc.jsonValue()), path_with_namespace: fc.oneof(fc.constant('acme/webapp'), fc.jsonValue()) }, { requiredKeys: [] }),
        fc.jsonValue(),
      ),
      object_attributes: fc.oneof(fc.dictionary(fc.constantFrom('iid', 'action', 'source_branch', 'target_branch', 'oldrev', 'last_commit'), fc.jsonValue()), fc.jsonValue()),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

describe('webhook fuzzing on sqlite', () => {
  test('(a) any JSON (or not-JSON) body, with every supported event header, gets a documented answer', async () => {
    const body = fc.oneof(
      fc.json({ maxDepth: 6 }),
      fc.anything({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''),
      fc.string({ unit: 'binary', maxLength: 200 }),
      eventShaped,
    );
    await check(
      fc.asyncProperty(fc.constantFrom(...SUPPORTED), body, async (event, raw) => {
        const r = await post(event, raw.replaceAll('@GITLAB@', w.gitlab.url));
        expect([200, 400, 413, 415, 422]).toContain(r.status);
        expect(r.json).toBeObject();
        if (r.status === 200) expect(OK_200).toContain(r.json!.status);
        else expect(typeof r.json!.message).toBe('string');
        if (r.status === 400) expect(r.json!.code).toBe('MALFORMED_JSON');
        if (r.status === 422) expect(typeof r.json!.field).toBe('string');
      }),
    );
  });

  test('(b) a real payload with one key dropped or retyped is accepted, ignored or a 422 naming that key', async () => {
    const names = Object.keys(FIXTURE_HEADERS) as FixtureName[];
    const mutation = fc.constantFrom(...names).chain((name) => {
      const payload = onFakeGitLab(fixtureBody(name));
      const paths = keyPaths(payload);
      return fc.tuple(fc.constant(name), fc.constant(payload), fc.constantFrom(...paths)).chain(([n, p, path]) => {
        const original = at(p, path);
        const replacement = fc.jsonValue({ maxDepth: 3 }).filter((v) => typeOf(v) !== typeOf(original));
        return fc.tuple(fc.constant(n), fc.constant(p), fc.constant(path), fc.option(replacement, { nil: undefined, freq: 2 }));
      });
    });
    await check(
      fc.asyncProperty(mutation, async ([name, payload, path, value]) => {
        const mutated = mutate(payload, path, value);
        const r = await post(FIXTURE_HEADERS[name], JSON.stringify(mutated));
        if (r.status === 422) {
          expect(r.json!.code).toBe('INVALID_PAYLOAD');
          const field: string = r.json!.field;
          const where = pathText(path);
          // The field named is the mutated key, or one of its ancestors (e.g. a whole object that is now invalid).
          expect(where === field || where.startsWith(`${field}.`) || where.startsWith(`${field}[`)).toBe(true);
          return;
        }
        expect(r.status).toBe(200);
        expect(['accepted', 'ignored', 'exists']).toContain(r.json!.status);
        if (r.json!.status !== 'ignored') await expectPollable(r.json!.security_check_id);
      }),
    );
  });

  test('(c) any valid push (random project path, SHA, unicode branch) is accepted under the documented id and polled', async () => {
    const segment = fc.tuple(fc.stringMatching(/^[A-Za-z0-9_]$/), fc.stringMatching(/^[A-Za-z0-9_.-]{0,12}$/)).map(([a, b]) => a + b);
    const projectPath = fc
      .array(segment, { minLength: 2, maxLength: 4 })
      .map((s) => s.join('/'))
      .filter((p) => !p.includes('..') && !/\.(git|atom)$/.test(p));
    const sha = fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), fc.stringMatching(/^[0-9a-f]{64}$/));
    const branchUnit = fc.oneof(fc.constantFrom('/', '-', '🚀', '\u202E', 'ש', '\uD800', '$(id)', '`', ';'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
    const branch = fc.string({ unit: branchUnit, minLength: 1, maxLength: 30 }).filter((b) => !/[\x00-\x1f\x7f]/.test(b));
    await check(
      fc.asyncProperty(projectPath, sha, branch, fc.boolean(), async (path, after, name, system) => {
        const p = onFakeGitLab(fixtureBody(system ? 'system_hook.push.json' : 'project_hook.push.json'));
        p.project.path_with_namespace = path;
        p.project.web_url = `${w.gitlab.url}/${path}`;
        Object.assign(p, { after, checkout_sha: after, ref: `refs/heads/${name}` });
        const r = await post(system ? HEADERS.system : HEADERS.push, JSON.stringify(p));
        expect(r.status).toBe(200);
        expect(['accepted', 'exists']).toContain(r.json!.status);
        const id = securityCheckId(PREFIX, '127.0.0.1', path, after);
        expect(r.json!.security_check_id).toBe(id);
        await expectPollable(id);
      }),
    );
  });
});

/** The gate answers 200 with one of its five statuses; with no worker running, a planned check is in progress. */
async function expectPollable(id: string): Promise<void> {
  const res = await fetch(`${w.resultsUrl}/v1/security/gitlab/check/${id}`);
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(GATE_STATUSES).toContain(body.status);
  expect(body).toMatchObject({ status: 'in_progress', security_check_id: id });
}

/** The fixture with its project moved onto the fake GitLab, so the instance check passes and mutations decide. */
function onFakeGitLab(p: Json): Json {
  if (p.project && typeof p.project === 'object') p.project.web_url = `${w.gitlab.url}/${p.project.path_with_namespace}`;
  return p;
}

type Path = (string | number)[];

function keyPaths(v: unknown, prefix: Path = []): Path[] {
  if (typeof v !== 'object' || v === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  return entries.flatMap(([k, x]) => [[...prefix, k], ...keyPaths(x, [...prefix, k])]);
}

function at(v: unknown, path: Path): unknown {
  return path.reduce<unknown>((cur, k) => (cur as Record<string | number, unknown>)[k], v);
}

/** A copy with the value at `path` replaced, or removed (`undefined`: spliced out of arrays, deleted from objects). */
function mutate(v: Json, path: Path, value: unknown): Json {
  const copy = structuredClone(v);
  const parent = at(copy, path.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  const last = path[path.length - 1]!;
  if (value !== undefined) (parent as Record<string | number, unknown>)[last] = value;
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete (parent as Record<string, unknown>)[last];
  return copy;
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** The intake's notation for a field: `a.b[0].c`. */
function pathText(path: Path): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}
