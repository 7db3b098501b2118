// Review findings on the Postfix log mapping: each case below failed before its fix.

import { expect } from 'chai';
import { MailSystem } from '../../src/model/mail-system.js';
import { PostfixLog, type PostfixLogState } from '../../src/sources/postfix/apply.js';
import type { ParsedLine, PostfixEvent } from '../../src/sources/postfix/events.js';
import { parseLine } from '../../src/sources/postfix/parse.js';
import { app, checkpointCopy, errors, group, read, traffic } from './postfix-support.js';

const MTA = 'postfix MTA on mx';

function line(text: string): ParsedLine {
  const p = parseLine(text, { year: 2026 });
  if (!p) throw new Error(`not a Postfix line: ${text}`);
  return p;
}
const ev = (program: string, message: string): PostfixEvent => line(`Nov 29 17:04:47 mx ${program}[42]: ${message}`).event;

/** An arrival through smtpd (connect + client=) of QID at hh:mm:ss on Nov 29. */
const arrive = (qid: string, time = '08:00:00', pid = 100): string[] => [
  `Nov 29 ${time} mx postfix/smtpd[${pid}]: connect from a.example[192.0.2.1]`,
  `Nov 29 ${time} mx postfix/smtpd[${pid}]: ${qid}: client=a.example[192.0.2.1]`,
];
/** One unrelated line per 10 minutes from `from` to `to` hours (moves the log clock, and sweeps). */
function ticks(from: number, to: number): string[] {
  const out: string[] = [];
  for (let m = from * 60; m <= to * 60; m += 10) {
    const hh = String(Math.floor(m / 60)).padStart(2, '0');
    const mm = String(m % 60).padStart(2, '0');
    out.push(`Nov 29 ${hh}:${mm}:00 mx postfix/anvil[9]: statistics: max cache size 1 at Nov 29 ${hh}:${mm}:00`);
  }
  return out;
}

describe('Postfix review: quoted local parts cannot inject fields (1)', () => {
  it('qmgr: size and nrcpt after the quoted sender, not inside it', () => {
    const q = '0BF0C20E14D: from=<"x>, size=999999999, nrcpt=999999 (queue active)"@example.test>, size=393, nrcpt=1 (queue active)';
    expect(ev('postfix/qmgr', q)).to.deep.equal({
      kind: 'queued',
      qid: '0BF0C20E14D',
      from: '"x>, size=999999999, nrcpt=999999 (queue active)"@example.test',
      size: 393,
      nrcpt: 1,
    });
    const { model } = read([...arrive('0BF0C20E14D'), `Nov 29 08:00:01 mx postfix/qmgr[8792]: ${q}`]);
    expect(traffic(app(model, MTA).mta!.counters)).to.deep.equal([1, 393, 1, 0, 0, 0]);
    const e = ev('postfix/qmgr', '0BF0C20E14D: from=<"x>, status=expired, returned to sender"@a>, size=10, nrcpt=1 (queue active)');
    expect(e.kind).to.equal('queued');
  });

  it('delivery: a quoted recipient holding "status=sent" is a deferral 4.4.1', () => {
    const d =
      '8197C20E1AE: to=<"z>, relay=fake, dsn=2.0.0, status=sent (fake"@remote.test>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:25: Connection refused)';
    expect(ev('postfix/smtp', d)).to.include({ kind: 'delivery', to: '"z>, relay=fake, dsn=2.0.0, status=sent (fake"@remote.test', relay: 'none', dsn: '4.4.1', status: 'deferred' });
    const o = ev('postfix/smtp', 'AAAAA00001: to=<b@x>, orig_to=<"o>, relay=evil, status=sent (x"@y>, relay=none, delay=1, dsn=4.4.1, status=deferred (x)');
    expect(o).to.include({ to: 'b@x', origTo: '"o>, relay=evil, status=sent (x"@y', relay: 'none', status: 'deferred' });
    const { model } = read([`Nov 29 08:00:00 mx postfix/smtp[9035]: ${d}`]);
    const smtp = group(model, MTA, 'smtp');
    expect([smtp.transmittedRecipients, errors(smtp)['4.4.1']]).to.deep.equal([0, [0, 0, 1]]);
  });

  it('rejects: the envelope is found past quoted addresses in the reply and in the envelope', () => {
    const to = '"x; from=<evil@a> to=<v@b> proto=ESMTP helo=<h>"@nonexist.test';
    const r = ev(
      'postfix/smtpd',
      `NOQUEUE: reject: RCPT from c.example[192.0.2.9]: 450 4.1.2 <${to}>: Recipient address rejected: Domain not found; from=<s@a.example> to=<${to}> proto=ESMTP helo=<c.example>`,
    );
    expect(r).to.include({ from: 's@a.example', to, helo: 'c.example', dsn: '4.1.2', reply: `450 4.1.2 <${to}>: Recipient address rejected: Domain not found` });
    // cleanup: the reply follows the envelope; a quoted recipient cannot supply one
    const h = ev('postfix/cleanup', 'AAAAA00002: reject: header Subject: hi from c.example[192.0.2.9]; from=<s@a> to=<"y: 5.9.9 x"@b> proto=ESMTP helo=<h>: 5.7.1 spam');
    expect(h).to.include({ to: '"y: 5.9.9 x"@b', helo: 'h', dsn: '5.7.1', reply: '5.7.1 spam' });
  });
});

describe('Postfix review: queueContext (2) and restore (8)', () => {
  it('falls back to the only instance when none has the syslog_name', () => {
    const one = read(['Nov 29 08:00:00 mx postfix-out/smtpd[1]: connect from a.example[192.0.2.1]']).log;
    expect(one.queueContext('postfix')?.app.name).to.equal('postfix-out MTA on mx');
    const two = read(['Nov 29 08:00:00 mx postfix-out/smtpd[1]: connect from a.example[192.0.2.1]', 'Nov 29 08:00:00 mx postfix-in/smtpd[1]: connect from a.example[192.0.2.1]']).log;
    expect(two.queueContext('postfix')).to.equal(undefined);
    expect(two.queueContext('postfix-in')?.app.name).to.equal('postfix-in MTA on mx');
  });

  it('attributes a queued message to its group after restore, before the group is seen again', () => {
    const first = read([
      ...arrive('AAAAA00003'),
      'Nov 29 08:00:01 mx postfix/qmgr[2]: AAAAA00003: from=<s@a>, size=10, nrcpt=1 (queue active)',
      'Nov 29 08:00:02 mx postfix/relay/smtp[3]: AAAAA00003: to=<b@x>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to x[192.0.2.3]:25: Connection refused)',
    ]);
    const model = checkpointCopy(first.model);
    const log = new PostfixLog(model, { year: 2026 });
    log.restore(JSON.parse(JSON.stringify(first.log.snapshot())) as PostfixLogState);
    const ch = log.queueContext('postfix')?.groupOf('AAAAA00003');
    expect(ch?.name).to.equal('relay');
    expect(ch).to.equal(group(model, MTA, 'relay'));
  });
});

describe('Postfix review: a line dated in the future (3)', () => {
  it('neither sweeps in-flight state away nor moves the next sweep years ahead', () => {
    const { model, log } = read([
      '2026-11-29T08:00:00Z mx postfix/smtpd[1]: connect from a.example[192.0.2.1]',
      '2026-11-29T08:00:01Z mx postfix/smtpd[1]: AAAAA00004: client=a.example[192.0.2.1]',
      '2036-01-01T00:00:00Z mx postfix/smtpd[7]: connect from b.example[192.0.2.7]',
      '2026-11-29T08:00:02Z mx postfix/qmgr[3]: AAAAA00004: from=<s@a>, size=100, nrcpt=1 (queue active)',
      '2026-11-29T08:00:03Z mx postfix/smtpd[1]: disconnect from a.example[192.0.2.1] commands=5',
    ]);
    expect(traffic(app(model, MTA).mta!.counters)).to.deep.equal([1, 100, 1, 0, 0, 0]);
    const s = log.snapshot();
    expect(s.nextSweep).to.be.below(Date.UTC(2027, 0, 1));
    expect(Object.keys(s.instances[0]!.messages)).to.deep.equal(['AAAAA00004']);
  });
});

describe('Postfix review: made-up program names are capped (4)', () => {
  const many = (f: (i: number) => string): string[] => Array.from({ length: 20_000 }, (_, i) => `Nov 29 08:00:00 mx ${f(i)}`);

  it('at most 64 MTAs; the other lines count under "(instance limit)"', () => {
    const { model, log } = read(many((i) => `postfix-${i}/smtpd[1]: connect from a.example[192.0.2.1]`));
    expect(model.applications.size).to.equal(64);
    expect(log.stats.unparsed).to.deep.equal({ '(instance limit)': 20_000 - 64 });
    expect(log.snapshot().instances.length).to.equal(64);
  });

  it('at most 256 groups per MTA; the other lines count under "(group limit)"', () => {
    const { model, log } = read(many((i) => `postfix/s${i}/smtpd[${i + 1}]: connect from a.example[192.0.2.1]`));
    const a = app(model, MTA);
    expect(a.mta!.channels.size).to.equal(256);
    expect(a.associations.size).to.equal(256);
    expect(log.stats.unparsed).to.deep.equal({ '(group limit)': 20_000 - 256 });
  });

  it('at most 256 programs in stats.unparsed; the others count under "(other programs)"', () => {
    const { log } = read(many((i) => `postfix/u${i}/nosuchd[1]: what is this`));
    const u = log.stats.unparsed;
    expect(Object.keys(u).length).to.equal(257);
    expect(u['(other programs)']).to.equal(20_000 - 256);
    expect(u['postfix/u0/nosuchd']).to.equal(1);
  });
});

describe('Postfix review: held and backlogged messages (5)', () => {
  const held = [
    ...arrive('AAAAA00005'),
    'Nov 29 08:00:01 mx postfix/cleanup[2]: AAAAA00005: message-id=<m5@a.example>',
    'Nov 29 08:00:01 mx postfix/cleanup[2]: AAAAA00005: hold: header Subject: x from a.example[192.0.2.1]; from=<s@a> to=<b@mx> proto=ESMTP helo=<a.example>',
    'Nov 29 08:00:02 mx postfix/smtpd[100]: disconnect from a.example[192.0.2.1] commands=5',
    ...ticks(8, 11),
    'Nov 29 11:00:05 mx postfix/postsuper[4]: AAAAA00005: released from hold',
    'Nov 29 11:00:06 mx postfix/qmgr[3]: AAAAA00005: from=<s@a>, size=700, nrcpt=1 (queue active)',
  ];

  it('counts as received a message qmgr logs hours after cleanup accepted it', () => {
    expect(traffic(app(read(held).model, MTA).mta!.counters)).to.deep.equal([1, 700, 1, 0, 0, 0]);
    const backlog = [...arrive('AAAAA00006'), 'Nov 29 08:00:01 mx postfix/cleanup[2]: AAAAA00006: message-id=<m6@a.example>', ...ticks(8, 10), 'Nov 29 10:00:05 mx postfix/qmgr[3]: AAAAA00006: from=<s@a>, size=600, nrcpt=1 (queue active)'];
    expect(traffic(app(read(backlog).model, MTA).mta!.counters)).to.deep.equal([1, 600, 1, 0, 0, 0]);
    expect(ev('postfix/postsuper', 'AAAAA00005: placed on hold')).to.deep.equal({ kind: 'action', qid: 'AAAAA00005', action: 'hold', text: 'placed on hold' });
  });

  it('keeps the flag in the checkpoint', () => {
    const k = held.findIndex((l) => l.includes(' hold: ')) + 1;
    const first = read(held.slice(0, k));
    const state = JSON.parse(JSON.stringify(first.log.snapshot())) as PostfixLogState;
    expect(state.instances[0]!.messages['AAAAA00005']!.accepted).to.equal(true);
    const log = new PostfixLog(first.model, { year: 2026 });
    log.restore(state);
    for (const l of held.slice(k)) log.line(l);
    expect(traffic(app(first.model, MTA).mta!.counters)).to.deep.equal([1, 700, 1, 0, 0, 0]);
  });

  it('still forgets after an hour a message abandoned in DATA (Postfix < 3.10 does not name it)', () => {
    const { log } = read([
      ...arrive('AAAAA00007'),
      'Nov 29 08:00:01 mx postfix/cleanup[2]: AAAAA00007: message-id=<m7@a.example>',
      'Nov 29 08:00:09 mx postfix/smtpd[100]: lost connection after DATA (2048 bytes) from a.example[192.0.2.1]',
      ...ticks(8, 10),
    ]);
    expect(log.snapshot().instances[0]!.messages).to.deep.equal({});
  });
});

describe('Postfix review: postsuper -r (6)', () => {
  it('moves the message to its new queue id instead of receiving it again', () => {
    expect(ev('postfix/pickup', 'BBBBB00002: uid=0 from=<a@example> orig_id=BBBBB00001')).to.deep.equal({
      kind: 'pickup',
      qid: 'BBBBB00002',
      uid: 0,
      from: 'a@example',
      origId: 'BBBBB00001',
    });
    // a sender cannot fake it: Postfix adds ">" after the sender
    expect(ev('postfix/pickup', 'BBBBB00003: uid=1000 from=<x> orig_id=BBBBB00001>')).to.deep.equal({ kind: 'pickup', qid: 'BBBBB00003', uid: 1000, from: 'x> orig_id=BBBBB00001' });
    const { model } = read([
      ...arrive('BBBBB00001'),
      'Nov 29 08:00:01 mx postfix/cleanup[2]: BBBBB00001: message-id=<r@a.example>',
      'Nov 29 08:00:01 mx postfix/qmgr[3]: BBBBB00001: from=<a@example>, size=500, nrcpt=2 (queue active)',
      'Nov 29 08:00:02 mx postfix/smtp[4]: BBBBB00001: to=<b@remote>, relay=r[192.0.2.5]:25, delay=1, dsn=2.0.0, status=sent (250 ok)',
      'Nov 29 08:00:02 mx postfix/smtp[4]: BBBBB00001: to=<c@remote>, relay=r[192.0.2.5]:25, delay=1, dsn=4.4.1, status=deferred (connect to r[192.0.2.5]:25: Connection refused)',
      'Nov 29 09:00:00 mx postfix/postsuper[5]: BBBBB00001: requeued',
      'Nov 29 09:00:01 mx postfix/pickup[6]: BBBBB00002: uid=0 from=<a@example> orig_id=BBBBB00001',
      'Nov 29 09:00:01 mx postfix/cleanup[2]: BBBBB00002: message-id=<r@a.example>',
      'Nov 29 09:00:02 mx postfix/qmgr[3]: BBBBB00002: from=<a@example>, size=520, nrcpt=1 (queue active)',
      'Nov 29 09:00:03 mx postfix/smtp[4]: BBBBB00002: to=<c@remote>, relay=r[192.0.2.5]:25, delay=1, dsn=2.0.0, status=sent (250 ok)',
      'Nov 29 09:00:03 mx postfix/qmgr[3]: BBBBB00002: removed',
    ]);
    expect(traffic(app(model, MTA).mta!.counters)).to.deep.equal([1, 500, 2, 1, 500, 2]);
    expect(app(model, MTA).mta!.channels.size).to.equal(2); // smtpd, smtp: no pickup arrival
  });
});

describe('Postfix review: SOFTBOUNCE and force-expired (7)', () => {
  it('counts status=SOFTBOUNCE as a deferral and status=force-expired as an expiry', () => {
    const { model, log } = read([
      'Nov 29 08:00:00 mx postfix/smtp[4]: CCCCC00001: to=<b@r>, relay=r[192.0.2.5]:25, delay=1, delays=0/0/0/1, dsn=4.1.1, status=SOFTBOUNCE (host r[192.0.2.5] said: 550 5.1.1 unknown (in reply to RCPT TO command))',
      'Nov 29 08:00:01 mx postfix/qmgr[3]: CCCCC00001: from=<s@a>, status=force-expired, returned to sender',
    ]);
    expect(log.stats.unparsed).to.deep.equal({});
    expect(errors(group(model, MTA, 'smtp'))).to.deep.equal({ '4.0.0': [0, 0, 2], '4.1.1': [0, 0, 2] });
  });
});

describe('Postfix review: a dead smtpd ends its session (9)', () => {
  it("on master's exit status / killed by signal warning and on the smtpd's own fatal: line", () => {
    const model = new MailSystem();
    const log = new PostfixLog(model, { year: 2026 });
    const open = () => app(model, MTA).associations.size;
    log.line('Nov 29 08:00:00 mx postfix/smtpd[101]: connect from a.example[192.0.2.1]');
    log.line('Nov 29 08:00:00 mx postfix/smtpd[102]: connect from a.example[192.0.2.1]');
    log.line('Nov 29 08:00:00 mx postfix/smtpd[103]: connect from a.example[192.0.2.1]');
    log.line('Nov 29 08:00:00 mx postfix/smtpd[104]: connect from a.example[192.0.2.1]');
    log.line('Nov 29 08:00:01 mx postfix/master[1]: warning: process /usr/lib/postfix/sbin/smtpd pid 101 exit status 1');
    expect(open()).to.equal(3);
    log.line('Nov 29 08:00:02 mx postfix/master[1]: warning: process /usr/libexec/postfix/smtpd pid 102 killed by signal 9');
    log.line('Nov 29 08:00:03 mx postfix/smtpd[103]: fatal: too many errors');
    expect(open()).to.equal(1);
    log.line('Nov 29 08:00:04 mx postfix/master[1]: warning: process /usr/lib/postfix/sbin/cleanup pid 104 exit status 1');
    expect([open(), app(model, MTA).inboundAssociations]).to.deep.equal([1, 1]);
  });
});

describe('Postfix review: error table cap (10)', () => {
  it('counts codes past 256 per group in their class only', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `Nov 29 08:00:00 mx postfix/smtp[4]: DDDDD${String(i).padStart(5, '0')}: to=<b@r>, relay=none, delay=1, dsn=4.${Math.floor(i / 100) + 1}.${i % 100}, status=deferred (x)`);
    const smtp = group(read(lines).model, MTA, 'smtp');
    expect(smtp.errors.size).to.equal(256);
    expect(smtp.errors.get('4.0.0')!.outbound).to.equal(400);
    expect(smtp.errors.has('4.3.54')).to.equal(true); // 4.0.0 + 4.1.0-99 + 4.2.0-99 + 4.3.0-54
    expect(smtp.errors.has('4.3.55')).to.equal(false);
  });
});

describe('Postfix review: cleanup reject formats (11)', () => {
  it('counts mime-error (class 5, no code) and milter-header-reject as refusals', () => {
    const { model, log } = read([
      ...arrive('EEEEE00001'),
      'Nov 29 08:00:01 mx postfix/cleanup[2]: EEEEE00001: reject: mime-error invalid message/* or multipart/* encoding domain: base64 from a.example[198.51.100.1]; from=<a@example> to=<b@mx>',
      ...arrive('EEEEE00002', '08:00:02', 101),
      'Nov 29 08:00:03 mx postfix/cleanup[2]: EEEEE00002: milter-header-reject: header Subject: Buy now from a.example[198.51.100.1]; from=<a@example> to=<b@mx> proto=ESMTP helo=<a.example>: 5.7.1 Spam',
    ]);
    expect(log.stats.unparsed).to.deep.equal({});
    const smtpd = group(model, MTA, 'smtpd');
    expect(smtpd.rejectedMessages).to.equal(2);
    expect(smtpd.inboundRejectionReason).to.equal('5.7.1 Spam');
    expect(errors(smtpd)).to.deep.equal({ '5.0.0': [2, 0, 0], '5.7.1': [1, 0, 0] });
    expect(log.snapshot().instances[0]!.messages).to.deep.equal({});
    expect(ev('postfix/cleanup', 'EEEEE00001: reject: mime-error invalid message/* or multipart/* encoding domain: base64 from a.example[198.51.100.1]; from=<a@example> to=<b@mx>')).to.include({
      kind: 'reject',
      stage: 'mime-error',
      from: 'a@example',
      to: 'b@mx',
      reply: 'mime-error invalid message/* or multipart/* encoding domain: base64 from a.example[198.51.100.1]',
    });
  });
});
