/**
 * sanitize(): the only place raw secrets exist. Every secret of the scan is masked in every field of every finding,
 * fingerprints are keyed, leak and novelty keys behave as identities should, and nothing raw survives.
 */
import { describe, expect, test } from 'bun:test';
import { PermanentError } from '../../src/core/errors.ts';
import { holdsSecret, leakKeyOfTags, maskSecrets } from '../../src/core/leaks.ts';
import { parseRawReport, sanitize } from '../../src/plugins/scanners/gitleaks/sanitize.ts';
import { severityOfTags } from '../../src/plugins/scanners/gitleaks/severity.ts';
import { planRange } from '../../src/plugins/scanners/gitleaks/range.ts';

const KEY = new TextEncoder().encode('k'.repeat(32));
const OTHER_KEY = new TextEncoder().encode('o'.repeat(32));
const SECRET = ['s3cr3t', 'value', 'ABCDEF123456'].join('-');
const OTHER = ['another', 'secret', '987654'].join('_');
const C = 'c'.repeat(40);

const finding = (over: Record<string, unknown> = {}) => ({
  RuleID: 'generic-api-key', Description: 'Generic API Key', StartLine: 3, EndLine: 3, StartColumn: 5, EndColumn: 40,
  Match: `api_key = "${SECRET}"`, Secret: SECRET, File: 'conf/app.env', SymlinkFile: '', Commit: C, Entropy: 3.6,
  Author: 'Dev', Email: 'dev@example.com', Date: '2024-01-01T00:00:00Z', Message: 'add config', Tags: [], Fingerprint: 'x', ...over,
});
const raw = (...f: Record<string, unknown>[]) => parseRawReport(JSON.stringify(f));

describe('sanitize', () => {
  test('every field of every finding is masked, including file names and commit messages', () => {
    const s = sanitize(raw(
      finding({ File: `keys/${SECRET}.txt`, Message: `oops ${OTHER}`, Tags: [`t-${SECRET}`] }),
      finding({ Secret: OTHER, Match: `x=${OTHER}`, Commit: 'd'.repeat(40), Description: `desc ${SECRET}` }),
    ), KEY);
    const text = JSON.stringify(s.leaks);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(OTHER);
    expect(s.leaks[0]!.file).toBe('keys/REDACTED.txt');
    expect(s.leaks[0]!.entry.Message).toBe('oops REDACTED');
    expect(s.leaks[0]!.entry.Match).toBe('api_key = "REDACTED"');
    expect(s.leaks[1]!.description).toBe('desc REDACTED');
    expect(s.leaks[0]!.entry.Author).toBeUndefined();
    expect(s.leaks[0]!.entry.Email).toBeUndefined();
  });

  test('each leak gets a distinct Secret placeholder and its leak tag (DefectDojo merges equal title+secret+line)', () => {
    const s = sanitize(raw(finding(), finding({ Commit: 'd'.repeat(40) })), KEY);
    const [a, b] = s.leaks;
    expect(a!.entry.Secret).not.toBe(b!.entry.Secret);
    expect(String(a!.entry.Secret)).toStartWith('REDACTED-');
    expect(leakKeyOfTags(a!.entry.Tags as string[])).toBe(a!.leakKey);
    expect(a!.leakKey).not.toBe(b!.leakKey);
  });

  test('the same secret in the same file is one novelty key in any commit; another file or value is another', () => {
    const s = sanitize(raw(finding(), finding({ Commit: 'd'.repeat(40), StartLine: 9 }), finding({ File: 'other.env' }), finding({ Secret: OTHER })), KEY);
    const [a, b, c, d] = s.leaks.map((l) => l.noveltyKey);
    expect(a).toBe(b!);
    expect(a).not.toBe(c!);
    expect(a).not.toBe(d!);
  });

  test('fingerprints are keyed: another key, other fingerprints; the raw value is never one of them', () => {
    const a = sanitize(raw(finding()), KEY).leaks[0]!;
    const b = sanitize(raw(finding()), OTHER_KEY).leaks[0]!;
    expect(a.fingerprint).not.toBe(b.fingerprint);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(a.leakKey).not.toBe(b.leakKey);
  });

  test('mask and holds work on the check own fields (branch names, titles)', () => {
    const s = sanitize(raw(finding()), KEY);
    expect(s.holds(`feature/${SECRET}`)).toBe(true);
    expect(s.mask(`feature/${SECRET}`)).toBe('feature/REDACTED');
    expect(s.holds('main')).toBe(false);
  });

  test('a secret containing another is masked whole (longest first)', () => {
    expect(maskSecrets(`x ${SECRET}-tail y`, [`${SECRET}-tail`, SECRET])).toBe('x REDACTED y');
    expect(holdsSecret({ a: [{ b: `k ${SECRET}` }] }, [SECRET])).toBe(true);
    expect(holdsSecret({ [SECRET]: 1 }, [SECRET])).toBe(true);
  });

  test('severity comes from a rule tag when it has one', () => {
    expect(severityOfTags(['type:secret', 'severity:critical'])).toBe('Critical');
    expect(severityOfTags(['x'])).toBeNull();
    expect(sanitize(raw(finding({ Tags: ['severity:medium'] })), KEY).leaks[0]!.severity).toBe('Medium');
  });

  test('not JSON, or not the expected shape: PermanentError', () => {
    expect(() => parseRawReport('<html>')).toThrow(PermanentError);
    expect(() => parseRawReport('{"findings": []}')).toThrow(PermanentError);
    expect(() => parseRawReport(JSON.stringify([{ RuleID: 'x' }]))).toThrow(PermanentError);
  });
});

describe('planRange', () => {
  test('diff: the commit minus every covered commit of this component; nothing from the event', () => {
    expect(planRange(C, 'diff', 'gitleaks', false).revs).toEqual([C, '--not', '--glob=refs/secbot/covered/gitleaks/*']);
    expect(planRange(C, 'diff', 'my scan!', false).revs).toEqual([C, '--not', '--glob=refs/secbot/covered/my_scan_/*']);
  });

  test('first sight and full mode scan the whole history', () => {
    expect(planRange(C, 'diff', 'gitleaks', true)).toMatchObject({ rule: 'first-sight', revs: [C] });
    expect(planRange(C, 'full', 'gitleaks', false)).toMatchObject({ rule: 'full', revs: [C] });
  });

  test('no argument holds a space (gitleaks splits --log-opts on spaces) and a bad SHA is refused', () => {
    for (const p of [planRange(C, 'diff', 'a b', false), planRange(C, 'full', 'x', false)]) {
      for (const r of p.revs) expect(r).not.toContain(' ');
    }
    expect(() => planRange('HEAD', 'diff', 'gitleaks', false)).toThrow(PermanentError);
  });
});
