/** Runs wrk (Debian package `wrk`) with a Lua script whose done() prints one `WRKJSON {…}` line, and parses it. */

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p90ms: number;
  p99ms: number;
  maxMs: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

/** Lua appended to every script: prints the summary as JSON (latencies in microseconds). */
export const DONE_LUA = `
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

export function wrkVersion(): string {
  const out = Bun.spawnSync(['wrk', '-v']).stdout.toString() + Bun.spawnSync(['wrk', '-v']).stderr.toString();
  return out.split('\n')[0]?.trim() ?? 'wrk';
}

export async function runWrk(o: { url: string; script: string; args?: string[]; seconds: number; connections: number; threads: number }): Promise<WrkResult> {
  const cmd = ['wrk', '-t', String(o.threads), '-c', String(o.connections), '-d', `${o.seconds}s`, '--timeout', '5s', '-s', o.script, o.url, '--', ...(o.args ?? [])];
  const p = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
  if (code !== 0 || !line) throw new Error(`wrk failed (${code}): ${err}\n${out}`);
  const j = JSON.parse(line.slice(8));
  const seconds = j.duration_us / 1e6;
  return {
    requests: j.requests,
    seconds,
    rps: j.requests / seconds,
    p50ms: j.p50 / 1000,
    p90ms: j.p90 / 1000,
    p99ms: j.p99 / 1000,
    maxMs: j.max / 1000,
    errors: { connect: j.connect, read: j.read, write: j.write, status: j.status, timeout: j.timeout },
  };
}
