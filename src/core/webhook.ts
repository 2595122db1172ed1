/**
 * Turns a GitLab delivery (X-Gitlab-Event header + JSON body) into either "ignored, because…", "invalid field", or
 * the context of a check. Pure: the HTTP layer does authentication and storage. Only the fields SecBot uses are
 * parsed; `commits[]` is never read (system hooks omit it and GitLab truncates it to 20 entries).
 */
import { z } from 'zod';
import type { CheckContext, EventType, MergeRequestInfo } from './check.ts';
import { withoutUserinfo } from './urls.ts';

/** The null SHA GitLab sends for a created or deleted ref: 40 zeros, or 64 in a SHA-256 repository. */
const isNullSha = (s: string) => /^0+$/.test(s);

export type Classified =
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; field: string; message: string }
  | { kind: 'event'; eventType: EventType; webUrl: string; build: (instance: InstanceRef) => CheckContext };

export interface InstanceRef {
  prefix: string;
  host: string;
  hostname: string;
}

const sha = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'must be a full lower-case hex commit SHA');
/** GitLab project paths: segments of letters, digits, `_`, `-`, `.`; never `..` or a leading dot or dash. */
export const PROJECT_PATH = /^(?:[A-Za-z0-9_][A-Za-z0-9_.+-]*\/)+[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
const projectPath = z
  .string()
  .max(1024)
  .regex(PROJECT_PATH, 'must be a GitLab project path like group/project')
  .refine((p) => !p.includes('..') && !/\.(git|atom)$/.test(p), 'must be a GitLab project path like group/project');
const webUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const project = z.object({
  id: z.number().int().nullish(),
  web_url: webUrl,
  path_with_namespace: projectPath,
});

const pushBody = z.object({
  before: sha,
  after: sha,
  ref: z.string().regex(/^refs\/(heads|tags)\/[^\x00-\x1f\x7f]+$/, 'must be refs/heads/<branch> or refs/tags/<tag>').max(1024),
  checkout_sha: sha.nullish(),
  project_id: z.number().int().nullish(),
  user_username: z.string().nullish(),
  user_name: z.string().nullish(),
  project,
});

/** Git forbids control characters in ref names; Postgres text cannot even store NUL (it would answer 503). */
const branchName = z.string().min(1).max(1024).regex(/^[^\x00-\x1f\x7f]+$/, 'must be a branch name without control characters');

const mrBody = z.object({
  user: z.object({ username: z.string().nullish() }).nullish(),
  project,
  object_attributes: z.object({
    iid: z.number().int().positive(),
    action: z.string().nullish(),
    source_branch: branchName,
    target_branch: branchName,
    oldrev: sha.nullish(),
    url: z.string().nullish(),
    title: z.string().nullish(),
    last_commit: z.object({ id: sha }),
  }),
});

const HEADER_KIND: Record<string, string> = {
  'Push Hook': 'push',
  'Tag Push Hook': 'tag_push',
  'Merge Request Hook': 'merge_request',
};

const CODE_CHANGING_MR_ACTIONS = new Set(['open', 'reopen', 'update']);

/** Normalised event kind of a delivery, project and system hooks alike (`push`, `tag_push`, `merge_request`, …). */
export function eventKind(header: string | null, body: Record<string, unknown>): string | null {
  const fromBody = str(body.object_kind) ?? str(body.event_name) ?? str(body.event_type);
  if (header === 'System Hook') return fromBody;
  // Own keys only: `in` would also match "constructor", "__proto__", … and return a non-string kind.
  if (header && Object.hasOwn(HEADER_KIND, header)) return HEADER_KIND[header]!;
  return header ? null : fromBody;
}

export function classify(header: string | null, body: unknown): Classified {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { kind: 'invalid', field: '(body)', message: 'must be a JSON object' };
  }
  const record = body as Record<string, unknown>;
  const kind = eventKind(header, record);
  if (kind === null) return { kind: 'ignored', reason: `event "${header ?? 'unknown'}" is not handled` };
  const declared = str(record.object_kind);
  if (header !== 'System Hook' && declared && declared !== kind && header) {
    return { kind: 'invalid', field: 'object_kind', message: `"${declared}" does not match X-Gitlab-Event "${header}"` };
  }
  if (kind === 'push' || kind === 'tag_push') return classifyPush(kind, record);
  if (kind === 'merge_request') return classifyMergeRequest(record);
  return { kind: 'ignored', reason: `event "${kind}" is not handled` };
}

function classifyPush(kind: 'push' | 'tag_push', body: Record<string, unknown>): Classified {
  const parsed = pushBody.safeParse(body, { reportInput: true });
  if (!parsed.success) return invalid(parsed.error);
  const p = parsed.data;
  if (isNullSha(p.after) || (p.checkout_sha === null && kind === 'tag_push')) {
    return { kind: 'ignored', reason: `${kind === 'push' ? 'branch' : 'tag'} deletion: nothing to check` };
  }
  const isTag = p.ref.startsWith('refs/tags/');
  if ((kind === 'tag_push') !== isTag) {
    return { kind: 'invalid', field: 'ref', message: `"${p.ref}" does not fit a ${kind} event` };
  }
  const commitSha = p.checkout_sha ?? p.after;
  const refName = p.ref.replace(/^refs\/(heads|tags)\//, '');
  return {
    kind: 'event',
    eventType: kind,
    webUrl: p.project.web_url,
    build: (inst) => ({
      ...base(inst, p.project, p.project_id ?? null),
      eventType: kind,
      commitSha,
      ref: { kind: isTag ? 'tag' : 'branch', name: refName },
      beforeSha: isNullSha(p.before) ? null : p.before,
      mergeRequest: null,
      userName: p.user_username ?? p.user_name ?? null,
    }),
  };
}

function classifyMergeRequest(body: Record<string, unknown>): Classified {
  const parsed = mrBody.safeParse(body, { reportInput: true });
  if (!parsed.success) return invalid(parsed.error);
  const m = parsed.data;
  const a = m.object_attributes;
  const action = a.action ?? '';
  if (!CODE_CHANGING_MR_ACTIONS.has(action)) {
    return { kind: 'ignored', reason: `merge request action "${action || 'none'}" does not change code` };
  }
  if (action === 'update' && !a.oldrev) {
    return { kind: 'ignored', reason: 'merge request update without oldrev: no new code' };
  }
  const mr: MergeRequestInfo = {
    iid: a.iid,
    action,
    sourceBranch: a.source_branch,
    targetBranch: a.target_branch,
    oldrev: a.oldrev ?? null,
    // A payload URL with user:password@ would reach the database, Slack and DefectDojo: keep it without.
    url: a.url ? withoutUserinfo(a.url) : null,
    title: a.title ?? null,
  };
  return {
    kind: 'event',
    eventType: 'merge_request',
    webUrl: m.project.web_url,
    build: (inst) => ({
      ...base(inst, m.project, null),
      eventType: 'merge_request',
      commitSha: a.last_commit.id,
      ref: { kind: 'branch', name: a.source_branch },
      beforeSha: null,
      mergeRequest: mr,
      userName: m.user?.username ?? null,
    }),
  };
}

function base(inst: InstanceRef, p: z.infer<typeof project>, projectId: number | null) {
  return {
    instancePrefix: inst.prefix,
    host: inst.host,
    hostname: inst.hostname,
    projectPath: p.path_with_namespace,
    projectId: p.id ?? projectId,
    projectUrl: withoutUserinfo(p.web_url),
  };
}

function invalid(error: z.ZodError): Classified {
  const issue = error.issues[0]!;
  const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return { kind: 'invalid', field: field || '(body)', message };
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
