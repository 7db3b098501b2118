// Postfix log lines -> events: timestamps, programs, and every kind of line we count.

import { expect } from 'chai';
import type { ParsedLine, PostfixEvent } from '../../src/sources/postfix/events.js';
import { commandStats } from '../../src/sources/postfix/messages.js';
import { inferYear } from '../../src/sources/kit/syslog.js';
import { LineParser, parseLine, parseMessage } from '../../src/sources/postfix/parse.js';

const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number => new Date(y, mo - 1, d, h, mi, s, ms).getTime();

function line(text: string): ParsedLine {
  const p = parseLine(text, { year: 2026 });
  if (!p) throw new Error(`not a Postfix line: ${text}`);
  return p;
}
/** The event of a message logged by `program` (BSD time, host mx). */
const ev = (program: string, message: string): PostfixEvent => line(`Nov 29 17:04:47 mx ${program}[42]: ${message}`).event;

describe('Postfix line parsing: framing', () => {
  it('reads BSD timestamps with the given year, space- or zero-padded days and fractions', () => {
    expect(line('Nov 29 17:04:47 mx postfix/smtpd[1]: connect from a[192.0.2.1]').time).to.equal(local(2026, 11, 29, 17, 4, 47));
    expect(line('Nov  3 01:02:03 mx postfix/smtpd[1]: connect from a[192.0.2.1]').time).to.equal(local(2026, 11, 3, 1, 2, 3));
    expect(line('Nov 03 01:02:03 mx postfix/smtpd[1]: connect from a[192.0.2.1]').time).to.equal(local(2026, 11, 3, 1, 2, 3));
    expect(line('Jan 05 01:02:03.123456 mx postfix/smtpd[1]: connect from a[192.0.2.1]').time).to.equal(local(2026, 1, 5, 1, 2, 3, 123));
    // the cached second must not leak between lines of other seconds or years
    const p = new LineParser();
    expect(p.parseLine('Nov 29 17:04:47 mx postfix/smtpd[1]: x', { year: 2025 })!.time).to.equal(local(2025, 11, 29, 17, 4, 47));
    expect(p.parseLine('Nov 29 17:04:47 mx postfix/smtpd[1]: x', { year: 2026 })!.time).to.equal(local(2026, 11, 29, 17, 4, 47));
    expect(p.parseLine('Nov 29 17:04:48 mx postfix/smtpd[1]: x', { year: 2026 })!.time).to.equal(local(2026, 11, 29, 17, 4, 48));
  });

  it('infers the year of BSD timestamps: a December line read in January is last year', () => {
    const jan = local(2027, 1, 2, 0, 0, 1);
    expect(inferYear(11, jan)).to.equal(2026);
    expect(parseLine('Dec 31 23:59:59 mx postfix/smtpd[1]: x', { now: jan })!.time).to.equal(local(2026, 12, 31, 23, 59, 59));
    expect(parseLine('Jan  2 00:00:00 mx postfix/smtpd[1]: x', { now: jan })!.time).to.equal(local(2027, 1, 2, 0, 0, 0));
    const nov = local(2026, 11, 30, 23, 59, 0);
    expect(inferYear(10, nov)).to.equal(2026);
    expect(inferYear(11, nov)).to.equal(2026); // a month ahead: clock skew, same year
    expect(inferYear(0, nov)).to.equal(2026);
  });

  it('reads RFC 3339 timestamps with any zone form', () => {
    const t = Date.UTC(2026, 10, 29, 17, 4, 47, 255);
    expect(line('2026-11-29T17:04:47.255136+00:00 mx postfix/smtpd[1]: x').time).to.equal(t);
    expect(line('2026-11-29T17:04:47.255Z mx postfix/smtpd[1]: x').time).to.equal(t);
    expect(line('2026-11-29T18:04:47.255+01:00 mx postfix/smtpd[1]: x').time).to.equal(t);
    expect(line('2026-11-29T12:04:47.255-0500 mx postfix/smtpd[1]: x').time).to.equal(t);
    expect(line('2026-11-29T17:04:47 mx postfix/smtpd[1]: x').time).to.equal(local(2026, 11, 29, 17, 4, 47));
  });

  it('splits the program into syslog_name, service and daemon', () => {
    const parts = (prog: string) => {
      const p = line(`Nov 29 17:04:47 mx ${prog}[7]: x`);
      return [p.syslogName, p.service, p.daemon, p.pid, p.host, p.program];
    };
    expect(parts('postfix/smtpd')).to.deep.equal(['postfix', undefined, 'smtpd', 7, 'mx', 'postfix/smtpd']);
    expect(parts('postfix-test/smtpd')).to.deep.equal(['postfix-test', undefined, 'smtpd', 7, 'mx', 'postfix-test/smtpd']);
    expect(parts('postfix/submission/smtpd')).to.deep.equal(['postfix', 'submission', 'smtpd', 7, 'mx', 'postfix/submission/smtpd']);
    expect(parts('postfix/smtps/smtpd')).to.deep.equal(['postfix', 'smtps', 'smtpd', 7, 'mx', 'postfix/smtps/smtpd']);
    expect(parts('postfix/relay/smtp')).to.deep.equal(['postfix', 'relay', 'smtp', 7, 'mx', 'postfix/relay/smtp']);
    expect(parts('mail-postfix2/a/b/lmtp')).to.deep.equal(['mail-postfix2', 'a/b', 'lmtp', 7, 'mx', 'mail-postfix2/a/b/lmtp']);
    expect(line('Nov 29 17:04:47 mx postfix/postfix-script: starting the Postfix mail system').pid).to.equal(0);
  });

  it('gives undefined for other programs and for what is not a syslog line', () => {
    for (const l of [
      'Nov 29 17:04:47 mx dovecot: imap-login: Login: user=<u@d>',
      'Nov 29 17:04:47 mx sshd[1]: Accepted publickey for root',
      'Nov 29 17:04:47 mx CRON[2]: (root) CMD (true)',
      'Nov 29 17:04:47 mx postfix_exporter[3]: listening',
      'Nov 29 17:04:47 mx amavis/smtpd[4]: x',
      'Nov 29 17:04:47 mx postfix/[4]: x',
      '2026-11-29T17:04:47Z mx systemd[1]: Started Postfix Mail Transport Agent.',
      'Nov 29 17:04',
      '',
      'garbage',
      '1234',
    ]) {
      expect(parseLine(l, { year: 2026 }), l).to.equal(undefined);
    }
  });

  it('reads journal entries given apart from their time, and bare program lines', () => {
    const t = Date.UTC(2026, 10, 29, 17, 4, 47);
    expect(parseMessage('postfix/submission/smtpd', 123, 'connect from a[192.0.2.1]', t)).to.deep.equal({
      time: t,
      host: undefined,
      program: 'postfix/submission/smtpd',
      syslogName: 'postfix',
      service: 'submission',
      daemon: 'smtpd',
      pid: 123,
      event: { kind: 'connect', client: { name: 'a', addr: '192.0.2.1' } },
    });
    expect(parseMessage('sshd', 1, 'x', t)).to.equal(undefined);
    const p = parseLine('postfix/smtpd[123]: disconnect from a[192.0.2.1] commands=0', { time: t })!;
    expect([p.time, p.host, p.pid, p.event.kind]).to.deep.equal([t, undefined, 123, 'disconnect']);
  });
});

describe('Postfix line parsing: events', () => {
  it('smtpd connect, disconnect with command counts, lost connection (3.10 NOQUEUE: form) and timeout', () => {
    expect(ev('postfix/smtpd', 'connect from unknown[2001:db8::1]')).to.deep.equal({ kind: 'connect', client: { name: 'unknown', addr: '2001:db8::1' } });
    const d = ev('postfix/smtpd', 'disconnect from a.example[192.0.2.1] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4');
    expect(d).to.deep.equal({ kind: 'disconnect', client: { name: 'a.example', addr: '192.0.2.1' }, commands: 'ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4' });
    expect(commandStats(d.kind === 'disconnect' ? d.commands : '')).to.deep.equal({
      ehlo: { ok: 1, total: 1 }, mail: { ok: 1, total: 1 }, rcpt: { ok: 0, total: 1 }, quit: { ok: 1, total: 1 }, commands: { ok: 3, total: 4 },
    });
    expect(ev('postfix/smtpd', 'disconnect from a.example[192.0.2.1]')).to.deep.equal({ kind: 'disconnect', client: { name: 'a.example', addr: '192.0.2.1' }, commands: '' });
    const client = { name: 'unknown', addr: '203.0.113.10' };
    expect(ev('postfix/submission/smtpd', 'lost connection after AUTH from unknown[203.0.113.10]')).to.deep.equal({ kind: 'lost', qid: undefined, how: 'lost connection', after: 'AUTH', client });
    expect(ev('postfix/submission/smtpd', 'NOQUEUE: lost connection after AUTH from unknown[203.0.113.10]')).to.deep.equal({ kind: 'lost', qid: undefined, how: 'lost connection', after: 'AUTH', client });
    expect(ev('postfix/smtpd', '3A1B2C3D4E: lost connection after DATA (120 bytes) from unknown[203.0.113.10]')).to.deep.equal({ kind: 'lost', qid: '3A1B2C3D4E', how: 'lost connection', after: 'DATA', client });
    expect(ev('postfix/smtpd', 'timeout after END-OF-MESSAGE from unknown[203.0.113.10]')).to.deep.equal({ kind: 'lost', qid: undefined, how: 'timeout', after: 'END-OF-MESSAGE', client });
  });

  it('client=, pickup uid= from=, cleanup message-id=, qmgr from= size= nrcpt=, removed, expired', () => {
    expect(ev('postfix/smtpd', '7935E164088: client=unknown[127.0.0.1], sasl_method=PLAIN, sasl_username=u')).to.deep.equal({ kind: 'client', qid: '7935E164088', client: { name: 'unknown', addr: '127.0.0.1' } });
    expect(ev('postfix/pickup', '98B0E164094: uid=0 from=<daemon@example.test>')).to.deep.equal({ kind: 'pickup', qid: '98B0E164094', uid: 0, from: 'daemon@example.test' });
    expect(ev('postfix/cleanup', '4Y2Qx62Zq1zJrP2: message-id=<20261129170447.013426@vm>')).to.deep.equal({ kind: 'message-id', qid: '4Y2Qx62Zq1zJrP2', messageId: '20261129170447.013426@vm' });
    expect(ev('postfix/qmgr', '7935E164088: from=<alice@example.test>, size=420, nrcpt=1 (queue active)')).to.deep.equal({ kind: 'queued', qid: '7935E164088', from: 'alice@example.test', size: 420, nrcpt: 1 });
    expect(ev('postfix/qmgr', '7935E164088: from=<>, size=2581, nrcpt=1 (queue active)')).to.deep.equal({ kind: 'queued', qid: '7935E164088', from: '', size: 2581, nrcpt: 1 });
    expect(ev('postfix/qmgr', '7935E164088: removed')).to.deep.equal({ kind: 'removed', qid: '7935E164088' });
    expect(ev('postfix/postsuper', '7935E164088: removed')).to.deep.equal({ kind: 'removed', qid: '7935E164088' });
    expect(ev('postfix/qmgr', 'C93CEB08A046: from=<ina@example.com>, status=expired, returned to sender')).to.deep.equal({ kind: 'expired', qid: 'C93CEB08A046', from: 'ina@example.com' });
  });

  it('delivery lines with fields in any order and unknown fields (Postfix 3.11 tls=)', () => {
    expect(ev('postfix/local', '7935E164088: to=<root@localhost>, relay=local, delay=0.15, delays=0.03/0.11/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)')).to.deep.equal({
      kind: 'delivery', qid: '7935E164088', to: 'root@localhost', relay: 'local', delay: 0.15, dsn: '2.0.0', status: 'sent', detail: 'delivered to mailbox',
    });
    const tls = ev('postfix/relay/smtp', 'ABCDE12345: to=<x@y.test>, orig_to=<x>, relay=mx.y.test[192.0.2.1]:25, conn_use=3, delay=1.5, delays=0/0/0.5/1, tls=(starttls)/!dane?/sni, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 12345ABCDE)');
    expect(tls).to.deep.equal({
      kind: 'delivery', qid: 'ABCDE12345', to: 'x@y.test', origTo: 'x', relay: 'mx.y.test[192.0.2.1]:25', connUse: 3, delay: 1.5, dsn: '2.0.0', status: 'sent', detail: '250 2.0.0 Ok: queued as 12345ABCDE',
    });
    const shuffled = ev('postfix/smtp', 'ABCDE12345: to=<x@y.test>, dsn=4.4.1, future=field, relay=none, delay=0.11, status=deferred (connect to 127.0.0.1[127.0.0.1]:2526: Connection refused)');
    expect(shuffled).to.deep.equal({
      kind: 'delivery', qid: 'ABCDE12345', to: 'x@y.test', relay: 'none', delay: 0.11, dsn: '4.4.1', status: 'deferred', detail: 'connect to 127.0.0.1[127.0.0.1]:2526: Connection refused',
    });
    expect(ev('postfix/pipe', 'A1B2C3D4E5: to=<d@x>, relay=dovecot, delay=1, delays=0.9/0/0/0.1, dsn=2.0.0, status=sent (delivered via dovecot service)')).to.include({ relay: 'dovecot', status: 'sent' });
    expect(ev('postfix/error', 'A1B2C3D4E5: to=<d@x>, relay=none, delay=1, delays=0/0/0/1, dsn=5.0.0, status=bounced (User unknown)')).to.include({ status: 'bounced', dsn: '5.0.0', detail: 'User unknown' });
    expect(ev('postfix/error', 'A1B2C3D4E5: to=<d@x>, relay=none, delay=432000, delays=0/0/0/0, dsn=4.4.1, status=expired, returned to sender')).to.include({ status: 'expired', detail: 'returned to sender' });
    expect(ev('postfix/smtp', 'A1B2C3D4E5: to=<d@x>, relay=none, dsn=4.4.1, status=frozen (x)').kind).to.equal('unparsed');
    expect(ev('postfix/smtp', 'A1B2C3D4E5: to=<d@x>, relay=none, delay=1, dsn=4.4.1, sta').kind).to.equal('unparsed');
  });

  it('rejects: NOQUEUE and QID forms, every stage, with and without an enhanced code', () => {
    expect(ev('postfix/smtpd', 'NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 550 5.1.1 <nosuchuser@example.test>: Recipient address rejected: User unknown in local recipient table; from=<alice@example.test> to=<nosuchuser@example.test> proto=ESMTP helo=<vm>')).to.deep.equal({
      kind: 'reject', qid: undefined, action: 'reject', stage: 'RCPT', client: { name: 'unknown', addr: '127.0.0.1' },
      reply: '550 5.1.1 <nosuchuser@example.test>: Recipient address rejected: User unknown in local recipient table',
      smtpCode: 550, dsn: '5.1.1', from: 'alice@example.test', to: 'nosuchuser@example.test', proto: 'ESMTP', helo: 'vm',
    });
    expect(ev('postfix/smtpd', 'NOQUEUE: reject: CONNECT from bad[203.0.113.66]: 554 5.7.1 <bad[203.0.113.66]>: Client host rejected: Access denied; proto=SMTP')).to.include({ stage: 'CONNECT', smtpCode: 554, dsn: '5.7.1', proto: 'SMTP', reply: '554 5.7.1 <bad[203.0.113.66]>: Client host rejected: Access denied' });
    expect(ev('postfix/smtpd', 'NOQUEUE: reject: MAIL from a[192.0.2.1]: 554 Sender rejected; proto=ESMTP helo=<a>')).to.deep.include({ stage: 'MAIL', smtpCode: 554, reply: '554 Sender rejected' }).and.not.have.property('dsn');
    expect(ev('postfix/smtpd', '3A1B2C3D4E: reject: DATA from a[192.0.2.1]: 550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce; from=<> proto=ESMTP helo=<a>')).to.include({ qid: '3A1B2C3D4E', stage: 'DATA', dsn: '5.5.3' });
    expect(ev('postfix/cleanup', '5C3D4E5F6A: reject: header Subject: cheap: pills from a[192.0.2.1]; from=<g@x> to=<y@z> proto=ESMTP helo=<a>: 5.7.1 Message content rejected')).to.deep.equal({
      kind: 'reject', qid: '5C3D4E5F6A', action: 'reject', stage: 'header', reply: '5.7.1 Message content rejected', dsn: '5.7.1', from: 'g@x', to: 'y@z', proto: 'ESMTP', helo: 'a',
    });
    expect(ev('postfix/cleanup', '5C3D4E5F6A: milter-reject: END-OF-MESSAGE from a[192.0.2.1]: 5.7.1 Spam; from=<g@x> to=<y@z> proto=ESMTP helo=<a>')).to.include({ action: 'milter-reject', stage: 'END-OF-MESSAGE', dsn: '5.7.1', reply: '5.7.1 Spam' });
    expect(ev('postfix/smtpd', '5C3D4E5F6A: proxy-reject: END-OF-MESSAGE: 554 5.7.1 Virus found; from=<g@x> to=<y@z> proto=ESMTP helo=<a>')).to.include({ action: 'proxy-reject', stage: 'END-OF-MESSAGE', smtpCode: 554, dsn: '5.7.1' });
    expect(ev('postfix/smtpd', 'NOQUEUE: reject_warning: RCPT from a[192.0.2.1]: 450 4.7.1 <a>: Helo command rejected: Host not found; from=<g@x> to=<y@z> proto=ESMTP helo=<a>')).to.include({ kind: 'action', action: 'reject_warning' });
    expect(ev('postfix/cleanup', '5C3D4E5F6A: warning: header Subject: x from a[192.0.2.1]; from=<g@x> to=<y@z>')).to.include({ kind: 'action', action: 'warning' });
    expect(ev('postfix/cleanup', '5C3D4E5F6A: hold: header Subject: x from a[192.0.2.1]; from=<g@x> to=<y@z>')).to.include({ kind: 'action', action: 'hold' });
  });

  it('postscreen: CONNECT, PASS NEW/OLD, DNSBL rank, reject, DISCONNECT and other findings', () => {
    const c = { name: '', addr: '203.0.113.50', port: 40000 };
    expect(ev('postfix/postscreen', 'CONNECT from [203.0.113.50]:40000 to [192.0.2.1]:25')).to.deep.equal({ kind: 'screen-connect', client: c, server: { name: '', addr: '192.0.2.1', port: 25 } });
    expect(ev('postfix/postscreen', 'PASS NEW [203.0.113.50]:40000')).to.deep.equal({ kind: 'screen-end', client: c, verdict: 'PASS NEW' });
    expect(ev('postfix/postscreen', 'PASS OLD [203.0.113.50]:40000')).to.deep.equal({ kind: 'screen-end', client: c, verdict: 'PASS OLD' });
    expect(ev('postfix/postscreen', 'DISCONNECT [203.0.113.50]:40000')).to.deep.equal({ kind: 'screen-end', client: c, verdict: 'DISCONNECT' });
    expect(ev('postfix/postscreen', 'DNSBL rank 3 for [203.0.113.50]:40000')).to.deep.equal({ kind: 'screen-note', client: c, what: 'DNSBL', rank: 3 });
    expect(ev('postfix/postscreen', 'HANGUP after 0.5 from [203.0.113.50]:40000 in tests before SMTP handshake')).to.deep.equal({ kind: 'screen-note', client: c, what: 'HANGUP' });
    expect(ev('postfix/postscreen', 'NOQUEUE: reject: RCPT from [203.0.113.50]:40000: 550 5.7.1 Service unavailable; client [203.0.113.50] blocked using zen.spamhaus.org; from=<a@b>, to=<c@d>, proto=ESMTP, helo=<x>')).to.deep.equal({
      kind: 'reject', qid: undefined, action: 'reject', stage: 'RCPT', client: c,
      reply: '550 5.7.1 Service unavailable; client [203.0.113.50] blocked using zen.spamhaus.org', smtpCode: 550, dsn: '5.7.1', from: 'a@b', to: 'c@d', proto: 'ESMTP', helo: 'x',
    });
    expect(ev('postfix/postscreen', 'NOQUEUE: reject: CONNECT from [203.0.113.51]:40001: too many connections')).to.deep.equal({
      kind: 'reject', qid: undefined, action: 'reject', stage: 'CONNECT', client: { name: '', addr: '203.0.113.51', port: 40001 }, reply: 'too many connections',
    });
  });

  it('bounce notifications, master start/reload/stop, severities, and unparsed lines', () => {
    expect(ev('postfix/bounce', 'E660F20E6C0: sender non-delivery notification: 05CFF20E6C7')).to.deep.equal({ kind: 'notification', qid: 'E660F20E6C0', what: 'sender non-delivery notification', newQid: '05CFF20E6C7' });
    expect(ev('postfix/master', 'daemon started -- version 3.7.11, configuration /etc/postfix')).to.deep.equal({ kind: 'master-start', version: '3.7.11', config: '/etc/postfix', reload: false });
    expect(ev('postfix/master', 'reload -- version 3.8.0, configuration /etc/postfix')).to.deep.equal({ kind: 'master-start', version: '3.8.0', config: '/etc/postfix', reload: true });
    expect(ev('postfix/master', 'terminating on signal 15')).to.deep.equal({ kind: 'master-stop', signal: 15 });
    expect(ev('postfix/smtpd', 'warning: hostname x does not resolve to address 1.2.3.4')).to.deep.equal({ kind: 'log', severity: 'warning', text: 'hostname x does not resolve to address 1.2.3.4' });
    expect(ev('postfix/master', 'fatal: bind 0.0.0.0 port 25: Address already in use')).to.include({ kind: 'log', severity: 'fatal' });
    expect(ev('postfix/qmgr', 'panic: myfree: corrupt or unallocated memory block')).to.include({ kind: 'log', severity: 'panic' });
    expect(ev('postfix/smtpd', 'error: open database /etc/postfix/x.db: No such file or directory')).to.include({ kind: 'log', severity: 'error' });
    expect(ev('postfix/anvil', 'statistics: max connection rate 1/60s for (smtp:192.0.2.1) at Nov 29 17:04:47').kind).to.equal('info');
    expect(ev('postfix/smtp', 'connect to mx.far.example[203.0.113.20]:25: Connection refused').kind).to.equal('info');
    for (const [prog, msg] of [
      ['postfix/smtpd', 'conn'],
      ['postfix/qmgr', '7935E164088: from=<a@b>, siz'],
      ['postfix/qmgr', '7935E164088: frobbed'],
      ['postfix/cleanup', 'message-id=<x>'],
      ['postfix/pickup', '98B0E164094: uid=x'],
      ['postfix/master', 'something else'],
      ['postfix/frobnicator', 'new daemon'],
      ['postfix/smtpd', 'NOQUEUE: reject: RCPT from a[192.0.2.1]'],
    ]) {
      expect(ev(prog!, msg!), `${prog}: ${msg}`).to.deep.equal({ kind: 'unparsed', text: msg });
    }
  });
});
