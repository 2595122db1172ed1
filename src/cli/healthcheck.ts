/**
 * `secbot healthcheck`: the container HEALTHCHECK for every role. The image cannot know which role its command
 * runs (`all`, `intake`, `results` or `worker`), so this probes /healthz on the intake, results and worker ports
 * the settings name and passes when any of them answers 200: a container runs one SecBot process, and every role
 * serves /healthz on at least one of those ports.
 */
import { probePorts } from '../config/settings.ts';
import type { EnvMap } from '../config/dotenv.ts';

export async function healthcheck(env: EnvMap, timeoutMs = 4000): Promise<{ ok: boolean; message: string }> {
  const { host, ports } = probePorts(env);
  const tried: string[] = [];
  const results = await Promise.all(
    ports.map(async ({ role, port }) => {
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        await res.body?.cancel();
        tried.push(`${role} ${url}: ${res.status}`);
        return res.status === 200 ? `${role} (${url})` : null;
      } catch (err) {
        tried.push(`${role} ${url}: ${(err as Error).message}`);
        return null;
      }
    }),
  );
  const up = results.filter((r) => r !== null);
  if (up.length > 0) return { ok: true, message: `healthy: ${up.join(', ')}` };
  return { ok: false, message: `unhealthy: no SecBot port answered /healthz (${tried.join('; ')})` };
}
