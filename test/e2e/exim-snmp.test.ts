// A real Exim 4.96 (test/helpers/exim-server.ts) and madman reading its mainlog, rejectlog,
// paniclog and queue: mail for every outcome goes through Exim (accepted, rejected at RCPT,
// temporarily, after DATA, deferred to a closed port and by a 451, bounced by a 550, frozen,
// submission with AUTH and with TLS, a failed AUTH, a local submission, a loop), then every
// MTA-MIB column is checked over SNMP with the real snmpwalk/snmptable: counts against the
// scenario, volumes against the S= Exim logged (read here with plain regexes), times
// against the clock, the queue against `exim -bp`, and the totals against eximstats'. Last,
// Exim panics (a second daemon finds its notifier socket taken): the paniclog's entry is an
// internal error of the `exim` group.

import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { expect } from 'chai';
import type { Settings } from '../../src/config/config.js';
import { MIB_OPTS, run, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { EXIM_ADDR as A, EXIM_AUTH, EXIM_BIN, EXIMSTATS, startExim, type EximServer } from '../helpers/exim-server.js';
import { getValue, kOctets, rows, until, walk } from '../helpers/snmp-rows.js';

/** a message with 31 Received: headers (Exim's received_headers_max is 30) */
const LOOPING = `${Array.from({ length: 31 }, (_, i) => `Received: from h${i} by h${i + 1}; Mon, 07 Dec 2026 22:00:00 +0000\r\n`).join('')}Subject: loop\r\n\r\nbody\r\n`;

describe('e2e: madman reading a real Exim 4.96, checked over SNMP', function () {
  this.timeout(120_000);
  let x: EximServer | undefined;
  let ta: TestAgent | undefined;
  let target = '';
  let app = '';
  const group = new Map<string, string>();
  const id: Record<string, string> = {};
  let t0 = 0;

  before(async function () {
    t0 = Date.now();
    // a queue runner every 30 minutes: the scheduled retry of deferred mail
    x = await startExim({ queueInterval: '30m' });
    const exim = {
      log: x.mainlog,
      rejectLog: x.rejectlog,
      panicLog: x.paniclog,
      queue: [...x.eximCommand, '-bp'],
      queueInterval: 1,
      hostname: 'mx',
      listeners: { [String(x.port)]: 'smtp', [String(x.submissionPort)]: 'submission' },
    };
    ta = await startTestAgent({ settings: { exim, fromStart: true } as unknown as Partial<Settings> });
    target = ta.target;
  });

  after(async function () {
    await ta?.stop();
    await x?.stop();
  });

  it('sends mail for every outcome through Exim and waits for madman to apply the logs and the queue', async function () {
    const e = x!;
    const far = 'alice@far.test';
    id.local = (await e.swaks({ from: far, to: [A.local] })).id!;
    id.multi = (await e.swaks({ from: far, to: [A.local, A.local2, A.relay, 'other@relay.test'] })).id!;
    await e.swaks({ from: far, to: [A.rejected], expectReject: true });
    await e.swaks({ from: far, to: [A.tempRejected], expectReject: true });
    await e.swaks({ from: far, to: [A.local], subject: 'REJECTME', expectReject: true });
    id.deferred = (await e.swaks({ from: far, to: [A.deferred] })).id!;
    id.tempfail = (await e.swaks({ from: far, to: [A.tempfail] })).id!;
    id.bounced = (await e.swaks({ from: A.local, to: [A.bounce] })).id!;
    id.frozen = (await e.swaks({ from: far, to: [A.frozen] })).id!;
    id.submission = (await e.swaks({ port: e.submissionPort, from: 'alice@example.test', to: [A.relay], auth: EXIM_AUTH })).id!;
    await e.swaks({ port: e.submissionPort, from: 'alice@example.test', to: [A.relay], auth: { user: 'alice', password: 'wrong' }, expectReject: true });
    id.tls = (await e.swaks({ port: e.submissionPort, from: 'alice@example.test', to: [A.relay], auth: EXIM_AUTH, tls: true })).id!;
    id.esmtps = (await e.swaks({ from: far, to: [A.local], tls: true })).id!;
    id.loop = (await e.swaks({ from: far, to: [A.local], data: LOOPING })).id!;
    expect(await e.submit('root@example.test', [A.local], 'Subject: local\n\nbody\n')).to.equal(0);
    id.localSubmission = /^\S+ \S+ (\S+) <= root@example\.test U=root P=local /m.exec(e.readLog())![1]!;

    // Exim's own lines for every message: its end, or its deferral / freezing
    for (const m of [id.local, id.multi, id.bounced, id.submission, id.tls, id.esmtps, id.loop, id.localSubmission]) await e.waitForLog(new RegExp(`${m} Completed$`));
    await e.waitForLog(new RegExp(`${id.deferred} == ${A.deferred} .*Connection refused`));
    await e.waitForLog(new RegExp(`${id.tempfail} == ${A.tempfail} .*451 4\\.3\\.0`));
    await e.waitForLog(new RegExp(`${id.frozen} Frozen$`));
    const bounces = [...e.readLog().matchAll(/^\S+ \S+ (\S+) <= <> R=(\S+) /gm)];
    id.bounce = bounces.find((m) => m[2] === id.bounced)![1]!;
    id.loopBounce = bounces.find((m) => m[2] === id.loop)![1]!;
    await e.waitForLog(new RegExp(`${id.bounce} Completed$`));
    await e.waitForLog(new RegExp(`${id.loopBounce} Frozen \\(delivery error message\\)$`));
    const closes = () => (e.readLog().match(/^\S+ \S+ SMTP connection from .* (closed by QUIT|lost)/gm) ?? []).length;
    await until('the 14 SMTP connections closed', async () => closes() === 14 || `${closes()}`);

    // madman: every mainlog line read, and a queue reading of the 4 messages left (the same
    // count may come from a reading taken while others were still in flight: the volume and
    // the groups waited on tell the settled queue, read after the log showed their attempts)
    const lines = () => e.readLog().split('\n').filter((l) => l !== '').length;
    const settled = facts(e.readLog());
    const storedK = String(kOctets([id.deferred, id.tempfail, id.frozen, id.loopBounce].reduce((n, m) => n + settled.arrivalSize.get(m)!, 0)));
    await until('madman to read the whole mainlog and the settled queue', async () => {
      const src = rows(await walk(target, 'madmanSourceTable'));
      const log = [...src.values()].find((r) => r.madmanSourceName === 'exim log');
      const m = [...rows(await walk(target, 'mtaTable')).values()][0];
      const waiting = [...(await walk(target, 'mtaGroupStoredMessages')).values()].filter((v) => v === '2').length;
      const state = `${log?.madmanSourceLines}/${lines()} lines, stored ${m?.mtaStoredMessages} (${m?.mtaStoredVolume}/${storedK} K), 2 groups of 2: ${waiting}`;
      return (log?.madmanSourceLines === String(lines()) && m?.mtaStoredMessages === '4' && m.mtaStoredVolume === storedK && waiting === 2) || state;
    }, 30_000);
    for (const [idx, r] of rows(await walk(target, 'mtaGroupName'))) group.set(r.mtaGroupName!, idx);
    app = [...group.values()][0]!.split('.')[0]!;
  });

  it('applTable: the MTA, its version and start from the daemon\'s line, its associations', async function () {
    const a = rows(await walk(target, 'applTable')).get(app)!;
    const uptime = Number(await getValue(target, 'SNMPv2-MIB::sysUpTime.0'));
    // TimeStamps: the daemon started before the agent (0); the last traffic after
    for (const c of ['applLastInboundActivity', 'applLastOutboundActivity']) {
      expect(Number(a[c]), c).to.be.above(0);
      expect(Number(a[c]), c).to.be.at.most(uptime);
    }
    expect(a).to.deep.equal({
      applName: 'exim MTA on mx',
      applDirectoryName: '',
      applURL: '',
      applUptime: '0',
      applLastChange: '0',
      applOutboundAssociations: '0',
      applLastInboundActivity: a.applLastInboundActivity,
      applLastOutboundActivity: a.applLastOutboundActivity,
      applVersion: 'Exim 4.96',
      applOperStatus: 'up',
      applDescription: 'Exim mail transfer agent on mx',
      applInboundAssociations: '0',
      // 11 connections to the SMTP listener, 3 to submission
      applAccumulatedInboundAssociations: '14',
      // the relay sink 3 times (one for two addresses), the 451 and the 550 sinks
      applAccumulatedOutboundAssociations: '5',
      applFailedOutboundAssociations: '1',
      applRejectedInboundAssociations: '0',
    });
  });

  it('madmanSourceTable: the three logs and the queue, read and understood', async function () {
    const e = x!;
    const src = [...rows(await walk(target, 'madmanSourceTable')).values()].map((r) => [r.madmanSourceName, r.madmanSourceInput, r.madmanSourceStatus, r.madmanSourceStatusText, r.madmanSourceLines, r.madmanSourceUnparsedLines]);
    const count = (text: string) => String(text.split('\n').filter((l) => l !== '').length);
    expect(src).to.deep.equal([
      ['exim log', e.mainlog, 'ok', '', count(e.readLog()), '0'],
      // 4 refusals and the failed AUTH, and the header lines of the refusal after DATA
      ['exim rejectlog', e.rejectlog, 'ok', '', count(e.readLog('reject')), '0'],
      // no panic: Exim has not made the file, which is no failure
      ['exim paniclog', e.paniclog, 'ok', '', '0', '0'],
      // the queue's lines: the messages of every reading so far
      ['exim queue', [...e.eximCommand, '-bp'].join(' '), 'ok', '', src[3]![4], '0'],
    ]);
    expect(e.readLog('panic')).to.equal('');
    // (the last reading alone listed the 4 messages waiting)
    expect(Number(src[3]![4])).to.be.at.least(4);
  });

  it('mtaTable: received, transmitted, stored, loops', async function () {
    const f = facts(x!.readLog());
    const mta = rows(await walk(target, 'mtaTable')).get(app)!;
    const stored = [id.deferred, id.tempfail, id.frozen, id.loopBounce];
    expect(mta).to.deep.equal({
      // 13 arrivals: 10 by SMTP, the local submission, 2 bounces
      mtaReceivedMessages: '13',
      mtaStoredMessages: '4',
      // 5 by appendfile (local, multi, bounce, esmtps, local submission), 3 by SMTP (multi, submission, tls)
      mtaTransmittedMessages: '8',
      mtaReceivedVolume: String(kOctets(sum(f.arrivalSize))),
      mtaStoredVolume: String(kOctets(stored.reduce((s, m) => s + f.arrivalSize.get(m)!, 0))),
      mtaTransmittedVolume: String(kOctets(sum(f.deliverySize))),
      mtaReceivedRecipients: '16',
      mtaStoredRecipients: '4',
      mtaTransmittedRecipients: '10',
      mtaSuccessfulConvertedMessages: '0',
      mtaFailedConvertedMessages: '0',
      mtaLoopsDetected: '1',
    });
    expect(f.deliverySizes).to.have.length(10);
  });

  it('mtaGroupTable: every column of every group', async function () {
    const f = facts(x!.readLog());
    expect([...group.keys()].sort()).to.deep.equal(['bounce', 'local', 'local_delivery', 'remote_smtp', 'routing', 'smtp', 'submission']);
    const g = rows(await walk(target, 'mtaGroupTable'));
    const now = Date.now();
    const r = (name: string) => g.get(group.get(name)!)!;
    const zeros = {
      mtaGroupReceivedMessages: '0', mtaGroupRejectedMessages: '0', mtaGroupStoredMessages: '0', mtaGroupTransmittedMessages: '0',
      mtaGroupReceivedVolume: '0', mtaGroupStoredVolume: '0', mtaGroupTransmittedVolume: '0',
      mtaGroupReceivedRecipients: '0', mtaGroupStoredRecipients: '0', mtaGroupTransmittedRecipients: '0',
      mtaGroupOldestMessageStored: '0', mtaGroupInboundAssociations: '0', mtaGroupOutboundAssociations: '0',
      mtaGroupAccumulatedInboundAssociations: '0', mtaGroupAccumulatedOutboundAssociations: '0',
      mtaGroupRejectedInboundAssociations: '0', mtaGroupFailedOutboundAssociations: '0',
      mtaGroupInboundRejectionReason: '', mtaGroupOutboundConnectFailureReason: '', mtaGroupScheduledRetry: '0',
      mtaGroupSuccessfulConvertedMessages: '0', mtaGroupFailedConvertedMessages: '0', mtaGroupURL: '',
      mtaGroupOldestMessageId: '', mtaGroupLoopsDetected: '0',
    };
    // times: TimeIntervals (centiseconds) since an event between t0 and now
    const times = ['mtaGroupLastInboundActivity', 'mtaGroupLastOutboundActivity', 'mtaGroupLastOutboundAssociationAttempt', 'mtaGroupCreationTime', 'mtaGroupOldestMessageStored', 'mtaGroupScheduledRetry'];
    const without = (row: Record<string, string>) => Object.fromEntries(Object.entries(row).filter(([k]) => !times.includes(k)));
    const ago = (v: string | undefined) => Number(v) / 100;
    const within = (v: string | undefined, what: string) => {
      expect(ago(v), what).to.be.at.least(0);
      expect(ago(v), what).to.be.at.most((now - t0) / 1000 + 1);
    };
    const w = (o: Record<string, string>) => without({ ...zeros, ...o });

    expect(without(r('smtp'))).to.deep.equal(w({
      mtaGroupName: 'smtp', mtaGroupDescription: `Inbound SMTP on port ${x!.port} (smtp)`, mtaGroupHierarchy: '-1',
      mtaGroupMailProtocol: `applTCPProtoID.${x!.port}`,
      // local, multi, deferred, tempfail, bounced, frozen, esmtps, loop
      mtaGroupReceivedMessages: '8', mtaGroupReceivedVolume: String(kOctets(sum(f.arrivalSize, f.arrivalPort, x!.port))), mtaGroupReceivedRecipients: '11',
      // rejected RCPT, temporarily, after DATA
      mtaGroupRejectedMessages: '3', mtaGroupInboundRejectionReason: 'content rejected',
      mtaGroupAccumulatedInboundAssociations: '11',
    }));
    expect(without(r('submission'))).to.deep.equal(w({
      mtaGroupName: 'submission', mtaGroupDescription: `Message submission on port ${x!.submissionPort} (submission)`, mtaGroupHierarchy: '-1',
      mtaGroupMailProtocol: `applTCPProtoID.${x!.submissionPort}`,
      mtaGroupReceivedMessages: '2', mtaGroupReceivedVolume: String(kOctets(sum(f.arrivalSize, f.arrivalPort, x!.submissionPort))), mtaGroupReceivedRecipients: '2',
      mtaGroupAccumulatedInboundAssociations: '3',
    }));
    expect(without(r('local'))).to.deep.equal(w({
      mtaGroupName: 'local', mtaGroupDescription: 'Messages from local processes (Exim called as sendmail, -bs, -bS)', mtaGroupHierarchy: '-1',
      mtaGroupMailProtocol: 'zeroDotZero',
      mtaGroupReceivedMessages: '1', mtaGroupReceivedVolume: String(kOctets(f.arrivalSize.get(id.localSubmission)!)), mtaGroupReceivedRecipients: '1',
    }));
    expect(without(r('bounce'))).to.deep.equal(w({
      mtaGroupName: 'bounce', mtaGroupDescription: 'Delivery status notifications made by Exim (bounces)', mtaGroupHierarchy: '-1',
      mtaGroupMailProtocol: 'zeroDotZero',
      mtaGroupReceivedMessages: '2', mtaGroupReceivedVolume: String(kOctets(f.arrivalSize.get(id.bounce)! + f.arrivalSize.get(id.loopBounce)!)), mtaGroupReceivedRecipients: '2',
    }));
    expect(without(r('local_delivery'))).to.deep.equal(w({
      mtaGroupName: 'local_delivery', mtaGroupDescription: 'Deliveries by the Exim transport local_delivery', mtaGroupHierarchy: '-2',
      mtaGroupMailProtocol: 'zeroDotZero',
      mtaGroupTransmittedMessages: '5', mtaGroupTransmittedVolume: String(kOctets(sum(f.deliverySize, f.deliveryTransport, 'local_delivery'))), mtaGroupTransmittedRecipients: '6',
    }));
    expect(without(r('remote_smtp'))).to.deep.equal(w({
      mtaGroupName: 'remote_smtp', mtaGroupDescription: 'Deliveries by the Exim transport remote_smtp', mtaGroupHierarchy: '-2',
      mtaGroupMailProtocol: 'applTCPProtoID.25',
      mtaGroupTransmittedMessages: '3', mtaGroupTransmittedVolume: String(kOctets(sum(f.deliverySize, f.deliveryTransport, 'remote_smtp'))), mtaGroupTransmittedRecipients: '4',
      mtaGroupAccumulatedOutboundAssociations: '5', mtaGroupFailedOutboundAssociations: '1', mtaGroupOutboundConnectFailureReason: 'Connection refused',
      // the deferred and the 451 wait for remote_smtp
      mtaGroupStoredMessages: '2', mtaGroupStoredVolume: String(kOctets(f.arrivalSize.get(id.deferred)! + f.arrivalSize.get(id.tempfail)!)), mtaGroupStoredRecipients: '2',
      mtaGroupOldestMessageId: id.deferred,
    }));
    expect(without(r('routing'))).to.deep.equal(w({
      mtaGroupName: 'routing', mtaGroupDescription: "Addresses Exim's routers failed or deferred before choosing a transport", mtaGroupHierarchy: '-2',
      mtaGroupMailProtocol: 'zeroDotZero',
      // the message routed to this host (frozen) and the loop's bounce to an unroutable sender (frozen)
      mtaGroupStoredMessages: '2', mtaGroupStoredVolume: String(kOctets(f.arrivalSize.get(id.frozen)! + f.arrivalSize.get(id.loopBounce)!)), mtaGroupStoredRecipients: '2',
      mtaGroupOldestMessageId: id.frozen, mtaGroupLoopsDetected: '1',
    }));
    // times
    for (const name of group.keys()) within(r(name).mtaGroupCreationTime, `${name} creation`);
    for (const name of ['smtp', 'submission', 'local', 'bounce']) within(r(name).mtaGroupLastInboundActivity, `${name} inbound activity`);
    for (const name of ['local_delivery', 'remote_smtp', 'routing']) within(r(name).mtaGroupLastOutboundActivity, `${name} outbound activity`);
    within(r('remote_smtp').mtaGroupLastOutboundAssociationAttempt, 'attempt');
    within(r('remote_smtp').mtaGroupOldestMessageStored, 'oldest (remote_smtp)');
    within(r('routing').mtaGroupOldestMessageStored, 'oldest (routing)');
    // the deferrals wait for the next queue run: 30 minutes after the one at the daemon's start
    const retry = ago(r('remote_smtp').mtaGroupScheduledRetry);
    expect(retry).to.be.above(30 * 60 - (now - t0) / 1000 - 1);
    expect(retry).to.be.at.most(30 * 60);
    expect(r('routing').mtaGroupScheduledRetry).to.equal(r('remote_smtp').mtaGroupScheduledRetry);
    for (const name of ['smtp', 'submission', 'local', 'bounce']) {
      expect([r(name).mtaGroupLastOutboundActivity, r(name).mtaGroupLastOutboundAssociationAttempt, r(name).mtaGroupScheduledRetry], name).to.deep.equal(['0', '0', '0']);
    }
    for (const name of ['local_delivery', 'remote_smtp', 'routing']) expect(r(name).mtaGroupLastInboundActivity, name).to.equal('0');
  });

  it('mtaGroupErrorTable: refusals inbound, failures and deferrals outbound, by enhanced status code', async function () {
    const r = await run('snmptable', ['-v2c', '-c', 'public', '-t', '1', '-r', '0', ...MIB_OPTS, '-Ci', '-Cf', '|', '-CH', target, 'MTA-MIB::mtaGroupErrorTable']);
    expect(r.code, r.stderr).to.equal(0);
    const g = (n: string) => group.get(n)!;
    // index | inbound | internal | outbound
    expect(r.stdout.split('\n').filter((l) => l.includes('|')).sort()).to.deep.equal(
      [
        `${g('smtp')}.4000000|1|0|0`, // try again later
        `${g('smtp')}.5000000|2|0|0`, // no such user here, content rejected
        `${g('submission')}.5000000|1|0|0`,
        `${g('submission')}.5007008|1|0|0`, // 535 Incorrect authentication data
        `${g('remote_smtp')}.4000000|0|0|2`,
        `${g('remote_smtp')}.4003000|0|0|1`, // 451 4.3.0
        `${g('remote_smtp')}.4004001|0|0|1`, // Connection refused
        `${g('remote_smtp')}.5000000|0|0|1`,
        `${g('remote_smtp')}.5001001|0|0|1`, // 550 5.1.1
        `${g('routing')}.4000000|0|0|1`,
        `${g('routing')}.4004006|0|0|1`, // remote host address is the local host
        `${g('routing')}.5000000|0|0|2`,
        `${g('routing')}.5001002|0|0|1`, // the loop's bounce: Unrouteable address
        `${g('routing')}.5004006|0|0|1`, // Too many "Received" headers
      ].sort(),
    );
  });

  it('the queue as exim -bp lists it', async function () {
    const bp = await x!.exim('-bp');
    const listed = [...bp.stdout.matchAll(/^ *\S+ +\S* (\S{16}) /gm)].map((m) => m[1]).sort();
    expect(listed).to.deep.equal([id.deferred, id.tempfail, id.frozen, id.loopBounce].sort());
    expect((bp.stdout.match(/\*\*\* frozen \*\*\*/g) ?? []).length).to.equal(2);
  });

  // eximstats' grand totals: Received messages (`<=`), Delivered addresses (`=>`, `->`),
  // Delayed (messages with a `==`), Rejects and Temp Rejects (lines saying rejected, refused
  // or dropped). madman's: mtaReceivedMessages, mtaTransmittedRecipients, the outbound
  // 4000000 errors (one per tried deferral: here each deferred message was tried once), the
  // groups' mtaGroupRejectedMessages.
  it('agrees with eximstats on received, delivered, deferred and rejected', async function () {
    const r = spawnSync('perl', [EXIMSTATS, '-nr', '-ne', '-nt', '-t0', '-h0', '-q0', x!.mainlog], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const row = (name: string) => new RegExp(`^  ${name} +(.*)$`, 'm').exec(r.stdout)![1]!.trim().split(/\s+/);
    const received = row('Received');
    const delivered = row('Delivered');
    const es = {
      received: Number(received[1]),
      delivered: Number(delivered[2]),
      deferred: Number(received[3]),
      rejected: Number(/^  Rejects +(\d+)/m.exec(r.stdout)?.[1] ?? 0) + Number(/^  Temp Rejects +(\d+)/m.exec(r.stdout)?.[1] ?? 0),
    };
    const mta = rows(await walk(target, 'mtaTable')).get(app)!;
    const g = [...rows(await walk(target, 'mtaGroupTable')).values()];
    const errors = rows(await walk(target, 'mtaGroupOutboundErrorCount'));
    const madman = {
      received: Number(mta.mtaReceivedMessages),
      delivered: Number(mta.mtaTransmittedRecipients),
      deferred: [...errors].filter(([k]) => k.endsWith('.4000000')).reduce((s, [, e]) => s + Number(e.mtaGroupOutboundErrorCount), 0),
      rejected: g.reduce((s, x2) => s + Number(x2.mtaGroupRejectedMessages), 0),
    };
    expect(madman).to.deep.equal({ received: 13, delivered: 10, deferred: 3, rejected: 3 });
    // eximstats also takes the line Exim writes before a deferral by a refused connection
    // (`ID H=127.0.0.5 [127.0.0.5] Connection refused`) for a rejection
    expect(es, r.stdout).to.deep.equal({ ...madman, rejected: madman.rejected + 1 });
  });

  it('assocTable and mtaGroupAssociationTable: an open connection, gone when the client quits', async function () {
    const sock = net.connect(x!.port, '127.0.0.1');
    await new Promise<void>((res) => sock.once('data', () => res()));
    await x!.waitForLog(new RegExp(`SMTP connection from \\[127\\.0\\.0\\.1\\]:${sock.localPort} `));
    await until('the association', async () => (await walk(target, 'mtaGroupAssociationIndex')).size === 1);
    const assoc = [...(await walk(target, 'mtaGroupAssociationIndex')).keys()][0]!;
    expect(assoc.startsWith(`mtaGroupAssociationIndex.${group.get('smtp')}.`)).to.equal(true);
    const n = assoc.split('.').pop()!;
    expect(await getValue(target, `NETWORK-SERVICES-MIB::assocRemoteApplication.${app}.${n}`)).to.equal('127.0.0.1');
    expect(await getValue(target, `NETWORK-SERVICES-MIB::assocApplicationType.${app}.${n}`)).to.equal('peerresponder');
    expect(await getValue(target, `NETWORK-SERVICES-MIB::assocApplicationProtocol.${app}.${n}`)).to.equal(`NETWORK-SERVICES-MIB::applTCPProtoID.${x!.port}`);
    expect(await getValue(target, `NETWORK-SERVICES-MIB::applInboundAssociations.${app}`)).to.equal('1');
    sock.end('QUIT\r\n');
    await until('the association closed', async () => (await walk(target, 'mtaGroupAssociationIndex')).size === 0);
    expect(await getValue(target, `NETWORK-SERVICES-MIB::applAccumulatedInboundAssociations.${app}`)).to.equal('15');
  });

  it('a panic of Exim (a second daemon on the same spool) counts in mtaGroupInternalErrorCount of the `exim` group', async function () {
    const e = x!;
    const before = e.readLog().split('\n').filter((l) => l !== '').length;
    // Exim panics when the daemon's notifier socket is taken, then waits 30 s to retry
    // its ports: killed once the panic is written
    const second = spawn(EXIM_BIN, ['-C', e.configFile, '-bdf'], { stdio: 'ignore' });
    const exited = new Promise<void>((res) => second.once('exit', () => res()));
    try {
      await e.waitForLog(/ daemon_notifier_socket bind: Address already in use$/, 15_000, 'panic');
      await e.waitForLog(/ socket bind\(\) to port \d+ .*waiting/, 15_000);
    } finally {
      second.kill('SIGKILL');
      await exited;
    }
    const panics = e.readLog('panic').split('\n').filter((l) => l !== '');
    expect(panics).to.have.length(1);
    await until('madman to read the paniclog', async () => {
      const src = [...rows(await walk(target, 'madmanSourceTable')).values()].find((r) => r.madmanSourceName === 'exim paniclog');
      return src?.madmanSourceLines === '1' || `${src?.madmanSourceLines}`;
    });
    for (const [idx, r] of rows(await walk(target, 'mtaGroupName'))) group.set(r.mtaGroupName!, idx);
    const g = group.get('exim')!;
    expect(await getValue(target, `MTA-MIB::mtaGroupHierarchy.${g}`)).to.equal('0');
    expect(await getValue(target, `MTA-MIB::mtaGroupDescription.${g}`)).to.equal('Exim itself: errors of its panic log');
    const r = await run('snmptable', ['-v2c', '-c', 'public', '-t', '1', '-r', '0', ...MIB_OPTS, '-Ci', '-Cf', '|', '-CH', target, 'MTA-MIB::mtaGroupErrorTable']);
    expect(r.code, r.stderr).to.equal(0);
    // index | inbound | internal | outbound: the class and the code (4.3.0: a system error)
    expect(r.stdout.split('\n').filter((l) => l.startsWith(`${g}.`))).to.deep.equal([`${g}.4000000|0|1|0`, `${g}.4003000|0|1|0`]);
    // the mainlog's two lines of it (the panic's copy, the bind retry) are not understood; the
    // paniclog's line is
    const lines = e.readLog().split('\n').filter((l) => l !== '').length;
    expect(lines - before).to.be.at.least(2);
    await until('madman to read the mainlog', async () => {
      const log = [...rows(await walk(target, 'madmanSourceTable')).values()].find((x2) => x2.madmanSourceName === 'exim log');
      return log?.madmanSourceLines === String(lines) || `${log?.madmanSourceLines}/${lines}`;
    });
    const src = [...rows(await walk(target, 'madmanSourceTable')).values()].map((x2) => [x2.madmanSourceName, x2.madmanSourceLines, x2.madmanSourceUnparsedLines]);
    expect(src.slice(0, 3)).to.deep.equal([['exim log', String(lines), '2'], ['exim rejectlog', String(e.readLog('reject').split('\n').filter((l) => l !== '').length), '0'], ['exim paniclog', '1', '0']]);
  });
});

/** What Exim's log says, read with plain regexes (independently of src/sources/exim). */
interface Facts {
  arrivalSize: Map<string, number>;
  /** message id -> listener port (I=) */
  arrivalPort: Map<string, number>;
  /** S= of every `=>`/`->`/`>>` line */
  deliverySizes: number[];
  /** "id transport" -> S= of the message's first delivery by that transport (a message's volume counts once per group) */
  deliverySize: Map<string, number>;
  deliveryTransport: Map<string, string>;
}

function facts(log: string): Facts {
  const f: Facts = { arrivalSize: new Map(), arrivalPort: new Map(), deliverySizes: [], deliverySize: new Map(), deliveryTransport: new Map() };
  for (const l of log.split('\n')) {
    let m = /^\S+ \S+ (\S{16}) <= .* S=(\d+)/.exec(l);
    if (m) {
      f.arrivalSize.set(m[1]!, Number(m[2]));
      const port = / I=\[127\.0\.0\.1\]:(\d+) /.exec(l);
      if (port) f.arrivalPort.set(m[1]!, Number(port[1]));
    }
    m = /^\S+ \S+ (\S{16}) (=>|->|>>) .* T=(\S+) S=(\d+)/.exec(l);
    if (m) {
      f.deliverySizes.push(Number(m[4]));
      const key = `${m[1]} ${m[3]}`;
      if (!f.deliverySize.has(key)) {
        f.deliverySize.set(key, Number(m[4]));
        f.deliveryTransport.set(key, m[3]!);
      }
    }
  }
  return f;
}

/** The sum of `values`, of the keys `by` maps to `want` (all when no filter). */
function sum<K, V>(values: Map<K, number>, by?: Map<K, V>, want?: V): number {
  let s = 0;
  for (const [k, v] of values) if (!by || by.get(k) === want) s += v;
  return s;
}
