/**
 * GitLab notifier (`handler_name: gitlab`): a publisher. For each check it keeps a commit status (see ./statuses.ts)
 * and, on merge requests whose head is the checked commit, exactly one note (see ./note.ts) in step with the
 * verdict. It is called by the worker's publication sync (src/services/publication-sync.ts) whenever the check may
 * look different; everything already written is in the ledger, so an unchanged state is never written again.
 * Writing needs a token with the `api` scope: `GITLAB_CONFIGS[].api_token` of the check's instance.
 */
import { createHash } from 'node:crypto';
import { GitlabApiError, GitlabRest, type MergeRequest, type Note } from '../../../clients/gitlab/rest.ts';
import { ConfigError, PermanentError, RetryableError } from '../../../core/errors.ts';
import type { Notifier, PluginContext, PluginDefinition, PublishMergeRequest, PublishRequest, PublishResult } from '../../types.ts';
import { gitlabNotifierConfigSchema, type GitlabNotifierConfig } from './config.ts';
import { classifyGitlabError, targetProblem } from './errors.ts';
import { hasSomethingToSay, noteMarker, renderNote } from './note.ts';
import { desiredStatus } from './status.ts';
import { publishStatuses } from './statuses.ts';

export const gitlabDefinition: PluginDefinition<'notifier', GitlabNotifierConfig, Notifier> = {
  handlerName: 'gitlab',
  kind: 'notifier',
  description: 'Sets a commit status (blocks merges with "Pipelines must succeed") and keeps one note per merge request',
  configSchema: gitlabNotifierConfigSchema as never,
  envParams: [],
  publishes: true,
  create: (ctx) => {
    if (!ctx.settings.gitlab.some((g) => g.apiToken)) {
      throw new ConfigError(
        `component "${ctx.name}" (handler gitlab) writes to GitLab, but no GITLAB_CONFIGS instance has an api_token; add "api_token" (a token with the api scope) to each instance whose projects it reports on`,
      );
    }
    const without = ctx.settings.gitlab.filter((g) => !g.apiToken).map((g) => g.host);
    if (without.length > 0) {
      ctx.logger.warn('GitLab instances without an api_token: checks of their projects cannot be published to GitLab', { instances: without });
    }
    if (!ctx.settings.publicUrl) ctx.logger.warn('SECBOT_PUBLIC_URL is not set: GitLab statuses and notes will not link to the check page');
    return new GitlabPublisher(ctx);
  },
};

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface Head {
  mr: PublishMergeRequest;
  view: MergeRequest;
}

class GitlabPublisher implements Notifier {
  /** host → id of the api_token's user, to recognise SecBot's own notes. */
  private readonly users = new Map<string, Promise<number>>();

  constructor(private readonly ctx: PluginContext<GitlabNotifierConfig>) {}

  async publish(req: PublishRequest): Promise<PublishResult> {
    const { check } = req.snapshot;
    const token = req.instance.apiToken;
    if (!token) {
      throw new ConfigError(`GITLAB_CONFIGS instance ${req.instance.host} has no api_token; the gitlab notifier needs a token with the api scope there`);
    }
    if (check.projectId === null) throw new PermanentError('the event that created this check carried no project id; SecBot cannot address the project in the API');
    const api = new GitlabRest({ baseUrl: req.instance.baseUrl, token, timeoutMs: this.ctx.config.timeout_seconds * 1000, fetch: this.ctx.fetch });
    const result: PublishResult = { written: 0, unchanged: 0, problems: [] };
    try {
      const heads = await this.headsOf(api, req);
      const transient = await publishStatuses(
        { api, projectId: check.projectId, snapshot: req.snapshot, heads: heads.map((h) => h.view), want: desiredStatus(req.snapshot), statusName: this.ctx.config.status_name, ledger: req.ledger, signal: req.signal },
        result,
      );
      for (const head of heads) await this.publishNote(api, req, head, result);
      if (transient.length > 0) throw new RetryableError(transient.join('; '));
      return result;
    } catch (err) {
      throw classifyGitlabError(err, req.instance.host, this.ctx.config.rate_limit_seconds * 1000);
    }
  }

  /** Open merge requests whose head is the checked commit; closed, merged or deleted ones are recorded as such. */
  private async headsOf(api: GitlabRest, req: PublishRequest): Promise<Head[]> {
    const heads: Head[] = [];
    for (const mr of req.mergeRequests) {
      let view: MergeRequest;
      try {
        view = await api.mergeRequest(mr.projectId, mr.iid, req.signal);
      } catch (err) {
        if (err instanceof GitlabApiError && err.status === 404 && !/Project Not Found/i.test(err.detail)) {
          await req.ledger.closeMergeRequest(mr, 'gone');
          continue;
        }
        throw err;
      }
      if (view.state === 'closed' || view.state === 'merged') await req.ledger.closeMergeRequest(mr, view.state);
      else if (view.state === 'opened' && view.sha === req.snapshot.check.commitSha) heads.push({ mr, view });
    }
    return heads;
  }

  private async publishNote(api: GitlabRest, req: PublishRequest, head: Head, result: PublishResult): Promise<void> {
    const mode = this.ctx.config.mr_note;
    if (mode === 'never') return;
    const { projectId, iid } = head.mr;
    const body = renderNote(req.snapshot, head.mr, { component: this.ctx.name, statusName: this.ctx.config.status_name, limit: this.ctx.config.note_limit });
    const hash = sha256(body);
    let known = await req.ledger.note(head.mr);
    if (known && known.noteId !== 0 && known.bodyHash === hash) {
      result.unchanged++;
      return;
    }
    try {
      if (!known || known.noteId === 0) {
        // noteId 0: an attempt recorded its intent to create the note and may have died after GitLab stored it.
        const interrupted = known?.noteId === 0;
        const wanted = mode === 'always' ? req.snapshot.phase === 'final' : hasSomethingToSay(req.snapshot);
        if (!wanted && !interrupted) return;
        const found = await this.findOwnNote(api, req, head.mr);
        known = found ? { noteId: found.id, bodyHash: sha256(found.body ?? '') } : undefined;
        if (!found && !wanted) {
          await req.ledger.dropNote(head.mr);
          return;
        }
      }
      if (known && known.bodyHash === hash) {
        await req.ledger.saveNote(head.mr, known.noteId, hash);
        result.unchanged++;
        return;
      }
      if (known && (await this.edit(api, req, head.mr, known.noteId, body))) {
        await req.ledger.saveNote(head.mr, known.noteId, hash);
        result.written++;
        return;
      }
      await req.ledger.saveNote(head.mr, 0, '');
      const created = await api.createNote(projectId, iid, body, req.signal);
      await req.ledger.saveNote(head.mr, created.id, hash);
      result.written++;
    } catch (err) {
      const problem = err instanceof GitlabApiError && err.status !== 429 ? targetProblem(err) : null;
      if (problem === null) throw err;
      result.problems.push({ target: `note on !${iid}`, message: problem });
    }
  }

  /** False when the note is gone or no longer ours to edit (deleted, or the token's user changed): write a new one. */
  private async edit(api: GitlabRest, req: PublishRequest, mr: PublishMergeRequest, noteId: number, body: string): Promise<boolean> {
    try {
      await api.updateNote(mr.projectId, mr.iid, noteId, body, req.signal);
      return true;
    } catch (err) {
      if (!(err instanceof GitlabApiError) || (err.status !== 404 && err.status !== 403)) throw err;
      req.log.warn('SecBot note on the merge request cannot be edited any more; writing a new one', { mr_iid: mr.iid, note_id: noteId, status: err.status });
      await req.ledger.dropNote(mr);
      return false;
    }
  }

  private async findOwnNote(api: GitlabRest, req: PublishRequest, mr: PublishMergeRequest): Promise<Note | null> {
    const me = await this.userId(api, req);
    const marker = noteMarker(this.ctx.name);
    for await (const n of api.notes(mr.projectId, mr.iid, req.signal)) {
      if (!n.system && n.author?.id === me && (n.body ?? '').includes(marker)) return n;
    }
    return null;
  }

  private userId(api: GitlabRest, req: PublishRequest): Promise<number> {
    const key = req.instance.host;
    let p = this.users.get(key);
    if (!p) {
      p = api.currentUser(req.signal).then((u) => u.id);
      p.catch(() => this.users.delete(key));
      this.users.set(key, p);
    }
    return p;
  }
}
