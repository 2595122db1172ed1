/** Per-process CPU time and memory from /proc (Linux). */
import { readFileSync } from 'node:fs';

const TICKS = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100;

/** utime + stime of the process in seconds (children not included). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which is in parentheses and may contain spaces).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

/** cutime + cstime: CPU seconds of the process's children that it has reaped (git, gitleaks). */
export function childrenCpuSeconds(pid: number | 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[13]) + Number(rest[14])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

/** VmHWM (peak RSS) and VmRSS in MiB. */
export function memory(pid: number): { hwmMiB: number; rssMiB: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { hwmMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
  } catch {
    return { hwmMiB: Number.NaN, rssMiB: Number.NaN };
  }
}
