/**
 * Slack notifier (`handler_name: slack`): one message per (check, output, channel) announcing only new findings.
 * Each channel's delivery is recorded before and after the post, so a retried task never posts twice: a channel
 * marked `sent` is skipped, and one left `posting` by an attempt that died mid-request is marked `uncertain` rather
 * than posted again (at most once; see docs/reliability.md for the window this leaves).
 */
import { WebClient } from '@slack/web-api';
import { PermanentError, RetryableError } from '../../../core/errors.ts';
import type { Notifier, NotifyRequest, NotifyResult, PluginContext, PluginDefinition } from '../../types.ts';
import { slackConfigSchema, type SlackConfig } from './config.ts';
import { classifySlackError } from './errors.ts';
import { buildMessage } from './message.ts';

export const slackDefinition: PluginDefinition<'notifier', SlackConfig, Notifier> = {
  handlerName: 'slack',
  kind: 'notifier',
  description: 'Posts new findings to Slack channels (chat.postMessage)',
  configSchema: slackConfigSchema as never,
  envParams: [{ key: 'token', required: true, secret: true, description: 'the Slack bot token (e.g. SLACK_TOKEN)' }],
  create: (ctx) => new SlackNotifier(ctx),
};

class SlackNotifier implements Notifier {
  private readonly client: WebClient;

  constructor(private readonly ctx: PluginContext<SlackConfig>) {
    this.client = new WebClient(ctx.env.token, {
      slackApiUrl: ctx.settings.slackApiUrl,
      // Retries and rate limits are the task queue's job: the worker must not block for minutes inside one call.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: ctx.config.timeout_seconds * 1000,
      logger: silentSlackLogger,
    });
  }

  async notify(req: NotifyRequest): Promise<NotifyResult> {
    const scans = req.results.map((r) => ({ scanName: r.scanName, findings: r.findings, unscanned: r.unscanned.filter((u) => !u.inherited) }));
    const message = buildMessage(req.check, scans, this.ctx.config.render_limit);
    if (!message) {
      return { delivered: 0, skipped: this.ctx.config.channels.length, failed: [], note: 'no new findings and nothing unscanned: nothing to announce' };
    }
    const result: NotifyResult = { delivered: 0, skipped: 0, failed: [] };
    for (const channel of this.ctx.config.channels) {
      const prior = await req.ledger.get(channel);
      if (prior?.state === 'sent' || prior?.state === 'uncertain') {
        result.skipped++;
        continue;
      }
      if (prior?.state === 'failed') {
        result.failed.push({ channel, reason: prior.detail ?? 'failed earlier' });
        continue;
      }
      if (prior?.state === 'posting') {
        await req.ledger.uncertain(channel, 'an earlier attempt stopped while posting; not re-sent to avoid a duplicate');
        result.skipped++;
        continue;
      }
      await this.post(req, channel, message, result);
    }
    return result;
  }

  private async post(req: NotifyRequest, channel: string, message: { text: string; blocks: unknown[] }, result: NotifyResult) {
    await req.ledger.begin(channel);
    req.log.debug('Slack: chat.postMessage', { channel, api: this.ctx.settings.slackApiUrl });
    try {
      const res = await this.client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks as never,
        unfurl_links: false,
        unfurl_media: false,
      });
      await req.ledger.sent(channel, String(res.ts ?? ''));
      result.delivered++;
    } catch (err) {
      const e = classifySlackError(err, channel, 'the token env variable of this component');
      if (e instanceof PermanentError) {
        await req.ledger.failed(channel, e.message);
        result.failed.push({ channel, reason: e.message });
        return;
      }
      // Slack said no (or never got the request): this channel may be posted by the next attempt.
      await req.ledger.release(channel);
      throw e instanceof RetryableError ? e : new RetryableError(String(e));
    }
  }
}

const silentSlackLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => 'error' as never,
  setName: () => {},
};
