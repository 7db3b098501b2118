// Exim's log language, one entry at a time: the timestamp (`2026-12-07 22:36:22`, with
// `.123` under +millisec, ` +0100` under log_timezone, ` [pid]` under +pid), an optional
// message id (Exim 4.96's 16 characters `1xahJm-0001i4-2x`, 4.97's 23
// `1xahJm-00000001i4-02xA`), then a two-character flag (`<=` `=>` `->` `>>` `*>` `**`
// `==`) or a sentence. Pure: no I/O, no clock; indexOf/charCodeAt on the hot path.
//
// The same text reaches us from mainlog, rejectlog and paniclog files and, when Exim logs to
// syslog, inside syslog lines (syslog-parts.ts strips that framing first).

import type { ArrivalEvent, DaemonEvent, DeliveryEvent, EximEntry, EximEvent, FailureEvent, Host, Interface, RejectEvent, RejectStage } from './events.js';
import { angleEnd, readAddress, readFields, readHost, readInterface, skipSpaces, tokenEnd, unangle } from './fields.js';

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const d2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

function isIdChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function allIdChars(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isIdChar(s.charCodeAt(i))) return false;
  return true;
}

/**
 * Length of the Exim message id at `i` (16 for 4.96 and earlier: 6-6-2 base-62 characters;
 * 23 for 4.97 and later: 6-11-4), or 0. It must end the string or be followed by a space.
 */
export function messageIdLength(s: string, i: number): number {
  if (s.charCodeAt(i + 6) !== 45 /* - */ || !allIdChars(s, i, i + 6)) return 0;
  for (const [dash, len] of [
    [13, 16],
    [18, 23],
  ] as const) {
    if (s.charCodeAt(i + dash) === 45 && (i + len === s.length || s.charCodeAt(i + len) === 32)) {
      if (allIdChars(s, i + 7, i + dash) && allIdChars(s, i + dash + 1, i + len)) return len;
    }
  }
  return 0;
}

/** Is `id` an Exim message id (either format)? */
export function isMessageId(id: string): boolean {
  return messageIdLength(id, 0) === id.length && id.length > 0;
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** When Exim made message `id` (epoch ms): its first six characters are the second, in base 62. */
export function messageIdTime(id: string): number | undefined {
  if (!isMessageId(id)) return undefined;
  let t = 0;
  for (let i = 0; i < 6; i++) t = t * 62 + B62.indexOf(id[i]!);
  return t * 1000;
}

/** Reads Exim log entries. Keeps a one-entry timestamp cache, so one parser per stream is fastest. */
export class EximLineParser {
  private lastStamp = '';
  private lastTime = 0;

  /**
   * One log line: an entry, or undefined for a line that continues the previous entry
   * (it starts without a timestamp: the second line of a warning, the header lines of a
   * rejectlog entry).
   */
  parse(line: string): EximEntry | undefined {
    const head = this.header(line);
    if (!head) {
      // a date that is no date (2026-13-45) is a bad line; anything else continues the entry before
      const dated = line.charCodeAt(4) === 45 && line.charCodeAt(7) === 45 && isDigit(line.charCodeAt(0)) && isDigit(line.charCodeAt(5));
      return dated ? { time: NaN, event: { kind: 'unparsed', text: line } } : undefined;
    }
    const { time, pid, at } = head;
    const event = parseBody(line, at);
    return pid === undefined ? { time, event } : { time, pid, event };
  }

  /** The timestamp, optional pid, and where the rest starts; undefined without a timestamp. */
  private header(s: string): { time: number; pid?: number; at: number } | undefined {
    if (s.length < 20) return undefined;
    if (
      s.charCodeAt(4) !== 45 ||
      s.charCodeAt(7) !== 45 ||
      s.charCodeAt(10) !== 32 ||
      s.charCodeAt(13) !== 58 ||
      s.charCodeAt(16) !== 58 ||
      !isDigit(s.charCodeAt(0)) ||
      !isDigit(s.charCodeAt(18))
    ) {
      return undefined;
    }
    let i = 19;
    let ms = 0;
    if (s.charCodeAt(i) === 46 /* . */) {
      let scale = 100;
      i++;
      while (isDigit(s.charCodeAt(i))) {
        ms += (s.charCodeAt(i) - 48) * scale;
        scale /= 10;
        i++;
      }
      ms = Math.round(ms);
    }
    let offset: number | undefined;
    const sign = s.charCodeAt(i + 1);
    if (s.charCodeAt(i) === 32 && (sign === 43 || sign === 45) && isDigit(s.charCodeAt(i + 2)) && isDigit(s.charCodeAt(i + 5))) {
      const mins = d2(s, i + 2) * 60 + d2(s, i + 4);
      offset = sign === 43 ? mins : -mins;
      i += 6;
    }
    const stampKey = offset === undefined ? s.slice(0, 19) : s.slice(0, 19) + offset;
    let base: number;
    if (stampKey === this.lastStamp) base = this.lastTime;
    else {
      const y = d2(s, 0) * 100 + d2(s, 2);
      const mo = d2(s, 5) - 1;
      const d = d2(s, 8);
      const h = d2(s, 11);
      const mi = d2(s, 14);
      const sec = d2(s, 17);
      if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || !isDigit(s.charCodeAt(2)) || !isDigit(s.charCodeAt(6)) || !isDigit(s.charCodeAt(9)) || !isDigit(s.charCodeAt(12)) || !isDigit(s.charCodeAt(15))) {
        return undefined;
      }
      base = offset === undefined ? new Date(y, mo, d, h, mi, sec).getTime() : Date.UTC(y, mo, d, h, mi, sec) - offset * 60000;
      if (!Number.isFinite(base)) return undefined;
      this.lastStamp = stampKey;
      this.lastTime = base;
    }
    let pid: number | undefined;
    if (s.charCodeAt(i) === 32 && s.charCodeAt(i + 1) === 91 /* [ */) {
      const close = s.indexOf(']', i + 2);
      if (close > i + 2 && close < i + 14) {
        const n = Number(s.slice(i + 2, close));
        if (Number.isInteger(n)) {
          pid = n;
          i = close + 1;
        }
      }
    }
    if (s.charCodeAt(i) !== 32) return undefined;
    return { time: base + ms, pid, at: i + 1 };
  }
}

/** The event of the text that starts at `at` (after the timestamp and pid). */
export function parseBody(s: string, at: number): EximEvent {
  const idLen = messageIdLength(s, at);
  if (idLen > 0) return messageLine(s, s.slice(at, at + idLen), at + idLen + 1);
  return generalLine(s, at);
}

function messageLine(s: string, id: string, p: number): EximEvent {
  const a = s.charCodeAt(p);
  const b = s.charCodeAt(p + 1);
  if (s.charCodeAt(p + 2) === 32) {
    if (a === 60 /* < */ && b === 61 /* = */) return arrival(s, id, p + 3);
    if (b === 62 /* > */ && (a === 61 || a === 45 || a === 62 || a === 42)) return delivery(s, id, s.slice(p, p + 2) as '=>', p + 3);
    if ((a === 42 && b === 42) || (a === 61 && b === 61)) return failure(s, id, a === 61, p + 3);
  }
  if (s.startsWith('Completed', p) && (p + 9 === s.length || s.charCodeAt(p + 9) === 32)) return { kind: 'completed', id };
  if (s.startsWith('Frozen', p) || s.startsWith('frozen by ', p) || s.endsWith('(frozen)')) return { kind: 'frozen', id };
  if (s.startsWith('Message is frozen', p)) return { kind: 'frozen', id, still: true };
  if (s.startsWith('Unfrozen by ', p) || s.startsWith('unfrozen by ', p)) return { kind: 'thawed', id };
  if (s.startsWith('removed by ', p)) return { kind: 'removed', id, by: s.slice(p + 11) };
  if (s.startsWith('H=', p)) {
    const r = hostLine(s, p, id);
    if (r && r.kind === 'reject') return r;
  }
  if (s.startsWith('SMTP data timeout (message abandoned) on connection from ', p)) {
    const h = connectionHost(s, p + 57);
    if (h) return h.iface ? { kind: 'disconnect', how: 'timeout', host: h.host, iface: h.iface, id } : { kind: 'disconnect', how: 'timeout', host: h.host, id };
  }
  if (s.startsWith('rejected from <', p)) return rejectedFrom(s, p, id);
  return { kind: 'message-note', id, text: s.slice(p) };
}

/** `<= sender [R=id] [H=...] [I=...] [U=...] P=proto ... S=size ... [for rcpt...]`. */
function arrival(s: string, id: string, p: number): EximEvent {
  const a = readAddress(s, p);
  const f = readFields(s, a.end);
  if (f.S === undefined || f.P === undefined) return { kind: 'unparsed', text: s };
  const ev: ArrivalEvent = { kind: 'arrival', id, sender: a.address === '<>' ? '' : a.address, protocol: f.P, size: f.S };
  if (f.R !== undefined) ev.bounceOf = f.R;
  if (f.host) ev.host = f.host;
  if (f.iface) ev.iface = f.iface;
  if (f.U !== undefined) ev.user = f.U;
  if (f.A !== undefined) ev.auth = f.A;
  if (f.recipients) ev.recipients = f.recipients;
  return ev;
}

/** `=> addr [(parent)] [<original>] [F=<>] [P=<>] R=router T=transport [S=n] [H=...] ...`. */
function delivery(s: string, id: string, flag: '=>' | '->' | '>>' | '*>', p: number): EximEvent {
  const a = readAddress(s, p);
  let j = skipSpaces(s, a.end);
  let original: string | undefined;
  // `(parent)` then `<original>`, each when it differs from the address before it
  while (j < s.length && (s.charCodeAt(j) === 40 || s.charCodeAt(j) === 60)) {
    if (s.charCodeAt(j) === 60) {
      const e = angleEnd(s, j);
      original = s.slice(j + 1, e - 1);
      j = e;
    } else {
      const close = s.indexOf(')', j);
      j = close < 0 ? s.length : close + 1;
    }
    j = skipSpaces(s, j);
  }
  const f = readFields(s, j);
  // a delivery has no failure text: a final ':' belongs to the address (`:blackhole:`)
  const ev: DeliveryEvent = { kind: 'delivery', id, flag, address: a.colon ? `${a.address}:` : a.address };
  if (original !== undefined) ev.original = original;
  if (f.R !== undefined) ev.router = f.R;
  if (f.T !== undefined) ev.transport = f.T;
  if (f.host) ev.host = f.host;
  if (f.S !== undefined) ev.size = f.S;
  return ev;
}

/** `** addr [<original>] [R=r] [T=t] [H=...]: text`, `== addr R=r T=t defer (N) [H=...]: text`. */
function failure(s: string, id: string, deferred: boolean, p: number): EximEvent {
  const a = readAddress(s, p);
  let original: string | undefined;
  let j = skipSpaces(s, a.end);
  let text: string | undefined;
  if (a.colon) text = s.slice(j);
  else {
    while (j < s.length && (s.charCodeAt(j) === 40 || s.charCodeAt(j) === 60)) {
      if (s.charCodeAt(j) === 60) {
        const e = angleEnd(s, j);
        original = s.slice(j + 1, e - 1);
        j = e;
        if (s.charCodeAt(j) === 58 /* : */) {
          text = s.slice(skipSpaces(s, j + 1));
          break;
        }
      } else {
        const close = s.indexOf(')', j);
        j = close < 0 ? s.length : close + 1;
      }
      j = skipSpaces(s, j);
    }
  }
  const f = text === undefined ? readFields(s, j) : { text };
  const ev: FailureEvent = { kind: 'failure', id, deferred, address: a.address, reason: trimDT(f.text ?? '') };
  if (original !== undefined) ev.original = original;
  if ('R' in f && f.R !== undefined) ev.router = f.R;
  if ('T' in f && f.T !== undefined) ev.transport = f.T;
  if ('host' in f && f.host) ev.host = f.host;
  if ('errno' in f && f.errno !== undefined) ev.errno = f.errno;
  if ('routing' in f && f.routing) ev.routing = true;
  return ev;
}

function trimDT(t: string): string {
  const sp = t.lastIndexOf(' DT=');
  return sp >= 0 && t.indexOf(' ', sp + 1) < 0 && isDigit(t.charCodeAt(sp + 4)) ? t.slice(0, sp) : t;
}

/** `rejected from <sender> H=...: why` (receive.c: a message refused while it was read). */
function rejectedFrom(s: string, p: number, id?: string): EximEvent {
  const e = angleEnd(s, p + 14);
  const f = readFields(s, e);
  const ev: RejectEvent = { kind: 'reject', stage: 'data', temporary: false, sender: unangle(s.slice(p + 14, e)), reason: f.text ?? '' };
  if (f.host) ev.host = f.host;
  if (f.iface) ev.iface = f.iface;
  if (id) ev.id = id;
  return ev;
}

/**
 * Lines that start with H= (a client): `H=... [I=...] [U=...] [F=<...>] [temporarily ]rejected
 * RCPT <a>: why`, `... rejected MAIL <s>: why`, `... rejected after DATA: why`, `... rejected
 * connection in "connect" ACL`; other H= lines (incomplete transaction, sender verify
 * failures) are information.
 */
function hostLine(s: string, p: number, id?: string): EximEvent | undefined {
  const h = readHost(s, p + 2);
  if (!h) return undefined;
  let j = skipSpaces(s, h.end);
  let iface: Interface | undefined;
  let sender: string | undefined;
  for (;;) {
    if (s.startsWith('I=', j)) {
      const r = readInterface(s, j + 2);
      if (!r) break;
      iface = r.iface;
      j = skipSpaces(s, r.end);
    } else if (s.startsWith('F=<', j)) {
      const e = angleEnd(s, j + 2);
      sender = s.slice(j + 3, e - 1);
      j = skipSpaces(s, e);
    } else if (s.startsWith('U=', j) || s.startsWith('P=', j)) {
      j = skipSpaces(s, tokenEnd(s, j));
    } else break;
  }
  let temporary = false;
  if (s.startsWith('temporarily ', j)) {
    temporary = true;
    j += 12;
  }
  if (!s.startsWith('rejected ', j)) return { kind: 'info', what: 'client' };
  j += 9;
  let stage: RejectStage = 'other';
  let recipient: string | undefined;
  let reason: string;
  if (s.startsWith('RCPT ', j) || s.startsWith('MAIL ', j)) {
    stage = s.charCodeAt(j) === 82 ? 'rcpt' : 'mail';
    const a = readAddress(s, j + 5);
    const addr = unangle(a.address);
    if (stage === 'rcpt') recipient = addr;
    else sender ??= addr;
    reason = a.colon ? s.slice(skipSpaces(s, a.end)) : afterColon(s, a.end);
  } else if (s.startsWith('after DATA', j) || s.startsWith('DATA', j)) {
    stage = 'data';
    reason = afterColon(s, j);
  } else if (s.startsWith('connection', j)) {
    stage = 'connect';
    reason = afterColon(s, j) || s.slice(j);
  } else reason = afterColon(s, j) || s.slice(j);
  const ev: RejectEvent = { kind: 'reject', stage, temporary, host: h.host, reason };
  if (iface) ev.iface = iface;
  if (sender !== undefined) ev.sender = sender;
  if (recipient !== undefined) ev.recipient = recipient;
  if (id) ev.id = id;
  return ev;
}

/** The text after the first `: ` at or after `i` ('' when none). */
function afterColon(s: string, i: number): string {
  const c = s.indexOf(': ', i);
  return c < 0 ? '' : s.slice(c + 2);
}

/** `[name ](helo) [addr]:port I=[addr]:port` after "connection from " and similar; the rest after it. */
function connectionHost(s: string, i: number): { host: Host; iface?: Interface; end: number } | undefined {
  const h = readHost(s, i);
  if (!h) return undefined;
  let j = skipSpaces(s, h.end);
  let iface: Interface | undefined;
  if (s.startsWith('I=', j)) {
    const r = readInterface(s, j + 2);
    if (r) {
      iface = r.iface;
      j = r.end;
    }
  }
  return iface ? { host: h.host, iface, end: j } : { host: h.host, end: j };
}

/** Entries without a message id. */
function generalLine(s: string, p: number): EximEvent {
  const c = s.charCodeAt(p);
  if (c === 83 /* S */) {
    if (s.startsWith('SMTP connection from ', p)) return smtpConnection(s, p + 21);
    if (s.startsWith('SMTP command timeout on connection from ', p)) return closeLine(s, p + 40, 'timeout');
    if (s.startsWith('SMTP data timeout (message abandoned) on connection from ', p)) return closeLine(s, p + 57, 'timeout');
    if (s.startsWith('SMTP call from ', p) && s.includes(' dropped: ', p)) return closeLine(s, p + 15, 'dropped');
    if (s.startsWith('SMTP syntax error', p) || s.startsWith('SMTP protocol error', p)) return { kind: 'info', what: 'smtp error' };
    if (s.startsWith('SMTP protocol synchronization error', p)) return { kind: 'info', what: 'synchronization error' };
    if (s.startsWith('Start queue run: pid=', p)) return queueRun(s, p + 21, true);
  }
  if (s.startsWith('End queue run: pid=', p)) return queueRun(s, p + 19, false);
  if (s.startsWith('H=', p)) return hostLine(s, p) ?? { kind: 'unparsed', text: s };
  if (s.startsWith('unexpected disconnection while reading SMTP command from ', p)) return closeLine(s, p + 57, 'lost');
  if (s.startsWith('rejected EHLO from ', p) || s.startsWith('rejected HELO from ', p)) return heloReject(s, p + 19);
  if (s.startsWith('rejected from <', p)) return rejectedFrom(s, p);
  if (s.startsWith('Connection from ', p) && s.includes(' refused', p)) {
    const h = readBracketHost(s, p + 16);
    if (h) return { kind: 'reject', stage: 'connect', temporary: true, host: h, reason: afterColon(s, p) || 'refused' };
  }
  if (s.startsWith('refused connection from ', p)) {
    const h = connectionHost(s, p + 24);
    if (h) return { kind: 'reject', stage: 'connect', temporary: false, host: h.host, reason: afterColon(s, h.end) };
  }
  const auth = s.indexOf(' authenticator failed for ', p);
  if (auth > p && auth < p + 64 && s.indexOf(' ', p) === auth) return authFailure(s, auth + 26);
  if (s.startsWith('exim ', p) && s.includes(' daemon started: pid=', p)) return daemonLine(s, p);
  if (s.startsWith('no MAIL in SMTP connection from ', p) || s.startsWith('cwd=', p) || s.startsWith('Warning: ', p)) {
    return { kind: 'info', what: s.slice(p, s.indexOf(' ', p)) };
  }
  return { kind: 'unparsed', text: s };
}

/** `[addr]` or `[addr]:port` as a host without names. */
function readBracketHost(s: string, i: number): Host | undefined {
  const h = readHost(s, i);
  return h?.host;
}

/** After "SMTP connection from ": an opening (`(TCP/IP connection count = N)`) or a close. */
function smtpConnection(s: string, i: number): EximEvent {
  const h = connectionHost(s, i);
  if (!h) return { kind: 'info', what: 'local smtp' }; // `SMTP connection from root` (-bs)
  const rest = s.slice(skipSpaces(s, h.end));
  const base = h.iface ? { host: h.host, iface: h.iface } : { host: h.host };
  if (rest.startsWith('(TCP/IP connection count')) return { kind: 'connect', ...base };
  if (rest.startsWith('closed by QUIT')) return { kind: 'disconnect', how: 'quit', ...base };
  if (rest.startsWith('closed by DROP')) return { kind: 'disconnect', how: 'drop', ...base };
  if (rest.startsWith('lost') || rest.startsWith('closed')) return { kind: 'disconnect', how: 'lost', ...base };
  return { kind: 'unparsed', text: s };
}

function closeLine(s: string, i: number, how: 'timeout' | 'lost' | 'dropped'): EximEvent {
  const h = connectionHost(s, i);
  if (!h) return { kind: 'unparsed', text: s };
  return h.iface ? { kind: 'disconnect', how, host: h.host, iface: h.iface } : { kind: 'disconnect', how, host: h.host };
}

/** `rejected EHLO from [addr]:port I=[addr]:port: why`. */
function heloReject(s: string, i: number): EximEvent {
  const h = connectionHost(s, i);
  if (!h) return { kind: 'unparsed', text: s };
  const ev: RejectEvent = { kind: 'reject', stage: 'helo', temporary: false, host: h.host, reason: afterColon(s, h.end) };
  if (h.iface) ev.iface = h.iface;
  return ev;
}

/** `NAME authenticator failed for (helo) [addr]:port I=[addr]:port: 535 Incorrect authentication data (set_id=u)`. */
function authFailure(s: string, i: number): EximEvent {
  const h = connectionHost(s, i);
  if (!h) return { kind: 'unparsed', text: s };
  const reason = afterColon(s, h.end);
  const code = isDigit(reason.charCodeAt(0)) && reason.charCodeAt(3) === 32 ? Number(reason.slice(0, 3)) : undefined;
  const ev: RejectEvent = { kind: 'reject', stage: 'auth', temporary: code !== undefined && code < 500, host: h.host, reason };
  if (h.iface) ev.iface = h.iface;
  if (code !== undefined) ev.code = code;
  return ev;
}

/** `exim 4.96 daemon started: pid=123, -q30m, listening for SMTP on ...`. */
function daemonLine(s: string, p: number): EximEvent {
  const sp = s.indexOf(' ', p + 5);
  const version = s.slice(p + 5, sp);
  const pidAt = s.indexOf('pid=', sp) + 4;
  const pid = Number(s.slice(pidAt, tokenEnd(s, pidAt)).replace(/,$/, ''));
  const q = / -q[a-zA-Z]*?(\d[0-9smhdw]*)[,\s]/.exec(s.slice(pidAt));
  const ev: DaemonEvent = { kind: 'daemon', version, pid: Number.isInteger(pid) ? pid : 0 };
  if (q) {
    const secs = eximSeconds(q[1]!);
    if (secs > 0) ev.queueInterval = secs;
  }
  return ev;
}

/** Exim's time intervals: `30m`, `1h30m`, `2d`, `45s`, `1w`; a bare number is seconds. */
export function eximSeconds(t: string): number {
  let total = 0;
  let n = 0;
  let any = false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (isDigit(c)) {
      n = n * 10 + c - 48;
      any = true;
      continue;
    }
    const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[t[i]!];
    if (unit === undefined) return 0;
    total += n * unit;
    n = 0;
  }
  return any ? total + n : 0;
}

function queueRun(s: string, i: number, start: boolean): EximEvent {
  const e = tokenEnd(s, i);
  const pid = Number(s.slice(i, e));
  return { kind: 'queue-run', start, pid: Number.isInteger(pid) ? pid : 0, args: s.slice(skipSpaces(s, e)) };
}
