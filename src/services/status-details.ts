/** The JSON body of the gate API: `status` (what pipelines read) plus details for humans and the admin API. */
import type { GateStatus, GateVerdict } from '../core/gate.ts';
import { describeRef } from '../core/check.ts';
import { jobLabel } from '../core/job-set.ts';
import type { CheckRow } from '../db/checks.ts';
import type { StoredNotification } from '../db/results.ts';
import { findingOf } from './notification-inputs.ts';
import type { VerdictInputs } from './verdict.ts';

export interface StatusBody {
  status: GateStatus;
  security_check_id: string;
  [key: string]: unknown;
}

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

export function buildDetails(
  check: CheckRow,
  verdict: GateVerdict,
  inputs: VerdictInputs,
  notifications: readonly StoredNotification[],
): StatusBody {
  return {
    status: verdict.status,
    security_check_id: check.id,
    reason: verdict.reason,
    stale: verdict.stale,
    counts: countsOf(verdict, inputs),
    check: {
      project: check.projectPath,
      project_url: check.projectUrl,
      commit_sha: check.commitSha,
      ref: describeRef(check),
      event_type: check.eventType,
      job: jobLabel(check.jobName),
      generation: check.generation,
      created_at: iso(check.createdAt),
      finished_at: iso(check.finishedAt),
    },
    findings: findingsOf(check, verdict, inputs),
    unscanned: inputs.leaks
      .filter((l) => l.kind === 'unscanned')
      .map((l) => ({ scan: l.scan, file: l.file, commit: l.commit, reason: l.description, inherited: l.inherited })),
    scans: inputs.tasks
      .filter((t) => t.kind === 'scan')
      .map((t) => {
        const r = inputs.scans.find((s) => s.scan === t.payload.scan);
        return {
          name: t.payload.scan,
          state: t.state,
          attempts: t.attempts,
          result: r?.status ?? null,
          finding_count: r?.findingCount ?? null,
          range: r?.summary.range ?? null,
          commits: r?.summary.commits ?? null,
          first_sight: r?.summary.firstSight ?? null,
          note: r?.summary.reason ?? null,
          error: t.state === 'done' ? null : t.lastError,
        };
      }),
    outputs: inputs.tasks
      .filter((t) => t.kind === 'output')
      .map((t) => {
        const o = inputs.outputs.find((x) => x.scan === t.payload.scan && x.output === t.payload.output);
        const refreshError = inputs.leakOutputs.find((r) => r.output === t.payload.output && r.refreshError !== null)?.refreshError ?? null;
        return {
          scan: t.payload.scan,
          name: t.payload.output,
          state: t.state,
          attempts: t.attempts,
          url: o?.externalUrl ?? null,
          recorded: o ? o.findings.length : null,
          stale: refreshError !== null,
          refresh_error: refreshError,
          error: t.state === 'done' ? null : t.lastError,
        };
      }),
    notifications: inputs.tasks
      .filter((t) => t.kind === 'notify')
      .map((t) => ({
        output: t.payload.output,
        name: t.payload.notifier,
        state: t.state,
        attempts: t.attempts,
        error: t.state === 'done' ? null : t.lastError,
        channels: notifications
          .filter((n) => n.output === t.payload.output && n.notifier === t.payload.notifier)
          .map((n) => ({ channel: n.channel, state: n.state, detail: n.detail })),
      })),
  };
}

/** At most this many findings are listed (open ones first); `counts` has the totals. */
export const MAX_LISTED_FINDINGS = 500;

/** The findings the verdict rests on, own and inherited, most relevant first (open, then own). */
function findingsOf(check: CheckRow, verdict: GateVerdict, inputs: VerdictInputs) {
  const failing = new Set(verdict.failing);
  return inputs.leaks
    .filter((l) => l.kind === 'secret')
    .map((l) => {
      const rows = inputs.leakOutputs.filter((r) => r.scan === l.scan);
      const f = findingOf(l, rows, check.id);
      return {
        scan: l.scan,
        rule: l.ruleId,
        file: l.file,
        line: l.line,
        commit: l.commit,
        severity: f.severity,
        title: f.title,
        url: f.url,
        open: failing.has(l.leakKey),
        new: f.isNew,
        inherited: l.inherited,
        found_by: l.inherited ? l.foundBy.checkId : null,
      };
    })
    .sort((a, b) => Number(b.open) - Number(a.open) || Number(a.inherited) - Number(b.inherited))
    .slice(0, MAX_LISTED_FINDINGS);
}

/** What a pipeline log (and an unauthenticated caller) can say without naming files: how many, of what kind. */
export function countsOf(verdict: GateVerdict, inputs: VerdictInputs) {
  const failing = new Set(verdict.failing);
  const secrets = inputs.leaks.filter((l) => l.kind === 'secret');
  return {
    findings: secrets.length,
    open: secrets.filter((l) => failing.has(l.leakKey)).length,
    inherited: secrets.filter((l) => l.inherited).length,
    open_inherited: secrets.filter((l) => l.inherited && failing.has(l.leakKey)).length,
    unscanned: inputs.leaks.filter((l) => l.kind === 'unscanned').length,
  };
}
