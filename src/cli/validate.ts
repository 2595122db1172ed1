/**
 * `secbot config validate`: settings + config.yml (every problem at once, see load.ts), and optionally what an
 * event would do: which job it runs and its check id, or why it would be ignored, rejected or recorded as error.
 * Exit status: 0 when the event would be checked (or ignored by design), 1 when it would be rejected, is invalid,
 * or several jobs match it.
 */
import { readFileSync } from 'node:fs';
import type { Job } from '../config/workflow.ts';
import { suggestion } from '../config/suggest.ts';
import { securityCheckId } from '../core/check-id.ts';
import { ConfigError } from '../core/errors.ts';
import { planJob } from '../core/planning.ts';
import { explainRules, route, scalarPaths } from '../core/routing.ts';
import { classify } from '../core/webhook.ts';
import type { EventType } from '../core/check.ts';
import type { Loaded } from './load.ts';

export interface ValidateResult {
  lines: string[];
  ok: boolean;
}

export function validateCommand(loaded: Loaded, eventFile?: string, eventType?: string): ValidateResult {
  const { settings, workflow } = loaded;
  const out: string[] = [];
  out.push(`settings: ok (${settings.gitlab.length} GitLab instance(s): ${settings.gitlab.map((g) => `${g.prefix}@${g.host}`).join(', ')})`);
  out.push(`${settings.configPath}: ok (${workflow.components.size} components, ${workflow.jobs.length} jobs)`);
  for (const w of [...loaded.warnings, ...workflow.warnings]) out.push(`warning: ${w}`);
  if (!eventFile) return { lines: out, ok: true };
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(eventFile, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${eventFile}: cannot read the event payload: ${(err as Error).message}`);
  }
  const header = eventType ?? 'System Hook';
  const c = classify(header, body);
  if (c.kind === 'ignored') return { lines: [...out, `event: ignored (${c.reason}); SecBot answers 200 and checks nothing`], ok: true };
  if (c.kind === 'invalid') return { lines: [...out, `event: invalid: ${c.field}: ${c.message} (SecBot would answer 422)`], ok: false };
  const host = new URL(c.webUrl).host.toLowerCase();
  const inst = settings.gitlab.find((g) => g.host === host);
  if (!inst) {
    const known = settings.gitlab.map((g) => g.host).join(', ');
    return { lines: [...out, `event: rejected: project.web_url host ${host} is not in GITLAB_CONFIGS (${known}); SecBot would answer 403 WRONG_INSTANCE`], ok: false };
  }
  const ctx = c.build({ prefix: inst.prefix, host: inst.host, hostname: inst.hostname });
  out.push(`event: ${c.eventType} of ${ctx.projectPath} at ${ctx.commitSha}`);
  out.push(`security_check_id: ${securityCheckId(inst.prefix, inst.hostname, ctx.projectPath, ctx.commitSha)}`);
  out.push(...ruleReport(workflow.jobs, c.eventType, body));
  const r = route(workflow.jobs, c.eventType, body);
  if (r.kind === 'none') return { lines: [...out, 'job: none matches (SecBot would answer 200 "ignored" and check nothing)'], ok: true };
  if (r.kind === 'many') {
    return { lines: [...out, `job: ERROR, several match (${r.jobs.map((j) => j.name).join(', ')}); the check would be recorded as error`], ok: false };
  }
  const tasks = planJob(r.job);
  return { lines: [...out, `job: ${r.job.name} (${tasks.length} tasks: ${tasks.map((t) => t.name).join(', ')})`], ok: true };
}

/** Per job: every rule that does not match, and why; a rule path the payload does not have is named as such. */
function ruleReport(jobs: readonly Job[], eventType: EventType, body: unknown): string[] {
  const lines: string[] = [];
  const paths = scalarPaths(body);
  jobs.forEach((job, idx) => {
    const checks = explainRules(job, eventType, body);
    if (!job.rules.gitlab) lines.push(`  jobs[${idx}] (${job.name}): has no rules.gitlab, so it matches no event`);
    for (const r of checks.filter((x) => !x.matches)) {
      const at = `  jobs[${idx}] (${job.name}): rules.gitlab.${r.key}`;
      if (!r.present) lines.push(`${at}: the payload has no ${r.key}${suggestion(r.key, paths)}`);
      else if (r.value === undefined) lines.push(`${at}: ${r.key} is an object or a list in the payload, not a value`);
      else lines.push(`${at}: "${r.value}" does not match ${r.pattern.source}`);
    }
  });
  return lines.length ? ['rules that do not match this event:', ...lines] : [];
}
