/** The notification ledger of one (check, generation, output, notifier), stored in the notifications table. */
import type { ResultStore } from '../db/results.ts';
import type { ChannelState, DeliveryLedger } from '../plugins/types.ts';

export function ledgerFor(
  results: ResultStore,
  key: { checkId: string; generation: number; output: string; notifier: string },
): DeliveryLedger {
  const at = (channel: string) => ({ ...key, channel });
  return {
    async get(channel) {
      const rows = await results.notifications(key);
      const row = rows.find((r) => r.output === key.output && r.notifier === key.notifier && r.channel === channel);
      return row ? { state: row.state as ChannelState, detail: row.detail ?? undefined } : undefined;
    },
    begin: async (channel) => void (await results.setNotification(at(channel), 'posting', null)),
    sent: async (channel, ref) => void (await results.setNotification(at(channel), 'sent', ref)),
    failed: async (channel, reason) => void (await results.setNotification(at(channel), 'failed', reason)),
    uncertain: async (channel, reason) => void (await results.setNotification(at(channel), 'uncertain', reason)),
    release: async (channel) => void (await results.setNotification(at(channel), 'released', null, ['posting'])),
  };
}
