/** Machine facts every benchmark prints first, so figures are read against the load they were taken under. */
import { cpus, loadavg, totalmem } from 'node:os';

export function machineFacts(): string {
  const model = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const [l1, l5, l15] = loadavg().map((x) => x.toFixed(2));
  return [
    `machine: ${navigator.hardwareConcurrency} CPUs (${model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `load average at start: ${l1} ${l5} ${l15} (1/5/15 min)`,
    `bun ${Bun.version}, ${new Date().toISOString()}, ${treeState()}`,
  ].join('\n');
}

export function loadNow(): string {
  return loadavg().map((x) => x.toFixed(2)).join(' ');
}

/** The command line that reproduces this run (relative to the repository root). */
export function reproduceLine(script: string): string {
  const args = process.argv.slice(2).map((a) => (/^[\w./=:-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  const out = process.env.SECBOT_BENCH_BINARY;
  const build = out ? `SECBOT_BUILD_OUT=${out} bun run build && SECBOT_BENCH_BINARY=${out}` : 'bun run build &&';
  return `reproduce: cd /work/main && export PATH=/work/main/scripts/toolchain/node_modules/.bin:/work/main/.tools/bin:$PATH && ${build} bun ${script}${args.length ? ` ${args.join(' ')}` : ''}`;
}

/** The commit the tree is at, and whether src/ has uncommitted changes (what a binary built now contains). */
function treeState(): string {
  const git = (args: string[]) => Bun.spawnSync(['git', ...args], { cwd: `${import.meta.dir}/../..` }).stdout.toString().trim();
  const head = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
  return `tree at ${head}${dirty ? ' with uncommitted changes in src/' : ''}`;
}
