/**
 * The gitleaks scanner: bring the project's cached mirror up to date, pin what SecBot has recorded (covered commits,
 * commits with leaks) as refs, scan every commit reachable from the checked commit that no completed scan covered,
 * and report what it found (masked), what it could not scan, which recorded leaks the commit inherits, and that the
 * commit's whole history is now covered.
 */
import { PermanentError } from '../../../core/errors.ts';
import type { LeakRecord } from '../../../core/leaks.ts';
import type { MaskedContext, ScanReport } from '../../../core/results.ts';
import type { CheckRecord } from '../../../core/check.ts';
import { makeScrubber } from '../../../clients/git/git-env.ts';
import { createMirrorCache, type Mirror, type MirrorCache } from '../../../clients/git/mirror-cache.ts';
import type { PluginContext, PluginDefinition, Scanner, ScanRunContext } from '../../types.ts';
import { gitleaksConfigSchema, type GitleaksConfig } from './config.ts';
import { coveredPrefix, leakPrefix, pinnedAncestors, pinRefs } from './history-refs.ts';
import { planRange, resolveRange, type ResolvedRange } from './range.ts';
import { runGitleaks } from './run-gitleaks.ts';
import { parseRawReport, sanitize, type Sanitized } from './sanitize.ts';
import { unscannedLeaks } from './unscanned-leaks.ts';
import { unscannedAfterScan } from './unscanned.ts';

export const gitleaksDefinition: PluginDefinition<'scanner', GitleaksConfig, Scanner> = {
  handlerName: 'gitleaks',
  kind: 'scanner',
  description: 'Secret scanning with gitleaks over every commit of the history no earlier scan covered (or the whole history)',
  configSchema: gitleaksConfigSchema,
  envParams: [],
  create(ctx) {
    const cache = createMirrorCache({ settings: ctx.settings, logger: ctx.logger });
    return { scan: (run) => scanCheck(ctx, cache, run) };
  },
};

async function scanCheck(ctx: PluginContext<GitleaksConfig>, cache: MirrorCache, run: ScanRunContext): Promise<ScanReport> {
  const { check, instance } = run;
  // The token of one instance must never be sent to another instance's project.
  if (instance.prefix !== check.instancePrefix || instance.host !== check.host) {
    throw new PermanentError(`check ${check.id} belongs to GitLab instance ${check.instancePrefix} (${check.host}), not ${instance.prefix} (${instance.host})`);
  }
  const started = Date.now();
  const request = {
    instance,
    projectPath: check.projectPath,
    commitSha: check.commitSha,
    mergeRequestIid: check.mergeRequest?.iid ?? null,
    signal: run.signal,
    log: run.log,
    timeoutMs: ctx.config.timeout_seconds * 1000,
    prepare: async (mirror: Mirror) => {
      const pinned = await pinRefs(mirror, [
        { prefix: coveredPrefix(run.scanName), commits: run.history.coveredCommits },
        { prefix: leakPrefix(run.scanName), commits: run.history.leakCommits },
      ]);
      run.log.debug('history pinned in the mirror', { pinned: pinned.pinned, absent: pinned.absent });
    },
  };
  return cache.withMirror(request, async (mirror) => {
    const firstSight = run.history.coveredCommits.length === 0;
    const range = await resolveRange(mirror, planRange(check.commitSha, ctx.config.mode, run.scanName, firstSight));
    run.log.debug('gitleaks range resolved', { mode: ctx.config.mode, rule: range.rule, range: range.description, commits: range.commits, git_log_revs: range.revs.join(' ') });
    if (firstSight && ctx.config.mode === 'diff') {
      run.log.info('first scan of this project by this component: scanning its whole history', { commits: range.commits });
    }
    const found = range.commits === 0 ? null : await scanRange(ctx, run, mirror, range);
    const leaks = leakPrefix(run.scanName);
    const inherited = await pinnedAncestors(mirror, [leaks], check.commitSha);
    const covered = new Set(run.history.coveredCommits);
    const history = {
      // An empty range means the commit's history is covered already: recording it again would only grow the table.
      covers: range.commits === 0 ? null : check.commitSha,
      inheritedCommits: inherited.get(leaks)!,
      // Covered commits on the boundary of the range are ancestors: this scan's coverage makes them redundant.
      subsumedCovered: range.boundary.filter((c) => covered.has(c) && c !== check.commitSha),
      firstSight,
    };
    const summary = { mode: ctx.config.mode, range: range.description, commits: range.commits, durationMs: Date.now() - started, firstSight };
    if (!found) {
      run.log.info('nothing new to scan: the commit\'s history is covered by earlier scans', { range: range.description });
      const reason = 'every commit of this history was covered by earlier scans; their findings are inherited';
      return { status: 'skipped', findingCount: 0, reportJson: '[]', leaks: [], history, summary: { ...summary, reason, unscanned: 0 } };
    }
    const secrets = found.leaks.filter((l) => l.kind === 'secret');
    const unscanned = found.leaks.length - secrets.length;
    run.log.info('gitleaks scan finished', {
      range: range.description, rule: range.rule, commits: range.commits, findings: secrets.length, unscanned,
      config: found.configSource, duration_ms: Date.now() - started,
    });
    return {
      status: secrets.length > 0 ? 'leaks' : 'clean',
      findingCount: secrets.length,
      reportJson: JSON.stringify(secrets.map((l) => l.entry)),
      leaks: found.leaks,
      history,
      maskedContext: found.maskedContext,
      summary: { ...summary, durationMs: Date.now() - started, unscanned },
    };
  });
}

interface RangeScan {
  leaks: LeakRecord[];
  maskedContext?: MaskedContext;
  configSource: string;
}

async function scanRange(ctx: PluginContext<GitleaksConfig>, run: ScanRunContext, mirror: Mirror, range: ResolvedRange): Promise<RangeScan> {
  const result = await runGitleaks({
    component: ctx.name,
    bin: ctx.settings.gitleaksBin,
    gitBin: ctx.settings.gitBin,
    config: ctx.config,
    mirror,
    commitSha: run.check.commitSha,
    revs: range.revs,
    signal: run.signal,
    log: run.log,
    scrub: makeScrubber(run.instance.authToken),
  });
  // Raw secrets live only inside this block: fingerprinted, masked everywhere, then dropped with `result`.
  const sanitized = sanitize(parseRawReport(result.rawReport), ctx.settings.fingerprintKey);
  const skipped = await unscannedAfterScan(mirror, range.revs, ctx.config.max_target_megabytes, result.commitsScanned);
  const unscanned = unscannedLeaks(skipped, sanitized.mask, ctx.config.max_target_megabytes);
  return { leaks: [...sanitized.leaks, ...unscanned], maskedContext: maskContext(run.check, sanitized), configSource: result.configSource };
}

function maskContext(check: CheckRecord, s: Sanitized): MaskedContext | undefined {
  const fields: [keyof MaskedContext, string | null | undefined][] = [
    ['refName', check.ref.name],
    ['sourceBranch', check.mergeRequest?.sourceBranch],
    ['targetBranch', check.mergeRequest?.targetBranch],
    ['mrTitle', check.mergeRequest?.title],
    ['userName', check.userName],
  ];
  const masked: MaskedContext = {};
  for (const [k, v] of fields) if (v && s.holds(v)) masked[k] = s.mask(v);
  return Object.keys(masked).length > 0 ? masked : undefined;
}
