/**
 * The Slack message (pure): counts, render_limit and the "stripped" line, severity order and emoji, escaping of
 * repository text (Slack contract §2), and Block Kit limits.
 */
import { describe, expect, test } from 'bun:test';
import type { CheckRecord } from '../../../src/core/check.ts';
import type { FindingSummary, Severity } from '../../../src/core/results.ts';
import { classify } from '../../../src/core/webhook.ts';
import { buildMessage, EMOJI, escapeText, link, neutralise, type SlackMessage } from '../../../src/plugins/notifiers/slack/message.ts';
import { body, type FixtureName } from '../support/gitlab-fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: payloads are free-form JSON
function checkFrom(name: FixtureName, header: string, edit: (b: Record<string, any>) => void = () => {}): CheckRecord {
  const b = body(name);
  edit(b);
  const c = classify(header, b);
  if (c.kind !== 'event') throw new Error(JSON.stringify(c));
  const ctx = c.build({ prefix: 'GIT_LOCAL', host: 'example.com', hostname: 'example.com' });
  return { ...ctx, id: `GIT_LOCAL_${'0'.repeat(64)}`, generation: 1, jobName: 'secrets', createdAt: 0 };
}

const PUSH = checkFrom('project_hook.push.json', 'Push Hook');
const MR = checkFrom('project_hook.merge_request.open.json', 'Merge Request Hook');

let seq = 0;
function finding(over: Partial<FindingSummary> = {}): FindingSummary {
  seq++;
  return { id: String(seq), title: `Finding ${seq}`, severity: 'High', url: `https://dojo.example/finding/${seq}`, isNew: true, open: true, ...over };
}
const many = (n: number, over: Partial<FindingSummary> = {}) => Array.from({ length: n }, () => finding(over));

const sectionTexts = (m: SlackMessage) => m.blocks.map((b) => (b as { text: { text: string } }).text.text);
/** Finding lines of the message, in order (every line after the header section, without the stripped line). */
const findingLines = (m: SlackMessage) =>
  sectionTexts(m)
    .slice(1)
    .flatMap((t) => t.split('\n'))
    .filter((l) => !l.startsWith(':no_bell:'));
const strippedLine = (k: number) => `:no_bell: *${k}* were *stripped* from notification :no_bell:`;

describe('buildMessage: content', () => {
  test('one finding: the pusher, the commit linked, and the finding with file:line and its commit', () => {
    const f = finding({ title: 'AWS Access Key', severity: 'Critical', url: 'https://dojo.example/finding/7', file: 'deploy/prod.env', line: 2, commit: 'c'.repeat(40) });
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: [f] }], 10)!;
    const commit = 'http://example.com/mike/diaspora/-/commit';
    expect(m.blocks).toEqual([
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:rotating_light: <http://example.com/mike/diaspora|mike/diaspora> · master · <${commit}/da1560886d4f094c3e6c9ef40349f7d38b5d27d7|da156088> · pushed by jsmith\n*gitleaks* found *1* new finding`,
        },
      },
      { type: 'section', text: { type: 'mrkdwn', text: `:red_circle: <https://dojo.example/finding/7|AWS Access Key> · \`deploy/prod.env:2\` · <${commit}/${'c'.repeat(40)}|cccccccc>` } },
    ]);
    expect(m.text).toContain('gitleaks found 1 new');
    expect(m.text).toContain('mike/diaspora (master)');
  });

  test('a merge request names the MR and both branches', () => {
    const m = buildMessage(MR, [{ scanName: 'gitleaks', findings: [finding()] }], 10)!;
    expect(sectionTexts(m)[0]).toStartWith(':rotating_light: <http://example.com/gitlabhq/gitlab-test|gitlabhq/gitlab-test> · !1 (ms-viewport → master) · <http://example.com/gitlabhq/gitlab-test/-/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7|da156088> · pushed by root');
  });

  test('a finding without a URL is plain (escaped) text', () => {
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: [finding({ title: 'a<b', url: null, severity: 'Low' })] }], 10)!;
    expect(findingLines(m)).toEqual([':large_green_circle: a&lt;b']);
  });

  test.each([
    [1, 10],
    [9, 10],
    [10, 10],
    [1, 1],
  ])('%i findings with render_limit %i: all shown, no stripped line', (n, limit) => {
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: many(n) }], limit)!;
    expect(findingLines(m)).toHaveLength(n);
    expect(JSON.stringify(m.blocks)).not.toContain(':no_bell:');
    expect(sectionTexts(m)[0]).toContain(`*gitleaks* found *${n}* new finding${n === 1 ? '' : 's'}`);
  });

  test.each([
    [11, 10, 1],
    [25, 10, 15],
    [3, 1, 2],
    [4, 0, 4],
  ])('%i findings with render_limit %i: %i stripped', (n, limit, k) => {
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: many(n) }], limit)!;
    expect(findingLines(m)).toHaveLength(n - k);
    expect(sectionTexts(m).at(-1)).toBe(strippedLine(k));
    expect(sectionTexts(m)[0]).toContain(`*gitleaks* found *${n}* new findings`);
  });

  test('several scans: a count per scan; the limit applies to all findings together', () => {
    const m = buildMessage(
      PUSH,
      [
        { scanName: 'gitleaks', findings: many(3, { severity: 'Medium' }) },
        { scanName: 'trufflehog', findings: many(1, { severity: 'Critical' }) },
        { scanName: 'semgrep', findings: [] },
      ],
      2,
    )!;
    expect(sectionTexts(m)[0]!.split('\n').slice(1)).toEqual([
      '*gitleaks* found *3* new findings',
      '*trufflehog* found *1* new finding',
      '*semgrep* found *0* new findings',
    ]);
    expect(findingLines(m).map((l) => l.split(' ')[0])).toEqual([':red_circle:', ':large_yellow_circle:']);
    expect(sectionTexts(m).at(-1)).toBe(strippedLine(2));
  });

  test('only new findings are counted and listed', () => {
    const fresh = many(2, { title: 'fresh' });
    const old = many(5, { title: 'old', isNew: false, severity: 'Critical' });
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: [...old, ...fresh] }], 3)!;
    expect(sectionTexts(m)[0]).toContain('*gitleaks* found *2* new findings');
    expect(findingLines(m)).toHaveLength(2);
    expect(JSON.stringify(m)).not.toContain('old');
    expect(JSON.stringify(m.blocks)).not.toContain(':no_bell:');
  });

  test.each([
    ['no scans', []],
    ['no findings', [{ scanName: 'gitleaks', findings: [] }]],
    ['only old findings', [{ scanName: 'gitleaks', findings: many(3, { isNew: false }) }, { scanName: 'x', findings: [] }]],
  ])('%s → null (nothing to announce)', (_label, scans) => {
    expect(buildMessage(PUSH, scans, 10)).toBeNull();
  });

  test('most severe first, each with its emoji; equal severities keep their order', () => {
    const order: Severity[] = ['Low', 'Critical', 'Info', 'Medium', 'High', 'Critical', 'Info'];
    const findings = order.map((severity, i) => finding({ severity, title: `t${i}`, url: null }));
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings }], 10)!;
    expect(findingLines(m)).toEqual([
      ':red_circle: t1',
      ':red_circle: t5',
      ':large_orange_circle: t4',
      ':large_yellow_circle: t3',
      ':large_green_circle: t0',
      ':white_circle: t2',
      ':white_circle: t6',
    ]);
    expect(EMOJI).toEqual({
      Critical: ':red_circle:',
      High: ':large_orange_circle:',
      Medium: ':large_yellow_circle:',
      Low: ':large_green_circle:',
      Info: ':white_circle:',
    });
  });

  test('the most severe findings survive the limit', () => {
    const findings = [...many(5, { severity: 'Info' }), finding({ severity: 'Critical', title: 'the critical one' })];
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings }], 1)!;
    expect(findingLines(m)).toEqual([expect.stringContaining('the critical one')]);
  });
});

describe('escaping (Slack contract §2)', () => {
  test.each([
    ['a & b', 'a &amp; b'],
    ['<!channel>', '&lt;!channel&gt;'],
    ['<@U123|x>', '&lt;@U123|x&gt;'],
    ['&lt;', '&amp;lt;'],
    ['*bold* _it_ `code`', '*bold* _it_ `code`'],
    ['', ''],
  ])('escapeText(%p) → %p', (input, want) => {
    expect(escapeText(input)).toBe(want);
  });

  test.each([
    ['https://x/a', 'label', '<https://x/a|label>'],
    ['https://x/a b', 'l', '<https://x/a%20b|l>'],
    ['https://x/?a=1|2', 'l', '<https://x/?a=1%7C2|l>'],
    ['https://x/<y>', 'l', '<https://x/%3Cy%3E|l>'],
    ['https://x/', 'a|b', '<https://x/|a¦b>'],
    ['https://x/', '<!here> & co', '<https://x/|&lt;!here&gt; &amp; co>'],
    [null, '<!here>', '&lt;!here&gt;'],
  ])('link(%p, %p) → %p', (url, label, want) => {
    expect(link(url, label)).toBe(want);
  });

  const HOSTILE = ['<!channel>', '<!here>', '<!everyone>', '<@U0123ABC>', '<#C0123>', '<https://evil.example|click>', '<!subteam^S1>'];

  test('titles and branch names can never form a mention or link', () => {
    const check = checkFrom('project_hook.push.json', 'Push Hook', (b) => {
      b.ref = 'refs/heads/<!channel>&<@U0123ABC>';
    });
    const findings = HOSTILE.map((title) => finding({ title, url: 'https://dojo.example/f' }));
    const m = buildMessage(check, [{ scanName: 'gitleaks', findings }], 10)!;
    const everything = JSON.stringify(m);
    for (const h of HOSTILE) expect(everything).not.toContain(h);
    expect(sectionTexts(m)[0]).toContain('· &lt;!channel&gt;&amp;&lt;@U0123ABC&gt; ·');
    expect(findingLines(m)).toContain(':large_orange_circle: <https://dojo.example/f|&lt;!channel&gt;>');
  });

  test('the fallback text (shown in notifications) is escaped too', () => {
    const check = checkFrom('project_hook.merge_request.open.json', 'Merge Request Hook', (b) => {
      b.object_attributes.source_branch = '<!here>';
      b.object_attributes.target_branch = 'a&b>c';
    });
    const m = buildMessage(check, [{ scanName: 'gitleaks', findings: [finding()] }], 10)!;
    expect(m.text).not.toContain('<!here>');
    expect(m.text).toContain('&lt;!here&gt;');
    expect(m.text).toContain('a&amp;b&gt;c');
  });
});

describe('bidi overrides, newlines and control characters (issue 13, item 9)', () => {
  const BIDI = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C'];
  const BREAKS = ['\n', '\r', '\r\n', '\t', '\v', '\f', '\u0085', '\u2028', '\u2029'];
  const CONTROLS = ['\u0000', '\u0007', '\u001b', '\u007f', '\u009b'];
  /** Anything that may not reach Slack from repository text. */
  const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

  test.each(BIDI)('bidi control U+%s becomes a visible U+FFFD', (c) => {
    expect(neutralise(`invoice${c}fdp.exe`)).toBe('invoice\uFFFDfdp.exe');
  });

  test.each(BREAKS)('a break %p becomes spaces, never a new line', (c) => {
    expect(neutralise(`a${c}b`)).toBe(`a${' '.repeat(c.length)}b`);
  });

  test.each(CONTROLS)('control %p becomes U+FFFD', (c) => {
    expect(neutralise(`a${c}b`)).toBe('a\uFFFDb');
  });

  test('ordinary text, RTL letters, emoji and ZWJ sequences are kept', () => {
    for (const s of ['feature/🚀-launch', 'fix/שלום-مرحبا', '👨‍👩‍👧 family', 'Zoë ✓']) expect(neutralise(s)).toBe(s);
  });

  test('file names in finding titles and a branch name cannot reorder or break the message', () => {
    const check = checkFrom('project_hook.push.json', 'Push Hook', (b) => {
      b.ref = 'refs/heads/fix/\u202Eabc\u202C-\u2066x\u2069';
    });
    const titles = [
      'Generic API Key in invoice\u202Egpj.exe',
      'AWS Key in a\nSecBot: all clear\r\n:white_check_mark: nothing found',
      'Key in \u2067evil\u2069.txt\u001b[31m',
    ];
    const findings = titles.map((title) => finding({ title, url: 'https://dojo.example/f\n\u202Ex' }));
    const m = buildMessage(check, [{ scanName: 'gitleaks', findings }], 10)!;
    // SecBot's own layout joins lines with \n; within each line nothing forbidden remains.
    for (const text of [...sectionTexts(m), m.text]) for (const line of text.split('\n')) expect(line).not.toMatch(FORBIDDEN);
    expect(sectionTexts(m)[0]!.split('\n')).toHaveLength(2);
    // One line per finding: the newline in a title did not start a line of its own.
    expect(findingLines(m)).toHaveLength(3);
    expect(findingLines(m)).toContain(':large_orange_circle: <https://dojo.example/f%0A%E2%80%AEx|Generic API Key in invoice\uFFFDgpj.exe>');
    expect(findingLines(m)).toContain(':large_orange_circle: <https://dojo.example/f%0A%E2%80%AEx|AWS Key in a SecBot: all clear  :white_check_mark: nothing found>');
    expect(sectionTexts(m)[0]).toContain('· fix/\uFFFDabc\uFFFD-\uFFFDx\uFFFD ·');
    expect(m.text).toContain('fix/\uFFFDabc\uFFFD-\uFFFDx\uFFFD');
  });

  test('a finding without a link is neutralised too', () => {
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: [finding({ title: 'x\u202Ey\nz', url: null })] }], 10)!;
    expect(findingLines(m)).toEqual([':large_orange_circle: x\uFFFDy z']);
  });
});

describe('Block Kit limits (≤ 50 blocks, section text 1..3000)', () => {
  function expectWithinLimits(m: SlackMessage, total: number) {
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    for (const t of sectionTexts(m)) {
      expect(t.length).toBeGreaterThan(0);
      expect(t.length).toBeLessThanOrEqual(3000);
    }
    const shown = findingLines(m).length;
    const last = sectionTexts(m).at(-1)!;
    const stripped = last.startsWith(':no_bell:') ? Number(/\*(\d+)\*/.exec(last)![1]) : 0;
    expect(shown + stripped).toBe(total);
    return { shown, stripped };
  }

  test('render_limit 1000 with 1000 long titles', () => {
    const findings = many(1000, { title: 'T'.repeat(2900) });
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings }], 1000)!;
    const { shown, stripped } = expectWithinLimits(m, 1000);
    expect(shown).toBeGreaterThan(0);
    expect(stripped).toBeGreaterThan(0);
  });

  test('render_limit 1000 with titles longer than a section', () => {
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: many(200, { title: 'x'.repeat(5000) }) }], 1000)!;
    expectWithinLimits(m, 200);
  });

  test('escaping that grows a title past the limit is still cut to fit', () => {
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: many(100, { title: '&<>'.repeat(900) }) }], 1000)!;
    expectWithinLimits(m, 100);
  });

  test('render_limit 1000 with 1000 short titles: all fit, packed into few sections', () => {
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: many(1000) }], 1000)!;
    const { shown } = expectWithinLimits(m, 1000);
    expect(shown).toBe(1000);
  });

  test('many scans with long names keep the header section within limits', () => {
    const scans = Array.from({ length: 80 }, (_, i) => ({ scanName: `scanner-${i}-${'n'.repeat(60)}`, findings: many(1) }));
    const m = buildMessage(PUSH, scans, 1000)!;
    expectWithinLimits(m, 80);
    expect(m.text.length).toBeLessThanOrEqual(40_000);
  });
});

describe('buildMessage: what was not scanned', () => {
  test('unscanned files are listed after the findings, escaped; with no new finding they are still announced', () => {
    const files = [
      { file: 'dump/big.sql', commit: 'a'.repeat(40), description: 'not scanned: too large' },
      { file: 'a<b>&\u202Ec.bin', commit: 'b'.repeat(40), description: 'not scanned: binary' },
    ];
    const withFinding = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: [finding()], unscanned: files }], 10)!;
    const last = sectionTexts(withFinding).at(-1)!;
    expect(last).toStartWith(':warning: *2* files were *not scanned*');
    expect(last).toContain('`dump/big.sql`');
    expect(last).toContain('`a&lt;b&gt;&amp;\uFFFDc.bin`');
    const only = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: [finding({ isNew: false })], unscanned: files.slice(0, 1) }], 10)!;
    expect(only.text).toContain('1 file(s) not scanned in mike/diaspora');
    expect(sectionTexts(only)).toHaveLength(2);
    expect(buildMessage(PUSH, [{ scanName: 'gitleaks', findings: [finding({ isNew: false })], unscanned: [] }], 10)).toBeNull();
  });

  test('more than ten unscanned files: ten listed, the rest counted', () => {
    const files = Array.from({ length: 13 }, (_, i) => ({ file: `f${i}.bin`, commit: 'a'.repeat(40), description: 'binary' }));
    const m = buildMessage(PUSH, [{ scanName: 'gitleaks', findings: [], unscanned: files }], 10)!;
    expect(sectionTexts(m).at(-1)).toEndWith(' and 3 more');
  });
});
