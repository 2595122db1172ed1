/**
 * How many genuine tokens gitleaks' entropy floors drop: random tokens of fixed-shape provider rules (prefix and
 * random segments, as the provider issues them), their Shannon entropy as gitleaks computes it on the secret, and
 * the share at or under the floor — gitleaks' default floor, and the floor SecBot's pack sets where it overrides one.
 *
 *   bun bench/recall/entropy-floors.ts [--draws 400000] [--seed 1]
 */
import { SECBOT_PACK_TOML } from '../../src/plugins/scanners/gitleaks/rules.ts';
import { shannonEntropy } from '../../test/helpers/secrets.ts';
import { machineFacts } from '../lib/machine.ts';
import { rng } from './corpus.ts';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const HEX = '0123456789abcdef';
const ALNUM = UPPER + LOWER + DIGITS;
const WORD = `${ALNUM}_-`;

/** A token: literal parts and [alphabet, length] random parts. */
type Part = string | [string, number];
interface Shape {
  rule: string;
  /** gitleaks v8.30.1's `entropy` for the rule. */
  floor: number;
  parts: Part[];
}

const SHAPES: Shape[] = [
  { rule: 'aws-access-token', floor: 3, parts: ['AKIA', [`${UPPER}234567`, 16]] },
  { rule: '1password-secret-key', floor: 3.8, parts: ['A3-', [UPPER + DIGITS, 6], '-', [UPPER + DIGITS, 11], '-', [UPPER + DIGITS, 5], '-', [UPPER + DIGITS, 5], '-', [UPPER + DIGITS, 5]] },
  { rule: 'vault-service-token', floor: 3.5, parts: ['s.', [LOWER + DIGITS, 24]] },
  { rule: 'twilio-api-key', floor: 3, parts: ['SK', [HEX, 32]] },
  { rule: 'databricks-api-token', floor: 3, parts: ['dapi', [HEX, 32]] },
  { rule: 'sentry-user-token', floor: 3.5, parts: ['sntryu_', [HEX, 64]] },
  { rule: 'gcp-api-key', floor: 4, parts: ['AIza', [WORD, 35]] },
  { rule: 'postman-api-token', floor: 3, parts: ['PMAK-', [HEX, 24], '-', [HEX, 34]] },
  { rule: 'gitlab-ptt', floor: 3, parts: ['glptt-', [HEX, 40]] },
  { rule: 'sourcegraph-access-token', floor: 3, parts: [[HEX, 40]] },
  { rule: 'gitlab-session-cookie', floor: 3, parts: ['_gitlab_session=', [LOWER + DIGITS, 32]] },
  { rule: 'settlemint-personal-access-token', floor: 3, parts: ['sm_pat_', [ALNUM, 16]] },
  { rule: 'octopus-deploy-api-key', floor: 3, parts: ['API-', [UPPER + DIGITS, 26]] },
  { rule: 'gitlab-pat', floor: 3, parts: ['glpat-', [WORD, 20]] },
  { rule: 'gitlab-deploy-token', floor: 3, parts: ['gldt-', [WORD, 20]] },
  { rule: 'github-pat', floor: 3, parts: ['ghp_', [ALNUM, 36]] },
  { rule: 'openshift-user-token', floor: 3.5, parts: ['sha256~', [WORD, 43]] },
  { rule: 'clickhouse-cloud-api-secret-key', floor: 3, parts: ['4b1d', [ALNUM, 38]] },
  { rule: 'grafana-service-account-token', floor: 3, parts: ['glsa_', [ALNUM, 32], '_', [HEX, 8]] },
  { rule: 'infracost-api-token', floor: 3, parts: ['ico-', [ALNUM, 32]] },
  { rule: 'hashicorp-tf-api-token', floor: 3.5, parts: [[LOWER + DIGITS, 14], '.atlasv1.', [WORD, 65]] },
];

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function packFloors(): Map<string, number> {
  const pack = Bun.TOML.parse(SECBOT_PACK_TOML) as { rules: { id: string; entropy?: number }[] };
  return new Map(pack.rules.filter((r) => r.entropy !== undefined).map((r) => [r.id, r.entropy!]));
}

const draws = option('draws', 400_000);
const random = rng(option('seed', 1));
const overrides = packFloors();
console.log(machineFacts());
console.log(`${draws} random tokens per rule; share with entropy at or under the floor\n`);
console.log('| rule | gitleaks floor | dropped by it | lowest seen | pack floor | dropped by the pack |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const shape of SHAPES) {
  const pack = overrides.get(shape.rule) ?? shape.floor;
  let underDefault = 0;
  let underPack = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < draws; i++) {
    let token = '';
    for (const p of shape.parts) {
      if (typeof p === 'string') token += p;
      else for (let j = 0; j < p[1]; j++) token += p[0][Math.floor(random() * p[0].length)];
    }
    const h = shannonEntropy(token);
    lowest = Math.min(lowest, h);
    if (h <= shape.floor) underDefault++;
    if (h <= pack) underPack++;
  }
  const share = (n: number) => (n === 0 ? '0' : `${n} (1 in ${Math.round(draws / n).toLocaleString('en-US')})`);
  console.log(`| ${shape.rule} | ${shape.floor} | ${share(underDefault)} | ${lowest.toFixed(2)} | ${pack} | ${share(underPack)} |`);
}
