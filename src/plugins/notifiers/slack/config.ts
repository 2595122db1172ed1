import { z } from 'zod';

const channelList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** `channels` (the original code) and `channel` (seed §2.2) are both accepted; either one string or a list. */
export const slackConfigSchema = z
  .object({
    render_limit: z.number().int().min(0).max(1000).default(10),
    channels: channelList.optional(),
    channel: channelList.optional(),
    timeout_seconds: z.number().int().min(1).max(600).default(30),
  })
  .strict()
  .refine((c) => c.channels !== undefined || c.channel !== undefined, {
    message: 'set `channels` (or `channel`) to the channel(s) to notify',
    path: ['channels'],
  })
  .transform((c) => {
    const raw = [c.channels ?? [], c.channel ?? []].flat();
    return { render_limit: c.render_limit, timeout_seconds: c.timeout_seconds, channels: [...new Set(raw)] };
  });

export type SlackConfig = z.infer<typeof slackConfigSchema>;
