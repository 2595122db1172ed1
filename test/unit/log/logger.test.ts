import { describe, expect, test } from 'bun:test';
import { createLogger, Redactor } from '../../../src/log/logger.ts';

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
});
