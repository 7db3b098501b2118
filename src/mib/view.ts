// What a MIB view is: named scalars and tables of rows, as plain values computed
// from the model. Names are MIB object names; OIDs and types come from mibs/
// when the views are bound (bind.ts), never from here.

import type { PlainValue } from '../snmp/values.js';

/** The clock of one request: every value in a response is computed at the same `now`. */
export interface ViewContext {
  /** ms since the epoch, fixed for the request being answered */
  now: number;
  /** when the agent started, ms since the epoch (madmanAgentStartTime) */
  readonly startedAt: number;
  /**
   * Milliseconds since the agent started, from a monotonic clock: sysUpTime only goes
   * forward, even when the wall clock is stepped back (RFC 3418); TimeStamps are taken
   * relative to it.
   */
  uptimeMs: number;
  /**
   * The wall-clock time of uptime 0 that TimeStamps are taken from. `now - uptimeMs` moves
   * by a millisecond or two from request to request (two clocks read one after the other),
   * which made a TimeStamp of a past event flicker by a tick between reads; requestClock()
   * keeps this one until the wall clock is stepped. Without it, `now - uptimeMs`.
   */
  anchor?: number;
}

/** The wall clock may drift this far from the monotonic one before TimeStamps follow it. */
const ANCHOR_TOLERANCE_MS = 100;

/** A request clock; `tick()` fixes `now` and `uptime` for the next request. */
export function requestClock(): ViewContext & { tick(): void } {
  const t0 = performance.now();
  const startedAt = Date.now();
  const ctx = {
    now: startedAt,
    startedAt,
    uptimeMs: 0,
    anchor: undefined as number | undefined,
    tick() {
      ctx.now = Date.now();
      ctx.uptimeMs = performance.now() - t0;
      const anchor = ctx.now - ctx.uptimeMs;
      if (ctx.anchor === undefined || Math.abs(anchor - ctx.anchor) > ANCHOR_TOLERANCE_MS) ctx.anchor = anchor;
    },
  };
  return ctx;
}

export type ScalarGetter = (ctx: ViewContext) => PlainValue;

export interface TableView<R> {
  /** the MIB entry object, e.g. "mtaGroupEntry" */
  entry: string;
  rows: () => Iterable<R>;
  /** index arcs of a row, in the order of the entry's INDEX clause */
  index: (row: R) => number[];
  /** one getter per accessible column, by column name */
  columns: Record<string, (row: R, ctx: ViewContext) => PlainValue>;
  /** when this table's rows change, if not with the module's version */
  version?: () => number;
}

/** A table with its row type erased, as the binder handles it. */
export interface AnyTable {
  entry: string;
  rows: () => Iterable<unknown>;
  index: (row: unknown) => number[];
  columns: Record<string, (row: unknown, ctx: ViewContext) => PlainValue>;
  version?: () => number;
}

export function table<R>(t: TableView<R>): AnyTable {
  return t as unknown as AnyTable;
}

export interface ModuleView {
  /** the MIB module this view serves */
  module: string;
  scalars?: Record<string, ScalarGetter>;
  tables?: AnyTable[];
  /** changes when rows appear or vanish; rows are re-read and re-sorted only then */
  version: () => number;
}

// ---- time conventions (SNMPv2-TC) ----

/**
 * TimeStamp: sysUpTime (centiseconds) at wall-clock time `t`, i.e. now's sysUpTime less
 * how long ago `t` was; 0 when unknown or before the agent started, never above now's.
 */
export function timeStamp(ctx: ViewContext, t: number | undefined): number {
  if (t === undefined) return 0;
  const v = Math.floor((t - (ctx.anchor ?? ctx.now - ctx.uptimeMs)) / 10);
  const up = sysUpTime(ctx);
  return v < 0 ? 0 : v > up ? up : v;
}

/** TimeInterval: centiseconds from `t` to now (0 when unknown), at most 2^31-1. */
export function sinceInterval(ctx: ViewContext, t: number | undefined): number {
  if (t === undefined) return 0;
  return clampInterval(Math.floor((ctx.now - t) / 10));
}

/** TimeInterval: centiseconds from now until `t` (0 when unknown or past). */
export function untilInterval(ctx: ViewContext, t: number | undefined): number {
  if (t === undefined) return 0;
  return clampInterval(Math.floor((t - ctx.now) / 10));
}

function clampInterval(cs: number): number {
  return cs < 0 ? 0 : cs > 2147483647 ? 2147483647 : cs;
}

export function sysUpTime(ctx: ViewContext): number {
  return Math.floor(ctx.uptimeMs / 10);
}

/** K-octets, rounded up (MTA-MIB volumes). */
export function kOctets(octets: number): number {
  return Math.ceil(octets / 1024);
}

/** SNMPv2-TC DateAndTime, 11 octets, UTC. */
export function dateAndTime(ms: number): Buffer {
  const d = new Date(ms);
  const b = Buffer.alloc(11);
  b.writeUInt16BE(d.getUTCFullYear(), 0);
  b[2] = d.getUTCMonth() + 1;
  b[3] = d.getUTCDate();
  b[4] = d.getUTCHours();
  b[5] = d.getUTCMinutes();
  b[6] = d.getUTCSeconds();
  b[7] = Math.floor(d.getUTCMilliseconds() / 100);
  b[8] = 0x2b; // '+'
  return b;
}
