// `madman counters` rows of the Postfix source: the MTA-MIB counters of postfix.json less
// the baseline the last `counters clear` recorded (counters-clear.json), since MTA-MIB
// counters never go back (src/state/counters-clear.ts).

import type { ChannelSnapshot } from '../../model/persist.js';
import type { Baselines, ClearRequest } from '../../state/counters-clear.js';
import { checkpointIn, type ChannelReport, type Row } from '../kit/counters-rows.js';

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const blocks = (octets: unknown): number => Math.ceil(num(octets) / 1024);

/** The MTA-MIB values of a Postfix channel that `counters` shows, by name. */
export function postfixValues(ch: ChannelSnapshot): Record<string, number> {
  const f = ch.fields;
  return {
    receivedMessages: num(f.receivedMessages),
    receivedRecipients: num(f.receivedRecipients),
    receivedBlocks: blocks(f.receivedVolume),
    storedMessages: num(f.storedMessages),
    storedRecipients: num(f.storedRecipients),
    storedBlocks: blocks(f.storedVolume),
    deliveredMessages: num(f.transmittedMessages),
    deliveredRecipients: num(f.transmittedRecipients),
    deliveredBlocks: blocks(f.transmittedVolume),
    rejectedMessages: num(f.rejectedMessages),
    inAssocs: num(f.accumulatedInboundAssociations),
    outAssocs: num(f.accumulatedOutboundAssociations),
  };
}

/** Every Postfix channel's current values (a clear's baseline), by "applName\tchannel". */
export function postfixBaselines(stateDir: string): Baselines {
  const out: Baselines = {};
  for (const app of checkpointIn(stateDir, 'postfix')?.model.applications ?? []) {
    for (const ch of app.mta?.channels ?? []) out[`${app.name}\t${ch.name}`] = postfixValues(ch);
  }
  return out;
}

export function postfixReports(stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const out: ChannelReport[] = [];
  for (const app of checkpointIn(stateDir, 'postfix')?.model.applications ?? []) {
    for (const ch of app.mta?.channels ?? []) {
      const now = postfixValues(ch);
      const base = req?.baselines[`${app.name}\t${ch.name}`] ?? {};
      const v = (k: string): number => now[k]! - (base[k] ?? 0);
      const row = (p: string): Row => ({ messages: v(`${p}Messages`), recipients: v(`${p}Recipients`), blocks: v(`${p}Blocks`) });
      const none: Row = { messages: null, recipients: null, blocks: null };
      const created = ch.fields.createdAt;
      out.push({
        application: app.name,
        channel: ch.name,
        source: 'postfix',
        since: req ? req.at : typeof created === 'number' ? created : undefined,
        clearPending: false,
        counters: {
          received: row('received'),
          stored: row('stored'),
          delivered: row('delivered'),
          submitted: none,
          attempted: none,
          rejected: { messages: v('rejectedMessages'), recipients: null, blocks: null },
          failed: none,
        },
        absolute: {},
        deliveredFirstTime: null,
        queue: null,
        inAssocs: v('inAssocs'),
        outAssocs: v('outAssocs'),
      });
    }
  }
  return out;
}
