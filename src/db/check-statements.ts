/**
 * The statements of the check store's hot paths (the intake's accept, the gate's answer key), built once per dialect
 * and bound by name (./database.ts `Prepared`).
 */
import { sql } from 'drizzle-orm';
import { newCheckCtes } from '../queue/task-graph.ts';
import { taskStateKeySql } from '../queue/task-queue.ts';
import { Prepared } from './database.ts';
import { PublicationStore } from './publications.ts';

const p = (name: string) => sql.placeholder(name);
/** Whether the delivery was seen, and the check of its commit if there is one (generation null: none). */
export type Known = { seen: number | null; generation: number | null; state: string | null; verdict: string | null; job_name: string | null };
export const KNOWN = new Prepared(
  () => sql`SELECT (SELECT 1 FROM deliveries WHERE key = ${p('key')}) AS seen, c.generation, c.state, c.verdict, c.job_name
    FROM (SELECT 1 AS one) AS o LEFT JOIN checks c ON c.id = ${p('id')}`,
);
export const INSERT_CHECK = new Prepared(
  () => sql`INSERT INTO checks (id, generation, state, error, event_type, host, project_path, commit_sha, ref_name,
      job_name, context, created_at, updated_at, finished_at, verdict)
    VALUES (${p('id')}, 1, ${p('state')}, ${p('error')}, ${p('event_type')}, ${p('host')}, ${p('project_path')}, ${p('commit_sha')},
      ${p('ref_name')}, ${p('job_name')}, ${p('context')}, ${p('now')}, ${p('now')}, ${p('finished_at')}, ${p('verdict')})
    ON CONFLICT (id) DO NOTHING RETURNING id`,
);
export const INSERT_DELIVERY = new Prepared(
  () => sql`INSERT INTO deliveries (key, check_id, event_type, outcome, received_at)
    VALUES (${p('key')}, ${p('check_id')}, ${p('event_type')}, ${p('outcome')}, ${p('now')}) ON CONFLICT (key) DO NOTHING`,
);

/**
 * Postgres: a new check, its task graph, its publication rows, its MR link and the delivery, as one statement. Built
 * on first use (Prepared renders lazily), after the modules whose CTEs it embeds are loaded.
 */
export const ACCEPT_NEW = new Prepared(() => {
  const tasks = newCheckCtes();
  return sql`WITH ck AS (
    INSERT INTO checks (id, generation, state, error, event_type, host, project_path, commit_sha, ref_name, job_name,
      context, created_at, updated_at, finished_at, verdict)
    SELECT CAST(${p('id')} AS text), 1, 'planned', NULL, CAST(${p('event_type')} AS text), CAST(${p('host')} AS text),
      CAST(${p('project_path')} AS text), CAST(${p('commit_sha')} AS text), CAST(${p('ref_name')} AS text),
      CAST(${p('job_name')} AS text), CAST(${p('context')} AS text), CAST(${p('now')} AS bigint), CAST(${p('now')} AS bigint),
      NULL, 'in_progress'
    WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE key = CAST(${p('key')} AS text))
    ON CONFLICT (id) DO NOTHING RETURNING id
  ), ${tasks.ctes}, ${PublicationStore.newCheckCtes()}, dl AS (
    INSERT INTO deliveries (key, check_id, event_type, outcome, received_at)
    SELECT CAST(${p('key')} AS text), ck.id, CAST(${p('event_type')} AS text), 'accepted', CAST(${p('now')} AS bigint) FROM ck
    ON CONFLICT (key) DO NOTHING RETURNING 1
  )
  SELECT (SELECT count(*) FROM ck)::int AS created, ${tasks.counts},
    (SELECT count(*) FROM pub)::int + (SELECT count(*) FROM mr)::int + (SELECT count(*) FROM dl)::int AS recorded`;
});

export const ANSWER_KEY = new Prepared(
  () => sql`SELECT c.rev, c.generation, c.created_at, ${taskStateKeySql(sql`c.id`, sql`c.generation`)} AS tasks,
      (SELECT rev FROM revisions WHERE name = 'triage') AS triage
    FROM checks c WHERE c.id = ${sql.placeholder('id')}`,
);
