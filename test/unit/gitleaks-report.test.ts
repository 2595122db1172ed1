import { describe, expect, test } from 'bun:test';
import { PermanentError } from '../../src/core/errors.ts';
import { buildScanReport, parseGitleaksReport, skippedReport } from '../../src/plugins/scanners/gitleaks/report.ts';

const finding = (over: Record<string, unknown> = {}) => ({
  RuleID: 'aws-access-token', Description: 'AWS', StartLine: 3, EndLine: 3, StartColumn: 1, EndColumn: 20, Match: 'REDACTED',
  Secret: 'REDACTED', File: 'conf/app.env', SymlinkFile: '', Commit: 'c'.repeat(40), Entropy: 3.6, Author: 'A', Email: 'a@x',
  Date: '2024-01-01T00:00:00Z', Message: 'm', Tags: [], Fingerprint: 'x', ...over,
});
const summary = { mode: 'diff', range: 'a..b', commits: 2, durationMs: 5 };

describe('gitleaks report', () => {
  test('leaks: the raw report is kept, findings are summarised', () => {
    const json = JSON.stringify([finding(), finding({ File: 'b.txt', StartLine: 9, RuleID: 'github-pat' })], null, 1);
    const report = buildScanReport(json, summary);
    expect(report.status).toBe('leaks');
    expect(report.findingCount).toBe(2);
    expect(report.reportJson).toBe(json);
    expect(report.leaks).toEqual([
      { ruleId: 'aws-access-token', file: 'conf/app.env', line: 3, commit: 'c'.repeat(40) },
      { ruleId: 'github-pat', file: 'b.txt', line: 9, commit: 'c'.repeat(40) },
    ]);
    expect(report.summary).toEqual(summary);
  });

  test('an empty array is clean', () => {
    expect(buildScanReport('[]', summary)).toMatchObject({ status: 'clean', findingCount: 0, leaks: [], reportJson: '[]' });
  });

  test('an unredacted secret is refused, and the refusal does not quote it', () => {
    const secret = ['not', 'redacted', 'value'].join('-');
    const err = (() => {
      try {
        parseGitleaksReport(JSON.stringify([finding(), finding({ Secret: secret })]));
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(PermanentError);
    expect(err!.message).toContain('1 unredacted secret');
    expect(err!.message).not.toContain(secret);
  });

  test('not JSON, or not the expected shape: PermanentError', () => {
    expect(() => parseGitleaksReport('<html>')).toThrow(PermanentError);
    expect(() => parseGitleaksReport('{"findings": []}')).toThrow(PermanentError);
    expect(() => parseGitleaksReport(JSON.stringify([{ RuleID: 'x' }]))).toThrow(PermanentError);
  });

  test('skipped reports carry the reason', () => {
    expect(skippedReport({ ...summary, commits: 0 }, 'nothing new')).toEqual({
      status: 'skipped', findingCount: 0, reportJson: '[]', leaks: [], summary: { ...summary, commits: 0, reason: 'nothing new' },
    });
  });
});
