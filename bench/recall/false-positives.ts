/**
 * False positives on ordinary code: the real gitleaks over trees of source that hold no secrets of ours (installed
 * packages, this repository's history), with SecBot's pack or gitleaks' defaults. gitleaks runs from inside each
 * tree, so gitleaks' own path allowlist (node_modules/, site-packages, vendor/) does not hide the files. Prints
 * every finding as rule, file and line (never the value) for a person to classify, and the count per 10,000 files.
 *
 *   bun bench/recall/false-positives.ts [--rules secbot|gitleaks-default] [--git REPO] [--exclude REGEX] DIR...
 *
 * --exclude drops matching paths from the file count and the findings alike (e.g. compiled files, which SecBot never
 * reads: gitleaks skips binary files in git history).
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GITLEAKS_DEFAULT_TOML, SECBOT_PACK_TOML } from '../../src/plugins/scanners/gitleaks/rules.ts';
import { machineFacts } from '../lib/machine.ts';
import { runGitleaksDir, runGitleaksGit, type Finding } from './evaluate.ts';

const ROOT = join(import.meta.dir, '..', '..');
const GITLEAKS = join(ROOT, '.tools', 'bin', 'gitleaks');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const exclude = option('exclude') ? new RegExp(option('exclude')!) : null;

/** Regular files under dir, as gitleaks dir walks them (it skips .git folders), less the excluded ones. */
function countFiles(dir: string, rel = ''): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) n += e.name === '.git' ? 0 : countFiles(join(dir, e.name), path);
    else if (e.isFile() && !exclude?.test(path)) n += 1;
  }
  return n;
}

/** File versions a `git log -p` scan reads: one per file added or modified by each commit. */
function countHistoryFiles(repo: string): number {
  const out = Bun.spawnSync(['git', '-C', repo, 'log', '--all', '--format=', '--name-only', '--diff-filter=AM']).stdout.toString();
  return out.split('\n').filter(Boolean).length;
}

const rulesName = option('rules') ?? 'secbot';
const toml = rulesName === 'secbot' ? SECBOT_PACK_TOML : rulesName === 'gitleaks-default' ? GITLEAKS_DEFAULT_TOML : null;
if (!toml) throw new Error('--rules must be secbot or gitleaks-default');
const gitRepo = option('git');
const dirs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));

console.log(machineFacts());
let files = 0;
const findings: (Finding & { root: string })[] = [];
for (const dir of dirs.map((d) => resolve(d))) {
  const t0 = performance.now();
  const n = countFiles(dir);
  const found = await runGitleaksDir(GITLEAKS, dir, toml);
  console.log(`${dir}: ${n} files, ${found.length} findings, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  files += n;
  findings.push(...found.map((f) => ({ ...f, root: dir })));
}
if (gitRepo) {
  const n = countHistoryFiles(gitRepo);
  const found = await runGitleaksGit(GITLEAKS, resolve(gitRepo), toml);
  console.log(`${gitRepo} (git history, all refs): ${n} file versions, ${found.length} findings`);
  files += n;
  findings.push(...found.map((f) => ({ ...f, root: `git:${gitRepo}` })));
}
const kept = findings.filter((f) => !exclude?.test(f.File));
console.log(`\nrules: ${rulesName}; excluded by --exclude: ${findings.length - kept.length}`);
for (const f of kept) console.log(`  ${f.RuleID}\t${f.root}/${f.File}:${f.StartLine}`);
console.log(`\n${kept.length} findings in ${files} files: ${((kept.length * 10_000) / Math.max(files, 1)).toFixed(2)} per 10,000 files`);
