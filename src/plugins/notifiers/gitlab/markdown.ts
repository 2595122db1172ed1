/**
 * Putting text from repositories into GitLab Flavored Markdown safely (pure). Such text (file names, rule ids,
 * reasons) only ever appears inside code spans: GitLab resolves no references (@user, #1, !2, ~label) and no HTML or
 * emphasis there. Control, line and bidi characters are replaced, so nothing can end a table row, start a line, or
 * reorder what a reviewer reads; `|` is escaped inside tables. Finally no line of a note may start with `/`, which
 * GitLab would run as a quick action (/merge, /approve…).
 */

/** C0/C1 controls, DEL, line/paragraph separators and the bidi controls (U+202A–202E, U+2066–2069, marks). */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** Replaces characters that could break the layout or mislead a reader; cuts very long values. */
export function plain(s: string, max = 300): string {
  const cleaned = s.replace(UNSAFE, '\uFFFD');
  const chars = [...cleaned];
  return chars.length <= max ? cleaned : `${chars.slice(0, max - 1).join('')}…`;
}

/** An inline code span holding `s` literally, whatever backticks it contains. */
export function code(s: string, opts: { inTable?: boolean; max?: number } = {}): string {
  let text = plain(s, opts.max);
  if (opts.inTable) text = text.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text.startsWith(' ') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A link to an http(s) URL SecBot built or recorded (the check page, a DefectDojo finding); null for anything else. */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  return u.href.replace(/[\s()<>"'\\`|[\]]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function link(label: string, url: string | null | undefined): string {
  const href = safeUrl(url);
  return href ? `[${label}](${href})` : label;
}

/** The last guard: a line that starts with `/` (after blanks) gets a leading backslash, which Markdown hides. */
export function noQuickActions(body: string): string {
  return body
    .split('\n')
    .map((line) => (/^\s*\//.test(line) ? `\\${line.trimStart()}` : line))
    .join('\n');
}
