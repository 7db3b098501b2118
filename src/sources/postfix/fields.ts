// Field-level parsers shared by the daemons: peers, delivery status lines (fields in any
// order, unknown fields skipped), refusals and their SMTP replies. Forward scanning only.

import type { Client, DeliveryEvent, DeliveryStatus, RejectEvent } from './events.js';

const STATUS = new Set<string>(['sent', 'deferred', 'bounced', 'expired', 'deliverable', 'undeliverable']);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** `lit` at s[i...]: like s.startsWith(lit, i), but inlined by V8 (several times faster on hot paths). */
export function has(s: string, i: number, lit: string): boolean {
  const n = lit.length;
  if (i + n > s.length) return false;
  for (let k = 0; k < n; k++) if (s.charCodeAt(i + k) !== lit.charCodeAt(k)) return false;
  return true;
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

/** `from=<a> to=<b> proto=ESMTP helo=<h>` (space or comma separated) between i and stop. */
function envelope(s: string, i: number, stop: number, ev: RejectEvent): void {
  while (i < stop) {
    let c = s.charCodeAt(i);
    while (c === 32 || c === 44) c = s.charCodeAt(++i);
    if (i >= stop) return;
    let key: 'from' | 'to' | 'helo' | 'proto' | undefined;
    let v = i;
    if (has(s, i, 'from=<')) (key = 'from'), (v = i + 6);
    else if (has(s, i, 'to=<')) (key = 'to'), (v = i + 4);
    else if (has(s, i, 'helo=<')) (key = 'helo'), (v = i + 6);
    else if (has(s, i, 'proto=')) (key = 'proto'), (v = i + 6);
    let e: number;
    if (key && key !== 'proto') {
      e = s.indexOf('>', v);
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
}

/**
 * A refusal after "reject: " (or "milter-reject: ", "proxy-reject: ") at i:
 *   `RCPT from host[addr]: 550 5.1.1 <x>: text; from=<a> to=<b> proto=ESMTP helo=<h>` (smtpd),
 *   `RCPT from [addr]:port: 550 5.7.1 text; from=<a>, to=<b>, proto=ESMTP, helo=<h>` (postscreen),
 *   `CONNECT from [addr]:port: too many connections` (postscreen, no code),
 *   `header Subject: x from host[addr]; from=<a> to=<b> proto=ESMTP helo=<h>: 5.7.1 text` (cleanup),
 *   `END-OF-MESSAGE: 554 5.7.1 text; from=<a> to=<b> ...` (proxy-reject).
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
    stop = s.lastIndexOf('; from=<');
    if (stop < r) stop = s.lastIndexOf('; proto=');
    if (stop < r) stop = s.length;
    ev.reply = s.slice(r, stop);
    envelope(s, stop + 2, s.length, ev);
  } else if (s.charCodeAt(e) === 58 && s.charCodeAt(e + 1) === 32) {
    r = e + 2;
    stop = s.lastIndexOf('; from=<');
    if (stop < r) stop = s.length;
    ev.reply = s.slice(r, stop);
    envelope(s, stop + 2, s.length, ev);
  } else {
    // content checks: the envelope comes first, then ": " and the reply
    const env = s.indexOf('; from=<', e);
    if (env < 0) return undefined;
    r = env;
    for (;;) {
      r = s.indexOf(': ', r + 1);
      if (r < 0) return undefined;
      const c = s.charCodeAt(r + 2);
      if (c === 52 || c === 53) break;
    }
    ev.reply = s.slice(r + 2);
    envelope(s, env + 2, r, ev);
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
      e = s.indexOf('>, ', v);
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
      const status = s.slice(v, e);
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
