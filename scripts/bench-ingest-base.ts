// The building blocks of the synthetic Postfix log (bench-ingest-gen.ts): seeded PRNG,
// names, a time-ordered queue of lines (a binary heap), processes and their pids, and the
// sessions that bring no message (NOQUEUE rejects, postscreen, address probes, statistics).

import { prng } from '../test/helpers/prng.js';

export type Tag = '' | 'rcv' | 'dlv' | 'dfr' | 'bnc' | 'rej' | 'exp' | 'fwd';
export interface Entry {
  t: number;
  seq: number;
  body: string;
  tag: Tag;
}
export interface Truth {
  lines: number;
  messages: number;
  /** client= and pickup lines */ received: number;
  /** status=sent, not forwarded */ delivered: number;
  /** status=deferred lines */ deferrals: number;
  /** status=bounced lines */ bounced: number;
  /** reject lines */ rejected: number;
  /** status=expired lines */ expired: number;
  /** status=sent (forwarded as ...) */ forwarded: number;
}

/** The seeded PRNG the tests use too. */
export const mulberry32 = prng;

export const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const p2 = (n: number): string => (n < 10 ? '0' : '') + n;
/** `Jun  2 08:00:00` (local time) */
export function bsdTime(t: number): string {
  const d = new Date(t);
  const day = d.getDate();
  return `${MON[d.getMonth()]} ${day < 10 ? ' ' : ''}${day} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/** `20260602080000` (local time), as in the message-ids Postfix makes */
export function stampId(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}${p2(d.getMonth() + 1)}${p2(d.getDate())}${p2(d.getHours())}${p2(d.getMinutes())}${p2(d.getSeconds())}`;
}

export const USERS = 'alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert sybil trent victor walter wendy yves zoe'.split(' ');
export const WORDS = 'acme globex initech umbrella hooli vandelay wonka stark wayne tyrell cyberdyne soylent aperture oscorp nakatomi gringotts monarch dunder prestige massive'.split(' ');
export const TLDS = ['example', 'test', 'example.com', 'example.org'];
export const LOCAL = ['example.net', 'example.org']; // mailboxes: lmtp to Dovecot; virtual
export const ME = 'mx1.example.net';
export const TLS_IN = 'TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256';
export const TLS_OUT = 'TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256';
export const MIN = 60_000;
export const LIFETIME = 24 * 60 * MIN;

export interface Dom { name: string; mx: string; ip: string }
export interface Group { kind: 'lmtp' | 'virtual' | 'local' | 'smtp'; dom?: Dom; rcpts: string[]; fate: 'ok' | 'retry' | 'bounce' | 'dead'; defers: number; done: boolean }
export interface Msg { qid: string; from: string; size: number; mid: string; arrived: number; groups: Group[]; bounced: boolean }

/** Processes of one daemon: a process serves one session at a time and exits after maxUse. */
export class Procs {
  private list: { pid: number; free: number; uses: number }[] = [];
  constructor(private readonly g: LogEmitter, private readonly maxUse: number) {}
  get(t: number, until: number): number {
    let p = this.list.find((x) => x.free <= t);
    if (!p) this.list.push((p = { pid: this.g.pid(), free: 0, uses: 0 }));
    p.free = until;
    if (++p.uses >= this.maxUse) this.list.splice(this.list.indexOf(p), 1);
    return p.pid;
  }
  /** The session on pid ends at t. */
  until(pid: number, t: number): void {
    const p = this.list.find((x) => x.pid === pid);
    if (p) p.free = t;
  }
}

export class LogEmitter {
  readonly truth: Truth = { lines: 0, messages: 0, received: 0, delivered: 0, deferrals: 0, bounced: 0, rejected: 0, expired: 0, forwarded: 0 };
  protected readonly r: () => number;
  protected heap: Entry[] = [];
  protected seq = 0;
  protected nextPid = 2310;
  protected qn = 0;
  protected port = 40000;
  protected readonly doms: Dom[] = [];
  protected readonly procs: Record<string, Procs>;
  protected readonly single: Record<string, number> = {};

  constructor(protected readonly opts: { messages: number; seed?: number; start?: number }) {
    this.r = mulberry32(opts.seed ?? 1);
    for (let i = 0; i < 400; i++) {
      const name = `${WORDS[i % WORDS.length]}${i < WORDS.length ? '' : i}.${TLDS[i % TLDS.length]}`;
      this.doms.push({ name, mx: `mx${1 + (i % 3)}.${name}`, ip: `${i % 2 ? '198.51.100' : '203.0.113'}.${1 + (i % 250)}` });
    }
    const p = (n: number) => new Procs(this, n);
    this.procs = { smtpd: p(100), sub: p(100), cleanup: p(1000), smtp: p(100), lmtp: p(100), local: p(100), virtual: p(100), bounce: p(100), dnsblog: p(100) };
    for (const d of ['master', 'qmgr', 'pickup', 'postscreen', 'anvil', 'scache']) this.single[d] = this.pid();
  }

  pid(): number {
    return this.nextPid++;
  }

  // -- randomness ---------------------------------------------------------------
  protected chance = (p: number): boolean => this.r() < p;
  protected int = (a: number, b: number): number => a + Math.floor(this.r() * (b - a + 1));
  protected pick = <T>(a: readonly T[]): T => a[Math.floor(this.r() * a.length)]!;
  protected exp = (mean: number): number => -Math.log(1 - this.r()) * mean;
  protected hex = (n: number): string => Array.from({ length: n }, () => '0123456789ABCDEF'[Math.floor(this.r() * 16)]).join('');
  protected qid(): string {
    // unique: an odd multiplier permutes 2^40
    return ((++this.qn * 0x9e3779b1) % 2 ** 40 + 2 ** 40).toString(16).toUpperCase().slice(1);
  }
  protected dom = (): Dom => this.doms[Math.floor(this.r() ** 2 * this.doms.length)]!; // a few big domains
  protected ip = (): string => `${this.pick(['192.0.2', '198.51.100', '203.0.113', '100.64.7', '100.64.9'])}.${this.int(1, 254)}`;

  // -- output -------------------------------------------------------------------
  protected at(t: number, prog: string, pid: number, text: string, tag: Tag = ''): void {
    const e: Entry = { t: Math.round(t), seq: this.seq++, body: `postfix/${prog}[${pid}]: ${text}`, tag };
    if (prog === 'dovecot' || prog === 'CRON') e.body = `${prog}[${pid}]: ${text}`;
    const h = this.heap;
    h.push(e);
    for (let i = h.length - 1; i > 0; ) {
      const j = (i - 1) >> 1;
      if (!before(h[i]!, h[j]!)) break;
      [h[i], h[j]] = [h[j]!, h[i]!];
      i = j;
    }
  }

  protected pop(): Entry {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const m = l + 1 < h.length && before(h[l + 1]!, h[l]!) ? l + 1 : l;
        if (l >= h.length || !before(h[m]!, h[i]!)) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  protected count(e: Entry): void {
    const c = this.truth;
    c.lines++;
    if (e.tag === 'rcv') c.received++;
    else if (e.tag === 'dlv') c.delivered++;
    else if (e.tag === 'dfr') c.deferrals++;
    else if (e.tag === 'bnc') c.bounced++;
    else if (e.tag === 'rej') c.rejected++;
    else if (e.tag === 'exp') c.expired++;
    else if (e.tag === 'fwd') c.forwarded++;
  }

  /** An smtpd session that sends nothing: refused at CONNECT, RCPT or MAIL, or an AUTH guesser. */
  protected rejected(t: number): void {
    const ip = this.ip();
    const client = `${this.chance(0.5) ? 'unknown' : `${ip.replace(/\./g, '-')}.pool.example`}[${ip}]`;
    const guesser = this.chance(0.2);
    const prog = guesser ? 'submission/smtpd' : 'smtpd';
    const pid = this.procs[guesser ? 'sub' : 'smtpd']!.get(t, t + 12_000);
    this.at(t, prog, pid, `connect from ${client}`);
    let c = t + this.int(50, 2000);
    if (guesser) {
      this.at(c, prog, pid, `warning: ${client}: SASL LOGIN authentication failed: UGFzc3dvcmQ6`);
      this.at((c += this.int(1, 500)), prog, pid, `lost connection after AUTH from ${client}`);
      this.at((c += 1), prog, pid, `disconnect from ${client} ehlo=1 auth=0/1 commands=1/2`);
      return;
    }
    const helo = this.chance(0.5) ? 'User' : `${this.pick(WORDS)}.example`;
    const from = `${this.pick(USERS)}@${this.pick(WORDS)}.example`;
    const x = this.r();
    if (x < 0.1) {
      this.at(c, prog, pid, `NOQUEUE: reject: CONNECT from ${client}: 554 5.7.1 <${client}>: Client host rejected: Access denied; proto=SMTP`, 'rej');
      this.at(c + this.int(1, 300), prog, pid, `disconnect from ${client} quit=1 commands=1`);
      return;
    }
    if (x < 0.18) {
      this.at(c, prog, pid, `NOQUEUE: reject: MAIL from ${client}: 553 5.7.1 <${from}>: Sender address rejected: not logged in; proto=ESMTP helo=<${helo}>`, 'rej');
      this.at(c + this.int(1, 300), prog, pid, `disconnect from ${client} ehlo=1 mail=0/1 quit=1 commands=2/3`);
      return;
    }
    const n = this.chance(0.7) ? 1 : this.int(2, 5);
    for (let i = 0; i < n; i++) {
      const to = `${this.pick(USERS)}@${this.chance(0.7) ? this.pick(LOCAL) : this.dom().name}`;
      const reply = to.endsWith('.net') || to.endsWith('example.org')
        ? this.pick([
            `450 4.7.1 Client host rejected: cannot find your hostname, [${ip}]`,
            `554 5.7.1 Service unavailable; Client host [${ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/${ip}`,
            `450 4.1.8 <${from}>: Sender address rejected: Domain not found`,
            `504 5.5.2 <${helo}>: Helo command rejected: need fully-qualified hostname`,
            `450 4.2.0 <${to}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.net.html`,
            `550 5.1.1 <${to}>: Recipient address rejected: User unknown in virtual mailbox table`,
            `554 5.7.1 <${to}>: Recipient address rejected: Access denied`,
          ])
        : `454 4.7.1 <${to}>: Relay access denied`;
      this.at((c += this.int(20, 400)), prog, pid, `NOQUEUE: reject: RCPT from ${client}: ${reply}; from=<${from}> to=<${to}> proto=ESMTP helo=<${helo}>`, 'rej');
    }
    if (this.chance(0.3)) this.at((c += this.int(100, 5000)), prog, pid, `lost connection after RCPT from ${client}`);
    this.at((c += this.int(1, 200)), prog, pid, `disconnect from ${client} ehlo=1 mail=1 rcpt=0/${n}${this.chance(0.5) ? ' quit=1' : ''} commands=2/${n + 2}`);
  }

  /** postscreen alone: DNSBL-listed and refused, a pregreeter, a hangup, or too many connections. */
  protected screenOnly(t: number): void {
    const ip = this.ip();
    const port = this.nextPort();
    const ps = this.single.postscreen!;
    const peer = `[${ip}]:${port}`;
    this.at(t, 'postscreen', ps, `CONNECT from ${peer} to [192.0.2.1]:25`);
    const x = this.r();
    if (x < 0.12) {
      this.at(t + 1, 'postscreen', ps, `NOQUEUE: reject: CONNECT from ${peer}: too many connections`, 'rej');
      return;
    }
    let c = t + this.int(100, 3000);
    if (x < 0.7) {
      this.at(c, 'dnsblog', this.procs.dnsblog!.get(c, c), `addr ${ip} listed by domain zen.spamhaus.org as 127.0.0.${this.pick([2, 3, 4, 10, 11])}`);
      this.at((c += this.int(1, 100)), 'postscreen', ps, `DNSBL rank ${this.int(2, 6)} for ${peer}`);
      const n = this.chance(0.8) ? 1 : 2;
      for (let i = 0; i < n; i++)
        this.at((c += this.int(200, 3000)), 'postscreen', ps, `NOQUEUE: reject: RCPT from ${peer}: 550 5.7.1 Service unavailable; client [${ip}] blocked using zen.spamhaus.org; from=<${this.pick(USERS)}@${this.pick(WORDS)}.example>, to=<${this.pick(USERS)}@${this.pick(LOCAL)}>, proto=ESMTP, helo=<${this.pick(WORDS)}.example>`, 'rej');
    } else if (x < 0.85) this.at(c, 'postscreen', ps, `PREGREET 11 after ${fmtDelay(c / 1000 - t / 1000)} from ${peer}: EHLO User\\r\\n`);
    else this.at(c, 'postscreen', ps, `HANGUP after ${fmtDelay(c / 1000 - t / 1000)} from ${peer} in tests before SMTP handshake`);
    this.at(c + this.int(1, 500), 'postscreen', ps, `DISCONNECT ${peer}`);
  }

  /** reject_unverified_sender: an address probe (not received, not delivered). */
  protected probe(t: number): void {
    const qid = this.qid();
    const d = this.dom();
    this.at(t, 'cleanup', this.procs.cleanup!.get(t, t), `${qid}: message-id=<${stampId(t)}.${qid}@${ME}>`);
    this.at(t + 1, 'qmgr', this.single.qmgr!, `${qid}: from=<double-bounce@${ME}>, size=287, nrcpt=1 (queue active)`);
    const x = t + this.int(100, 2000);
    const ok = this.chance(0.85);
    this.at(x, 'smtp', this.procs.smtp!.get(x, x + 100), `${qid}: to=<${this.pick(USERS)}@${d.name}>, relay=${d.mx}[${d.ip}]:25, delay=${fmtDelay((x - t) / 1000)}, delays=0/0/0.1/0.1, dsn=${ok ? '2.1.5' : '5.1.1'}, status=${ok ? 'deliverable (250 2.1.5 Ok)' : 'undeliverable (host said: 550 5.1.1 User unknown (in reply to RCPT TO command))'}`);
    this.at(x + 2, 'qmgr', this.single.qmgr!, `${qid}: removed`);
  }

  protected housekeeping(t: number): void {
    this.at(t, 'CRON', this.pid(), '(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)');
    const a = this.single.anvil!;
    const when = bsdTime(t - this.int(60_000, 500_000));
    this.at(t + 1, 'anvil', a, `statistics: max connection rate ${this.int(1, 9)}/60s for (smtp:${this.ip()}) at ${when}`);
    this.at(t + 2, 'anvil', a, `statistics: max connection count ${this.int(1, 4)} for (smtp:${this.ip()}) at ${when}`);
    this.at(t + 3, 'anvil', a, `statistics: max cache size ${this.int(2, 30)} at ${when}`);
    if (this.chance(0.5)) {
      const s = this.single.scache!;
      this.at(t + 4, 'scache', s, `statistics: start interval ${bsdTime(t - 600_000)}`);
      this.at(t + 5, 'scache', s, `statistics: domain lookup hits=${this.int(0, 40)} miss=${this.int(1, 40)} success=${this.int(0, 80)}%`);
      this.at(t + 6, 'scache', s, `statistics: address lookup hits=0 miss=${this.int(1, 30)} success=0%`);
    }
  }

  protected nextPort(): number {
    this.port = this.port >= 65000 ? 32768 : this.port + this.int(1, 7);
    return this.port;
  }
}

const before = (a: Entry, b: Entry): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);

/** Postfix's delay format: 0.02, 1.2, 630 */
export function fmtDelay(s: number): string {
  if (s < 0.005) return '0';
  if (s >= 100) return String(Math.round(s));
  return String(Number(s.toFixed(s >= 10 ? 1 : 2)));
}
