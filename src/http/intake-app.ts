/** The intake instance (:5000): GitLab project webhooks and system hooks arrive at POST /v1/gitlab/webhook. */
import { z } from 'zod';
import type { IntakeService } from '../services/intake-service.ts';
import { baseApp, errorBody, type AppDeps } from './common.ts';
import { BodyBudget, BodyTooLarge, BudgetExhausted, readBodyHeld, type HeldBody } from './body.ts';

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

/** Seconds a sender refused for lack of buffer budget should wait: bodies are held for milliseconds. */
export const OVERLOADED_RETRY_AFTER_S = 5;

export function intakeApp(deps: AppDeps & { intake: IntakeService; maxBodyBytes: number; bufferBytes: number }) {
  const budget = new BodyBudget(deps.bufferBytes);
  deps.metrics.registry.onCollect(async () => deps.metrics.intakeBufferedBytes.set({}, budget.inUse));
  return baseApp(deps).post(
    '/v1/gitlab/webhook',
    async ({ request, set }) => {
      const h = request.headers;
      const contentType = (h.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (contentType !== 'application/json') {
        set.status = 415;
        return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json (as GitLab sends it)' };
      }
      const headers = {
        token: h.get('x-gitlab-token'),
        event: h.get('x-gitlab-event'),
        idempotencyKey: h.get('idempotency-key'),
        eventUuid: h.get('x-gitlab-event-uuid'),
      };
      // The token is checked before a byte of the body is read: a stranger's 25 MB costs nothing (Bun discards it).
      const auth = deps.intake.authenticate(headers);
      if (auth.kind === 'rejected') {
        set.status = auth.answer.status;
        return auth.answer.body as never;
      }
      let held: HeldBody;
      try {
        held = await readBodyHeld(request, deps.maxBodyBytes, budget);
      } catch (err) {
        if (err instanceof BudgetExhausted) {
          const answer = deps.intake.overloaded(headers, err.message);
          set.status = answer.status;
          set.headers['retry-after'] = String(OVERLOADED_RETRY_AFTER_S);
          return answer.body as never;
        }
        set.status = err instanceof BodyTooLarge ? 413 : 400;
        return { code: err instanceof BodyTooLarge ? 'TOO_LARGE' : 'BAD_BODY', message: (err as Error).message };
      }
      try {
        const answer = await deps.intake.handleAuthenticated({ ...headers, body: held.text }, auth.instance);
        set.status = answer.status;
        // The body is one of the documented shapes; the union is checked by the response schemas below.
        return answer.body as never;
      } finally {
        held.release();
      }
    },
    {
      parse: 'none',
      detail: {
        summary: 'Receive a GitLab webhook or system hook',
        description:
          'Authenticated by X-Gitlab-Token. Push, tag push and merge request events (project hooks or System Hook) become a check; ' +
          'the answer comes once the check and its tasks are committed, before any scan runs. Unsupported events are answered 200 "ignored". ' +
          'A wrong token is refused from the headers, before the body is read. When the bodies being handled at once already fill ' +
          'SECBOT_INTAKE_BUFFER_BYTES the answer is 503 OVERLOADED with Retry-After: nothing was stored, resend it.',
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
