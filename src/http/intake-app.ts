/** The intake instance (:5000): GitLab project webhooks and system hooks arrive at POST /v1/gitlab/webhook. */
import type { ClientInfo, IntakeService } from '../services/intake-service.ts';
import { BodyBudget, BodyTooLarge, BudgetExhausted, type HeldBody, readBodyHeld } from './body.ts';
import { type AppDeps, baseApp } from './common.ts';
import { responseSchemas } from './openapi/document.ts';
import { GITLAB_TOKEN_SCHEME, WEBHOOK_OPERATION } from './openapi/operations.ts';

/** Seconds a sender refused for lack of buffer budget should wait: bodies are held for milliseconds. */
export const OVERLOADED_RETRY_AFTER_S = 5;

export function intakeApp(
  deps: Omit<AppDeps, 'operations' | 'securitySchemes'> & { intake: IntakeService; maxBodyBytes: number; bufferBytes: number },
) {
  const budget = new BodyBudget(deps.bufferBytes);
  deps.metrics.registry.onCollect(async () => deps.metrics.intakeBufferedBytes.set({}, budget.inUse));
  return baseApp({ ...deps, operations: [WEBHOOK_OPERATION], securitySchemes: GITLAB_TOKEN_SCHEME }).post(
    '/v1/gitlab/webhook',
    async ({ request, set, server }) => {
      const h = request.headers;
      const client = clientOf(request, server);
      const contentType = (h.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (contentType !== 'application/json') {
        deps.logger.warn('webhook delivery rejected: unsupported media type', { http_status: 415, content_type: contentType || null, event: h.get('x-gitlab-event'), ...client });
        set.status = 415;
        return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json (as GitLab sends it)' };
      }
      const headers = {
        token: h.get('x-gitlab-token'),
        event: h.get('x-gitlab-event'),
        idempotencyKey: h.get('idempotency-key'),
        eventUuid: h.get('x-gitlab-event-uuid'),
        client,
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
        const tooLarge = err instanceof BodyTooLarge;
        deps.logger.warn(`webhook delivery rejected: ${tooLarge ? 'body too large' : 'body unreadable'}`, {
          http_status: tooLarge ? 413 : 400,
          error: err,
          event: headers.event,
          instance: auth.instance.prefix,
          ...client,
        });
        set.status = tooLarge ? 413 : 400;
        return { code: tooLarge ? 'TOO_LARGE' : 'BAD_BODY', message: (err as Error).message };
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
    { parse: 'none', response: responseSchemas(WEBHOOK_OPERATION) },
  );
}

/** Who sent a delivery, for the logs: the socket's address and, behind a proxy, what it forwarded (unverified). */
export function clientOf(request: Request, server: { requestIP(r: Request): { address: string } | null } | null): ClientInfo {
  const forwarded = request.headers.get('x-forwarded-for');
  return { client: server?.requestIP(request)?.address ?? null, ...(forwarded ? { forwarded_for: forwarded.slice(0, 200) } : {}) };
}
