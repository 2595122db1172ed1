/**
 * A small Chrome DevTools Protocol driver for headless Chromium (Debian's `chromium`, installed by
 * scripts/ensure-chromium.sh): open a page, read the DOM, take a screenshot. No browser download, no dependency.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';

export function chromiumPath(): string {
  const candidates = [process.env.SECBOT_TEST_CHROMIUM, Bun.which('chromium'), Bun.which('chromium-browser')];
  const found = candidates.find((c): c is string => typeof c === 'string' && c.length > 0);
  if (!found) throw new Error('Chromium is not installed: run scripts/ensure-chromium.sh (apt-get install -y chromium)');
  return found;
}

type Pending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void };

export class Browser {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners: ((m: { method: string; params: Record<string, unknown>; sessionId?: string }) => void)[] = [];
  readonly consoleErrors: string[] = [];

  private constructor(
    private readonly proc: Subprocess<'ignore', 'ignore', 'pipe'>,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data));
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`CDP ${msg.error.message}`));
        else p?.resolve(msg.result ?? {});
      } else {
        for (const l of this.listeners) l(msg);
      }
    };
  }

  static async launch(): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), 'secbot-chromium-'));
    const proc = Bun.spawn(
      [chromiumPath(), '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--hide-scrollbars',
        '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
      { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' },
    );
    const endpoint = await wsEndpoint(proc.stderr);
    const ws = new WebSocket(endpoint);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to Chromium at ${endpoint}`));
    });
    return new Browser(proc, ws, profile);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    });
  }

  /** Opens a tab of the given size and returns a page handle. */
  async newPage(width = 1280, height = 900): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const sid = String(sessionId);
    await this.send('Page.enable', {}, sid);
    await this.send('Runtime.enable', {}, sid);
    await this.send('Log.enable', {}, sid);
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sid);
    this.listeners.push((m) => {
      if (m.sessionId !== sid) return;
      if (m.method === 'Runtime.consoleAPICalled' && (m.params as { type?: string }).type === 'error') this.consoleErrors.push(JSON.stringify(m.params));
      if (m.method === 'Runtime.exceptionThrown') this.consoleErrors.push(JSON.stringify(m.params));
      // CSP violations (a blocked style or script) arrive as log entries.
      if (m.method === 'Log.entryAdded' && (m.params as { entry?: { level?: string } }).entry?.level === 'error') this.consoleErrors.push(JSON.stringify(m.params));
    });
    return new Page(this, sid);
  }

  waitFor(method: string, sessionId: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${method}`)), timeoutMs);
      const l = (m: { method: string; params: Record<string, unknown>; sessionId?: string }) => {
        if (m.method !== method || m.sessionId !== sessionId) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(l), 1);
        resolve(m.params);
      };
      this.listeners.push(l);
    });
  }

  async close(): Promise<void> {
    await this.send('Browser.close').catch(() => {});
    this.ws.close();
    await Promise.race([this.proc.exited, Bun.sleep(5000)]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class Page {
  constructor(
    private readonly browser: Browser,
    readonly sessionId: string,
  ) {}

  async goto(url: string): Promise<void> {
    const loaded = this.browser.waitFor('Page.loadEventFired', this.sessionId);
    await this.browser.send('Page.navigate', { url }, this.sessionId);
    await loaded;
  }

  /** Evaluates an expression in the page and returns its JSON value. */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.browser.send('Runtime.evaluate', { expression, returnByValue: true }, this.sessionId);
    const ex = r.exceptionDetails as { text?: string } | undefined;
    if (ex) throw new Error(`page script failed: ${ex.text}`);
    return (r.result as { value: T }).value;
  }

  async screenshot(): Promise<Uint8Array> {
    const r = await this.browser.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, this.sessionId);
    return Buffer.from(String(r.data), 'base64');
  }
}

async function wsEndpoint(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  const reader = stderr.getReader();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
    if (m) {
      void (async () => {
        while (!(await reader.read()).done) {
          // keep draining so Chromium never blocks on a full stderr pipe
        }
      })();
      return m[1]!;
    }
  }
  throw new Error(`Chromium did not start:\n${text.slice(-2000)}`);
}
