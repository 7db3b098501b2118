// `madman counters` rows of the Sendmail source: the imsimta counters it keeps in its
// checkpoint (sendmail.json); a `counters clear` the agent has not applied yet shows them
// as cleared. Submitted and Stored have no Sendmail log line and stay empty.

import { absolute, COUNTER_KINDS, type ChannelCounters, type CounterKind, type Triple } from '../../model/channel-counters.js';
import type { ModelSnapshot } from '../../model/persist.js';
import type { ClearRequest } from '../../state/counters-clear.js';
import { checkpointIn, type ChannelReport, type Row } from '../kit/counters-rows.js';
import type { SendmailState } from './state.js';

/** The checkpoint's name in the state directory (sendmail.json). */
export const SENDMAIL_CHECKPOINT = 'sendmail';

const NOT_COUNTED: ReadonlySet<CounterKind> = new Set(['submitted', 'stored']);

export function sendmailReports(stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const s = checkpointIn<{ model: ModelSnapshot } & Partial<SendmailState>>(stateDir, SENDMAIL_CHECKPOINT)?.sendmail;
  if (!s || !Array.isArray(s.counters)) return [];
  const pending = req !== undefined && req.seq > s.clearSeq;
  return s.counters.map((c: ChannelCounters) => {
    const counters = {} as Record<CounterKind, Row>;
    const abs: Partial<Record<CounterKind, Triple>> = {};
    for (const k of COUNTER_KINDS) {
      if (NOT_COUNTED.has(k)) {
        counters[k] = { messages: null, recipients: null, blocks: null };
        continue;
      }
      counters[k] = pending ? { messages: 0, recipients: 0, blocks: 0 } : { ...c.values[k] };
      const m = c.minimum[k];
      if (!pending && (m.messages < 0 || m.recipients < 0 || m.blocks < 0)) abs[k] = absolute(c, k);
    }
    const q = pending ? { seconds: 0, count: 0, firstSeconds: 0, firstCount: 0 } : { seconds: c.queueSeconds, count: c.queueCount, firstSeconds: c.queueFirstSeconds, firstCount: c.queueFirstCount };
    return {
      application: s.appName,
      channel: c.name,
      source: 'sendmail',
      since: pending && req ? req.at : c.since,
      clearPending: pending,
      counters,
      absolute: abs,
      deliveredFirstTime: pending ? 0 : c.deliveredFirstTime,
      queue: q,
      inAssocs: pending ? 0 : c.inAssocs,
      outAssocs: pending ? 0 : c.outAssocs,
    };
  });
}
