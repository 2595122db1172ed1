/** The GitLab notifier's pure parts: status mapping, the MR note and Markdown escaping of repository text. */
import { describe, expect, test } from 'bun:test';
import type { CheckRecord } from '../../../src/core/check.ts';
import type { CheckSnapshot, SnapshotFinding } from '../../../src/core/publication.ts';
import { stateKeyOf } from '../../../src/core/publication.ts';
import { code, noQuickActions, safeUrl } from '../../../src/plugins/notifiers/gitlab/markdown.ts';
import { hasSomethingToSay, noteMarker, renderNote } from '../../../src/plugins/notifiers/gitlab/note.ts';
import { desiredStatus, isBackwards } from '../../../src/plugins/notifiers/gitlab/status.ts';

const SHA = 'a'.repeat(40);
const check: CheckRecord = {
  id: `GIT_${'0'.repeat(64)}`, generation: 1, jobName: 'secrets', createdAt: 0, eventType: 'merge_request', instancePrefix: 'GIT', host: 'gitlab.example',
  hostname: 'gitlab.example', projectPath: 'acme/app', projectId: 5, projectUrl: 'https://gitlab.example/acme/app', commitSha: SHA,
  ref: { kind: 'branch', name: 'feature' }, beforeSha: null, userName: null,
  mergeRequest: { iid: 3, action: 'open', sourceBranch: 'feature', targetBranch: 'main', oldrev: null, url: null, title: null },
};

const finding = (o: Partial<SnapshotFinding> = {}): SnapshotFinding => ({
  leakKey: 'k1', rule: 'aws-access-token', file: 'conf/app.env', line: 3, commit: 'b'.repeat(40), severity: 'High',
  title: 'AWS key in conf/app.env', url: 'https://dojo.example/finding/12', open: true, inherited: false, foundBy: check.id, ...o,
});

const snap = (o: Partial<CheckSnapshot> = {}): CheckSnapshot => ({
  check, status: 'fail', reason: '1 open finding(s)', phase: 'final', findings: [finding()], unscanned: [],
  pageUrl: 'https://secbot.example/checks/x', ...o,
});

const MR = { projectId: 5, iid: 3, checkIds: [check.id] };
const OPTS = { component: 'gitlab', statusName: 'secbot', limit: 50 };

describe('commit status of a verdict', () => {
  test.each([
    [{ phase: 'pending', status: 'in_progress' }, 'pending'],
    [{ phase: 'running', status: 'in_progress' }, 'running'],
    [{ status: 'success', findings: [] }, 'success'],
    [{ status: 'fail' }, 'failed'],
    [{ status: 'error', reason: 'scan:gitleaks: gitleaks exited 1' }, 'failed'],
  ] as const)('%o → %s', (o, state) => {
    expect(desiredStatus(snap(o as Partial<CheckSnapshot>)).state).toBe(state);
  });

  test('error carries its reason; descriptions never exceed 255 characters or span lines', () => {
    const d = desiredStatus(snap({ status: 'error', reason: `output failed:\n${'é'.repeat(400)}` }));
    expect(d.description.startsWith('SecBot error: output failed:')).toBe(true);
    expect([...d.description].length).toBeLessThanOrEqual(255);
    expect(d.description).not.toContain('\n');
    expect(desiredStatus(snap({ status: 'success', findings: [finding({ open: false })] })).description).toBe('No open secret findings; 1 triaged in DefectDojo');
  });

  test('running → pending is backwards; a finished state may be followed by anything (a re-run)', () => {
    expect(isBackwards('running', 'pending')).toBe(true);
    expect(isBackwards('pending', 'running')).toBe(false);
    expect(isBackwards('failed', 'pending')).toBe(false);
  });
});

describe('the merge request note', () => {
  test('new findings in a table, inherited ones collapsed, unscanned files listed, marker first', () => {
    const other = `GIT_${'1'.repeat(64)}`;
    const body = renderNote(
      snap({
        findings: [finding(), finding({ leakKey: 'k2', inherited: true, foundBy: other, file: 'old/key.pem', open: false, url: null })],
        unscanned: [{ file: 'big.bin', commit: SHA, reason: 'larger than max_target_megabytes', inherited: false }],
      }),
      MR,
      OPTS,
    );
    expect(body.split('\n')[0]).toBe(noteMarker('gitlab'));
    expect(body).toContain('### :red_circle: SecBot: 1 open secret finding');
    expect(body).toContain('| High | `aws-access-token` | `conf/app.env:3` | `bbbbbbbb` | open | [finding 12](https://dojo.example/finding/12) |');
    const details = body.slice(body.indexOf('<details>'), body.indexOf('</details>'));
    expect(details).toContain('Inherited from earlier commits (0 open, 1 triaged)');
    expect(details).toContain('`old/key.pem:3`');
    expect(body).toContain('**Not scanned** (1)');
    expect(body).toContain('[check details](https://secbot.example/checks/x)');
  });

  test('findings inherited from an earlier head of the same merge request count as the MR\'s own', () => {
    const earlier = `GIT_${'2'.repeat(64)}`;
    const body = renderNote(snap({ findings: [finding({ inherited: true, foundBy: earlier })] }), { ...MR, checkIds: [earlier, check.id] }, OPTS);
    expect(body).toContain('**Found in this merge request** (1 open)');
    expect(body).not.toContain('<details>');
  });

  test('hostile file names: no line starts with "/", no reference, link, HTML or table break escapes a code span', () => {
    const hostile = ['x |y| `z` ``w``', '\n/merge\n/approve', '@root #1 !2 ~bug <script>alert(1)</script> [a](javascript:x)', 'a\u202Eexe.txt', '\u2028/unlabel ~x'];
    const body = renderNote(snap({ findings: hostile.map((file, i) => finding({ leakKey: `k${i}`, file, rule: file })) }), MR, OPTS);
    for (const line of body.split('\n')) expect(line).not.toMatch(/^\s*\//);
    const rows = body.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Severity') && !l.startsWith('| ---'));
    expect(rows).toHaveLength(hostile.length);
    for (const row of rows) {
      // Six cells: the only unescaped pipes are the separators.
      expect(row.replace(/\\\|/g, '').split('|').length - 2).toBe(6);
      expect(row).not.toContain('\u202E');
    }
    expect(body).not.toContain('<script>alert(1)</script> |');
    expect(body).toContain('``');
  });

  test('a code span holds backticks; a generated line starting with "/" gets a backslash', () => {
    expect(code('a`b')).toBe('``a`b``');
    expect(code('`x')).toBe('`` `x ``');
    expect(code('a|b', { inTable: true })).toBe('`a\\|b`');
    expect(noQuickActions('ok\n/merge\n  /close')).toBe('ok\n\\/merge\n\\/close');
    expect(safeUrl('javascript:alert(1)')).toBeNull();
    expect(safeUrl('https://x.example/a (b)')).toBe('https://x.example/a%20%28b%29');
  });

  test('while the check runs the note says so; a clean first result creates no note (on_findings)', () => {
    expect(renderNote(snap({ phase: 'running', status: 'in_progress' }), MR, OPTS)).toContain('SecBot is checking `aaaaaaaa`');
    expect(hasSomethingToSay(snap({ status: 'success', findings: [] }))).toBe(false);
    expect(hasSomethingToSay(snap({ status: 'success', findings: [finding({ open: false })] }))).toBe(true);
    expect(hasSomethingToSay(snap({ status: 'error', findings: [] }))).toBe(true);
  });

  test('only the tables are limited; the rest are counted with a link to the check page', () => {
    const many = Array.from({ length: 60 }, (_, i) => finding({ leakKey: `k${i}` }));
    const body = renderNote(snap({ findings: many }), MR, { ...OPTS, limit: 10 });
    expect(body.split('\n').filter((l) => l.startsWith('| High'))).toHaveLength(10);
    expect(body).toContain('… and 50 more');
  });
});

describe('state key', () => {
  test('changes with triage, not with progress inside a phase', () => {
    const a = snap();
    expect(stateKeyOf(a)).toBe(stateKeyOf(snap()));
    expect(stateKeyOf(snap({ findings: [finding({ open: false })], status: 'success' }))).not.toBe(stateKeyOf(a));
    const r1 = snap({ phase: 'running', status: 'in_progress', reason: 'scan:gitleaks is running' });
    const r2 = snap({ phase: 'running', status: 'in_progress', reason: 'output:gitleaks:defectdojo is queued' });
    expect(stateKeyOf(r1)).toBe(stateKeyOf(r2));
  });
});
