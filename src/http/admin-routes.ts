/** Admin API (results instance), enabled by SECBOT_ADMIN_TOKEN and authenticated with `Authorization: Bearer`. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Elysia } from 'elysia';
import { z } from 'zod';
import { isCheckId } from '../core/check-id.ts';
import { GATE_STATUSES } from '../core/gate.ts';
import type { AdminService } from '../services/admin-service.ts';
import { responseSchemas } from './openapi/document.ts';
import { ADMIN_LIST_OPERATION, ADMIN_RERUN_OPERATION, ADMIN_SHOW_OPERATION } from './openapi/operations.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function adminApp(admin: AdminService, adminToken: string) {
  const expected = digest(adminToken);
  const authorised = (header: string | null) => {
    const m = /^Bearer (.+)$/.exec(header ?? '');
    return m !== null && timingSafeEqual(digest(m[1]!), expected);
  };
  return new Elysia({ name: 'secbot-admin', prefix: '/v1/admin' })
    .onBeforeHandle(({ request, set }) => {
      if (!authorised(request.headers.get('authorization'))) {
        set.status = 401;
        return { code: 'UNAUTHORIZED', message: 'send Authorization: Bearer <SECBOT_ADMIN_TOKEN>' };
      }
    })
    .get(
      '/checks',
      async ({ query, set }) => {
        const q = adminListQuery.safeParse(query);
        if (!q.success) {
          set.status = 422;
          return { code: 'INVALID_QUERY', message: q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
        }
        return { checks: await admin.list(q.data) };
      },
      { response: responseSchemas(ADMIN_LIST_OPERATION) },
    )
    .get(
      '/checks/:id',
      async ({ params, set }) => {
        const found = isCheckId(params.id) ? await admin.show(params.id) : null;
        if (!found) {
          set.status = 404;
          return { code: 'NOT_FOUND', message: 'no such check' };
        }
        return found;
      },
      { response: responseSchemas(ADMIN_SHOW_OPERATION) },
    )
    .post(
      '/checks/:id/rerun',
      async ({ params, set }) => {
        if (!isCheckId(params.id)) {
          set.status = 404;
          return { code: 'NOT_FOUND', message: 'no such check' };
        }
        const r = await admin.rerun(params.id);
        if (!r.ok) {
          set.status = r.status;
          return { code: r.status === 404 ? 'NOT_FOUND' : 'CONFLICT', message: r.message };
        }
        set.status = 202;
        return { status: 'rerun', security_check_id: params.id, generation: r.generation };
      },
      { response: responseSchemas(ADMIN_RERUN_OPERATION) },
    );
}

export const adminListQuery = z.object({
  // No project path has control characters, and Postgres cannot even bind a NUL (it answered 500).
  project: z.string().max(1024).regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters').optional(),
  status: z.enum(GATE_STATUSES as [string, ...string[]]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().positive().optional(),
});
