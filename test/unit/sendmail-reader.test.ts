// The Sendmail log reader (src/sources/sendmail/reader.ts) on the real 8.17 log recorded by
// test/e2e/sendmail-server.test.ts: every MTA-MIB column it moves, with exact values, in
// both modes (log alone; statistics file owning the mailers' message and volume columns);
// the same end state whatever line it was stopped and resumed at; hostile lines.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { channelCountersOf } from '../../src/model/channel-counters.js';
import { MailSystem, type Channel } from '../../src/model/mail-system.js';
import { restoreModel, snapshotModel } from '../../src/model/persist.js';
import { parseSendmailCf } from '../../src/sources/sendmail/cf.js';
import { SendmailLog, type FramedLine } from '../../src/sources/sendmail/reader.js';
import { SendmailRows } from '../../src/sources/sendmail/rows.js';
import type { SendmailState } from '../../src/sources/sendmail/state.js';
import { ROOT } from '../helpers/harness.js';

const FIX = path.join(ROOT, 'test/fixtures/sendmail');
const LINES = readFileSync(path.join(FIX, 'real-8.17-e2e.log'), 'utf8').split('\n').filter((l) => l !== '');
const CF = parseSendmailCf(readFileSync(path.join(FIX, 'sendmail-8.17.cf'), 'utf8'));
const PROGRAMS = new Set(['sm-mta', 'sendmail']);
const T0 = Date.UTC(2026, 11, 7, 23, 0, 0);

/** Test framing: BSD stamp (the day's seconds, enough here), host, ident[pid], text. */
function frame(l: string): FramedLine {
  const m = /^\w{3} [ \d]\d (\d\d):(\d\d):(\d\d) \S+ ([^[]+)\[(\d+)\]: (.*)$/.exec(l);
  if (!m) throw new Error(`unframed: ${l}`);
  return { time: Date.UTC(2026, 11, 7, Number(m[1]), Number(m[2]), Number(m[3])), program: m[4]!, pid: Number(m[5]), message: m[6]! };
}

function setup(statisticsOwned: boolean, saved?: SendmailState, model = new MailSystem()) {
  const rows = new SendmailRows(model, 'sendmail MTA on mx', statisticsOwned);
  rows.declare(CF, T0);
  return { model, rows, log: new SendmailLog(rows, PROGRAMS, saved) };
}

const group = (rows: SendmailRows, name: string): Channel => [...rows.mta.channels.values()].find((c) => c.name === name)!;
const errs = (ch: Channel) => Object.fromEntries([...ch.errors].map(([k, v]) => [k, { ...v }]));
const k = (n: number) => n * 1024;

describe('Sendmail log reader', function () {
  it('understands every line of the real log', function () {
    const { log } = setup(false);
    expect(LINES.filter((l) => !log.handle(frame(l)))).to.deep.equal([]);
  });

  it('rows: the mailers at mta_sendmail indexes (-1), the queue group after them (-2), the daemons, cmdline-less and DSN inbound groups (-3)', function () {
    const { rows, log } = setup(false);
    for (const l of LINES) log.handle(frame(l));
    const list = [...rows.mta.channels.values()].sort((a, b) => a.index - b.index).map((c) => [c.index, c.name, c.hierarchy, c.protocol?.port ?? null]);
    expect(list).to.deep.equal([
      [1, 'prog', -1, null],
      [2, '*file*', -1, null],
      [3, '*include*', -1, null],
      [4, 'local', -1, null],
      [5, 'smtp', -1, 25],
      [6, 'esmtp', -1, CF.mailerSpecs.get('esmtp')!.args.split(' ')[2] ? Number(CF.mailerSpecs.get('esmtp')!.args.split(' ')[2]) : 25],
      [7, 'smtp8', -1, Number(CF.mailerSpecs.get('smtp8')!.args.split(' ')[2])],
      [8, 'dsmtp', -1, 25],
      [9, 'relay', -1, Number(CF.mailerSpecs.get('relay')!.args.split(' ')[2])],
      [10, 'mqueue', -2, null],
      [11, 'MTA', -3, CF.daemons[0]!.port],
      [12, 'MSA', -3, CF.daemons[1]!.port],
      [13, 'DSN', -3, null],
    ]);
    expect(group(rows, 'local').description).to.match(/^Sendmail mailer local, \/tmp\/madman-sendmail-\w+\/deliver$/);
    expect(group(rows, 'MSA').description).to.equal(`Sendmail daemon MSA (SMTP port ${CF.daemons[1]!.port})`);
  });

  it('log alone: arrivals per daemon, deliveries per mailer, refusals, loops, sessions, errors; exact values', function () {
    const { model, rows, log } = setup(false);
    for (const l of LINES) log.handle(frame(l));
    const mta = group(rows, 'MTA');
    // relay, two, bounce, deferred, the looping message and the three past the milter (one of
    // them discarded); the sizes in sendmail's kilobytes: 1 each, 3 for the looping one
    expect([mta.receivedMessages, mta.receivedRecipients, mta.receivedVolume, mta.loopsDetected]).to.deep.equal([8, 9, k(10), 1]);
    // two refused by the access map, two by the milter (550 and 451), one discarded by it
    expect(mta.rejectedMessages).to.equal(5);
    expect(mta.inboundRejectionReason).to.equal('451 4.7.1 Try again later (test milter)');
    expect(errs(mta)).to.deep.equal({
      '5.0.0': { inbound: 3, internal: 1, outbound: 0 },
      '5.1.1': { inbound: 1, internal: 0, outbound: 0 },
      '5.7.1': { inbound: 2, internal: 0, outbound: 0 },
      '4.0.0': { inbound: 1, internal: 0, outbound: 0 },
      '4.7.1': { inbound: 1, internal: 0, outbound: 0 },
      '5.4.6': { inbound: 0, internal: 1, outbound: 0 },
    });
    // eleven SMTP sessions to the MTA daemon, two to the MSA: the statistics file's C line says 13
    expect([mta.accumulatedInboundAssociations, group(rows, 'MSA').accumulatedInboundAssociations]).to.deep.equal([11, 2]);
    const msa = group(rows, 'MSA');
    expect([msa.receivedMessages, msa.receivedRecipients, msa.receivedVolume]).to.deep.equal([1, 1, k(1)]);
    const dsn = group(rows, 'DSN');
    expect([dsn.receivedMessages, dsn.receivedRecipients, dsn.receivedVolume]).to.deep.equal([2, 2, 0]);

    const local = group(rows, 'local');
    // mailstats: local msgsto 6 (its volume also counts the two DSNs, whose size the log does not give)
    expect([local.transmittedMessages, local.transmittedRecipients, local.transmittedVolume]).to.deep.equal([6, 7, k(4)]);
    const esmtp = group(rows, 'esmtp');
    expect([esmtp.transmittedMessages, esmtp.transmittedRecipients, esmtp.transmittedVolume, esmtp.accumulatedOutboundAssociations]).to.deep.equal([1, 1, k(1), 1]);
    const relay = group(rows, 'relay');
    expect([relay.transmittedMessages, relay.accumulatedOutboundAssociations, relay.failedOutboundAssociations]).to.deep.equal([0, 1, 0]);
    expect(errs(relay)).to.deep.equal({ '5.0.0': { inbound: 0, internal: 0, outbound: 1 }, '5.1.1': { inbound: 0, internal: 0, outbound: 1 } });
    const smtp8 = group(rows, 'smtp8');
    expect([smtp8.failedOutboundAssociations, smtp8.outboundConnectFailureReason, smtp8.accumulatedOutboundAssociations]).to.deep.equal([2, 'Deferred: Connection refused by [127.0.0.1]', 0]);
    expect(errs(smtp8)).to.deep.equal({ '4.0.0': { inbound: 0, internal: 0, outbound: 2 }, '4.4.1': { inbound: 0, internal: 0, outbound: 2 } });

    // the MTA: the sums of its inbound and mailer breakdowns; mailstats' T line says 11 received, 7 sent
    expect(rows.mta.counters).to.deep.include({ receivedMessages: 11, receivedVolume: k(11), receivedRecipients: 12, transmittedMessages: 7, transmittedVolume: k(5), transmittedRecipients: 8, loopsDetected: 1 });
    expect([rows.app.version, rows.app.accumulatedInboundAssociations, rows.app.accumulatedOutboundAssociations, rows.app.failedOutboundAssociations]).to.deep.equal(['Sendmail 8.17.1.9', 13, 2, 2]);

    // imsimta counters: first-time deliveries and queue times (esmtp took 1 s)
    const book = channelCountersOf(model);
    const c = (ch: Channel) => book.get(rows.app.index, ch.index)!;
    expect([c(local).values.delivered, c(local).deliveredFirstTime, c(esmtp).queueSeconds, c(esmtp).queueCount]).to.deep.equal([{ messages: 6, recipients: 7, blocks: 4 }, 6, 1, 1]);
    expect(c(smtp8).values.attempted).to.deep.equal({ messages: 2, recipients: 2, blocks: 2 });
    expect(c(relay).values.failed).to.deep.equal({ messages: 1, recipients: 1, blocks: 1 });
    expect(c(mta).values.received).to.deep.equal({ messages: 8, recipients: 9, blocks: 10 });
    expect(c(mta).values.rejected).to.deep.equal({ messages: 5, recipients: 5, blocks: 0 });
  });

  it('with the statistics file: the log leaves the mailers\' message and volume columns and the MTA totals to it', function () {
    const { rows, log } = setup(true);
    for (const l of LINES) log.handle(frame(l));
    const local = group(rows, 'local');
    expect([local.transmittedMessages, local.transmittedVolume, local.transmittedRecipients]).to.deep.equal([0, 0, 7]);
    expect(rows.mta.counters).to.deep.include({ receivedMessages: 0, receivedVolume: 0, receivedRecipients: 12, transmittedMessages: 0, transmittedRecipients: 8 });
    // the inbound groups are the log's own
    expect(group(rows, 'MTA').receivedMessages).to.equal(8);
    expect(rows.app.accumulatedInboundAssociations).to.equal(0);
  });

  it('stopped and resumed at every line (state and model through their JSON), ends exactly as one pass', function () {
    const one = setup(false);
    for (const l of LINES) one.log.handle(frame(l));
    const want = JSON.stringify(snapshotModel(one.model));
    for (let cut = 0; cut <= LINES.length; cut++) {
      const a = setup(false);
      LINES.slice(0, cut).forEach((l) => a.log.handle(frame(l)));
      const state = JSON.parse(JSON.stringify(a.log.state())) as SendmailState;
      const snap = JSON.parse(JSON.stringify(snapshotModel(a.model)));
      const model = new MailSystem();
      restoreModel(model, snap);
      const b = setup(false, state, model);
      LINES.slice(cut).forEach((l) => b.log.handle(frame(l)));
      expect(JSON.stringify(snapshotModel(b.model)), `cut at line ${cut}`).to.equal(want);
    }
  });

  it('hostile and foreign lines change nothing they should not', function () {
    const { model, rows, log } = setup(false);
    const before = JSON.stringify(snapshotModel(model));
    const hostile = [
      // another program's lines, in the shared mail log
      { program: 'postfix/smtpd', message: '6B7N9X3j008002: from=<a@b>, size=99, class=0, nrcpts=1, daemon=MTA' },
      // not understood: counted by the caller, nothing changed
      { program: 'sm-mta', message: 'Q1234567890123: from=<a@b>, size=lots, nrcpts=1' },
      { program: 'sm-mta', message: 'Q1234567890123: to=<a@b>, mailer=esmtp, dsn=9.9.9, stat=Sent' },
      { program: 'sm-mta', message: `Q1234567890123: to=<a@b>, delay=00:00:00, mailer=${'x'.repeat(300)}, stat=Sent` },
    ];
    expect(hostile.map((h) => log.handle({ time: T0, pid: 1, ...h }))).to.deep.equal([true, false, false, false]);
    expect(JSON.stringify(snapshotModel(model))).to.equal(before);
    // a daemon name that changes per line cannot grow the table without bound
    for (let i = 0; i < 1000; i++) log.handle({ time: T0, pid: 100 + i, program: 'sm-mta', message: `Q${String(i).padStart(13, '0')}: from=<a@b>, size=1, class=0, nrcpts=1, proto=ESMTP, daemon=D${i}, relay=[192.0.2.1]` });
    expect(rows.mta.channels.size).to.equal(256);
    // a sender address holding ", size=" and ", daemon=" counts its real size on its real daemon
    const m0 = group(rows, 'MTA').receivedVolume;
    log.handle({ time: T0, pid: 5000, program: 'sm-mta', message: 'Q9999999999999: from=<"x, size=99999999, daemon=MSA"@evil>, size=10, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=[192.0.2.1]' });
    expect(group(rows, 'MTA').receivedVolume - m0).to.equal(k(1));
  });
});
