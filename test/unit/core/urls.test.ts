/** Credentials in URLs: configured URLs with userinfo are refused; payload URLs lose their userinfo. */
import { describe, expect, test } from 'bun:test';
import { classify } from '../../../src/core/webhook.ts';
import { configuredUrlProblem, withoutUserinfo } from '../../../src/core/urls.ts';
import { describeDatabaseUrl } from '../../../src/db/open.ts';
import { HEADERS, mrPayload, pushPayload } from '../../helpers/payloads.ts';

const INSTANCE = { prefix: 'P', host: 'gitlab.example.com', hostname: 'gitlab.example.com' };

describe('configuredUrlProblem', () => {
  test.each(['https://dojo.example.com', 'http://127.0.0.1:8080/', 'https://slack.com/api/', 'https://h/a@b'])('%s is fine', (url) => {
    expect(configuredUrlProblem(url)).toBeNull();
  });

  test.each(['https://u:p4ss@dojo.example.com', 'https://t0ken@dojo.example.com', 'http://:p4ss@h/', 'https://u%40x:p%3Ass@h'])('%s carries credentials', (url) => {
    const problem = configuredUrlProblem(url)!;
    expect(problem).toContain('must not carry credentials');
    expect(problem).not.toContain('p4ss');
    expect(problem).not.toContain('t0ken');
  });

  test.each(['dojo.example.com', 'ftp://h/', 'javascript:alert(1)', ''])('%p is not an http(s) URL', (url) => {
    expect(configuredUrlProblem(url)).toBe('must be an http(s) URL');
  });
});

describe('withoutUserinfo', () => {
  test.each([
    ['https://oauth2:glpat-x@gitlab.example.com/acme/app', 'https://gitlab.example.com/acme/app'],
    ['https://glpat-x@gitlab.example.com/acme/app', 'https://gitlab.example.com/acme/app'],
    ['http://u:p@h:8080/a/b?x=1#f', 'http://h:8080/a/b?x=1#f'],
  ])('%s → %s', (input, want) => {
    expect(withoutUserinfo(input)).toBe(want);
  });

  test.each(['https://gitlab.example.com/acme/app', 'https://gitlab.example.com', 'not a url', 'https://h/a@b'])('%s is unchanged', (input) => {
    expect(withoutUserinfo(input)).toBe(input);
  });
});

describe('classify() keeps payload URLs without userinfo', () => {
  const sha = 'a'.repeat(40);
  test('push: project.web_url', () => {
    const p = pushPayload({ gitlabUrl: 'https://gitlab.example.com', path: 'acme/app', before: 'b'.repeat(40), after: sha });
    p.project.web_url = 'https://oauth2:glpat-SECRET@gitlab.example.com/acme/app';
    const c = classify(HEADERS.push, p);
    if (c.kind !== 'event') throw new Error(`expected an event, got ${c.kind}`);
    // The host check still sees the host the payload names.
    expect(new URL(c.webUrl).host).toBe('gitlab.example.com');
    expect(c.build(INSTANCE).projectUrl).toBe('https://gitlab.example.com/acme/app');
  });

  test('merge request: project.web_url and object_attributes.url', () => {
    const p = mrPayload({ gitlabUrl: 'https://gitlab.example.com', path: 'acme/app', iid: 2, action: 'open', source: 'f', target: 'main', head: sha });
    p.project.web_url = 'https://u:SECRET@gitlab.example.com/acme/app';
    p.object_attributes.url = 'https://u:SECRET@gitlab.example.com/acme/app/-/merge_requests/2';
    const c = classify(HEADERS.mr, p);
    if (c.kind !== 'event') throw new Error(`expected an event, got ${c.kind}`);
    const ctx = c.build(INSTANCE);
    expect(JSON.stringify(ctx)).not.toContain('SECRET');
    expect(ctx.mergeRequest?.url).toBe('https://gitlab.example.com/acme/app/-/merge_requests/2');
  });
});

describe('describeDatabaseUrl never prints a password', () => {
  test.each([
    ['postgres://secbot:pg-pa55word@db:5432/secbot', 'postgres://db:5432/secbot'],
    ['postgres://secbot:pg-pa55word@db/secbot?sslmode=require', 'postgres://db/secbot'],
    ['data/secbot.sqlite', 'sqlite:data/secbot.sqlite'],
    // Settings refuse this; the description must not print it either way.
    ['mysql://secbot:pg-pa55word@db/secbot', 'sqlite:mysql://db/secbot'],
  ])('%s → %s', (url, want) => {
    expect(describeDatabaseUrl(url)).toBe(want);
  });
});
