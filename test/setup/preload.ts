/**
 * Loaded before every test file (bunfig.toml): puts the project's pinned tools (.tools/bin: gitleaks) first on PATH
 * and keeps the developer's own git configuration out of the tests.
 */
import { setDefaultTimeout } from 'bun:test';
import { join } from 'node:path';

const root = join(import.meta.dir, '..', '..');
process.env.PATH = `${join(root, '.tools', 'bin')}:${process.env.PATH ?? ''}`;
process.env.GIT_CONFIG_NOSYSTEM = '1';
process.env.GIT_TERMINAL_PROMPT = '0';

// Integration tests boot servers, git and gitleaks: 5 s (Bun's default) is too short on a loaded 2-core machine.
setDefaultTimeout(60_000);
