// `madman counters` rows of a source whose channels are MTA-MIB groups only (Exim):
// the MTA-MIB counters of its checkpoint less the baseline the last `counters clear` recorded
// (counters-clear.json), since MTA-MIB counters never go back (src/state/counters-clear.ts);
// the stored gauges as they are.

import type { ChannelSnapshot } from '../../model/persist.js';
import type { Baselines, ClearRequest } from '../../state/counters-clear.js';
import type { CountersDeclaration } from '../registry.js';
import { checkpointIn, type ChannelReport, type Row } from './counters-rows.js';

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const blocks = (octets: unknown): number => Math.ceil(num(octets) / 1024);

/** The MTA-MIB values of a channel that `counters` shows, by name. */
export function mtaValues(ch: ChannelSnapshot): Record<string, number> {
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

/**
 * The `counters` declaration of source `source` whose checkpoint is `<stateDir>/<checkpoint>.json`:
 * its channels' MTA-MIB values, less a clear's baselines (every channel's values when the
 * clear was asked for, by "applName\tchannel").
 */
export function mtaCounters(source: string, checkpoint: string): CountersDeclaration {
  return {
    baselines(stateDir: string): Baselines {
      const out: Baselines = {};
      for (const app of checkpointIn(stateDir, checkpoint)?.model.applications ?? []) {
        for (const ch of app.mta?.channels ?? []) out[`${app.name}\t${ch.name}`] = mtaValues(ch);
      }
      return out;
    },
    reports: (stateDir, req) => mtaReports(source, checkpoint, stateDir, req),
  };
}

function mtaReports(source: string, checkpoint: string, stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const out: ChannelReport[] = [];
  for (const app of checkpointIn(stateDir, checkpoint)?.model.applications ?? []) {
    for (const ch of app.mta?.channels ?? []) {
      const now = mtaValues(ch);
      const base = req?.baselines[`${app.name}\t${ch.name}`] ?? {};
      const v = (k: string): number => now[k]! - (base[k] ?? 0);
      const row = (p: string): Row => ({ messages: v(`${p}Messages`), recipients: v(`${p}Recipients`), blocks: v(`${p}Blocks`) });
      // what the queue holds now: a gauge, which a clear does not move
      const stored: Row = { messages: now.storedMessages!, recipients: now.storedRecipients!, blocks: now.storedBlocks! };
      const none: Row = { messages: null, recipients: null, blocks: null };
      const created = ch.fields.createdAt;
      out.push({
        application: app.name,
        channel: ch.name,
        source,
        since: req ? req.at : typeof created === 'number' ? created : undefined,
        clearPending: false,
        counters: {
          received: row('received'),
          stored,
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
