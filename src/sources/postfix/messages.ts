// The message text of a Postfix line (after "program[pid]: ") as an event, by daemon.
// Plain startsWith/indexOf scanning, no regular expressions: every step moves forward,
// so a line costs O(its length) whatever it contains.

import type { CommandStats, DeliveryEvent, PostfixEvent } from './events.js';
import { addrFrom, clientEnd, has, parseClient, parseDelivery, parseReject } from './fields.js';

const SEVERITIES = ['warning', 'error', 'fatal', 'panic'] as const;

const unparsed = (text: string): PostfixEvent => ({ kind: 'unparsed', text });
const info = (text: string): PostfixEvent => ({ kind: 'info', text });

/** Daemons whose lines carry nothing to count: every line of theirs is 'info'. */
const QUIET = new Set([
  'anvil', 'scache', 'tlsmgr', 'postfix-script', 'trivial-rewrite', 'verify', 'proxymap', 'dnsblog',
  'tlsproxy', 'postlogd', 'postlog', 'sendmail', 'postdrop', 'postqueue', 'showq', 'flush', 'spawn',
  'postmap', 'postalias', 'postconf', 'postmulti', 'oqmgr-helper', 'lmtp-helper',
]);

/** Actions of access tables, header/body checks and milters that do not refuse anything. */
const ACTIONS = [
  'reject_warning', 'warn', 'warning', 'hold', 'discard', 'filter', 'redirect', 'info', 'prepend', 'replace',
  'bcc', 'milter-hold', 'milter-discard', 'proxy-accept', 'milter-replace',
];
const REJECTS = ['reject', 'milter-reject', 'proxy-reject', 'milter-header-reject', 'milter-body-reject'];

/** `word: ` at i, one of `words`; returns the word, or undefined. */
function wordAt(s: string, i: number, words: readonly string[]): string | undefined {
  for (const w of words) if (has(s, i, w) && s.charCodeAt(i + w.length) === 58 && s.charCodeAt(i + w.length + 1) === 32) return w;
  return undefined;
}

/**
 * End of a queue id at the start of s (`7935E164088`, a long id `4Y2Qx62Zq1zJrP2`, or
 * `NOQUEUE`), i.e. the index of the ": " after it; -1 when s does not start with one.
 */
export function qidEnd(s: string): number {
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) break;
  }
  return i >= 5 && s.charCodeAt(i) === 58 && s.charCodeAt(i + 1) === 32 ? i : -1;
}

/** The per-command counts of a disconnect line's `commands` text ("ehlo=1 rcpt=0/1 ... commands=2/4"). */
export function commandStats(s: string, i = 0): CommandStats {
  const stats: CommandStats = {};
  while (i < s.length) {
    while (s.charCodeAt(i) === 32) i++;
    const eq = s.indexOf('=', i);
    if (eq < 0) break;
    let sp = s.indexOf(' ', eq);
    if (sp < 0) sp = s.length;
    const v = s.slice(eq + 1, sp);
    const slash = v.indexOf('/');
    const ok = Number(slash < 0 ? v : v.slice(0, slash));
    const total = slash < 0 ? ok : Number(v.slice(slash + 1));
    if (Number.isFinite(ok) && Number.isFinite(total)) stats[s.slice(i, eq)] = { ok, total };
    i = sp + 1;
  }
  return stats;
}

/** `lost connection after X[ (N bytes)] from host[addr]` / `timeout after X from ...` at i. */
function lost(s: string, i: number, qid: string | undefined): PostfixEvent | undefined {
  let how: 'lost connection' | 'timeout';
  if (has(s, i, 'lost connection after ')) {
    how = 'lost connection';
    i += 22;
  } else if (has(s, i, 'timeout after ')) {
    how = 'timeout';
    i += 14;
  } else return undefined;
  const sp = s.indexOf(' ', i);
  const from = s.indexOf(' from ', i);
  if (sp < 0 || from < 0) return undefined;
  const client = parseClient(s, from + 6);
  if (!client) return undefined;
  return { kind: 'lost', qid, how, after: s.slice(i, sp), client };
}

/** The part of a line after "QID: " (or "NOQUEUE: ") that refuses or acts on mail. */
function policy(s: string, i: number, qid: string | undefined): PostfixEvent | undefined {
  const r = wordAt(s, i, REJECTS);
  if (r) return parseReject(s, i + r.length + 2, qid, r) ?? unparsed(s);
  const a = wordAt(s, i, ACTIONS);
  if (a) return { kind: 'action', qid, action: a, text: s.slice(i + a.length + 2) };
  return undefined;
}

function smtpd(s: string): PostfixEvent {
  if (has(s, 0, 'connect from ')) {
    const client = parseClient(s, 13);
    return client ? { kind: 'connect', client } : unparsed(s);
  }
  if (has(s, 0, 'disconnect from ')) {
    const client = parseClient(s, 16);
    if (!client) return unparsed(s);
    const e = clientEnd();
    return { kind: 'disconnect', client, commands: s.charCodeAt(e) === 32 ? s.slice(e + 1) : '' };
  }
  const q = qidEnd(s);
  if (q < 0) return lost(s, 0, undefined) ?? (SMTPD_NOTES.some((p) => has(s, 0, p)) ? info(s) : unparsed(s));
  const qid = q === 7 && has(s, 0, 'NOQUEUE') ? undefined : s.slice(0, q);
  const i = q + 2;
  if (qid && has(s, i, 'client=')) {
    const client = parseClient(s, i + 7);
    return client ? { kind: 'client', qid, client } : unparsed(s);
  }
  return policy(s, i, qid) ?? lost(s, i, qid) ?? unparsed(s);
}
const SMTPD_NOTES = [
  'Anonymous TLS connection', 'Trusted TLS connection', 'Untrusted TLS connection', 'Verified TLS connection',
  'SSL_accept error', 'too many errors after', 'improper command pipelining', 'discarding EHLO keywords',
  'setting up TLS connection', 'TLS connection established', 'non-SMTP command from', 'NOQUEUE: client=',
  'connect to ', 'disconnect: ', 'SASL ', 'Disconnect',
];

const SCREEN_NOTES = [
  'PREGREET', 'HANGUP', 'COMMAND PIPELINING', 'NON-SMTP COMMAND', 'BARE NEWLINE', 'COMMAND TIME LIMIT',
  'COMMAND COUNT LIMIT', 'COMMAND LENGTH LIMIT', 'BLACKLISTED', 'DENYLISTED', 'WHITELIST VETO', 'ALLOWLIST VETO',
];
const SCREEN_ENDS = ['DISCONNECT', 'PASS NEW', 'PASS OLD', 'WHITELISTED', 'ALLOWLISTED'];

function postscreen(s: string): PostfixEvent {
  if (has(s, 0, 'CONNECT from ')) {
    const client = parseClient(s, 13);
    if (!client) return unparsed(s);
    const e = clientEnd();
    const server = has(s, e, ' to ') ? parseClient(s, e + 4) : undefined;
    return { kind: 'screen-connect', client, server };
  }
  for (const v of SCREEN_ENDS) {
    if (has(s, 0, v) && s.charCodeAt(v.length) === 32 && s.charCodeAt(v.length + 1) === 91) {
      const client = parseClient(s, v.length + 1);
      return client ? { kind: 'screen-end', client, verdict: v } : unparsed(s);
    }
  }
  if (has(s, 0, 'DNSBL rank ')) {
    const sp = s.indexOf(' ', 11);
    const lb = s.indexOf(' [', 11);
    const client = lb < 0 ? undefined : parseClient(s, lb + 1);
    return client ? { kind: 'screen-note', client, what: 'DNSBL', rank: Number(s.slice(11, sp)) } : unparsed(s);
  }
  for (const w of SCREEN_NOTES) {
    if (has(s, 0, w)) {
      const lb = s.indexOf('[');
      const client = lb < 0 ? undefined : parseClient(s, lb);
      return client ? { kind: 'screen-note', client, what: w } : unparsed(s);
    }
  }
  if (has(s, 0, 'NOQUEUE: ')) return policy(s, 9, undefined) ?? unparsed(s);
  if (has(s, 0, 'cache ') || has(s, 0, 'dnsbl_') || has(s, 0, 'postscreen_')) return info(s);
  return unparsed(s);
}

function cleanup(s: string): PostfixEvent {
  const q = qidEnd(s);
  if (q < 0) return unparsed(s);
  const qid = s.slice(0, q);
  const i = q + 2;
  if (has(s, i, 'message-id=')) {
    const b = i + 11;
    const bracketed = s.charCodeAt(b) === 60 && s.charCodeAt(s.length - 1) === 62;
    return { kind: 'message-id', qid, messageId: bracketed ? s.slice(b + 1, s.length - 1) : s.slice(b) };
  }
  if (has(s, i, 'resent-message-id=')) return info(s);
  return policy(s, i, qid) ?? unparsed(s);
}

function qmgr(s: string): PostfixEvent {
  const q = qidEnd(s);
  if (q < 0) return unparsed(s);
  const qid = s.slice(0, q);
  const i = q + 2;
  if (has(s, i, 'from=<')) {
    const gt = s.indexOf('>, ', addrFrom(s, i + 6)); // past a quoted local part: `from=<"x>, size=1"@y>, size=...`
    if (gt < 0) return unparsed(s);
    const from = s.slice(i + 6, gt);
    let k = gt + 3;
    // postsuper -e / -f: `status=force-expired, returned to sender`
    if (has(s, k, 'status=expired') || has(s, k, 'status=force-expired')) return { kind: 'expired', qid, from };
    if (!has(s, k, 'size=')) return unparsed(s);
    k += 5;
    let size = 0;
    let c = s.charCodeAt(k);
    if (!(c >= 48 && c <= 57)) return unparsed(s);
    for (; c >= 48 && c <= 57; c = s.charCodeAt(++k)) size = size * 10 + c - 48;
    if (!has(s, k, ', nrcpt=')) return unparsed(s);
    k += 8;
    let nrcpt = 0;
    c = s.charCodeAt(k);
    if (!(c >= 48 && c <= 57)) return unparsed(s);
    for (; c >= 48 && c <= 57; c = s.charCodeAt(++k)) nrcpt = nrcpt * 10 + c - 48;
    return { kind: 'queued', qid, from, size, nrcpt };
  }
  if (has(s, i, 'removed') && s.length === i + 7) return { kind: 'removed', qid };
  if (has(s, i, 'to=<')) return delivery(s, qid, i);
  if (has(s, i, 'skipped, still being delivered')) return info(s);
  return unparsed(s);
}

function delivery(s: string, qid: string, i: number): PostfixEvent {
  const d: DeliveryEvent | undefined = parseDelivery(s, i, qid);
  return d ?? unparsed(s);
}

/** smtp, lmtp, local, virtual, pipe, error, discard. */
function agent(s: string): PostfixEvent {
  const q = qidEnd(s);
  if (q < 0) return AGENT_NOTES.some((p) => has(s, 0, p)) ? info(s) : unparsed(s);
  const i = q + 2;
  if (has(s, i, 'to=<')) return delivery(s, s.slice(0, q), i);
  // "QID: host x[y] said: ...", "QID: lost connection with ...", "QID: enabling PIX workarounds", ...
  return info(s);
}
const AGENT_NOTES = [
  'connect to ', 'Anonymous TLS connection', 'Trusted TLS connection', 'Untrusted TLS connection',
  'Verified TLS connection', 'SSL_connect error', 'TLS ', 'server certificate', 'certificate verification',
  'host ', 'network address conversion failed',
];

function pickup(s: string): PostfixEvent {
  const q = qidEnd(s);
  if (q < 0) return unparsed(s);
  const i = q + 2;
  if (!has(s, i, 'uid=')) return unparsed(s);
  let k = i + 4;
  let uid = 0;
  for (let c = s.charCodeAt(k); c >= 48 && c <= 57; c = s.charCodeAt(++k)) uid = uid * 10 + c - 48;
  if (k === i + 4 || !has(s, k, ' from=<')) return unparsed(s);
  // `postsuper -r`: `uid=N from=<s> orig_id=OLDQID`, the id ending the line (a sender that
  // holds "> orig_id=X" is followed by the ">" Postfix adds, so it cannot fake one)
  const o = s.lastIndexOf('> orig_id=');
  if (o > k && qidEnd(`${s.slice(o + 10)}: `) === s.length - o - 10) {
    return { kind: 'pickup', qid: s.slice(0, q), uid, from: s.slice(k + 7, o), origId: s.slice(o + 10) };
  }
  const gt = s.lastIndexOf('>');
  return { kind: 'pickup', qid: s.slice(0, q), uid, from: s.slice(k + 7, gt > k ? gt : s.length) };
}

function bounce(s: string): PostfixEvent {
  const q = qidEnd(s);
  if (q < 0) return unparsed(s);
  const n = s.lastIndexOf(' notification: ');
  if (n < 0) return unparsed(s);
  const newQid = s.slice(n + 15);
  if (qidEnd(newQid + ': ') !== newQid.length) return unparsed(s);
  return { kind: 'notification', qid: s.slice(0, q), what: s.slice(q + 2, n + 13), newQid };
}

function master(s: string): PostfixEvent {
  const started = has(s, 0, 'daemon started -- version ');
  if (started || has(s, 0, 'reload -- version ')) {
    const v = started ? 26 : 18;
    const comma = s.indexOf(', configuration ', v);
    return {
      kind: 'master-start',
      version: s.slice(v, comma < 0 ? s.length : comma),
      config: comma < 0 ? undefined : s.slice(comma + 16),
      reload: !started,
    };
  }
  if (has(s, 0, 'terminating on signal')) {
    const n = Number(s.slice(22));
    return { kind: 'master-stop', signal: Number.isInteger(n) && s.length > 22 ? n : undefined };
  }
  return unparsed(s);
}

function postsuper(s: string): PostfixEvent {
  const q = qidEnd(s);
  if (q < 0) return info(s);
  if (has(s, q + 2, 'removed') && s.length === q + 9) return { kind: 'removed', qid: s.slice(0, q) };
  // postsuper -h / -H: the message waits in the hold queue (an 'action' like cleanup's `hold:`)
  if (has(s, q + 2, 'placed on hold') && s.length === q + 16) return { kind: 'action', qid: s.slice(0, q), action: 'hold', text: s.slice(q + 2) };
  if (has(s, q + 2, 'released from hold') && s.length === q + 20) return { kind: 'action', qid: s.slice(0, q), action: 'release', text: s.slice(q + 2) };
  return info(s);
}

/**
 * master's `process /usr/libexec/postfix/smtpd pid 1234 exit status 1` or `... killed by
 * signal 9` (the text after "warning: "): the daemon (the path's last part) and its pid.
 */
export function deadProcess(text: string): { daemon: string; pid: number } | undefined {
  if (!has(text, 0, 'process ')) return undefined;
  const p = text.indexOf(' pid ', 8);
  if (p < 0) return undefined;
  let k = p + 5;
  let pid = 0;
  for (let c = text.charCodeAt(k); c >= 48 && c <= 57; c = text.charCodeAt(++k)) pid = pid * 10 + c - 48;
  if (k === p + 5 || !(has(text, k, ' exit status ') || has(text, k, ' killed by signal '))) return undefined;
  return { daemon: text.slice(text.lastIndexOf('/', p) + 1, p), pid };
}

/** The event of one message text logged by `daemon`. */
export function parseEvent(daemon: string, s: string): PostfixEvent {
  const c = s.charCodeAt(0);
  if (c === 119 || c === 101 || c === 102 || c === 112) {
    // w e f p: warning: error: fatal: panic:
    const sev = wordAt(s, 0, SEVERITIES);
    if (sev) return { kind: 'log', severity: sev as (typeof SEVERITIES)[number], text: s.slice(sev.length + 2) };
  }
  switch (daemon) {
    case 'smtpd':
    case 'qmqpd':
      return smtpd(s);
    case 'cleanup':
      return cleanup(s);
    case 'qmgr':
    case 'nqmgr':
    case 'oqmgr':
      return qmgr(s);
    case 'smtp':
    case 'lmtp':
    case 'local':
    case 'virtual':
    case 'pipe':
    case 'error':
    case 'discard':
      return agent(s);
    case 'pickup':
      return pickup(s);
    case 'postscreen':
      return postscreen(s);
    case 'bounce':
      return bounce(s);
    case 'master':
      return master(s);
    case 'postsuper':
      return postsuper(s);
    default:
      return QUIET.has(daemon) ? info(s) : unparsed(s);
  }
}
