/** planJob(): S scan tasks, S×O output tasks and O×N notification tasks, wired as the seed's job graph. */
import { describe, expect, test } from 'bun:test';
import { notifyTaskName, outputTaskName, planJob, scanTaskName, type TaskSpec } from '../../../src/core/planning.ts';

function names(n: number, stem: string): string[] {
  return Array.from({ length: n }, (_, i) => `${stem}${i + 1}`);
}

function job(s: number, o: number, n: number) {
  return { scans: names(s, 'scan'), outputs: names(o, 'output'), notifications: names(n, 'notifier') };
}

const byName = (tasks: TaskSpec[]) => new Map(tasks.map((t) => [t.name, t]));

describe('planJob', () => {
  test("the seed's example: 2 scans, 3 outputs, 1 notifier → 11 tasks (2 + 6 + 3)", () => {
    const tasks = planJob(job(2, 3, 1));
    expect(tasks).toHaveLength(11);
    expect(tasks.filter((t) => t.kind === 'scan')).toHaveLength(2);
    expect(tasks.filter((t) => t.kind === 'output')).toHaveLength(6);
    expect(tasks.filter((t) => t.kind === 'notify')).toHaveLength(3);
  });

  test('the shipped config (1 scan, 1 output, 1 notifier) gives scan → output → notify', () => {
    expect(planJob({ scans: ['gitleaks'], outputs: ['defectdojo'], notifications: ['slack'] })).toEqual([
      { name: 'scan:gitleaks', kind: 'scan', handler: 'gitleaks', payload: { scan: 'gitleaks' }, parents: [] },
      {
        name: 'output:gitleaks:defectdojo',
        kind: 'output',
        handler: 'defectdojo',
        payload: { scan: 'gitleaks', output: 'defectdojo' },
        parents: ['scan:gitleaks'],
      },
      {
        name: 'notify:defectdojo:slack',
        kind: 'notify',
        handler: 'slack',
        payload: { output: 'defectdojo', notifier: 'slack' },
        parents: ['output:gitleaks:defectdojo'],
      },
    ]);
  });

  test.each([
    [1, 0, 0],
    [1, 1, 0],
    [1, 1, 1],
    [2, 3, 1],
    [3, 2, 2],
    [4, 1, 3],
    [2, 0, 0],
    [5, 4, 3],
  ])('S=%i O=%i N=%i → S + S×O + O×N tasks', (s, o, n) => {
    expect(planJob(job(s, o, n))).toHaveLength(s + s * o + o * n);
  });

  test.each([
    [2, 3, 1],
    [3, 2, 2],
    [1, 1, 1],
  ])('S=%i O=%i N=%i: every parent relation is the documented one', (s, o, n) => {
    const spec = job(s, o, n);
    const tasks = planJob(spec);
    const index = byName(tasks);

    // Names are unique.
    expect(index.size).toBe(tasks.length);

    for (const scan of spec.scans) {
      expect(index.get(scanTaskName(scan))).toMatchObject({ kind: 'scan', handler: scan, payload: { scan }, parents: [] });
      for (const output of spec.outputs) {
        // Each output task runs after (only) its scan.
        expect(index.get(outputTaskName(scan, output))).toMatchObject({
          kind: 'output',
          handler: output,
          payload: { scan, output },
          parents: [scanTaskName(scan)],
        });
      }
    }
    for (const output of spec.outputs) {
      for (const notifier of spec.notifications) {
        // Each notification runs after all S output tasks of its output, and of no other output.
        const t = index.get(notifyTaskName(output, notifier))!;
        expect(t).toMatchObject({ kind: 'notify', handler: notifier, payload: { output, notifier } });
        expect([...t.parents].sort()).toEqual(spec.scans.map((sc) => outputTaskName(sc, output)).sort());
      }
    }
  });

  test('every parent exists and comes earlier in the list (a valid topological order)', () => {
    const tasks = planJob(job(3, 3, 2));
    const seen = new Set<string>();
    for (const t of tasks) {
      for (const p of t.parents) expect(seen.has(p)).toBe(true);
      seen.add(t.name);
    }
  });

  test('names are unique for realistic component names (":" in component names is rejected by parseWorkflow)', () => {
    const tasks = planJob({ scans: ['gitleaks', 'gitleaks-full', 'trufflehog'], outputs: ['defectdojo', 'defectdojo_eu'], notifications: ['slack', 'slack.sec'] });
    expect(new Set(tasks.map((t) => t.name)).size).toBe(tasks.length);
  });

  test('names follow the documented scheme', () => {
    expect(scanTaskName('gitleaks')).toBe('scan:gitleaks');
    expect(outputTaskName('gitleaks', 'defectdojo')).toBe('output:gitleaks:defectdojo');
    expect(notifyTaskName('defectdojo', 'slack')).toBe('notify:defectdojo:slack');
  });

  test('a job with no outputs has no notifications to run', () => {
    expect(planJob({ scans: ['s'], outputs: [], notifications: ['n'] }).map((t) => t.name)).toEqual(['scan:s']);
  });
});
