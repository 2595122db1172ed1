/** Machine facts every benchmark prints first, so figures are read against the load they were taken under. */
import { cpus, loadavg, totalmem } from 'node:os';

export function machineFacts(): string {
  const model = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const [l1, l5, l15] = loadavg().map((x) => x.toFixed(2));
  return [
    `machine: ${navigator.hardwareConcurrency} CPUs (${model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `load average at start: ${l1} ${l5} ${l15} (1/5/15 min)`,
    `bun ${Bun.version}, ${new Date().toISOString()}`,
  ].join('\n');
}

export function loadNow(): string {
  return loadavg().map((x) => x.toFixed(2)).join(' ');
}

/** The command line that reproduces this run (relative to the repository root). */
export function reproduceLine(script: string): string {
  const args = process.argv.slice(2).map((a) => (/^[\w./=:-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return `reproduce: cd /work/main && export PATH=/work/main/scripts/toolchain/node_modules/.bin:/work/main/.tools/bin:$PATH && bun run build && bun ${script}${args.length ? ` ${args.join(' ')}` : ''}`;
}
