// SecBot's gitleaks pack checked with the real gitleaks binary: every rule's true examples are reported by it, its
// false examples by no rule, placeholders are dropped, every rule carries a severity, and gitleaks' own rules all get
// one. One gitleaks run covers all examples.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { configFiles, GITLEAKS_DEFAULT_TOML, SECBOT_PACK_TOML } from '../../../src/plugins/scanners/gitleaks/rules.ts';
import { severityOfTags } from '../../../src/plugins/scanners/gitleaks/severity.ts';
import { placeholderExamples, providerTokenExamples, ruleExamples, type Example } from './examples.ts';

const GITLEAKS = join(import.meta.dir, '..', '..', '..', '.tools', 'bin', 'gitleaks');

interface PackRule {
  id: string;
  regex?: string;
  path?: string;
  tags?: string[];
  skipReport?: boolean;
}
const pack = Bun.TOML.parse(SECBOT_PACK_TOML) as { rules: PackRule[]; extend: { disabledRules?: string[] } };
const ownRules = pack.rules.filter((r) => r.regex !== undefined || r.path !== undefined);
const examples = ruleExamples();

interface Finding {
  RuleID: string;
  File: string;
  StartLine: number;
  Tags: string[];
}

function gitleaks(args: string[], cwd: string): { code: number; stderr: string } {
  const res = Bun.spawnSync([GITLEAKS, ...args], { cwd, stdout: 'ignore', stderr: 'pipe' });
  return { code: res.exitCode, stderr: res.stderr.toString() };
}

/** Writes each example under its own folder, runs gitleaks dir once with the pack, groups findings by folder. */
function scanExamples(root: string, groups: Map<string, Example>): Map<string, Finding[]> {
  for (const [folder, e] of groups) {
    mkdirSync(dirname(join(root, 'scan', folder, e.path)), { recursive: true });
    writeFileSync(join(root, 'scan', folder, e.path), e.text);
  }
  for (const f of configFiles(SECBOT_PACK_TOML, root, 'pack.toml').files) writeFileSync(f.path, f.content);
  const res = gitleaks(['dir', '--no-banner', '--log-level', 'error', '--exit-code', '0', '--redact', '--config', join(root, 'pack.toml'),
    '--gitleaks-ignore-path', root, '--report-format', 'json', '--report-path', join(root, 'report.json'), '.'], join(root, 'scan'));
  if (res.code !== 0) throw new Error(`gitleaks failed: ${res.stderr}`);
  const findings = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as Finding[];
  const byFolder = new Map<string, Finding[]>([...groups.keys()].map((k) => [k, []]));
  for (const f of findings) {
    const folder = f.File.split('/').slice(0, 2).join('/');
    byFolder.get(folder)?.push(f);
  }
  return byFolder;
}

let root: string;
let results: Map<string, Finding[]>;
const groups = new Map<string, Example>();
examples.forEach((r, i) => {
  r.tp.forEach((e, j) => void groups.set(`r${i}/tp${j}`, e));
  r.fp.forEach((e, j) => void groups.set(`r${i}/fp${j}`, e));
});
placeholderExamples().forEach((e, j) => void groups.set(`ph/${j}`, e));
const providerTokens = providerTokenExamples();
providerTokens.forEach((p, j) => void groups.set(`pt/${j}`, p.example));

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'secbot-pack-test-'));
  results = scanExamples(root, groups);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const describeFindings = (fs: Finding[]) => fs.map((f) => `${f.RuleID} at ${f.File.split('/').slice(2).join('/')}:${f.StartLine}`);

describe('SecBot pack: true and false examples of every rule (real gitleaks)', () => {
  examples.forEach((r, i) => {
    test(r.rule, () => {
      const expected = r.reportedAs ?? r.rule;
      r.tp.forEach((e, j) => {
        const found = results.get(`r${i}/tp${j}`)!;
        expect({ example: `${e.path}: ${e.text}`, rules: found.map((f) => f.RuleID) }).toMatchObject({ rules: expect.arrayContaining([expected]) });
      });
      r.fp.forEach((e, j) => {
        const found = results.get(`r${i}/fp${j}`)!.filter((f) => !r.tolerate?.includes(f.RuleID));
        expect({ example: `${e.path}: ${e.text}`, findings: describeFindings(found) }).toEqual({
          example: `${e.path}: ${e.text}`,
          findings: [],
        });
      });
    });
  });

  test('every SecBot rule has true and false examples', () => {
    const covered = new Set(examples.filter((r) => r.tp.length > 0 && r.fp.length > 0).map((r) => r.rule));
    expect(ownRules.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  test('placeholders, references and sample values are dropped by every rule', () => {
    const reported = [...results].filter(([k, fs]) => k.startsWith('ph/') && fs.length > 0);
    expect(reported.map(([k, fs]) => `${groups.get(k)!.text.split('\n')[1]} → ${describeFindings(fs).join(', ')}`)).toEqual([]);
  });

  test("placeholder shapes (…KEY, XXXX, TEST…) do not drop gitleaks' provider token rules", () => {
    providerTokens.forEach((p, j) => {
      expect({ example: p.example.text, rules: results.get(`pt/${j}`)!.map((f) => f.RuleID) }).toMatchObject({ rules: [p.rule] });
    });
  });

  test('findings carry the severity tag of their rule', () => {
    const all = [...results.values()].flat();
    expect(all.length).toBeGreaterThan(50);
    for (const f of all) expect({ rule: f.RuleID, severity: severityOfTags(f.Tags) }).not.toMatchObject({ severity: null });
  });
});

describe('SecBot pack: severities', () => {
  test('every rule of the pack has exactly one known severity tag', () => {
    for (const r of pack.rules) {
      const sev = (r.tags ?? []).filter((t) => t.startsWith('severity:'));
      expect({ rule: r.id, sev: sev.length, known: severityOfTags(sev) !== null }).toEqual({ rule: r.id, sev: 1, known: true });
    }
  });

  test("every gitleaks default rule that the pack keeps gets a severity (rule list from gitleaks' SARIF report)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'secbot-pack-sarif-'));
    try {
      writeFileSync(join(dir, 'defaults.toml'), GITLEAKS_DEFAULT_TOML);
      mkdirSync(join(dir, 'empty'));
      const res = gitleaks(['dir', '--no-banner', '--log-level', 'error', '--exit-code', '0', '--config', join(dir, 'defaults.toml'),
        '--report-format', 'sarif', '--report-path', join(dir, 'r.sarif'), join(dir, 'empty')], dir);
      expect(res.code).toBe(0);
      const sarif = JSON.parse(readFileSync(join(dir, 'r.sarif'), 'utf8')) as { runs: { tool: { driver: { rules: { id: string }[] } } }[] };
      const defaults = sarif.runs[0]!.tool.driver.rules.map((r) => r.id);
      expect(defaults.length).toBeGreaterThan(200);
      const tagged = new Set(pack.rules.map((r) => r.id));
      const disabled = new Set(pack.extend.disabledRules ?? []);
      expect(defaults.filter((id) => !tagged.has(id) && !disabled.has(id))).toEqual([]);
      // A tag-only entry for a rule gitleaks does not have would fail the whole config at load time.
      expect(pack.rules.filter((r) => r.regex === undefined && r.path === undefined && !defaults.includes(r.id)).map((r) => r.id)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
