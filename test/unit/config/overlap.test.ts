/**
 * findOverlaps(): warnings for jobs that can match the same event, none when the rules provably exclude each other.
 * Jobs are compiled by parseWorkflow, which returns the warnings.
 */
import { describe, expect, test } from 'bun:test';
import { findOverlaps } from '../../../src/config/overlap.ts';
import { workflowWithJobs } from '../support/catalog.ts';

/** Jobs a, b, … with the given `rules.gitlab` bodies (YAML flow mapping entries; null = no rules). */
function warningsOf(...rules: (string | null)[]): string[] {
  const yaml = rules
    .map((r, i) => {
      const name = String.fromCharCode(97 + i);
      return r === null ? `  - {name: ${name}, scans: [gitleaks]}\n` : `  - name: ${name}\n    rules: {gitlab: {${r}}}\n    scans: [gitleaks]\n`;
    })
    .join('');
  return workflowWithJobs(yaml).warnings;
}

describe('overlapping jobs are warned about', () => {
  test('two jobs on the same event type', () => {
    expect(warningsOf('event_type: push', 'event_type: push')).toEqual([
      'jobs "a" and "b" can both match push events; an event matched by two jobs is recorded as a check in error',
    ]);
  });

  test.each([
    ['alternatives sharing one type', 'event_type: "push|tag_push"', 'event_type: "tag_push|merge_request"', 'tag_push'],
    ['a regex covering a literal', 'event_type: ".*push"', 'event_type: push', 'push'],
    ['two regexes', 'event_type: ".*push"', 'event_type: "tag_.*|merge_.*"', 'tag_push'],
    ['no event_type on one side', 'project.id: 15', 'event_type: merge_request', 'merge_request'],
    ['no event_type at all', 'ref: refs/heads/main', 'ref: refs/heads/main', 'push, tag_push, merge_request'],
    ['empty rules', '', 'event_type: push', 'push'],
  ])('%s', (_label, a, b, types) => {
    const [w, ...rest] = warningsOf(a, b);
    expect(rest).toEqual([]);
    expect(w).toStartWith(`jobs "a" and "b" can both match ${types} events`);
  });

  test.each([
    ['the same literal value', 'project.path_with_namespace: group/app', 'project.path_with_namespace: group/app'],
    ['a pattern and a literal it matches', 'project.path_with_namespace: "group/.*"', 'project.path_with_namespace: group/app'],
    ['a key on one side only', 'project.path_with_namespace: group/app', 'ref: refs/heads/main'],
    ['an unescaped dot is a wildcard, not a literal', 'project.path_with_namespace: group/app.web', 'project.path_with_namespace: group/app-web'],
    ['an unescaped dot is a wildcard (no slash)', 'user_username: j.doe', 'user_username: j-doe'],
    ['alternatives are not literals', 'ref: "refs/heads/a|refs/heads/b"', 'ref: refs/heads/b'],
  ])('%s, same event type', (_label, a, b) => {
    const w = warningsOf(`event_type: push, ${a}`, `event_type: push, ${b}`);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^jobs "a" and "b" can both match push events unless their rules on .+ exclude each other;/);
  });

  test('the warning lists the keys whose rules might separate the jobs', () => {
    const [w] = warningsOf('event_type: push, ref: refs/heads/main', 'event_type: push, project.id: "1.*"');
    expect(w).toContain('unless their rules on ref, project.id exclude each other');
  });

  test('every overlapping pair is reported', () => {
    const w = warningsOf('event_type: push', 'event_type: "push|tag_push"', 'event_type: tag_push', 'event_type: merge_request');
    expect(w.map((x) => x.slice(0, x.indexOf(' can')))).toEqual(['jobs "a" and "b"', 'jobs "b" and "c"']);
  });
});

describe('disjoint jobs are not warned about', () => {
  test.each([
    ['different event types', 'event_type: push', 'event_type: tag_push'],
    ['disjoint alternatives', 'event_type: "push|tag_push"', 'event_type: merge_request'],
    ['a job without gitlab rules', null, 'event_type: push'],
    ['two jobs without rules', null, null],
    ['different literal project paths', 'event_type: push, project.path_with_namespace: group/app', 'event_type: push, project.path_with_namespace: group/web'],
    ['different literal nested paths', 'event_type: push, project.path_with_namespace: a/b/c', 'event_type: push, project.path_with_namespace: a/b/d'],
    ['different literal refs', 'ref: refs/heads/main', 'ref: refs/heads/develop'],
    ['different literal numbers', 'event_type: push, project.id: 15', 'event_type: push, project.id: 16'],
    ['different literal booleans', 'ref_protected: true', 'ref_protected: false'],
    ['different literals without slashes', 'event_type: push, user_username: alice', 'event_type: push, user_username: bob'],
    ['escaped dots are literal', 'project.path_with_namespace: "group/app\\\\.web"', 'project.path_with_namespace: group/app-web'],
    ['one differing literal among several keys', 'event_type: push, ref: "refs/heads/.*", project.id: 1', 'event_type: push, ref: refs/heads/main, project.id: 2'],
  ])('%s', (_label, a, b) => {
    expect(warningsOf(a, b)).toEqual([]);
  });

  test('no jobs or one job: nothing to compare', () => {
    expect(findOverlaps([])).toEqual([]);
    expect(warningsOf('event_type: push')).toEqual([]);
  });
});
