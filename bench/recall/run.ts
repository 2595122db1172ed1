/**
 * Recall benchmark: the real gitleaks (`gitleaks dir`) on the labelled corpus in test/fixtures/leak-corpus/, with
 * gitleaks' default rules and with SecBot's pack; prints recall and false positives per format and overall.
 *
 *   bun bench/recall/run.ts [--verbose]      (--verbose lists missed lines and false positives, without values)
 */
import { join } from 'node:path';
import { GITLEAKS_DEFAULT_TOML, SECBOT_PACK_TOML } from '../../src/plugins/scanners/gitleaks/rules.ts';
import { machineFacts } from '../lib/machine.ts';
import { CORPUS_DIR, readManifest } from './corpus.ts';
import { runGitleaksDir, score, type Score } from './evaluate.ts';

const ROOT = join(import.meta.dir, '..', '..');
const GITLEAKS = join(ROOT, '.tools', 'bin', 'gitleaks');
const verbose = process.argv.includes('--verbose');

const pct = (found: number, of: number) => (of === 0 ? '—' : `${((100 * found) / of).toFixed(1)} %`);

function table(defaults: Score, pack: Score): string {
  const rows = ['| format | files | labelled | gitleaks defaults: found | FP | SecBot pack: found | FP |', '|---|---:|---:|---:|---:|---:|---:|'];
  const packByFormat = new Map(pack.byFormat.map((s) => [s.format, s]));
  for (const d of defaults.byFormat) {
    const p = packByFormat.get(d.format)!;
    rows.push(`| ${d.format} | ${d.files} | ${d.labelled} | ${d.found} | ${d.falsePositives} | ${p.found} | ${p.falsePositives} |`);
  }
  for (const p of pack.byFormat.filter((s) => !defaults.byFormat.some((d) => d.format === s.format))) {
    rows.push(`| ${p.format} | ${p.files} | ${p.labelled} | — | — | ${p.found} | ${p.falsePositives} |`);
  }
  rows.push(
    `| **all** | ${pack.byFormat.reduce((n, s) => n + s.files, 0)} | ${pack.labelled} | ` +
      `**${defaults.found} (${pct(defaults.found, defaults.labelled)})** | **${defaults.falsePositives}** | ` +
      `**${pack.found} (${pct(pack.found, pack.labelled)})** | **${pack.falsePositives}** |`,
  );
  return rows.join('\n');
}

function details(name: string, s: Score): void {
  console.log(`\n${name}: missed ${s.missed.length}`);
  for (const m of s.missed) console.log(`  missed ${m.file}:${m.line}`);
  for (const f of s.falsePositiveFindings) console.log(`  false positive ${f.File}:${f.StartLine} (${f.RuleID})`);
}

const manifest = readManifest();
const defaults = score(manifest, await runGitleaksDir(GITLEAKS, CORPUS_DIR, GITLEAKS_DEFAULT_TOML));
const pack = score(manifest, await runGitleaksDir(GITLEAKS, CORPUS_DIR, SECBOT_PACK_TOML));
console.log(machineFacts());
console.log(`corpus: ${manifest.files.length} files, ${pack.labelled} labelled secrets (test/fixtures/leak-corpus)\n`);
console.log(table(defaults, pack));
console.log(
  `\nrecall: gitleaks defaults ${pct(defaults.found, defaults.labelled)} (${defaults.falsePositives} FP), ` +
    `SecBot pack ${pct(pack.found, pack.labelled)} (${pack.falsePositives} FP)`,
);
if (verbose) {
  details('gitleaks defaults', defaults);
  details('SecBot pack', pack);
}
