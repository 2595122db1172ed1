import { describe, expect, spyOn, test } from 'bun:test';
import { createLogger, type LogRecord, prettyLine, Redactor } from '../../../src/log/logger.ts';

function capture(level: 'debug' | 'info' = 'info', secrets: string[] = []) {
  const lines: string[] = [];
  const redactor = new Redactor();
  redactor.add(...secrets);
  return { lines, log: createLogger({ level, redactor, sink: (l) => lines.push(l), base: { service: 'secbot' } }) };
}

describe('logger', () => {
  test('writes one JSON object per line with the base and child fields', () => {
    const { lines, log } = capture();
    log.child({ check_id: 'C1' }).child({ task_id: 7, handler: 'gitleaks' }).info('task started', { attempt: 1 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'task started', service: 'secbot', check_id: 'C1', task_id: 7, handler: 'gitleaks', attempt: 1 });
  });

  test('drops lines below the level and serialises errors by name and message', () => {
    const { lines, log } = capture('info');
    log.debug('hidden');
    log.error('boom', { error: new TypeError('bad thing') });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).error).toEqual({ name: 'TypeError', message: 'bad thing' });
  });

  test('redacts registered secrets wherever they appear, longest first', () => {
    const token = 'glpat-0123456789abcdef';
    const { lines, log } = capture('info', [token, `${token}-longer`]);
    log.warn(`fetch failed for https://oauth2:${token}-longer@host and ${token}`, { header: `Bearer ${token}` });
    expect(lines[0]).not.toContain(token);
    expect(lines[0]).toContain('oauth2:[REDACTED]@host');
    expect(JSON.parse(lines[0]!).header).toBe('Bearer [REDACTED]');
  });

  test('ignores values too short to be tokens, so ordinary words survive', () => {
    const { lines, log } = capture('info', ['secbot', 'abc']);
    log.info('secbot started');
    expect(JSON.parse(lines[0]!).msg).toBe('secbot started');
  });

  test('pretty: one readable line, context first, service and mode left out, errors and odd values quoted', () => {
    const lines: string[] = [];
    const log = createLogger({ format: 'pretty', sink: (l) => lines.push(l), base: { service: 'secbot', mode: 'intake+results+worker' } });
    log
      .child({ check_id: 'GIT_LOCAL_ab', task_id: 3, handler: 'gitleaks', task: 'scan:gitleaks' })
      .child({ project: 'acme/app', ref: 'main', sha: '3f786850' })
      .warn('task attempt failed;\nwill retry in 2 s', { attempt: 1, error: new TypeError('git fetch failed: "boom"') });
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z WARN {2}task attempt failed; ⏎ will retry in 2 s project=acme\/app ref=main sha=3f786850 task=scan:gitleaks attempt=1 error="TypeError: git fetch failed: \\"boom\\"" check_id=GIT_LOCAL_ab task_id=3 handler=gitleaks$/);
    expect(line).not.toContain('service=');
    expect(line).not.toContain('mode=');
    expect(() => JSON.parse(line)).toThrow();
  });

  test('pretty lines are redacted too', () => {
    const token = 'glpat-0123456789abcdef';
    const r = new Redactor();
    r.add(token);
    const lines: string[] = [];
    createLogger({ format: 'pretty', redactor: r, sink: (l) => lines.push(l) }).error(`clone of https://oauth2:${token}@gitlab failed`, { header: `Bearer ${token}` });
    expect(lines[0]).not.toContain(token);
    expect(lines[0]).toContain('oauth2:[REDACTED]@gitlab');
  });

  test('prettyLine: objects as JSON, null and numbers bare, strings with spaces quoted', () => {
    const line = prettyLine({ ts: '2026-01-02T03:04:05.006Z', level: 'info', msg: 'x', jobs: ['a', 'b'], n: 3, none: null, text: 'two words' });
    expect(line).toBe('2026-01-02 03:04:05.006Z INFO  x jobs=["a","b"] n=3 none=null text="two words"');
  });

  test('default format: JSON into a custom sink or a pipe, pretty on a terminal', () => {
    const lines: string[] = [];
    createLogger({ sink: (l) => lines.push(l) }).info('hello');
    expect(JSON.parse(lines[0]!).msg).toBe('hello');

    const written: string[] = [];
    const write = spyOn(process.stdout, 'write').mockImplementation(((chunk: string) => {
      written.push(chunk);
      return true;
    }) as never);
    const wasTty = process.stdout.isTTY;
    try {
      process.stdout.isTTY = false;
      createLogger({}).info('piped');
      process.stdout.isTTY = true;
      process.env.NO_COLOR = '1';
      createLogger({}).info('terminal');
    } finally {
      process.stdout.isTTY = wasTty;
      delete process.env.NO_COLOR;
      write.mockRestore();
    }
    expect(JSON.parse(written[0]!).msg).toBe('piped');
    expect(written[1]).toMatch(/ INFO {2}terminal\n$/);
  });

  test('error records go to onError, redacted; other levels do not', () => {
    const token = 'xoxb-secret-slack-token-123';
    const r = new Redactor();
    r.add(token);
    const errors: LogRecord[] = [];
    const log = createLogger({ redactor: r, sink: () => {}, onError: (rec) => errors.push(rec), base: { service: 'secbot' } });
    log.warn('just a warning');
    log.child({ check_id: 'C' }).error(`Slack refused ${token}`, { error: new Error(`token ${token} revoked`) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ level: 'error', msg: 'Slack refused [REDACTED]', check_id: 'C', service: 'secbot', error: { name: 'Error', message: 'token [REDACTED] revoked' } });
  });
});
