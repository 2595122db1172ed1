// The labelled leak corpus (test/fixtures/leak-corpus/): it is exactly what its template builds, it covers every
// format issue 17 lists, and SecBot's pack finds its secrets (real gitleaks) without false positives.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildCorpus, CORPUS_DIR, MANIFEST_NAME, readManifest, TEMPLATE_PATH } from '../../../bench/recall/corpus.ts';
import { runGitleaksDir, score } from '../../../bench/recall/evaluate.ts';
import { GITLEAKS_DEFAULT_TOML, SECBOT_PACK_TOML } from '../../../src/plugins/scanners/gitleaks/rules.ts';

const GITLEAKS = join(import.meta.dir, '..', '..', '..', '.tools', 'bin', 'gitleaks');

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [relative(CORPUS_DIR, join(dir, e.name))],
  );
}

describe('leak corpus', () => {
  const manifest = readManifest();

  test('is what bench/recall/corpus-template.txt builds (rebuild with `bun bench/recall/corpus.ts`)', () => {
    const built = buildCorpus(readFileSync(TEMPLATE_PATH, 'utf8'));
    expect(built.manifest).toEqual(manifest);
    expect(listFiles(CORPUS_DIR).filter((p) => p !== MANIFEST_NAME).sort()).toEqual([...built.files.keys()].sort());
    for (const [path, text] of built.files) expect({ path, text: readFileSync(join(CORPUS_DIR, path), 'utf8') }).toEqual({ path, text });
  });

  test('has at least one labelled file for every format of the issue', () => {
    const formats = new Set(manifest.files.filter((f) => f.lines.length > 0 || f.whole).map((f) => f.format));
    const wanted = [
      'shell profile', 'netrc', 'pgpass', 'git credentials', 'npmrc', 'pypirc', 'maven settings', 'gradle', 'composer auth',
      'docker config', 'aws credentials', 's3cmd', 'gcp service account', 'azure', 'digitalocean', 'heroku', 'htpasswd', 'shadow',
      'sql dump', 'dotenv', 'rails', 'django', 'wordpress', 'php config', 'appsettings', 'spring properties', 'ftp client',
      'editor sync plugin', 'browser logins', 'private keys', 'connection URIs', 'kubeconfig', 'kubernetes secret', 'terraform',
    ];
    expect(wanted.filter((w) => !formats.has(w))).toEqual([]);
    expect(manifest.files.reduce((n, f) => n + f.lines.length, 0)).toBeGreaterThan(150);
  });

  test("SecBot's pack finds at least 85 % of it with no false positive, far more than gitleaks' defaults", async () => {
    const pack = score(manifest, await runGitleaksDir(GITLEAKS, CORPUS_DIR, SECBOT_PACK_TOML));
    const defaults = score(manifest, await runGitleaksDir(GITLEAKS, CORPUS_DIR, GITLEAKS_DEFAULT_TOML));
    expect(pack.found / pack.labelled).toBeGreaterThanOrEqual(0.85);
    expect(pack.falsePositiveFindings.map((f) => `${f.File}:${f.StartLine} ${f.RuleID}`)).toEqual([]);
    expect(pack.found).toBeGreaterThan(defaults.found * 2);
  });
});
