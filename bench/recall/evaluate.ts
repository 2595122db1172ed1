/**
 * Runs the real gitleaks on the labelled corpus with a given rules TOML and scores its findings against the
 * manifest: a labelled line is found when a finding's lines cover it (a whole-file label when a path rule reports
 * the file); a finding that covers no labelled line is a false positive. Shared by bench/recall/run.ts and the
 * corpus test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Manifest } from './corpus.ts';
import { configFiles } from '../../src/plugins/scanners/gitleaks/rules.ts';

const findingSchema = z.object({
  RuleID: z.string(),
  File: z.string(),
  StartLine: z.number().int(),
  EndLine: z.number().int(),
  Match: z.string(),
  Tags: z.array(z.string()).nullable(),
});
export type Finding = z.infer<typeof findingSchema>;

export interface FormatScore {
  format: string;
  files: number;
  labelled: number;
  found: number;
  falsePositives: number;
}

export interface Score {
  labelled: number;
  found: number;
  falsePositives: number;
  byFormat: FormatScore[];
  missed: { file: string; line: number }[];
  falsePositiveFindings: Finding[];
}

/** `gitleaks dir` over `dir` (run from inside it, so paths are relative) with the given rules; returns the findings. */
export async function runGitleaksDir(bin: string, dir: string, rulesToml: string): Promise<Finding[]> {
  return runGitleaks(bin, rulesToml, (tmp) => ({ args: ['dir', ...common(tmp), '.'], cwd: dir }));
}

/** Flags both modes share; the report and config live in `tmp`, whose .gitleaksignore (none) is the one read. */
function common(tmp: string): string[] {
  return ['--no-banner', '--no-color', '--log-level', 'error', '--exit-code', '0', '--redact', '--config', join(tmp, 'rules.toml'),
    '--gitleaks-ignore-path', tmp, '--report-format', 'json', '--report-path', join(tmp, 'report.json')];
}

/** Runs gitleaks with `rulesToml` written to a temporary folder; returns the findings of its JSON report. */
async function runGitleaks(bin: string, rulesToml: string, how: (tmp: string) => { args: string[]; cwd: string }): Promise<Finding[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'secbot-recall-'));
  try {
    for (const f of configFiles(rulesToml, tmp, 'rules.toml').files) writeFileSync(f.path, f.content);
    const { args, cwd } = how(tmp);
    const proc = Bun.spawn([bin, ...args], { cwd, stdout: 'ignore', stderr: 'pipe' });
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`gitleaks exited ${code}: ${stderr.slice(-2000)}`);
    return z.array(findingSchema).parse(await Bun.file(join(tmp, 'report.json')).json());
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A path rule's finding has no line (its Match is mangled by --redact, whose secret is empty). */
const isWholeFile = (f: Finding) => f.StartLine === 0 && f.EndLine === 0;

export function score(manifest: Manifest, findings: Finding[]): Score {
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  const hit = new Set<string>();
  const falsePositiveFindings: Finding[] = [];
  for (const f of findings) {
    const entry = byPath.get(f.File);
    const covered = entry
      ? isWholeFile(f)
        ? entry.whole ? ['whole'] : []
        : entry.lines.filter((l) => l >= f.StartLine && l <= Math.max(f.StartLine, f.EndLine)).map(String)
      : [];
    if (covered.length === 0) falsePositiveFindings.push(f);
    for (const c of covered) hit.add(`${f.File}\0${c}`);
  }
  const formats = new Map<string, FormatScore>();
  const missed: Score['missed'] = [];
  for (const file of manifest.files) {
    const s = formats.get(file.format) ?? { format: file.format, files: 0, labelled: 0, found: 0, falsePositives: 0 };
    s.files += 1;
    const labels = [...file.lines.map(String), ...(file.whole ? ['whole'] : [])];
    for (const label of labels) {
      s.labelled += 1;
      if (hit.has(`${file.path}\0${label}`)) s.found += 1;
      else missed.push({ file: file.path, line: label === 'whole' ? 0 : Number(label) });
    }
    formats.set(file.format, s);
  }
  for (const f of falsePositiveFindings) {
    const format = byPath.get(f.File)?.format ?? '(not in the manifest)';
    const s = formats.get(format) ?? { format, files: 0, labelled: 0, found: 0, falsePositives: 0 };
    s.falsePositives += 1;
    formats.set(format, s);
  }
  const byFormat = [...formats.values()];
  return {
    labelled: byFormat.reduce((n, s) => n + s.labelled, 0),
    found: byFormat.reduce((n, s) => n + s.found, 0),
    falsePositives: falsePositiveFindings.length,
    byFormat,
    missed,
    falsePositiveFindings,
  };
}

/** `gitleaks git` over the whole history of a repository (all refs), as SecBot's `full` mode would read it. */
export async function runGitleaksGit(bin: string, repo: string, rulesToml: string): Promise<Finding[]> {
  return runGitleaks(bin, rulesToml, (tmp) => ({ args: ['git', ...common(tmp), '--ignore-gitleaks-allow', repo], cwd: tmp }));
}
