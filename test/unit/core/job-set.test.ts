import { describe, expect, test } from 'bun:test';
import { combineJobs, formatJobNames, jobLabel, jobsNamed, parseJobNames } from '../../../src/core/job-set.ts';

const job = (name: string, scans: string[], outputs: string[], notifications: string[], unscanned: 'note' | 'fail' = 'note') => ({
  name,
  scans,
  outputs,
  notifications,
  unscanned,
});

describe('the jobs a check answers for', () => {
  test('one name is stored as it is (as before); several as a JSON array; both read back', () => {
    expect(formatJobNames(['secrets'])).toBe('secrets');
    expect(formatJobNames(['main', 'feature', 'main'])).toBe('["main","feature"]');
    expect(parseJobNames('secrets')).toEqual(['secrets']);
    expect(parseJobNames('["main","feature"]')).toEqual(['main', 'feature']);
    expect(parseJobNames(null)).toEqual([]);
    // A job whose name merely starts with a bracket is one name.
    expect(parseJobNames('[draft')).toEqual(['[draft']);
    expect(jobLabel('["main","feature"]')).toBe('main, feature');
    expect(jobLabel(null)).toBeNull();
  });

  test('the union keeps every component once, in first-seen order; unscanned: fail if any job says so', () => {
    const strict = job('main', ['strict-scan'], ['defectdojo'], ['slack', 'gitlab'], 'fail');
    const lax = job('feature', ['lax-scan', 'strict-scan'], ['defectdojo'], ['slack']);
    expect(combineJobs([lax, strict])).toEqual({
      scans: ['lax-scan', 'strict-scan'],
      outputs: ['defectdojo'],
      notifications: ['slack', 'gitlab'],
      unscanned: 'fail',
    });
    expect(combineJobs([lax]).unscanned).toBe('note');
  });

  test('names config.yml no longer has are dropped', () => {
    const jobs = [job('main', ['s'], ['o'], ['n']), job('feature', ['s'], ['o'], ['n'])];
    expect(jobsNamed(jobs, ['gone', 'feature']).map((j) => j.name)).toEqual(['feature']);
  });
});
