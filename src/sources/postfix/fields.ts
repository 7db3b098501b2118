// Field-level parsers shared by the daemons: peers, delivery status lines (fields in any
// order, unknown fields skipped), refusals and their SMTP replies. Forward scanning only.

import { has } from '../kit/syslog.js';
import type { Client, DeliveryEvent, DeliveryStatus, RejectEvent } from './events.js';

export { has };

const STATUS = new Set<string>(['sent', 'deferred', 'bounced', 'expired', 'deliverable', 'undeliverable']);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Index of the `"` that closes the quoted string opening at i (s[i] is `"`; a backslash
 * escapes the next character), or -1 when it is not closed on this line.
 */
export function quoteEnd(s: string, i: number): number {
  const n = s.length;
  for (let k = i + 1; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c === 92 /* \\ */) k++;
    else if (c === 34) return k;
  }
  return -1;
}

/**
 * Where to look for the `>` that closes an address whose text starts at i (just after its
 * `<`): past a "..." quoted local part (`<"x>, size=9"@example>`). Postfix quotes a local
 * part with specials as a whole, so a quote can only open it; an unclosed one is ignored.
 */
export function addrFrom(s: string, i: number): number {
  if (s.charCodeAt(i) !== 34) return i;
  const q = quoteEnd(s, i);
  return q < 0 ? i : q + 1;
}

/**
 * Start of the envelope of a refusal (`; from=<a> to=<b> ...`) at or after i: the last
 * `; from=<` that is not inside a quoted local part of an address (`<"x; from=<y>"@z>`,
 * which the reply may echo and the envelope itself holds). -1 when there is none.
 */
export function envelopeAt(s: string, i: number): number {
  let found = -1;
  let quotes = true;
  for (const n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 59 /* ; */ && has(s, i, '; from=<')) {
      found = i;
      i += 6; // on to the '<'
    } else if (c === 60 /* < */ && quotes && s.charCodeAt(i + 1) === 34) {
      const q = quoteEnd(s, i + 1);
      if (q < 0) quotes = false;
      else i = q;
    }
  }
  return found;
}

let end = 0;
/** Index just after the client that parseClient last read. */
export const clientEnd = (): number => end;

/** `host[addr]`, `host[addr]:port` or `[addr]:port` starting at i. */
export function parseClient(s: string, i: number): Client | undefined {
  const lb = s.indexOf('[', i);
  if (lb < 0) return undefined;
  const rb = s.indexOf(']', lb + 1);
  if (rb < 0) return undefined;
  const client: Client = { name: s.slice(i, lb), addr: s.slice(lb + 1, rb) };
  let e = rb + 1;
  if (s.charCodeAt(e) === 58) {
    let port = 0;
    let k = e + 1;
    for (let c = s.charCodeAt(k); isDigit(c); c = s.charCodeAt(++k)) port = port * 10 + c - 48;
    if (k > e + 1) {
      client.port = port;
      e = k;
    }
  }
  end = e;
  return client;
}

/** SMTP code and enhanced status code at the start of a reply ("550 5.1.1 ...", "5.7.1 ...", "554 ..."). */
export function parseReply(reply: string, into: { smtpCode?: number; dsn?: string }): void {
  let i = 0;
  const c0 = reply.charCodeAt(0);
  if (isDigit(c0) && isDigit(reply.charCodeAt(1)) && isDigit(reply.charCodeAt(2))) {
    const sep = reply.charCodeAt(3);
    if (sep === 32 || sep === 45 || Number.isNaN(sep)) {
      into.smtpCode = (c0 - 48) * 100 + (reply.charCodeAt(1) - 48) * 10 + reply.charCodeAt(2) - 48;
      i = 4;
    }
  }
  const dsn = enhancedAt(reply, i);
  if (dsn) into.dsn = dsn;
}

/** An RFC 3463 code `c.s.d` (class 2, 4 or 5; 1-3 digits each) at i, ended by a space or the end. */
export function enhancedAt(s: string, i: number): string | undefined {
  const c = s.charCodeAt(i);
  if (c !== 50 && c !== 52 && c !== 53) return undefined;
  if (s.charCodeAt(i + 1) !== 46) return undefined;
  let k = i + 2;
  let n = 0;
  for (; isDigit(s.charCodeAt(k)); k++) n++;
  if (n < 1 || n > 3 || s.charCodeAt(k) !== 46) return undefined;
  k++;
  n = 0;
  for (; isDigit(s.charCodeAt(k)); k++) n++;
  if (n < 1 || n > 3) return undefined;
  const after = s.charCodeAt(k);
  if (!(Number.isNaN(after) || after === 32 || after === 59 || after === 44)) return undefined;
  return s.slice(i, k);
}

/**
 * `from=<a> to=<b> proto=ESMTP helo=<h>` (space or comma separated) from i: read up to
 * stop, or up to a `: ` between fields (the reply of a content check follows it), whose
 * index is returned (else stop). Addresses may have a quoted local part (addrFrom).
 */
function envelope(s: string, i: number, stop: number, ev: RejectEvent): number {
  while (i < stop) {
    let c = s.charCodeAt(i);
    while (c === 32 || c === 44) c = s.charCodeAt(++i);
    if (i >= stop) return stop;
    if (c === 58 && s.charCodeAt(i + 1) === 32) return i;
    let key: 'from' | 'to' | 'helo' | 'proto' | undefined;
    let v = i;
    if (has(s, i, 'from=<')) (key = 'from'), (v = i + 6);
    else if (has(s, i, 'to=<')) (key = 'to'), (v = i + 4);
    else if (has(s, i, 'helo=<')) (key = 'helo'), (v = i + 6);
    else if (has(s, i, 'proto=')) (key = 'proto'), (v = i + 6);
    let e: number;
    if (key && key !== 'proto') {
      e = s.indexOf('>', key === 'helo' ? v : addrFrom(s, v));
      if (e < 0 || e > stop) e = stop;
      ev[key] = s.slice(v, e);
      i = e + 1;
      continue;
    }
    e = v;
    for (c = s.charCodeAt(e); e < stop && c !== 32 && c !== 44; c = s.charCodeAt(++e));
    if (key) ev.proto = s.slice(v, e);
    i = e;
  }
  return stop;
}

/**
 * A refusal after "reject: " (or "milter-reject: ", "proxy-reject: ", "milter-header-reject: ", ...) at i:
 *   `RCPT from host[addr]: 550 5.1.1 <x>: text; from=<a> to=<b> proto=ESMTP helo=<h>` (smtpd),
 *   `RCPT from [addr]:port: 550 5.7.1 text; from=<a>, to=<b>, proto=ESMTP, helo=<h>` (postscreen),
 *   `CONNECT from [addr]:port: too many connections` (postscreen, no code),
 *   `header Subject: x from host[addr]; from=<a> to=<b> proto=ESMTP helo=<h>: 5.7.1 text` (cleanup),
 *   `mime-error invalid ... encoding domain: base64 from host[addr]; from=<a> to=<b>` (cleanup, no reply),
 *   `END-OF-MESSAGE: 554 5.7.1 text; from=<a> to=<b> ...` (proxy-reject).
 * The envelope is found past quoted local parts (envelopeAt), so an address cannot fake it.
 */
export function parseReject(s: string, i: number, qid: string | undefined, action: string): RejectEvent | undefined {
  let e = i;
  for (let c = s.charCodeAt(e); e < s.length && c !== 32 && c !== 58; c = s.charCodeAt(++e));
  if (e === i || e >= s.length) return undefined;
  const stage = s.slice(i, e);
  const ev: RejectEvent = { kind: 'reject', qid, action, stage, reply: '' };
  let r: number; // reply start
  let stop: number; // reply end (the envelope starts after "; ")
  if (has(s, e, ' from ') && stage !== 'header' && stage !== 'body') {
    const client = parseClient(s, e + 6);
    if (!client) return undefined;
    ev.client = client;
    if (s.charCodeAt(end) !== 58 || s.charCodeAt(end + 1) !== 32) return undefined;
    r = end + 2;
    stop = envelopeAt(s, r);
    if (stop < r) stop = s.lastIndexOf('; proto=');
    if (stop < r) stop = s.length;
    ev.reply = s.slice(r, stop);
    envelope(s, stop + 2, s.length, ev);
  } else if (s.charCodeAt(e) === 58 && s.charCodeAt(e + 1) === 32) {
    r = e + 2;
    stop = envelopeAt(s, r);
    if (stop < r) stop = s.length;
    ev.reply = s.slice(r, stop);
    envelope(s, stop + 2, s.length, ev);
  } else {
    // content checks: the envelope comes first, then ": " and the reply; cleanup's
    // `mime-error ... from host[addr]; from=<a> to=<b>` has no reply (the text before
    // the envelope stands for it)
    const env = envelopeAt(s, e);
    if (env < 0) return undefined;
    r = envelope(s, env + 2, s.length, ev);
    ev.reply = r < s.length ? s.slice(r + 2) : s.slice(i, env);
  }
  parseReply(ev.reply, ev);
  return ev;
}

/**
 * A delivery status line after "QID: " at i: `to=<a>, [orig_to=<b>, ]relay=..., delay=...,
 * delays=..., [tls=..., ]dsn=x.y.z, status=sent (detail)`. Fields may come in any order and
 * unknown ones are skipped; status must be last (its detail runs to the end of the line).
 */
export function parseDelivery(s: string, i: number, qid: string): DeliveryEvent | undefined {
  let to: string | undefined;
  let origTo: string | undefined;
  let relay = '';
  let dsn = '';
  let delay: number | undefined;
  let connUse: number | undefined;
  const n = s.length;
  while (i < n) {
    let e: number;
    if (has(s, i, 'to=<') || has(s, i, 'orig_to=<')) {
      const orig = s.charCodeAt(i) === 111;
      const v = i + (orig ? 9 : 4);
      e = s.indexOf('>, ', addrFrom(s, v)); // past a quoted local part: `to=<"x>, status=sent"@y>, ...`
      if (e < 0) return undefined;
      if (orig) origTo = s.slice(v, e);
      else to = s.slice(v, e);
      i = e + 3;
      continue;
    }
    if (has(s, i, 'status=')) {
      const v = i + 7;
      e = v;
      for (let c = s.charCodeAt(e); c >= 97 && c <= 122; c = s.charCodeAt(++e));
      let status = s.slice(v, e);
      if (e === v && has(s, v, 'SOFTBOUNCE')) {
        // soft_bounce=yes: a bounce turned into a deferral (its dsn is 4.x.x)
        status = 'deferred';
        e += 10;
      }
      if (!STATUS.has(status) || to === undefined) return undefined;
      let detail = '';
      if (s.charCodeAt(e) === 32 && s.charCodeAt(e + 1) === 40) {
        detail = s.slice(e + 2, s.charCodeAt(n - 1) === 41 ? n - 1 : n);
      } else if (s.charCodeAt(e) === 44 && s.charCodeAt(e + 1) === 32) {
        detail = s.slice(e + 2);
      } else if (e !== n) return undefined;
      const ev: DeliveryEvent = { kind: 'delivery', qid, to, relay, dsn, status: status as DeliveryStatus, detail };
      if (origTo !== undefined) ev.origTo = origTo;
      if (delay !== undefined) ev.delay = delay;
      if (connUse !== undefined) ev.connUse = connUse;
      return ev;
    }
    e = s.indexOf(', ', i);
    if (e < 0) return undefined;
    if (has(s, i, 'relay=')) relay = s.slice(i + 6, e);
    else if (has(s, i, 'dsn=')) dsn = s.slice(i + 4, e);
    else if (has(s, i, 'delay=')) delay = Number(s.slice(i + 6, e));
    else if (has(s, i, 'conn_use=')) connUse = Number(s.slice(i + 9, e));
    i = e + 2;
  }
  return undefined;
}

/** Does a deferral's detail say the connection to the next hop failed? */
export const isConnectFailure = (d: string): boolean =>
  d.startsWith('connect to ') ||
  d.includes('lost connection with') ||
  d.includes('Connection refused') ||
  d.includes('Connection timed out') ||
  d.includes('No route to host') ||
  d.includes('Network is unreachable') ||
  d.includes('timed out while receiving the initial server greeting');

/** The queue id after the last "queued as " in a reply, if any. */
export function queuedAs(detail: string): string | undefined {
  const k = detail.lastIndexOf('queued as ');
  if (k < 0) return undefined;
  let e = k + 10;
  for (let c = detail.charCodeAt(e); (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122); c = detail.charCodeAt(++e));
  return e > k + 10 ? detail.slice(k + 10, e) : undefined;
}
