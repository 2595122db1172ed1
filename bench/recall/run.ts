/**
 * Recall benchmark: the real gitleaks (`gitleaks dir`) on the labelled corpus in test/fixtures/leak-corpus/, with
 * gitleaks' default rules and with SecBot's pack; prints recall and false positives per format and overall.
 *
 *   bun bench/recall/run.ts [--git] [--verbose]
 *
 * --git scans a one-commit repository made from the corpus with `gitleaks git` (how SecBot runs it) instead of
 * `gitleaks dir`; --verbose lists missed lines and false positives (never values).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GITLEAKS_DEFAULT_TOML, SECBOT_PACK_TOML } from '../../src/plugins/scanners/gitleaks/rules.ts';
import { machineFacts } from '../lib/machine.ts';
import { CORPUS_DIR, readManifest } from './corpus.ts';
import { runGitleaksDir, runGitleaksGit, score, type Finding, type Score } from './evaluate.ts';

const ROOT = join(import.meta.dir, '..', '..');
const GITLEAKS = join(ROOT, '.tools', 'bin', 'gitleaks');
const verbose = process.argv.includes('--verbose');
const gitMode = process.argv.includes('--git');

/** The corpus as one commit of a fresh repository (no manifest), for `gitleaks git`. */
function corpusRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secbot-corpus-repo-'));
  cpSync(CORPUS_DIR, dir, { recursive: true, filter: (src) => !src.endsWith('manifest.json') });
  const git = (args: string[]) => {
    const r = Bun.spawnSync(['git', '-c', 'user.name=bench', '-c', 'user.email=bench@local', ...args], { cwd: dir });
    if (r.exitCode !== 0) throw new Error(`git ${args[0]} failed: ${r.stderr.toString()}`);
  };
  git(['init', '-q']);
  git(['add', '-A']);
  git(['commit', '-qm', 'corpus']);
  return dir;
}

async function scan(toml: string): Promise<Finding[]> {
  if (!gitMode) return runGitleaksDir(GITLEAKS, CORPUS_DIR, toml);
  const repo = corpusRepo();
  try {
    return await runGitleaksGit(GITLEAKS, repo, toml);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

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
const defaults = score(manifest, await scan(GITLEAKS_DEFAULT_TOML));
const pack = score(manifest, await scan(SECBOT_PACK_TOML));
console.log(machineFacts());
console.log(`corpus: ${manifest.files.length} files, ${pack.labelled} labelled secrets (test/fixtures/leak-corpus), gitleaks ${gitMode ? 'git (one commit)' : 'dir'}\n`);
console.log(table(defaults, pack));
console.log(
  `\nrecall: gitleaks defaults ${pct(defaults.found, defaults.labelled)} (${defaults.falsePositives} FP), ` +
    `SecBot pack ${pct(pack.found, pack.labelled)} (${pack.falsePositives} FP)`,
);
if (verbose) {
  details('gitleaks defaults', defaults);
  details('SecBot pack', pack);
}
