// Sendmail's log language (src/sources/sendmail/parse.ts): every line of the real 8.17 log
// recorded by test/e2e/sendmail-server.test.ts is understood, each kind of line gives the
// event and fields it should, and hostile text (addresses, message ids and remote replies
// holding ", size=" or ", stat=") cannot change a field it does not own.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseDelay, parseSendmailMessage, readFields, replyCode, splitRecipients } from '../../src/sources/sendmail/parse.js';
import { ROOT } from '../helpers/harness.js';

const FIXTURE_LOG = path.join(ROOT, 'test/fixtures/sendmail/real-8.17-e2e.log');
const P = parseSendmailMessage;

describe('sendmail log messages', function () {
  it('understands every line of the real 8.17 log', function () {
    const lines = readFileSync(FIXTURE_LOG, 'utf8').split('\n').filter((l) => l !== '');
    const kinds = new Map<string, number>();
    for (const l of lines) {
      const m = /^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ [^[]+\[\d+\]: (.*)$/.exec(l);
      expect(m, l).not.to.equal(null);
      const e = P(m![1]!);
      expect(e, l).not.to.equal(null);
      kinds.set(e!.kind, (kinds.get(e!.kind) ?? 0) + 1);
    }
    // 9 messages, 2 refused transactions and one lost after RCPT; 10 delivery attempts (2 of them DSNs, 2 of one deferred message)
    expect(Object.fromEntries(kinds)).to.deep.equal({ note: 3, 'daemon-start': 1, from: 12, to: 10, ruleset: 2, dsn: 2, 'lost-input': 1, 'idle-session': 1, syserr: 2, milter: 3 });
  });

  it('from=: sender, size, recipients, message id, protocol, daemon, relay', function () {
    expect(P('6B7MUFe5001139: from=<alice@far.example>, size=253, class=0, nrcpts=2, msgid=<20261207223015.001136@vm>, proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]')).to.deep.equal({
      kind: 'from', qid: '6B7MUFe5001139', from: '<alice@far.example>', size: 253, nrcpts: 2, msgid: '<20261207223015.001136@vm>', proto: 'ESMTP', daemon: 'MTA', relay: 'localhost [127.0.0.1]',
    });
    // command line: no brackets, no daemon; an old 8-character queue id
    expect(P('h2KKLx1A: from=root, size=120, class=0, nrcpts=1, msgid=<x@y>, relay=root@localhost')).to.deep.include({ qid: 'h2KKLx1A', from: 'root', daemon: undefined, relay: 'root@localhost' });
  });

  it('to=: recipients of one delivery, mailer, delays, outcome from dsn=', function () {
    const e = P('6B7MUFe5001139: to=<carol@example.test>,<bob@example.test>, ctladdr=<x@y> (8/0), delay=1+02:03:04, xdelay=00:00:07, mailer=local, pri=60253, dsn=2.0.0, stat=Sent');
    expect(e).to.deep.include({ kind: 'to', recipients: ['<carol@example.test>', '<bob@example.test>'], mailer: 'local', delay: 93784, xdelay: 7, dsn: '2.0.0', stat: 'Sent', outcome: 'sent' });
    expect(P('Q1234567890123: to=<a@b>, delay=00:00:00, xdelay=00:00:00, mailer=smtp8, pri=30239, relay=[127.0.0.1] [127.0.0.1], dsn=4.4.1, stat=Deferred: Connection refused by [127.0.0.1]')).to.deep.include({ outcome: 'deferred', relay: '[127.0.0.1] [127.0.0.1]', stat: 'Deferred: Connection refused by [127.0.0.1]' });
    expect(P('Q1234567890123: to=<nobody@bounce.test>, delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=30238, relay=[127.0.0.1] [127.0.0.1], dsn=5.1.1, reply=550 5.1.1 <nobody@bounce.test>: User unknown, stat=User unknown')).to.deep.include({
      outcome: 'failed', dsn: '5.1.1', reply: '550 5.1.1 <nobody@bounce.test>: User unknown', stat: 'User unknown',
    });
    // no dsn= (old versions): the stat= word decides
    expect(P('Q1234567890123: to=<a@b>, delay=00:00:00, mailer=esmtp, stat=Deferred: Name server timeout')).to.deep.include({ outcome: 'deferred' });
  });

  it('ruleset rejects, discards and quarantines, with the reply code', function () {
    expect(P('6B7MUFFg001152: ruleset=check_rcpt, arg1=<nobody@example.test>, relay=[127.0.0.3], reject=550 5.1.1 <nobody@example.test>... User unknown')).to.deep.equal({
      kind: 'ruleset', qid: '6B7MUFFg001152', ruleset: 'check_rcpt', relay: '[127.0.0.3]', action: 'reject', reply: '550 5.1.1 <nobody@example.test>... User unknown', code: '5.1.1',
    });
    expect(P('ruleset=check_relay, arg1=spam.example, arg2=192.0.2.1, relay=spam.example [192.0.2.1], reject=554 Access denied')).to.deep.include({ qid: undefined, ruleset: 'check_relay', code: '5.0.0' });
    expect(P('Q1234567890123: ruleset=check_mail, arg1=<a@spam.example>, relay=[192.0.2.1], discard')).to.deep.include({ action: 'discard', code: undefined });
    expect(P('Q1234567890123: ruleset=check_mail, arg1=<a@b>, relay=[192.0.2.1], quarantine=suspicious, sender')).to.deep.include({ action: 'quarantine' });
    expect(P('Q1234567890123: ruleset=check_rcpt, arg1=<a@b>, relay=[192.0.2.1], reject=451 4.1.8 Domain of sender address a@b does not resolve')).to.deep.include({ code: '4.1.8' });
  });

  it('milter verdicts and milter failures', function () {
    expect(P('Q1234567890123: Milter: to=<a@b>, reject=550 5.7.1 Command rejected')).to.deep.include({ kind: 'milter', action: 'reject', code: '5.7.1' });
    expect(P('Q1234567890123: Milter: data, reject=554 5.7.1 Spam')).to.deep.include({ action: 'reject', code: '5.7.1' });
    expect(P('Q1234567890123: milter=clamav, action=data, reject=451 4.3.0 Try again')).to.deep.include({ milter: 'clamav', action: 'tempfail', code: '4.3.0' });
    expect(P('Q1234567890123: milter=spamass, discard')).to.deep.include({ milter: 'spamass', action: 'discard' });
    expect(P('Q1234567890123: milter=spamass, quarantine=looks like spam')).to.deep.include({ action: 'quarantine' });
    expect(P('Q1234567890123: Milter (clamav): error connecting to filter: Connection refused by 127.0.0.1')).to.deep.include({ milter: 'clamav', action: 'error' });
    expect(P('Q1234567890123: Milter: connect: host=x, addr=192.0.2.1, rejecting commands')).to.deep.include({ action: 'reject', code: '5.7.1' });
    expect(P('Q1234567890123: Milter add: header: X-Spam: yes')).to.deep.equal({ kind: 'note' });
  });

  it('lost input, idle sessions, collect errors, DSNs, SYSERR, loops, AUTH, STARTTLS, connect, daemon start', function () {
    expect(P('6B7MVUdR002295: lost input channel from localhost [127.0.0.1] to MTA after rcpt')).to.deep.equal({ kind: 'lost-input', qid: '6B7MVUdR002295', relay: 'localhost [127.0.0.1]', daemon: 'MTA', after: 'rcpt' });
    expect(P('6B7MVUNZ002294: localhost [127.0.0.1] did not issue MAIL/EXPN/VRFY/ETRN during connection to MSA')).to.deep.include({ kind: 'idle-session', daemon: 'MSA', relay: 'localhost [127.0.0.1]' });
    expect(P('6B7MVUU4002293: collect: premature EOM: unexpected close')).to.deep.include({ kind: 'collect-error', text: 'premature EOM: unexpected close' });
    expect(P('6B7MUFo1001154: 6B7MUFo1001156: DSN: User unknown')).to.deep.equal({ kind: 'dsn', qid: '6B7MUFo1001154', newQid: '6B7MUFo1001156', notice: 'DSN', text: 'User unknown' });
    expect(P('6B7MUFo1001154: 6B7MUFo1001156: return to sender: Warning: could not send message for past 4 hours')).to.deep.include({ notice: 'return to sender' });
    expect(P('6B7MVT4X002292: SYSERR(root): Too many hops 31 (25 max): from <a@b> via localhost, to <c@d>')).to.deep.include({ kind: 'syserr', loop: true, code: '5.4.6' });
    expect(P('NOQUEUE: SYSERR(root): opendaemonsocket: daemon MTA: cannot bind: Address already in use')).to.deep.include({ kind: 'syserr', qid: undefined, loop: false, code: undefined });
    expect(P('Q1234567890123: SYSERR(root): 451 4.0.0 collect: Cannot write ./dfQ (bfcommit, uid=0, gid=0): No space left on device')).to.deep.include({ code: '4.0.0' });
    expect(P('Q1234567890123: aliasing/forwarding loop broken: <a@b> (11 aliases deep; 10 max)')).to.deep.include({ kind: 'loop' });
    expect(P('Q1234567890123: AUTH=server, relay=localhost [127.0.0.1], authid=bob, mech=PLAIN, bits=0')).to.deep.include({ kind: 'auth', ok: true, mech: 'PLAIN', relay: 'localhost [127.0.0.1]' });
    expect(P('Q1234567890123: AUTH failure (PLAIN): authentication failure (-13) SASL(-13): authentication failure: Password verification failed, relay=[192.0.2.9]')).to.deep.include({ kind: 'auth', ok: false, mech: 'PLAIN', relay: '[192.0.2.9]' });
    expect(P('STARTTLS=server, relay=localhost [127.0.0.1], version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256')).to.deep.include({ kind: 'tls', side: 'server', ok: true, relay: 'localhost [127.0.0.1]' });
    expect(P('STARTTLS=server, error: accept failed=-1, reason=unknown protocol, SSL_error=1, errno=0, retry=-1, relay=[192.0.2.9]')).to.deep.include({ kind: 'tls', ok: false });
    expect(P('NOQUEUE: connect from localhost [127.0.0.1]')).to.deep.equal({ kind: 'connect', relay: 'localhost [127.0.0.1]' });
    expect(P('starting daemon (8.17.1.9): SMTP')).to.deep.equal({ kind: 'daemon-start', version: '8.17.1.9' });
    expect(P('6B7MWp0Y003453: done; delay=00:00:00, ntries=1')).to.deep.equal({ kind: 'note' });
  });

  it('returns null for what it does not understand', function () {
    for (const t of ['', 'hello world', 'Q1234567890123: from=<a@b>, size=x, nrcpts=1', 'Q1234567890123: to=<a@b>, delay=00:00:00', 'Q1234567890123: to=<a@b>, mailer=esmtp, dsn=9.9.9, stat=Sent', 'ruleset=check_rcpt, arg1=<a@b>']) {
      expect(P(t), t).to.equal(null);
    }
  });

  it('hostile addresses, message ids and replies change no field they do not own', function () {
    // a quoted local part and a message id holding ", size=" and ", daemon="
    const f = P('Q1234567890123: from=<"x, size=99999999, nrcpts=500"@evil.example>, size=300, class=0, nrcpts=1, msgid=<a, proto=X, daemon=MSA@evil>, proto=ESMTP, daemon=MTA, relay=[192.0.2.1]');
    expect(f).to.deep.include({ from: '<"x, size=99999999, nrcpts=500"@evil.example>', size: 300, nrcpts: 1, msgid: '<a, proto=X, daemon=MSA@evil>', proto: 'ESMTP', daemon: 'MTA' });
    // a remote reply holding ", dsn=2.0.0, stat=Sent": the outcome stays sendmail's own
    const t = P('Q1234567890123: to=<a@b>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=1, relay=mx [192.0.2.1], dsn=5.0.0, reply=550 nope, dsn=2.0.0, stat=Sent (fake), stat=Service unavailable');
    expect(t).to.deep.include({ outcome: 'failed', dsn: '5.0.0', mailer: 'esmtp', stat: 'Service unavailable', reply: '550 nope, dsn=2.0.0, stat=Sent (fake)' });
    // a recipient list with commas inside quotes and brackets
    expect(splitRecipients('<"a,b"@x>,<c@y>,d@z')).to.deep.equal(['<"a,b"@x>', '<c@y>', 'd@z']);
    // an address that never closes its bracket swallows the rest: no field invented
    expect(P('Q1234567890123: from=<a, size=1, class=0, nrcpts=1')).to.equal(null);
    // a giant line is read in one pass
    const giant = `Q1234567890123: from=<${'x'.repeat(200000)}@y>, size=5, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=[192.0.2.1]`;
    expect(P(giant)).to.deep.include({ size: 5, daemon: 'MTA' });
  });

  it('helpers: readFields keeps the first of a repeated key, replyCode, parseDelay', function () {
    expect([...readFields('a=1, b=<x, a=2>, a=3')]).to.deep.equal([['a', '1'], ['b', '<x, a=2>']]);
    expect([replyCode('550 5.1.1 <x>... User unknown'), replyCode('554 Access denied'), replyCode('451 4.7.1 x'), replyCode('550 4.1.1 mismatch'), replyCode('250 2.0.0 ok'), replyCode('junk')]).to.deep.equal(['5.1.1', '5.0.0', '4.7.1', '5.0.0', '2.0.0', undefined]);
    expect([parseDelay('00:00:01'), parseDelay('2+00:00:00'), parseDelay('1:2:3'), parseDelay(undefined)]).to.deep.equal([1, 172800, undefined, undefined]);
  });
});
