// A synthetic Exim 4.96 mainlog of N messages for bench:exim-ingest, in the shapes a real
// Exim writes with log_selector `+smtp_connection +incoming_interface +incoming_port
// +delivery_size +received_recipients` (test/fixtures/exim/mainlog-test is one it wrote):
//
// - SMTP sessions on 192.0.2.1:25 (esmtp, esmtps) and :587 (esmtpsa with A=), each opened
//   and closed by QUIT, some refused at RCPT (permanently or temporarily) or after DATA;
// - local submissions (P=local U=www-data);
// - deliveries by appendfile (`=> user <user@example.net> R=local_user T=local_delivery`)
//   and by SMTP (`=>` then `->` for more recipients of one domain, with C="250 ...");
// - deferrals by a remote server's 4xx (greylisting, a full mailbox), retried until
//   delivered, with queue runs and `retry time not reached` lines in between;
// - failures by a remote 550 5.1.1, each followed by Exim's bounce (`<= <> R=id`)
//   delivered to the local sender or frozen when the sender is remote;
// - `Completed` when a message leaves the queue.
//
// Message ids are made as Exim makes them (base 62: second, pid, 1/2000 s). Lines are
// written in time order. `truth` counts what was written, in the terms eximstats uses.

import { prng } from '../test/helpers/prng.js';

export interface EximTruth {
  lines: number;
  /** `<=` lines (bounces included) */
  received: number;
  receivedBytes: number;
  /** `=>` lines (eximstats' delivered "messages") and `=>` + `->` (its "addresses") */
  deliveredMessages: number;
  deliveredAddresses: number;
  /** messages with at least one `==` after their arrival */
  deferredMessages: number;
  /** `==` lines of delivery attempts (not `retry time not reached`) */
  deferrals: number;
  /** messages with at least one `**` */
  failedMessages: number;
  /** `rejected` lines, and `temporarily rejected` lines */
  rejected: number;
  tempRejected: number;
  /** SMTP sessions opened */
  connections: number;
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function b62(n: number, width: number): string {
  let s = '';
  for (let i = 0; i < width; i++) {
    s = B62[n % 62]! + s;
    n = Math.floor(n / 62);
  }
  return s;
}

/** An Exim 4.96 message id for time `t` (ms) and process `pid`. */
export function eximId(t: number, pid: number): string {
  return `${b62(Math.floor(t / 1000), 6)}-${b62(pid, 6)}-${b62(Math.floor((t % 1000) * 2), 2)}`;
}

const p2 = (n: number): string => (n < 10 ? '0' : '') + n;
/** `2026-06-01 08:00:00`, local time */
export function eximTime(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

const USERS = 'alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert sybil trent victor walter wendy'.split(' ');
const REMOTE = 'acme globex initech umbrella hooli vandelay wonka stark wayne tyrell cyberdyne soylent'.split(' ');
const LOCAL_DOMAIN = 'example.net';
const ME = '192.0.2.1';
const TLS = 'X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256 CV=no';
const MIN = 60_000;

interface Line {
  t: number;
  seq: number;
  text: string;
}

/**
 * Generates the log; `write` receives it in chunks of lines (time order). `start`: the time
 * of its first line (epoch ms; default 2026-06-01 00:00 local time).
 */
export function generateEximLog(messages: number, seed: number, write: (chunk: string) => void, start = new Date(2026, 5, 1, 0, 0, 0).getTime()): EximTruth {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const truth: EximTruth = {
    lines: 0,
    received: 0,
    receivedBytes: 0,
    deliveredMessages: 0,
    deliveredAddresses: 0,
    deferredMessages: 0,
    deferrals: 0,
    failedMessages: 0,
    rejected: 0,
    tempRejected: 0,
    connections: 0,
  };
  const lines: Line[] = [];
  let seq = 0;
  let pid = 1000;
  const nextPid = () => (pid = pid >= 4_000_000 ? 1000 : pid + 1 + Math.floor(rnd() * 3));
  const add = (t: number, text: string) => lines.push({ t, seq: seq++, text: `${eximTime(t)} ${text}` });
  const remoteAddr = () => `${rnd() < 0.5 ? '198.51.100' : '203.0.113'}.${1 + Math.floor(rnd() * 254)}`;
  const localUser = () => pick(USERS);
  const remoteRcpt = () => `${pick(USERS)}${Math.floor(rnd() * 50)}@${pick(REMOTE)}.example`;
  let t = start;
  let queueRunAt = t + 30 * MIN;
  /** messages waiting for a retry: delivered at the next queue run after `at` */
  const waiting: Array<{ id: string; rcpt: string; size: number; since: number; at: number; host: string; mx: string; left: number; router: string }> = [];

  const deliverRemote = (when: number, id: string, rcpts: string[], size: number) => {
    // one SMTP transaction per domain: `=>` for the first recipient, `->` for the rest
    const byDomain = new Map<string, string[]>();
    for (const r of rcpts) {
      const d = r.slice(r.indexOf('@') + 1);
      const list = byDomain.get(d) ?? [];
      list.push(r);
      byDomain.set(d, list);
    }
    let failed = false;
    let deferred = false;
    for (const [dom, list] of byDomain) {
      const host = `mx.${dom}`;
      const ip = remoteAddr();
      const fate = rnd();
      if (fate < 0.06) {
        for (const r of list) {
          add(when, `${id} == ${r} R=dnslookup T=remote_smtp defer (-44) H=${host} [${ip}]: SMTP error from remote mail server after RCPT TO:<${r}>: 451 4.7.1 <${r}>: Recipient address rejected: Greylisted, try again later`);
          truth.deferrals++;
          waiting.push({ id, rcpt: r, size, since: when, at: when + 5 * MIN, host, mx: ip, left: 1 + Math.floor(rnd() * 2), router: 'dnslookup' });
        }
        deferred = true;
      } else if (fate < 0.09) {
        for (const r of list) {
          add(when, `${id} ** ${r} R=dnslookup T=remote_smtp H=${host} [${ip}]: SMTP error from remote mail server after RCPT TO:<${r}>: 550 5.1.1 <${r}>: Recipient address rejected: User unknown`);
        }
        failed = true;
      } else {
        list.forEach((r, i) => {
          add(when, `${id} ${i === 0 ? '=>' : '->'} ${r} R=dnslookup T=remote_smtp S=${size + 140} H=${host} [${ip}] ${TLS} C="250 2.0.0 Ok: queued as ${b62(seq, 10)}"`);
          if (i === 0) truth.deliveredMessages++;
          truth.deliveredAddresses++;
        });
      }
    }
    return { failed, deferred };
  };

  const deliverLocal = (when: number, id: string, users: string[], size: number) => {
    for (const u of users) {
      add(when, `${id} => ${u} <${u}@${LOCAL_DOMAIN}> R=local_user T=local_delivery S=${size + 150}`);
      truth.deliveredMessages++;
      truth.deliveredAddresses++;
    }
  };

  /** a bounce of `id` to `sender`: delivered when local, frozen when remote (no MX answers bounces here) */
  const bounce = (when: number, id: string, sender: string) => {
    const bid = eximId(when + 100, nextPid());
    const size = 1800 + Math.floor(rnd() * 400);
    add(when + 100, `${bid} <= <> R=${id} U=Debian-exim P=local S=${size} for ${sender}`);
    truth.received++;
    truth.receivedBytes += size;
    if (sender.endsWith(`@${LOCAL_DOMAIN}`)) {
      deliverLocal(when + 150, bid, [sender.slice(0, sender.indexOf('@'))], size);
      add(when + 160, `${bid} Completed`);
    } else {
      add(when + 150, `${bid} ** ${sender}: Unrouteable address`);
      add(when + 150, `${bid} Frozen (delivery error message)`);
      truth.failedMessages++;
    }
  };

  const queueRun = (at: number) => {
    const qpid = nextPid();
    add(at, `Start queue run: pid=${qpid}`);
    for (let i = 0; i < waiting.length; ) {
      const w = waiting[i]!;
      if (w.since >= at) {
        i++; // deferred after this run began: the next run tries it
        continue;
      }
      if (w.at > at) {
        add(at + 1, `${w.id} == ${w.rcpt} R=${w.router} T=remote_smtp defer (-54): retry time not reached for any host for '${w.rcpt.slice(w.rcpt.indexOf('@') + 1)}'`);
        i++;
        continue;
      }
      if (--w.left > 0) {
        add(at + 2, `${w.id} == ${w.rcpt} R=${w.router} T=remote_smtp defer (-44) H=${w.host} [${w.mx}]: SMTP error from remote mail server after RCPT TO:<${w.rcpt}>: 451 4.7.1 <${w.rcpt}>: Recipient address rejected: Greylisted, try again later`);
        truth.deferrals++;
        w.at = at + 5 * MIN;
        i++;
        continue;
      }
      add(at + 2, `${w.id} => ${w.rcpt} R=${w.router} T=remote_smtp S=${w.size + 140} H=${w.host} [${w.mx}] ${TLS} C="250 2.0.0 Ok: queued as ${b62(seq, 10)}"`);
      truth.deliveredMessages++;
      truth.deliveredAddresses++;
      add(at + 3, `${w.id} Completed`);
      waiting.splice(i, 1);
    }
    add(at + 4, `End queue run: pid=${qpid}`);
  };

  let count = 0;
  while (count < messages) {
    t += 100 + Math.floor(rnd() * 700);
    while (queueRunAt <= t) {
      queueRun(queueRunAt);
      queueRunAt += 30 * MIN;
    }
    const kind = rnd();
    const size = 800 + Math.floor(rnd() * 40_000);
    if (kind < 0.08) {
      // a local submission
      const s = nextPid();
      const id = eximId(t, s);
      const to = rnd() < 0.5 ? [`${localUser()}@${LOCAL_DOMAIN}`] : [remoteRcpt()];
      add(t, `${id} <= www-data@${LOCAL_DOMAIN} U=www-data P=local S=${size} id=${b62(t, 12)}@${LOCAL_DOMAIN} for ${to.join(' ')}`);
      truth.received++;
      truth.receivedBytes += size;
      count++;
      finish(t + 200, id, to, size, `www-data@${LOCAL_DOMAIN}`);
      continue;
    }
    // an SMTP session
    const submission = kind < 0.3;
    const port = submission ? 587 : 25;
    const ip = remoteAddr();
    const cport = 1024 + Math.floor(rnd() * 60000);
    const helo = submission ? 'laptop' : `mail.${pick(REMOTE)}.example`;
    const client = `(${helo}) [${ip}]:${cport} I=[${ME}]:${port}`;
    const spid = nextPid();
    truth.connections++;
    add(t, `SMTP connection from [${ip}]:${cport} I=[${ME}]:${port} (TCP/IP connection count = ${1 + Math.floor(rnd() * 5)})`);
    const sender = submission ? `${localUser()}@${LOCAL_DOMAIN}` : `${pick(USERS)}@${pick(REMOTE)}.example`;
    const r = rnd();
    if (r < 0.08) {
      add(t + 30, `H=${client} F=<${sender}> rejected RCPT <${remoteRcpt()}>: relay not permitted`);
      truth.rejected++;
    } else if (r < 0.12) {
      add(t + 30, `H=${client} F=<${sender}> temporarily rejected RCPT <${localUser()}@${LOCAL_DOMAIN}>: greylisted, try again later`);
      truth.tempRejected++;
    } else if (r < 0.13) {
      add(t + 60, `${eximId(t + 60, spid)} H=${client} F=<${sender}> rejected after DATA: This message contains a virus (Eicar-Test-Signature)`);
      truth.rejected++;
    } else {
      const id = eximId(t + 50, spid);
      const n = 1 + Math.floor(rnd() * 3);
      const to: string[] = [];
      for (let k = 0; k < n; k++) to.push(submission ? remoteRcpt() : `${localUser()}@${LOCAL_DOMAIN}`);
      const proto = submission ? `P=esmtpsa ${TLS} A=plain:${sender.slice(0, sender.indexOf('@'))}` : rnd() < 0.6 ? `P=esmtps ${TLS}` : 'P=esmtp';
      add(t + 50, `${id} <= ${sender} H=${client} ${proto} S=${size} id=${b62(t, 12)}@${helo} for ${to.join(' ')}`);
      truth.received++;
      truth.receivedBytes += size;
      count++;
      finish(t + 120, id, to, size, sender);
    }
    add(t + 70, `SMTP connection from ${client} closed by QUIT`);
  }
  // the retries still waiting: the queue runs of the next hours
  for (let k = 0; waiting.length > 0 && k < 12; k++) {
    queueRun(queueRunAt);
    queueRunAt += 30 * MIN;
  }

  function finish(when: number, id: string, to: string[], size: number, sender: string): void {
    const local = to.filter((a) => a.endsWith(`@${LOCAL_DOMAIN}`)).map((a) => a.slice(0, a.indexOf('@')));
    const remote = to.filter((a) => !a.endsWith(`@${LOCAL_DOMAIN}`));
    deliverLocal(when, id, local, size);
    const { failed, deferred } = remote.length > 0 ? deliverRemote(when + 200, id, remote, size) : { failed: false, deferred: false };
    if (deferred) truth.deferredMessages++;
    if (failed) {
      truth.failedMessages++;
      bounce(when + 300, id, sender);
    }
    if (!deferred) add(when + 400, `${id} Completed`);
  }

  lines.sort((a, b) => a.t - b.t || a.seq - b.seq);
  truth.lines = lines.length;
  for (let i = 0; i < lines.length; i += 10_000) {
    write(
      lines
        .slice(i, i + 10_000)
        .map((l) => l.text)
        .join('\n') + '\n',
    );
  }
  return truth;
}
