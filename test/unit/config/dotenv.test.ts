/** parseDotenv() and loadLayeredEnv(): .env.dev / .env.override as seed §1.3 and §2.1 write them. */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLayeredEnv, parseDotenv } from '../../../src/config/dotenv.ts';

/**
 * Seed §2.1's `.env.dev` excerpt with its comment style: comments on their own lines, indented under the value
 * they describe, inside the multi-line GITLAB_CONFIGS JSON too (the PDF's line-wrap arrows removed).
 */
const SEED_ENV_DEV = `# Excerpt from .env.dev
CELERY_BROKER_URL=redis://redis:6379/0
CELERY_RESULT_BACKEND=redis://redis:6379/0
SECBOT_POSTGRES_DSN=postgresql+asyncpg://secbot:foobar@db:5432/secbot
GITLAB_CONFIGS=[
    {
        "host": "https://git.env.local/",
                                                # GitLab's host (instance)
        "webhook_secret_token":"SecretStr",
                                                # secret token used when a webhook is being set up
        "auth_token": "SecretStr",
                                                # token given to the user who will communicate with the API to get check results
        "prefix":"GIT_LOCAL"
                                                # prefix used when a security_check_id is being generated
   }
]
DEFECTDOJO__URL=https://defectdojo.env.local
                                                # DefectDojo's host
DEFECTDOJO__TOKEN=defectdojo_token
                                                # token given upon user registration to communicate with the DefectDojo's API
DEFECTDOJO__USER=defectdojo_username
                                                # registered user's name
DEFECTDOJO__USER_ID=10
                                                # registered user's ID
SLACK_TOKEN=token_here # token given to the user that is allowed to read Slack's channels
`;

const SEED_GITLAB = [{ host: 'https://git.env.local/', webhook_secret_token: 'SecretStr', auth_token: 'SecretStr', prefix: 'GIT_LOCAL' }];

describe('parseDotenv: the seed excerpt', () => {
  const env = parseDotenv(SEED_ENV_DEV, '.env.dev');

  test('reads exactly the variables of the excerpt', () => {
    expect(Object.keys(env).sort()).toEqual(
      [
        'CELERY_BROKER_URL',
        'CELERY_RESULT_BACKEND',
        'DEFECTDOJO__TOKEN',
        'DEFECTDOJO__URL',
        'DEFECTDOJO__USER',
        'DEFECTDOJO__USER_ID',
        'GITLAB_CONFIGS',
        'SECBOT_POSTGRES_DSN',
        'SLACK_TOKEN',
      ].sort(),
    );
  });

  test('the multi-line GITLAB_CONFIGS is valid JSON once its comments are gone', () => {
    expect(JSON.parse(env.GITLAB_CONFIGS!)).toEqual(SEED_GITLAB);
    expect(env.GITLAB_CONFIGS).not.toContain('#');
  });

  test('plain values, with the trailing comment removed', () => {
    expect(env).toMatchObject({
      CELERY_BROKER_URL: 'redis://redis:6379/0',
      SECBOT_POSTGRES_DSN: 'postgresql+asyncpg://secbot:foobar@db:5432/secbot',
      DEFECTDOJO__URL: 'https://defectdojo.env.local',
      DEFECTDOJO__TOKEN: 'defectdojo_token',
      DEFECTDOJO__USER: 'defectdojo_username',
      DEFECTDOJO__USER_ID: '10',
      SLACK_TOKEN: 'token_here',
    });
  });

  test('the same JSON with comments at the end of each line', () => {
    const text = [
      'GITLAB_CONFIGS=[  # list of instances',
      '  {',
      '    "host": "https://git.env.local/",      # GitLab\'s host (instance)',
      '    "webhook_secret_token":"SecretStr",    # secret token used when a webhook is being set up',
      '    "auth_token": "SecretStr",             # token, "quoted" words and all',
      '    "prefix":"GIT_LOCAL"                   # prefix used when a security_check_id is being generated',
      '  }',
      ']   # end',
      'NEXT=1',
    ].join('\n');
    const parsed = parseDotenv(text);
    expect(JSON.parse(parsed.GITLAB_CONFIGS!)).toEqual(SEED_GITLAB);
    expect(parsed.NEXT).toBe('1');
  });

  test('a # inside a JSON string is kept', () => {
    const parsed = parseDotenv('GITLAB_CONFIGS=[\n {"auth_token": "abc #def", "x": "a\\"#b"} # comment\n]');
    expect(JSON.parse(parsed.GITLAB_CONFIGS!)).toEqual([{ auth_token: 'abc #def', x: 'a"#b' }]);
  });

  test('a one-line JSON value and a JSON object value', () => {
    const parsed = parseDotenv('A=[{"k": "v"}]\nB={\n  "x": [1, 2],\n  "y": {"z": "]"}\n}\nC=after');
    expect(JSON.parse(parsed.A!)).toEqual([{ k: 'v' }]);
    expect(JSON.parse(parsed.B!)).toEqual({ x: [1, 2], y: { z: ']' } });
    expect(parsed.C).toBe('after');
  });
});

describe('parseDotenv: lines', () => {
  test.each([
    ['KEY=value', 'value'],
    ['KEY = value', 'value'],
    ['  KEY=value  ', 'value'],
    ['export KEY=value', 'value'],
    ['export   KEY=value', 'value'],
    ['KEY=', ''],
    ['KEY=a=b=c', 'a=b=c'],
    ['KEY=value # comment', 'value'],
    ['KEY=value\t# comment', 'value'],
    ['KEY=https://host/path#fragment', 'https://host/path#fragment'],
    ['KEY=a#b', 'a#b'],
    ['KEY="double quoted"', 'double quoted'],
    ["KEY='single quoted'", 'single quoted'],
    ['KEY="with # hash"', 'with # hash'],
    ["KEY='with # hash'", 'with # hash'],
    ['KEY="line1\\nline2"', 'line1\nline2'],
    ["KEY='no\\nescapes'", 'no\\nescapes'],
    ['KEY="say \\"hi\\""', 'say "hi"'],
    ['KEY=""', ''],
    ['KEY="value" # comment', 'value'],
    ["KEY='value' # the DefectDojo's API key", 'value'],
    ['KEY="value" # a "quoted" comment', 'value'],
    ['export KEY="quoted"', 'quoted'],
    ['KEY=postgresql+asyncpg://u:p@db:5432/x', 'postgresql+asyncpg://u:p@db:5432/x'],
  ])('%s → %p', (line, value) => {
    expect(parseDotenv(line)).toEqual({ KEY: value });
  });

  test('blank lines, comment lines and CRLF line ends', () => {
    expect(parseDotenv('# header\r\n\r\nA=1\r\n   # indented comment\r\nB=2\r\n')).toEqual({ A: '1', B: '2' });
  });

  test('a later line wins over an earlier one', () => {
    expect(parseDotenv('A=1\nA=2')).toEqual({ A: '2' });
  });

  test.each([
    ['not a key line', 'A=1\nthis is not valid\n', '.env.dev:2: expected KEY=value'],
    ['key starting with a digit', '1A=x', '.env.dev:1: expected KEY=value'],
    ['unterminated double quote', 'A=1\n\nB="abc\n', '.env.dev:3: unterminated quoted value'],
    ["unterminated single quote", "B='abc", '.env.dev:1: unterminated quoted value'],
    ['lone quote', 'B="', '.env.dev:1: unterminated quoted value'],
  ])('%s → error with file and line number', (_label, text, message) => {
    expect(() => parseDotenv(text, '.env.dev')).toThrow(message);
  });

  test('an unterminated JSON value names the variable and the line where it starts', () => {
    const text = 'A=1\nGITLAB_CONFIGS=[\n  {"host": "https://x/"\n]\nB=2\n\n';
    expect(() => parseDotenv(text, '.env.override')).toThrow(/^\.env\.override:2: unterminated value of GITLAB_CONFIGS\b/);
    expect(() => parseDotenv('X=1\nY=2\nCFG={\n', '.env.dev')).toThrow(/^\.env\.dev:3: unterminated value of CFG\b/);
  });

  test('errors do not echo the line (it may hold a secret)', () => {
    expect(() => parseDotenv('SLACK_TOKEN xoxb-secret-value')).toThrow(/^\.env:1: expected KEY=value$/);
    expect(() => parseDotenv('SLACK_TOKEN="xoxb-secret-value')).not.toThrow(/xoxb/);
  });
});

describe('loadLayeredEnv: process env > .env.override > .env.dev', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  function dir(files: Record<string, string>): string {
    const d = mkdtempSync(join(tmpdir(), 'secbot-dotenv-'));
    dirs.push(d);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
    return d;
  }

  test('each layer overrides the one below, key by key', () => {
    const d = dir({
      '.env.dev': 'A=dev\nB=dev\nC=dev\nONLY_DEV=1\n',
      '.env.override': 'B=override\nC=override\nONLY_OVERRIDE=1\n',
    });
    const env = loadLayeredEnv(d, { C: 'process', ONLY_PROCESS: '1' });
    expect(env).toEqual({ A: 'dev', B: 'override', C: 'process', ONLY_DEV: '1', ONLY_OVERRIDE: '1', ONLY_PROCESS: '1' });
  });

  test('the seed example: DEFECTDOJO__TOKEN redefined in .env.override', () => {
    const d = dir({ '.env.dev': SEED_ENV_DEV, '.env.override': '# Excerpt from .env.override\nDEFECTDOJO__TOKEN=my_personal_token\n' });
    const env = loadLayeredEnv(d, {});
    expect(env.DEFECTDOJO__TOKEN).toBe('my_personal_token');
    expect(JSON.parse(env.GITLAB_CONFIGS!)).toEqual(SEED_GITLAB);
  });

  test('missing files are fine', () => {
    expect(loadLayeredEnv(dir({}), { X: '1' })).toEqual({ X: '1' });
    expect(loadLayeredEnv(dir({ '.env.override': 'Y=2' }), {})).toEqual({ Y: '2' });
  });

  test('undefined process values do not hide file values; empty strings do', () => {
    const d = dir({ '.env.dev': 'A=dev\nB=dev\n' });
    expect(loadLayeredEnv(d, { A: undefined, B: '' })).toEqual({ A: 'dev', B: '' });
  });

  test('a parse error names the file it comes from', () => {
    const d = dir({ '.env.dev': 'A=1\n', '.env.override': 'A=1\nbroken line\n' });
    expect(() => loadLayeredEnv(d, {})).toThrow('.env.override:2: expected KEY=value');
  });

  test('other files in the directory (.env, .env.override.example) are not read', () => {
    const d = dir({ '.env': 'A=dotenv', '.env.override.example': 'A=example', '.env.dev': 'A=dev' });
    expect(loadLayeredEnv(d, {})).toEqual({ A: 'dev' });
  });
});
