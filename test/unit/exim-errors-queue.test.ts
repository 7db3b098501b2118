// Error codes of Exim's failures and refusals (src/sources/exim/errors.ts), its queue
// listing (queue-list.ts) and its syslog parts (syslog-parts.ts), on real output of
// Exim 4.96 (test/fixtures/exim) unless a test says "documented".

import { expect } from 'chai';
import type { FailureEvent, RejectEvent } from '../../src/sources/exim/events.js';
import { classifyFailure, rejectionCode, remoteReply, replyCode } from '../../src/sources/exim/errors.js';
import { EximLineParser } from '../../src/sources/exim/parse.js';
import { listedSize, parseQueueListing } from '../../src/sources/exim/queue-list.js';
import { streamOfPriority, SyslogCopies, SyslogParts } from '../../src/sources/exim/syslog-parts.js';
import { fixture } from './exim-support.js';

const failure = (line: string): FailureEvent => {
  const e = new EximLineParser().parse(line)!.event;
  expect(e.kind, line).to.equal('failure');
  return e as FailureEvent;
};
const reject = (line: string): RejectEvent => {
  const e = new EximLineParser().parse(line)!.event;
  expect(e.kind, line).to.equal('reject');
  return e as RejectEvent;
};

describe('Exim error codes', () => {
  it('takes the remote server\'s enhanced code from its reply', () => {
    const f = failure('2026-12-07 22:36:28 1xahJs-0001lh-1s ** nobody@bounce.test R=to_sinks T=remote_smtp H=127.0.0.3 [127.0.0.3] I=[127.0.0.1]: SMTP error from remote mail server after RCPT TO:<nobody@bounce.test>: 550 5.1.1 <nobody@bounce.test>: Recipient address rejected: User unknown');
    expect(remoteReply(f.reason)).to.equal('550 5.1.1 <nobody@bounce.test>: Recipient address rejected: User unknown');
    expect(classifyFailure(f)).to.deep.equal({ code: '5.1.1', attempt: true, connectFailure: false, loop: false });
    const d = failure('2026-12-07 22:37:15.832 [7948] 1xahKd-000249-1m == someone@tempfail.test R=to_sinks T=remote_smtp defer (-44) H=127.0.0.4 [127.0.0.4]:45813 I=[127.0.0.1]:53188 DT=0.000s: SMTP error from remote mail server after RCPT TO:<someone@tempfail.test>: 451 4.3.0 <someone@tempfail.test>: Temporary lookup failure');
    expect(classifyFailure(d)).to.deep.equal({ code: '4.3.0', attempt: true, connectFailure: false, loop: false });
  });

  it('a reply without an enhanced code counts in its class; the documented older form with host', () => {
    expect(replyCode('550 No such user')).to.equal('5.0.0');
    expect(replyCode('421 4.7.0 try later')).to.equal('4.7.0');
    expect(replyCode('550 4.1.1 mismatched')).to.equal('5.0.0');
    expect(replyCode('Connection refused')).to.equal(undefined);
    // Exim spec 53.10
    const text = 'SMTP error from remote mailer after pipelined RCPT TO:<ace400@pb.example>: host pbmail3.py.example [192.168.63.111]: 553 5.3.0 <ace400@pb.example>...Addressee unknown';
    expect(remoteReply(text)).to.equal('553 5.3.0 <ace400@pb.example>...Addressee unknown');
  });

  it('Exim\'s own errors: connection, retry, routing, loop, self', () => {
    const c = (line: string) => classifyFailure(failure(line));
    expect(c('2026-12-07 22:36:27 1xahJr-0001k9-0p == someone@remote.test R=to_sinks T=remote_smtp defer (111): Connection refused')).to.deep.equal({ code: '4.4.1', attempt: true, connectFailure: true, loop: false });
    expect(c('2026-12-07 22:36:38 1xahJr-0001ku-2x == someone@tempfail.test routing defer (-52): retry time not reached')).to.deep.include({ attempt: false });
    expect(c("2026-12-07 22:36:41 1xahJr-0001k9-0p == someone@remote.test R=to_sinks T=remote_smtp defer (-54): retry time not reached for any host for 'remote.test'")).to.deep.include({ attempt: false });
    expect(c('2026-12-07 22:36:29 1xahJt-0001mX-2O ** who@nowhere.test: Unrouteable address')).to.deep.equal({ code: '5.1.2', attempt: true, connectFailure: false, loop: false });
    expect(c('2026-12-07 22:36:34 1xahJy-0001pa-2C ** bob@example.test: Too many "Received" headers - suspected mail loop')).to.deep.equal({ code: '5.4.6', attempt: true, connectFailure: false, loop: true });
    expect(c('2026-12-07 22:36:38 1xahJu-0001nN-1M ** someone@expire.test: retry timeout exceeded')).to.deep.include({ code: '5.4.7' });
    expect(c('2026-12-07 22:36:29 1xahJt-0001mB-0V == someone@self.test R=to_self defer (-1): remote host address is the local host')).to.deep.include({ code: '4.4.6', connectFailure: false });
    expect(c('2026-12-07 22:00:00 1xahJt-0001mB-0V == x@y.test R=r T=t defer (-99): something new')).to.deep.include({ code: '4.0.0' });
  });

  it('refusals: an ACL message with its own code, AUTH, EHLO, relaying, else the class', () => {
    expect(rejectionCode(reject('2026-12-07 22:36:24 H=(client.example.test) [127.0.0.1]:47832 I=[127.0.0.1]:37027 F=<alice@far.test> rejected RCPT <blocked@example.test>: no such user here'))).to.equal('5.0.0');
    expect(rejectionCode(reject('2026-12-07 22:36:24 H=(client.example.test) [127.0.0.1]:47846 I=[127.0.0.1]:37027 F=<alice@far.test> temporarily rejected RCPT <later@example.test>: try again later'))).to.equal('4.0.0');
    expect(rejectionCode(reject('2026-12-07 22:36:32 plain authenticator failed for (client.example.test) [127.0.0.1]:40760 I=[127.0.0.1]:33033: 535 Incorrect authentication data (set_id=alice)'))).to.equal('5.7.8');
    expect(rejectionCode(reject('2026-12-07 22:36:35 rejected EHLO from [127.0.0.1]:41244 I=[127.0.0.1]:37027: syntactically invalid argument(s): a_b!'))).to.equal('5.5.4');
    // documented (Debian's default ACL text) and made up (an ACL message with a code)
    expect(rejectionCode(reject('2026-12-07 22:00:00 H=(x) [192.0.2.7] F=<a@b.test> rejected RCPT <c@far.test>: relay not permitted'))).to.equal('5.7.1');
    expect(rejectionCode(reject('2026-12-07 22:00:00 H=(x) [192.0.2.7] F=<a@b.test> rejected RCPT <c@d.test>: 550 5.1.10 null MX'))).to.equal('5.1.10');
  });
});

describe('Exim queue listing', () => {
  it('reads exim -bp: ids, sizes, senders, frozen, recipients left', () => {
    const q = parseQueueListing(fixture('bp-test.txt'));
    expect(q.count).to.equal(6);
    expect(q.messages.map((m) => [m.id, m.size, m.sender, m.frozen, m.recipients])).to.deep.equal([
      ['1xahJr-0001k9-0p', 456, 'alice@far.test', false, 1],
      ['1xahJr-0001ku-2x', 460, 'alice@far.test', false, 1],
      ['1xahJt-0001mB-0V', 452, 'alice@far.test', true, 1],
      ['1xahJt-0001ma-2j', 1638, '', true, 1],
      ['1xahJy-0001pc-2Z', 3174, '', true, 1],
      ['1xahK3-0001sd-0C', 1741, '', true, 1],
    ]);
    expect(q.messages[0]!.arrived).to.equal(Date.UTC(2026, 11, 7, 22, 36, 27));
  });

  it('delivered recipients (D) are not left; ages in hours and days; exim -bpc', () => {
    // real (a first capture): two recipients deferred, one delivered
    const q = parseQueueListing(' 0m   456 1xah8G-00068O-2S <alice@far.test>\n          x@remote.test\n          y@remote.test\n        D bob@example.test\n\n 3h  12K 1xah89-00064J-3A <> *** frozen ***\n          alice@far.test\n\n');
    expect(q.messages.map((m) => [m.id, m.size, m.recipients, m.frozen])).to.deep.equal([
      ['1xah8G-00068O-2S', 456, 2, false],
      ['1xah89-00064J-3A', 12288, 1, true],
    ]);
    expect(parseQueueListing(fixture('bpc-test.txt'))).to.deep.equal({ messages: [], count: 6 });
    expect(parseQueueListing('')).to.deep.equal({ messages: [], count: 0 });
  });

  it('refuses output that is not a listing', () => {
    expect(() => parseQueueListing('exim: permission denied\n')).to.throw(/line 1 not understood/);
  });

  it('sizes as Exim prints them', () => {
    expect(listedSize('456')).to.equal(456);
    expect(listedSize('1.6K')).to.equal(1638);
    expect(listedSize('12K')).to.equal(12288);
    expect(listedSize('1.2M')).to.equal(1258291);
    expect(listedSize('')).to.equal(0);
  });
});

describe('Exim through syslog', () => {
  // real datagrams of Exim 4.96 with log_file_path = syslog: `<PRI>Mmm dd HH:MM:SS exim[PID]: TEXT`
  const datagrams = fixture('syslog-datagrams')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^<(\d+)>.{15} exim\[(\d+)\]: (.*)$/.exec(l)!;
      return { pri: Number(m[1]) & 7, pid: Number(m[2]), text: m[3]! };
    });

  it('rebuilds split entries and drops the header lines of a rejectlog entry', () => {
    const parts = new SyslogParts();
    const lines: string[] = [];
    let continuations = 0;
    for (const d of datagrams) {
      const r = parts.feed(d.pid, d.text);
      if ('line' in r) lines.push(r.line);
      else if ('continuation' in r) continuations++;
    }
    expect(lines[0]).to.equal('2026-12-07 22:39:01 [10233] Warning: No server certificate defined; will use a selfsigned one.');
    // the warning's second line (two daemon starts) and the 14 header lines of the refusal after DATA
    expect(continuations).to.equal(17);
    expect(lines).to.have.length(datagrams.length - 17);
  });

  it('joins the parts of a line cut for length (documented: Exim spec 53.4)', () => {
    const parts = new SyslogParts();
    expect(parts.feed(7, '[1/3] 2002-09-16 16:09:43 16RdAL-0006pc-00 rejected from')).to.deep.equal({ pending: true });
    expect(parts.feed(8, 'other process')).to.deep.equal({ line: 'other process' });
    expect(parts.feed(7, '[2/3]  [127.0.0.1] (ph10): syntax error')).to.deep.equal({ pending: true });
    expect(parts.feed(7, '[3/3]  in From')).to.deep.equal({ line: '2002-09-16 16:09:43 16RdAL-0006pc-00 rejected from [127.0.0.1] (ph10): syntax error in From' });
    // a part whose beginning was not seen
    expect(parts.feed(9, '[4/5] tail')).to.deep.equal({ continuation: true });
  });

  it('tells the copies for the rejectlog and paniclog apart: by priority, or as the repeat of a process\'s entry', () => {
    expect(datagrams.map((d) => streamOfPriority(d.pri)).filter((s) => s !== 'main')).to.deep.equal([
      'reject', // rejected RCPT
      ...Array<string>(15).fill('reject'), // rejected after DATA, 15 parts
      'panic', // daemon_notifier_socket bind
    ]);
    const copies = new SyslogCopies();
    const parts = new SyslogParts();
    const copied: string[] = [];
    for (const d of datagrams) {
      const r = parts.feed(d.pid, d.text);
      if (!('line' in r)) continue;
      const kind = new EximLineParser().parse(r.line)!.event.kind;
      if (copies.isCopy(d.pid, r.line, kind === 'reject' || kind === 'unparsed')) copied.push(r.line.slice(28, 70));
    }
    expect(copied).to.deep.equal([
      'H=(vm) [127.0.0.1] F=<alice@far.test> reje',
      '1xahMO-0002fr-1M H=(vm) [127.0.0.1] F=<ali',
      'daemon_notifier_socket bind: Address alrea',
    ]);
  });
});
