// Which enhanced status code (RFC 3463) an Exim failure, deferral or refusal counts under in
// mtaGroupErrorTable. The remote server's reply says it when there is one
// (`SMTP error from remote mail server after RCPT TO:<a>: 451 4.3.0 ...`); otherwise the
// class of its reply code (`550 No such user` -> 5.0.0); otherwise Exim's own error, by the
// errno it logs (`defer (111)`) and its text; otherwise the class alone (4.0.0 for `==`,
// 5.0.0 for `**`), as Exim itself writes in its delivery status notifications.

import type { FailureEvent, RejectEvent } from './events.js';

/** How a failure or deferral counts. */
export interface FailureClass {
  /** the enhanced status code, `class.subject.detail` */
  code: string;
  /** no delivery was tried (retry time not reached, queue_domains, concurrency limit): nothing to count */
  attempt: boolean;
  /** the connection to the next hop failed or broke (mtaGroupFailedOutboundAssociations) */
  connectFailure: boolean;
  /** Exim found the message looping (`Too many "Received" headers`) */
  loop: boolean;
}

/** Exim's own errno values that mean "not tried now" (macros.h: ERRNO_RRETRY .. ERRNO_TRETRY). */
const NOT_TRIED = new Set([-52, -53, -54, -55, -56, -57]);
/** Connection errors: ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, ECONNRESET, Exim's connect timeout. */
const CONNECT_ERRNO = new Set([111, 110, 113, 101, 104, -43]);
const CONNECT_TEXT = ['Connection refused', 'Connection timed out', 'No route to host', 'Network is unreachable', 'Connection reset'];

const ENHANCED = /(?:^|[\s(])([245])\d\d[ -]([245])\.(\d{1,3})\.(\d{1,3})(?=[\s.,;:)]|$)/;
const REPLY = /^([245])\d\d(?:[ -]|$)/;

/**
 * The reply of the remote server in a failure text, from `SMTP error from remote mail server
 * after COMMAND: [host NAME [ADDR]: ]REPLY` (the command may hold an address in `<>`).
 */
export function remoteReply(text: string): string | undefined {
  const at = text.indexOf('SMTP error from remote mail');
  if (at < 0) return undefined;
  let j = text.indexOf(' after ', at);
  if (j < 0) return undefined;
  j += 7;
  const colon = text.indexOf(': ', j);
  const lt = text.indexOf('<', j);
  if (lt >= 0 && (colon < 0 || lt < colon)) {
    const gt = text.indexOf('>', lt);
    if (gt > 0) j = gt;
  }
  let k = text.indexOf(': ', j);
  if (k < 0) return undefined;
  let reply = text.slice(k + 2);
  if (reply.startsWith('host ')) {
    k = reply.indexOf(']: ');
    if (k > 0) reply = reply.slice(k + 3);
  }
  return reply;
}

/** The enhanced code an SMTP reply gives (`550 5.1.1 ...` -> 5.1.1, `550 No` -> 5.0.0), if it is one. */
export function replyCode(reply: string): string | undefined {
  const m = ENHANCED.exec(reply.slice(0, 16));
  if (m && m.index === 0 && m[1] === m[2]) return `${m[2]}.${Number(m[3])}.${Number(m[4])}`;
  const r = REPLY.exec(reply);
  if (r && r[1] !== '2') return `${r[1]}.0.0`;
  return undefined;
}

/** How a `**` or `==` line counts. */
export function classifyFailure(ev: FailureEvent): FailureClass {
  const cls = ev.deferred ? '4' : '5';
  const t = ev.reason;
  const out = (code: string, connectFailure = false, loop = false, attempt = true): FailureClass => ({ code, attempt, connectFailure, loop });
  if ((ev.errno !== undefined && NOT_TRIED.has(ev.errno)) || t.startsWith('retry time not reached')) return out(`${cls}.0.0`, false, false, false);
  const reply = remoteReply(t);
  if (reply !== undefined) {
    const code = replyCode(reply);
    if (code) return out(code);
  }
  if (t.includes('Too many "Received" headers')) return out(`${cls}.4.6`, false, true);
  if ((ev.errno !== undefined && CONNECT_ERRNO.has(ev.errno)) || CONNECT_TEXT.some((c) => t.includes(c))) return out(`${cls}.4.1`, true);
  if (ev.errno === -18 || t.includes('Remote host closed connection') || t.includes('lost connection')) return out(`${cls}.4.2`, true);
  if (t.startsWith('retry timeout exceeded')) return out(`${cls}.4.7`);
  if (t.includes('remote host address is the local host') || ev.errno === -50) return out(`${cls}.4.6`);
  if (t.includes('Unrouteable address') || t.includes('unknown mail domain') || t.includes('all relevant MX records point to non-existent hosts')) return out(`${cls}.1.2`);
  if (t.includes('host lookup did not complete') || ev.errno === -32 || ev.errno === -36) return out(`${cls}.4.3`);
  if (ev.errno === -22 || t.includes('mailbox is full') || t.includes('quota exceeded')) return out(`${cls}.2.2`);
  if (ev.errno === -37 || ev.errno === -38 || t.includes('TLS session')) return out(`${cls}.7.0`);
  return out(`${cls}.0.0`);
}

/**
 * The code a refusal counts under: an enhanced code the ACL message starts with
 * (`message = 550 5.7.1 ...`), else by what was refused: AUTH with its reply (535 -> 5.7.8),
 * an EHLO/HELO argument (5.5.4), relaying (5.7.1); else 4.0.0 / 5.0.0.
 */
export function rejectionCode(ev: RejectEvent): string {
  const cls = ev.temporary ? '4' : '5';
  const own = replyCode(ev.reason);
  if (own && ENHANCED.test(ev.reason.slice(0, 16))) return own;
  if (ev.stage === 'auth') return ev.code === 535 ? '5.7.8' : `${cls}.7.0`;
  if (ev.stage === 'helo' && ev.reason.startsWith('syntactically invalid')) return '5.5.4';
  if (ev.reason.includes('relay not permitted')) return `${cls}.7.1`;
  return `${cls}.0.0`;
}
