// One handler per kind of Postfix event, for PostfixLog (apply.ts): what each line does to
// the instance's in-flight state (sessions, queued messages) and to the model. Delivery
// and reject lines are counted by outcomes.ts. Pure like apply.ts: times are the lines'.
// 'unparsed' has no handler: PostfixLog counts those lines itself.

import type { MailSystem } from '../../model/mail-system.js';
import type { ContentFilter } from './groups.js';
import type { PostfixChannelCounters } from './imsimta.js';
import type { EventKind, ParsedLine, PostfixEvent } from './events.js';
import { Msg, type Instance } from './inflight.js';
import { deadProcess } from './messages.js';
import { endScreen, type Outcomes } from './outcomes.js';
import type { SessionState } from './state.js';

/** What the handlers share with PostfixLog. */
export interface Handling {
  readonly model: MailSystem;
  readonly outcomes: Outcomes;
  readonly filter: ContentFilter;
  /** the groups' imsimta counters (imsimta.ts) */
  readonly channelCounters: PostfixChannelCounters;
  /** every instance (a dead smtpd may log under another syslog_name than its master) */
  instances(): Iterable<Instance>;
}

type EventOf<K extends EventKind> = Extract<PostfixEvent, { kind: K }>;
type Handler<K extends EventKind> = (h: Handling, inst: Instance, p: ParsedLine, ev: EventOf<K>, t: number) => void;

/** The handler of each event kind (a kind without one would not compile). */
export const HANDLERS: { [K in Exclude<EventKind, 'unparsed'>]: Handler<K> } = {
  connect(h, inst, p, ev, t) {
    const old = inst.sessions.get(p.pid);
    if (old) endSession(h.model, inst, p.pid, old, t);
    const group = h.outcomes.inboundGroup(p, ev.client.addr);
    const ch = h.outcomes.inbound(inst, group, t);
    const a = h.model.openAssociation(inst.app, {
      remoteApplication: ev.client.addr,
      protocol: ch.protocol,
      type: 'peerresponder',
      startedAt: t,
      channel: ch.index,
    });
    inst.sessions.set(p.pid, { assoc: a.index, group, addr: ev.client.addr, t, qid: undefined });
    h.channelCounters.association(inst, ch, true, t);
  },

  disconnect(h, inst, p, ev, t) {
    sessionOver(h, inst, p, ev.client.addr, t);
  },

  lost(h, inst, p, ev, t) {
    const s = inst.sessions.get(p.pid);
    sessionOver(h, inst, p, ev.client.addr, t);
    if (ev.qid) {
      const m = inst.messages.get(ev.qid);
      if (m && !m.counted) inst.messages.delete(ev.qid);
    } else if (s?.qid !== undefined && (ev.after === 'DATA' || ev.after === 'BDAT')) {
      // Postfix < 3.10 does not name the message it abandons: the session's last one
      // gets the short TTL back (it may also be an earlier message still in the queue)
      const m = inst.messages.get(s.qid);
      if (m) m.accepted = false;
    }
  },

  client(h, inst, p, ev, t) {
    const s = inst.sessions.get(p.pid);
    arrival(h, inst, ev.qid, s?.group ?? h.outcomes.inboundGroup(p, ev.client.addr), t);
    if (s) {
      s.qid = ev.qid;
      s.rejectFrom = undefined; // a message taken: later refusals are another transaction's
    }
  },

  pickup(h, inst, p, ev, t) {
    if (ev.origId !== undefined) requeued(inst, ev.origId, ev.qid, t);
    else arrival(h, inst, ev.qid, p.service ? `${p.service}/${p.daemon}` : p.daemon, t);
  },

  'message-id'(_h, inst, _p, ev, t) {
    accept(inst, ev.qid, t);
  },

  queued(h, inst, _p, ev, t) {
    let m = inst.messages.get(ev.qid);
    if (!m) inst.messages.set(ev.qid, (m = new Msg(t, undefined, true, false)));
    else if (!m.counted) {
      m.counted = true;
      if (m.group !== undefined) {
        const ch = h.outcomes.inbound(inst, m.group, t);
        const traffic = { messages: 1, volume: ev.size, recipients: ev.nrcpt };
        // a re-injected message was received (in the totals) when it first arrived
        if (m.filtered) h.model.countGroupTraffic(ch, 'received', traffic);
        else h.model.countTraffic(inst.app, ch, 'received', traffic);
        h.channelCounters.submitted(inst, ch, ev.size, ev.nrcpt, t);
      }
    }
    m.t = t;
    m.size = ev.size;
    m.nrcpt = ev.nrcpt;
    m.pid = 0; // a new delivery round
    m.relay = '';
  },

  removed(_h, inst, _p, ev) {
    inst.messages.delete(ev.qid);
  },

  expired(h, inst, _p, ev, t) {
    const m = inst.messages.get(ev.qid);
    const ch = h.outcomes.outbound(inst, m?.lastGroup ?? 'qmgr', undefined, t);
    h.outcomes.countError(ch, m?.lastDsn ?? '4.4.7', 'outbound');
    h.channelCounters.expired(inst, ch, m, t);
  },

  delivery(h, inst, p, ev) {
    h.outcomes.delivery(inst, p, ev);
  },

  reject(h, inst, p, ev) {
    h.outcomes.reject(inst, p, ev);
  },

  'screen-connect'(h, inst, p, ev, t) {
    const group = p.service ? `${p.service}/${p.daemon}` : p.daemon;
    const key = `${group} [${ev.client.addr}]:${ev.client.port ?? ''}`;
    const ch = h.outcomes.inbound(inst, group, t);
    if (!inst.screens.has(key)) {
      inst.screens.set(key, { group, t, rejected: false });
      ch.inboundAssociations++;
    }
    ch.accumulatedInboundAssociations++;
    h.channelCounters.association(inst, ch, true, t);
    h.outcomes.inboundActivity(inst, ch, t);
  },

  'screen-end'(h, inst, p, ev, t) {
    const group = p.service ? `${p.service}/${p.daemon}` : p.daemon;
    const ch = h.outcomes.inbound(inst, group, t);
    endScreen(inst, `${group} [${ev.client.addr}]:${ev.client.port ?? ''}`);
    h.outcomes.inboundActivity(inst, ch, t);
  },

  'screen-note'(h, inst, p, _ev, t) {
    const group = p.service ? `${p.service}/${p.daemon}` : p.daemon;
    h.outcomes.inboundActivity(inst, h.outcomes.inbound(inst, group, t), t);
  },

  'master-start'(h, inst, _p, ev, t) {
    const app = inst.app;
    app.version = `Postfix ${ev.version}`;
    if (ev.reload) return;
    endAll(h.model, inst, t);
    app.startedAt = t;
    app.operStatus = 'up';
    app.lastChange = t;
  },

  'master-stop'(h, inst, _p, _ev, t) {
    endAll(h.model, inst, t);
    inst.app.operStatus = 'down';
    inst.app.lastChange = t;
  },

  action(_h, inst, _p, ev, t) {
    // held (cleanup or smtpd `hold:`, a milter, postsuper -h) or released: qmgr may log it days later
    const a = ev.action;
    if (ev.qid !== undefined && (a === 'hold' || a === 'milter-hold' || a === 'release')) accept(inst, ev.qid, t);
  },

  log(h, inst, p, ev, t) {
    h.outcomes.internalError(inst, p, t);
    // a dead smtpd ends its session: master's `warning: process .../smtpd pid N exit
    // status 1` (or `killed by signal 9`), or the smtpd's own fatal: / panic: line
    if (ev.severity === 'warning') {
      const dead = p.daemon === 'master' ? deadProcess(ev.text) : undefined;
      if (!dead || (dead.daemon !== 'smtpd' && dead.daemon !== 'qmqpd')) return;
      // the smtpd may log under another syslog_name than master (-o syslog_name=...)
      for (const i of h.instances()) if (i.host === inst.host) endPid(h.model, i, dead.pid, t);
    } else if (ev.severity !== 'error' && (p.daemon === 'smtpd' || p.daemon === 'qmqpd')) endPid(h.model, inst, p.pid, t);
  },

  notification() {},
  info() {},
};

function arrival(h: Handling, inst: Instance, qid: string, group: string, t: number): void {
  const ch = h.outcomes.inbound(inst, group, t); // first: it throws past the cap on groups
  const filtered = h.filter.reinjects(group);
  inst.messages.set(qid, new Msg(t, group, false, filtered));
  if (filtered) inst.reinjected.set(qid, t);
  h.outcomes.inboundActivity(inst, ch, t);
}

/** cleanup has the message (message-id line, or held): it waits for qmgr however long that takes. */
function accept(inst: Instance, qid: string, t: number): void {
  const m = inst.messages.get(qid);
  if (!m) return;
  m.t = t;
  m.accepted = true;
}

/** `postsuper -r`: the message comes back under a new queue id; it is no new arrival. */
function requeued(inst: Instance, origId: string, qid: string, t: number): void {
  // unknown (from before reading began): received then, not now
  const m = inst.messages.get(origId) ?? new Msg(t, undefined, true, false);
  inst.messages.delete(origId);
  m.t = t;
  m.pid = 0;
  m.relay = '';
  inst.messages.set(qid, m);
}

// -- sessions -------------------------------------------------------------------------------

/** The session of the line's smtpd is over (an unknown one still shows inbound activity). */
function sessionOver(h: Handling, inst: Instance, p: ParsedLine, addr: string, t: number): void {
  const s = inst.sessions.get(p.pid);
  if (s) endSession(h.model, inst, p.pid, s, t);
  else h.outcomes.inboundActivity(inst, h.outcomes.inbound(inst, h.outcomes.inboundGroup(p, addr), t), t);
}

/** An smtpd (qmqpd) session is over: its association closes. */
export function endSession(model: MailSystem, inst: Instance, pid: number, s: SessionState, t: number): void {
  inst.sessions.delete(pid);
  model.closeAssociation(inst.app, s.assoc, t);
}

function endPid(model: MailSystem, inst: Instance, pid: number, t: number): void {
  const s = inst.sessions.get(pid);
  if (s) endSession(model, inst, pid, s, t);
}

/** master started or stopped: every session of the instance is gone. */
function endAll(model: MailSystem, inst: Instance, t: number): void {
  for (const [pid, s] of inst.sessions) endSession(model, inst, pid, s, t);
  for (const key of [...inst.screens.keys()]) endScreen(inst, key);
}
