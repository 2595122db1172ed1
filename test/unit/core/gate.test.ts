/**
 * decide(): the gate's status for a check (seed §3.5). Tasks are built from planJob() the way services/verdict.ts
 * maps task rows (scan = payload.scan), so names and scan links are the real ones.
 */
import { describe, expect, test } from 'bun:test';
import { decide, FINAL_STATUSES, GATE_STATUSES, type GateCheck, type GateOutput, type GateScan, type GateTask, type TaskState } from '../../../src/core/gate.ts';
import { planJob } from '../../../src/core/planning.ts';

const PLANNED: GateCheck = { state: 'planned', error: null };

/** Tasks of a job, all `done` unless `states` says otherwise (by task name); `errors` sets lastError. */
function tasks(
  job: { scans: string[]; outputs: string[]; notifications: string[] },
  states: Record<string, TaskState> = {},
  errors: Record<string, string> = {},
): GateTask[] {
  return planJob(job).map((t) => ({
    name: t.name,
    kind: t.kind,
    state: states[t.name] ?? 'done',
    lastError: errors[t.name] ?? null,
    scan: t.payload.scan,
  }));
}

const STD = { scans: ['gitleaks'], outputs: ['defectdojo'], notifications: ['slack'] };
const TWO = { scans: ['gitleaks', 'trufflehog'], outputs: ['defectdojo'], notifications: ['slack'] };
const SCAN_ONLY = { scans: ['gitleaks'], outputs: [], notifications: [] };

const scan = (name: string, status: GateScan['status']): GateScan => ({ scan: name, status });
const out = (s: string, o: string, verdict: GateOutput['verdict'], stale = false): GateOutput => ({ scan: s, output: o, verdict, stale });

interface Row {
  label: string;
  check: GateCheck | null;
  tasks: GateTask[];
  scans?: GateScan[];
  outputs?: GateOutput[];
  status: string;
  reason?: string | RegExp | null;
  stale?: boolean;
}

const CLEAN_STD = { scans: [scan('gitleaks', 'clean')], outputs: [out('gitleaks', 'defectdojo', 'success')] };

const ROWS: Row[] = [
  // not_started
  { label: 'no check recorded', check: null, tasks: [], status: 'not_started', reason: null },
  { label: 'no check even if stray tasks exist', check: null, tasks: tasks(STD), status: 'not_started', reason: null },

  // in_progress
  { label: 'planned, no tasks yet', check: PLANNED, tasks: [], status: 'in_progress', reason: 'no tasks yet' },
  { label: 'scan queued', check: PLANNED, tasks: tasks(STD, { 'scan:gitleaks': 'queued', 'output:gitleaks:defectdojo': 'blocked', 'notify:defectdojo:slack': 'blocked' }), status: 'in_progress', reason: 'scan:gitleaks is queued' },
  { label: 'scan running', check: PLANNED, tasks: tasks(STD, { 'scan:gitleaks': 'running', 'output:gitleaks:defectdojo': 'blocked' }), status: 'in_progress', reason: 'scan:gitleaks is running' },
  { label: 'output blocked', check: PLANNED, tasks: tasks(STD, { 'output:gitleaks:defectdojo': 'blocked' }), ...CLEAN_STD, status: 'in_progress', reason: 'output:gitleaks:defectdojo is blocked' },
  { label: 'scan retrying (queued with lastError)', check: PLANNED, tasks: tasks(STD, { 'scan:gitleaks': 'queued' }, { 'scan:gitleaks': 'git fetch timed out' }), status: 'in_progress', reason: 'scan:gitleaks is queued' },
  { label: 'output retrying (queued with lastError)', check: PLANNED, tasks: tasks(STD, { 'output:gitleaks:defectdojo': 'queued' }, { 'output:gitleaks:defectdojo': 'HTTP 502' }), scans: [scan('gitleaks', 'leaks')], status: 'in_progress' },
  { label: 'second scan still running', check: PLANNED, tasks: tasks(TWO, { 'scan:trufflehog': 'running', 'output:trufflehog:defectdojo': 'blocked' }), status: 'in_progress', reason: 'scan:trufflehog is running' },

  // error
  { label: 'check recorded an error', check: { state: 'error', error: 'two jobs match this event' }, tasks: [], status: 'error', reason: 'two jobs match this event' },
  { label: 'check error without a message', check: { state: 'error', error: null }, tasks: tasks(STD), ...CLEAN_STD, status: 'error', reason: 'the check failed' },
  { label: 'failed scan', check: PLANNED, tasks: tasks(STD, { 'scan:gitleaks': 'failed', 'output:gitleaks:defectdojo': 'cancelled', 'notify:defectdojo:slack': 'cancelled' }, { 'scan:gitleaks': 'commit not found' }), status: 'error', reason: 'scan:gitleaks: commit not found' },
  { label: 'failed scan without lastError', check: PLANNED, tasks: tasks(STD, { 'scan:gitleaks': 'failed' }), status: 'error', reason: 'scan:gitleaks: failed' },
  { label: 'failed output', check: PLANNED, tasks: tasks(STD, { 'output:gitleaks:defectdojo': 'failed' }, { 'output:gitleaks:defectdojo': 'DefectDojo rejected the token' }), scans: [scan('gitleaks', 'clean')], status: 'error', reason: 'output:gitleaks:defectdojo: DefectDojo rejected the token' },
  { label: 'cancelled output', check: PLANNED, tasks: tasks(STD, { 'output:gitleaks:defectdojo': 'cancelled' }), scans: [scan('gitleaks', 'clean')], status: 'error', reason: 'output:gitleaks:defectdojo: an earlier task failed' },
  { label: 'cancelled scan', check: PLANNED, tasks: tasks(STD, { 'scan:gitleaks': 'cancelled' }), status: 'error', reason: /^scan:gitleaks: / },
  { label: 'a failure wins over a task still running', check: PLANNED, tasks: tasks(TWO, { 'scan:gitleaks': 'failed', 'scan:trufflehog': 'running' }, { 'scan:gitleaks': 'boom' }), status: 'error', reason: 'scan:gitleaks: boom' },
  { label: 'scan done without a result', check: PLANNED, tasks: tasks(STD), scans: [], outputs: [out('gitleaks', 'defectdojo', 'success')], status: 'error', reason: 'scan:gitleaks: finished without recording a result' },
  { label: 'output done without a result', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], outputs: [], status: 'error', reason: 'output:gitleaks:defectdojo: finished without recording a result' },
  { label: 'a result for another output does not count', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'clean')], outputs: [out('gitleaks', 'other', 'success')], status: 'error', reason: /output:gitleaks:defectdojo: finished without/ },
  { label: 'second scan missing its result', check: PLANNED, tasks: tasks(TWO), scans: [scan('gitleaks', 'clean')], outputs: [out('gitleaks', 'defectdojo', 'success'), out('trufflehog', 'defectdojo', 'success')], status: 'error', reason: 'scan:trufflehog: finished without recording a result' },

  // fail
  { label: 'leaks and no outputs', check: PLANNED, tasks: tasks(SCAN_ONLY), scans: [scan('gitleaks', 'leaks')], status: 'fail', reason: 'open findings: gitleaks' },
  { label: 'output verdict fail', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], outputs: [out('gitleaks', 'defectdojo', 'fail')], status: 'fail', reason: 'open findings: gitleaks → defectdojo' },
  { label: 'output says fail even if the scan was clean (older open findings)', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'clean')], outputs: [out('gitleaks', 'defectdojo', 'fail')], status: 'fail' },
  { label: 'one of two scans fails', check: PLANNED, tasks: tasks(TWO), scans: [scan('gitleaks', 'clean'), scan('trufflehog', 'leaks')], outputs: [out('gitleaks', 'defectdojo', 'success'), out('trufflehog', 'defectdojo', 'fail')], status: 'fail', reason: 'open findings: trufflehog → defectdojo' },
  { label: 'both scans fail', check: PLANNED, tasks: tasks(TWO), scans: [scan('gitleaks', 'leaks'), scan('trufflehog', 'leaks')], outputs: [out('gitleaks', 'defectdojo', 'fail'), out('trufflehog', 'defectdojo', 'fail')], status: 'fail', reason: 'open findings: gitleaks → defectdojo, trufflehog → defectdojo' },
  { label: 'fail even when the notification failed', check: PLANNED, tasks: tasks(STD, { 'notify:defectdojo:slack': 'failed' }, { 'notify:defectdojo:slack': 'channel_not_found' }), scans: [scan('gitleaks', 'leaks')], outputs: [out('gitleaks', 'defectdojo', 'fail')], status: 'fail' },

  // success
  { label: 'clean scan, output success', check: PLANNED, tasks: tasks(STD), ...CLEAN_STD, status: 'success', reason: null, stale: false },
  { label: 'clean scan, no outputs', check: PLANNED, tasks: tasks(SCAN_ONLY), scans: [scan('gitleaks', 'clean')], status: 'success', reason: null },
  { label: 'skipped scan (nothing to scan), no output result needed', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'skipped')], outputs: [], status: 'success', reason: null },
  { label: 'skipped scan without outputs', check: PLANNED, tasks: tasks(SCAN_ONLY), scans: [scan('gitleaks', 'skipped')], status: 'success' },
  { label: 'leaks triaged away in the output', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], outputs: [out('gitleaks', 'defectdojo', 'success')], status: 'success', reason: null },
  { label: 'notification failed', check: PLANNED, tasks: tasks(STD, { 'notify:defectdojo:slack': 'failed' }, { 'notify:defectdojo:slack': 'invalid_auth' }), ...CLEAN_STD, status: 'success', reason: null },
  { label: 'notification cancelled', check: PLANNED, tasks: tasks(STD, { 'notify:defectdojo:slack': 'cancelled' }), ...CLEAN_STD, status: 'success' },
  { label: 'notification still queued', check: PLANNED, tasks: tasks(STD, { 'notify:defectdojo:slack': 'queued' }), ...CLEAN_STD, status: 'success' },
  { label: 'notification running', check: PLANNED, tasks: tasks(STD, { 'notify:defectdojo:slack': 'running' }), ...CLEAN_STD, status: 'success' },

  // stale
  { label: 'success resting on stale output data', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], outputs: [out('gitleaks', 'defectdojo', 'success', true)], status: 'success', stale: true },
  { label: 'fail resting on stale output data', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], outputs: [out('gitleaks', 'defectdojo', 'fail', true)], status: 'fail', stale: true },
  { label: 'one stale output of two makes the verdict stale', check: PLANNED, tasks: tasks(TWO), scans: [scan('gitleaks', 'clean'), scan('trufflehog', 'clean')], outputs: [out('gitleaks', 'defectdojo', 'success'), out('trufflehog', 'defectdojo', 'success', true)], status: 'success', stale: true },
  { label: 'a stale output of a skipped scan is not used', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'skipped')], outputs: [out('gitleaks', 'defectdojo', 'success', true)], status: 'success', stale: false },
  { label: 'no stale flag without outputs', check: PLANNED, tasks: tasks(SCAN_ONLY), scans: [scan('gitleaks', 'leaks')], status: 'fail', stale: false },
];

describe('decide', () => {
  test.each(ROWS.map((r) => [r.label, r] as const))('%s', (_label, row) => {
    const v = decide(row.check, row.tasks, row.scans ?? [], row.outputs ?? []);
    expect(v.status).toBe(row.status as typeof v.status);
    if (row.reason === null) expect(v.reason).toBeNull();
    else if (typeof row.reason === 'string') expect(v.reason).toBe(row.reason);
    else if (row.reason instanceof RegExp) expect(v.reason).toMatch(row.reason);
    else if (v.status !== 'success' && v.status !== 'not_started') expect(v.reason).toBeTruthy();
    expect(v.stale).toBe(row.stale ?? false);
  });

  test('the table covers every status', () => {
    expect(new Set(ROWS.map((r) => r.status))).toEqual(new Set(GATE_STATUSES));
  });

  test('final statuses are error, fail and success', () => {
    expect([...FINAL_STATUSES].sort()).toEqual(['error', 'fail', 'success']);
  });

  test('the result does not depend on the order of tasks, scans or outputs', () => {
    const t = tasks(TWO);
    const s = [scan('gitleaks', 'clean'), scan('trufflehog', 'leaks')];
    const o = [out('gitleaks', 'defectdojo', 'success'), out('trufflehog', 'defectdojo', 'fail', true)];
    const forward = decide(PLANNED, t, s, o);
    const backward = decide(PLANNED, [...t].reverse(), [...s].reverse(), [...o].reverse());
    expect(backward).toEqual(forward);
    expect(forward).toEqual({ status: 'fail', reason: 'open findings: trufflehog → defectdojo', stale: true });
  });

  test('only notification tasks → in progress (nothing gating has run)', () => {
    const onlyNotify = tasks(STD).filter((t) => t.kind === 'notify');
    expect(decide(PLANNED, onlyNotify, [], []).status).toBe('in_progress');
  });
});
