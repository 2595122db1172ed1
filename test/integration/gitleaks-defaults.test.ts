// SecBot's copy of gitleaks' defaults (src/plugins/scanners/gitleaks/rules/gitleaks-defaults.toml), which the pack
// extends instead of gitleaks' built-in defaults: the same rules as the gitleaks binary, but no global path allowlist
// (gitleaks skips node_modules/, vendor/…, lock files, .svg, … whatever they hold) and the global "true|false|null"
// regex as meant. Real gitleaks; the scanner test runs the real scanner over a repository served over smart HTTP.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { configFiles, GITLEAKS_DEFAULT_TOML, GITLEAKS_DEFAULTS_TOML, SECBOT_PACK_TOML } from '../../src/plugins/scanners/gitleaks/rules.ts';
import { b64, password } from '../helpers/fake-values.ts';
import { fakeAwsKey, startEnv, type Env } from './gitleaks-fixtures.ts';

const SLOW = 60_000;
const GITLEAKS = join(import.meta.dir, '..', '..', '.tools', 'bin', 'gitleaks');

let env: Env;
let tmp: string;
beforeAll(() => {
  env = startEnv('gitleaks-defaults');
  tmp = mkdtempSync(join(tmpdir(), 'secbot-defaults-'));
});
afterAll(async () => {
  await env.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** The rule ids gitleaks reports for a config (its SARIF lists every rule it loaded). */
function ruleIds(toml: string, name: string): string[] {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'empty'), { recursive: true });
  const files = configFiles(toml, dir);
  for (const f of files.files) writeFileSync(f.path, f.content);
  const res = Bun.spawnSync([GITLEAKS, 'dir', '--no-banner', '--log-level', 'error', '--exit-code', '0', '--config', files.configPath,
    '--report-format', 'sarif', '--report-path', join(dir, 'r.sarif'), join(dir, 'empty')]);
  expect(res.exitCode).toBe(0);
  const sarif = JSON.parse(readFileSync(join(dir, 'r.sarif'), 'utf8')) as { runs: { tool: { driver: { rules: { id: string }[] } } }[] };
  return sarif.runs[0]!.tool.driver.rules.map((r) => r.id).sort();
}

/** Paths gitleaks' built-in defaults skip whatever they hold. */
const SKIPPED_BY_GITLEAKS = [
  'node_modules/left-pad/.env', 'vendor/github.com/acme/client/config.go', 'package-lock.json', 'yarn.lock', 'go.sum',
  'assets/logo.svg', 'venv/lib/python3.11/site-packages/app/settings.py', 'tool-1.2.dist-info/METADATA', 'gradlew', 'docs/spec.pdf',
];

describe("SecBot's copy of gitleaks' defaults", () => {
  test('holds exactly the rules of the gitleaks binary', () => {
    const copy = `[extend]\npath = "@SECBOT_GITLEAKS_DEFAULTS@"\n`;
    expect(ruleIds(copy, 'copy')).toEqual(ruleIds(GITLEAKS_DEFAULT_TOML, 'builtin'));
    expect(GITLEAKS_DEFAULTS_TOML).not.toContain('description = "global allow lists"\npaths');
    expect(GITLEAKS_DEFAULTS_TOML).toContain("'''(?i)^(?:true|false|null)$'''");
  });

  test('the pack finds a key at every path gitleaks skips, and a password that contains "false"; gitleaks-default finds none', async () => {
    const repo = env.repo('acme/skipped-paths');
    const files: Record<string, string> = {};
    for (const path of SKIPPED_BY_GITLEAKS) files[path] = `AWS_ACCESS_KEY_ID=${fakeAwsKey()}\n`;
    files['config/app.ini'] = `[db]\nhost = db1\npassword = ${password(10)}false${password(6)}\n`;
    const sha = repo.commit({ files, message: 'vendored things' });
    const check = env.check({ projectPath: repo.name, commitSha: sha });
    const pack = await env.scanner().scan(env.run(check));
    const found = pack.leaks.filter((l) => l.kind === 'secret').map((l) => l.file).sort();
    expect(found).toEqual([...SKIPPED_BY_GITLEAKS, 'config/app.ini'].sort());
    const builtin = await env.scanner({ rules: 'gitleaks-default' }).scan(env.run(env.check({ projectPath: repo.name, commitSha: sha })));
    expect(builtin.leaks.filter((l) => l.kind === 'secret').map((l) => l.file)).toEqual([]);
  }, SLOW);
});

describe('what the global path allowlist hid for a reason stays quiet, narrowly', () => {
  /** `gitleaks dir` with the pack over files written in a fresh folder; returns "rule file:line" per finding. */
  function scanFiles(name: string, files: Record<string, string>): string[] {
    const dir = join(tmp, name);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'scan', path)), { recursive: true });
      writeFileSync(join(dir, 'scan', path), text);
    }
    const config = configFiles(SECBOT_PACK_TOML, dir);
    for (const f of config.files) writeFileSync(f.path, f.content);
    const res = Bun.spawnSync([GITLEAKS, 'dir', '--no-banner', '--log-level', 'error', '--exit-code', '0', '--config', config.configPath,
      '--report-format', 'json', '--report-path', join(dir, 'r.json'), '.'], { cwd: join(dir, 'scan') });
    expect(res.exitCode).toBe(0);
    return (JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { RuleID: string; File: string; StartLine: number }[])
      .map((f) => `${f.RuleID} ${f.File}:${f.StartLine}`)
      .sort();
  }

  test('go.sum checksum lines of modules named oauth2 or auth are no tokens; a key written into go.sum still is', () => {
    const sums = ['golang.org/x/oauth2 v0.25.0', 'cloud.google.com/go/auth v0.13.0', 'google.golang.org/api v0.17.0']
      .map((m) => `${m} h1:${b64(43)}=\n${m}/go.mod h1:${b64(43)}=`)
      .join('\n');
    expect(scanFiles('gosum', { 'go.sum': `${sums}\n`, 'tools/go.work.sum': `${sums}\n` })).toEqual([]);
    expect(scanFiles('gosum-leak', { 'go.sum': `${sums}\naws_access_key_id = ${fakeAwsKey()}\n` })).toEqual(['aws-access-token go.sum:7']);
  });

  test("a gitleaks rule's own regex line is no finding; a key pasted into a gitleaks config's allowlist is", () => {
    // The short-lived Bedrock rule's regex is a fixed prefix, so its own regex line matches it (assembled here).
    const rule = `[[rules]]\nid = "bedrock"\nregex = '''${['bedrock-api-key', 'YmVkcm9jay5hbWF6b25hd3MuY29t'].join('-')}'''\n`;
    expect(scanFiles('config', { '.gitleaks.toml': rule, 'ci/gitleaks-extra.toml': rule })).toEqual([]);
    const pasted = `${rule}[allowlist]\nstopwords = ["${fakeAwsKey()}"]\n`;
    expect(scanFiles('config-leak', { '.gitleaks.toml': pasted })).toEqual(['aws-access-token .gitleaks.toml:5']);
  });
});

// Keeps the helper honest: configFiles writes the copy beside the config, and only for a rule set that extends it.
test('configFiles: the copy of the defaults is written beside a config that names it, by absolute path', () => {
  const dir = join(tmp, 'files');
  const named = configFiles('[extend]\npath = "@SECBOT_GITLEAKS_DEFAULTS@"\n', dir, 'x.toml');
  expect(named.files.map((f) => f.path)).toEqual([join(dir, 'gitleaks-defaults.toml'), join(dir, 'x.toml')]);
  expect(named.files[1]!.content).toBe(`[extend]\npath = "${join(dir, 'gitleaks-defaults.toml')}"\n`);
  expect(configFiles(GITLEAKS_DEFAULT_TOML, dir).files).toEqual([{ path: join(dir, 'gitleaks-rules.toml'), content: GITLEAKS_DEFAULT_TOML }]);
  expect(dirname(named.configPath)).toBe(dir);
});
