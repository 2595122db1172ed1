/**
 * Shared pieces of the hostile-input table (hostile-input.test.ts): the row type, the context rows are built in,
 * a raw-socket client for requests fetch() refuses to send, and the checks every answer must pass.
 */
import { expect } from 'bun:test';
import { connect } from 'node:net';
import { GATE_STATUSES } from '../../src/core/gate.ts';

export interface Ctx {
  intakeUrl: string;
  resultsUrl: string;
  /** Instance A: the fake GitLab (token WEBHOOK_TOKEN). */
  gitlabUrl: string;
  /** Instance B: a second configured GitLab that is never contacted (token TOKEN_B). */
  gitlabBUrl: string;
  maxBody: number;
  /** A commit SHA no other row used, so every accepted row creates its own check. */
  sha(): string;
}

/**
 * What a row expects besides its status: an error `code` (upper case, optionally with the 422 `field`), or one of
 * the documented success shapes. `server` is Bun's own HTTP parser refusing the request before SecBot sees it.
 */
export type Want =
  | { code: string; field?: string }
  | { shape: 'ignored' | 'accepted' | 'health' | 'metrics' | 'html' | 'openapi' | 'gate' | 'list' | 'server' };

export interface Row {
  name: string;
  app: 'intake' | 'results';
  method?: string;
  path?: string | ((c: Ctx) => string);
  headers?: Record<string, string>;
  body?: (c: Ctx) => RequestInit['body'];
  /** The whole request as raw HTTP/1.1 text over TCP (for what fetch normalises or refuses). */
  raw?: (c: Ctx) => string;
  status: number;
  want: Want;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export async function send(row: Row, c: Ctx): Promise<Answer> {
  const base = row.app === 'intake' ? c.intakeUrl : c.resultsUrl;
  if (row.raw) return rawHttp(base, row.raw(c));
  const path = typeof row.path === 'function' ? row.path(c) : (row.path ?? '/v1/gitlab/webhook');
  const res = await fetch(`${base}${path}`, { method: row.method ?? 'GET', headers: row.headers, body: row.body?.(c) });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Minimal HTTP/1.1 client: writes the request as given (Connection: close) and parses the one answer. */
export function rawHttp(baseUrl: string, request: string): Promise<Answer> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(u.port), u.hostname);
    const timer = setTimeout(() => socket.destroy(new Error('raw HTTP request timed out')), 10_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = all.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /\r\ncontent-type: *([^\r\n]*)/i.exec(head)?.[1] ?? '';
      resolve({ status, contentType, text: rest.join('\r\n\r\n') });
    });
    socket.write(request, 'latin1');
  });
}

/** Asserts the documented body of `want` (JSON with a message, or the endpoint's own documented shape). */
export function expectShape(a: Answer, want: Want): void {
  if ('code' in want) {
    expect(a.contentType).toContain('application/json');
    const body = JSON.parse(a.text);
    expect(body.code).toBe(want.code);
    expect(typeof body.message).toBe('string');
    expect(body.message.length).toBeGreaterThan(0);
    if (want.field !== undefined) {
      expect(body.field).toBe(want.field);
      expect(body.message).toStartWith(`${want.field}: `);
    }
    return;
  }
  const json = () => {
    expect(a.contentType).toContain('application/json');
    return JSON.parse(a.text);
  };
  switch (want.shape) {
    case 'ignored': {
      const body = json();
      expect(body.status).toBe('ignored');
      expect(typeof body.reason).toBe('string');
      return;
    }
    case 'accepted': {
      const body = json();
      expect(body.status).toBe('accepted');
      expect(body.security_check_id).toMatch(/^[A-Za-z0-9_]+_[0-9a-f]{64}$/);
      expect(typeof body.message).toBe('string');
      return;
    }
    case 'health':
      expect(json()).toEqual({ status: 'ok' });
      return;
    case 'metrics':
      expect(a.contentType).toStartWith('text/plain');
      expect(a.text).toContain('# TYPE secbot_http_requests_total counter');
      return;
    case 'html':
      expect(a.contentType).toStartWith('text/html');
      expect(a.text).toContain('<html');
      return;
    case 'openapi': {
      const body = json();
      expect(typeof body.openapi).toBe('string');
      expect(typeof body.paths).toBe('object');
      return;
    }
    case 'gate': {
      const body = json();
      expect(GATE_STATUSES).toContain(body.status);
      expect(typeof body.security_check_id).toBe('string');
      return;
    }
    case 'list':
      expect(Array.isArray(json().checks)).toBe(true);
      return;
    case 'server':
      // Refused by Bun's HTTP parser (e.g. 431 for headers over its limit): no SecBot body at all.
      expect(a.text).toBe('');
      return;
  }
}
