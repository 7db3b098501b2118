// A synthetic Sendmail 8.17 mail log of N messages, in the line shapes a real 8.17 writes
// (test/fixtures/sendmail/real-8.17-e2e.log): SMTP sessions on the MTA and MSA daemons,
// deliveries by esmtp and local (one call for several local recipients), refusals at RCPT,
// deferrals retried by a later queue run, bounces with their DSN, and lines of another
// program in the same file. `truth` is what a reader must count.

import { prng } from '../test/helpers/prng.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');
/** `Dec  7 23:09:33` (local time, as syslog writes it) */
export const bsd = (ms: number) => {
  const d = new Date(ms);
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
};
const B60 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx';
/** A queue id as 8.17 makes them (time in base 60, a sequence, the pid). */
const qid = (ms: number, seq: number, pid: number) => {
  const d = new Date(ms);
  const c = (n: number) => B60[n % 60]!;
  return `${c(d.getFullYear() % 60)}${c(d.getMonth())}${c(d.getDate())}${c(d.getHours())}${c(d.getMinutes())}${c(d.getSeconds())}${c(seq)}${c(Math.floor(seq / 60))}${String(pid).padStart(6, '0')}`;
};
const hms = (s: number) => `${p2(Math.floor(s / 3600))}:${p2(Math.floor(s / 60) % 60)}:${p2(s % 60)}`;

export interface SendmailTruth {
  lines: number;
  /** messages that arrived (from= with recipients), by daemon, and DSNs */
  received: number;
  receivedMta: number;
  receivedMsa: number;
  dsns: number;
  /** to= lines with stat=Sent, deferred, failed */
  sent: number;
  deferred: number;
  failed: number;
  /** refused transactions (ruleset rejects) */
  rejected: number;
  /** recipients of the arrivals */
  recipients: number;
}

export function generateSendmailLog(n: number, seed = 1): { text: string; truth: SendmailTruth } {
  const rnd = prng(seed);
  const out: string[] = [];
  const truth: SendmailTruth = { lines: 0, received: 0, receivedMta: 0, receivedMsa: 0, dsns: 0, sent: 0, deferred: 0, failed: 0, rejected: 0, recipients: 0 };
  let t = new Date(2026, 5, 1).getTime();
  let pid = 1000;
  const nextPid = () => (pid = pid >= 4_000_000 ? 1000 : pid + 1);
  const retries: Array<{ q: string; to: string; size: number }> = [];
  const line = (ms: number, p: number, text: string, ident = 'sm-mta') => out.push(`${bsd(ms)} mx ${ident}[${p}]: ${text}`);
  for (let i = 0; i < n; i++) {
    t += 20 + Math.floor(rnd() * 80);
    const session = nextPid();
    const seq = i % 3600;
    const q = qid(t, seq, session);
    const client = `client${i % 500}.example.net [198.51.100.${i % 250}]`;
    const from = `<user${i % 997}@example.net>`;
    const r = rnd();
    if (r < 0.08) {
      // refused at RCPT, then QUIT
      line(t, session, `${q}: ruleset=check_rcpt, arg1=<nobody${i}@example.com>, relay=${client}, reject=550 5.1.1 <nobody${i}@example.com>... User unknown`);
      line(t, session, `${q}: from=${from}, size=0, class=0, nrcpts=0, proto=ESMTP, daemon=MTA, relay=${client}`);
      truth.rejected++;
      continue;
    }
    const msa = r > 0.92;
    const size = 300 + Math.floor(rnd() * 20000);
    const local = rnd() < 0.6;
    const nr = local ? 1 + Math.floor(rnd() * 3) : 1;
    line(t, session, `${q}: from=${from}, size=${size}, class=0, nrcpts=${nr}, msgid=<${i}.bench@example.net>, proto=ESMTP, daemon=${msa ? 'MSA' : 'MTA'}, relay=${client}`);
    truth.received++;
    truth.recipients += nr;
    if (msa) truth.receivedMsa++;
    else truth.receivedMta++;
    const dp = nextPid();
    const td = t + 200;
    if (local) {
      const to = Array.from({ length: nr }, (_, k) => `<u${(i + k) % 5000}@example.com>`).join(',');
      line(td, dp, `${q}: to=${to}, delay=00:00:00, xdelay=00:00:00, mailer=local, pri=${size + 30000 * nr}, dsn=2.0.0, stat=Sent`);
      truth.sent++;
    } else {
      const to = `<r${i % 7000}@remote${i % 40}.example.org>`;
      const o = rnd();
      if (o < 0.05) {
        line(td, dp, `${q}: to=${to}, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=${size + 30000}, relay=mx.remote${i % 40}.example.org. [203.0.113.${i % 200}], dsn=4.4.1, stat=Deferred: Connection refused by mx.remote${i % 40}.example.org.`);
        truth.deferred++;
        retries.push({ q, to, size });
      } else if (o < 0.08) {
        line(td, dp, `${q}: to=${to}, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=${size + 30000}, relay=mx.remote${i % 40}.example.org. [203.0.113.${i % 200}], dsn=5.1.1, reply=550 5.1.1 ${to}: Recipient address rejected: User unknown, stat=User unknown`);
        const dq = qid(td, seq, dp);
        line(td, dp, `${q}: ${dq}: DSN: User unknown`);
        line(td + 50, dp, `${dq}: to=${from}, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=31262, relay=mx.example.net. [192.0.2.10], dsn=2.0.0, stat=Sent (Ok: queued as ${i})`);
        truth.failed++;
        truth.dsns++;
        truth.sent++;
      } else {
        line(td, dp, `${q}: to=${to}, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=${size + 30000}, relay=mx.remote${i % 40}.example.org. [203.0.113.${i % 200}], dsn=2.0.0, stat=Sent (Ok: queued as ${i})`);
        truth.sent++;
      }
    }
    if (i % 50 === 0) out.push(`${bsd(t)} mx postfix/smtpd[${session}]: connect from another.example[192.0.2.1]`);
    // a queue run every 1000 messages delivers what was deferred
    if (i % 1000 === 999 && retries.length > 0) {
      const qp = nextPid();
      for (const m of retries.splice(0)) {
        line(t + 500, qp, `${m.q}: to=${m.to}, delay=${hms(60)}, xdelay=00:00:01, mailer=esmtp, pri=${m.size + 120000}, relay=mx.example.org. [203.0.113.9], dsn=2.0.0, stat=Sent (Ok: queued as R${i})`);
        truth.sent++;
      }
    }
  }
  truth.received += truth.dsns;
  truth.lines = out.length;
  return { text: `${out.join('\n')}\n`, truth };
}
