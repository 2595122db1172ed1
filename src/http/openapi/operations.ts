/**
 * What /docs says about each route: summary, description, parameters, and every status with its schema and example.
 * The routes take their `response` maps from here (`responseSchemas`), and a test checks that every route an app
 * serves is described, so the documents and the server cannot disagree.
 */
import { z } from 'zod';
import { GATE_STATUSES } from '../../core/gate.ts';
import type { OperationDoc, SecurityScheme } from './document.ts';
import {
  CHECK_DETAIL,
  CHECK_LIST,
  EXAMPLE_ID,
  errorExample,
  GATE_EXAMPLES,
  GATE_FAIL,
  RERUN_ANSWER,
  WEBHOOK_ANSWERS,
  WEBHOOK_EXAMPLES,
} from './examples.ts';
import {
  checkDetail,
  checkList,
  errorBody,
  gateAnswer,
  healthBody,
  indexBody,
  metricsText,
  pingBody,
  rerunAnswer,
  unreadyBody,
  webhookAnswer,
  webhookInvalidBody,
} from './schemas.ts';

export const TAGS = [
  { name: 'intake', description: 'GitLab webhooks and system hooks' },
  { name: 'gate', description: 'The status CI pipelines poll (ci/secbot-gate.sh)' },
  { name: 'admin', description: 'Inspect and re-run checks (enabled by SECBOT_ADMIN_TOKEN)' },
  { name: 'operations', description: 'Probes and metrics for load balancers, orchestrators and Prometheus' },
];

export const GITLAB_TOKEN_SCHEME: Record<string, SecurityScheme> = {
  gitlabToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Gitlab-Token',
    description: 'The secret token of the hook: the `webhook_secret_token` of one GITLAB_CONFIGS instance (compared in constant time).',
  },
};

export const ADMIN_SECURITY_SCHEMES: Record<string, SecurityScheme> = {
  adminToken: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <SECBOT_ADMIN_TOKEN>`' },
};

const error = (description: string, code: string, message: string) => ({ description, schema: errorBody, example: errorExample(code, message) });

export function commonOperations(role: 'intake' | 'results' | 'worker'): OperationDoc[] {
  return [
    {
      method: 'get',
      path: '/',
      operationId: 'getIndex',
      summary: 'What this port serves',
      description: 'A small index: the role of this port, the version, where the docs are and which routes exist. Browsers are redirected to /docs when the docs are enabled.',
      tags: ['operations'],
      responses: {
        200: {
          description: 'The index',
          schema: indexBody,
          example: { service: 'secbot', role, version: '0.2.0', docs: '/docs', endpoints: ['GET /ping', 'GET /healthz', 'GET /readyz', 'GET /metrics'] },
        },
      },
    },
    {
      method: 'get',
      path: '/ping',
      operationId: 'getPing',
      summary: 'Load-balancer probe',
      description: 'Answers 200 as long as the process serves HTTP, like the service SecBot replaces; it does not touch the database (see /readyz).',
      tags: ['operations'],
      responses: { 200: { description: 'The process is up', schema: pingBody, example: { ping: 'pong' } } },
    },
    {
      method: 'get',
      path: '/healthz',
      operationId: 'getHealthz',
      summary: 'Liveness: the process is up',
      description: 'For liveness probes: no database round trip, so a slow database does not get the process restarted.',
      tags: ['operations'],
      responses: { 200: { description: 'The process is up', schema: healthBody, example: { status: 'ok' } } },
    },
    {
      method: 'get',
      path: '/readyz',
      operationId: 'getReadyz',
      summary: 'Readiness: the database is reachable',
      description: 'For readiness probes: one round trip to the database.',
      tags: ['operations'],
      responses: {
        200: { description: 'The database answered', schema: healthBody, example: { status: 'ok' } },
        503: {
          description: 'The database did not answer (the logs say why)',
          schema: unreadyBody,
          example: { status: 'unavailable', message: 'the database is not reachable' },
        },
      },
    },
    {
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description:
        'Every SecBot metric of this process, in the Prometheus text format. In `secbot all` the intake and results ports serve the same process-wide registry: scrape one of them, not both.',
      tags: ['operations'],
      responses: {
        200: {
          description: 'Metrics in the Prometheus text exposition format 0.0.4',
          contentType: 'text/plain',
          schema: metricsText,
          example:
            '# HELP secbot_gate_verdicts_total Status answers of the gate API by status\n# TYPE secbot_gate_verdicts_total counter\nsecbot_gate_verdicts_total{status="success"} 12\n',
        },
      },
    },
  ];
}

/** The fields of a GitLab event SecBot reads; everything else in the payload is ignored. */
const gitlabEvent = z
  .looseObject({
    object_kind: z.string().optional().describe('`push`, `tag_push`, `merge_request`; system hooks may send only `event_name`'),
    event_name: z.string().optional(),
    before: z.string().optional().describe('Push: the old head (40 zeros for a new ref)'),
    after: z.string().optional().describe('Push: the new head (40 zeros for a deleted ref)'),
    ref: z.string().optional().describe('Push: `refs/heads/<branch>` or `refs/tags/<tag>`'),
    checkout_sha: z.string().nullable().optional().describe('Push: the commit checked (for an annotated tag, the tagged commit)'),
    project: z
      .looseObject({
        path_with_namespace: z.string().describe('The project path, part of the check id'),
        web_url: z.string().describe('Must be on the host of the instance the token belongs to'),
      })
      .describe('The project the event belongs to'),
    object_attributes: z
      .looseObject({
        iid: z.number().int(),
        action: z.string().optional().describe('Only `open`, `reopen` and `update` change code; other actions are ignored'),
        source_branch: z.string(),
        target_branch: z.string(),
        last_commit: z.looseObject({ id: z.string().describe('The commit checked') }),
      })
      .optional()
      .describe('Merge request events'),
  })
  .meta({ id: 'GitLabEvent', description: 'A GitLab push, tag push or merge request event, as a project hook or a system hook sends it.' });

export const WEBHOOK_OPERATION: OperationDoc = {
  method: 'post',
  path: '/v1/gitlab/webhook',
  operationId: 'postGitlabWebhook',
  summary: 'Receive a GitLab webhook or system hook',
  description:
    'Push, tag push and merge request events (project hooks or a System Hook) become a check of one commit. The answer comes once the check and all its tasks are committed, before any scan runs. ' +
    'Events SecBot does not handle are answered 200 `ignored`, so GitLab never disables the hook. Send the body as `application/json`, at most SECBOT_MAX_BODY_BYTES. ' +
    'A wrong token is refused from the headers, before the body is read.',
  tags: ['intake'],
  security: ['gitlabToken'],
  parameters: [
    {
      name: 'X-Gitlab-Event',
      in: 'header',
      required: true,
      description: '`Push Hook`, `Tag Push Hook`, `Merge Request Hook` or `System Hook` (GitLab sets it); other events are answered 200 `ignored`',
      schema: z.string(),
      example: 'Push Hook',
    },
    {
      name: 'Idempotency-Key',
      in: 'header',
      description: 'GitLab ≥ 17.4: stable across retries and resends of one delivery; a redelivery adds no work',
      schema: z.string(),
      example: '5e0e1b5f-5f2c-4b48-9bb0-2a4f1e4e7d3c',
    },
    {
      name: 'X-Gitlab-Event-UUID',
      in: 'header',
      description: 'Older GitLab: identifies the delivery together with the body',
      schema: z.string(),
      example: '13792a34-cac6-4fda-95a8-c58e00a3954e',
    },
  ],
  requestBody: { description: 'The event exactly as GitLab sends it', schema: gitlabEvent, examples: WEBHOOK_EXAMPLES },
  responses: {
    200: {
      description: 'Stored (or nothing to do); GitLab counts the delivery as successful',
      schema: webhookAnswer,
      example: WEBHOOK_ANSWERS.accepted,
      examples: {
        accepted: { summary: 'A new check', value: WEBHOOK_ANSWERS.accepted },
        exists: { summary: 'The commit already has a check', value: WEBHOOK_ANSWERS.exists },
        ignored: { summary: 'An event SecBot does not handle', value: WEBHOOK_ANSWERS.ignored },
      },
    },
    400: error('The body is not JSON', 'MALFORMED_JSON', 'request body is not valid JSON: JSON Parse error: Unexpected EOF'),
    403: error(
      'The token matches no instance, or the project is not on the token’s instance (WRONG_INSTANCE)',
      'FORBIDDEN',
      'X-Gitlab-Token header is invalid',
    ),
    413: error('The body exceeds SECBOT_MAX_BODY_BYTES', 'TOO_LARGE', 'request body exceeds the limit of 26214400 bytes (SECBOT_MAX_BODY_BYTES)'),
    415: error('Content-Type is not application/json', 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json (as GitLab sends it)'),
    422: {
      description: 'A handled event whose payload lacks a field SecBot needs',
      schema: webhookInvalidBody,
      example: { code: 'INVALID_PAYLOAD', field: 'checkout_sha', message: 'checkout_sha: must be a full lower-case hex commit SHA' },
    },
    503: {
      description:
        'Nothing was stored and GitLab shows the delivery as failed: `UNAVAILABLE` when the database is down, `OVERLOADED` (with `Retry-After`) when the bodies being handled already fill SECBOT_INTAKE_BUFFER_BYTES. Resend it.',
      schema: errorBody,
      example: errorExample(
        'UNAVAILABLE',
        'the database is unavailable; nothing was stored. GitLab shows this delivery as failed: resend it once SecBot is healthy',
      ),
    },
  },
};

const checkIdParam = (name: string) => ({
  name,
  in: 'path' as const,
  description: '`<prefix>_<sha256 hex of "<CI_SERVER_HOST>:<CI_PROJECT_PATH>_<CI_COMMIT_SHA>">`; `secbot check-id` prints it',
  schema: z.string().regex(/^[A-Za-z0-9_]+_[0-9a-f]{64}$/),
  example: EXAMPLE_ID,
});

export const GATE_OPERATION: OperationDoc = {
  method: 'get',
  path: '/v1/security/gitlab/check/{security_check_id}',
  operationId: 'getSecurityCheck',
  summary: 'Status of a security check (the CI gate)',
  description:
    'Always 200 for a well-formed id. Pipelines poll until the status is final (`error`, `fail` or `success`) and fail unless it is `success`. ' +
    'Triage in DefectDojo (false positive, risk accepted, …) is reflected within SECBOT_GATE_CACHE_TTL_MS. No credentials: CI jobs call it.',
  tags: ['gate'],
  parameters: [checkIdParam('security_check_id')],
  responses: {
    200: { description: 'The check’s status and what it rests on', schema: gateAnswer, example: GATE_FAIL, examples: GATE_EXAMPLES },
    422: error('The id is not `<PREFIX>_<64 hex digits>`', 'INVALID_CHECK_ID', 'security_check_id must be <PREFIX>_<64 hex digits> (see the pipeline snippet in the docs)'),
  },
};

const unauthorized = error('No or a wrong bearer token', 'UNAUTHORIZED', 'send Authorization: Bearer <SECBOT_ADMIN_TOKEN>');
const noSuchCheck = error('No check has this id', 'NOT_FOUND', 'no such check');

export const ADMIN_LIST_OPERATION: OperationDoc = {
  method: 'get',
  path: '/v1/admin/checks',
  operationId: 'listChecks',
  summary: 'List recent checks',
  description: 'Newest first. Page with `before` (the `created_at` of the last check seen, in epoch milliseconds).',
  tags: ['admin'],
  security: ['adminToken'],
  parameters: [
    { name: 'project', in: 'query', description: 'Only this GitLab project path', schema: z.string().max(1024), example: 'mike/diaspora' },
    { name: 'status', in: 'query', description: 'Only checks with this status', schema: z.enum(GATE_STATUSES as [string, ...string[]]), example: 'error' },
    { name: 'limit', in: 'query', description: 'At most this many checks (1–500, default 50)', schema: z.number().int().min(1).max(500).default(50), example: 50 },
    { name: 'before', in: 'query', description: 'Only checks created before this time (epoch milliseconds)', schema: z.number().int().positive(), example: 1772446504120 },
  ],
  responses: {
    200: { description: 'The checks', schema: checkList, example: CHECK_LIST },
    401: unauthorized,
    422: error('A query parameter is invalid', 'INVALID_QUERY', 'limit: Too big: expected number to be <=500'),
  },
};

export const ADMIN_SHOW_OPERATION: OperationDoc = {
  method: 'get',
  path: '/v1/admin/checks/{id}',
  operationId: 'showCheck',
  summary: 'One check with its tasks, attempts and errors',
  description: 'The gate answer (`details`) plus every task of the current generation with its attempt history.',
  tags: ['admin'],
  security: ['adminToken'],
  parameters: [checkIdParam('id')],
  responses: { 200: { description: 'The check', schema: checkDetail, example: CHECK_DETAIL }, 401: unauthorized, 404: noSuchCheck },
};

export const ADMIN_RERUN_OPERATION: OperationDoc = {
  method: 'post',
  path: '/v1/admin/checks/{id}/rerun',
  operationId: 'rerunCheck',
  summary: 'Run a check that ended in error again',
  description: 'Plans the check’s job again as a new generation. Only checks whose status is `error` can be re-run; sending the GitLab event again does the same.',
  tags: ['admin'],
  security: ['adminToken'],
  parameters: [checkIdParam('id')],
  responses: {
    202: { description: 'Planned again; poll the gate', schema: rerunAnswer, example: RERUN_ANSWER },
    401: unauthorized,
    404: noSuchCheck,
    409: error('The check did not end in error, or its job is gone from config.yml', 'CONFLICT', 'only checks that ended in error can be re-run; this one is fail'),
  },
};

export const ADMIN_OPERATIONS = [ADMIN_LIST_OPERATION, ADMIN_SHOW_OPERATION, ADMIN_RERUN_OPERATION];
