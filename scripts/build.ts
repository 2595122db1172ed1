/** Builds the single `dist/secbot` executable (bun build --compile, with bytecode for a faster start). */
import { join } from 'node:path';

const root = join(import.meta.dir, '..');
const outfile = process.env.SECBOT_BUILD_OUT ?? join(root, 'dist', 'secbot');
const args = ['build', join(root, 'src/main.ts'), '--compile', '--bytecode', '--minify-syntax', '--outfile', outfile];
const proc = Bun.spawnSync([process.execPath, ...args], { stdout: 'inherit', stderr: 'inherit', cwd: root });
if (proc.exitCode !== 0) {
  console.error(`build failed (exit ${proc.exitCode})`);
  process.exit(proc.exitCode ?? 1);
}
console.log(`built ${outfile}`);
