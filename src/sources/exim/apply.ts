// Exim log entries -> the model (docs/exim.md has the mapping, column by column). Pure: no
// I/O, no timers, no wall clock; every time recorded is the time of the entry that caused
// it. One EximLog per Exim (one MTA application). The mainlog's entries count; the
// rejectlog's repeat the mainlog's refusals (only understood, never counted again); each
// paniclog entry is one internal error.

import type { Application, Channel, MailSystem } from '../../model/mail-system.js';
import { SyslogFramer } from '../kit/syslog.js';
import type { LogReader } from '../kit/log-source.js';
import type { JournalEntry } from '../tail/index.js';
import { classifyFailure } from './errors.js';
import type { ArrivalEvent, DeliveryEvent, EximEntry, FailureEvent, Host } from './events.js';
import { EXIM_GROUP, Listeners, outboundSpec, ROUTING_GROUP } from './groups.js';
import { EximLineParser } from './parse.js';
import { Sessions } from './sessions.js';
import type { EximLogState, EximMessageState } from './state.js';
import { streamOfPriority, SyslogCopies, SyslogParts, type EximStream } from './syslog-parts.js';

export interface EximLogOptions {
  /** the host in applName (`exim MTA on HOST`) */
  host: string;
  /** listener port -> inbound group name (`exim.listeners`) */
  listeners?: Readonly<Record<string, string>>;
}

/** At most this many groups per MTA: names come from the log (transports), which a forged line could vary. */
export const MAX_GROUPS = 256;
/** Queued messages forgotten after this long without a line about them (log time). */
const MESSAGE_TTL = 10 * 24 * 3600_000;
const SWEEP_EVERY = 10 * 60_000;
/** The code of a paniclog entry: RFC 3463 X.3.0, other or undefined mail system status. */
const PANIC_CODE = '4.3.0';

type Msg = EximMessageState;

/** The reader's keys of the checkpoint (exim.json). */
export interface EximState {
  log: EximLogState;
}

export class EximLog implements LogReader<EximState> {
  readonly app: Application;
  private readonly parser = new EximLineParser();
  /** Exim's lines in a syslog file: `exim` or `exim4` (syslog_processname) */
  private readonly framer = new SyslogFramer({ program: (name) => (name.startsWith('exim') ? true : undefined) });
  private readonly listeners: Listeners;
  private readonly groups = new Map<string, Channel>();
  private readonly messages = new Map<string, Msg>();
  private readonly sessions: Sessions;
  private readonly parts = new SyslogParts();
  private readonly copies = new SyslogCopies();
  private queueInterval?: number;
  private lastQueueRun?: number;
  private nextSweep = 0;
  private lastTime?: number;
  /** messages deferred at least once */
  deferredMessages = 0;

  constructor(
    private readonly model: MailSystem,
    opts: EximLogOptions,
    saved?: EximLogState,
  ) {
    this.listeners = new Listeners(opts.listeners);
    const name = saved?.app ?? `exim MTA on ${opts.host}`;
    this.app = model.addApplication(name, { description: `Exim mail transfer agent on ${opts.host}` });
    model.mtaOf(this.app);
    for (const ch of this.app.mta!.channels.values()) this.groups.set(ch.name, ch);
    this.sessions = new Sessions(model, this.app, (n, t) => this.inbound(n, t));
    if (saved) this.load(saved);
  }

  /**
   * One line of the mainlog (or of a syslog file holding Exim's lines), or of the side log
   * `side` ('reject', 'panic'); false when not understood.
   */
  line(text: string, side?: string): boolean {
    if (side === 'reject') return this.rejectLine(text);
    if (side === 'panic') return this.panicLine(text);
    // Exim's own `2026-12-07 22:36:22 ...` (an RFC 3339 syslog stamp has a T there)
    if (text.charCodeAt(10) === 32 && text.charCodeAt(4) === 45) {
      const e = this.parser.parse(text);
      return e === undefined ? true : this.apply(e);
    }
    // the second line of a multi-line entry (a warning's `Suggested action`) is indented
    const c = text.charCodeAt(0);
    if (c === 32 || c === 9) return true;
    const h = this.framer.header(text);
    if (!h || h.afterStamp === 0) return false;
    const f = this.framer.body(text, h);
    if (!f) return true; // another program's line
    return this.syslogText(f.pid, f.message, undefined);
  }

  /** One line of the rejectlog: its refusals are the mainlog's, understood and not counted again. */
  rejectLine(text: string): boolean {
    const e = this.parser.parse(text);
    return e === undefined || e.event.kind === 'reject' || e.event.kind === 'info' || e.event.kind === 'disconnect';
  }

  /** One line of the paniclog: each entry is an internal error of Exim. */
  panicLine(text: string): boolean {
    const e = this.parser.parse(text);
    if (e && !Number.isNaN(e.time)) this.panic(e.time);
    return e === undefined || !Number.isNaN(e.time);
  }

  /** One journal entry (Exim logging to syslog, read from the journal). */
  entry(e: JournalEntry): boolean {
    if (this.framer.programInfo(e.identifier) === undefined) return true;
    return this.syslogText(e.pid ?? 0, e.message, streamOfPriority(e.priority));
  }

  /** Exim's text inside a syslog message: reassembled, routed to its log, applied. */
  private syslogText(pid: number, message: string, stream: EximStream | undefined): boolean {
    const r = this.parts.feed(pid, message);
    if (!('line' in r)) return true;
    const entry = this.parser.parse(r.line);
    if (!entry) return true;
    const kind = entry.event.kind;
    // without priorities (a syslog file), the second of two equal entries is the rejectlog's or paniclog's copy
    const copy = this.copies.isCopy(pid, r.line, kind === 'reject' || kind === 'unparsed' || kind === 'disconnect');
    if (stream === 'panic' || (stream === undefined && copy && kind !== 'reject' && kind !== 'disconnect')) {
      this.panic(entry.time);
      return true;
    }
    if (copy) return true;
    return this.apply(entry);
  }

  /** Applies one mainlog entry; false when it was not understood. */
  apply(e: EximEntry): boolean {
    const ev = e.event;
    if (ev.kind === 'unparsed') return false;
    const t = e.time;
    this.sweep(t);
    switch (ev.kind) {
      case 'arrival':
        return this.arrival(ev, t);
      case 'delivery':
        return this.delivery(ev, t);
      case 'failure':
        return this.failure(ev, t);
      case 'completed':
        this.messages.delete(ev.id);
        return true;
      case 'frozen':
      case 'thawed': {
        const m = this.messages.get(ev.id);
        if (m) {
          m.frozen = ev.kind === 'frozen';
          m.t = t;
        }
        return true;
      }
      case 'connect':
        return this.sessions.connect(ev, t, this.listeners.group(ev.iface));
      case 'disconnect':
        return this.sessions.disconnect(ev, t);
      case 'reject':
        return this.sessions.reject(ev, t, this.listeners.group(ev.iface));
      case 'daemon':
        this.app.version = `Exim ${ev.version}`;
        this.app.startedAt = t;
        this.app.lastChange = t;
        this.app.operStatus = 'up';
        this.queueInterval = ev.queueInterval;
        this.lastQueueRun = t;
        return true;
      case 'queue-run':
        if (ev.start) this.lastQueueRun = t;
        return true;
      default:
        return true; // removed, notes, information
    }
  }

  private arrival(ev: ArrivalEvent, t: number): boolean {
    const name = this.listeners.arrival(ev);
    const ch = this.inbound(name, t);
    if (!ch) return false;
    let m = this.messages.get(ev.id);
    if (!m) this.messages.set(ev.id, (m = { t }));
    m.t = t;
    m.size = ev.size;
    m.group = name;
    if (ev.recipients) m.listed = true;
    // without the list: the recipients of cutthrough deliveries logged before this line
    const recipients = ev.recipients?.length ?? (m.rcpts?.length ?? 0);
    this.model.countTraffic(this.app, ch, 'received', { messages: 1, volume: ev.size, recipients });
    ch.lastInboundActivity = t;
    this.app.lastInboundActivity = t;
    return true;
  }

  private delivery(ev: DeliveryEvent, t: number): boolean {
    if (ev.flag === '*>') return true; // -N: nothing was delivered
    const name = ev.transport ?? ROUTING_GROUP;
    const ch = this.outbound(name, t, ev.host);
    if (!ch) return false;
    const m = this.message(ev.id, t);
    this.recipientSeen(m, ev.original ?? ev.address);
    const first = !m.sent?.includes(name);
    if (first) (m.sent ??= []).push(name);
    this.model.countTraffic(this.app, ch, 'transmitted', first ? { messages: 1, volume: ev.size ?? m.size ?? 0, recipients: 1 } : { recipients: 1 });
    m.last = name;
    this.outboundActivity(ch, t);
    if (ev.host) {
      ch.lastOutboundAssociationAttempt = t;
      if (ev.flag !== '->' && !ev.host.reused) this.connected(ch);
    }
    return true;
  }

  private failure(ev: FailureEvent, t: number): boolean {
    const name = ev.routing ? ROUTING_GROUP : (ev.transport ?? ROUTING_GROUP);
    const cls = classifyFailure(ev);
    const m = this.message(ev.id, t);
    m.last = name;
    if (!cls.attempt) return true; // retry time not reached: nothing was tried
    const ch = this.outbound(name, t, ev.host);
    if (!ch) return false;
    this.recipientSeen(m, ev.original ?? ev.address);
    this.model.countError(ch, cls.code, 'outbound');
    this.outboundActivity(ch, t);
    if (cls.connectFailure) {
      ch.lastOutboundAssociationAttempt = t;
      ch.failedOutboundAssociations++;
      this.app.failedOutboundAssociations++;
      ch.outboundConnectFailureReason = ev.reason;
    } else if (ev.host) {
      ch.lastOutboundAssociationAttempt = t;
      if (!ev.host.reused) this.connected(ch);
    }
    if (ev.deferred) {
      if (!m.deferred) {
        m.deferred = true;
        this.deferredMessages++;
      }
      const next = this.nextQueueRun(t);
      if (next !== undefined) ch.scheduledRetryAt = next;
    }
    if (cls.loop && !m.looped) {
      m.looped = true;
      ch.loopsDetected++;
      this.app.mta!.counters.loopsDetected++;
    }
    return true;
  }

  /** One paniclog entry: an internal error of Exim, on its own group. */
  private panic(t: number): void {
    const ch = this.group(EXIM_GROUP, t);
    if (ch) this.model.countError(ch, PANIC_CODE, 'internal');
  }

  /** When the daemon's queue runner will next start after `t` (it retries deferred mail then). */
  private nextQueueRun(t: number): number | undefined {
    if (!this.queueInterval) return undefined;
    const iv = this.queueInterval * 1000;
    const base = this.lastQueueRun ?? t;
    return base + (Math.floor(Math.max(0, t - base) / iv) + 1) * iv;
  }

  /** Without the arrival's recipient list, each recipient is received when first named. */
  private recipientSeen(m: Msg, address: string): void {
    if (m.listed) return;
    if (m.rcpts?.includes(address)) return;
    (m.rcpts ??= []).push(address);
    const ch = m.group !== undefined ? this.groups.get(m.group) : undefined;
    if (ch) this.model.countTraffic(this.app, ch, 'received', { recipients: 1 });
  }

  private message(id: string, t: number): Msg {
    let m = this.messages.get(id);
    if (!m) this.messages.set(id, (m = { t }));
    else m.t = t;
    return m;
  }

  private outboundActivity(ch: Channel, t: number): void {
    ch.lastOutboundActivity = t;
    this.app.lastOutboundActivity = t;
  }

  /** A delivery attempt reached a server over a new connection. */
  private connected(ch: Channel): void {
    ch.accumulatedOutboundAssociations++;
    this.app.accumulatedOutboundAssociations++;
  }

  /** An inbound group (made on first use); undefined past MAX_GROUPS. */
  inbound(name: string, t: number): Channel | undefined {
    return this.group(name, t, () => this.listeners.spec(name));
  }

  private outbound(name: string, t: number, host: Host | undefined): Channel | undefined {
    const ch = this.group(name, t);
    // a transport that talks to hosts is SMTP (or LMTP) over TCP
    if (ch && host && !ch.protocol) ch.protocol = { transport: 'tcp', port: host.port ?? 25 };
    return ch;
  }

  private group(name: string, t: number, spec = () => outboundSpec(name)): Channel | undefined {
    let ch = this.groups.get(name);
    if (ch) return ch;
    if (this.groups.size >= MAX_GROUPS) return undefined;
    const s = spec();
    ch = this.model.addChannel(this.app, name, { description: s.description, protocol: s.protocol, hierarchy: s.hierarchy, createdAt: t });
    this.groups.set(name, ch);
    return ch;
  }

  /** The queue's view: the outbound group a queued message last tried, and what the log knows of it. */
  queued(id: string): { group?: Channel; size?: number } | undefined {
    const m = this.messages.get(id);
    if (!m) return undefined;
    return { group: m.last !== undefined ? this.groups.get(m.last) : undefined, size: m.size };
  }

  /** Drops what the log will never finish, every 10 minutes of log time. */
  private sweep(t: number): void {
    // the earlier of this entry's time and the last one's: one line from the future moves nothing
    const now = this.lastTime === undefined ? t : Math.min(t, this.lastTime);
    this.lastTime = t;
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY;
    for (const [id, m] of this.messages) if (now - m.t > MESSAGE_TTL) this.messages.delete(id);
    this.sessions.sweep(now);
  }

  /** Is `app` this Exim's (the checkpoint keeps its rows)? */
  owns(app: Application): boolean {
    return app === this.app;
  }

  state(): EximState {
    return { log: this.logState() };
  }

  private logState(): EximLogState {
    const s: EximLogState = {
      version: 1,
      app: this.app.name,
      messages: Object.fromEntries(this.messages),
      sessions: this.sessions.state(),
      nextSweep: this.nextSweep,
      deferredMessages: this.deferredMessages,
    };
    if (this.queueInterval !== undefined) s.queueInterval = this.queueInterval;
    if (this.lastQueueRun !== undefined) s.lastQueueRun = this.lastQueueRun;
    if (this.lastTime !== undefined) s.lastTime = this.lastTime;
    return structuredClone(s);
  }

  private load(s: EximLogState): void {
    for (const [id, m] of Object.entries(s.messages)) this.messages.set(id, structuredClone(m));
    this.sessions.load(s.sessions);
    this.queueInterval = s.queueInterval;
    this.lastQueueRun = s.lastQueueRun;
    this.nextSweep = s.nextSweep;
    this.lastTime = s.lastTime;
    this.deferredMessages = s.deferredMessages ?? 0;
  }
}
