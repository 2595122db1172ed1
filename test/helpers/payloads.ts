/**
 * Webhook payloads for tests, made from GitLab's real documented payloads (test/fixtures/gitlab) with only the
 * fields a test controls changed: the project (URL and path on the fake GitLab) and the commits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dir, '..', 'fixtures', 'gitlab');
export const ZERO = '0000000000000000000000000000000000000000';

// biome-ignore lint: payloads are free-form JSON
type Json = Record<string, any>;

export function fixture(name: string): Json {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

function withProject(p: Json, gitlabUrl: string, path: string, projectId?: number): Json {
  const web = `${gitlabUrl}/${path}`;
  p.project = { ...p.project, web_url: web, path_with_namespace: path, git_http_url: `${web}.git`, http_url: `${web}.git`, homepage: web };
  if (projectId !== undefined) {
    p.project.id = projectId;
    if ('project_id' in p) p.project_id = projectId;
    if (p.object_attributes) Object.assign(p.object_attributes, { target_project_id: projectId, source_project_id: projectId });
  }
  return p;
}

export function pushPayload(o: { gitlabUrl: string; path: string; before: string; after: string; branch?: string; system?: boolean; projectId?: number }): Json {
  const p = withProject(fixture(o.system ? 'system_hook.push.json' : 'project_hook.push.json'), o.gitlabUrl, o.path, o.projectId);
  p.before = o.before;
  p.after = o.after;
  p.checkout_sha = o.after === ZERO ? null : o.after;
  p.ref = `refs/heads/${o.branch ?? 'main'}`;
  p.commits = [];
  p.total_commits_count = 0;
  return p;
}

export function tagPayload(o: { gitlabUrl: string; path: string; tag: string; after: string; commit: string; system?: boolean }): Json {
  const p = withProject(fixture(o.system ? 'system_hook.tag_push.json' : 'project_hook.tag_push.json'), o.gitlabUrl, o.path);
  p.before = ZERO;
  p.after = o.after;
  p.checkout_sha = o.commit;
  p.ref = `refs/tags/${o.tag}`;
  return p;
}

export function mrPayload(o: {
  gitlabUrl: string;
  path: string;
  iid: number;
  action: string;
  source: string;
  target: string;
  head: string;
  oldrev?: string;
  system?: boolean;
  projectId?: number;
}): Json {
  const p = withProject(fixture(o.system ? 'system_hook.merge_request.open.json' : 'project_hook.merge_request.open.json'), o.gitlabUrl, o.path, o.projectId);
  const a = p.object_attributes;
  a.iid = o.iid;
  a.action = o.action;
  a.source_branch = o.source;
  a.target_branch = o.target;
  a.last_commit = { ...a.last_commit, id: o.head };
  if (o.oldrev) a.oldrev = o.oldrev;
  else delete a.oldrev;
  a.url = `${o.gitlabUrl}/${o.path}/-/merge_requests/${o.iid}`;
  return p;
}

export const HEADERS = {
  push: 'Push Hook',
  tag: 'Tag Push Hook',
  mr: 'Merge Request Hook',
  system: 'System Hook',
} as const;
