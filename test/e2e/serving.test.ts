// Every column of applTable, assocTable, mtaTable, mtaGroupTable,
// mtaGroupAssociationTable and mtaGroupErrorTable, read with the real Net-SNMP
// tools from an agent serving a model built here, compared with exact values
// (time columns: a range computed from the clock around the request).

import { expect } from 'chai';
import { MIB_OPTS, run, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { MailSystem, type Application, type Channel } from '../../src/model/mail-system.js';
import { get, parseVarbinds, show, sinceRange, sleep, timed, untilRange, type Varbind } from './support.js';

const APPL = '.1.3.6.1.2.1.27.1.1';
const ASSOC = '.1.3.6.1.2.1.27.2.1';
const MTA = '.1.3.6.1.2.1.28.1.1';
const GROUP_ERROR = '.1.3.6.1.2.1.28.5.1';
const SYS_UPTIME = '.1.3.6.1.2.1.1.3.0';
const TCP = '.1.3.6.1.2.1.27.4';
const UDP = '.1.3.6.1.2.1.27.5';

/** An expected value: exact text, or an inclusive numeric range (time columns). */
type Want = string | [number, number];
type Row = Record<number, [string, Want]>;

/** Walks `table` and checks it holds exactly `rows` (index suffix -> column -> [type, value]), column by column. */
async function expectTable(
  target: string,
  table: string,
  expected: Array<[string, Row]> | ((before: number, after: number) => Array<[string, Row]>),
) {
  const { result: r, before, after } = await timed(() => snmp('snmpwalk', ['-On', target, table]));
  expect(r.stderr).to.equal('');
  expect(r.code).to.equal(0);
  const rows = typeof expected === 'function' ? expected(before, after) : expected;
  const got = parseVarbinds(r.stdout);
  const columns = [...new Set(rows.flatMap(([, row]) => Object.keys(row).map(Number)))].sort((x, y) => x - y);
  const want: Array<{ oid: string; type: string; value: Want }> = [];
  for (const c of columns) {
    for (const [suffix, row] of rows) {
      const cell = row[c];
      if (cell) want.push({ oid: `${table}.1.${c}.${suffix}`, type: cell[0], value: cell[1] });
    }
  }
  expect(got.map((v) => v.oid)).to.deep.equal(want.map((w) => w.oid));
  got.forEach((vb: Varbind, i) => {
    const w = want[i]!;
    expect(vb.type, vb.oid).to.equal(w.type);
    if (typeof w.value === 'string') expect(vb.value, vb.oid).to.equal(w.value);
    else expect(Number(vb.value), `${vb.oid} = ${vb.value}`).to.be.within(w.value[0], w.value[1]);
  });
}

describe('e2e: table contents', function () {
  let ta: TestAgent;
  let model: MailSystem;
  let mx: Application;
  let imap: Application;
  let smtpIn: Channel;
  let smtpOut: Channel;
  let local: Channel;
  /** bounds on the agent's start time (sysUpTime 0), ms since the epoch */
  let sMin = 0;
  let sMax = 0;
  let t1 = 0;
  let before0 = 0;
  const ts = (t: number): [number, number] => [Math.floor((t - sMax) / 10), Math.floor((t - sMin) / 10)];

  before(async function () {
    model = new MailSystem();
    const t0 = Date.now();
    ta = await startTestAgent({ model });
    t1 = Date.now();
    // Where is sysUpTime 0? sysUpTime = floor((now - S) / 10) with now in [b, a].
    const { result, before, after } = await timed(() => get(ta.target, [SYS_UPTIME]));
    const up = Number(result[0]!.value);
    sMin = Math.max(t0, before - 10 * up - 9);
    sMax = Math.min(t1, after - 10 * up);
    expect(sMin).to.be.at.most(sMax);
    // Let the clock run past the agent's start, so events after it have non-zero TimeStamps.
    await sleep(300);
    before0 = t0 - 60_000; // before the agent started
    const now = Date.now();

    mx = model.addApplication('mx.example.org', {
      directoryName: 'cn=mx,o=Example',
      version: '9.1.2',
      description: 'Example Mail Transfer Agent',
      url: 'http://mx.example.org/status',
      startedAt: before0,
      operStatus: 'congested',
      lastChange: t1 + 150,
      rejectedInboundAssociations: 17,
      failedOutboundAssociations: 19,
    });
    imap = model.addApplication('imap.example.org', { version: '2.3.21', operStatus: 'down', startedAt: t1 + 100 });
    Object.assign(model.mtaOf(mx).counters, {
      receivedMessages: 101,
      storedMessages: 7,
      transmittedMessages: 93,
      receivedVolume: 1025, // 2 K-octets (rounded up)
      storedVolume: 3072, // exactly 3
      transmittedVolume: 10241, // 11
      receivedRecipients: 150,
      storedRecipients: 9,
      transmittedRecipients: 140,
      successfulConvertedMessages: 12,
      failedConvertedMessages: 4,
      loopsDetected: 1,
    });
    // Column n of smtp-in holds 1000 + 10n where it is a number.
    smtpIn = model.addChannel(mx, 'smtp-in', {
      receivedMessages: 1020,
      rejectedMessages: 1030,
      storedMessages: 1040,
      transmittedMessages: 1050,
      receivedVolume: 1025, // 2
      storedVolume: 7 * 1024, // 7
      transmittedVolume: 8 * 1024 + 1, // 9
      receivedRecipients: 1090,
      storedRecipients: 1100,
      transmittedRecipients: 1110,
      oldestMessageStoredAt: now - 120_000,
      inboundAssociations: 1130,
      outboundAssociations: 1140,
      accumulatedInboundAssociations: 1150,
      accumulatedOutboundAssociations: 1160,
      lastOutboundActivity: now - 180_000,
      rejectedInboundAssociations: 1190,
      failedOutboundAssociations: 1200,
      inboundRejectionReason: '554 5.7.1 Relay access denied',
      outboundConnectFailureReason: 'none yet',
      scheduledRetryAt: now + 230_000,
      protocol: { transport: 'tcp', port: 25 },
      description: 'Inbound SMTP from the Internet',
      url: 'http://mx.example.org/channels/smtp-in',
      successfulConvertedMessages: 1260,
      failedConvertedMessages: 1270,
      createdAt: now - 300_000,
      hierarchy: -1,
      oldestMessageId: '<20261129.abc@example.org>',
      loopsDetected: 1330,
      lastOutboundAssociationAttempt: now - 340_000,
    });
    smtpOut = model.addChannel(mx, 'smtp-out', {
      transmittedMessages: 77,
      transmittedVolume: 1024, // exactly 1
      storedMessages: 5,
      storedVolume: 5000, // 5 (4.88 rounded up)
      storedRecipients: 6,
      transmittedRecipients: 80,
      failedOutboundAssociations: 3,
      outboundConnectFailureReason: 'Connection timed out',
      lastOutboundAssociationAttempt: t1 + 250,
      scheduledRetryAt: t1 + 10, // in the past: 0
      createdAt: now - 400 * 86_400_000, // older than a TimeInterval can say
      hierarchy: -2,
      protocol: { transport: 'tcp', port: 25 },
      description: 'Outbound SMTP',
      oldestMessageStoredAt: now - 90_000,
      oldestMessageId: '<oldest@example.org>',
    });
    local = model.addChannel(mx, 'local'); // every column unknown / zero

    const open = (remote: string, type: 'uainitiator' | 'uaresponder' | 'peerinitiator' | 'peerresponder', startedAt: number, extra: { port?: number; udp?: boolean; channel?: number } = {}) =>
      model.openAssociation(mx, {
        remoteApplication: remote,
        type,
        startedAt,
        ...(extra.port !== undefined ? { protocol: { transport: extra.udp ? 'udp' : 'tcp', port: extra.port } } : {}),
        ...(extra.channel !== undefined ? { channel: extra.channel } : {}),
      });
    expect(open('192.0.2.10', 'peerresponder', before0 + 1000, { port: 25, channel: smtpIn.index }).index).to.equal(1);
    expect(open('192.0.2.11', 'uaresponder', t1 + 60, { port: 587, channel: smtpIn.index }).index).to.equal(2);
    expect(open('203.0.113.5', 'uainitiator', before0 + 2000).index).to.equal(3);
    expect(open('198.51.100.7', 'peerinitiator', t1 + 70, { port: 25, channel: smtpOut.index }).index).to.equal(4);
    expect(open('192.0.2.99', 'peerresponder', t1 + 80, { port: 25, channel: smtpIn.index }).index).to.equal(5);
    expect(open('192.0.2.20', 'uaresponder', t1 + 90, { port: 5353, udp: true }).index).to.equal(6);
    model.closeAssociation(mx, 5, t1 + 200);
    mx.accumulatedInboundAssociations += 1000; // history from before these
    mx.accumulatedOutboundAssociations += 2000;

    model.countError(smtpIn, '4.0.0', 'inbound', 3); // the class bucket itself: one row, not two
    model.countError(smtpIn, '4.2.2', 'inbound');
    model.countError(smtpIn, '5.7.1', 'inbound', 9);
    model.countError(smtpIn, '5.7.1', 'internal', 2);
    model.countError(smtpOut, '4.4.1', 'outbound');
    model.countError(smtpOut, '4.4.7', 'outbound', 5);
    model.countError(smtpOut, '5.1.1', 'outbound', 2);
    model.countError(smtpOut, '4.3.0', 'internal', 4);
  });

  after(async () => {
    await ta?.stop();
  });

  it('applTable: every column of both applications (TimeStamps: 0 before the agent started)', async () => {
    const mxRow: Row = {
      2: ['STRING', 'mx.example.org'],
      3: ['STRING', 'cn=mx,o=Example'],
      4: ['STRING', '9.1.2'],
      5: ['Timeticks', '0'], // started before the agent
      6: ['INTEGER', '4'], // congested
      7: ['Timeticks', ts(t1 + 150)],
      8: ['Gauge32', '3'], // 4 inbound opened, 1 closed
      9: ['Gauge32', '2'],
      10: ['Counter32', '1004'],
      11: ['Counter32', '2002'],
      12: ['Timeticks', ts(t1 + 200)], // the close
      13: ['Timeticks', ts(t1 + 70)], // last outbound opened
      14: ['Counter32', '17'],
      15: ['Counter32', '19'],
      16: ['STRING', 'Example Mail Transfer Agent'],
      17: ['STRING', 'http://mx.example.org/status'],
    };
    const imapRow: Row = {
      2: ['STRING', 'imap.example.org'],
      3: ['STRING', ''],
      4: ['STRING', '2.3.21'],
      5: ['Timeticks', ts(t1 + 100)],
      6: ['INTEGER', '2'], // down
      7: ['Timeticks', '0'], // unknown
      8: ['Gauge32', '0'],
      9: ['Gauge32', '0'],
      10: ['Counter32', '0'],
      11: ['Counter32', '0'],
      12: ['Timeticks', '0'],
      13: ['Timeticks', '0'],
      14: ['Counter32', '0'],
      15: ['Counter32', '0'],
      16: ['STRING', ''],
      17: ['STRING', ''],
    };
    expect(ts(t1 + 150)[0]).to.be.greaterThan(0);
    await expectTable(ta.target, '.1.3.6.1.2.1.27.1', [['1', mxRow], ['2', imapRow]]);
  });

  it('assocTable: open associations only, protocol OIDs (0.0 when unset), types, TimeStamps', async () => {
    const row = (remote: string, proto: string, type: number, start: Want): Row => ({
      2: ['STRING', remote],
      3: ['OID', proto],
      4: ['INTEGER', String(type)],
      5: ['Timeticks', start],
    });
    await expectTable(ta.target, '.1.3.6.1.2.1.27.2', [
      ['1.1', row('192.0.2.10', `${TCP}.25`, 4, '0')],
      ['1.2', row('192.0.2.11', `${TCP}.587`, 2, ts(t1 + 60))],
      ['1.3', row('203.0.113.5', '.0.0', 1, '0')],
      ['1.4', row('198.51.100.7', `${TCP}.25`, 3, ts(t1 + 70))],
      ['1.6', row('192.0.2.20', `${UDP}.5353`, 2, ts(t1 + 90))],
    ]);
    const closed = await get(ta.target, [`${ASSOC}.2.1.5`]);
    expect(closed[0]!.type).to.equal('noSuchInstance');
  });

  it('mtaTable: one row for the MTA only, volumes in K-octets rounded up', async () => {
    const row: Row = {
      1: ['Counter32', '101'],
      2: ['Gauge32', '7'],
      3: ['Counter32', '93'],
      4: ['Counter32', '2'], // 1025 octets
      5: ['Gauge32', '3'], // 3072 octets
      6: ['Counter32', '11'], // 10241 octets
      7: ['Counter32', '150'],
      8: ['Gauge32', '9'],
      9: ['Counter32', '140'],
      10: ['Counter32', '12'],
      11: ['Counter32', '4'],
      12: ['Counter32', '1'],
    };
    await expectTable(ta.target, '.1.3.6.1.2.1.28.1', [['1', row]]);
    // The IMAP server is no MTA.
    expect((await get(ta.target, [`${MTA}.1.${imap.index}`]))[0]!.type).to.equal('noSuchInstance');
  });

  it('mtaGroupTable: all 33 columns of three channels', async () => {
    const ti = (v: Want): [string, Want] => ['INTEGER', v]; // TimeInterval is an INTEGER
    const build = (b: number, a: number): Array<[string, Row]> => {
      const since = (t: number) => ti(sinceRange(t, b, a));
      const inRow: Row = {
        2: ['Counter32', '1020'], 3: ['Counter32', '1030'], 4: ['Gauge32', '1040'], 5: ['Counter32', '1050'],
        6: ['Counter32', '2'], 7: ['Gauge32', '7'], 8: ['Counter32', '9'],
        9: ['Counter32', '1090'], 10: ['Gauge32', '1100'], 11: ['Counter32', '1110'],
        12: since(smtpIn.oldestMessageStoredAt!),
        13: ['Gauge32', '1132'], // 1130 + 3 opened - 1 closed
        14: ['Gauge32', '1140'],
        15: ['Counter32', '1153'],
        16: ['Counter32', '1160'],
        17: since(t1 + 200), // the close
        18: since(smtpIn.lastOutboundActivity!),
        19: ['Counter32', '1190'], 20: ['Counter32', '1200'],
        21: ['STRING', '554 5.7.1 Relay access denied'], 22: ['STRING', 'none yet'],
        23: ti(untilRange(smtpIn.scheduledRetryAt!, b, a)),
        24: ['OID', `${TCP}.25`], 25: ['STRING', 'smtp-in'],
        26: ['Counter32', '1260'], 27: ['Counter32', '1270'],
        28: ['STRING', 'Inbound SMTP from the Internet'], 29: ['STRING', 'http://mx.example.org/channels/smtp-in'],
        30: since(smtpIn.createdAt), 31: ['INTEGER', '-1'], 32: ['STRING', '<20261129.abc@example.org>'],
        33: ['Counter32', '1330'], 34: since(smtpIn.lastOutboundAssociationAttempt!),
      };
      const outRow: Row = {
        2: ['Counter32', '0'], 3: ['Counter32', '0'], 4: ['Gauge32', '5'], 5: ['Counter32', '77'],
        6: ['Counter32', '0'], 7: ['Gauge32', '5'], 8: ['Counter32', '1'],
        9: ['Counter32', '0'], 10: ['Gauge32', '6'], 11: ['Counter32', '80'],
        12: since(smtpOut.oldestMessageStoredAt!),
        13: ['Gauge32', '0'], 14: ['Gauge32', '1'], 15: ['Counter32', '0'], 16: ['Counter32', '1'],
        17: ti('0'), 18: since(t1 + 70),
        19: ['Counter32', '0'], 20: ['Counter32', '3'],
        21: ['STRING', ''], 22: ['STRING', 'Connection timed out'],
        23: ti('0'), // retry time already past
        24: ['OID', `${TCP}.25`], 25: ['STRING', 'smtp-out'],
        26: ['Counter32', '0'], 27: ['Counter32', '0'], 28: ['STRING', 'Outbound SMTP'], 29: ['STRING', ''],
        30: ti('2147483647'), // 400 days: the largest TimeInterval
        31: ['INTEGER', '-2'], 32: ['STRING', '<oldest@example.org>'],
        33: ['Counter32', '0'], 34: since(t1 + 250),
      };
      const localRow: Row = {};
      for (let c = 2; c <= 34; c++) localRow[c] = outRow[c]![0] === 'STRING' ? ['STRING', ''] : [outRow[c]![0], '0'];
      localRow[24] = ['OID', '.0.0'];
      localRow[25] = ['STRING', 'local'];
      localRow[30] = since(local.createdAt);
      for (const row of [inRow, outRow, localRow]) expect(Object.keys(row)).to.have.length(33);
      return [['1.1', inRow], ['1.2', outRow], ['1.3', localRow]];
    };
    await expectTable(ta.target, '.1.3.6.1.2.1.28.2', build);
  });

  it('mtaGroupAssociationTable: the open associations that have a channel', async () => {
    await expectTable(ta.target, '.1.3.6.1.2.1.28.3', [
      ['1.1.1', { 1: ['INTEGER', '1'] }],
      ['1.1.2', { 1: ['INTEGER', '2'] }],
      ['1.2.4', { 1: ['INTEGER', '4'] }],
    ]);
  });

  it('mtaGroupErrorTable: rows by status code, class totals 4000000 / 5000000', async () => {
    const row = (i: number, n: number, o: number): Row => ({
      1: ['Counter32', String(i)],
      2: ['Counter32', String(n)],
      3: ['Counter32', String(o)],
    });
    await expectTable(ta.target, '.1.3.6.1.2.1.28.5', [
      ['1.1.4000000', row(4, 0, 0)],
      ['1.1.4002002', row(1, 0, 0)],
      ['1.1.5000000', row(9, 2, 0)],
      ['1.1.5007001', row(9, 2, 0)],
      ['1.2.4000000', row(0, 4, 6)],
      ['1.2.4003000', row(0, 4, 0)],
      ['1.2.4004001', row(0, 0, 1)],
      ['1.2.4004007', row(0, 0, 5)],
      ['1.2.5000000', row(0, 0, 2)],
      ['1.2.5001001', row(0, 0, 2)],
    ]);
    const one = await get(ta.target, [`${GROUP_ERROR}.3.1.2.4004001`, `${GROUP_ERROR}.3.1.2.4000000`, `${GROUP_ERROR}.3.1.3.4000000`]);
    // smtp-out: 4.4.1 counted once, 4.4.7 five times; local has no error rows.
    expect(one.map(show)).to.deep.equal(['Counter32: 1', 'Counter32: 6', 'noSuchInstance: ']);
  });

  it('TimeStamps agree with sysUpTime read in the same request', async () => {
    const { result: vbs, before, after } = await timed(() => get(ta.target, [SYS_UPTIME, `${APPL}.7.1`, `${ASSOC}.5.1.2`]));
    const [up, lastChange, assocStart] = vbs.map((v) => Number(v.value));
    // sysUpTime - TimeStamp is the age of the event in centiseconds (+1 for the two floors).
    const event = t1 + 150;
    expect(up! - lastChange!).to.be.within(Math.floor((before - event) / 10), Math.floor((after - event) / 10) + 1);
    // (t1 + 150) - (t1 + 60) = 90 ms apart: 9 or 10 centiseconds, whatever the start time
    expect(lastChange! - assocStart!).to.be.within(9, 10);
  });

  it('snmptable with the MIBs prints the whole mtaGroupTable without holes', async () => {
    const r = await run('snmptable', ['-v2c', '-c', 'public', '-t', '1', '-r', '0', ...MIB_OPTS, '-Ci', '-Cf', '|', ta.target, 'MTA-MIB::mtaGroupTable']);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const lines = r.stdout.split('\n').filter((l) => l.includes('|'));
    const header = lines[0]!.split('|');
    expect(header).to.have.length(34);
    expect(header[0]).to.equal('index');
    expect(header[1]).to.equal('mtaGroupReceivedMessages');
    expect(header[24]).to.equal('mtaGroupName'); // header[c - 1] is column c
    expect(header[33]).to.equal('mtaGroupLastOutboundAssociationAttempt');
    const rows = lines.slice(1).map((l) => l.split('|'));
    expect(rows.map((f) => f[0])).to.deep.equal(['1.1', '1.2', '1.3']);
    for (const f of rows) {
      expect(f, f.join('|')).to.have.length(34);
      expect(f, f.join('|')).to.not.include('?');
    }
    const col = (name: string) => rows.map((f) => f[header.indexOf(name)]);
    expect(col('mtaGroupName')).to.deep.equal(['smtp-in', 'smtp-out', 'local']);
    expect(col('mtaGroupReceivedVolume')).to.deep.equal(['2 K-octets', '0 K-octets', '0 K-octets']);
    expect(col('mtaGroupHierarchy')).to.deep.equal(['-1', '-2', '0']);
    expect(col('mtaGroupMailProtocol')).to.deep.equal([
      'NETWORK-SERVICES-MIB::applTCPProtoID.25',
      'NETWORK-SERVICES-MIB::applTCPProtoID.25',
      'SNMPv2-SMI::zeroDotZero',
    ]);
    expect(col('mtaGroupOldestMessageId')).to.deep.equal(['<20261129.abc@example.org>', '<oldest@example.org>', '']);
  });
});
