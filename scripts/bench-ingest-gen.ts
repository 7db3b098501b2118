// A synthetic but realistic Postfix 3.7 log for the ingest benchmark (bench-ingest.ts).
//
// One Postfix (syslog_name postfix, host mx1) simulated message by message with a seeded
// PRNG, so a seed always gives the same log: postscreen in front of the MX smtpd,
// submission and relay clients, pickup; deliveries by lmtp (Dovecot), virtual, local and
// smtp, several recipients per message, smtp connection reuse, deferrals retried with
// Postfix's backoff (300 s doubling up to 4000 s) until they succeed, bounces with their
// non-delivery notification, expiries (maximal_queue_lifetime = 1d here) and delivery
// temporarily suspended by qmgr, local aliases forwarded as a new message, address probes,
// NOQUEUE rejects of many kinds, postscreen DNSBL/PREGREET/HANGUP/too many connections,
// TLS and warning lines, anvil/scache statistics, a daily reload, and other programs'
// lines (dovecot, CRON) mixed in. Arrivals follow a day/night cycle.
//
// Left out on purpose, because pflogsumm and madman define them differently (see
// docs/benchmarks.md): messages refused after `client=` (cleanup header/body rejects, lost
// connection after DATA), milter-reject, content filters and other syslog_names.
//
// entries() yields the lines in time order as `program[pid]: text` bodies with their time;
// the caller adds timestamp and host. `truth` counts what was yielded.

import { LIFETIME, LOCAL, LogEmitter, ME, MIN, TLS_IN, TLS_OUT, USERS, fmtDelay, stampId, type Entry, type Group, type Msg, type Tag } from './bench-ingest-base.js';

export { bsdTime, mulberry32, type Entry, type Truth } from './bench-ingest-base.js';

export class PostfixLogGenerator extends LogEmitter {
  /** The log, in time order; ends 5 minutes after the last arrival (later retries are left out). */
  *entries(): Generator<Entry> {
    let t = this.opts.start ?? new Date(2026, 5, 2, 0, 0, 7).getTime();
    this.at(t, 'postfix-script', this.pid(), 'starting the Postfix mail system');
    this.at(t + 20, 'master', this.single.master!, 'daemon started -- version 3.7.11, configuration /etc/postfix');
    let nextHousekeeping = t + 10 * MIN;
    let nextReload = t + 24 * 60 * MIN;
    while (this.truth.messages < this.opts.messages) {
      const hour = new Date(t).getHours() + new Date(t).getMinutes() / 60;
      t += this.exp(1900 / (1 + 0.75 * Math.sin(((hour - 9) / 24) * 2 * Math.PI))); // busiest at 15:00
      while (this.heap.length && this.heap[0]!.t <= t) {
        const e = this.pop();
        this.count(e);
        yield e;
      }
      if (t >= nextHousekeeping) (this.housekeeping(t), (nextHousekeeping += 10 * MIN));
      if (t >= nextReload) {
        this.at(t, 'postfix-script', this.pid(), 'refreshing the Postfix mail system');
        this.at(t + 5, 'master', this.single.master!, 'reload -- version 3.7.11, configuration /etc/postfix');
        nextReload += 24 * 60 * MIN;
      }
      this.arrival(t);
    }
    const end = t + 5 * MIN;
    while (this.heap.length && this.heap[0]!.t <= end) {
      const e = this.pop();
      this.count(e);
      yield e;
    }
  }

  /** One connection or pickup: 0 or more messages. */
  private arrival(t: number): void {
    const x = this.r();
    if (x < 0.31) this.smtpSession(t, 'mx');
    else if (x < 0.42) this.smtpSession(t, 'submission');
    else if (x < 0.56) this.smtpSession(t, 'relay');
    else if (x < 0.865) this.pickup(t);
    else if (x < 0.92) this.rejected(t);
    else if (x < 0.985) this.screenOnly(t);
    else this.probe(t);
  }

  private smtpSession(t: number, kind: 'mx' | 'submission' | 'relay'): void {
    const ip = kind === 'relay' ? `10.0.1.${this.int(10, 40)}` : this.ip();
    const d = this.dom();
    const host = kind === 'relay' ? `app${ip.slice(7)}.example.net` : kind === 'mx' ? (this.chance(0.8) ? `mail.${d.name}` : 'unknown') : `${this.pick(['laptop', 'phone', 'desk'])}-${this.int(1, 99)}.dyn.example`;
    const client = `${host}[${ip}]`;
    if (kind === 'mx' && this.chance(0.2)) {
      const port = this.nextPort();
      const pass = this.chance(0.85) ? 'PASS OLD' : 'PASS NEW';
      this.at(t, 'postscreen', this.single.postscreen!, `CONNECT from [${ip}]:${port} to [192.0.2.1]:25`);
      t += pass === 'PASS OLD' ? this.int(2, 30) : this.int(6000, 6500);
      this.at(t, 'postscreen', this.single.postscreen!, `${pass} [${ip}]:${port}`);
    }
    const nmsg = Math.min(kind === 'relay' ? this.int(1, 6) : this.chance(0.1) ? 2 : 1, this.opts.messages - this.truth.messages);
    const prog = kind === 'submission' ? 'submission/smtpd' : 'smtpd';
    const pool = this.procs[kind === 'submission' ? 'sub' : 'smtpd']!;
    const pid = pool.get(t, t + 600_000);
    let c = t + this.int(1, 5);
    this.at(c, prog, pid, `connect from ${client}`);
    const tls = kind === 'submission' || (kind === 'mx' && this.chance(0.2));
    if (tls) this.at((c += this.int(40, 200)), prog, pid, `Anonymous TLS connection established from ${client}: ${TLS_IN}`);
    if (kind === 'mx' && host === 'unknown' && this.chance(0.3)) this.at((c += 2), prog, pid, `warning: hostname ${ip.replace(/\./g, '-')}.dyn.example does not resolve to address ${ip}: Name or service not known`);
    let mail = 0;
    let rcpt = 0;
    let bad = 0;
    let datas = 0;
    for (let i = 0; i < nmsg; i++) {
      const from = kind === 'mx' ? `${this.pick(USERS)}@${d.name}` : `${this.pick(USERS)}@example.net`;
      const n = this.chance(0.82) ? 1 : this.chance(0.6) ? 2 : this.int(3, 8);
      const rcpts = Array.from({ length: n }, () => (kind === 'mx' || this.chance(0.15) ? `${this.pick(USERS)}${this.int(1, 300)}@${this.pick(LOCAL)}` : `${this.pick(USERS)}@${this.dom().name}`));
      const m: Msg = { qid: this.qid(), from, size: Math.round(this.exp(30000)) + 600, mid: `<${this.hex(12)}.${this.hex(8)}@${from.split('@')[1]}>`, arrived: c, groups: [], bounced: false };
      const helo = kind === 'mx' ? `mail.${d.name}` : host;
      const ok: string[] = [];
      mail++;
      for (const r of rcpts) {
        rcpt++;
        c += this.int(20, 150);
        if (kind === 'mx' && this.chance(0.04)) {
          bad++;
          const table = r.endsWith('.net') ? 'local recipient table' : 'virtual mailbox table';
          const q = ok.length ? m.qid : 'NOQUEUE';
          this.at(c, prog, pid, `${q}: reject: RCPT from ${client}: 550 5.1.1 <${r}>: Recipient address rejected: User unknown in ${table}; from=<${from}> to=<${r}> proto=ESMTP helo=<${helo}>`, 'rej');
          continue;
        }
        if (!ok.length) this.at(c, prog, pid, `${m.qid}: client=${client}${kind === 'submission' ? `, sasl_method=PLAIN, sasl_username=${from}` : ''}`, 'rcv');
        ok.push(r);
      }
      if (!ok.length) continue; // every recipient refused: no message
      datas++;
      this.at((c += this.int(20, 300)), 'cleanup', this.procs.cleanup!.get(c, c), `${m.qid}: message-id=${m.mid}`);
      this.queue(m, ok, (c += this.int(20, 400) + m.size / 5000));
    }
    const cmds = [tls ? 'ehlo=2 starttls=1' : 'ehlo=1', kind === 'submission' ? 'auth=1' : '', `mail=${mail}`, `rcpt=${bad ? `${rcpt - bad}/${rcpt}` : rcpt}`, `data=${datas < mail ? `${datas}/${mail}` : datas}`, 'quit=1'];
    const total = (tls ? 3 : 1) + (kind === 'submission' ? 1 : 0) + 2 * mail + rcpt + 1;
    const ok = total - bad - (mail - datas);
    this.at((c += this.int(5, 120)), prog, pid, `disconnect from ${client} ${cmds.filter(Boolean).join(' ')} commands=${ok < total ? `${ok}/${total}` : total}`);
    pool.until(pid, c);
  }

  private pickup(t: number): void {
    const [uid, user] = this.pick([[0, 'root'], [33, 'www-data'], [1000, 'alice'], [0, 'root'], [110, 'nagios']] as const);
    const from = `${user}@${ME}`;
    const m: Msg = { qid: this.qid(), from, size: Math.round(this.exp(4000)) + 400, mid: `<${stampId(t)}.${this.hex(10)}@${ME}>`, arrived: t, groups: [], bounced: false };
    this.at(t, 'pickup', this.single.pickup!, `${m.qid}: uid=${uid} from=<${user}>`, 'rcv');
    this.at(t + this.int(1, 20), 'cleanup', this.procs.cleanup!.get(t, t), `${m.qid}: message-id=${m.mid}`);
    const rcpts = user === 'www-data' ? Array.from({ length: this.int(1, 6) }, () => `${this.pick(USERS)}@${this.dom().name}`) : [`${user === 'nagios' ? 'ops' : 'root'}@${ME}`];
    this.queue(m, rcpts, t + this.int(25, 80));
  }

  /** qmgr takes the message: groups by transport (and next hop), their fates, round 0. */
  private queue(m: Msg, rcpts: string[], q: number): void {
    this.truth.messages++;
    const byKey = new Map<string, Group>();
    for (const r of rcpts) {
      const domain = r.slice(r.indexOf('@') + 1);
      const kind = domain === ME ? 'local' : domain === 'example.net' ? (this.chance(0.9) ? 'lmtp' : 'local') : domain === 'example.org' ? 'virtual' : 'smtp';
      const key = `${kind}:${domain}`;
      let g = byKey.get(key);
      if (!g) byKey.set(key, (g = { kind, dom: kind === 'smtp' ? this.doms.find((x) => x.name === domain) : undefined, rcpts: [], fate: 'ok', defers: 0, done: false }));
      g.rcpts.push(r);
    }
    m.groups = [...byKey.values()];
    for (const g of m.groups) {
      const x = this.r();
      if (g.kind === 'smtp') g.fate = m.groups.length === 1 && x < 0.004 ? 'dead' : x < 0.035 ? 'retry' : x < 0.055 ? 'bounce' : 'ok';
      else g.fate = x < 0.004 ? 'retry' : g.kind !== 'virtual' && x < 0.01 ? 'bounce' : 'ok';
      g.defers = g.fate === 'retry' ? (this.chance(0.7) ? 1 : this.int(2, 4)) : 0;
    }
    this.round(m, q, 0);
  }

  /** One delivery round of the groups not done; schedules the next round, or finishes. */
  private round(m: Msg, q: number, k: number): void {
    const left = m.groups.filter((g) => !g.done);
    this.at(q, 'qmgr', this.single.qmgr!, `${m.qid}: from=<${m.from}>, size=${m.size}, nrcpt=${left.reduce((n, g) => n + g.rcpts.length, 0)} (queue active)`);
    let end = q;
    for (const g of left) end = Math.max(end, this.attempt(m, g, q + this.int(5, 400), q, k));
    const expired = k > 0 && end - m.arrived >= LIFETIME;
    if (m.groups.every((g) => g.done) || expired) {
      let f = end + this.int(1, 30);
      if (expired) this.at(f, 'qmgr', this.single.qmgr!, `${m.qid}: from=<${m.from}>, status=expired, returned to sender`, 'exp');
      if (m.bounced || expired) f = this.notify(m, f + 1);
      this.at(f + this.int(1, 5), 'qmgr', this.single.qmgr!, `${m.qid}: removed`);
      return;
    }
    const backoff = Math.min(300_000 * 2 ** k, 4000_000) + this.int(0, 300_000);
    this.round(m, end + backoff, k + 1);
  }

  /** The delivery lines of one group in one round; returns when the agent is done. */
  private attempt(m: Msg, g: Group, t: number, q: number, k: number): number {
    const dl = (x: number) => fmtDelay((x - m.arrived) / 1000);
    const delays = (x: number) => {
      const rest = (x - q) / 1000;
      return `${fmtDelay((q - m.arrived) / 1000)}/${fmtDelay(rest * 0.05)}/${fmtDelay(rest * 0.3)}/${fmtDelay(rest * 0.65)}`;
    };
    const d = g.dom;
    const fail = g.fate === 'dead' || (g.fate === 'retry' && k < g.defers);
    if (fail && g.fate === 'dead' && k > 0 && this.chance(0.4)) {
      for (const r of g.rcpts) this.at(t, 'qmgr', this.single.qmgr!, `${m.qid}: to=<${r}>, relay=none, delay=${dl(t)}, delays=${dl(t)}/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to ${d!.mx}[${d!.ip}]:25: Connection timed out)`, 'dfr');
      return t;
    }
    const agent = g.kind;
    const pid = this.procs[agent]!.get(t, t + 2000);
    const line = (r: string, relay: string, dsn: string, status: string, tag: Tag, x = t, extra = '') =>
      this.at(x, agent, pid, `${m.qid}: to=<${r}>, ${extra}relay=${relay}, ${relay !== 'none' && agent === 'smtp' && this.chance(0.15) ? `conn_use=${this.int(2, 9)}, ` : ''}delay=${dl(x)}, delays=${delays(x)}, dsn=${dsn}, status=${status}`, tag);
    if (agent !== 'smtp') {
      let x = t;
      for (const r of g.rcpts) {
        x += this.int(3, 60);
        const user = r.slice(0, r.indexOf('@'));
        if (fail && agent === 'lmtp') line(r, 'mail.example.net[private/dovecot-lmtp]', '4.2.2', `deferred (host mail.example.net[private/dovecot-lmtp] said: 452 4.2.2 <${r}> Mailbox is full (in reply to end of DATA command))`, 'dfr', x);
        else if (fail) line(r, agent, '4.2.0', `deferred (cannot update mailbox /var/mail/${user} for user ${user}. unable to lock for exclusive access: Resource temporarily unavailable)`, 'dfr', x);
        else if (g.fate === 'bounce' && r === g.rcpts[0]) {
          m.bounced = true;
          line(r, agent === 'lmtp' ? 'mail.example.net[private/dovecot-lmtp]' : 'local', '5.1.1', agent === 'lmtp' ? `bounced (host mail.example.net[private/dovecot-lmtp] said: 550 5.1.1 <${r}> User doesn't exist: ${r} (in reply to RCPT TO command))` : `bounced (unknown user: "${user}")`, 'bnc', x);
        } else if (agent === 'lmtp') {
          line(r, 'mail.example.net[private/dovecot-lmtp]', '2.0.0', `sent (250 2.0.0 <${r}> ${this.hex(22)} Saved)`, 'dlv', x);
          if (this.chance(0.15)) this.at(x + 1, 'dovecot', 1501, `lmtp(${r})<${this.int(30000, 60000)}><${this.hex(22)}>: msgid=${m.mid}: saved mail to INBOX`);
        } else if (agent === 'virtual') line(r, 'virtual', '2.0.0', 'sent (delivered to maildir)', 'dlv', x);
        else if (r.endsWith(ME) && this.chance(0.15)) {
          const fq = this.qid();
          this.at(x - 1, 'cleanup', this.procs.cleanup!.get(x, x), `${fq}: message-id=${m.mid}`);
          line(`admin@${ME}`, 'local', '2.0.0', `sent (forwarded as ${fq})`, 'fwd', x, `orig_to=<${user}>, `);
          this.forward(m, fq, x + 2);
        } else if (r.endsWith(ME) && user !== 'alice') line(`admin@${ME}`, 'local', '2.0.0', 'sent (delivered to mailbox)', 'dlv', x, `orig_to=<${user}>, `);
        else line(r, 'local', '2.0.0', 'sent (delivered to mailbox)', 'dlv', x);
      }
      if (!fail) g.done = true;
      return x;
    }
    const mx = `${d!.mx}[${d!.ip}]`;
    let x = t + this.int(30, 900);
    if (fail) {
      const why = g.fate === 'dead' ? this.pick([0, 1]) : this.pick([0, 1, 2, 2, 2, 3, 4, 5]);
      if (why <= 1) this.at(x, 'smtp', pid, `connect to ${mx}:25: ${why ? 'Connection refused' : 'Connection timed out'}`);
      for (const r of g.rcpts) {
        const reason = [
          ['none', '4.4.1', `connect to ${mx}:25: Connection timed out`],
          ['none', '4.4.1', `connect to ${mx}:25: Connection refused`],
          [`${mx}:25`, '4.7.1', `host ${mx} said: 450 4.7.1 <${r}>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/help/${d!.name}.html (in reply to RCPT TO command)`],
          [`${mx}:25`, '4.7.0', `host ${mx} said: 421 4.7.0 Try again later, closing connection. (in reply to MAIL FROM command)`],
          ['none', '4.4.3', `Host or domain name not found. Name service error for name=${d!.name} type=MX: Host not found, try again`],
          [`${mx}:25`, '4.4.2', `lost connection with ${mx} while receiving the initial server greeting`],
        ][why]!;
        line(r, reason[0]!, reason[1]!, `deferred (${reason[2]})`, 'dfr', (x += 1));
      }
      return x;
    }
    if (this.chance(0.1)) this.at(x - 5, 'smtp', pid, `Trusted TLS connection established to ${mx}:25: ${TLS_OUT}`);
    const nobody = g.fate === 'bounce' && this.chance(0.15);
    for (const r of g.rcpts) {
      x += this.int(1, 40);
      if (nobody) line(r, 'none', '5.4.4', `bounced (Host or domain name not found. Name service error for name=${d!.name} type=A: Host not found)`, 'bnc', x);
      else if (g.fate === 'bounce' && r === g.rcpts[0]) {
        const [dsn, text] = this.pick([['5.1.1', 'Recipient address rejected: User unknown in virtual mailbox table'], ['5.2.2', 'Mailbox full'], ['5.7.1', 'Message rejected due to local policy']] as const);
        line(r, `${mx}:25`, dsn, `bounced (host ${mx} said: 550 ${dsn} <${r}>: ${text} (in reply to RCPT TO command))`, 'bnc', x);
      } else line(r, `${mx}:25`, '2.0.0', `sent (250 2.0.0 Ok: queued as ${this.hex(10)})`, 'dlv', x);
    }
    m.bounced ||= g.fate === 'bounce';
    g.done = true;
    return x;
  }

  /** The non-delivery notification of a bounced or expired message, delivered to its sender. */
  private notify(m: Msg, t: number): number {
    const n = this.qid();
    this.at(t, 'cleanup', this.procs.cleanup!.get(t, t), `${n}: message-id=<${stampId(t)}.${n}@${ME}>`);
    this.at(t + 1, 'qmgr', this.single.qmgr!, `${n}: from=<>, size=${m.size + 2400}, nrcpt=1 (queue active)`);
    this.at(t + 2, 'bounce', this.procs.bounce!.get(t, t), `${m.qid}: sender non-delivery notification: ${n}`);
    const x = t + this.int(10, 300);
    const local = m.from.endsWith(ME);
    const lmtp = m.from.endsWith('@example.net');
    const agent = local ? 'local' : lmtp ? 'lmtp' : 'smtp';
    const d = this.doms.find((z) => m.from.endsWith(`@${z.name}`));
    const relay = local ? 'local' : lmtp ? 'mail.example.net[private/dovecot-lmtp]' : `${d?.mx}[${d?.ip}]:25`;
    const detail = local ? 'delivered to mailbox' : lmtp ? `250 2.0.0 <${m.from}> ${this.hex(22)} Saved` : `250 2.0.0 Ok: queued as ${this.hex(10)}`;
    this.at(x, agent, this.procs[agent]!.get(x, x + 100), `${n}: to=<${m.from}>, relay=${relay}, delay=${fmtDelay((x - t) / 1000)}, delays=0.01/0/0/${fmtDelay((x - t) / 1000)}, dsn=2.0.0, status=sent (${detail})`, 'dlv');
    this.at(x + 2, 'qmgr', this.single.qmgr!, `${n}: removed`);
    return t + 3;
  }

  /** A local alias forwarded the message: the copy goes out by smtp. */
  private forward(m: Msg, qid: string, t: number): void {
    const d = this.dom();
    this.at(t, 'qmgr', this.single.qmgr!, `${qid}: from=<${m.from}>, size=${m.size + 300}, nrcpt=1 (queue active)`);
    const x = t + this.int(100, 900);
    this.at(x, 'smtp', this.procs.smtp!.get(x, x + 100), `${qid}: to=<ops@${d.name}>, relay=${d.mx}[${d.ip}]:25, delay=${fmtDelay((x - t) / 1000)}, delays=0/0/0.1/${fmtDelay((x - t) / 1000)}, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${this.hex(10)})`, 'dlv');
    this.at(x + 3, 'qmgr', this.single.qmgr!, `${qid}: removed`);
  }

}
