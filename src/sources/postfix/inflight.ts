// In-flight state of one Postfix instance (queued messages, open smtpd and postscreen
// sessions) and its conversion to and from the JSON of a checkpoint (state.ts).

import type { Application, Channel, MailSystem } from '../../model/mail-system.js';
import type { MessageState, PostfixInstanceState, ScreenState, SessionState } from './state.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** a message with no qmgr line (nor cleanup's message-id / a hold) this long after its arrival was aborted */
const UNQUEUED_TTL = HOUR;
/** a queued (or cleanup-accepted) message not heard of this long is forgotten (maximal_queue_lifetime is 5 days) */
const MESSAGE_TTL = 10 * 24 * HOUR;
/** smtpd sessions whose end was not seen */
const SESSION_TTL = 6 * HOUR;
const SCREEN_TTL = HOUR;
const REINJECTED_TTL = HOUR;

/** Forgets what the log will never finish: aborted arrivals, old messages, sessions whose end was lost. */
export function sweepInstance(
  inst: Instance,
  t: number,
  endSession: (pid: number, s: SessionState) => void,
  endScreen: (key: string) => void,
): void {
  for (const [qid, m] of inst.messages) if (t - m.t > (m.counted || m.accepted ? MESSAGE_TTL : UNQUEUED_TTL)) inst.messages.delete(qid);
  for (const [pid, s] of inst.sessions) if (t - s.t > SESSION_TTL) endSession(pid, s);
  for (const [key, s] of inst.screens) if (t - s.t > SCREEN_TTL) endScreen(key);
  for (const [qid, at] of inst.reinjected) if (t - at > REINJECTED_TTL) inst.reinjected.delete(qid);
}

export class Msg implements MessageState {
  size = 0;
  nrcpt = 0;
  sent: string[] | undefined = undefined;
  pid = 0;
  relay = '';
  lastGroup: string | undefined = undefined;
  lastDsn: string | undefined = undefined;
  /** cleanup has it (message-id, or held): it waits for qmgr as long as a queued message */
  accepted = false;
  /** imsimta counters (imsimta.ts): outbound groups it was received on, groups that deferred it, its recipients deferred now ("group\0to\0orig_to") */
  rcvd: string[] | undefined = undefined;
  deferredOn: string[] | undefined = undefined;
  pendingRcpts: Set<string> | undefined = undefined;
  /** what the current delivery attempt has counted (imsimta.ts) */
  attempt = 0;
  /** log time of its last deferral: its next attempt is scheduled from it (queue.ts) */
  deferredAt: number | undefined = undefined;
  constructor(
    public t: number,
    public group: string | undefined,
    public counted: boolean,
    public filtered: boolean,
  ) {}
}

export class Instance {
  readonly channels = new Map<string, Channel>();
  readonly messages = new Map<string, Msg>();
  /** smtpd/qmqpd sessions by pid */
  readonly sessions = new Map<number, SessionState>();
  /** postscreen sessions by "<group> [addr]:port" */
  readonly screens = new Map<string, ScreenState>();
  /** re-injected queue ids -> arrival time */
  readonly reinjected = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly syslogName: string,
    readonly host: string,
    readonly app: Application,
  ) {}
}

export function instanceState(inst: Instance): PostfixInstanceState {
  const app = inst.app;
  const messages: Record<string, MessageState> = {};
  for (const [qid, m] of inst.messages) {
    const s: MessageState = { t: m.t, counted: m.counted, filtered: m.filtered, size: m.size, nrcpt: m.nrcpt, pid: m.pid, relay: m.relay };
    if (m.group !== undefined) s.group = m.group;
    if (m.sent) s.sent = [...m.sent];
    if (m.lastGroup !== undefined) s.lastGroup = m.lastGroup;
    if (m.lastDsn !== undefined) s.lastDsn = m.lastDsn;
    if (m.accepted) s.accepted = true;
    if (m.rcvd) s.rcvd = [...m.rcvd];
    if (m.deferredOn) s.deferredOn = [...m.deferredOn];
    if (m.pendingRcpts) s.pending = [...m.pendingRcpts];
    if (m.attempt) s.attempt = m.attempt;
    if (m.deferredAt !== undefined) s.deferredAt = m.deferredAt;
    messages[qid] = s;
  }
  const sessions: Record<string, SessionState> = {};
  for (const [pid, s] of inst.sessions) {
    const c: SessionState = { assoc: s.assoc, group: s.group, addr: s.addr, t: s.t };
    if (s.qid !== undefined) c.qid = s.qid;
    if (s.rejectFrom !== undefined) c.rejectFrom = s.rejectFrom;
    sessions[pid] = c;
  }
  const screens: Record<string, ScreenState> = {};
  for (const [k, s] of inst.screens) screens[k] = { ...s };
  const out: PostfixInstanceState = {
    name: inst.name,
    syslogName: inst.syslogName,
    host: inst.host,
    version: app.version,
    operStatus: app.operStatus,
    messages,
    sessions,
    screens,
    reinjected: Object.fromEntries(inst.reinjected),
  };
  if (app.startedAt !== undefined) out.startedAt = app.startedAt;
  if (app.lastChange !== undefined) out.lastChange = app.lastChange;
  return out;
}

/** Fills a fresh Instance from its checkpoint; `inbound` finds or creates an inbound group. */
export function loadInstance(
  model: MailSystem,
  inst: Instance,
  is: PostfixInstanceState,
  inbound: (name: string, t: number) => Channel,
): void {
  const app = inst.app;
  app.version = is.version;
  app.startedAt = is.startedAt;
  app.operStatus = is.operStatus;
  app.lastChange = is.lastChange;
  // the groups the model already has (a model checkpoint restored first), for queue attribution
  for (const ch of app.mta?.channels.values() ?? []) inst.channels.set(ch.name, ch);
  for (const [qid, ms] of Object.entries(is.messages)) {
    const m = new Msg(ms.t, ms.group, ms.counted, ms.filtered);
    m.size = ms.size;
    m.nrcpt = ms.nrcpt;
    m.sent = ms.sent ? [...ms.sent] : undefined;
    m.pid = ms.pid;
    m.relay = ms.relay;
    m.lastGroup = ms.lastGroup;
    m.lastDsn = ms.lastDsn;
    m.accepted = ms.accepted === true;
    m.rcvd = ms.rcvd ? [...ms.rcvd] : undefined;
    m.deferredOn = ms.deferredOn ? [...ms.deferredOn] : undefined;
    m.pendingRcpts = ms.pending?.length ? new Set(ms.pending) : undefined;
    m.attempt = ms.attempt ?? 0;
    m.deferredAt = ms.deferredAt;
    inst.messages.set(qid, m);
  }
  for (const [pid, ss] of Object.entries(is.sessions)) {
    const ch = inbound(ss.group, ss.t);
    inst.sessions.set(Number(pid), { assoc: reattach(model, app, ss, ch), group: ss.group, addr: ss.addr, t: ss.t, qid: ss.qid, rejectFrom: ss.rejectFrom });
  }
  for (const [k, sc] of Object.entries(is.screens)) {
    inbound(sc.group, sc.t);
    inst.screens.set(k, { ...sc });
  }
  for (const [qid, at] of Object.entries(is.reinjected)) inst.reinjected.set(qid, at);
  recountGauges(inst);
}

/** The association row of a session still open, back in the model (model checkpoints do not keep them). */
function reattach(model: MailSystem, app: Application, s: SessionState, ch: Channel): number {
  const a = app.associations.get(s.assoc);
  if (a && a.remoteApplication === s.addr && a.startedAt === s.t && a.channel === ch.index) return s.assoc;
  let index = s.assoc;
  if (a) for (index = 1; app.associations.has(index); index++);
  app.associations.set(index, { index, remoteApplication: s.addr, protocol: ch.protocol, type: 'peerresponder', startedAt: s.t, channel: ch.index });
  model.changed();
  return index;
}

/** Current inbound associations of the MTA and its groups = the sessions open now. */
function recountGauges(inst: Instance): void {
  const app = inst.app;
  const perChannel = new Map<number, number>();
  let total = 0;
  for (const a of app.associations.values()) {
    if (a.type !== 'peerresponder' && a.type !== 'uaresponder') continue;
    total++;
    if (a.channel !== undefined) perChannel.set(a.channel, (perChannel.get(a.channel) ?? 0) + 1);
  }
  for (const s of inst.screens.values()) {
    const ch = inst.channels.get(s.group);
    if (ch) perChannel.set(ch.index, (perChannel.get(ch.index) ?? 0) + 1);
  }
  app.inboundAssociations = total;
  for (const ch of app.mta?.channels.values() ?? []) ch.inboundAssociations = perChannel.get(ch.index) ?? 0;
}
