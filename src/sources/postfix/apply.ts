// Postfix log lines -> model updates. Pure: no I/O, no timers, no wall clock (times are
// the lines' own). docs/postfix.md lists which line moves which MIB column.
//
// One application (an MTA) per Postfix instance: applName "<syslog_name> MTA on <host>".
// One group per Postfix service (groups.ts names and describes them, outcomes.ts adds
// them). In-flight state (queued messages, open smtpd and postscreen sessions) is kept
// per instance and can be snapshotted as JSON. Delivery and reject lines are counted
// by outcomes.ts; this file dispatches every line and counts the rest.
//
// MTA totals (mtaTable) count mail crossing the MTA's boundary once:
// - received: a message is received when qmgr first logs `from=, size=, nrcpt=` for a
//   queue id whose arrival (smtpd/qmqpd `client=`, pickup `uid=`) was seen. Messages the
//   MTA makes itself (bounces, local forwarding, address probes) are not received, nor
//   is a message `postsuper -r` requeued (pickup `orig_id=`: it keeps its state).
//   A message arriving through the content filter's re-injection service is counted on
//   that inbound group but NOT in the totals: the original arrival already was.
// - transmitted: counted by outcomes.ts, whose header gives the rules.

import os from 'node:os';
import type { MtaDescription } from '../../config/mta-description.js';
import type { Application, Channel, MailSystem } from '../../model/mail-system.js';
import type { JournalEntry } from '../tail/index.js';
import type { ParsedLine, PostfixEvent } from './events.js';
import { ContentFilter } from './groups.js';
import { endSession, HANDLERS, type Handling } from './handlers.js';
import { PostfixChannelCounters } from './imsimta.js';
import { LineParser, type ParseOptions } from './parse.js';
import { Instance, instanceState, loadInstance, sweepInstance } from './inflight.js';
import { endScreen, GROUP_LIMIT, Outcomes } from './outcomes.js';
import type { PostfixLogState, PostfixLogStats } from './state.js';

export type { PostfixLogState, PostfixLogStats } from './state.js';

export interface PostfixLogOptions {
  /** the <host> of applName; default: the lines' host field, else this machine's name */
  hostname?: string;
  /** the content-filter loop: HOST:PORT of the re-injecting smtpd, or group names (groups.ts) */
  contentFilterServices?: string[];
  /** year of BSD timestamps; default inferred from the wall clock */
  year?: number;
  /** applURL, applDirectoryName and mtaGroupURL from the configuration (the log has none) */
  described?: MtaDescription;
}

const SWEEP_EVERY = 10 * 60_000;
/** at most this many MTAs (syslog_name x host): made-up program names must not add rows without end */
const MAX_INSTANCES = 64;
/** at most this many programs in stats.unparsed; the others are counted together */
const MAX_UNPARSED_KEYS = 256;
/** stats.unparsed keys of lines past the caps (not program names: those contain "/") */
export const UNPARSED_OTHER = '(other programs)';
export const UNPARSED_INSTANCE_LIMIT = '(instance limit)';
export const UNPARSED_GROUP_LIMIT = '(group limit)';

export class PostfixLog {
  stats: PostfixLogStats = { postfixLines: 0, unparsed: {} };
  private readonly parser = new LineParser();
  private readonly parseOpts: ParseOptions;
  private readonly filter: ContentFilter;
  private readonly outcomes: Outcomes;
  private readonly hostname?: string;
  private readonly instances = new Map<string, Instance>();
  private nextSweep = 0;
  /** time of the previous line (Infinity: none yet), for the sweep clock */
  private prevTime = Infinity;
  private unparsedKeys = 0;
  private lastSyslog = '';
  private lastHost: string | undefined = '';
  private last: Instance | undefined;
  private readonly handling: Handling;
  private readonly described: MtaDescription;
  /** the imsimta counters of the groups (`madman counters`, madmanChannels) */
  readonly channelCounters: PostfixChannelCounters;

  constructor(
    private readonly model: MailSystem,
    opts: PostfixLogOptions = {},
  ) {
    this.hostname = opts.hostname;
    this.filter = new ContentFilter(opts.contentFilterServices);
    this.described = opts.described ?? {};
    this.channelCounters = new PostfixChannelCounters(model);
    this.outcomes = new Outcomes(model, this.filter, this.channelCounters, this.described.groupUrls);
    this.parseOpts = opts.year === undefined ? {} : { year: opts.year };
    const instances = this.instances;
    this.handling = { model, outcomes: this.outcomes, filter: this.filter, channelCounters: this.channelCounters, instances: () => instances.values() };
  }

  /** Parses and applies one log line; false when it is a Postfix line not understood (other programs' are ignored). */
  line(text: string): boolean {
    const p = this.parser.parseLine(text, this.parseOpts);
    return p ? this.apply(p) : true;
  }

  /** A journal entry (SYSLOG_IDENTIFIER, pid, MESSAGE, time); false when a Postfix one is not understood. */
  entry(e: JournalEntry): boolean {
    const p = this.parser.parseMessage(e.identifier, e.pid, e.message, e.time);
    return p ? this.apply(p) : true;
  }

  /** Applies one parsed line; false when it was not understood (counted in stats.unparsed). */
  apply(p: ParsedLine): boolean {
    this.stats.postfixLines++;
    const t = p.time;
    // The sweep clock is the earlier time of this line and the previous one: a line dated
    // in the future (a wrong clock, a garbled stamp) cannot move it ahead on its own.
    const clock = t < this.prevTime ? t : this.prevTime;
    this.prevTime = t;
    if (clock >= this.nextSweep) this.sweep(clock);
    const inst = this.instance(p);
    if (!inst) return this.bump(UNPARSED_INSTANCE_LIMIT);
    try {
      return this.event(inst, p, t);
    } catch (e) {
      if (e !== GROUP_LIMIT) throw e;
      return this.bump(UNPARSED_GROUP_LIMIT); // a line that would have added a group past the cap
    }
  }

  /** Is `app` one of this log's MTAs (its rows go into the checkpoint)? */
  owns(app: Application): boolean {
    return this.instances.get(app.name)?.app === app;
  }

  /** Hands the line to its kind's handler (handlers.ts); false for a line not understood. */
  private event(inst: Instance, p: ParsedLine, t: number): boolean {
    const ev = p.event;
    if (ev.kind === 'unparsed') return this.bump(p.program, false);
    (HANDLERS[ev.kind] as (h: Handling, inst: Instance, p: ParsedLine, ev: PostfixEvent, t: number) => void)(this.handling, inst, p, ev, t);
    return true;
  }

  /** Counts a line in stats.unparsed: a program past MAX_UNPARSED_KEYS under UNPARSED_OTHER, a `fixed` key always. False: not understood. */
  private bump(key: string, fixed = true): false {
    const u = this.stats.unparsed;
    const n = u[key];
    if (n !== undefined) u[key] = n + 1;
    else if (fixed || this.unparsedKeys < MAX_UNPARSED_KEYS) {
      u[key] = 1;
      this.unparsedKeys++;
    } else this.bump(UNPARSED_OTHER);
    return false;
  }

  private sweep(t: number): void {
    this.nextSweep = t + SWEEP_EVERY;
    for (const inst of this.instances.values()) {
      sweepInstance(inst, t, (pid, s) => endSession(this.model, inst, pid, s, t), (key) => endScreen(inst, key));
    }
  }

  // -- instances -----------------------------------------------------------------------------

  private instance(p: ParsedLine): Instance | undefined {
    if (p.syslogName === this.lastSyslog && p.host === this.lastHost && this.last) return this.last;
    const host = this.hostname ?? p.host ?? os.hostname();
    const inst = this.instanceFor(p.syslogName, host, this.instances.size >= MAX_INSTANCES);
    if (!inst) return undefined;
    this.lastSyslog = p.syslogName;
    this.lastHost = p.host;
    this.last = inst;
    return inst;
  }

  /**
   * Makes the MTA of `syslogName` before its first line (the queue reader's, from postconf),
   * named as a line from `host` would make it (undefined: a line without a host field), so
   * that the log later finds this row. One of that syslog_name already known is kept.
   */
  declare(syslogName: string, host: string | undefined, version?: string): Application | undefined {
    for (const i of this.instances.values()) if (i.syslogName === syslogName) return i.app;
    const app = this.instanceFor(syslogName, this.hostname ?? host ?? os.hostname(), this.instances.size >= MAX_INSTANCES)?.app;
    if (app && version && !app.version) app.version = version;
    return app;
  }

  /** The instance, made if need be unless `full`. */
  private instanceFor(syslogName: string, host: string, full = false): Instance | undefined {
    const name = `${syslogName} MTA on ${host}`;
    let inst = this.instances.get(name);
    if (!inst) {
      if (full) return undefined;
      const app = this.model.addApplication(name, {
        description: `Postfix mail transfer agent (syslog_name ${syslogName}) on ${host}`,
        operStatus: 'up',
      });
      // from the configuration: the log names neither (a restored row takes them too)
      app.url = this.described.url ?? '';
      app.directoryName = this.described.directoryName ?? '';
      this.model.mtaOf(app); // an mtaTable row from the first line on
      inst = new Instance(name, syslogName, host, app);
      this.instances.set(name, inst);
    }
    return inst;
  }

  /** `madman counters clear`: zeroes the imsimta counters of every group of these MTAs. */
  clearCounters(seq: number, at: number): void {
    this.channelCounters.clear(seq, at, new Set([...this.instances.values()].map((i) => i.app.index)));
  }

  // -- checkpoints ----------------------------------------------------------------------------

  /** Its keys of the LogSource's checkpoint (postfix.json). */
  state(): { log: PostfixLogState } {
    return { log: this.snapshot() };
  }

  /** The in-flight state, as JSON-serialisable data. */
  snapshot(): PostfixLogState {
    const s: PostfixLogState = {
      version: 1,
      stats: { postfixLines: this.stats.postfixLines, unparsed: { ...this.stats.unparsed } },
      nextSweep: this.nextSweep,
      instances: [...this.instances.values()].map(instanceState),
      channelCounters: this.channelCounters.snapshot(new Set([...this.instances.values()].map((i) => i.app.index))),
    };
    if (this.prevTime !== Infinity) s.lastTime = this.prevTime;
    return s;
  }

  /**
   * For the queue reader: the application of an instance (by syslog_name, else the
   * first one seen; when none has that syslog_name, the only instance if there is just
   * one), the group that last tried a queued message and when it was last deferred.
   */
  queueContext(
    syslogName?: string,
  ): { app: Application; groupOf: (qid: string) => Channel | undefined; deferredAt: (qid: string) => number | undefined } | undefined {
    let inst: Instance | undefined;
    for (const i of this.instances.values()) {
      if (syslogName === undefined || i.syslogName === syslogName) {
        inst = i;
        break;
      }
    }
    if (!inst && this.instances.size === 1) inst = this.instances.values().next().value;
    if (!inst) return undefined;
    const found = inst;
    return {
      app: found.app,
      groupOf: (qid) => {
        const g = found.messages.get(qid)?.lastGroup;
        return g === undefined ? undefined : found.channels.get(g);
      },
      deferredAt: (qid) => found.messages.get(qid)?.deferredAt,
    };
  }

  /**
   * Continues from a snapshot, into a model that holds the counters checkpointed with it
   * (src/model/persist.ts). Open sessions get their association rows back (with their
   * old index when it is free) and the inbound-association gauges of these MTAs are
   * recounted from the open sessions. Call it before the first line.
   */
  restore(s: PostfixLogState): void {
    if (s.version !== 1) throw new Error(`unknown PostfixLog state version ${String(s.version)}`);
    this.instances.clear();
    this.last = undefined;
    this.lastSyslog = '';
    this.stats = { postfixLines: s.stats.postfixLines, unparsed: { ...s.stats.unparsed } };
    this.unparsedKeys = Object.keys(this.stats.unparsed).length;
    this.nextSweep = s.nextSweep;
    this.prevTime = s.lastTime ?? Infinity;
    for (const is of s.instances) {
      const inst = this.instanceFor(is.syslogName, is.host)!;
      loadInstance(this.model, inst, is, (name, t) => this.outcomes.inbound(inst, name, t));
      for (const ch of inst.channels.values()) ch.url = this.described.groupUrls?.[ch.name] ?? '';
    }
    if (s.channelCounters) this.channelCounters.restore(s.channelCounters);
  }
}
