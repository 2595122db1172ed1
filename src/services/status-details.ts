/** The JSON body of the gate API: `status` (what pipelines read) plus details for humans and the admin API. */
import type { GateStatus, GateVerdict } from '../core/gate.ts';
import { describeRef } from '../core/check.ts';
import type { CheckRow } from '../db/checks.ts';
import type { StoredNotification } from '../db/results.ts';
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
    check: {
      project: check.projectPath,
      project_url: check.projectUrl,
      commit_sha: check.commitSha,
      ref: describeRef(check),
      event_type: check.eventType,
      job: check.jobName,
      generation: check.generation,
      created_at: iso(check.createdAt),
      finished_at: iso(check.finishedAt),
    },
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
          note: r?.summary.reason ?? null,
          error: t.state === 'done' ? null : t.lastError,
        };
      }),
    outputs: inputs.tasks
      .filter((t) => t.kind === 'output')
      .map((t) => {
        const o = inputs.outputs.find((x) => x.scan === t.payload.scan && x.output === t.payload.output);
        return {
          scan: t.payload.scan,
          name: t.payload.output,
          state: t.state,
          attempts: t.attempts,
          verdict: o?.verdict ?? null,
          url: o?.externalUrl ?? null,
          open_findings: o ? o.findings.filter((f) => f.open).length : null,
          new_findings: o ? o.findings.filter((f) => f.isNew).length : null,
          findings: o?.findings.map((f) => ({ title: f.title, severity: f.severity, url: f.url, new: f.isNew, open: f.open })) ?? [],
          verdict_at: iso(o?.verdictAt),
          stale: o?.refreshError != null,
          refresh_error: o?.refreshError ?? null,
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
