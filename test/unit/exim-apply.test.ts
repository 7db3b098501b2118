// EximLog (src/sources/exim/apply.ts): what a real Exim 4.96's logs make of the model
// (test/fixtures/exim, written by the scenario of the capture in test/helpers/exim-server.ts:
// see the fixture's lines for each count below), resuming after a cut at every line,
// hostile lines, and Exim through syslog (file and journal).

import { expect } from 'chai';
import { MailSystem, type Channel } from '../../src/model/mail-system.js';
import { restoreModel, snapshotModel } from '../../src/model/persist.js';
import { EximLog, type EximLogOptions } from '../../src/sources/exim/apply.js';
import { applyQueue } from '../../src/sources/exim/queue.js';
import { parseQueueListing } from '../../src/sources/exim/queue-list.js';
import { fixture } from './exim-support.js';

/** The listeners of the capture: 37027 plain SMTP, 33033 submission with AUTH. */
const OPTS: EximLogOptions = { host: 'mx', listeners: { '37027': 'smtp', '33033': 'submission' } };

const lines = (name: string) => fixture(name).split('\n').filter((l) => l !== '');

function read(name: string, opts = OPTS): { model: MailSystem; log: EximLog; unparsed: string[] } {
  const model = new MailSystem();
  const log = new EximLog(model, opts);
  const unparsed: string[] = [];
  for (const l of lines(name)) if (!log.line(l)) unparsed.push(l);
  return { model, log, unparsed };
}

const group = (log: EximLog, name: string): Channel => {
  const ch = [...log.app.mta!.channels.values()].find((c) => c.name === name);
  expect(ch, name).to.not.equal(undefined);
  return ch!;
};
const errors = (ch: Channel, dir: 'inbound' | 'outbound' | 'internal') =>
  Object.fromEntries([...ch.errors].filter(([, c]) => c[dir] > 0).map(([code, c]) => [code, c[dir]]));

describe('Exim log -> model', () => {
  it('the real mainlog of the tests\' scenario, column by column', () => {
    const { log, unparsed } = read('mainlog-test');
    // the two lines of a second daemon's failure (also in the paniclog) are not understood
    expect(unparsed.map((l) => l.slice(20, 50))).to.deep.equal(['daemon_notifier_socket bind: A', 'socket bind() to port 37027 fo']);
    const app = log.app;
    expect(app.name).to.equal('exim MTA on mx');
    expect(app.version).to.equal('Exim 4.96');
    expect(app.startedAt).to.equal(new Date(2026, 11, 7, 22, 36, 22).getTime());
    // 24 connections opened and closed; 7 deliveries or refusals by a server over a new
    // connection (4 `=>`/`>>`, the 550, the 451 twice); 4 connections refused
    expect([app.inboundAssociations, app.accumulatedInboundAssociations, app.accumulatedOutboundAssociations, app.failedOutboundAssociations]).to.deep.equal([0, 24, 7, 4]);
    expect(app.associations.size).to.equal(0);
    const c = app.mta!.counters;
    // 21 `<=` (12 SMTP, 2 submission, 3 local, 4 bounces); 11 messages transmitted (7 by
    // appendfile, 4 by SMTP: 8 and 5 recipients); one loop
    expect([c.receivedMessages, c.receivedVolume, c.receivedRecipients]).to.deep.equal([21, 17564, 24]);
    expect([c.transmittedMessages, c.transmittedVolume, c.transmittedRecipients]).to.deep.equal([11, 7558, 13]);
    expect(c.loopsDetected).to.equal(1);

    const smtp = group(log, 'smtp');
    expect([smtp.receivedMessages, smtp.receivedVolume, smtp.receivedRecipients, smtp.hierarchy]).to.deep.equal([12, 7149, 15, -1]);
    expect(smtp.protocol).to.deep.equal({ transport: 'tcp', port: 37027 });
    // rejected RCPT twice, temporarily once, after DATA, the DROP; the EHLO refusal only as an error
    expect([smtp.rejectedMessages, smtp.inboundRejectionReason, smtp.accumulatedInboundAssociations]).to.deep.equal([5, 'go away', 21]);
    expect(errors(smtp, 'inbound')).to.deep.equal({ '5.0.0': 5, '4.0.0': 1, '5.5.4': 1 });
    const sub = group(log, 'submission');
    expect([sub.receivedMessages, sub.receivedVolume, sub.receivedRecipients, sub.accumulatedInboundAssociations]).to.deep.equal([2, 980, 2, 3]);
    expect(errors(sub, 'inbound')).to.deep.equal({ '5.0.0': 1, '5.7.8': 1 });
    expect([group(log, 'local').receivedMessages, group(log, 'bounce').receivedMessages]).to.deep.equal([3, 4]);
    expect(group(log, 'bounce').receivedVolume).to.equal(8552);

    const ld = group(log, 'local_delivery');
    expect([ld.transmittedMessages, ld.transmittedVolume, ld.transmittedRecipients, ld.hierarchy]).to.deep.equal([7, 5549, 8, -2]);
    const rs = group(log, 'remote_smtp');
    expect([rs.transmittedMessages, rs.transmittedVolume, rs.transmittedRecipients]).to.deep.equal([4, 2009, 5]);
    expect([rs.accumulatedOutboundAssociations, rs.failedOutboundAssociations, rs.outboundConnectFailureReason]).to.deep.equal([7, 4, 'Connection refused']);
    expect(rs.protocol).to.deep.equal({ transport: 'tcp', port: 25 });
    // 4 connections refused, the 451 4.3.0 twice, the 550 5.1.1; not the 2 `retry time not reached`
    expect(errors(rs, 'outbound')).to.deep.equal({ '4.0.0': 6, '4.4.1': 4, '4.3.0': 2, '5.0.0': 1, '5.1.1': 1 });
    const routing = group(log, 'routing');
    // 7 Unrouteable (bounces to far.test, each frozen and forced again), the loop, the
    // expiry, the message routed to this host twice; not the 2 routing `retry time not reached`
    expect(errors(routing, 'outbound')).to.deep.equal({ '4.0.0': 2, '4.4.6': 2, '5.0.0': 9, '5.1.2': 7, '5.4.6': 1, '5.4.7': 1 });
    expect(routing.loopsDetected).to.equal(1);
    // remote.test, tempfail.test, self.test, expire.test
    expect(log.deferredMessages).to.equal(4);
  });

  it('without +received_recipients, recipients are received when first named; -all keeps no connections', () => {
    const { log, unparsed } = read('mainlog-none', { host: 'mx' });
    expect(unparsed).to.have.length(2);
    const c = log.app.mta!.counters;
    // the same traffic as above: the recipients each counted once, at their first line (the
    // -N submission's recipient is named only by its `*>` line: not counted)
    expect([c.receivedMessages, c.receivedRecipients, c.transmittedMessages, c.transmittedRecipients]).to.deep.equal([21, 23, 11, 13]);
    expect(log.app.accumulatedInboundAssociations).to.equal(0);
    // without I=: by protocol
    expect([group(log, 'smtp').receivedMessages, group(log, 'submission').receivedMessages]).to.deep.equal([12, 2]);
  });

  it('+all and the zone: the same counts as the tests\' selector', () => {
    // (captures of their own: the sizes differ by the digits of dates and ports)
    for (const name of ['mainlog-all', 'mainlog-alltz']) {
      const { log } = read(name, { host: 'mx' });
      const c = log.app.mta!.counters;
      expect([c.receivedMessages, c.receivedRecipients, c.transmittedMessages, c.transmittedRecipients, c.loopsDetected], name).to.deep.equal([21, 24, 11, 13, 1]);
      expect([log.app.accumulatedInboundAssociations, log.app.accumulatedOutboundAssociations, log.app.failedOutboundAssociations, log.deferredMessages], name).to.deep.equal([24, 7, 4, 4]);
    }
  });

  it('the rejectlog repeats the mainlog: understood, not counted; every paniclog entry is an internal error', () => {
    const { model, log } = read('mainlog-test');
    const before = JSON.stringify(snapshotModel(model));
    for (const l of lines('rejectlog-test')) expect(log.rejectLine(l), l).to.equal(true);
    expect(JSON.stringify(snapshotModel(model))).to.equal(before);
    for (const l of lines('paniclog-test')) expect(log.panicLine(l)).to.equal(true);
    expect(errors(group(log, 'exim'), 'internal')).to.deep.equal({ '4.0.0': 1, '4.3.0': 1 });
    expect(group(log, 'exim').hierarchy).to.equal(0);
  });

  it('resumes exactly from a checkpoint taken after any line', () => {
    const all = lines('mainlog-test');
    const whole = read('mainlog-test');
    const want = JSON.stringify(snapshotModel(whole.model));
    for (let k = 0; k <= all.length; k++) {
      const m1 = new MailSystem();
      const l1 = new EximLog(m1, OPTS);
      for (const l of all.slice(0, k)) l1.line(l);
      const snap = JSON.parse(JSON.stringify({ model: snapshotModel(m1), state: l1.state() }));
      const m2 = new MailSystem();
      restoreModel(m2, snap.model);
      const l2 = new EximLog(m2, OPTS, snap.state.log);
      for (const l of all.slice(k)) l2.line(l);
      expect(JSON.stringify(snapshotModel(m2)), `cut after line ${k}`).to.equal(want);
      expect(l2.deferredMessages).to.equal(whole.log.deferredMessages);
      expect(l2.app.associations.size).to.equal(0);
    }
  });

  it('keeps connections open across a checkpoint as association rows', () => {
    const all = lines('mainlog-test');
    // after `SMTP connection from [127.0.0.1]:47820 ... (TCP/IP connection count = 1)`
    const k = all.findIndex((l) => l.includes('47820') && l.includes('connection count')) + 1;
    const m1 = new MailSystem();
    const l1 = new EximLog(m1, OPTS);
    for (const l of all.slice(0, k)) l1.line(l);
    expect(l1.app.inboundAssociations).to.equal(1);
    const snap = JSON.parse(JSON.stringify({ model: snapshotModel(m1), state: l1.state() }));
    const m2 = new MailSystem();
    restoreModel(m2, snap.model);
    const l2 = new EximLog(m2, OPTS, snap.state.log);
    expect(l2.app.inboundAssociations).to.equal(1);
    expect([...l2.app.associations.values()].map((a) => [a.remoteApplication, a.type])).to.deep.equal([['127.0.0.1', 'peerresponder']]);
    expect(group(l2, 'smtp').inboundAssociations).to.equal(1);
    l2.line(all.find((l) => l.includes(':47820 ') && l.endsWith('closed by QUIT'))!);
    expect(l2.app.inboundAssociations).to.equal(0);
  });

  it('the queue: stored totals with the log\'s exact sizes, per group the last one tried, the oldest', () => {
    // the log up to the end of the forced queue run, when `exim -bp` was taken
    const all = lines('mainlog-test');
    const model = new MailSystem();
    const log = new EximLog(model, OPTS);
    for (const l of all.slice(0, all.findIndex((l) => l.includes('End queue run: pid=7328 -qff')) + 1)) log.line(l);
    applyQueue(model, log, parseQueueListing(fixture('bp-test.txt')));
    const c = log.app.mta!.counters;
    expect([c.storedMessages, c.storedVolume, c.storedRecipients]).to.deep.equal([6, 456 + 460 + 452 + 1665 + 3213 + 1693, 6]);
    // remote.test (refused) and tempfail.test (451), last tried by remote_smtp
    const rs = group(log, 'remote_smtp');
    expect([rs.storedMessages, rs.storedVolume, rs.storedRecipients, rs.oldestMessageId, rs.oldestMessageStoredAt]).to.deep.equal([2, 916, 2, '1xahJr-0001k9-0p', Date.UTC(2026, 11, 7, 22, 36, 27)]);
    // the frozen ones: routed to this host, and three bounces to an unroutable sender
    const routing = group(log, 'routing');
    expect([routing.storedMessages, routing.storedVolume, routing.storedRecipients, routing.oldestMessageId]).to.deep.equal([4, 452 + 1665 + 3213 + 1693, 4, '1xahJt-0001mB-0V']);
    expect(group(log, 'local_delivery').storedMessages).to.equal(0);
    // a count alone (exim -bpc): the totals only, nothing per group
    applyQueue(model, log, parseQueueListing('3\n'));
    expect([c.storedMessages, c.storedVolume, rs.storedMessages, rs.oldestMessageStoredAt]).to.deep.equal([3, 0, 0, undefined]);
  });

  describe('hostile lines', () => {
    it('a sender holding `=>` and `S=`, a forged subject, a long subject: the real size, no delivery', () => {
      const { log } = read('mainlog-test');
      const before = { ...log.app.mta!.counters };
      const hostile = [
        '2026-12-07 22:40:51 1xahO7-0003GL-2U <= "a => b S=99999 P=esmtpsa"@far.test H=(h.test) [127.0.0.1]:56338 I=[127.0.0.1]:37027 P=esmtp S=318 T="s\\" S=55555 for x@y \\"" for bob@example.test',
        `2026-12-07 22:40:52 1xahO8-0003GS-0M <= alice@far.test H=(h.test) [127.0.0.1]:56354 I=[127.0.0.1]:37027 P=esmtp S=5201 T="${'x'.repeat(100_000)}" for "q => r@x T=remote_smtp"@example.test bob@example.test`,
        '2026-12-07 22:40:52 1xahO8-0003GS-0M ** q => r@x t=remote_smtp@example.test <"q => r@x T=remote_smtp"@example.test> F=<alice@far.test>: Unrouteable address',
      ];
      for (const l of hostile) expect(log.line(l), l.slice(0, 60)).to.equal(true);
      const c = log.app.mta!.counters;
      expect(c.receivedMessages - before.receivedMessages).to.equal(2);
      expect(c.receivedVolume - before.receivedVolume).to.equal(318 + 5201);
      expect(c.receivedRecipients - before.receivedRecipients).to.equal(3);
      expect(c.transmittedRecipients).to.equal(before.transmittedRecipients);
      expect(errors(group(log, 'routing'), 'outbound')['5.1.2']).to.equal(8);
      expect(log.app.mta!.channels.size).to.equal(7);
    });

    it('lines that are not Exim\'s are counted as not understood and change nothing', () => {
      const model = new MailSystem();
      const log = new EximLog(model, OPTS);
      const before = JSON.stringify(snapshotModel(model));
      for (const l of ['garbage', '2026-13-45 99:99:99 1xahO7-0003GL-2U <= a@b H=[1.2.3.4] P=smtp S=12', '2026-12-07 22:00:00 1xahO7-0003GL-2U <= a@b P=smtp', '2026-12-07 22:00:00 something new']) {
        expect(log.line(l), l).to.equal(false);
      }
      expect(JSON.stringify(snapshotModel(model))).to.equal(before);
    });

    it('at most 256 groups: transports made up by a forged log count nothing more', () => {
      const model = new MailSystem();
      const log = new EximLog(model, OPTS);
      let refused = 0;
      for (let i = 0; i < 300; i++) if (!log.line(`2026-12-07 22:00:00 1xahO7-0003GL-2U => a${i}@b.test R=r T=t${i}`)) refused++;
      expect(log.app.mta!.channels.size).to.equal(256);
      expect(refused).to.equal(300 - 256);
    });
  });

  describe('Exim through syslog', () => {
    it('a syslog file: Exim\'s lines inside the framing, the rejectlog\'s and paniclog\'s copies told apart', () => {
      const { log, unparsed } = read('syslog-maillog', { host: 'mx', listeners: { '2725': 'smtp' } });
      // the second daemon's failure to bind (the mainlog copy of its panic) is not understood
      expect(unparsed.map((l) => l.slice(l.indexOf('] ', 40) + 2).slice(0, 30))).to.deep.equal(['daemon_notifier_socket bind: A', 'socket bind() to port 2725 for']);
      const c = log.app.mta!.counters;
      expect([c.receivedMessages, c.transmittedRecipients]).to.deep.equal([2, 1]);
      // rejected RCPT and after DATA, each once although syslog has each twice
      expect(group(log, 'smtp').rejectedMessages).to.equal(2);
      expect(errors(group(log, 'exim'), 'internal')).to.deep.equal({ '4.0.0': 1, '4.3.0': 1 });
      expect(log.app.accumulatedInboundAssociations).to.equal(4);
    });

    it('the journal: the same, by priority', () => {
      const model = new MailSystem();
      const log = new EximLog(model, { host: 'mx', listeners: { '2725': 'smtp' } });
      for (const l of lines('syslog-datagrams')) {
        const m = /^<(\d+)>.{15} exim\[(\d+)\]: (.*)$/.exec(l)!;
        log.entry({ time: 0, identifier: 'exim', pid: Number(m[2]), message: m[3]!, priority: Number(m[1]) & 7 });
      }
      const file = read('syslog-maillog', { host: 'mx', listeners: { '2725': 'smtp' } });
      expect(JSON.stringify(snapshotModel(model))).to.equal(JSON.stringify(snapshotModel(file.model)));
    });
  });
});
