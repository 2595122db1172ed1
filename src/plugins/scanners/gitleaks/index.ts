/**
 * The gitleaks scanner: bring the project's cached mirror up to date, decide which commits this check covers,
 * run gitleaks on exactly those, and report what it found (redacted). Nothing to scan is a `skipped` result,
 * not an error.
 */
import { PermanentError } from '../../../core/errors.ts';
import type { ScanReport } from '../../../core/results.ts';
import { makeScrubber } from '../../../clients/git/git-env.ts';
import { createMirrorCache, type MirrorCache } from '../../../clients/git/mirror-cache.ts';
import type { PluginContext, PluginDefinition, Scanner, TaskRunContext } from '../../types.ts';
import { gitleaksConfigSchema, type GitleaksConfig } from './config.ts';
import { resolveRange } from './range.ts';
import { buildScanReport, skippedReport } from './report.ts';
import { runGitleaks } from './run-gitleaks.ts';

export const gitleaksDefinition: PluginDefinition<'scanner', GitleaksConfig, Scanner> = {
  handlerName: 'gitleaks',
  kind: 'scanner',
  description: 'Secret scanning with gitleaks over the commits a push, tag or merge request brings (or the whole history)',
  configSchema: gitleaksConfigSchema,
  envParams: [],
  create(ctx) {
    const cache = createMirrorCache({ settings: ctx.settings, logger: ctx.logger });
    return { scan: (run) => scanCheck(ctx, cache, run) };
  },
};

async function scanCheck(ctx: PluginContext<GitleaksConfig>, cache: MirrorCache, run: TaskRunContext): Promise<ScanReport> {
  const { check, instance } = run;
  // The token of one instance must never be sent to another instance's project.
  if (instance.prefix !== check.instancePrefix || instance.host !== check.host) {
    throw new PermanentError(`check ${check.id} belongs to GitLab instance ${check.instancePrefix} (${check.host}), not ${instance.prefix} (${instance.host})`);
  }
  const started = Date.now();
  const mode = ctx.config.mode;
  const request = {
    instance,
    projectPath: check.projectPath,
    commitSha: check.commitSha,
    mergeRequestIid: check.mergeRequest?.iid ?? null,
    signal: run.signal,
    log: run.log,
    timeoutMs: ctx.config.timeout_seconds * 1000,
  };
  return cache.withMirror(request, async (mirror) => {
    const range = await resolveRange(mirror, check, mode);
    const summary = () => ({ mode, range: range.description, commits: range.commits, durationMs: Date.now() - started });
    run.log.debug('gitleaks range resolved', { mode, rule: range.rule, range: range.description, commits: range.commits, git_log_revs: range.revs.join(' ') });
    if (range.commits === 0) {
      run.log.info('gitleaks scan skipped: no new commits', { range: range.description, rule: range.rule });
      return skippedReport(summary(), `no commits to scan in ${range.description}: everything is already on another branch or tag`);
    }
    const result = await runGitleaks({
      component: ctx.name,
      bin: ctx.settings.gitleaksBin,
      gitBin: ctx.settings.gitBin,
      config: ctx.config,
      mirror,
      commitSha: check.commitSha,
      revs: range.revs,
      signal: run.signal,
      log: run.log,
      scrub: makeScrubber(instance.authToken),
    });
    const report = buildScanReport(result.reportJson, summary());
    run.log.info('gitleaks scan finished', {
      range: range.description, rule: range.rule, commits: range.commits, findings: report.findingCount, config: result.configSource,
      duration_ms: report.summary.durationMs,
    });
    return report;
  });
}
