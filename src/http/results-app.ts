/** The results instance (:5001): the gate CI pipelines poll, and the admin API. */
import { isCheckId } from '../core/check-id.ts';
import type { AdminService } from '../services/admin-service.ts';
import type { StatusService } from '../services/status-service.ts';
import { adminApp } from './admin-routes.ts';
import { type AppDeps, baseApp } from './common.ts';
import { responseSchemas } from './openapi/document.ts';
import { ADMIN_OPERATIONS, ADMIN_SECURITY_SCHEMES, GATE_OPERATION } from './openapi/operations.ts';

export function resultsApp(
  deps: Omit<AppDeps, 'operations' | 'securitySchemes'> & { status: StatusService; admin: { service: AdminService; token: string } | null },
) {
  const operations = deps.admin ? [GATE_OPERATION, ...ADMIN_OPERATIONS] : [GATE_OPERATION];
  const app = baseApp({ ...deps, operations, securitySchemes: deps.admin ? ADMIN_SECURITY_SCHEMES : undefined }).get(
    '/v1/security/gitlab/check/:security_check_id',
    async ({ params, set }) => {
      const id = params.security_check_id;
      if (!isCheckId(id)) {
        set.status = 422;
        return {
          code: 'INVALID_CHECK_ID',
          message: 'security_check_id must be <PREFIX>_<64 hex digits> (see the pipeline snippet in the docs)',
        };
      }
      return deps.status.status(id);
    },
    { response: responseSchemas(GATE_OPERATION) },
  );
  return deps.admin ? app.use(adminApp(deps.admin.service, deps.admin.token)) : app;
}
