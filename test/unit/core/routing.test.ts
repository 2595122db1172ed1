/**
 * route() / jobMatches(): jobs are compiled by parseWorkflow exactly as config.yml is, then matched against the real
 * GitLab payloads.
 */
import { describe, expect, test } from 'bun:test';
import type { Job } from '../../../src/config/workflow.ts';
import type { EventType } from '../../../src/core/check.ts';
import { jobMatches, route } from '../../../src/core/routing.ts';
import { workflowWithJobs } from '../support/catalog.ts';
import { body } from '../support/gitlab-fixtures.ts';

const PUSH = body('project_hook.push.json');
const TAG = body('project_hook.tag_push.json');
const MR = body('project_hook.merge_request.open.json');
const DELETE = body('project_hook.push.branch_delete.derived.json');

/** One job named `j` with the given `rules.gitlab` body (YAML flow mapping entries). */
function job(rules: string): Job {
  const yaml = `  - name: j\n    rules:\n      gitlab: {${rules}}\n    scans: [gitleaks]\n`;
  return workflowWithJobs(yaml).jobs[0]!;
}

const matches = (rules: string, eventType: string, payload: unknown = PUSH) => jobMatches(job(rules), eventType as EventType, payload);

describe('event_type', () => {
  test.each([
    ['event_type: push', 'push', true],
    ['event_type: push', 'tag_push', false],
    ['event_type: push', 'merge_request', false],
    ['event_type: push', 'push_x', false],
    ['event_type: tag', 'tag_push', false],
    ['event_type: tag_push', 'tag_push', true],
    ['event_type: "push|tag_push"', 'push', true],
    ['event_type: "push|tag_push"', 'tag_push', true],
    ['event_type: "push|tag_push"', 'merge_request', false],
    ['event_type: "push|tag"', 'push_x', false],
    ['event_type: "push|tag"', 'xtag', false],
    ['event_type: "push|tag_push|merge_request"', 'merge_request', true],
    ['event_type: "merge_.*"', 'merge_request', true],
    ['event_type: ".*push"', 'tag_push', true],
    ['event_type: ".*push"', 'merge_request', false],
    ['event_type: "Push"', 'push', false],
  ])('%s vs %s → %p', (rules, eventType, want) => {
    expect(matches(rules, eventType)).toBe(want);
  });
});

describe('payload keys', () => {
  test.each([
    // whole-string matching of payload values
    ['object_kind: push', PUSH, true],
    ['object_kind: push', { ...PUSH, object_kind: 'push_x' }, false],
    ['project.path_with_namespace: mike/diaspora', PUSH, true],
    ['project.path_with_namespace: mike/dia', PUSH, false],
    ['project.path_with_namespace: diaspora', PUSH, false],
    ['project.path_with_namespace: "mike/.*"', PUSH, true],
    ['project.path_with_namespace: "other/x|mike/diaspora"', PUSH, true],
    ['ref: refs/heads/master', PUSH, true],
    ['ref: "refs/heads/(main|master)"', PUSH, true],
    ['ref: "refs/tags/.*"', PUSH, false],
    // numbers and booleans are compared as their string form
    ['project.id: 15', PUSH, true],
    ['project.id: "1[0-9]"', PUSH, true],
    ['project.id: 1', PUSH, false],
    ['total_commits_count: 4', PUSH, true],
    ['ref_protected: true', PUSH, true],
    ['ref_protected: "true"', PUSH, true],
    ['ref_protected: false', PUSH, false],
    ['ref_protected: false', { ...PUSH, ref_protected: false }, true],
    // deep paths in a merge request
    ['object_attributes.target_branch: master', MR, true],
    ['object_attributes.source_branch: master', MR, false],
    ['object_attributes.last_commit.id: "da15.*"', MR, true],
    ['object_attributes.iid: 1', MR, true],
    ['user.username: root', MR, true],
  ])('%s → %p', (rules, payload, want) => {
    expect(matches(rules, 'push', payload)).toBe(want);
  });

  test.each([
    ['a missing key', 'no_such_key: ".*"', PUSH],
    ['a missing nested key', 'project.no_such.deeper: ".*"', PUSH],
    ['a path through a string', 'ref.length: ".*"', PUSH],
    ['a path through null', 'checkout_sha.x: ".*"', DELETE],
    ['a null value', 'checkout_sha: ".*"', DELETE],
    ['an object value', 'project: ".*"', PUSH],
    ['an array value', 'commits: ".*"', PUSH],
    ['an empty-array value', 'commits: ".*"', TAG],
    ['an inherited property', 'constructor: ".*"', PUSH],
    ['an inherited nested property', 'project.toString: ".*"', PUSH],
    ['a null payload', 'object_kind: ".*"', null],
    ['a string payload', 'length: ".*"', 'push'],
  ])('%s does not match and does not throw', (_label, rules, payload) => {
    expect(() => matches(rules, 'push', payload)).not.toThrow();
    expect(matches(rules, 'push', payload)).toBe(false);
  });

  test('an empty string value matches a pattern that accepts it', () => {
    expect(matches('project.description: ".*"', 'push', PUSH)).toBe(true);
    expect(matches('project.description: ".+"', 'push', PUSH)).toBe(false);
  });
});

describe('AND of keys', () => {
  test.each([
    ['event_type: push, project.path_with_namespace: mike/diaspora', 'push', PUSH, true],
    ['event_type: push, project.path_with_namespace: other/project', 'push', PUSH, false],
    ['event_type: tag_push, project.path_with_namespace: mike/diaspora', 'push', PUSH, false],
    ['event_type: push, ref: refs/heads/master, ref_protected: true, project.id: 15', 'push', PUSH, true],
    ['event_type: push, ref: refs/heads/master, ref_protected: true, project.id: 16', 'push', PUSH, false],
    ['event_type: merge_request, object_attributes.target_branch: master', 'merge_request', MR, true],
    ['event_type: merge_request, object_attributes.target_branch: develop', 'merge_request', MR, false],
  ])('%s (%s) → %p', (rules, eventType, payload, want) => {
    expect(matches(rules, eventType, payload)).toBe(want);
  });
});

describe('route', () => {
  const jobs = workflowWithJobs(`
  - name: pushes
    rules: {gitlab: {event_type: push}}
    scans: [gitleaks]
  - name: tags
    rules: {gitlab: {event_type: tag_push}}
    scans: [gitleaks]
  - name: diaspora-anything
    rules: {gitlab: {project.path_with_namespace: mike/diaspora}}
    scans: [gitleaks]
  - name: no-rules
    scans: [gitleaks]
`).jobs;

  test('a job without gitlab rules never matches', () => {
    const noRules = jobs.find((j) => j.name === 'no-rules')!;
    expect(noRules.rules.gitlab).toBeUndefined();
    for (const [type, payload] of [['push', PUSH], ['tag_push', TAG], ['merge_request', MR]] as const) {
      expect(jobMatches(noRules, type, payload)).toBe(false);
    }
  });

  test('exactly one match → one', () => {
    expect(route(jobs, 'tag_push', TAG)).toEqual({ kind: 'one', job: jobs[1]! });
  });

  test('no match → none', () => {
    expect(route(jobs, 'merge_request', MR)).toEqual({ kind: 'none' });
    expect(route([], 'push', PUSH)).toEqual({ kind: 'none' });
  });

  test('several matches → many, in config order', () => {
    const r = route(jobs, 'push', PUSH);
    expect(r.kind).toBe('many');
    if (r.kind === 'many') expect(r.jobs.map((j) => j.name)).toEqual(['pushes', 'diaspora-anything']);
  });

  test('a job whose gitlab rules are empty matches every event', () => {
    const all = workflowWithJobs('  - name: all\n    rules: {gitlab: {}}\n    scans: [gitleaks]\n').jobs;
    expect(route(all, 'merge_request', MR)).toEqual({ kind: 'one', job: all[0]! });
  });
});
