/**
 * The one SecBot note of a merge request (pure): a headline with the verdict, the findings the merge request brought
 * in (own findings of its checks) in a table, findings inherited from earlier history collapsed, and the files that
 * were not scanned. A hidden marker lets SecBot find its note again after a restart. See ./markdown.ts for escaping.
 */
import type { CheckSnapshot, SnapshotFinding, SnapshotUnscanned } from '../../../core/publication.ts';
import { severityRank } from '../../../core/results.ts';
import type { PublishMergeRequest } from '../../types.ts';
import { code, link, noQuickActions } from './markdown.ts';

export interface NoteOptions {
  component: string;
  statusName: string;
  limit: number;
}

export const noteMarker = (component: string) => `<!-- secbot:mr-note ${component.replace(/[^A-Za-z0-9_.-]/g, '_')} -->`;

/** Whether a note is worth creating (an existing note is always kept current). */
export function hasSomethingToSay(s: CheckSnapshot): boolean {
  if (s.phase !== 'final') return false;
  return s.status !== 'success' || s.findings.length > 0 || s.unscanned.length > 0;
}

export function renderNote(s: CheckSnapshot, mr: PublishMergeRequest, o: NoteOptions): string {
  const sha = code(s.check.commitSha.slice(0, 8));
  const lines = [noteMarker(o.component), headline(s, sha), ''];
  const about = [`Commit ${sha}`, `status ${code(o.statusName)}`];
  if (s.pageUrl) about.push(link('check details', s.pageUrl));
  lines.push(about.join(' · '), '');
  if (s.phase !== 'final') {
    lines.push('The findings of this commit appear here when the check finishes.');
    return noQuickActions(lines.join('\n'));
  }
  if (s.status === 'error' || (s.status === 'fail' && !s.findings.some((f) => f.open))) lines.push(`Reason: ${code(s.reason ?? 'the check failed')}`, '');
  const mine = new Set(mr.checkIds);
  const own = s.findings.filter((f) => !f.inherited || mine.has(f.foundBy));
  const inherited = s.findings.filter((f) => f.inherited && !mine.has(f.foundBy));
  if (own.length > 0) lines.push(`**Found in this merge request** (${counted(own)})`, '', ...findingTable(own, o.limit, s.pageUrl), '');
  if (inherited.length > 0) {
    lines.push(`<details><summary>Inherited from earlier commits (${counted(inherited)})</summary>`, '');
    lines.push(...findingTable(inherited, o.limit, s.pageUrl), '', '</details>', '');
  }
  if (s.unscanned.length > 0) {
    lines.push(`**Not scanned** (${s.unscanned.length}): gitleaks could not read these files (binary, or larger than its limit).`, '');
    lines.push(...unscannedTable(s.unscanned, o.limit, s.pageUrl), '');
  }
  if (s.findings.some((f) => f.open)) {
    lines.push('<sub>Rotate the secret and remove it from the history, or triage the finding in DefectDojo (false positive, risk accepted): this note and the status follow without a new push.</sub>');
  }
  return noQuickActions(lines.join('\n').trimEnd());
}

function headline(s: CheckSnapshot, sha: string): string {
  if (s.phase !== 'final') return `### :hourglass: SecBot is checking ${sha}`;
  const open = s.findings.filter((f) => f.open).length;
  if (s.status === 'success') return '### :white_check_mark: SecBot: no open secret findings';
  if (s.status === 'fail') {
    if (open === 0) return '### :red_circle: SecBot: failed';
    return `### :red_circle: SecBot: ${open} open secret finding${open === 1 ? '' : 's'}`;
  }
  return `### :warning: SecBot could not finish checking ${sha}`;
}

function counted(fs: readonly SnapshotFinding[]): string {
  const open = fs.filter((f) => f.open).length;
  const triaged = fs.length - open;
  return triaged > 0 ? `${open} open, ${triaged} triaged` : `${open} open`;
}

function findingTable(fs: readonly SnapshotFinding[], limit: number, pageUrl: string | null): string[] {
  const sorted = [...fs].sort((a, b) => Number(b.open) - Number(a.open) || severityRank(a.severity) - severityRank(b.severity));
  const rows = sorted.slice(0, limit).map((f) => {
    const dojo = f.url ? link(`finding ${findingNumber(f.url)}`, f.url) : 'not recorded';
    const cells = [f.severity, code(f.rule, { inTable: true, max: 80 }), code(`${f.file}:${f.line}`, { inTable: true }), code(f.commit.slice(0, 8)), f.open ? 'open' : 'triaged', dojo];
    return `| ${cells.join(' | ')} |`;
  });
  return ['| Severity | Rule | File | Commit | State | DefectDojo |', '| --- | --- | --- | --- | --- | --- |', ...rows, ...more(fs.length - rows.length, pageUrl)];
}

function unscannedTable(us: readonly SnapshotUnscanned[], limit: number, pageUrl: string | null): string[] {
  const rows = us.slice(0, limit).map((u) => `| ${code(u.file, { inTable: true })} | ${code(u.commit.slice(0, 8))} | ${code(u.reason, { inTable: true, max: 120 })} |`);
  return ['| File | Commit | Why |', '| --- | --- | --- |', ...rows, ...more(us.length - rows.length, pageUrl)];
}

function more(n: number, pageUrl: string | null): string[] {
  return n > 0 ? ['', `… and ${n} more (${link('all of them on the check page', pageUrl)}).`] : [];
}

function findingNumber(url: string): string {
  const last = url.replace(/\/+$/, '').split('/').pop() ?? '';
  return /^\d{1,12}$/.test(last) ? last : '';
}
