/**
 * The Slack message for one check and one output (pure): a header line naming the project (linked), the branch or
 * MR, the commit (linked) and who pushed it; per scan "*gitleaks* found *N* new findings"; then up to `render_limit`
 * findings in all, most severe first, as `<emoji> <url|title> · file:line · commit`; then how many were left out;
 * then the files the scan could not read. A check with no new finding but unscanned files still says so. Text from repositories (titles, branch
 * names, paths) is escaped so it cannot form links or mentions, and neutralised so it cannot reorder or break the
 * text around it (bidi overrides, newlines, control characters); the blocks stay inside Block Kit's limits.
 */
import { describeRef, type CheckRecord } from '../../../core/check.ts';
import { severityRank, type FindingSummary, type Severity } from '../../../core/results.ts';

export const EMOJI: Record<Severity, string> = {
  Critical: ':red_circle:',
  High: ':large_orange_circle:',
  Medium: ':large_yellow_circle:',
  Low: ':large_green_circle:',
  Info: ':white_circle:',
};

const MAX_BLOCKS = 50;
const MAX_SECTION = 3000;

export interface ScanFindings {
  scanName: string;
  findings: FindingSummary[];
  /** Files this check's own scan could not read (inherited ones were reported by the check that met them). */
  unscanned?: readonly { file: string; commit: string; description: string }[];
}

const MAX_UNSCANNED_LISTED = 10;

export interface SlackMessage {
  text: string;
  blocks: Record<string, unknown>[];
}

/** Line and paragraph breaks: in a label or a line they would start a line the sender wrote. */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
/**
 * Bidi embeddings, overrides, isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C): they reorder
 * what follows, so `invoice\u202Efdp.exe` reads as "invoiceexe.pdf". Other C0/C1 controls and DEL have no business
 * in a message either.
 */
const INVISIBLE = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** Breaks become spaces; bidi controls and other control characters become a visible U+FFFD. */
export function neutralise(s: string): string {
  return s.replace(BREAKS, ' ').replace(INVISIBLE, '\uFFFD');
}

/** Neutralises (above) and escapes Slack's control characters (`&` first) in user-controlled text. */
export function escapeText(s: string): string {
  return neutralise(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function linkLabel(s: string): string {
  return escapeText(s.replace(/\|/g, '¦'));
}

const URL_UNSAFE = new RegExp(`${BREAKS.source}|${INVISIBLE.source}`, 'g');

function linkUrl(u: string): string {
  const encoded = u.replace(URL_UNSAFE, (c) => encodeURIComponent(c));
  return encoded.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/ /g, '%20');
}

export function link(url: string | null, label: string): string {
  return url ? `<${linkUrl(url)}|${linkLabel(label)}>` : escapeText(label);
}

export function buildMessage(check: CheckRecord, scans: readonly ScanFindings[], renderLimit: number): SlackMessage | null {
  const fresh = scans.map((s) => ({ scanName: s.scanName, findings: s.findings.filter((f) => f.isNew) }));
  const total = fresh.reduce((n, s) => n + s.findings.length, 0);
  const unscanned = scans.flatMap((s) => s.unscanned ?? []);
  if (total === 0 && unscanned.length === 0) return null;
  const blocks: Record<string, unknown>[] = [section(truncate(`${headerOf(check)}\n${countsOf(fresh).join('\n')}`))];
  const ordered = fresh.flatMap((s) => s.findings).sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
  const lines = ordered.slice(0, Math.max(0, renderLimit)).map((f) => findingLine(check, f));
  // Leave room for the "stripped" and "not scanned" footers.
  const packed = pack(lines, MAX_BLOCKS - 3);
  blocks.push(...packed.sections.map(section));
  const stripped = total - packed.shown;
  if (stripped > 0) blocks.push(section(`:no_bell: *${stripped}* were *stripped* from notification :no_bell:`));
  if (unscanned.length > 0) blocks.push(section(truncate(unscannedLine(check, unscanned))));
  const summary = total > 0 ? countsOf(fresh, false).join(', ') : `${unscanned.length} file(s) not scanned`;
  // The fallback text is mrkdwn too (it is what notifications show): escape it like the blocks.
  const text = escapeText(`${summary} in ${check.projectPath} (${describeRef(check)})`);
  return { text: text.slice(0, 3000), blocks };
}

function commitUrl(check: CheckRecord, sha: string): string {
  return `${check.projectUrl.replace(/\/+$/, '')}/-/commit/${sha}`;
}

function headerOf(check: CheckRecord): string {
  const who = check.userName ? ` · pushed by ${escapeText(check.userName)}` : '';
  return `:rotating_light: ${link(check.projectUrl, check.projectPath)} · ${escapeText(describeRef(check))} · ${link(commitUrl(check, check.commitSha), check.commitSha.slice(0, 8))}${who}`;
}

function countsOf(fresh: readonly ScanFindings[], bold = true): string[] {
  const b = (x: string) => (bold ? `*${x}*` : x);
  return fresh.map((s) => `${b(escapeText(s.scanName))} found ${b(String(s.findings.length))} new finding${s.findings.length === 1 ? '' : 's'}`);
}

function findingLine(check: CheckRecord, f: FindingSummary): string {
  const where = f.file ? ` · \`${escapeText(`${f.file}:${f.line ?? 0}`).replace(/`/g, "'")}\`` : '';
  const commit = f.commit ? ` · ${link(commitUrl(check, f.commit), f.commit.slice(0, 8))}` : '';
  return `${EMOJI[f.severity]} ${link(f.url, f.title)}${where}${commit}`;
}

function unscannedLine(check: CheckRecord, files: readonly { file: string; commit: string; description: string }[]): string {
  const listed = files.slice(0, MAX_UNSCANNED_LISTED).map((u) => `\`${escapeText(u.file).replace(/`/g, "'")}\` (${link(commitUrl(check, u.commit), u.commit.slice(0, 8))})`);
  const more = files.length > MAX_UNSCANNED_LISTED ? ` and ${files.length - MAX_UNSCANNED_LISTED} more` : '';
  return `:warning: *${files.length}* file${files.length === 1 ? ' was' : 's were'} *not scanned* (binary, or larger than max_target_megabytes): ${listed.join(', ')}${more}`;
}

function section(text: string): Record<string, unknown> {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

/** Groups lines into sections of at most 3000 characters, using at most `maxSections` sections. */
function pack(lines: string[], maxSections: number): { sections: string[]; shown: number } {
  const sections: string[] = [];
  let current = '';
  let shown = 0;
  for (const raw of lines) {
    const line = truncate(raw);
    const candidate = current ? `${current}\n${line}` : line;
    if (candidate.length <= MAX_SECTION) {
      current = candidate;
      shown++;
      continue;
    }
    if (sections.length + 1 >= maxSections) break;
    sections.push(current);
    current = line;
    shown++;
  }
  if (current) sections.push(current);
  return { sections, shown };
}

function truncate(s: string): string {
  return s.length <= MAX_SECTION ? s : `${s.slice(0, MAX_SECTION - 1)}…`;
}
