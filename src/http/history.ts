// The status page's graphs: a bounded in-memory history of each MTA's and each
// channel's traffic, one point per interval (default a minute, 24 hours kept). Each
// point holds how many messages were received, transmitted and rejected since the
// point before, and how many were queued; rates are those counts over the time between
// the two points. Rings of 32-bit integers, allocated per series when it first appears
// and dropped once it has been absent for a whole window: memory is
// 4 series x 4 bytes x points per channel (docs/benchmarks.md: 1,000 channels).

import type { Application, Channel, MailSystem } from '../model/mail-system.js';

/** A slot with no value (the series did not exist then, or it is its first point). */
const NONE = 0xffffffff;

interface Figures {
  received: number;
  transmitted: number;
  rejected: number;
  queued: number;
}

interface Series {
  /** "m<applIndex>" for an MTA, "c<applIndex>.<channelIndex>" for a channel */
  key: string;
  mta: string;
  /** the channel's name ('' for an MTA's totals) */
  group: string;
  /** the counters at the previous point, to take differences from */
  prev?: Figures;
  /** sample number this series was last seen at */
  seen: number;
  /** messages (received + transmitted + rejected) over the points in the window: the busiest are graphed */
  traffic: number;
  received: Uint32Array;
  transmitted: Uint32Array;
  rejected: Uint32Array;
  queued: Uint32Array;
}

/** One series of the JSON the status page draws: per-minute rates and the queue. */
export interface SeriesJson {
  key: string;
  mta: string;
  group: string;
  /** messages per minute over each interval (null: no figure for that point) */
  received: Array<number | null>;
  transmitted: Array<number | null>;
  rejected: Array<number | null>;
  /** messages queued at each point */
  queued: Array<number | null>;
}

export interface HistoryJson {
  intervalSeconds: number;
  /** sample times, ms since the epoch, oldest first */
  times: number[];
  mtas: SeriesJson[];
  /** the busiest channels over the window (most messages), at most `top` */
  channels: SeriesJson[];
  /** channels with history that were left out of `channels` */
  more: number;
}

export interface HistoryOptions {
  intervalMs: number;
  /** points kept per series */
  points: number;
}

function ring(points: number): Uint32Array {
  return new Uint32Array(points).fill(NONE);
}

export class History {
  private readonly times: Float64Array;
  private readonly series = new Map<string, Series>();
  /** samples taken so far; the next goes to slot seq % points */
  private seq = 0;

  constructor(
    private readonly model: MailSystem,
    readonly opts: HistoryOptions,
  ) {
    this.times = new Float64Array(opts.points);
  }

  /** Number of series held (MTAs and channels). */
  get size(): number {
    return this.series.size;
  }

  /** Takes one point of every series at `now`. */
  sample(now: number): void {
    const slot = this.seq % this.opts.points;
    this.times[slot] = now;
    for (const app of this.model.applications.values()) {
      if (!app.mta) continue;
      let rejected = 0;
      for (const ch of app.mta.channels.values()) {
        rejected += ch.rejectedMessages;
        this.record(`c${app.index}.${ch.index}`, app, ch, slot, channelFigures(ch));
      }
      const m = app.mta.counters;
      this.record(`m${app.index}`, app, undefined, slot, { received: m.receivedMessages, transmitted: m.transmittedMessages, rejected, queued: m.storedMessages });
    }
    for (const [key, s] of this.series) {
      if (s.seen === this.seq) continue;
      // gone from the model: a gap now, forgotten once its last point has left the window
      if (this.seq - s.seen >= this.opts.points) this.series.delete(key);
      else {
        forget(s, slot);
        s.queued[slot] = NONE;
        s.prev = undefined;
      }
    }
    this.seq++;
  }

  private record(key: string, app: Application, ch: Channel | undefined, slot: number, f: Figures): void {
    let s = this.series.get(key);
    if (!s) {
      const n = this.opts.points;
      s = { key, mta: app.name, group: ch?.name ?? '', seen: this.seq, traffic: 0, received: ring(n), transmitted: ring(n), rejected: ring(n), queued: ring(n) };
      this.series.set(key, s);
    }
    const p = s.prev;
    forget(s, slot);
    s.received[slot] = p ? delta(p.received, f.received) : NONE;
    s.transmitted[slot] = p ? delta(p.transmitted, f.transmitted) : NONE;
    s.rejected[slot] = p ? delta(p.rejected, f.rejected) : NONE;
    for (const r of [s.received, s.transmitted, s.rejected]) if (r[slot] !== NONE) s.traffic += r[slot]!;
    s.queued[slot] = Math.min(f.queued, NONE - 1);
    s.prev = f;
    s.seen = this.seq;
    s.mta = app.name;
  }

  /** The history as the status page reads it, with the `top` busiest channels. */
  toJson(top: number): HistoryJson {
    const n = Math.min(this.seq, this.opts.points);
    const first = this.seq - n;
    const slots: number[] = [];
    for (let i = first; i < this.seq; i++) slots.push(i % this.opts.points);
    const times = slots.map((s) => this.times[s]!);
    // per-minute rate of the interval ending at point i: the count over the time since point i-1
    const perMinute = (r: Uint32Array): Array<number | null> =>
      slots.map((s, i) => {
        const v = r[s]!;
        if (v === NONE || i === 0) return null;
        const dt = times[i]! - times[i - 1]!;
        return dt > 0 ? Math.round(((v * 60000) / dt) * 100) / 100 : null;
      });
    const json = (s: Series): SeriesJson => ({
      key: s.key,
      mta: s.mta,
      group: s.group,
      received: perMinute(s.received),
      transmitted: perMinute(s.transmitted),
      rejected: perMinute(s.rejected),
      queued: slots.map((i) => (s.queued[i] === NONE ? null : s.queued[i]!)),
    });
    const all = [...this.series.values()];
    const channels = all
      .filter((s) => s.key.startsWith('c'))
      .map((s) => ({ s, busy: s.traffic }))
      .sort((a, b) => b.busy - a.busy || a.s.key.localeCompare(b.s.key));
    return {
      intervalSeconds: this.opts.intervalMs / 1000,
      times,
      mtas: all.filter((s) => s.key.startsWith('m')).map(json),
      channels: channels.slice(0, top).map((c) => json(c.s)),
      more: Math.max(0, channels.length - top),
    };
  }
}

/** Empties a slot about to be written (it leaves the window), taking its counts off the traffic. */
function forget(s: Series, slot: number): void {
  for (const r of [s.received, s.transmitted, s.rejected]) {
    if (r[slot] !== NONE) s.traffic -= r[slot]!;
    r[slot] = NONE;
  }
}

function channelFigures(ch: Channel): Figures {
  return { received: ch.receivedMessages, transmitted: ch.transmittedMessages, rejected: ch.rejectedMessages, queued: ch.storedMessages };
}

/** How much a counter grew; a counter that went down was reset (or restored): it counts from 0. */
function delta(prev: number, cur: number): number {
  const d = cur >= prev ? cur - prev : cur;
  return Math.min(d, NONE - 1);
}
