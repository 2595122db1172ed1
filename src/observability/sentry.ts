/**
 * Optional error reporting to Sentry (SENTRY_DSN), or anything that speaks its envelope protocol (GlitchTip,
 * self-hosted Sentry). Every error-level log line becomes an event. A small client of our own rather than
 * @sentry/bun: it sends only what SecBot logged, so nothing leaves that did not pass the log redactor, and it
 * needs no network at start (air-gapped hosts simply get no reports).
 *
 * Scrubbing, on top of the log redactor (known tokens): values of fields whose name says token, secret, password,
 * authorization, key or DSN are dropped, and token-shaped strings (GitLab, Slack and GitHub tokens, AWS key ids,
 * private keys, bearer and DefectDojo `Token` headers, credentials in URLs) are replaced wherever they appear.
 */
import { hostname } from 'node:os';
import type { LogRecord, Redactor } from '../log/logger.ts';

export interface SentryOptions {
  dsn: string;
  release: string;
  redactor: Redactor;
  fetch?: typeof fetch;
  /** Tags every event carries (e.g. the SecBot mode). */
  tags?: Record<string, string>;
  /** Where the client reports its own trouble (never through the logger: that would loop). */
  onSendError?: (message: string) => void;
  /** At most this many events per minute; the rest are counted and dropped. Default 60. */
  perMinute?: number;
}

export interface Dsn {
  envelopeUrl: string;
  publicKey: string;
}

export function parseDsn(dsn: string): Dsn {
  const u = new URL(dsn);
  const m = /^(.*)\/(\d+)$/.exec(u.pathname);
  if (!u.username || !m) throw new Error('SENTRY_DSN must look like https://<public key>@sentry.example.com/<project id>');
  return { envelopeUrl: `${u.protocol}//${u.host}${m[1]}/api/${m[2]}/envelope/`, publicKey: decodeURIComponent(u.username) };
}

const SECRET_KEY = /token|secret|passw|authori[sz]ation|api[_-]?key|private[_-]?key|cookie|dsn|credential/i;
const SECRET_TEXT: [RegExp, string][] = [
  [/\b(?:glpat|glptt|gldt|glrt|glcbt|glimt|glft|gloas|glsoat)-[A-Za-z0-9_.-]{8,}/g, '[Filtered]'],
  [/\bxox[abposr]-[A-Za-z0-9-]{8,}/g, '[Filtered]'],
  [/\bxapp-[A-Za-z0-9-]{8,}/g, '[Filtered]'],
  [/\b(Bearer|Token|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 [Filtered]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]+@/gi, '$1[Filtered]@'],
  // Secret values of the kinds gitleaks finds, should one ever reach a message despite `gitleaks --redact`.
  [/\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g, '[Filtered]'],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})\b/g, '[Filtered]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[Filtered]'],
];

/** Removes secret-named fields and token-shaped strings from a JSON value (a copy). */
export function scrub(value: unknown, key = ''): unknown {
  if (key && SECRET_KEY.test(key) && value !== null && value !== undefined) return '[Filtered]';
  if (typeof value === 'string') return SECRET_TEXT.reduce((s, [re, by]) => s.replace(re, by), value);
  if (Array.isArray(value)) return value.map((v) => scrub(v));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, k)]));
  }
  return value;
}

export class SentryReporter {
  private readonly dsn: Dsn;
  private readonly inflight = new Set<Promise<void>>();
  private window = { start: 0, sent: 0, dropped: 0 };

  constructor(private readonly o: SentryOptions) {
    this.dsn = parseDsn(o.dsn);
  }

  /** Queues an event for an error-level log record; never throws and never blocks the caller. */
  capture(record: LogRecord): void {
    const now = Date.now();
    if (now - this.window.start >= 60_000) this.window = { start: now, sent: 0, dropped: 0 };
    if (this.window.sent >= (this.o.perMinute ?? 60)) {
      this.window.dropped++;
      return;
    }
    this.window.sent++;
    const p = this.send(this.eventOf(record)).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** Waits for queued events (at shutdown), at most `timeoutMs`. */
  async flush(timeoutMs = 2000): Promise<void> {
    await Promise.race([Promise.allSettled([...this.inflight]), Bun.sleep(timeoutMs)]);
  }

  eventOf(record: LogRecord): Record<string, unknown> {
    const { ts, level, msg, error, ...fields } = record;
    const id = crypto.randomUUID().replaceAll('-', '');
    const err = error as { name?: string; message?: string } | string | undefined;
    const exception =
      err === undefined
        ? undefined
        : { values: [{ type: typeof err === 'string' ? 'Error' : (err.name ?? 'Error'), value: typeof err === 'string' ? err : (err.message ?? '') }] };
    const tags: Record<string, string> = { ...this.o.tags };
    for (const k of ['handler', 'task', 'project', 'outcome'] as const) if (typeof fields[k] === 'string') tags[k] = fields[k] as string;
    const event = {
      event_id: id,
      timestamp: Date.parse(ts) / 1000,
      platform: 'javascript',
      level: level === 'warn' ? 'warning' : level,
      logger: 'secbot',
      server_name: hostname(),
      release: this.o.release,
      message: { formatted: msg },
      ...(exception ? { exception } : {}),
      tags,
      extra: fields,
    };
    // The record already passed the log redactor; run it again over the final text, then the shape-based scrub.
    return scrub(JSON.parse(this.o.redactor.redact(JSON.stringify(event)))) as Record<string, unknown>;
  }

  private async send(event: Record<string, unknown>): Promise<void> {
    const header = JSON.stringify({ event_id: event.event_id, sent_at: new Date().toISOString() });
    const body = `${header}\n${JSON.stringify({ type: 'event' })}\n${JSON.stringify(event)}\n`;
    try {
      const res = await (this.o.fetch ?? fetch)(this.dsn.envelopeUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-sentry-envelope',
          'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${this.dsn.publicKey}, sentry_client=secbot/${this.o.release}`,
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) this.o.onSendError?.(`Sentry answered ${res.status} to an error report`);
      await res.body?.cancel();
    } catch (err) {
      this.o.onSendError?.(`could not send an error report to Sentry: ${(err as Error).message}`);
    }
  }
}
