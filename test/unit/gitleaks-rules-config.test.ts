import { describe, expect, test } from 'bun:test';
import { gitleaksConfigSchema } from '../../src/plugins/scanners/gitleaks/config.ts';
import { chooseRules, GITLEAKS_DEFAULT_TOML, SECBOT_PACK_TOML } from '../../src/plugins/scanners/gitleaks/rules.ts';
import { severityOfTags } from '../../src/plugins/scanners/gitleaks/severity.ts';

const parse = (c: Record<string, unknown>) => gitleaksConfigSchema.parse(c);

describe('gitleaks rules setting', () => {
  test("SecBot's pack is the default", () => {
    expect(chooseRules(parse({}))).toEqual({ kind: 'builtin', name: 'secbot', toml: SECBOT_PACK_TOML });
    expect(chooseRules(parse({ rules: 'secbot' }))).toEqual({ kind: 'builtin', name: 'secbot', toml: SECBOT_PACK_TOML });
  });

  test("gitleaks-default runs gitleaks' built-in rules only", () => {
    expect(chooseRules(parse({ rules: 'gitleaks-default' }))).toEqual({ kind: 'builtin', name: 'gitleaks-default', toml: GITLEAKS_DEFAULT_TOML });
  });

  test('any other value is the path of a TOML file, and rules_file is its deprecated alias', () => {
    expect(chooseRules(parse({ rules: '/etc/secbot/rules.toml' }))).toEqual({ kind: 'file', path: '/etc/secbot/rules.toml' });
    expect(chooseRules(parse({ rules_file: 'conf/rules.toml' }))).toEqual({ kind: 'file', path: 'conf/rules.toml' });
    // A file named like a built-in set, given through the alias, is still a file.
    expect(chooseRules(parse({ rules_file: 'secbot' }))).toEqual({ kind: 'file', path: 'secbot' });
  });

  test('setting both rules and rules_file is an error naming rules_file', () => {
    const res = gitleaksConfigSchema.safeParse({ rules: 'secbot', rules_file: 'x.toml' });
    expect(res.success).toBe(false);
    expect(res.error!.issues).toEqual([expect.objectContaining({ path: ['rules_file'], message: expect.stringContaining('deprecated alias of rules') })]);
  });

  test('an empty rules value is refused', () => {
    expect(gitleaksConfigSchema.safeParse({ rules: '' }).success).toBe(false);
  });

  test('the pack is embedded text that extends the defaults', () => {
    expect(SECBOT_PACK_TOML).toContain('path = "@SECBOT_GITLEAKS_DEFAULTS@"');
    expect(SECBOT_PACK_TOML).toContain('id = "secbot-password-in-config"');
  });
});

describe('severityOfTags', () => {
  test('maps the severity tag to a DefectDojo severity', () => {
    expect(severityOfTags(['severity:critical', 'cloud'])).toBe('Critical');
    expect(severityOfTags(['password', 'severity:high'])).toBe('High');
    expect(severityOfTags(['severity:medium'])).toBe('Medium');
    expect(severityOfTags(['severity:low'])).toBe('Low');
    expect(severityOfTags(['severity:info'])).toBe('Info');
    expect(severityOfTags(['Severity:HIGH'])).toBe('High');
  });

  test('the highest wins when a rule carries several (a user rule extending a tagged one)', () => {
    expect(severityOfTags(['severity:low', 'severity:critical', 'severity:medium'])).toBe('Critical');
  });

  test('null without a known severity tag', () => {
    expect(severityOfTags([])).toBeNull();
    expect(severityOfTags(['password', 'severity:', 'severity:urgent', 'decoded:base64'])).toBeNull();
  });
});
