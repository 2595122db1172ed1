/** The results instance (:5001): the gate CI pipelines poll, the check page, and the admin API. */
import { isCheckId } from '../core/check-id.ts';
import type { AdminService } from '../services/admin-service.ts';
import type { CheckPageDeps } from '../services/check-page.ts';
import { limitedAnswer } from '../services/public-view.ts';
import type { StatusService } from '../services/status-service.ts';
import { adminApp } from './admin-routes.ts';
import { checkPageRoutes } from './check-page-routes.ts';
import { type AppDeps, baseApp } from './common.ts';
import { CHECK_PAGE_OPERATIONS } from './openapi/check-page-operations.ts';
import { responseSchemas } from './openapi/document.ts';
import { ADMIN_OPERATIONS, ADMIN_SECURITY_SCHEMES, GATE_OPERATION } from './openapi/operations.ts';
import { resultsAuth } from './results-auth.ts';

const JSON_HEADERS = { 'content-type': 'application/json;charset=utf-8' };

export function resultsApp(
  deps: Omit<AppDeps, 'operations' | 'securitySchemes'> & {
    status: StatusService;
    admin: { service: AdminService; token: string } | null;
    /** SECBOT_RESULTS_TOKEN: without it in the request, answers carry status, reason and counts only. */
    resultsToken?: string;
    /** The check page (`GET /checks/{id}`), when this process serves it. */
    page?: CheckPageDeps;
  },
) {
  const auth = resultsAuth(deps.resultsToken);
  const operations = [GATE_OPERATION, ...(deps.page ? CHECK_PAGE_OPERATIONS : []), ...(deps.admin ? ADMIN_OPERATIONS : [])];
  const app = baseApp({ ...deps, operations, securitySchemes: deps.admin ? ADMIN_SECURITY_SCHEMES : undefined }).get(
    '/v1/security/gitlab/check/:security_check_id',
    async ({ params, set, request }) => {
      const id = params.security_check_id;
      if (!isCheckId(id)) {
        set.status = 422;
        return {
          code: 'INVALID_CHECK_ID',
          message: 'security_check_id must be <PREFIX>_<64 hex digits> (see the pipeline snippet in the docs)',
        };
      }
      const { body, cached } = await deps.status.answer(id);
      if (!auth.bearerOk(request.headers.get('authorization'))) {
        if (!cached) return limitedAnswer(body);
        cached.limited ??= limitedAnswer(cached.body);
        return cached.limited;
      }
      // A cached answer was checked against the response schema when it was first sent; its JSON goes out as is.
      return cached ? (new Response(cached.json, { headers: JSON_HEADERS }) as never) : body;
    },
    { response: responseSchemas(GATE_OPERATION) },
  );
  const withPage = deps.page ? app.use(checkPageRoutes(deps.page, auth)) : app;
  return deps.admin ? withPage.use(adminApp(deps.admin.service, deps.admin.token)) : withPage;
}
