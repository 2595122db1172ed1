/**
 * decide(): the gate's status for a check, from its tasks and the leaks its history holds (own and inherited). Tasks are built from planJob() the way services/verdict.ts
 * maps task rows (scan = payload.scan), so names and scan links are the real ones.
 */
import { describe, expect, test } from 'bun:test';
import {
  decide, FINAL_STATUSES, GATE_STATUSES, type GateCheck, type GateLeak, type GateLeakOutput, type GateScan, type GateTask, type TaskState,
} from '../../../src/core/gate.ts';
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
    output: t.payload.output,
  }));
}

const STD = { scans: ['gitleaks'], outputs: ['defectdojo'], notifications: ['slack'] };
const TWO = { scans: ['gitleaks', 'trufflehog'], outputs: ['defectdojo'], notifications: ['slack'] };
const SCAN_ONLY = { scans: ['gitleaks'], outputs: [], notifications: [] };

const scan = (name: string, status: GateScan['status']): GateScan => ({ scan: name, status });
const leak = (key: string, over: Partial<GateLeak> = {}): GateLeak => ({ scan: 'gitleaks', leakKey: key, kind: 'secret', inherited: false, ...over });
const row = (key: string, open: boolean, over: Partial<GateLeakOutput> = {}): GateLeakOutput => ({
  scan: 'gitleaks', leakKey: key, output: 'defectdojo', externalId: `f-${key}`, open, stale: false, ...over,
});

interface Row {
  label: string;
  check: GateCheck | null;
  tasks: GateTask[];
  scans?: GateScan[];
  leaks?: GateLeak[];
  rows?: GateLeakOutput[];
  unscannedFails?: string[];
  status: string;
  reason?: string | RegExp | null;
  stale?: boolean;
}

const CLEAN_STD = { scans: [scan('gitleaks', 'clean')] };
const ONE_OPEN = { scans: [scan('gitleaks', 'leaks')], leaks: [leak('a')], rows: [row('a', true)] };

const ROWS: Row[] = [
  // not_started
  { label: 'no check recorded', check: null, tasks: [], status: 'not_started', reason: null },
  { label: 'no check even if stray tasks exist', check: null, tasks: tasks(STD), status: 'not_started', reason: null },

  // in_progress
  { label: 'planned, no tasks yet', check: PLANNED, tasks: [], status: 'in_progress', reason: 'no tasks yet' },
  { label: 'scan queued', check: PLANNED, tasks: tasks(STD, { 'scan:gitleaks': 'queued', 'output:gitleaks:defectdojo': 'blocked', 'notify:defectdojo:slack': 'blocked' }), status: 'in_progress', reason: 'scan:gitleaks is queued' },
  { label: 'scan running', check: PLANNED, tasks: tasks(STD, { 'scan:gitleaks': 'running', 'output:gitleaks:defectdojo': 'blocked' }), status: 'in_progress', reason: 'scan:gitleaks is running' },
  { label: 'output blocked', check: PLANNED, tasks: tasks(STD, { 'output:gitleaks:defectdojo': 'blocked' }), ...CLEAN_STD, status: 'in_progress', reason: 'output:gitleaks:defectdojo is blocked' },
  { label: 'output waiting for an inherited leak (queued)', check: PLANNED, tasks: tasks(STD, { 'output:gitleaks:defectdojo': 'queued' }), scans: [scan('gitleaks', 'skipped')], leaks: [leak('a', { inherited: true })], status: 'in_progress' },
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
  { label: 'scan done without a result', check: PLANNED, tasks: tasks(STD), scans: [], status: 'error', reason: 'scan:gitleaks: finished without recording a result' },
  { label: 'second scan missing its result', check: PLANNED, tasks: tasks(TWO), scans: [scan('gitleaks', 'clean')], status: 'error', reason: 'scan:trufflehog: finished without recording a result' },

  // fail
  { label: 'a leak and no outputs (nothing can triage it)', check: PLANNED, tasks: tasks(SCAN_ONLY), scans: [scan('gitleaks', 'leaks')], leaks: [leak('a')], status: 'fail', reason: '1 open finding(s)' },
  { label: 'an open leak in the output', check: PLANNED, tasks: tasks(STD), ...ONE_OPEN, status: 'fail', reason: '1 open finding(s)' },
  { label: 'an inherited open leak fails a clean commit', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'clean')], leaks: [leak('a', { inherited: true })], rows: [row('a', true)], status: 'fail', reason: '1 open finding(s); 1 inherited from earlier commits' },
  { label: 'an inherited leak fails a commit whose history was covered already', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'skipped')], leaks: [leak('a', { inherited: true })], rows: [row('a', true)], status: 'fail' },
  { label: 'a leak no output recorded fails closed', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], leaks: [leak('a')], rows: [], status: 'fail', reason: '1 open finding(s); 1 not recorded by an output (failing closed)' },
  { label: 'a leak recorded for another output only fails closed', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], leaks: [leak('a')], rows: [row('a', false, { output: 'other' })], status: 'fail' },
  { label: 'open in one finding of two (raced import) is open', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], leaks: [leak('a')], rows: [row('a', false), row('a', true, { externalId: 'f-a2' })], status: 'fail' },
  { label: 'one of two scans fails', check: PLANNED, tasks: tasks(TWO), scans: [scan('gitleaks', 'clean'), scan('trufflehog', 'leaks')], leaks: [leak('t', { scan: 'trufflehog' })], rows: [row('t', true, { scan: 'trufflehog' })], status: 'fail' },
  { label: 'fail even when the notification failed', check: PLANNED, tasks: tasks(STD, { 'notify:defectdojo:slack': 'failed' }, { 'notify:defectdojo:slack': 'channel_not_found' }), ...ONE_OPEN, status: 'fail' },
  { label: 'unscanned files fail the check with unscanned: fail', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'clean')], leaks: [leak('u', { kind: 'unscanned' })], unscannedFails: ['gitleaks'], status: 'fail', reason: '0 open finding(s); 1 file(s) not scanned (unscanned: fail)' },

  // success
  { label: 'clean scan', check: PLANNED, tasks: tasks(STD), ...CLEAN_STD, status: 'success', reason: null, stale: false },
  { label: 'clean scan, no outputs', check: PLANNED, tasks: tasks(SCAN_ONLY), scans: [scan('gitleaks', 'clean')], status: 'success', reason: null },
  { label: 'history already covered, nothing inherited', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'skipped')], status: 'success', reason: null },
  { label: 'leaks triaged away in the output', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], leaks: [leak('a'), leak('b', { inherited: true })], rows: [row('a', false), row('b', false)], status: 'success', reason: null },
  { label: 'a leak the output dropped (below its minimum severity)', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], leaks: [leak('a')], rows: [row('a', false, { externalId: '' })], status: 'success' },
  { label: 'unscanned files are only noted by default', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'clean')], leaks: [leak('u', { kind: 'unscanned' })], status: 'success' },
  { label: 'notification failed', check: PLANNED, tasks: tasks(STD, { 'notify:defectdojo:slack': 'failed' }, { 'notify:defectdojo:slack': 'invalid_auth' }), ...CLEAN_STD, status: 'success', reason: null },
  { label: 'notification cancelled', check: PLANNED, tasks: tasks(STD, { 'notify:defectdojo:slack': 'cancelled' }), ...CLEAN_STD, status: 'success' },
  { label: 'notification still queued', check: PLANNED, tasks: tasks(STD, { 'notify:defectdojo:slack': 'queued' }), ...CLEAN_STD, status: 'success' },
  { label: 'notification running', check: PLANNED, tasks: tasks(STD, { 'notify:defectdojo:slack': 'running' }), ...CLEAN_STD, status: 'success' },

  // stale
  { label: 'success resting on stale output data', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], leaks: [leak('a')], rows: [row('a', false, { stale: true })], status: 'success', stale: true },
  { label: 'fail resting on stale output data', check: PLANNED, tasks: tasks(STD), scans: [scan('gitleaks', 'leaks')], leaks: [leak('a')], rows: [row('a', true, { stale: true })], status: 'fail', stale: true },
  { label: 'no stale flag without outputs', check: PLANNED, tasks: tasks(SCAN_ONLY), scans: [scan('gitleaks', 'leaks')], leaks: [leak('a')], status: 'fail', stale: false },
];

const run = (r: Pick<Row, 'check' | 'tasks' | 'scans' | 'leaks' | 'rows' | 'unscannedFails'>) =>
  decide({ check: r.check, tasks: r.tasks, scans: r.scans ?? [], leaks: r.leaks ?? [], leakOutputs: r.rows ?? [], unscannedFails: new Set(r.unscannedFails ?? []) });

describe('decide', () => {
  test.each(ROWS.map((r) => [r.label, r] as const))('%s', (_label, row) => {
    const v = run(row);
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

  test('the result does not depend on the order of tasks, scans, leaks or output rows', () => {
    const t = tasks(TWO);
    const s = [scan('gitleaks', 'clean'), scan('trufflehog', 'leaks')];
    const l = [leak('a'), leak('t', { scan: 'trufflehog', inherited: true })];
    const r = [row('a', false), row('t', true, { scan: 'trufflehog', stale: true })];
    const forward = run({ check: PLANNED, tasks: t, scans: s, leaks: l, rows: r });
    const backward = run({ check: PLANNED, tasks: [...t].reverse(), scans: [...s].reverse(), leaks: [...l].reverse(), rows: [...r].reverse() });
    expect(backward).toEqual(forward);
    expect(forward).toEqual({ status: 'fail', reason: '1 open finding(s); 1 inherited from earlier commits', stale: true, failing: ['t'] });
  });

  test('only notification tasks → in progress (nothing gating has run)', () => {
    const onlyNotify = tasks(STD).filter((t) => t.kind === 'notify');
    expect(run({ check: PLANNED, tasks: onlyNotify }).status).toBe('in_progress');
  });
});
