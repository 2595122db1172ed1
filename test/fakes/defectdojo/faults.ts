// Failure injection for client tests: one-shot failures, slow answers and an outage.
// They act before routing and auth, because they stand for the proxy/app server failing.

import { PRO_BANNER, json } from './errors.ts';

export interface FailureSpec {
  /** Status to answer with. Omitted with delayMs: the request is only delayed, then served. */
  status?: number;
  /** Body: an object is sent as JSON, a string as-is. Default: what DefectDojo/nginx send. */
  body?: unknown;
  /** Wait this long before answering (a client timeout shorter than this fires first). */
  delayMs?: number;
  /** Only requests whose path starts with this consume the failure. */
  pathPrefix?: string;
  /** Drop the connection (the client sees ECONNRESET) instead of answering. */
  reset?: boolean;
}

/** 'hang': the connection is accepted and the request read, but no answer ever comes (until back up: then reset). */
export type DownMode = 'unavailable' | 'reset' | 'refuse' | 'hang';

interface Rule extends FailureSpec {
  remaining: number;
}

export class Faults {
  private rules: Rule[] = [];
  private timers = new Set<{ timer: ReturnType<typeof setTimeout>; resolve: () => void }>();
  down: DownMode | null = null;

  add(n: number, spec: FailureSpec): void {
    if (n > 0) this.rules.push({ ...spec, remaining: n });
  }

  /** Takes one failure for this request, if any rule matches its path. */
  take(paths: string[]): FailureSpec | undefined {
    const rule = this.rules.find((r) => !r.pathPrefix || paths.some((p) => p.startsWith(r.pathPrefix!)));
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(this.rules.indexOf(rule), 1);
    return rule;
  }

  pending(): number {
    return this.rules.reduce((sum, r) => sum + r.remaining, 0);
  }

  /** A sleep that stop() can cut short, so a hanging request never outlives the server. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = { timer: setTimeout(() => { this.timers.delete(entry); resolve(); }, ms), resolve };
      this.timers.add(entry);
    });
  }

  private hung = new Set<() => void>();

  /** Resolves only when the outage ends or the fake stops. */
  hang(): Promise<void> {
    return new Promise((resolve) => this.hung.add(resolve));
  }

  releaseHung(): void {
    for (const resolve of this.hung) resolve();
    this.hung.clear();
  }

  cancelAll(): void {
    this.releaseHung();
    for (const entry of this.timers) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.timers.clear();
    this.rules = [];
  }
}

/** An errored body stream makes Bun drop the connection mid-response. */
export function connectionReset(): Response {
  return new Response(new ReadableStream({ start: (c) => c.error(undefined) }));
}

const NGINX = (status: number, text: string) =>
  new Response(`<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`, {
    status,
    headers: { 'content-type': 'text/html' },
  });

const GATEWAY_TEXT: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };

export function failureResponse(spec: FailureSpec): Response {
  if (spec.reset) return connectionReset();
  const status = spec.status ?? 500;
  if (typeof spec.body === 'string') return new Response(spec.body, { status });
  if (spec.body !== undefined) return json(spec.body, status);
  const gateway = GATEWAY_TEXT[status];
  if (gateway) return NGINX(status, gateway);
  if (status >= 500) return json({ message: 'Internal server error, check logs for details', pro: PRO_BANNER }, status);
  return json({ detail: `Injected failure ${status}.` }, status);
}

export function unavailable(): Response {
  return NGINX(503, 'Service Temporarily Unavailable');
}
