/**
 * security_check_id (seed §3.4, §3.5): `<prefix>_<sha256 hex of "<host>:<project path>_<commit sha>">`, byte for
 * byte what the pipeline snippet computes with
 * `echo -n "${CI_SERVER_HOST}:${CI_PROJECT_PATH}_${CI_COMMIT_SHA}" | sha256sum`.
 */
import { createHash } from 'node:crypto';

export function securityCheckId(prefix: string, hostname: string, projectPath: string, commitSha: string): string {
  const digest = createHash('sha256').update(`${hostname}:${projectPath}_${commitSha}`, 'utf8').digest('hex');
  return `${prefix}_${digest}`;
}

export const CHECK_ID_PATTERN = /^[A-Za-z0-9_]+_[0-9a-f]{64}$/;

export function isCheckId(value: string): boolean {
  return value.length <= 300 && CHECK_ID_PATTERN.test(value);
}
