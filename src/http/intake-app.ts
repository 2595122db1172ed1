/** The intake instance (:5000): GitLab project webhooks and system hooks arrive at POST /v1/gitlab/webhook. */
import { z } from 'zod';
import type { IntakeService } from '../services/intake-service.ts';
import { baseApp, errorBody, type AppDeps } from './common.ts';
import { BodyTooLarge, readBodyLimited } from './body.ts';

const accepted = z
  .object({
    status: z.enum(['accepted', 'rerun', 'exists', 'duplicate_delivery', 'ignored']),
    security_check_id: z.string().optional(),
    job: z.string().nullable().optional(),
    tasks: z.number().optional(),
    message: z.string().optional(),
    reason: z.string().optional(),
  })
  .meta({ id: 'WebhookAnswer' });

const webhookHeaders = z.object({
  'x-gitlab-token': z.string().describe('Secret token of the hook: webhook_secret_token of a GITLAB_CONFIGS instance'),
  'x-gitlab-event': z
    .string()
    .describe('Push Hook, Tag Push Hook, Merge Request Hook or System Hook; other events are answered 200 "ignored"'),
  'idempotency-key': z.string().optional().describe('GitLab ≥ 17.4: stable across retries; redeliveries add no work'),
  'x-gitlab-event-uuid': z.string().optional(),
});

export function intakeApp(deps: AppDeps & { intake: IntakeService; maxBodyBytes: number }) {
  return baseApp(deps).post(
    '/v1/gitlab/webhook',
    async ({ request, set }) => {
      const h = request.headers;
      const contentType = (h.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (contentType !== 'application/json') {
        set.status = 415;
        return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json (as GitLab sends it)' };
      }
      let body: string;
      try {
        body = await readBodyLimited(request, deps.maxBodyBytes);
      } catch (err) {
        set.status = err instanceof BodyTooLarge ? 413 : 400;
        return { code: err instanceof BodyTooLarge ? 'TOO_LARGE' : 'BAD_BODY', message: (err as Error).message };
      }
      const answer = await deps.intake.handle({
        token: h.get('x-gitlab-token'),
        event: h.get('x-gitlab-event'),
        idempotencyKey: h.get('idempotency-key'),
        eventUuid: h.get('x-gitlab-event-uuid'),
        body,
      });
      set.status = answer.status;
      // The body is one of the documented shapes; the union is checked by the response schemas below.
      return answer.body as never;
    },
    {
      parse: 'none',
      detail: {
        summary: 'Receive a GitLab webhook or system hook',
        description:
          'Authenticated by X-Gitlab-Token. Push, tag push and merge request events (project hooks or System Hook) become a check; ' +
          'the answer comes once the check and its tasks are committed, before any scan runs. Unsupported events are answered 200 "ignored".',
        tags: ['intake'],
        parameters: Object.entries(z.toJSONSchema(webhookHeaders).properties ?? {}).map(([name, schema]) => ({
          name,
          in: 'header' as const,
          required: name === 'x-gitlab-token' || name === 'x-gitlab-event',
          schema: schema as object,
        })),
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
      },
      response: {
        200: accepted,
        400: errorBody,
        403: errorBody,
        413: errorBody,
        415: errorBody,
        422: errorBody.extend({ field: z.string().optional() }),
        503: errorBody,
      },
    },
  );
}
