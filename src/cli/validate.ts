/** `secbot config validate`: settings + config.yml, and optionally which job an event would run and its check id. */
import { readFileSync } from 'node:fs';
import { securityCheckId } from '../core/check-id.ts';
import { route } from '../core/routing.ts';
import { classify } from '../core/webhook.ts';
import { planJob } from '../core/planning.ts';
import { ConfigError } from '../core/errors.ts';
import type { Loaded } from './load.ts';

export function validateCommand(loaded: Loaded, eventFile?: string, eventType?: string): string[] {
  const { settings, workflow } = loaded;
  const out: string[] = [];
  out.push(`settings: ok (${settings.gitlab.length} GitLab instance(s): ${settings.gitlab.map((g) => `${g.prefix}@${g.host}`).join(', ')})`);
  out.push(`${settings.configPath}: ok (${workflow.components.size} components, ${workflow.jobs.length} jobs)`);
  for (const w of workflow.warnings) out.push(`warning: ${w}`);
  if (!eventFile) return out;
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(eventFile, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${eventFile}: cannot read the event payload: ${(err as Error).message}`);
  }
  const header = eventType ?? 'System Hook';
  const c = classify(header, body);
  if (c.kind === 'ignored') return [...out, `event: ignored (${c.reason})`];
  if (c.kind === 'invalid') return [...out, `event: invalid: ${c.field}: ${c.message}`];
  const host = new URL(c.webUrl).host.toLowerCase();
  const inst = settings.gitlab.find((g) => g.host === host);
  if (!inst) return [...out, `event: rejected: project.web_url host ${host} is not in GITLAB_CONFIGS`];
  const ctx = c.build({ prefix: inst.prefix, host: inst.host, hostname: inst.hostname });
  out.push(`event: ${c.eventType} of ${ctx.projectPath} at ${ctx.commitSha}`);
  out.push(`security_check_id: ${securityCheckId(inst.prefix, inst.hostname, ctx.projectPath, ctx.commitSha)}`);
  const r = route(workflow.jobs, c.eventType, body);
  if (r.kind === 'none') out.push('job: none matches (the event would be ignored)');
  else if (r.kind === 'many') out.push(`job: ERROR, several match (${r.jobs.map((j) => j.name).join(', ')}); the check would be recorded as error`);
  else out.push(`job: ${r.job.name} (${planJob(r.job).length} tasks: ${planJob(r.job).map((t) => t.name).join(', ')})`);
  return out;
}
