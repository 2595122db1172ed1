/** The results instance (:5001): the gate CI pipelines poll, and the admin API. */
import { z } from 'zod';
import { GATE_STATUSES } from '../core/gate.ts';
import { isCheckId } from '../core/check-id.ts';
import type { StatusService } from '../services/status-service.ts';
import type { AdminService } from '../services/admin-service.ts';
import { baseApp, errorBody, type AppDeps } from './common.ts';
import { ADMIN_SECURITY_SCHEMES, adminApp } from './admin-routes.ts';
import { limitedAnswer } from '../services/public-view.ts';
import type { CheckPageDeps } from '../services/check-page.ts';
import { checkPageRoutes } from './check-page-routes.ts';
import { resultsAuth } from './results-auth.ts';

const statusBody = z
  .looseObject({
    status: z.enum(GATE_STATUSES as [string, ...string[]]),
    security_check_id: z.string(),
  })
  .meta({ id: 'CheckStatus' });

export function resultsApp(
  deps: AppDeps & {
    status: StatusService;
    admin: { service: AdminService; token: string } | null;
    /** SECBOT_RESULTS_TOKEN: without it in the request, answers carry status, reason and counts only. */
    resultsToken?: string;
    page?: CheckPageDeps;
  },
) {
  const auth = resultsAuth(deps.resultsToken);
  const app = baseApp({ ...deps, securitySchemes: deps.admin ? ADMIN_SECURITY_SCHEMES : undefined }).get(
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
      const full = await deps.status.status(id);
      return auth.bearerOk(request.headers.get('authorization')) ? full : limitedAnswer(full);
    },
    {
      detail: {
        summary: 'Status of a security check',
        description:
          'Always 200 for a well-formed id: `not_started` (no such check yet), `in_progress`, `error`, `fail` (open findings) or `success`. ' +
          'The id is `<prefix>_<sha256 of "<CI_SERVER_HOST>:<CI_PROJECT_PATH>_<CI_COMMIT_SHA>">`. Triage in DefectDojo is reflected within the cache TTL. ' +
          'When SECBOT_RESULTS_TOKEN is set, only `Authorization: Bearer <token>` gets the details; other callers get status, reason and counts.',
        tags: ['gate'],
      },
      response: { 200: statusBody, 422: errorBody },
    },
  );
  const withPage = deps.page ? app.use(checkPageRoutes(deps.page, auth)) : app;
  return deps.admin ? withPage.use(adminApp(deps.admin.service, deps.admin.token)) : withPage;
}
