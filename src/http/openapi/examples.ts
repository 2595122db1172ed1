/**
 * Example bodies shown in /docs. They are consistent with each other (one project, one commit, one check id) and
 * a unit test parses every one with the schema it illustrates, so they cannot drift from what SecBot answers.
 * The webhook examples are GitLab's own documented payloads (from the contracts' fixtures).
 */
import mergeRequestOpen from './gitlab-examples/project_hook.merge_request.open.json' with { type: 'json' };
import pushHook from './gitlab-examples/project_hook.push.json' with { type: 'json' };
import systemPush from './gitlab-examples/system_hook.push.json' with { type: 'json' };
import tagPush from './gitlab-examples/project_hook.tag_push.json' with { type: 'json' };

/** The check id of GitLab's push example (host example.com, project mike/diaspora, its checkout_sha). */
export const EXAMPLE_ID = 'GIT_LOCAL_e168797e1b215fb2ea417f0aded5d4d70b72514bddb7112a6592c39264d10c38';
const SHA = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';

export const WEBHOOK_EXAMPLES = {
  push: { summary: 'Push Hook (project hook)', value: pushHook },
  tag_push: { summary: 'Tag Push Hook (project hook)', value: tagPush },
  merge_request: { summary: 'Merge Request Hook (project hook)', value: mergeRequestOpen },
  system_push: { summary: 'System Hook delivering a push', value: systemPush },
};

export const WEBHOOK_ANSWERS = {
  accepted: { status: 'accepted', security_check_id: EXAMPLE_ID, job: 'secrets', tasks: 3, message: 'check planned with 3 tasks' },
  exists: { status: 'exists', security_check_id: EXAMPLE_ID, job: 'secrets', tasks: 0, message: 'this commit already has a check; no new work' },
  ignored: { status: 'ignored', reason: 'event "Pipeline Hook" is not handled' },
};

const CHECK = {
  project: 'mike/diaspora',
  project_url: 'http://example.com/mike/diaspora',
  commit_sha: SHA,
  ref: 'master',
  event_type: 'push',
  job: 'secrets',
  generation: 1,
  created_at: '2026-03-02T10:15:04.120Z',
};

const SCAN_DONE = {
  name: 'gitleaks',
  state: 'done',
  attempts: 1,
  result: 'leaks',
  finding_count: 1,
  range: 'da156088 and its history, except what earlier scans covered',
  commits: 2,
  first_sight: false,
  note: null,
  error: null,
};

const FINDING = {
  scan: 'gitleaks',
  rule: 'aws-access-token',
  file: 'config/settings.py',
  line: 12,
  commit: SHA,
  severity: 'High',
  title: 'AWS Access Key in config/settings.py',
  url: 'https://defectdojo.example.com/finding/731',
  open: true,
  new: true,
  inherited: false,
  found_by: null,
};

const OUTPUT_DONE = {
  scan: 'gitleaks',
  name: 'defectdojo',
  state: 'done',
  attempts: 1,
  url: 'https://defectdojo.example.com/test/212',
  recorded: 1,
  stale: false,
  refresh_error: null,
  error: null,
};

const NOTIFIED = {
  output: 'defectdojo',
  name: 'slack',
  state: 'done',
  attempts: 1,
  error: null,
  channels: [{ channel: 'security-alerts', state: 'sent', detail: null }],
};

const COUNTS = { findings: 1, open: 1, inherited: 0, open_inherited: 0, unscanned: 0 };

export const GATE_FAIL = {
  status: 'fail',
  security_check_id: EXAMPLE_ID,
  reason: '1 open finding(s)',
  stale: false,
  counts: COUNTS,
  check: { ...CHECK, finished_at: '2026-03-02T10:15:21.402Z' },
  findings: [FINDING],
  unscanned: [],
  scans: [SCAN_DONE],
  outputs: [OUTPUT_DONE],
  notifications: [NOTIFIED],
};

const NOT_YET = { result: null, finding_count: null, range: null, commits: null, first_sight: null };
const NO_OUTPUT = { attempts: 0, url: null, recorded: null };
const NO_FINDINGS = { counts: { ...COUNTS, findings: 0, open: 0 }, findings: [], unscanned: [] };

export const GATE_EXAMPLES = {
  not_started: { summary: 'No check for this id yet', value: { status: 'not_started', security_check_id: EXAMPLE_ID } },
  in_progress: {
    summary: 'Scanning',
    value: {
      status: 'in_progress',
      security_check_id: EXAMPLE_ID,
      reason: 'scan:gitleaks is running',
      stale: false,
      ...NO_FINDINGS,
      check: { ...CHECK, finished_at: null },
      scans: [{ ...SCAN_DONE, state: 'running', ...NOT_YET }],
      outputs: [{ ...OUTPUT_DONE, state: 'blocked', ...NO_OUTPUT }],
      notifications: [{ ...NOTIFIED, state: 'blocked', attempts: 0, channels: [] }],
    },
  },
  fail: { summary: 'Open findings', value: GATE_FAIL },
  success: {
    summary: 'The finding was marked false positive in DefectDojo',
    value: { ...GATE_FAIL, status: 'success', reason: null, counts: { ...COUNTS, open: 0 }, findings: [{ ...FINDING, open: false }] },
  },
  error: {
    summary: 'SecBot could not fetch the repository (after every attempt)',
    value: {
      status: 'error',
      security_check_id: EXAMPLE_ID,
      reason:
        'scan:gitleaks: failed after 5 attempts: GitLab at example.com rejected the auth_token of GITLAB_CONFIGS instance GIT_LOCAL (401) when fetching mike/diaspora: check that the token is valid, not expired, and has the read_repository scope on this project',
      stale: false,
      ...NO_FINDINGS,
      check: { ...CHECK, finished_at: '2026-03-02T10:31:40.003Z' },
      scans: [
        {
          ...SCAN_DONE,
          state: 'failed',
          attempts: 5,
          ...NOT_YET,
          error:
            'failed after 5 attempts: GitLab at example.com rejected the auth_token of GITLAB_CONFIGS instance GIT_LOCAL (401) when fetching mike/diaspora: check that the token is valid, not expired, and has the read_repository scope on this project',
        },
      ],
      outputs: [{ ...OUTPUT_DONE, state: 'cancelled', ...NO_OUTPUT, error: 'not run: a task it depends on failed' }],
      notifications: [{ ...NOTIFIED, state: 'cancelled', attempts: 0, error: 'not run: a task it depends on failed', channels: [] }],
    },
  },
};

const SUMMARY = {
  security_check_id: EXAMPLE_ID,
  status: 'fail',
  project: 'mike/diaspora',
  commit_sha: SHA,
  event_type: 'push',
  ref: 'master',
  job: 'secrets',
  generation: 1,
  error: null,
  created_at: '2026-03-02T10:15:04.120Z',
  finished_at: '2026-03-02T10:15:21.402Z',
};

export const CHECK_LIST = { checks: [SUMMARY] };

export const CHECK_DETAIL = {
  ...SUMMARY,
  details: GATE_FAIL,
  tasks: [
    {
      id: 41,
      name: 'scan:gitleaks',
      kind: 'scan',
      handler: 'gitleaks',
      state: 'done',
      attempts: 2,
      max_attempts: 5,
      last_error: null,
      run_at: '2026-03-02T10:15:06.901Z',
      started_at: '2026-03-02T10:15:06.950Z',
      finished_at: '2026-03-02T10:15:09.310Z',
      history: [{ attempt: 1, event: 'retry', message: 'cannot reach GitLab at example.com to fetch mike/diaspora (network error); will retry:\nfatal: unable to access: Connection reset by peer', at: '2026-03-02T10:15:04.880Z' }],
    },
  ],
};

export const RERUN_ANSWER = { status: 'rerun', security_check_id: EXAMPLE_ID, generation: 2 };

export const errorExample = (code: string, message: string) => ({ code, message });
