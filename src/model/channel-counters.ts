// The Messaging Server channel counters (imsimta counters) that MTA-MIB lacks:
// Received, Stored, Delivered, Submitted, Attempted, Rejected and Failed, each in
// messages, recipients and blocks, with the lowest value each has held since the last
// reset (a counter zeroed while messages were queued goes negative as they leave: the
// "absolute" value is the current one less that minimum), first-time deliveries, queue
// times and association totals. Kept beside the channels (by application and channel
// index), never inside them: Channel's MTA-MIB fields stay as they are.

import type { MailSystem } from './mail-system.js';

export const COUNTER_KINDS = ['received', 'stored', 'delivered', 'submitted', 'attempted', 'rejected', 'failed'] as const;
export type CounterKind = (typeof COUNTER_KINDS)[number];

export interface Triple {
  messages: number;
  recipients: number;
  blocks: number;
}

export interface ChannelCounters {
  /** applIndex and mtaGroupIndex of the channel */
  app: number;
  channel: number;
  name: string;
  values: Record<CounterKind, Triple>;
  /** lowest value of each since the last reset (never above 0) */
  minimum: Record<CounterKind, Triple>;
  /** delivered messages dequeued at their first attempt */
  deliveredFirstTime: number;
  /** seconds in queue of delivered messages, and how many were timed */
  queueSeconds: number;
  queueCount: number;
  queueFirstSeconds: number;
  queueFirstCount: number;
  /** associations opened since the last reset */
  inAssocs: number;
  outAssocs: number;
  /** when counting began or the counters were last cleared (ms since the epoch) */
  since: number;
}

const zero = (): Triple => ({ messages: 0, recipients: 0, blocks: 0 });

function zeros(): Record<CounterKind, Triple> {
  const r = {} as Record<CounterKind, Triple>;
  for (const k of COUNTER_KINDS) r[k] = zero();
  return r;
}

export function newChannelCounters(app: number, channel: number, name: string, since: number): ChannelCounters {
  const c = { app, channel, name, values: zeros(), minimum: zeros(), since } as ChannelCounters;
  resetCounters(c, since);
  return c;
}

/** Zeroes everything (imsimta counters -clear); `at` is recorded as `since`. */
export function resetCounters(c: ChannelCounters, at: number): void {
  c.values = zeros();
  c.minimum = zeros();
  c.deliveredFirstTime = 0;
  c.queueSeconds = 0;
  c.queueCount = 0;
  c.queueFirstSeconds = 0;
  c.queueFirstCount = 0;
  c.inAssocs = 0;
  c.outAssocs = 0;
  c.since = at;
}

/** Adds to one counter (negative to take away), keeping its minimum. */
export function addTo(c: ChannelCounters, kind: CounterKind, messages: number, recipients: number, blocks: number): void {
  const v = c.values[kind];
  const m = c.minimum[kind];
  v.messages += messages;
  v.recipients += recipients;
  v.blocks += blocks;
  if (v.messages < m.messages) m.messages = v.messages;
  if (v.recipients < m.recipients) m.recipients = v.recipients;
  if (v.blocks < m.blocks) m.blocks = v.blocks;
}

/** The corrected value: current less the minimum held since the reset. */
export function absolute(c: ChannelCounters, kind: CounterKind): Triple {
  const v = c.values[kind];
  const m = c.minimum[kind];
  return { messages: v.messages - m.messages, recipients: v.recipients - m.recipients, blocks: v.blocks - m.blocks };
}

/** The counters of one model's channels, by "applIndex.channelIndex". */
export class ChannelCounterBook {
  readonly byChannel = new Map<string, ChannelCounters>();
  /** bumped when a channel's counters appear or vanish (views re-sort then) */
  version = 0;

  get(app: number, channel: number): ChannelCounters | undefined {
    return this.byChannel.get(`${app}.${channel}`);
  }

  /** The channel's counters, made (counting from `since`) if need be. */
  of(app: number, channel: number, name: string, since: number): ChannelCounters {
    const key = `${app}.${channel}`;
    let c = this.byChannel.get(key);
    if (!c) {
      this.byChannel.set(key, (c = newChannelCounters(app, channel, name, since)));
      this.version++;
    }
    return c;
  }

  /** Puts back saved counters (a checkpoint's), under the channel's current indexes. */
  load(saved: ChannelCounters, app: number, channel: number): ChannelCounters {
    const c = { ...structuredClone(saved), app, channel };
    this.byChannel.set(`${app}.${channel}`, c);
    this.version++;
    return c;
  }

  values(): IterableIterator<ChannelCounters> {
    return this.byChannel.values();
  }
}

const books = new WeakMap<MailSystem, ChannelCounterBook>();

/** The channel counters attached to `model` (made on first use). */
export function channelCountersOf(model: MailSystem): ChannelCounterBook {
  let b = books.get(model);
  if (!b) books.set(model, (b = new ChannelCounterBook()));
  return b;
}
