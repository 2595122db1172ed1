/**
 * True and false examples of every rule of SecBot's gitleaks pack, in the manner of gitleaks' own rule tests. A true
 * example must be reported by its rule; a false one must not be reported by any rule. Secret values are made at run
 * time (test/helpers/fake-values.ts).
 */
import { configFileExamples, connectionExamples, sourceConfigExamples } from './examples-config.ts';
import { base32 } from '../../helpers/fake-values.ts';
import { ex, type Example, type RuleExamples } from './examples-kit.ts';
import { cloudExamples, hashAndExportExamples, keyAndFrameworkExamples, toolFileExamples } from './examples-files.ts';

export type { Example, RuleExamples };

export function ruleExamples(): RuleExamples[] {
  return [
    ...configFileExamples(), ...sourceConfigExamples(), ...connectionExamples(),
    ...toolFileExamples(), ...cloudExamples(), ...keyAndFrameworkExamples(), ...hashAndExportExamples(),
  ];
}

/** Values SecBot's global allowlists must drop whatever rule matches them, each in a file a pack rule reads. */
export function placeholderExamples(): Example[] {
  const values = [
    'changeme', 'change-me', 'CHANGEME', 'xxxxxxxx', '********', '${DB_PASSWORD}', '$DB_PASSWORD', '<password>', '[PASSWORD]',
    '{{ db_password }}', '%(password)s', 'your-password', 'your_password_here', 'my-secret-password', 'dummy', 'example-password',
    'password', 'secret', 'test1234', 'fake-secret', 'placeholder', 'REDACTED', 'null', 'None', 'true', 'os.environ.get("PW")',
    'env("DB_PASSWORD")', 'getpass.getpass()', '/run/secrets/db_password', 'tiger', 'postgres', 'hunter2', 'password123', 'key_1234',
    'AKIAXXXXXXXXXXXXXXXX',
  ];
  return values.map((v, i) => ex(`placeholders/${i}/app.ini`, `[db]\npassword = ${v}\napi_token = ${v}\n`));
}

/** Provider tokens whose random part happens to look like a placeholder shape; gitleaks' rule must still report them. */
export function providerTokenExamples(): { rule: string; example: Example }[] {
  const random = (n: number) => base32(n).toUpperCase();
  return [
    { rule: 'aws-access-token', example: ex('a/k.cfg', `aws_access_key_id = "AKIA${random(13)}KEY"`) },
    { rule: 'aws-access-token', example: ex('b/k.cfg', `aws_access_key_id = "AKIAXXXX${random(12)}"`) },
    { rule: 'aws-access-token', example: ex('c/k.cfg', `aws_access_key_id = "AKIATEST${random(12)}"`) },
    // A genuine id whose entropy is under gitleaks' floor of 3 (about 1 in 5,400 ids): the pack lowers the floor.
    { rule: 'aws-access-token', example: ex('d/.env', `AWS_ACCESS_KEY_ID=${lowEntropyAwsKeyId()}`) },
    // The same for two more rules whose floor sits inside the range of genuine values (entropy 3.60 and 3.24 here).
    { rule: '1password-secret-key', example: ex('e/op.txt', `secret key: ${lowEntropyOnePasswordKey()}`) },
    { rule: 'vault-service-token', example: ex('f/vault.hcl', `token = "${lowEntropyVaultToken()}"`) },
  ];
}

/** `k` distinct random characters of the pool (letters unless told). */
function distinct(k: number, pool = /[^B-HJLMNO-RT-Z]/g): string {
  const chars = [...new Set(base32(400).toUpperCase().replace(pool, ''))].slice(0, k);
  if (chars.length < k) throw new Error(`could not draw ${k} distinct characters`);
  return chars.join('');
}

/** `n` characters cycling through distinct symbols: entropy about log2(symbols), whichever they are. */
function cycle(symbols: string, n: number): string {
  return Array.from({ length: n }, (_, i) => symbols[i % symbols.length]).join('');
}

/** AKIA and 16 characters cycling through three random letters: Shannon entropy about 2.3, under gitleaks' 3. */
function lowEntropyAwsKeyId(): string {
  return `AKIA${cycle(distinct(3), 16)}`;
}

/** A 1Password secret key shape whose entropy (about 3.6) is under gitleaks' 3.8. */
function lowEntropyOnePasswordKey(): string {
  const b = cycle(distinct(10), 32);
  return `A3-${b.slice(0, 6)}-${b.slice(6, 17)}-${b.slice(17, 22)}-${b.slice(22, 27)}-${b.slice(27)}`;
}

/** A legacy Vault token, s. and 24 characters of eight symbols (about 3.24 bits), with digits: gitleaks allowlists letters only. */
function lowEntropyVaultToken(): string {
  return `s.${cycle(distinct(4) + distinct(4, /[^2-7]/g), 24).toLowerCase()}`;
}
