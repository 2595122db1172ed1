/**
 * Writing a check's task graph: the rows `enqueue` inserts inside the check's transaction, and the same rows as CTEs
 * of the one statement that creates a new check on Postgres (src/db/checks.ts). Part of the queue: only src/queue/
 * touches the `tasks` and `task_deps` tables. One statement text serves every plan: the graph is bound as JSON.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { TaskSpec } from '../core/planning.ts';
import { type Db, Prepared } from '../db/database.ts';
import { nowSql } from './clock.ts';
import type { EnqueueOptions } from './types.ts';

/** Inserts a check generation's task graph (tasks, then edges by name) with its fair tag; returns how many tasks. */
export async function insertGraph(tx: Db, checkId: string, generation: number, specs: readonly TaskSpec[], opts: EnqueueOptions, fairKey: string): Promise<number> {
  const tag = await fairTagFor(tx, fairKey);
  const graph = graphValues(specs);
  const k = { check_id: checkId, generation };
  const rows = await tx.all<{ id: number }>(
    INSERT_TASKS.bind({ ...k, specs: graph.specs, max_attempts: opts.maxAttempts, timeout_ms: opts.timeoutMs, fair_key: fairKey, tag }),
  );
  if (graph.deps !== '[]') await tx.run(INSERT_DEPS.bind({ ...k, deps: graph.deps }));
  return rows.length;
}

/**
 * Postgres: `enqueue` for the check that CTE `ck` (column `id`) of one statement creates, as CTEs of that statement
 * (the intake writes a new check with everything it needs in one round trip, src/db/checks.ts). Same rows and tag
 * as `enqueue`; bind `enqueueValues` with the statement's values; call `wakeWorkers` once it committed. `counts`
 * reports what was inserted.
 */
export function newCheckCtes(): { ctes: SQL; counts: SQL } {
  const now = nowSql('postgres');
  const p = (name: string) => sql.placeholder(name);
  const ctes = sql`tag AS (
    SELECT GREATEST(CAST(${p('tq_head')} AS integer),
      COALESCE((SELECT fair_tag FROM tasks WHERE fair_key = CAST(${p('tq_fair_key')} AS text) AND state IN ('queued', 'blocked')
        ORDER BY fair_tag DESC LIMIT 1), 0)) + 1 AS v
  ), tk AS (
    INSERT INTO tasks (check_id, generation, name, kind, handler, payload, state, pending_parents, attempts,
      max_attempts, run_at, timeout_ms, created_at, updated_at, fair_key, fair_tag)
    SELECT ck.id, 1, s.name, s.kind, s.handler, s.payload, CASE WHEN s.pp > 0 THEN 'blocked' ELSE 'queued' END, s.pp, 0,
      CAST(${p('tq_max_attempts')} AS integer), ${now}, CAST(${p('tq_timeout_ms')} AS integer), ${now}, ${now},
      CAST(${p('tq_fair_key')} AS text), tag.v
    FROM ck, tag, jsonb_to_recordset(CAST(${p('tq_specs')} AS text)::jsonb)
      AS s(ord integer, name text, kind text, handler text, payload text, pp integer)
    ORDER BY s.ord
    RETURNING id, name
  ), dp AS (
    INSERT INTO task_deps (parent_id, child_id)
    SELECT pt.id, ct.id FROM jsonb_to_recordset(CAST(${p('tq_deps')} AS text)::jsonb) AS e(parent text, child text)
      JOIN tk pt ON pt.name = e.parent JOIN tk ct ON ct.name = e.child
    RETURNING 1
  )`;
  return { ctes, counts: sql`(SELECT count(*) FROM tk)::int AS tasks, (SELECT count(*) FROM dp)::int AS deps` };
}

/** The values `newCheckCtes` binds; `head` from `queueHead`. */
export function enqueueValues(specs: readonly TaskSpec[], opts: EnqueueOptions, fairKey: string, head: number): Record<string, unknown> {
  const graph = graphValues(specs);
  return {
    tq_head: head,
    tq_specs: graph.specs,
    tq_deps: graph.deps,
    tq_max_attempts: opts.maxAttempts,
    tq_timeout_ms: opts.timeoutMs,
    tq_fair_key: fairKey,
  };
}

/**
 * The tag of a new check of `fairKey`: one past the later of the queue's head (lowest runnable tag) and the key's
 * own last pending tag. Both lookups walk a partial index from one end. Concurrent enqueues on Postgres may give two
 * checks of one key the same tag; that only ties them (broken by id), it loses nothing.
 */
async function fairTagFor(tx: Db, fairKey: string): Promise<number> {
  const rows = await tx.all<{ head: number | null; last: number | null }>(FAIR_TAG.bind({ fair_key: fairKey }));
  const r = rows[0];
  return Math.max(Number(r?.head ?? 0), Number(r?.last ?? 0)) + 1;
}

const FAIR_TAG = new Prepared(
  (d) => sql`SELECT
      (SELECT fair_tag FROM tasks WHERE state = 'queued' AND run_at <= ${nowSql(d)} ORDER BY fair_tag LIMIT 1) AS head,
      (SELECT fair_tag FROM tasks WHERE fair_key = ${sql.placeholder('fair_key')} AND state IN ('queued', 'blocked')
        ORDER BY fair_tag DESC LIMIT 1) AS last`,
);

/** A task graph as two JSON texts: the tasks in order (payload as its own JSON text) and the edges by name. */
function graphValues(specs: readonly TaskSpec[]): { specs: string; deps: string } {
  return {
    specs: JSON.stringify(specs.map((s, ord) => ({ ord, name: s.name, kind: s.kind, handler: s.handler, payload: JSON.stringify(s.payload), pp: s.parents.length }))),
    deps: JSON.stringify(specs.flatMap((s) => s.parents.map((parent) => ({ parent, child: s.name })))),
  };
}

/** The tasks of a graph (graphValues().specs), in order: ids grow in plan order. One statement text for every plan. */
const INSERT_TASKS = new Prepared((d) => {
  const p = (name: string) => sql.placeholder(name);
  const now = nowSql(d);
  const rows =
    d === 'postgres'
      ? sql`jsonb_to_recordset(CAST(${p('specs')} AS text)::jsonb) AS s(ord integer, name text, kind text, handler text, payload text, pp integer)`
      : sql`(SELECT json_extract(value, '$.ord') AS ord, json_extract(value, '$.name') AS name, json_extract(value, '$.kind') AS kind,
          json_extract(value, '$.handler') AS handler, json_extract(value, '$.payload') AS payload, json_extract(value, '$.pp') AS pp
          FROM json_each(${p('specs')})) AS s`;
  const int = (name: string) => (d === 'postgres' ? sql`CAST(${p(name)} AS integer)` : p(name));
  const text = (name: string) => (d === 'postgres' ? sql`CAST(${p(name)} AS text)` : p(name));
  return sql`INSERT INTO tasks (check_id, generation, name, kind, handler, payload, state, pending_parents, attempts,
      max_attempts, run_at, timeout_ms, created_at, updated_at, fair_key, fair_tag)
    SELECT ${text('check_id')}, ${int('generation')}, s.name, s.kind, s.handler, s.payload,
      CASE WHEN s.pp > 0 THEN 'blocked' ELSE 'queued' END, s.pp, 0, ${int('max_attempts')}, ${now}, ${int('timeout_ms')},
      ${now}, ${now}, ${text('fair_key')}, ${int('tag')}
    FROM ${rows} WHERE 1 = 1 ORDER BY s.ord
    RETURNING id`;
});

/** The edges of a graph (graphValues().deps), between the tasks of one check generation by name. */
const INSERT_DEPS = new Prepared((d) => {
  const p = (name: string) => sql.placeholder(name);
  const checkId = d === 'postgres' ? sql`CAST(${p('check_id')} AS text)` : p('check_id');
  const generation = d === 'postgres' ? sql`CAST(${p('generation')} AS integer)` : p('generation');
  const edges =
    d === 'postgres'
      ? sql`jsonb_to_recordset(CAST(${p('deps')} AS text)::jsonb) AS e(parent text, child text)`
      : sql`(SELECT json_extract(value, '$.parent') AS parent, json_extract(value, '$.child') AS child FROM json_each(${p('deps')})) AS e`;
  return sql`INSERT INTO task_deps (parent_id, child_id)
    SELECT pt.id, ct.id FROM ${edges}
      JOIN tasks pt ON pt.check_id = ${checkId} AND pt.generation = ${generation} AND pt.name = e.parent
      JOIN tasks ct ON ct.check_id = ${checkId} AND ct.generation = ${generation} AND ct.name = e.child`;
});

