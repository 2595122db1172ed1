/**
 * The check page as server-rendered HTML (pure). Every value is escaped; links are only ever http(s); there is no
 * script at all, and the one stylesheet is allowed by its hash in a strict Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import type { CheckPageData, CheckPageDetails, TimelineEntry } from '../services/check-page.ts';
import type { SnapshotFinding } from '../core/publication.ts';
import { jobLabel } from '../core/job-set.ts';

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.verdict{display:inline-block;padding:4px 12px;border-radius:14px;font-weight:600;color:#fff;background:#6e7781}
.verdict[data-status=fail],.verdict[data-status=error]{background:#cf222e}.verdict[data-status=success]{background:#1a7f37}
.verdict[data-status=in_progress]{background:#9a6700}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px;margin-top:16px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
tr.finding td:nth-child(2){min-width:9em}tr.finding td:nth-child(3){min-width:14em}tr.finding td:nth-child(4){white-space:nowrap}
.open{color:#cf222e;font-weight:600}.triaged{color:#1a7f37}.muted{color:#656d76}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}dt{color:#656d76}
dd{margin:0}form{display:flex;gap:8px;margin-top:12px}input[type=password]{flex:1;padding:6px}
`;

/** The CSP allows exactly this stylesheet: no script, no other style, no frames, forms only to this page. */
export const CHECK_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "img-src 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function esc(v: unknown): string {
  return String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** An anchor for an http(s) URL; anything else is shown as text. */
export function anchor(url: string | null | undefined, label: string, id?: string): string {
  let ok = false;
  try {
    ok = url ? ['http:', 'https:'].includes(new URL(url).protocol) : false;
  } catch {
    ok = false;
  }
  const idAttr = id ? ` id="${esc(id)}"` : '';
  return ok ? `<a${idAttr} href="${esc(url)}" rel="noopener noreferrer">${esc(label)}</a>` : `<span${idAttr}>${esc(label)}</span>`;
}

const time = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '—');

const LABEL: Record<string, string> = {
  not_started: 'not started',
  in_progress: 'in progress',
  error: 'error',
  fail: 'fail',
  success: 'success',
};

export function renderCheckPage(d: CheckPageData, o: { tokenRequired: boolean; unlockFailed?: boolean }): string {
  const parts = [
    `<h1>SecBot check</h1><p class="muted"><code id="check-id">${esc(d.id)}</code></p>`,
    `<div class="card"><span id="verdict" class="verdict" data-status="${esc(d.status)}">${esc(LABEL[d.status] ?? d.status)}</span>`,
    d.reason ? ` <span id="reason">${esc(d.reason)}</span>` : '',
    d.stale ? ' <span class="muted" id="stale">(triage could not be re-read; last known state)</span>' : '',
    d.status === 'not_started' ? '<p id="not-started">SecBot has no check for this id yet: the webhook has not arrived, or the event was ignored.</p>' : '',
    d.counts ? countsLine(d.counts) : '',
    '</div>',
  ];
  if (d.details) parts.push(details(d.details));
  else if (o.tokenRequired && d.status !== 'not_started') parts.push(unlockForm(d.id, o.unlockFailed === true));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>SecBot · ${esc(LABEL[d.status] ?? d.status)}</title><style>${STYLE}</style></head>
<body><main>${parts.join('')}</main></body></html>`;
}

function countsLine(c: NonNullable<CheckPageData['counts']>): string {
  return `<p id="counts">${esc(c.open)} open of ${esc(c.findings)} finding(s) · ${esc(c.inherited)} inherited · ${esc(c.unscanned)} file(s) not scanned</p>`;
}

function unlockForm(id: string, failed: boolean): string {
  return `<div class="card" id="unlock"><p>Details (files, findings, links, task errors) are shown with the results read token.</p>
${failed ? '<p class="open" id="unlock-failed">That token is not valid.</p>' : ''}
<form method="post" action="/checks/${esc(id)}/unlock"><input type="password" name="token" autocomplete="off" aria-label="results token" required><button type="submit">Show details</button></form></div>`;
}

function details(d: CheckPageDetails): string {
  const c = d.check;
  const mrs = d.mergeRequests.map((m) => `${anchor(m.url, `!${m.iid}`)} <span class="muted">(${esc(m.state)})</span>`).join(', ');
  const info = [
    ['Project', anchor(d.links.project, c.projectPath, 'project')],
    ['Ref', anchor(d.links.ref, d.refLabel, 'ref')],
    ['Commit', anchor(d.links.commit, c.commitSha, 'commit')],
    ['Merge requests', mrs || '<span class="muted">none known</span>'],
    ['Event', esc(c.eventType)],
    ['Job', esc(jobLabel(c.jobName) ?? '—')],
    ['Accepted', esc(time(c.createdAt))],
  ];
  const own = d.findings.filter((f) => !f.inherited);
  const inherited = d.findings.filter((f) => f.inherited);
  return [
    `<div class="card"><dl id="about">${info.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl></div>`,
    '<h2>Scanned</h2>',
    table('scans', ['Scan', 'State', 'Result', 'Range', 'Commits', 'Note'], d.scans.map((s) => [
      esc(s.name), esc(s.state), esc(s.result ?? '—'), `<code id="range">${esc(s.range ?? '—')}</code>`, esc(s.commits ?? '—'),
      esc([s.firstSight ? 'first sight: whole history' : '', s.note ?? ''].filter(Boolean).join('; ') || '—'),
    ]), 'No scan yet.'),
    `<h2>Findings of this check (${own.length})</h2>`,
    findingTable('findings', own),
    `<h2>Inherited from earlier commits (${inherited.length})</h2>`,
    findingTable('inherited', inherited),
    `<h2>Not scanned (${d.unscanned.length})</h2>`,
    table('unscanned', ['File', 'Commit', 'Why', 'Inherited'], d.unscanned.map((u) => [
      `<code>${esc(u.file)}</code>`, `<code>${esc(u.commit.slice(0, 12))}</code>`, esc(u.reason), u.inherited ? 'yes' : 'no',
    ]), 'Every file of the history was scanned.'),
    d.publications.length > 0 ? '<h2>GitLab</h2>' : '',
    d.publications.length > 0 ? table('gitlab', ['Notifier', 'State', 'Last error'], d.publications.map((p) => [esc(p.notifier), esc(p.state), esc(p.lastError ?? '—')]), '') : '',
    '<h2>Timeline</h2>',
    timeline(d.timeline),
  ].join('');
}

function findingTable(id: string, fs: readonly SnapshotFinding[]): string {
  return table(id, ['Severity', 'Rule', 'File', 'Commit', 'State', 'DefectDojo'], fs.map((f) => [
    esc(f.severity), `<code>${esc(f.rule)}</code>`, `<code>${esc(`${f.file}:${f.line}`)}</code>`, `<code>${esc(f.commit.slice(0, 12))}</code>`,
    f.open ? '<span class="open">open</span>' : '<span class="triaged">triaged</span>',
    f.url ? anchor(f.url, f.title) : `<span class="muted">${esc(f.title)} (not recorded)</span>`,
  ]), 'None.', 'finding');
}

function table(id: string, head: string[], rows: string[][], empty: string, rowClass?: string): string {
  if (rows.length === 0) return empty ? `<p class="muted" id="${esc(id)}-empty">${esc(empty)}</p>` : '';
  const cls = rowClass ? ` class="${esc(rowClass)}"` : '';
  return `<table id="${esc(id)}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr${cls}>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function timeline(entries: readonly TimelineEntry[]): string {
  return table('timeline', ['Time', 'What', 'Detail'], entries.map((e) => [esc(time(e.at)), esc(e.what), e.detail ? `<code>${esc(e.detail)}</code>` : '']), '');
}
