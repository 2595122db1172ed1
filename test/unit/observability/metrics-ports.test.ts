/** Which port of a process exposes which metrics (src/main.ts): each series on exactly one port. */
import { describe, expect, test } from 'bun:test';
import { httpRolesOf, type Mode, metricsOwnerFilter } from '../../../src/main.ts';

const OWNERS = ['intake', 'results', 'worker'];

describe('metrics ports', () => {
  test.each([
    [['intake', 'results', 'worker']],
    [['intake', 'results']],
    [['intake']],
    [['results']],
    [['worker']],
  ] as Mode[][][])('%p: every owner is rendered by exactly one port', (modes) => {
    const ports = httpRolesOf(modes);
    for (const owner of OWNERS) {
      const by = ports.filter((p) => metricsOwnerFilter(p, ports)(owner));
      expect({ owner, ports: by.length }).toEqual({ owner, ports: 1 });
    }
  });

  test('secbot all: the worker’s metrics are on the intake port; results keeps its own', () => {
    const ports = httpRolesOf(['intake', 'results', 'worker']);
    expect(ports).toEqual(['intake', 'results']);
    expect(OWNERS.filter(metricsOwnerFilter('intake', ports))).toEqual(['intake', 'worker']);
    expect(OWNERS.filter(metricsOwnerFilter('results', ports))).toEqual(['results']);
  });
});
