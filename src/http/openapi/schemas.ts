/**
 * Response bodies of the HTTP API, as zod schemas with a description on every field. Routes declare them as their
 * responses and /docs shows them. Answer objects are loose: Elysia replaces an answer with the parsed value, so a
 * strict schema would silently drop any field added to an answer later; loose ones let it through (and the docs
 * say that clients must ignore fields they do not know).
 */
import { z } from 'zod';
import { GATE_STATUSES } from '../../core/gate.ts';

const gateStatus = z
  .enum(GATE_STATUSES as [string, ...string[]])
  .describe(
    '`not_started`: no check for this id (yet); `in_progress`: tasks are queued or running; `error`: SecBot could not complete the check (it is not a verdict on the code); `fail`: an output reports open findings; `success`: every scan is clean or every finding was triaged away',
  );
const isoTime = z.string().describe('ISO 8601 UTC timestamp');
const taskState = z
  .enum(['blocked', 'queued', 'running', 'done', 'failed', 'cancelled'])
  .describe('`blocked`: waits for the tasks it depends on; `queued`: ready or waiting for a retry; `running`; `done`; `failed`: no attempts left or a permanent error; `cancelled`: a task it depended on failed');

export const errorBody = z
  .object({
    code: z.string().describe('Machine-readable error code, e.g. `FORBIDDEN`, `INVALID_CHECK_ID`, `NOT_FOUND`'),
    message: z.string().describe('What went wrong and what to change; never contains a token'),
  })
  .meta({ id: 'Error', description: 'Every 4xx and 5xx answer of SecBot has this shape (request headers are never echoed).' });

export const webhookInvalidBody = errorBody
  .extend({ field: z.string().optional().describe('Dot path of the payload field that is missing or malformed') })
  .meta({ id: 'InvalidPayload', description: 'The event is handled but its payload lacks a field SecBot needs.' });

export const webhookAnswer = z
  .looseObject({
    status: z
      .enum(['accepted', 'rerun', 'widened', 'exists', 'duplicate_delivery', 'ignored'])
      .describe(
        '`accepted`: a new check was planned; `rerun`: the previous run of this commit ended in `error` and was planned again; `widened`: the check of this commit was planned again to run the job of this event as well (a check answers for every job an event of its commit routed to); `exists`: this commit already has a check, and it already runs the job of this event; `duplicate_delivery`: this delivery was already received; `ignored`: nothing to check (unsupported event, branch deletion, no job matches)',
      ),
    security_check_id: z.string().optional().describe('The check id CI pipelines ask the gate for (absent when the event cannot name one)'),
    job: z.string().nullable().optional().describe('The config.yml job that runs the check; null when several jobs matched (the check is recorded as `error`)'),
    tasks: z.number().int().optional().describe('Tasks created by this delivery (0 for `exists` and `duplicate_delivery`)'),
    message: z.string().optional().describe('Human-readable summary'),
    reason: z.string().optional().describe('Why the event was ignored'),
  })
  .meta({ id: 'WebhookAnswer', description: 'Answer to a delivery GitLab should not retry.' });

const checkInfo = z
  .looseObject({
    project: z.string().describe('GitLab project path (`group/project`)'),
    project_url: z.string().describe('Project web URL'),
    commit_sha: z.string().describe('The commit under test'),
    ref: z.string().describe('What was pushed: a branch name, `tag v1.2`, or `!12 (feature → main)` for a merge request'),
    event_type: z.enum(['push', 'tag_push', 'merge_request']).describe('The GitLab event that created the check'),
    job: z.string().nullable().describe("config.yml job that ran it (several, comma-separated, when events of the commit routed to different jobs: the check runs them all); null when the check was recorded as error before planning"),
    generation: z.number().int().describe('1 for the first run; +1 for every re-run of a check that ended in error'),
    created_at: isoTime.nullable().describe('When the webhook was accepted'),
    finished_at: isoTime.nullable().describe('When the check reached a final status; null while in progress'),
  })
  .describe('The commit under test and where it came from');

const scanInfo = z
  .looseObject({
    name: z.string().describe('Scan component (config.yml `components` name)'),
    state: taskState,
    attempts: z.number().int().describe('Attempts made so far'),
    result: z.enum(['clean', 'leaks', 'skipped']).nullable().describe('`skipped`: nothing new to scan (earlier scans covered the history); null until the scan finished'),
    finding_count: z.number().int().nullable().describe('Findings the scanner reported'),
    range: z.string().nullable().describe('What was scanned, e.g. `3f786850 and its history, except what earlier scans covered`'),
    commits: z.number().int().nullable().describe('Commits scanned'),
    first_sight: z.boolean().nullable().describe('The first scan of this project by this component: its whole history was scanned'),
    note: z.string().nullable().describe('Why nothing was scanned, when so'),
    error: z.string().nullable().describe('Last error while the task is not done'),
  })
  .describe('One scan task of the check');

const findingInfo = z
  .looseObject({
    scan: z.string().describe('The scan component that found it'),
    rule: z.string().describe('gitleaks rule id, e.g. `aws-access-token`'),
    file: z.string().describe('Path of the file in the repository'),
    line: z.number().int().describe('Line in that file'),
    commit: z.string().describe('Commit that introduced it'),
    severity: z.enum(['Critical', 'High', 'Medium', 'Low', 'Info']),
    title: z.string().describe('Finding title (rule and file); never the secret value'),
    url: z.string().nullable().describe('Link to the finding in the output (DefectDojo)'),
    open: z.boolean().describe('Counts against the verdict: not triaged away (false positive, risk accepted, out of scope, mitigated)'),
    new: z.boolean().describe('Not known to the output before this check'),
    inherited: z.boolean().describe('Found by an earlier check in this commit’s history (the commit still contains it)'),
    found_by: z.string().nullable().describe('The check that found an inherited finding'),
  })
  .describe('One secret the verdict rests on; the value itself is never shown');

const unscannedInfo = z
  .looseObject({
    scan: z.string(),
    file: z.string().describe('A file the scanner could not read'),
    commit: z.string(),
    reason: z.string().describe('Why it was not scanned'),
    inherited: z.boolean(),
  })
  .describe('A file a scan could not read (fails the check when the job sets `unscanned: fail`)');

const outputInfo = z
  .looseObject({
    scan: z.string().describe('The scan whose report this output imported'),
    name: z.string().describe('Output component (config.yml `components` name)'),
    state: taskState,
    attempts: z.number().int().describe('Attempts made so far'),
    url: z.string().nullable().describe('Link to the imported report (a DefectDojo test)'),
    recorded: z.number().int().nullable().describe('Findings the output recorded; null until imported'),
    stale: z.boolean().describe('The output could not be reached at the last triage refresh; its findings’ states are the last ones known'),
    refresh_error: z.string().nullable().describe('Why the last refresh failed'),
    error: z.string().nullable().describe('Last error while the task is not done'),
  })
  .describe('One output task (import) of the check');

const countsInfo = z
  .looseObject({
    findings: z.number().int().describe('Secrets found in this commit’s history (own and inherited)'),
    open: z.number().int().describe('Of those, the ones that count against the verdict'),
    inherited: z.number().int().describe('Found by earlier checks'),
    open_inherited: z.number().int(),
    unscanned: z.number().int().describe('Files a scan could not read'),
  })
  .describe('Totals (`findings` lists at most 500, open ones first)');

const notificationInfo = z
  .looseObject({
    output: z.string().describe('The output whose results were reported'),
    name: z.string().describe('Notifier component (config.yml `components` name)'),
    state: taskState,
    attempts: z.number().int().describe('Attempts made so far'),
    error: z.string().nullable().describe('Last error while the task is not done'),
    channels: z
      .array(
        z.looseObject({
          channel: z.string().describe('Channel name or id'),
          state: z.string().describe('`sent`, `failed`, `uncertain` (Slack gave no answer; not re-sent to avoid a duplicate) or `posting`'),
          detail: z.string().nullable().describe('Slack error code or message reference'),
        }),
      )
      .describe('Delivery per channel'),
  })
  .describe('One notification task; notifications never change the verdict');

export const gateAnswer = z
  .looseObject({
    status: gateStatus,
    security_check_id: z.string().describe('The id that was asked for'),
    reason: z.string().nullable().optional().describe('Why the status is what it is (which task failed, how many findings are open, what is still running)'),
    stale: z.boolean().optional().describe('An output could not be reached for triage; the status rests on the last states known (it errs on `fail`)'),
    counts: countsInfo.optional(),
    check: checkInfo.optional(),
    findings: z.array(findingInfo).optional().describe('The secrets the verdict rests on, open first, at most 500'),
    unscanned: z.array(unscannedInfo).optional(),
    scans: z.array(scanInfo).optional(),
    outputs: z.array(outputInfo).optional(),
    notifications: z.array(notificationInfo).optional(),
  })
  .meta({
    id: 'CheckStatus',
    description: 'The gate answer. Pipelines need only `status`; the other fields explain it. Fields may be added: ignore those you do not know.',
  });

const checkSummary = z
  .looseObject({
    security_check_id: z.string(),
    status: gateStatus,
    project: z.string().describe('GitLab project path'),
    commit_sha: z.string(),
    event_type: z.enum(['push', 'tag_push', 'merge_request']),
    ref: z.string().describe('Branch or tag name (merge requests: the source branch)'),
    job: z.string().nullable().describe('config.yml job (several, comma-separated, when events of the commit routed to different jobs); null when none was planned'),
    generation: z.number().int(),
    error: z.string().nullable().describe('Why the check was recorded as error before any task ran (e.g. several jobs matched)'),
    created_at: isoTime.nullable(),
    finished_at: isoTime.nullable(),
  })
  .meta({ id: 'CheckSummary', description: 'One check in the admin list.' });

export const checkList = z
  .looseObject({ checks: z.array(checkSummary).describe('Newest first') })
  .meta({ id: 'CheckList', description: 'Recent checks, newest first.' });

const taskDetail = z.looseObject({
  id: z.number().int(),
  name: z.string().describe('`scan:<scan>`, `output:<scan>:<output>` or `notify:<output>:<notifier>`'),
  kind: z.enum(['scan', 'output', 'notify']),
  handler: z.string().describe('Plugin handler (gitleaks, defectdojo, slack, …)'),
  state: taskState,
  attempts: z.number().int(),
  max_attempts: z.number().int().describe('SECBOT_TASK_MAX_ATTEMPTS when the task was created'),
  last_error: z.string().nullable(),
  run_at: isoTime.nullable().describe('Earliest time of the next attempt'),
  started_at: isoTime.nullable(),
  finished_at: isoTime.nullable(),
  history: z
    .array(
      z.looseObject({
        attempt: z.number().int(),
        event: z.string().describe('`retry`, `failed`, `fail`, `reschedule`, `release`, `lease_expired`'),
        message: z.string().nullable(),
        at: isoTime,
      }),
    )
    .describe('Every attempt that did not simply succeed'),
});

export const checkDetail = checkSummary
  .extend({ details: gateAnswer, tasks: z.array(taskDetail) })
  .meta({ id: 'CheckDetail', description: 'One check with its gate answer, tasks, attempts and errors.' });

export const rerunAnswer = z
  .looseObject({
    status: z.literal('rerun'),
    security_check_id: z.string(),
    generation: z.number().int().describe('The new generation; its tasks are queued'),
  })
  .meta({ id: 'RerunAnswer', description: 'The check was planned again.' });

export const healthBody = z.object({ status: z.literal('ok') }).meta({ id: 'Health', description: 'The probe passed.' });
export const unreadyBody = z
  .object({
    status: z.literal('unavailable'),
    message: z.string().describe('What is not reachable'),
  })
  .meta({ id: 'Unready', description: 'The database cannot be reached.' });
export const pingBody = z.object({ ping: z.literal('pong') }).meta({ id: 'Pong', description: 'The process answers HTTP.' });
export const indexBody = z
  .looseObject({
    service: z.literal('secbot'),
    role: z.enum(['intake', 'results', 'worker']).describe('Which SecBot API this port serves'),
    version: z.string(),
    docs: z.string().nullable().describe('Where the API documentation is; null when SECBOT_DOCS_ENABLE=false'),
    endpoints: z.array(z.string()).describe('The routes of this port'),
  })
  .meta({ id: 'Index', description: 'What this port serves.' });
export const metricsText = z.string().describe('Prometheus text exposition format 0.0.4');
