// Sendmail's log language: the text of one syslog message of the MTA (what follows
// `sm-mta[PID]: `) as one event. Pure: no state, no model.
//
// Sendmail writes `QID: key=value, key=value, ...`. Values written by others can hold
// anything (an address or a Message-Id with ", size=9" in it, a remote server's reply
// with ", stat=Sent"), so fields are read in the order sendmail writes them: an address
// or message id in angle brackets is read to its closing bracket (quotes and backslashes
// respected), and the outcome of a delivery comes from dsn=, which sendmail writes before
// the remote's reply= and its own stat=.

/** A sendmail queue id: 14 characters since 8.12 (8 or 9 before); NOQUEUE when there is none. */
const QID = /^([0-9A-Za-x]{8,20}|NOQUEUE): /;
const STATUS = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

export interface FromEvent {
  kind: 'from';
  qid: string;
  from: string;
  /** octets */
  size: number;
  nrcpts: number;
  msgid?: string;
  proto?: string;
  /** Name= of the DaemonPortOptions the message came in through; absent for command-line submissions */
  daemon?: string;
  relay?: string;
}

export type DeliveryOutcome = 'sent' | 'deferred' | 'failed';

export interface ToEvent {
  kind: 'to';
  qid: string;
  recipients: string[];
  mailer: string;
  /** seconds since the message was queued */
  delay?: number;
  /** seconds of this attempt */
  xdelay?: number;
  relay?: string;
  dsn?: string;
  reply?: string;
  stat: string;
  outcome: DeliveryOutcome;
}

/** `ruleset=check_*, arg1=..., relay=..., reject=...` (or discard / quarantine). */
export interface RulesetEvent {
  kind: 'ruleset';
  qid?: string;
  ruleset: string;
  relay?: string;
  action: 'reject' | 'discard' | 'quarantine';
  /** the SMTP reply: "550 5.1.1 <x>... User unknown" */
  reply: string;
  /** the enhanced status code of the reply, or one made from its SMTP code (5.0.0) */
  code?: string;
}

/** A milter's verdict: `Milter: to=<x>, reject=...`, `milter=NAME, action=..., reject=...`, `Milter: data, discard`. */
export interface MilterEvent {
  kind: 'milter';
  qid?: string;
  milter?: string;
  action: 'reject' | 'discard' | 'tempfail' | 'quarantine' | 'error';
  reply: string;
  code?: string;
}

/** The SMTP client went away: `lost input channel from H to DAEMON after CMD`. */
export interface LostInputEvent {
  kind: 'lost-input';
  qid?: string;
  relay: string;
  daemon: string;
  after: string;
}

/** `H did not issue MAIL/EXPN/VRFY/ETRN during connection to DAEMON` */
export interface IdleSessionEvent {
  kind: 'idle-session';
  qid?: string;
  relay: string;
  daemon: string;
}

/** `collect: premature EOM`, `collect: I/O error ...`, `collect: relay=..., info=...` */
export interface CollectErrorEvent {
  kind: 'collect-error';
  qid?: string;
  text: string;
}

/** `QID: NEWQID: DSN: reason` (also return to sender, postmaster notify, sender notify) */
export interface DsnEvent {
  kind: 'dsn';
  qid: string;
  newQid: string;
  notice: string;
  text: string;
}

export interface SyserrEvent {
  kind: 'syserr';
  qid?: string;
  text: string;
  /** a hop count or alias loop (also a loop) */
  loop: boolean;
  code?: string;
}

/** Loops reported without SYSERR: alias/forward loops, mail looping back to this host. */
export interface LoopEvent {
  kind: 'loop';
  qid?: string;
  text: string;
}

/** `AUTH=server, relay=..., authid=..., mech=..., bits=...` or `AUTH failure (MECH): ...` */
export interface AuthEvent {
  kind: 'auth';
  qid?: string;
  ok: boolean;
  mech: string;
  relay?: string;
}

/** `STARTTLS=server, relay=..., version=..., ...` or `STARTTLS=server, error: ...` */
export interface TlsEvent {
  kind: 'tls';
  qid?: string;
  side: 'server' | 'client';
  ok: boolean;
  relay?: string;
}

/** `NOQUEUE: connect from H` (LogLevel 10 and above) */
export interface ConnectEvent {
  kind: 'connect';
  relay: string;
}

/** `starting daemon (8.17.1.9): SMTP` */
export interface DaemonStartEvent {
  kind: 'daemon-start';
  version: string;
}

/** A line sendmail writes that changes no count (queue run notes, `done;`, debug). */
export interface NoteEvent {
  kind: 'note';
}

export type SendmailEvent =
  | FromEvent
  | ToEvent
  | RulesetEvent
  | MilterEvent
  | LostInputEvent
  | IdleSessionEvent
  | CollectErrorEvent
  | DsnEvent
  | SyserrEvent
  | LoopEvent
  | AuthEvent
  | TlsEvent
  | ConnectEvent
  | DaemonStartEvent
  | NoteEvent;

/** The enhanced status code of an SMTP reply ("550 5.1.1 ..."), else class.0.0 from its code. */
export function replyCode(reply: string): string | undefined {
  const m = /^([245])\d\d(?:[ -]([245]\.\d{1,3}\.\d{1,3})\b)?/.exec(reply.trim());
  if (!m) return undefined;
  if (m[2] && m[2][0] === m[1]) return m[2];
  return m[1] === '2' ? undefined : `${m[1]}.0.0`;
}

/** "00:00:01" or "1+02:03:04" (days+hh:mm:ss) in seconds. */
export function parseDelay(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  // the common "hh:mm:ss" without a regular expression (one per delivery line)
  const n = s.length;
  if (n === 8 && s.charCodeAt(2) === 58 && s.charCodeAt(5) === 58) {
    const h = Number(s.slice(0, 2));
    const m = Number(s.slice(3, 5));
    const sec = Number(s.slice(6, 8));
    if (Number.isInteger(h) && Number.isInteger(m) && Number.isInteger(sec) && h >= 0 && m >= 0 && sec >= 0) return h * 3600 + m * 60 + sec;
  }
  const m = /^(?:(\d+)\+)?(\d+):(\d\d):(\d\d)$/.exec(s);
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

/**
 * Reads `key=value` fields from `s` in order. A value that starts with `<` runs to its
 * closing `>` (quotes and backslash escapes inside respected) and on to the next ", KEY=";
 * any other value runs to the next ", KEY=". `last` names keys whose value is the rest
 * of the line (stat=).
 */
export function readFields(s: string, last: ReadonlySet<string> = new Set()): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) break;
    if (keyEnd(s, i) !== eq) break;
    const key = s.slice(i, eq);
    let j = eq + 1;
    if (last.has(key)) {
      if (!out.has(key)) out.set(key, s.slice(j));
      break;
    }
    if (s.charCodeAt(j) === 60 /* < */) j = closeAngle(s, j);
    // to the next ", KEY=" at or after j
    let end = s.length;
    for (let k = s.indexOf(', ', j); k >= 0; k = s.indexOf(', ', k + 1)) {
      if (keyAt(s, k + 2)) {
        end = k;
        break;
      }
    }
    // the first occurrence wins: a later copy can only come from injected text
    if (!out.has(key)) out.set(key, s.slice(eq + 1, end));
    i = end + 2;
  }
  return out;
}

const isKeyChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

/** Index of the first character at or after `i` that cannot be in a key (at most 40 on). */
function keyEnd(s: string, i: number): number {
  let k = i;
  const stop = Math.min(s.length, i + 40);
  while (k < stop && isKeyChar(s.charCodeAt(k))) k++;
  return k;
}

/** Does a `KEY=` start at `i`? */
function keyAt(s: string, i: number): boolean {
  const k = keyEnd(s, i);
  return k > i && s.charCodeAt(k) === 61 /* = */;
}

/** Index just past the `>` closing the `<` at `start` (the end of `s` when unclosed). */
function closeAngle(s: string, start: number): number {
  let quoted = false;
  for (let k = start + 1; k < s.length; k++) {
    const c = s[k];
    if (c === '\\') k++;
    else if (c === '"') quoted = !quoted;
    else if (c === '>' && !quoted) return k + 1;
  }
  return s.length;
}

/** `<a>,<b>` or `a,b` -> the addresses (commas inside brackets or quotes kept). */
export function splitRecipients(v: string): string[] {
  const out: string[] = [];
  let start = 0;
  let depth = 0;
  let quoted = false;
  for (let k = 0; k < v.length; k++) {
    const c = v[k];
    if (c === '\\') k++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ',') {
      out.push(v.slice(start, k));
      start = k + 1;
    }
  }
  out.push(v.slice(start));
  return out.map((a) => a.trim()).filter((a) => a !== '');
}

const int = (v: string | undefined): number | undefined => (v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : undefined);
const NOTE: NoteEvent = { kind: 'note' };
const LAST_TO = new Set(['stat']);
const LAST_REJECT = new Set(['reject', 'quarantine']);

function fromLine(qid: string, rest: string): FromEvent | undefined {
  const f = readFields(rest);
  const size = int(f.get('size'));
  const nrcpts = int(f.get('nrcpts'));
  if (size === undefined || nrcpts === undefined) return undefined;
  return { kind: 'from', qid, from: f.get('from')!, size, nrcpts, msgid: f.get('msgid'), proto: f.get('proto'), daemon: f.get('daemon'), relay: f.get('relay') };
}

function toLine(qid: string, rest: string): ToEvent | undefined {
  // reply= holds the remote's words and comes just before stat=: everything between
  // "reply=" and the last ", stat=" is the reply, so it cannot hide fields
  let reply: string | undefined;
  let head = rest;
  const r = rest.indexOf(', reply=');
  const st = rest.lastIndexOf(', stat=');
  if (r >= 0 && st > r) {
    reply = rest.slice(r + 8, st);
    head = rest.slice(0, r) + rest.slice(st);
  }
  const f = readFields(head, LAST_TO);
  const to = f.get('to');
  const mailer = f.get('mailer');
  const stat = f.get('stat');
  if (to === undefined || mailer === undefined || stat === undefined || !/^[A-Za-z0-9_*.-]{1,64}$/.test(mailer)) return undefined;
  const dsn = f.get('dsn');
  if (dsn !== undefined && !STATUS.test(dsn)) return undefined;
  let outcome: DeliveryOutcome;
  if (dsn) outcome = dsn[0] === '2' ? 'sent' : dsn[0] === '4' ? 'deferred' : 'failed';
  else if (/^Sent\b/.test(stat)) outcome = 'sent';
  else if (/^Deferred\b/.test(stat)) outcome = 'deferred';
  else outcome = 'failed';
  return {
    kind: 'to',
    qid,
    recipients: splitRecipients(to),
    mailer,
    delay: parseDelay(f.get('delay')),
    xdelay: parseDelay(f.get('xdelay')),
    relay: f.get('relay'),
    dsn,
    reply,
    stat,
    outcome,
  };
}

function rulesetLine(qid: string | undefined, rest: string): RulesetEvent | undefined {
  const f = readFields(rest, LAST_REJECT);
  const ruleset = f.get('ruleset');
  if (!ruleset) return undefined;
  const reject = f.get('reject');
  const quarantine = f.get('quarantine');
  let action: RulesetEvent['action'];
  let reply = '';
  if (reject !== undefined) {
    action = 'reject';
    reply = reject;
  } else if (quarantine !== undefined) {
    action = 'quarantine';
    reply = quarantine;
  } else if (/, discard$/.test(rest)) action = 'discard';
  else return undefined;
  return { kind: 'ruleset', qid, ruleset, relay: f.get('relay'), action, reply, code: action === 'reject' ? replyCode(reply) : undefined };
}

function milterLine(qid: string | undefined, rest: string): MilterEvent | undefined {
  let m = /^(?:Milter: (?:[a-z]+=.*?|data|cmd=\w+|connect: .*?)|milter=([^,]+)(?:, action=\w+)?), (reject|quarantine)=(.*)$/.exec(rest);
  if (m) {
    const reply = m[3]!;
    return { kind: 'milter', qid, milter: m[1], action: m[2] === 'reject' ? (/^4/.test(reply) ? 'tempfail' : 'reject') : 'quarantine', reply, code: m[2] === 'reject' ? replyCode(reply) : undefined };
  }
  m = /^(?:Milter: (?:[a-z]+=.*?|data|cmd=\w+)|milter=([^,]+)(?:, action=\w+)?), (discard|tempfail)$/.exec(rest);
  if (m) return { kind: 'milter', qid, milter: m[1], action: m[2] as 'discard' | 'tempfail', reply: '' };
  m = /^Milter: connect: host=.*, (rejecting|temp failing) commands$/.exec(rest);
  if (m) return { kind: 'milter', qid, action: m[1] === 'rejecting' ? 'reject' : 'tempfail', reply: '', code: m[1] === 'rejecting' ? '5.7.1' : '4.7.1' };
  m = /^Milter \(([^)]+)\): (?:error connecting to filter|to error state|timeout |read returned|write\(|select\()/.exec(rest);
  if (m) return { kind: 'milter', qid, milter: m[1], action: 'error', reply: rest };
  return undefined;
}

/** One message of the MTA (the text after `IDENT[PID]: `); null when it is not understood. */
export function parseSendmailMessage(text: string): SendmailEvent | null {
  const q = QID.exec(text);
  const qid = q && q[1] !== 'NOQUEUE' ? q[1] : undefined;
  const rest = q ? text.slice(q[0].length) : text;
  if (q && qid) {
    if (rest.startsWith('from=')) return fromLine(qid, rest) ?? null;
    if (rest.startsWith('to=')) return toLine(qid, rest) ?? null;
    const d = /^([0-9A-Za-x]{8,20}): (DSN|return to sender|postmaster notify|sender notify): (.*)$/.exec(rest);
    if (d) return { kind: 'dsn', qid, newQid: d[1]!, notice: d[2]!, text: d[3]! };
  }
  if (rest.startsWith('ruleset=')) return rulesetLine(qid, rest) ?? null;
  if (rest.startsWith('Milter') || rest.startsWith('milter=')) return milterLine(qid, rest) ?? (rest.startsWith('Milter') ? NOTE : null);
  let m = /^lost input channel from (.+) to (\S+) after (\S+)$/.exec(rest);
  if (m) return { kind: 'lost-input', qid, relay: m[1]!, daemon: m[2]!, after: m[3]! };
  m = /^(.+) did not issue [A-Z/]+ during connection to (\S+)$/.exec(rest);
  if (m) return { kind: 'idle-session', qid, relay: m[1]!, daemon: m[2]! };
  if (rest.startsWith('collect: ')) return { kind: 'collect-error', qid, text: rest.slice(9) };
  m = /^SYSERR\([^)]*\): (.*)$/.exec(rest);
  if (m) {
    const t = m[1]!;
    const loop = /Too many hops|loop/i.test(t);
    const code = /^([45]\d\d) ([45]\.\d{1,3}\.\d{1,3})\b/.exec(t)?.[2] ?? (/Too many hops/.test(t) ? '5.4.6' : undefined);
    return { kind: 'syserr', qid, text: t, loop, code };
  }
  if (/aliasing\/forwarding loop|mail loops back to me/.test(rest)) return { kind: 'loop', qid, text: rest };
  m = /^AUTH=server, relay=(.*?), authid=.*, mech=([^,]+), bits=\d+$/.exec(rest);
  if (m) return { kind: 'auth', qid, ok: true, mech: m[2]!, relay: m[1] };
  m = /^AUTH failure \(([^)]*)\): .*?(?:, relay=(.*))?$/.exec(rest);
  if (m) return { kind: 'auth', qid, ok: false, mech: m[1]!, relay: m[2] };
  m = /^STARTTLS=(server|client), (.*)$/.exec(rest);
  if (m) {
    const relay = /(?:^|, )relay=(.*?)(?:, [a-z]+=|$)/.exec(m[2]!)?.[1];
    return { kind: 'tls', qid, side: m[1] as 'server' | 'client', ok: !/^error|, error|failed|verify=FAIL/.test(m[2]!), relay };
  }
  m = /^connect from (.+)$/.exec(rest);
  if (m && !qid) return { kind: 'connect', relay: m[1]! };
  m = /^starting daemon \(([^)]+)\)/.exec(rest);
  if (m) return { kind: 'daemon-start', version: m[1]! };
  if (NOTES.some((n) => rest.startsWith(n)) || /: \d+ aliases, longest \d+ bytes, \d+ bytes total$/.test(rest)) return NOTE;
  return null;
}

/** Beginnings of messages that are understood and count nothing. */
const NOTES = [
  'done; delay=', 'SMTP outgoing connect on', 'makeconnection (', 'AUTH: available mech=', 'started as: ', 'alias database ',
  'Authentication-Warning:', 'clone ', 'engine=', 'error: safesasl(', 'STARTTLS: ', 'STARTTLS ', 'AUTH=client', 'ruleset=tls_', 'tls_',
  'runqueue', 'grew WorkList', 'Warning: ', 'sender notify:', 'queueup', 'Dropped invalid comments', 'timeout waiting for input',
  'rejecting connections on daemon', 'accepting connections again', 'daemon ', 'restarting ', 'Too many open files', 'unable to qualify',
  'My unqualified host name', 'Unbalanced', 'lost input channel', 'pickhost', 'SMTP ', 'Fixed MIME', 'headers too large', 'message size',
  'ETRN ', 'User unknown', 'low on space', 'rejecting new messages', 'ERROR: ', 'rcpt: ', 'forward ', 'unable to write ',
  'discarded',
];
