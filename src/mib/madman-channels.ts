// MADMAN-MIB madmanChannels (madmanObjects 2): the imsimta channel counters kept in
// model/channel-counters.ts, beside the channels' mtaGroupTable rows.

import { absolute, channelCountersOf, COUNTER_KINDS, type ChannelCounters, type CounterKind } from '../model/channel-counters.js';
import type { MailSystem } from '../model/mail-system.js';
import { dateAndTime, table, type ModuleView } from './view.js';

type CounterRow = { c: ChannelCounters; kind: CounterKind; n: number };

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const GAUGE_MAX = 4294967295;

/** Integer32 and Gauge32 hold what they can; beyond, the nearest bound. */
const int = (v: number): number => (v < INT_MIN ? INT_MIN : v > INT_MAX ? INT_MAX : Math.trunc(v));
const gauge = (v: number): number => (v < 0 ? 0 : v > GAUGE_MAX ? GAUGE_MAX : Math.trunc(v));

export function madmanChannelsView(model: MailSystem): ModuleView {
  const book = channelCountersOf(model);
  // only channels still in the model (a row without its mtaGroupTable row would dangle)
  function* channels(): Iterable<ChannelCounters> {
    for (const c of book.values()) if (model.applications.get(c.app)?.mta?.channels.has(c.channel)) yield c;
  }
  function* counters(): Iterable<CounterRow> {
    for (const c of channels()) for (let i = 0; i < COUNTER_KINDS.length; i++) yield { c, kind: COUNTER_KINDS[i]!, n: i + 1 };
  }
  return {
    module: 'MADMAN-MIB',
    version: () => book.version + model.structureVersion,
    tables: [
      table<ChannelCounters>({
        entry: 'madmanChannelEntry',
        rows: channels,
        index: (c) => [c.app, c.channel],
        columns: {
          madmanChannelName: (c) => c.name,
          madmanChannelSince: (c) => dateAndTime(c.since),
          madmanChannelDeliveredFirstTime: (c) => gauge(c.deliveredFirstTime),
          madmanChannelQueueTime: (c) => gauge(Math.round(c.queueSeconds)),
          madmanChannelQueueCount: (c) => gauge(c.queueCount),
          madmanChannelQueueFirstTime: (c) => gauge(Math.round(c.queueFirstSeconds)),
          madmanChannelQueueFirstCount: (c) => gauge(c.queueFirstCount),
          madmanChannelInAssocs: (c) => gauge(c.inAssocs),
          madmanChannelOutAssocs: (c) => gauge(c.outAssocs),
        },
      }),
      table<CounterRow>({
        entry: 'madmanChannelCounterEntry',
        rows: counters,
        index: (r) => [r.c.app, r.c.channel, r.n],
        columns: {
          madmanChannelCounterMessages: (r) => int(r.c.values[r.kind].messages),
          madmanChannelCounterRecipients: (r) => int(r.c.values[r.kind].recipients),
          madmanChannelCounterBlocks: (r) => int(r.c.values[r.kind].blocks),
          madmanChannelCounterMinMessages: (r) => int(r.c.minimum[r.kind].messages),
          madmanChannelCounterMinRecipients: (r) => int(r.c.minimum[r.kind].recipients),
          madmanChannelCounterMinBlocks: (r) => int(r.c.minimum[r.kind].blocks),
          madmanChannelCounterAbsMessages: (r) => gauge(absolute(r.c, r.kind).messages),
          madmanChannelCounterAbsRecipients: (r) => gauge(absolute(r.c, r.kind).recipients),
          madmanChannelCounterAbsBlocks: (r) => gauge(absolute(r.c, r.kind).blocks),
        },
      }),
    ],
  };
}
