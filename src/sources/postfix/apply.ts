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
import type { ParsedLine } from './events.js';
import { ContentFilter } from './groups.js';
import { PostfixChannelCounters } from './imsimta.js';
import { LineParser, type ParseOptions } from './parse.js';
import { Instance, instanceState, loadInstance, Msg, sweepInstance } from './inflight.js';
import { deadProcess } from './messages.js';
import { endScreen, GROUP_LIMIT, Outcomes } from './outcomes.js';
import type { PostfixLogState, PostfixLogStats, SessionState } from './state.js';

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
  stats: PostfixLogStats = { lines: 0, postfixLines: 0, unparsed: {} };
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
  }

  /** Parses and applies one log line; lines of other programs are only counted. */
  line(text: string): void {
    this.stats.lines++;
    const p = this.parser.parseLine(text, this.parseOpts);
    if (p) this.apply(p);
  }

  apply(p: ParsedLine): void {
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
      this.event(inst, p, t);
    } catch (e) {
      if (e !== GROUP_LIMIT) throw e;
      this.bump(UNPARSED_GROUP_LIMIT); // a line that would have added a group past the cap
    }
  }

  private event(inst: Instance, p: ParsedLine, t: number): void {
    const ev = p.event;
    switch (ev.kind) {
      case 'connect': {
        const old = inst.sessions.get(p.pid);
        if (old) this.endSession(inst, p.pid, old, t);
        const group = this.outcomes.inboundGroup(p, ev.client.addr);
        const ch = this.outcomes.inbound(inst, group, t);
        const a = this.model.openAssociation(inst.app, {
          remoteApplication: ev.client.addr,
          protocol: ch.protocol,
          type: 'peerresponder',
          startedAt: t,
          channel: ch.index,
        });
        inst.sessions.set(p.pid, { assoc: a.index, group, addr: ev.client.addr, t, qid: undefined });
        this.channelCounters.association(inst, ch, true, t);
        return;
      }
      case 'disconnect':
      case 'lost': {
        const s = inst.sessions.get(p.pid);
        if (s) this.endSession(inst, p.pid, s, t);
        else this.outcomes.inboundActivity(inst, this.outcomes.inbound(inst, this.outcomes.inboundGroup(p, ev.client.addr), t), t);
        if (ev.kind === 'lost' && ev.qid) {
          const m = inst.messages.get(ev.qid);
          if (m && !m.counted) inst.messages.delete(ev.qid);
        } else if (ev.kind === 'lost' && s?.qid !== undefined && (ev.after === 'DATA' || ev.after === 'BDAT')) {
          // Postfix < 3.10 does not name the message it abandons: the session's last one
          // gets the short TTL back (it may also be an earlier message still in the queue)
          const m = inst.messages.get(s.qid);
          if (m) m.accepted = false;
        }
        return;
      }
      case 'client': {
        const s = inst.sessions.get(p.pid);
        this.arrival(inst, ev.qid, s?.group ?? this.outcomes.inboundGroup(p, ev.client.addr), t);
        if (s) {
          s.qid = ev.qid;
          s.rejectFrom = undefined; // a message taken: later refusals are another transaction's
        }
        return;
      }
      case 'pickup':
        if (ev.origId !== undefined) this.requeued(inst, ev.origId, ev.qid, t);
        else this.arrival(inst, ev.qid, p.service ? `${p.service}/${p.daemon}` : p.daemon, t);
        return;
      case 'message-id':
        this.accept(inst, ev.qid, t);
        return;
      case 'queued': {
        let m = inst.messages.get(ev.qid);
        if (!m) inst.messages.set(ev.qid, (m = new Msg(t, undefined, true, false)));
        else if (!m.counted) {
          m.counted = true;
          if (m.group !== undefined) {
            const ch = this.outcomes.inbound(inst, m.group, t);
            ch.receivedMessages++;
            ch.receivedVolume += ev.size;
            ch.receivedRecipients += ev.nrcpt;
            this.channelCounters.submitted(inst, ch, ev.size, ev.nrcpt, t);
            if (!m.filtered) {
              const c = inst.totals;
              c.receivedMessages++;
              c.receivedVolume += ev.size;
              c.receivedRecipients += ev.nrcpt;
            }
          }
        }
        m.t = t;
        m.size = ev.size;
        m.nrcpt = ev.nrcpt;
        m.pid = 0; // a new delivery round
        m.relay = '';
        return;
      }
      case 'removed':
        inst.messages.delete(ev.qid);
        return;
      case 'expired': {
        const m = inst.messages.get(ev.qid);
        const ch = this.outcomes.outbound(inst, m?.lastGroup ?? 'qmgr', undefined, t);
        this.outcomes.countError(ch, m?.lastDsn ?? '4.4.7', 'outbound');
        this.channelCounters.expired(inst, ch, m, t);
        return;
      }
      case 'delivery':
        this.outcomes.delivery(inst, p, ev);
        return;
      case 'reject':
        this.outcomes.reject(inst, p, ev);
        return;
      case 'screen-connect': {
        const group = p.service ? `${p.service}/${p.daemon}` : p.daemon;
        const key = `${group} [${ev.client.addr}]:${ev.client.port ?? ''}`;
        const ch = this.outcomes.inbound(inst, group, t);
        if (!inst.screens.has(key)) {
          inst.screens.set(key, { group, t, rejected: false });
          ch.inboundAssociations++;
        }
        ch.accumulatedInboundAssociations++;
        this.channelCounters.association(inst, ch, true, t);
        this.outcomes.inboundActivity(inst, ch, t);
        return;
      }
      case 'screen-end':
      case 'screen-note': {
        const group = p.service ? `${p.service}/${p.daemon}` : p.daemon;
        const ch = this.outcomes.inbound(inst, group, t);
        if (ev.kind === 'screen-end') endScreen(inst, `${group} [${ev.client.addr}]:${ev.client.port ?? ''}`);
        this.outcomes.inboundActivity(inst, ch, t);
        return;
      }
      case 'master-start': {
        const app = inst.app;
        app.version = `Postfix ${ev.version}`;
        if (!ev.reload) {
          this.endAll(inst, t);
          app.startedAt = t;
          app.operStatus = 'up';
          app.lastChange = t;
        }
        return;
      }
      case 'master-stop':
        this.endAll(inst, t);
        inst.app.operStatus = 'down';
        inst.app.lastChange = t;
        return;
      case 'unparsed':
        this.bump(p.program, false);
        return;
      case 'action': {
        // held (cleanup or smtpd `hold:`, a milter, postsuper -h) or released: qmgr may log it days later
        const a = ev.action;
        if (ev.qid !== undefined && (a === 'hold' || a === 'milter-hold' || a === 'release')) this.accept(inst, ev.qid, t);
        return;
      }
      case 'log':
        this.outcomes.internalError(inst, p, p.time);
        // a dead smtpd ends its session: master's `warning: process .../smtpd pid N exit
        // status 1` (or `killed by signal 9`), or the smtpd's own fatal: / panic: line
        if (ev.severity === 'warning') {
          const dead = p.daemon === 'master' ? deadProcess(ev.text) : undefined;
          if (!dead || (dead.daemon !== 'smtpd' && dead.daemon !== 'qmqpd')) return;
          // the smtpd may log under another syslog_name than master (-o syslog_name=...)
          for (const i of this.instances.values()) if (i.host === inst.host) this.endPid(i, dead.pid, t);
        } else if (ev.severity !== 'error' && (p.daemon === 'smtpd' || p.daemon === 'qmqpd')) this.endPid(inst, p.pid, t);
        return;
      case 'notification':
      case 'info':
        return;
    }
  }

  /** Counts a line in stats.unparsed: a program past MAX_UNPARSED_KEYS under UNPARSED_OTHER, a `fixed` key always. */
  private bump(key: string, fixed = true): void {
    const u = this.stats.unparsed;
    const n = u[key];
    if (n !== undefined) u[key] = n + 1;
    else if (fixed || this.unparsedKeys < MAX_UNPARSED_KEYS) {
      u[key] = 1;
      this.unparsedKeys++;
    } else this.bump(UNPARSED_OTHER);
  }

  private arrival(inst: Instance, qid: string, group: string, t: number): void {
    const ch = this.outcomes.inbound(inst, group, t); // first: it throws past the cap on groups
    const filtered = this.filter.reinjects(group);
    inst.messages.set(qid, new Msg(t, group, false, filtered));
    if (filtered) inst.reinjected.set(qid, t);
    this.outcomes.inboundActivity(inst, ch, t);
  }

  /** cleanup has the message (message-id line, or held): it waits for qmgr however long that takes. */
  private accept(inst: Instance, qid: string, t: number): void {
    const m = inst.messages.get(qid);
    if (!m) return;
    m.t = t;
    m.accepted = true;
  }

  /** `postsuper -r`: the message comes back under a new queue id; it is no new arrival. */
  private requeued(inst: Instance, origId: string, qid: string, t: number): void {
    // unknown (from before reading began): received then, not now
    const m = inst.messages.get(origId) ?? new Msg(t, undefined, true, false);
    inst.messages.delete(origId);
    m.t = t;
    m.pid = 0;
    m.relay = '';
    inst.messages.set(qid, m);
  }

  // -- sessions -----------------------------------------------------------------------------

  private endSession(inst: Instance, pid: number, s: SessionState, t: number): void {
    inst.sessions.delete(pid);
    this.model.closeAssociation(inst.app, s.assoc, t);
  }

  private endPid(inst: Instance, pid: number, t: number): void {
    const s = inst.sessions.get(pid);
    if (s) this.endSession(inst, pid, s, t);
  }

  /** master started or stopped: every session of the instance is gone. */
  private endAll(inst: Instance, t: number): void {
    for (const [pid, s] of inst.sessions) this.endSession(inst, pid, s, t);
    for (const key of [...inst.screens.keys()]) endScreen(inst, key);
  }

  private sweep(t: number): void {
    this.nextSweep = t + SWEEP_EVERY;
    for (const inst of this.instances.values()) {
      sweepInstance(inst, t, (pid, s) => this.endSession(inst, pid, s, t), (key) => endScreen(inst, key));
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
      inst = new Instance(name, syslogName, host, app, this.model.mtaOf(app).counters);
      this.instances.set(name, inst);
    }
    return inst;
  }

  /** `madman counters clear`: zeroes the imsimta counters of every group of these MTAs. */
  clearCounters(seq: number, at: number): void {
    this.channelCounters.clear(seq, at, new Set([...this.instances.values()].map((i) => i.app.index)));
  }

  // -- checkpoints ----------------------------------------------------------------------------

  /** The in-flight state, as JSON-serialisable data. */
  snapshot(): PostfixLogState {
    const s: PostfixLogState = {
      version: 1,
      stats: { lines: this.stats.lines, postfixLines: this.stats.postfixLines, unparsed: { ...this.stats.unparsed } },
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
    this.stats = { lines: s.stats.lines, postfixLines: s.stats.postfixLines, unparsed: { ...s.stats.unparsed } };
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
