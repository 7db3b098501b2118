// Postfix's imsimta counters (issue 13 item 4) and the columns of item 3 the log moves
// (loops, internal errors, the deferral time the scheduled retry starts from), from a real
// Postfix 3.7.11 log: test/fixtures/postfix/columns-3.7.log, captured from the private
// instance of test/helpers/postfix-server.ts (directory paths anonymised). Lines 1-92: local,
// relay, bounce, two deferred messages, RCPT refusals, a forwarding loop, submission, a
// queue flush and a forced expiry; lines 93-100: the instance started again with a
// sender_access map that does not exist (smtpd's error and warnings, a 451 4.3.5 refusal).
// The expected values are worked out by hand, line by line (Lnn).

import { expect } from 'chai';
import { channelCountersOf, type ChannelCounters } from '../../src/model/channel-counters.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { PostfixLog } from '../../src/sources/postfix/apply.js';
import { peerWarning } from '../../src/sources/postfix/outcomes.js';
import { DEFAULT_BACKOFF, nextAttempt, postfixSeconds } from '../../src/sources/postfix/queue.js';
import { app, checkpointCopy, errors, fixture, group, read } from './postfix-support.js';

const LINES = fixture('columns-3.7.log');
const MTA = 'postfix-test MTA on madman-test';
const t = (m: number, r: number, b: number) => ({ messages: m, recipients: r, blocks: b });
const NONE = t(0, 0, 0);

function book(model: MailSystem): Map<string, ChannelCounters> {
  return new Map([...channelCountersOf(model).values()].map((c) => [c.name, c]));
}

describe('Postfix imsimta counters (real 3.7.11 log)', () => {
  const { model, log } = read(LINES, { year: 2026 });
  const c = book(model);

  it('smtpd: Submitted 7 messages (qmgr L6 L13 L21 L34 L40 L49 L60), Rejected (L46; L54+L55 one message; L99), 9 connections', () => {
    const s = c.get('smtpd')!;
    // nrcpt: 1 1+1(L13: 2) 1 1 2(L40) 1 1 = 9; sizes 433..465 octets: one block each
    expect(s.values).to.deep.equal({ received: NONE, stored: NONE, delivered: NONE, submitted: t(7, 9, 7), attempted: NONE, rejected: t(3, 4, 0), failed: NONE });
    expect([s.inAssocs, s.outAssocs]).to.deep.equal([9, 0]);
    expect(c.get('submission/smtpd')!.values.submitted).to.deep.equal(t(1, 1, 1));
  });

  it('local: Received and Delivered 7 (3 of them notifications of 3 blocks), the loop (L62) Received and Failed', () => {
    const l = c.get('local')!;
    expect(l.values).to.deep.equal({
      received: t(8, 8, 14),
      stored: t(1, 1, 1), // Received less Delivered: the looping message, bounced
      delivered: t(7, 7, 13),
      submitted: NONE,
      attempted: NONE,
      rejected: NONE,
      failed: t(1, 1, 1),
    });
    // every delay= below 0.5 s: 0 s each, all at the first attempt
    expect([l.deliveredFirstTime, l.queueSeconds, l.queueCount, l.queueFirstSeconds, l.queueFirstCount]).to.deep.equal([7, 0, 7, 0, 7]);
  });

  it('smtp: the relay (L16), the bounce (L23), the deferrals (L36, L43-44, L79-80, L84) and the forced expiry (L86)', () => {
    const s = c.get('smtp')!;
    expect(s.values).to.deep.equal({
      received: t(4, 5, 4), // L16, L23, L36, L43+L44; the retries L79, L80, L84 are not received again
      stored: t(3, 4, 3),
      delivered: t(1, 1, 1),
      submitted: NONE,
      attempted: t(4, 6, 4), // one message per attempt: L36, L43-44, L79-80 (after qmgr's L76), L84
      rejected: NONE,
      failed: t(2, 2, 2), // L23 bounced; L86 returns 9E0AF's one deferred recipient
    });
    expect([s.deliveredFirstTime, s.queueCount, s.queueFirstCount, s.outAssocs]).to.deep.equal([1, 1, 1, 2]);
  });

  it('loops: local\'s "mail forwarding loop" (dsn=5.4.6, L62) in the group and the MTA', () => {
    expect(group(model, MTA, 'local').loopsDetected).to.equal(1);
    expect(group(model, MTA, 'smtp').loopsDetected).to.equal(0);
    expect(app(model, MTA).mta!.counters.loopsDetected).to.equal(1);
  });

  it('internal errors: smtpd\'s error: and two warning: lines (L95, L97, L98) under 4.3.0; no other group has any', () => {
    expect(errors(group(model, MTA, 'smtpd'))).to.deep.equal({
      '4.0.0': [1, 3, 0],
      '4.3.0': [0, 3, 0],
      '4.3.5': [1, 0, 0],
      '5.0.0': [3, 0, 0],
      '5.7.1': [3, 0, 0],
    });
    for (const n of ['local', 'smtp', 'submission/smtpd']) for (const [, [, internal]] of Object.entries(errors(group(model, MTA, n)))) expect(internal, n).to.equal(0);
  });

  it('the queue reader gets the last deferral time of a queued message (EDAA520D226: L80)', () => {
    const ctx = log.queueContext('postfix-test')!;
    expect(ctx.deferredAt('EDAA520D226')).to.equal(new Date(2026, 11, 8, 0, 19, 27).getTime());
    expect(ctx.groupOf('EDAA520D226')?.name).to.equal('smtp');
    expect(ctx.deferredAt('9E0AF20D220')).to.equal(undefined); // expired and removed
  });

  it('a restart after any line, from the checkpoint, ends with the same counters', () => {
    const want = [...c.values()].map((x) => structuredClone(x));
    for (let cut = 1; cut < LINES.length; cut++) {
      const a = read(LINES.slice(0, cut), { year: 2026 });
      const state = JSON.parse(JSON.stringify(a.log.snapshot()));
      const m2 = checkpointCopy(a.model);
      const l2 = new PostfixLog(m2, { year: 2026 });
      l2.restore(state);
      for (const l of LINES.slice(cut)) l2.line(l);
      expect([...book(m2).values()], `cut after line ${cut}`).to.deep.equal(want);
    }
  });

  it('a clear zeroes them (MTA-MIB counters stay) and counting goes on from there', () => {
    const { model: m, log: l } = read(LINES.slice(0, 20), { year: 2026 });
    const before = group(m, MTA, 'smtpd').receivedMessages;
    l.clearCounters(1, 42);
    const s = book(m).get('smtpd')!;
    expect([s.values.submitted, s.inAssocs, s.since, l.channelCounters.clearSeq]).to.deep.equal([NONE, 0, 42, 1]);
    expect(group(m, MTA, 'smtpd').receivedMessages).to.equal(before);
    for (const x of LINES.slice(20, 22)) l.line(x); // L21: qmgr queues 5F1D520C04B
    expect(book(m).get('smtpd')!.values.submitted).to.deep.equal(t(1, 1, 1));
  });
});

describe('Postfix: warnings about a peer are no internal error', () => {
  it('tells them by the peer\'s address or name', () => {
    for (const w of [
      'hostname 4-3-2-1.example does not resolve to address 1.2.3.4: Name or service not known',
      'non-SMTP command from unknown[192.0.2.7]: GET / HTTP/1.1',
      '192.0.2.7: address not listed for hostname mail.example',
      'Illegal address syntax from unknown[2001:db8::1] in MAIL command: <x',
      'TLS library problem: error:0A000126:SSL routines::unexpected eof while reading',
    ]) expect(peerWarning(w), w).to.equal(true);
    for (const w of ['hash:/etc/postfix/x is unavailable. open database /etc/postfix/x.db: No such file or directory', 'process /usr/lib/postfix/sbin/smtpd pid 4 exit status 1', 'database /etc/postfix/transport.db is older than source file /etc/postfix/transport']) {
      expect(peerWarning(w), w).to.equal(false);
    }
  });
});

describe('Postfix: when qmgr next tries a deferred message', () => {
  it('the deferral plus the message\'s age then, within minimal_backoff_time and maximal_backoff_time', () => {
    const T = 1_000_000_000_000;
    expect(nextAttempt(T, T - 2_000)).to.equal(T + 300_000); // 2 s old: the minimum, 300 s
    expect(nextAttempt(T, T - 1_000_000)).to.equal(T + 1_000_000); // 1000 s old: 1000 s
    expect(nextAttempt(T, T - 86_400_000)).to.equal(T + 4_000_000); // a day old: the maximum
    expect(nextAttempt(T, T - 2_000, { min: 60, max: 120 })).to.equal(T + 60_000);
    expect(DEFAULT_BACKOFF).to.deep.equal({ min: 300, max: 4000 });
    expect([postfixSeconds('300s'), postfixSeconds('5m'), postfixSeconds('4000'), postfixSeconds('1h'), postfixSeconds('2d'), postfixSeconds('1w'), postfixSeconds('x')]).to.deep.equal([300, 300, 4000, 3600, 172800, 604800, undefined]);
  });
});
