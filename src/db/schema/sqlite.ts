/**
 * SQLite schema. Mirrors ./pg.ts column for column (drizzle cannot target both databases from one schema); both
 * use epoch milliseconds for time and JSON text for structured values, so the SQL in src/db and src/queue is shared.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const checks = sqliteTable(
  'checks',
  {
    id: text('id').primaryKey(),
    generation: integer('generation').notNull().default(1),
    state: text('state').notNull(),
    error: text('error'),
    eventType: text('event_type').notNull(),
    host: text('host').notNull(),
    projectPath: text('project_path').notNull(),
    commitSha: text('commit_sha').notNull(),
    refName: text('ref_name').notNull(),
    jobName: text('job_name'),
    context: text('context').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    finishedAt: integer('finished_at'),
    verdict: text('verdict'),
    /**
     * Grows with every write of this row and of what the gate answer reads for this check alone (scan and output
     * results, its leaks, notifications): the results process's answer cache compares it (src/db/answer-rev.ts).
     */
    rev: integer('rev').notNull().default(0),
  },
  (t) => [
    index('checks_created_idx').on(t.createdAt),
    index('checks_project_idx').on(t.projectPath, t.createdAt),
    index('checks_finished_idx').on(t.finishedAt),
  ],
);

export const deliveries = sqliteTable(
  'deliveries',
  {
    key: text('key').primaryKey(),
    checkId: text('check_id'),
    eventType: text('event_type').notNull(),
    outcome: text('outcome').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('deliveries_received_idx').on(t.receivedAt)],
);

export const tasks = sqliteTable(
  'tasks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    checkId: text('check_id').notNull(),
    generation: integer('generation').notNull(),
    name: text('name').notNull(),
    kind: text('kind').notNull(),
    handler: text('handler').notNull(),
    payload: text('payload').notNull(),
    state: text('state').notNull(),
    pendingParents: integer('pending_parents').notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    runAt: integer('run_at').notNull(),
    leaseOwner: text('lease_owner'),
    leaseUntil: integer('lease_until'),
    timeoutMs: integer('timeout_ms').notNull(),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
    /** Whose work this is (GitLab host and project): claims take turns between keys (src/queue/task-queue.ts). */
    fairKey: text('fair_key').notNull().default(''),
    /** Claim order before id: a key's next check gets max(head of the queue, the key's last pending tag) + 1. */
    fairTag: integer('fair_tag').notNull().default(0),
    /** Grows with every change of state, attempts or last error: the gate's answer cache sums it per check. */
    rev: integer('rev').notNull().default(0),
  },
  (t) => [
    uniqueIndex('tasks_check_name_uq').on(t.checkId, t.generation, t.name),
    index('tasks_ready_idx').on(t.fairTag, t.id).where(sql`state = 'queued'`),
    index('tasks_fair_key_idx').on(t.fairKey, t.fairTag).where(sql`state IN ('queued', 'blocked')`),
    index('tasks_lease_idx').on(t.leaseUntil).where(sql`state = 'running'`),
    // SQLite only: the answer key's sum of revisions read from the index alone. Without it each task's whole record
    // (payload first) is decoded to reach `rev`, which halved cached GETs; on Postgres the heap fetch is cheap and the
    // extra index costs every task write.
    index('tasks_rev_idx').on(t.checkId, t.generation, t.rev),
  ],
);

export const taskDeps = sqliteTable(
  'task_deps',
  {
    parentId: integer('parent_id').notNull(),
    childId: integer('child_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.parentId, t.childId] }), index('task_deps_child_idx').on(t.childId)],
);

export const taskEvents = sqliteTable(
  'task_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    taskId: integer('task_id').notNull(),
    attempt: integer('attempt').notNull(),
    event: text('event').notNull(),
    message: text('message'),
    at: integer('at').notNull(),
  },
  (t) => [index('task_events_task_idx').on(t.taskId)],
);

export const scanResults = sqliteTable(
  'scan_results',
  {
    checkId: text('check_id').notNull(),
    generation: integer('generation').notNull(),
    scan: text('scan').notNull(),
    status: text('status').notNull(),
    findingCount: integer('finding_count').notNull(),
    report: text('report').notNull(),
    leaks: text('leaks').notNull(),
    summary: text('summary').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.checkId, t.generation, t.scan] })],
);

export const outputResults = sqliteTable(
  'output_results',
  {
    checkId: text('check_id').notNull(),
    generation: integer('generation').notNull(),
    scan: text('scan').notNull(),
    output: text('output').notNull(),
    status: text('status').notNull(),
    externalId: text('external_id'),
    externalUrl: text('external_url'),
    findings: text('findings').notNull(),
    verdict: text('verdict'),
    verdictAt: integer('verdict_at'),
    refreshError: text('refresh_error'),
    attemptedAt: integer('attempted_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.checkId, t.generation, t.scan, t.output] })],
);

export const notifications = sqliteTable(
  'notifications',
  {
    checkId: text('check_id').notNull(),
    generation: integer('generation').notNull(),
    output: text('output').notNull(),
    notifier: text('notifier').notNull(),
    channel: text('channel').notNull(),
    state: text('state').notNull(),
    detail: text('detail'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.checkId, t.generation, t.output, t.notifier, t.channel] })],
);

/** Commits whose whole history a completed scan of one component covered (see docs/reliability.md, coverage). */
export const coverage = sqliteTable(
  'coverage',
  {
    project: text('project').notNull(),
    scan: text('scan').notNull(),
    commitSha: text('commit_sha').notNull(),
    checkId: text('check_id').notNull(),
    generation: integer('generation').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.project, t.scan, t.commitSha] })],
);

/** Every secret (and unscanned file) a scan found, once per project and component, masked. */
export const leaks = sqliteTable(
  'leaks',
  {
    project: text('project').notNull(),
    scan: text('scan').notNull(),
    leakKey: text('leak_key').notNull(),
    kind: text('kind').notNull(),
    commitSha: text('commit_sha').notNull(),
    ruleId: text('rule_id').notNull(),
    description: text('description').notNull(),
    file: text('file').notNull(),
    line: integer('line').notNull(),
    fingerprint: text('fingerprint').notNull(),
    noveltyKey: text('novelty_key').notNull(),
    severity: text('severity'),
    entry: text('entry').notNull(),
    checkId: text('check_id').notNull(),
    generation: integer('generation').notNull(),
    isNew: integer('is_new').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.project, t.scan, t.leakKey] }), index('leaks_commit_idx').on(t.project, t.scan, t.commitSha)],
);

/** The leaks a check's verdict rests on: found by its own scan, or inherited from its history. */
export const checkLeaks = sqliteTable(
  'check_leaks',
  {
    checkId: text('check_id').notNull(),
    generation: integer('generation').notNull(),
    scan: text('scan').notNull(),
    project: text('project').notNull(),
    leakKey: text('leak_key').notNull(),
    inherited: integer('inherited').notNull(),
  },
  (t) => [primaryKey({ columns: [t.checkId, t.generation, t.scan, t.leakKey] })],
);

/** What an output made of a leak: its finding there and whether it is open (triage); external_id '' = filtered out. */
export const leakOutputs = sqliteTable(
  'leak_outputs',
  {
    project: text('project').notNull(),
    scan: text('scan').notNull(),
    leakKey: text('leak_key').notNull(),
    output: text('output').notNull(),
    externalId: text('external_id').notNull(),
    url: text('url'),
    title: text('title'),
    severity: text('severity'),
    open: integer('open').notNull(),
    stateAt: integer('state_at').notNull(),
    refreshError: text('refresh_error'),
    checkId: text('check_id').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.project, t.scan, t.leakKey, t.output, t.externalId] }),
    /** Triage is read back by external id. */
    index('leak_outputs_external_idx').on(t.output, t.externalId),
  ],
);

/** First sight of each secret per project (rule, file, keyed hash of the value): what makes a finding "new". */
export const novelty = sqliteTable(
  'novelty',
  {
    project: text('project').notNull(),
    noveltyKey: text('novelty_key').notNull(),
    leakKey: text('leak_key').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.project, t.noveltyKey] })],
);

/** What remains of a check pruned by retention: enough for the gate to say so instead of "not started". */
export const prunedChecks = sqliteTable('pruned_checks', {
  id: text('id').primaryKey(),
  verdict: text('verdict'),
  finishedAt: integer('finished_at'),
  prunedAt: integer('pruned_at').notNull(),
});

/** Deliveries that named a commit but were ignored (no job matches): why, so the gate can say it at once. */
export const ignoredEvents = sqliteTable('ignored_events', {
  checkId: text('check_id').primaryKey(),
  reason: text('reason').notNull(),
  receivedAt: integer('received_at').notNull(),
});

/** Merge requests a check's commit is the head of (an MR event may arrive after a push created the check). */
export const checkMergeRequests = sqliteTable(
  'check_merge_requests',
  {
    checkId: text('check_id').notNull(),
    projectId: integer('project_id').notNull(),
    mrIid: integer('mr_iid').notNull(),
    state: text('state').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.checkId, t.projectId, t.mrIid] })],
);

/**
 * Per check and publishing notifier (gitlab): an outbox row. `dirty` grows whenever what should be published may have
 * changed (in the transaction that changed it); a sync that read `dirty` = n clears `due_at` only if it is still n.
 */
export const publications = sqliteTable(
  'publications',
  {
    checkId: text('check_id').notNull(),
    notifier: text('notifier').notNull(),
    dirty: integer('dirty').notNull(),
    dueAt: integer('due_at'),
    leaseOwner: text('lease_owner'),
    leaseUntil: integer('lease_until'),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error'),
    stateKey: text('state_key'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.checkId, t.notifier] }), index('publications_due_idx').on(t.dueAt)],
);

/** The last commit status SecBot set per (check, notifier, target): a pipeline, or a ref before a pipeline is known. */
export const publishedStatuses = sqliteTable(
  'published_statuses',
  {
    checkId: text('check_id').notNull(),
    notifier: text('notifier').notNull(),
    target: text('target').notNull(),
    name: text('name').notNull(),
    state: text('state').notNull(),
    description: text('description').notNull(),
    pipelineId: integer('pipeline_id'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.checkId, t.notifier, t.target] })],
);

/** SecBot's one note per merge request (and notifier): its id and the hash of the body last written. */
export const mrNotes = sqliteTable(
  'mr_notes',
  {
    notifier: text('notifier').notNull(),
    host: text('host').notNull(),
    projectId: integer('project_id').notNull(),
    mrIid: integer('mr_iid').notNull(),
    noteId: integer('note_id').notNull(),
    bodyHash: text('body_hash').notNull(),
    checkId: text('check_id').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.notifier, t.host, t.projectId, t.mrIid] })],
);

/** Named leases: at most one process runs a periodic job (re-evaluation) per lease period. */
export const leases = sqliteTable('leases', {
  name: text('name').primaryKey(),
  owner: text('owner').notNull(),
  until: integer('until').notNull(),
});

/**
 * Named revision counters. `triage` grows with every change of what outputs made of leaks (an import, a triage
 * change read back) and of a leak's novelty: gate answers resting on leaks are computed again (src/db/answer-rev.ts).
 */
export const revisions = sqliteTable('revisions', {
  name: text('name').primaryKey(),
  rev: integer('rev').notNull(),
});
