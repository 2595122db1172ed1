/**
 * Setting the commit status on every place it must show (REST.md §3, §4): the head pipeline of each open merge
 * request whose head is the checked commit (`pipeline_id`, no `ref`, so "Pipelines must succeed" sees it), else the
 * commit itself; and every pipeline SecBot set a status on before, so that none is left `pending` after the check
 * moved on (a first external status creates a pipeline; CI may create a newer one later). A target that already
 * shows the state is skipped; a 400 "Cannot transition" means it already is in that state; a status name a CI job
 * already uses gets a fallback name.
 *
 * `ref` is never sent: GitLab then takes the ref of the newest pipeline of the commit, else the first branch that
 * contains it (the pushed branch, or the MR's source branch), and a branch name — which may hold a secret the scan
 * masks later — is neither stored nor sent. Targets are keyed `pipeline:<id>`, `mr:<iid>` (an MR without a head
 * pipeline yet) or `commit`; the pipeline GitLab chose is learned from its answer and used from then on.
 */
import { GitlabApiError, type GitlabRest, type MergeRequest, type StatusRequest } from '../../../clients/gitlab/rest.ts';
import type { CheckSnapshot } from '../../../core/publication.ts';
import type { PublicationLedger, PublishedStatus, PublishResult } from '../../types.ts';
import { currentStateOf, isNameTaken, isTransitionError, targetProblem } from './errors.ts';
import { isBackwards, type DesiredStatus } from './status.ts';

interface Dest {
  target: string;
  pipelineId?: number;
  row?: PublishedStatus;
}

export interface StatusJob {
  api: GitlabRest;
  projectId: number;
  snapshot: CheckSnapshot;
  /** Open merge requests whose head is the checked commit. */
  heads: readonly MergeRequest[];
  want: DesiredStatus;
  statusName: string;
  ledger: PublicationLedger;
  signal: AbortSignal;
}

/** The name used when a CI job of the pipeline already has the configured one. */
export const fallbackName = (name: string) => `${name}-external`;

export async function publishStatuses(job: StatusJob, result: PublishResult): Promise<string[]> {
  const transient: string[] = [];
  for (const dest of destinations(job, await job.ledger.statuses())) {
    try {
      await publishOne(job, dest, result);
    } catch (err) {
      if (!(err instanceof GitlabApiError)) throw err;
      if (err.status === 404 && /Pipeline for pipeline_id/.test(err.detail)) {
        // The pipeline is gone (deleted, or a stale head): forget it; the next sync reads the MR's head again.
        if (dest.row) await job.ledger.dropStatus(dest.row.target);
        transient.push(err.message);
        continue;
      }
      const problem = targetProblem(err);
      if (problem === null) throw err;
      result.problems.push({ target: dest.target, message: problem });
    }
  }
  return transient;
}

function destinations(job: StatusJob, rows: readonly PublishedStatus[]): Dest[] {
  const dests = new Map<string, Dest>();
  const used = new Set<string>();
  const take = (row: PublishedStatus | undefined) => {
    if (row) used.add(row.target);
    return row;
  };
  const sha = job.snapshot.check.commitSha;
  for (const mr of job.heads) {
    const hp = mr.head_pipeline;
    if (hp && hp.sha === sha) {
      const target = `pipeline:${hp.id}`;
      const row = take(rows.find((r) => r.target === target) ?? rows.find((r) => r.pipelineId === hp.id && !used.has(r.target)));
      dests.set(target, { target, pipelineId: hp.id, row });
    } else {
      const target = `mr:${mr.iid}`;
      dests.set(target, learned(target, take(rows.find((r) => r.target === target))));
    }
  }
  if (job.heads.length === 0 && !job.snapshot.check.mergeRequest) dests.set('commit', learned('commit', take(rows.find((r) => r.target === 'commit'))));
  for (const row of rows) {
    if (used.has(row.target) || dests.has(row.target)) continue;
    if (row.pipelineId !== null && dests.has(`pipeline:${row.pipelineId}`)) continue;
    dests.set(row.target, learned(row.target, row));
  }
  return [...dests.values()];
}

/** A target posts without a pipeline until GitLab said which pipeline took the status, then to that pipeline. */
function learned(target: string, row: PublishedStatus | undefined): Dest {
  return { target, pipelineId: row?.pipelineId ?? undefined, row };
}

async function publishOne(job: StatusJob, dest: Dest, result: PublishResult): Promise<void> {
  const { want, row } = { want: job.want, row: dest.row };
  if (row && ((row.state === want.state && row.description === want.description) || isBackwards(row.state, want.state))) {
    result.unchanged++;
    return;
  }
  const name = row?.name ?? job.statusName;
  const save = async (s: Omit<PublishedStatus, 'target'>) => {
    await job.ledger.saveStatus({ target: dest.target, ...s });
    if (row && row.target !== dest.target) await job.ledger.dropStatus(row.target);
  };
  try {
    const res = await post(job, dest, name);
    await save({ name: res.name, state: want.state, description: want.description, pipelineId: res.pipelineId ?? dest.pipelineId ?? null });
    result.written++;
  } catch (err) {
    if (!isTransitionError(err)) throw err;
    // Already in that state (an earlier attempt's answer was lost, or another status of ours): nothing to change.
    const shown = currentStateOf(err) ?? want.state;
    await save({ name, state: shown, description: shown === want.state ? want.description : (row?.description ?? ''), pipelineId: dest.pipelineId ?? null });
    result.unchanged++;
  }
}

async function post(job: StatusJob, dest: Dest, name: string): Promise<{ name: string; pipelineId?: number }> {
  const req: StatusRequest = { state: job.want.state, name, description: job.want.description, targetUrl: targetUrlOf(job.snapshot.pageUrl) };
  if (dest.pipelineId !== undefined) req.pipelineId = dest.pipelineId;
  try {
    const res = await job.api.setStatus(job.projectId, job.snapshot.check.commitSha, req, job.signal);
    return { name, pipelineId: res.pipeline_id ?? undefined };
  } catch (err) {
    if (!isNameTaken(err) || name !== job.statusName) throw err;
    const other = fallbackName(name);
    const res = await job.api.setStatus(job.projectId, job.snapshot.check.commitSha, { ...req, name: other }, job.signal);
    return { name: other, pipelineId: res.pipeline_id ?? undefined };
  }
}

/** GitLab refuses a target_url over 255 characters (after creating an empty pipeline): leave it out instead. */
function targetUrlOf(url: string | null): string | undefined {
  return url && url.length <= 255 && /^https?:\/\//.test(url) ? url : undefined;
}
