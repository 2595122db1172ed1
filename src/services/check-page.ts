/**
 * What the check page (`GET /checks/{id}`) shows, read the way the gate reads it (with the gate's triage refresh).
 * Without the results read token (when one is configured) only the status, a reason without task errors, and the
 * counts; with it (or when none is configured) everything: links, the scanned range, findings (masked), inherited
 * findings, files not scanned, the GitLab publication and a timeline of the tasks.
 */
import { describeRef, type CheckRecord } from '../core/check.ts';
import type { GateStatus } from '../core/gate.ts';
import type { SnapshotFinding, SnapshotUnscanned } from '../core/publication.ts';
import type { CheckStore } from '../db/checks.ts';
import type { PublicationStore } from '../db/publications.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import { snapshotOf } from './publication-snapshot.ts';
import { publicReason } from './public-view.ts';
import type { StatusService } from './status-service.ts';
import { countsOf } from './status-details.ts';
import { loadVerdictInputs, verdictOf, type UnscannedPolicy, type VerdictStores } from './verdict.ts';

export interface CheckPageDeps extends VerdictStores {
  checks: CheckStore;
  queue: TaskQueue;
  publications: PublicationStore;
  status: StatusService;
  policy: UnscannedPolicy;
}

export interface TimelineEntry {
  /** Null for what has not happened yet (tasks waiting), listed last. */
  at: number | null;
  what: string;
  detail: string | null;
}

export interface CheckPageData {
  id: string;
  status: GateStatus;
  reason: string | null;
  stale: boolean;
  counts: ReturnType<typeof countsOf> | null;
  /** Null in the limited view. */
  details: CheckPageDetails | null;
}

export interface CheckPageDetails {
  check: CheckRecord;
  refLabel: string;
  links: { project: string; commit: string; ref: string | null };
  mergeRequests: { iid: number; url: string; state: string }[];
  scans: { name: string; state: string; result: string | null; range: string | null; commits: number | null; firstSight: boolean | null; note: string | null }[];
  findings: (SnapshotFinding & { title: string })[];
  unscanned: SnapshotUnscanned[];
  publications: { notifier: string; state: string; lastError: string | null }[];
  timeline: TimelineEntry[];
}

export async function checkPageData(deps: CheckPageDeps, id: string, detailed: boolean): Promise<CheckPageData> {
  const answer = await deps.status.status(id);
  const check = await deps.checks.get(id);
  // No check (yet, or pruned by retention): the gate's reason says which, without details.
  if (!check) return { id, status: answer.status, reason: typeof answer.reason === 'string' ? answer.reason : null, stale: false, counts: null, details: null };
  const inputs = await loadVerdictInputs(deps, check);
  const verdict = verdictOf(check, inputs, deps.policy);
  const counts = countsOf(verdict, inputs);
  if (!detailed) {
    const reason = publicReason(verdict.status, verdict.reason, inputs.tasks);
    return { id, status: verdict.status, reason, stale: verdict.stale, counts, details: null };
  }
  const snapshot = snapshotOf(check, verdict, inputs, undefined);
  const events = await deps.queue.eventsOf(inputs.tasks.map((t) => t.id));
  const [mrs, pubs] = await Promise.all([deps.publications.mergeRequestsOf(check.id), deps.publications.ofCheck(check.id)]);
  const base = check.projectUrl.replace(/\/+$/, '');
  const details: CheckPageDetails = {
    check,
    refLabel: describeRef(check),
    links: { project: base, commit: `${base}/-/commit/${check.commitSha}`, ref: refUrl(base, check) },
    mergeRequests: mrs.map((m) => ({ iid: m.iid, url: `${base}/-/merge_requests/${m.iid}`, state: m.state })),
    scans: inputs.tasks
      .filter((t) => t.kind === 'scan')
      .map((t) => {
        const r = inputs.scans.find((s) => s.scan === t.payload.scan);
        const sum = r?.summary ?? {};
        return { name: t.payload.scan ?? t.name, state: t.state, result: r?.status ?? null, range: sum.range ?? null, commits: sum.commits ?? null, firstSight: sum.firstSight ?? null, note: sum.reason ?? null };
      }),
    findings: snapshot.findings,
    unscanned: snapshot.unscanned,
    publications: pubs.map((p) => ({ notifier: p.notifier, state: p.lastError ? 'failing' : p.dueAt !== null ? 'due' : 'published', lastError: p.lastError })),
    timeline: timelineOf(check, inputs.tasks, events),
  };
  return { id, status: verdict.status, reason: verdict.reason, stale: verdict.stale, counts, details };
}

function refUrl(base: string, c: CheckRecord): string | null {
  if (c.mergeRequest) return `${base}/-/merge_requests/${c.mergeRequest.iid}`;
  const path = c.ref.name.split('/').map(encodeURIComponent).join('/');
  return c.ref.kind === 'tag' ? `${base}/-/tags/${path}` : `${base}/-/tree/${path}`;
}

type Tasks = Awaited<ReturnType<typeof loadVerdictInputs>>['tasks'];
type Events = Awaited<ReturnType<TaskQueue['eventsOf']>>;

const EVENT_WORDS: Record<string, string> = {
  retry: 'attempt failed, will retry',
  failed: 'failed for good',
  reschedule: 'postponed (rate limit or waiting for another check)',
  release: 'handed back (worker shutting down)',
  lease_expired: 'lease expired (its worker stopped), queued again',
};

const WAITING: Record<string, string> = { blocked: 'waits for the tasks before it', queued: 'waits for a worker' };

function timelineOf(check: CheckRecord, tasks: Tasks, events: Events): TimelineEntry[] {
  const out: (TimelineEntry & { at: number })[] = [{ at: check.createdAt, what: `check accepted (${check.eventType}, generation ${check.generation})`, detail: null }];
  const waiting: TimelineEntry[] = [];
  for (const t of tasks) {
    if (t.startedAt !== null) out.push({ at: t.startedAt, what: `${t.name} started`, detail: null });
    for (const e of events.filter((x) => x.taskId === t.id)) {
      out.push({ at: e.at, what: `${t.name}: attempt ${e.attempt} ${EVENT_WORDS[e.event] ?? e.event}`, detail: e.message });
    }
    if (t.finishedAt !== null) out.push({ at: t.finishedAt, what: `${t.name} ${t.state}`, detail: t.state === 'done' ? null : t.lastError });
    else if (WAITING[t.state]) waiting.push({ at: null, what: `${t.name} ${WAITING[t.state]}`, detail: t.lastError });
  }
  // A stable sort keeps same-millisecond entries in the order they were added (accepted, started, done).
  return [...out.sort((a, b) => a.at - b.at), ...waiting];
}
