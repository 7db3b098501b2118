// Sendmail's log, event by event, into the model: arrivals on the inbound group of their
// daemon, deliveries on their mailer's group, refusals and errors into the error table,
// loops, sessions, queue times and the imsimta counters. Every time it records is the
// time of the line that caused it; nothing here reads a clock. The mapping is documented
// in docs/sendmail.md.

import { channelCountersOf, resetCounters } from '../../model/channel-counters.js';
import type { Channel } from '../../model/mail-system.js';
import { parseSendmailMessage, type FromEvent, type SendmailEvent, type ToEvent } from './parse.js';
import { CMDLINE_GROUP, DSN_GROUP, type SendmailRows } from './rows.js';
import { Bounded, MAX_MESSAGES, MAX_SESSIONS, remember, type Message, type Pending, type SendmailState, type Session } from './state.js';

/** A syslog line of the MTA, framed: time (ms), program (ident) and pid, and its text. */
export interface FramedLine {
  time: number;
  program: string;
  pid?: number;
  message: string;
}

/** A delivery that failed to connect: the mailer's failed outbound associations. */
const CONNECT_FAILURE = /Connection refused|Connection timed out|Connection reset|No route to host|Network is unreachable|Host is down|Host unknown|Name server timeout|Host name lookup failure|Operation timed out|Broken pipe|Lost connection|Remote protocol error/i;

/** The enhanced code an internal error is counted under when its text carries none. */
const INTERNAL_CODE = '4.3.0';

export class SendmailLog {
  private readonly sessions: Bounded<number, Session>;
  private readonly messages = new Bounded<string, Message>(MAX_MESSAGES);
  /** the last `madman counters clear` applied */
  clearSeq = 0;

  constructor(
    private readonly rows: SendmailRows,
    /** syslog idents of this MTA (sm-mta, sendmail); others' lines are read past */
    private readonly programs: ReadonlySet<string>,
    saved?: SendmailState,
  ) {
    this.sessions = new Bounded(MAX_SESSIONS, (_pid, s) => this.attribute(s, s.daemon ?? this.rows.defaultDaemon()));
    if (saved) {
      const s = saved.sendmail;
      for (const [pid, session] of s.sessions) this.sessions.set(pid, session);
      for (const [qid, m] of s.messages) this.messages.set(qid, m);
      this.clearSeq = s.clearSeq;
      const book = channelCountersOf(rows.model);
      for (const c of s.counters) {
        const ch = rows.group(c.name);
        if (ch) book.load(c, rows.app.index, ch.index);
      }
    }
  }

  /** The in-flight state and the imsimta counters, for the checkpoint. */
  state(): SendmailState {
    const app = this.rows.app;
    const counters = [...channelCountersOf(this.rows.model).values()].filter((c) => c.app === app.index).map((c) => structuredClone(c));
    return { sendmail: { version: 1, appName: app.name, sessions: [...this.sessions.map], messages: [...this.messages.map], counters, clearSeq: this.clearSeq } };
  }

  /** `madman counters clear`: zeroes the imsimta counters (MTA-MIB's never go back). */
  clear(seq: number, at: number): void {
    this.clearSeq = seq;
    for (const c of channelCountersOf(this.rows.model).values()) if (c.app === this.rows.app.index) resetCounters(c, at);
  }

  /** One framed line; false when it is the MTA's and not understood (a line of another program is read past). */
  handle(l: FramedLine): boolean {
    if (!this.programs.has(l.program)) return true;
    const e = parseSendmailMessage(l.message);
    if (!e) return false;
    return this.apply(e, l.time, l.pid) !== false;
  }

  /** One event of the MTA, at time `t` from process `pid`; false when it names a group that cannot be (unknown mailer, too many groups). */
  apply(e: SendmailEvent, t: number, pid?: number): boolean | void {
    switch (e.kind) {
      case 'from':
        return this.arrival(e, t, pid);
      case 'to':
        return this.delivery(e, t);
      case 'ruleset': {
        if (e.action === 'quarantine') return;
        const kind = e.ruleset === 'check_relay' && e.action === 'reject' ? 'refused-connection' : e.action;
        return this.inbound(pid, { kind, t, qid: e.qid, code: e.code, reply: e.reply });
      }
      case 'milter':
        if (e.action === 'quarantine') return;
        if (e.action === 'error') return this.inbound(pid, { kind: 'internal', t, qid: e.qid, code: INTERNAL_CODE });
        return this.inbound(pid, { kind: e.action === 'discard' ? 'discard' : 'reject', t, qid: e.qid, code: e.code ?? (e.action === 'tempfail' ? '4.7.1' : undefined), reply: e.reply });
      case 'auth':
        if (!e.ok) this.inbound(pid, { kind: 'auth-failure', t, code: '5.7.8', reply: `AUTH failure (${e.mech})` });
        return;
      case 'lost-input':
      case 'idle-session':
        if (e.qid && pid !== undefined) remember(this.session(pid).aborted, e.qid);
        return this.named(pid, e.daemon, t);
      case 'collect-error':
        if (e.qid && pid !== undefined) remember(this.session(pid).aborted, e.qid);
        return;
      case 'dsn':
        return this.notification(e.newQid, t);
      case 'syserr':
        return this.syserr(e.qid, e.text, e.loop, e.code, t, pid);
      case 'loop':
        return this.loop(e.qid, t, pid);
      case 'connect':
        if (pid !== undefined) this.newSession(pid);
        return;
      case 'daemon-start': {
        const app = this.rows.app;
        app.version = `Sendmail ${e.version}`;
        app.startedAt = t;
        if (app.operStatus !== 'up') app.lastChange = t;
        app.operStatus = 'up';
        return;
      }
      case 'tls':
      case 'note':
        return;
    }
  }

  private session(pid: number): Session {
    let s = this.sessions.get(pid);
    if (!s) this.sessions.set(pid, (s = { pending: [], refused: [], aborted: [] }));
    return s;
  }

  /** `connect from` starts a new session on this pid: what the old one held is attributed now. */
  private newSession(pid: number): void {
    const old = this.sessions.map.get(pid);
    if (old) this.attribute(old, old.daemon ?? this.rows.defaultDaemon());
    this.sessions.set(pid, { pending: [], refused: [], aborted: [] });
  }

  /** An inbound event: counted on the session's daemon at once when known, else when the log names it. */
  private inbound(pid: number | undefined, p: Pending): void {
    if (pid === undefined) return this.count(this.rows.defaultDaemon(), p, undefined);
    const s = this.session(pid);
    if (s.daemon) this.count(s.daemon, p, s);
    else s.pending.push(p);
  }

  /** The log named the session's daemon (from=, lost input, idle session). */
  private named(pid: number | undefined, daemon: string, t: number): void {
    if (pid === undefined) return;
    const s = this.session(pid);
    s.daemon = daemon;
    const ch = this.rows.inbound(daemon, t);
    if (ch) {
      ch.lastInboundActivity = t;
      if (!s.counted) {
        s.counted = true;
        ch.accumulatedInboundAssociations++;
        this.rows.counters(ch, t).inAssocs++;
        if (!this.rows.statisticsOwned) this.rows.app.accumulatedInboundAssociations++;
        this.rows.app.lastInboundActivity = t;
      }
    }
    this.attribute(s, daemon);
  }

  /** Counts a session's pending events on `daemon`. */
  private attribute(s: Session, daemon: string): void {
    const pending = s.pending;
    s.pending = [];
    for (const p of pending) this.count(daemon, p, s);
  }

  private count(daemon: string, p: Pending, s: Session | undefined): void {
    const ch = this.rows.inbound(daemon, p.t);
    if (!ch) return;
    const model = this.rows.model;
    switch (p.kind) {
      case 'refused-connection':
        ch.rejectedInboundAssociations++;
        if (!this.rows.statisticsOwned) this.rows.app.rejectedInboundAssociations++;
        break;
      case 'reject':
      case 'discard':
        // one refused message per transaction, as sendmail's msgsrej counts
        if (!p.qid || !s || !s.refused.includes(p.qid)) {
          this.rows.rejectedMessage(ch);
          this.rows.count(ch, 'rejected', p.t, 1, 0, undefined);
          if (p.qid && s) remember(s.refused, p.qid);
        }
        this.rows.count(ch, 'rejected', p.t, 0, 1, undefined);
        break;
      case 'auth-failure':
        break;
      case 'internal':
        if (p.code) model.countError(ch, p.code, 'internal');
        return;
    }
    if (p.code && p.kind !== 'discard') model.countError(ch, p.code, 'inbound');
    if (p.reply) ch.inboundRejectionReason = p.reply;
  }

  private arrival(e: FromEvent, t: number, pid: number | undefined): boolean {
    const group = e.daemon ?? CMDLINE_GROUP;
    if (e.daemon) this.named(pid, e.daemon, t);
    const s = e.daemon && pid !== undefined ? this.sessions.map.get(pid) : undefined;
    // a transaction that carried no message: all recipients refused, or aborted
    if (e.nrcpts === 0 || (s && s.aborted.includes(e.qid))) return true;
    if (this.messages.map.has(e.qid)) return true; // logged twice (a restart re-reading?): one arrival
    const ch = this.rows.inbound(group, t);
    if (!ch) return false;
    this.rows.received(ch, e.nrcpts, e.size, t);
    this.messages.set(e.qid, { size: e.size, group, left: e.nrcpts });
    return true;
  }

  /** A DSN (or warning, or postmaster copy) sendmail made: a new message on the DSN group. */
  private notification(qid: string, t: number): void {
    if (this.messages.map.has(qid)) return;
    const ch = this.rows.inbound(DSN_GROUP, t);
    if (!ch) return;
    this.rows.received(ch, 1, undefined, t);
    this.messages.set(qid, { group: DSN_GROUP, left: 1 });
  }

  private delivery(e: ToEvent, t: number): boolean {
    const ch = this.rows.mailer(e.mailer, t);
    if (!ch) return false;
    const msg = this.messages.get(e.qid);
    const n = e.recipients.length;
    const remote = e.relay !== undefined && ch.protocol !== undefined;
    if (remote) {
      ch.lastOutboundAssociationAttempt = t;
      this.rows.app.lastOutboundActivity = t;
    }
    if (e.outcome === 'sent') {
      this.rows.transmitted(ch, n, msg?.size);
      ch.lastOutboundActivity = t;
      this.rows.count(ch, 'delivered', t, 1, n, msg?.size);
      const c = this.rows.counters(ch, t);
      if (e.delay !== undefined) {
        c.queueSeconds += e.delay;
        c.queueCount++;
      }
      if (msg && !msg.deferred) {
        c.deliveredFirstTime++;
        if (e.delay !== undefined) {
          c.queueFirstSeconds += e.delay;
          c.queueFirstCount++;
        }
      }
      if (remote) this.outboundAssociation(ch, t);
      this.done(e.qid, msg, n);
      return true;
    }
    const connectFailed = remote && e.reply === undefined && CONNECT_FAILURE.test(e.stat);
    if (connectFailed) {
      ch.failedOutboundAssociations++;
      this.rows.app.failedOutboundAssociations++;
      ch.outboundConnectFailureReason = e.stat;
    } else if (remote && e.reply !== undefined) this.outboundAssociation(ch, t);
    const code = e.dsn ?? (e.outcome === 'deferred' ? '4.0.0' : '5.0.0');
    this.rows.model.countError(ch, code, 'outbound');
    if (e.outcome === 'deferred') {
      if (msg) msg.deferred = true;
      this.rows.count(ch, 'attempted', t, 1, n, msg?.size);
    } else {
      this.rows.count(ch, 'failed', t, 1, n, msg?.size);
      this.done(e.qid, msg, n);
    }
    return true;
  }

  /**
   * `n` recipients of a message are done (sent or failed): once none is left it is forgotten,
   * so the in-flight state holds the queue, not the history. (Aliases may give more
   * deliveries than nrcpts, which only forgets it sooner; fewer leave it to the size limit.)
   */
  private done(qid: string, msg: Message | undefined, n: number): void {
    if (!msg || msg.left === undefined || msg.loop) return;
    msg.left -= n;
    if (msg.left <= 0) this.messages.delete(qid);
  }

  /** A connection to a remote server was made. */
  private outboundAssociation(ch: Channel, t: number): void {
    ch.accumulatedOutboundAssociations++;
    this.rows.counters(ch, t).outAssocs++;
    if (!this.rows.statisticsOwned) this.rows.app.accumulatedOutboundAssociations++;
  }

  /** The group a message-related error belongs to: the message's way in, else the session's daemon. */
  private groupOf(qid: string | undefined, pid: number | undefined, text?: string): string | undefined {
    const m = qid ? this.messages.map.get(qid) : undefined;
    if (m) return m.group;
    const s = pid !== undefined ? this.sessions.map.get(pid) : undefined;
    if (s?.daemon) return s.daemon;
    const d = text ? /\bdaemon (\S+?):/.exec(text)?.[1] : undefined;
    if (d) return d;
    return undefined;
  }

  private syserr(qid: string | undefined, text: string, loop: boolean, code: string | undefined, t: number, pid: number | undefined): void {
    if (loop) {
      // a hop-count loop is logged again at every delivery attempt: counted once per message
      const m = qid ? this.messages.get(qid) : undefined;
      if (m?.loop) return;
      this.loop(qid, t, pid);
    }
    const group = this.groupOf(qid, pid, text);
    const p: Pending = { kind: 'internal', t, qid, code: code ?? INTERNAL_CODE };
    if (group) this.count(group, p, undefined);
    else this.inbound(pid, p);
  }

  private loop(qid: string | undefined, t: number, pid: number | undefined): void {
    const m = qid ? this.messages.get(qid) : undefined;
    if (m?.loop) return;
    const ch = this.rows.inbound(this.groupOf(qid, pid) ?? this.rows.defaultDaemon(), t);
    if (!ch) return;
    this.rows.loop(ch);
    if (m) m.loop = true;
    else if (qid) this.messages.set(qid, { group: ch.name, loop: true });
  }
}
