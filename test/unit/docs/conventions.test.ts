/**
 * The repository's conventions, checked: Biome pinned and run by CI, the project documents a newcomer looks for
 * (CONTRIBUTING, LICENSE, SECURITY, CHANGELOG) present and linked, and no reference to sections of a document the
 * reader does not have ("seed §…").
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '../../..');
const read = (f: string) => Bun.file(join(ROOT, f)).text();

describe('lint and format', () => {
  test('Biome is a pinned devDependency, locked, with lint (CI) and format (write) scripts', async () => {
    const pkg = JSON.parse(await read('package.json'));
    expect(pkg.devDependencies['@biomejs/biome']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await read('bun.lock')).toContain(`"@biomejs/biome@${pkg.devDependencies['@biomejs/biome']}"`);
    expect(pkg.scripts.lint).toBe('biome lint --error-on-warnings .');
    expect(pkg.scripts.format).toBe('biome format --write .');
    expect(existsSync(join(ROOT, 'biome.jsonc'))).toBe(true);
    expect(await read('.ci/run')).toMatch(/bun run lint\n/);
  });

});

describe('project documents', () => {
  test('CONTRIBUTING covers the layout, plugins, tests and benchmarks; LICENSE is MIT; SECURITY and CHANGELOG exist', async () => {
    const contributing = await read('CONTRIBUTING.md');
    for (const heading of ['## Layout', '## Adding a plugin', '## Tests', '## Benchmarks']) expect(contributing).toContain(heading);
    for (const kind of ['Scanner', 'Output', 'Notifier']) expect(contributing).toContain(`**${kind}**`);
    expect(await read('LICENSE')).toStartWith('MIT License');
    expect(JSON.parse(await read('package.json')).license).toBe('MIT');
    expect(await read('SECURITY.md')).toContain('## Reporting a vulnerability');
    expect(await read('CHANGELOG.md')).toContain('## [Unreleased]');
    const readme = await read('README.md');
    for (const f of ['CONTRIBUTING.md', 'CHANGELOG.md', 'SECURITY.md', 'LICENSE']) expect(readme).toContain(`(${f})`);
  });

  test('README and docs/ refer to no "seed §" sections (readers do not have that document)', async () => {
    const files = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)];
    for (const f of files) expect({ f, refs: (await read(f)).match(/seed (§|chapter)\s*\d[\d.]*/gi) ?? [] }).toEqual({ f, refs: [] });
  });
});
