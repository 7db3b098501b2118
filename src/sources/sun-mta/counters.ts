// `madman counters` rows of the Sun MTA source: the imsimta counters it keeps in its
// checkpoint (sun-mta.json); a `counters clear` the agent has not applied yet shows them
// as cleared.

import { absolute, COUNTER_KINDS, type ChannelCounters, type CounterKind, type Triple } from '../../model/channel-counters.js';
import type { ModelSnapshot } from '../../model/persist.js';
import type { ClearRequest } from '../../state/counters-clear.js';
import { checkpointIn, type ChannelReport, type Row } from '../kit/counters-rows.js';
import type { SunLogState } from './state.js';

/** The checkpoint's name in the state directory (sun-mta.json). */
export const SUN_CHECKPOINT = 'sun-mta';

export function sunReports(stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const cp = checkpointIn<{ model: ModelSnapshot; log?: SunLogState }>(stateDir, SUN_CHECKPOINT);
  const log = cp?.log;
  if (!log || !Array.isArray(log.counters)) return [];
  const pending = req !== undefined && req.seq > log.clearSeq;
  return log.counters.map((c: ChannelCounters) => {
    const counters = {} as Record<CounterKind, Row>;
    const abs: Partial<Record<CounterKind, Triple>> = {};
    for (const k of COUNTER_KINDS) {
      const v = c.values[k];
      counters[k] = pending ? { messages: 0, recipients: 0, blocks: 0 } : { ...v };
      const m = c.minimum[k];
      if (!pending && (m.messages < 0 || m.recipients < 0 || m.blocks < 0)) abs[k] = absolute(c, k);
    }
    return {
      application: log.appName,
      channel: c.name,
      source: 'sun-mta',
      since: pending && req ? req.at : c.since,
      clearPending: pending,
      counters,
      absolute: abs,
      deliveredFirstTime: pending ? 0 : c.deliveredFirstTime,
      queue: pending
        ? { seconds: 0, count: 0, firstSeconds: 0, firstCount: 0 }
        : { seconds: c.queueSeconds, count: c.queueCount, firstSeconds: c.queueFirstSeconds, firstCount: c.queueFirstCount },
      inAssocs: pending ? 0 : c.inAssocs,
      outAssocs: pending ? 0 : c.outAssocs,
    };
  });
}
