// A real Postfix 3.7 (test/helpers/postfix-server.ts) and madman reading its log in-process:
// mail for every outcome (local, relay, reject, deferral, bounce, submission) goes through
// Postfix, and what madman then serves is checked with the real snmpget/snmpwalk/snmptable
// against values computed independently from the same log (qmgr size= lines), against
// `postqueue -j`, and against pflogsumm's Grand Totals. Then a live smtpd connection in
// assocTable, and a log file that does not exist yet / becomes unreadable.

import { mkdirSync, mkdtempSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MIB_OPTS, run, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { ADDR, startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { getValue, kOctets, rows, until, walk, type Row } from '../helpers/snmp-rows.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** What the log says, read with plain regexes (independently of src/sources/postfix). */
interface LogFacts {
  size: Map<string, number>;
  nrcpt: Map<string, number>;
  /** queue id -> inbound group (smtpd, submission/smtpd) from `QID: client=` */
  arrivedVia: Map<string, string>;
  /** outbound group -> queue ids with a status=sent line (one entry per line) */
  sent: Map<string, string[]>;
}

function readFacts(log: string): LogFacts {
  const f: LogFacts = { size: new Map(), nrcpt: new Map(), arrivedVia: new Map(), sent: new Map() };
  for (const l of log.split('\n')) {
    let m = / postfix-test\/qmgr\[\d+\]: ([0-9A-F]+): from=<[^>]*>, size=(\d+), nrcpt=(\d+) \(queue active\)$/.exec(l);
    if (m && !f.size.has(m[1]!)) {
      f.size.set(m[1]!, Number(m[2]));
      f.nrcpt.set(m[1]!, Number(m[3]));
    }
    m = / postfix-test\/((?:submission\/)?smtpd)\[\d+\]: ([0-9A-F]+): client=/.exec(l);
    if (m) f.arrivedVia.set(m[2]!, m[1]!);
    m = / postfix-test\/(local|smtp)\[\d+\]: ([0-9A-F]+): to=<.*, status=sent /.exec(l);
    if (m) f.sent.set(m[1]!, [...(f.sent.get(m[1]!) ?? []), m[2]!]);
  }
  return f;
}

describe('e2e: madman reading a real Postfix 3.7, checked over SNMP', function () {
  this.timeout(60000);
  let pf: PostfixServer | undefined;
  let ta: TestAgent | undefined;
  let target = '';
  let app = '';
  /** group name -> "APP.GROUP" index */
  const group = new Map<string, string>();
  const qid = { local: '', relay: '', bounce: '', deferred: '', submission: '', notification: '' };

  before(async function () {
    pf = await startPostfix();
    const postfix = { log: pf.maillog, queue: pf.etcDir, queueInterval: 1, contentFilterServices: [] };
    ta = await startTestAgent({ settings: { postfix, fromStart: true } });
    target = ta.target;
  });

  after(async function () {
    await ta?.stop();
    await pf?.stop();
  });

  it('sends mail for every outcome through Postfix and waits for madman to apply the log', async function () {
    const p = pf!;
    qid.local = (await p.sendMail({ from: ADDR.sender, to: [ADDR.local] })).queueId!;
    qid.relay = (await p.sendMail({ from: ADDR.sender, to: [ADDR.relay] })).queueId!;
    qid.bounce = (await p.sendMail({ from: ADDR.sender, to: [ADDR.bounce] })).queueId!;
    qid.deferred = (await p.sendMail({ from: ADDR.sender, to: [ADDR.deferred] })).queueId!;
    expect((await p.sendMail({ from: ADDR.sender, to: [ADDR.rejected], expectReject: true })).queueId).to.equal(null);
    qid.submission = (await p.sendMail({ from: ADDR.sender, to: [ADDR.local], port: p.submissionPort })).queueId!;

    const notice = await p.waitForLog(new RegExp(`: ${qid.bounce}: sender non-delivery notification: ([0-9A-F]+)$`));
    qid.notification = /notification: ([0-9A-F]+)$/.exec(notice)![1]!;
    for (const id of [qid.local, qid.relay, qid.bounce, qid.submission, qid.notification]) await p.waitForLog(new RegExp(`: ${id}: removed$`));
    await p.waitForLog(new RegExp(`: ${qid.deferred}: to=<${esc(ADDR.deferred)}>, .*status=deferred`));
    await p.waitForLog(/NOQUEUE: reject: RCPT from /);
    await until('six smtpd disconnect lines', async () => (p.readLog().match(/smtpd\[\d+\]: disconnect from /g) ?? []).length === 6);
    // qmgr moves the deferred message out of the active queue just after the smtp line
    await until('the deferred message alone in the deferred queue', async () => (await p.queueJson()).map((q) => q.queue_name).join() === 'deferred');

    // madman follows the file (250 ms polls) and reads the queue every second; the deferred message
    // stored on a group means the deferral line was read too, no open association all disconnects
    await until('madman to apply the whole log and read the queue', async () => {
      const m = [...rows(await walk(target, 'mtaTable')).values()][0] ?? {};
      const g = [...rows(await walk(target, 'mtaGroupTable')).values()];
      const sum = (c: string) => g.reduce((n, r) => n + Number(r[c]), 0);
      const errors = (await walk(target, 'mtaGroupInboundErrorCount')).size;
      const state = `${m.mtaReceivedMessages}/${m.mtaTransmittedMessages}/${m.mtaStoredMessages} ${sum('mtaGroupStoredMessages')} ${errors} ${sum('mtaGroupInboundAssociations')}`;
      return state === '5/4/1 1 6 0' || state;
    });
    const names = rows(await walk(target, 'mtaGroupName'));
    for (const [idx, r] of names) group.set(r.mtaGroupName!, idx);
    app = [...group.values()][0]!.split('.')[0]!;
  });

  it('applTable: the MTA named after syslog_name and host, its version from the log, up', async function () {
    const p = pf!;
    const version = (await p.postconf('-h', 'mail_version')).trim();
    const myhostname = (await p.postconf('-h', 'myhostname')).trim();
    // the log's host field is the first label of myhostname (docs/postfix.md: host = the line's host field)
    const host = myhostname.split('.')[0]!;
    expect(p.readLog()).to.include(` ${host} postfix-test/master[`);
    const appl = rows(await walk(target, 'applTable'));
    expect([...appl.keys()]).to.deep.equal([app]);
    const a = appl.get(app)!;
    expect(a.applName).to.equal(`postfix-test MTA on ${host}`);
    expect(a.applVersion).to.equal(`Postfix ${version}`);
    expect(a.applOperStatus).to.equal('up');
    expect(a.applDescription).to.equal(`Postfix mail transfer agent (syslog_name postfix-test) on ${host}`);
    // master started (its `daemon started` line) before the agent did: TimeStamp 0 (RFC 2788)
    expect([a.applUptime, a.applLastChange]).to.deep.equal(['0', '0']);
    expect(a.applInboundAssociations).to.equal('0');
    expect(a.applAccumulatedInboundAssociations).to.equal('6'); // 5 smtpd sessions + 1 submission
    expect(a.applAccumulatedOutboundAssociations).to.equal('2'); // relay and bounce sinks reached
    expect(a.applFailedOutboundAssociations).to.equal('1'); // the closed port
    expect(a.applRejectedInboundAssociations).to.equal('0'); // no CONNECT refusal
  });

  it('mtaTable and mtaGroupTable: counts and K-octets agree with the log, protocols and hierarchy per docs/postfix.md', async function () {
    const f = readFacts(pf!.readLog());
    // the arrivals the log shows are ours, through the groups we expect
    expect(Object.fromEntries(f.arrivedVia)).to.deep.equal({
      [qid.local]: 'smtpd',
      [qid.relay]: 'smtpd',
      [qid.bounce]: 'smtpd',
      [qid.deferred]: 'smtpd',
      [qid.submission]: 'submission/smtpd',
    });
    expect(Object.fromEntries([...f.sent].map(([k, v]) => [k, [...v].sort()]))).to.deep.equal({
      local: [qid.local, qid.notification, qid.submission].sort(),
      smtp: [qid.relay],
    });
    const sum = (ids: string[], m: Map<string, number>) => ids.reduce((s, id) => s + m.get(id)!, 0);
    const via = (g: string) => [...f.arrivedVia].filter(([, v]) => v === g).map(([k]) => k);
    const received = [...f.arrivedVia.keys()];
    const transmitted = [...f.sent.values()].flat();

    const mta = rows(await walk(target, 'mtaTable')).get(app)!;
    expect(mta).to.deep.equal({
      mtaReceivedMessages: '5',
      mtaStoredMessages: '1',
      mtaTransmittedMessages: '4', // local, relay, submission, and the bounce notification
      mtaReceivedVolume: String(kOctets(sum(received, f.size))),
      mtaStoredVolume: mta.mtaStoredVolume,
      mtaTransmittedVolume: String(kOctets(sum(transmitted, f.size))),
      mtaReceivedRecipients: String(sum(received, f.nrcpt)),
      mtaStoredRecipients: '1',
      mtaTransmittedRecipients: '4',
      mtaSuccessfulConvertedMessages: '0',
      mtaFailedConvertedMessages: '0',
      mtaLoopsDetected: '0',
    });
    const queue = await pf!.queueJson();
    expect(queue.map((q) => q.queue_id)).to.deep.equal([qid.deferred]);
    expect(mta.mtaStoredVolume).to.equal(String(kOctets(queue[0]!.message_size)));

    expect([...group.keys()].sort()).to.deep.equal(['local', 'smtp', 'smtpd', 'submission/smtpd']);
    const g = rows(await walk(target, 'mtaGroupTable'));
    const pick = (name: string, cols: string[]) => Object.fromEntries(cols.map((c) => [c, g.get(group.get(name)!)![c]]));
    const inbound = ['mtaGroupReceivedMessages', 'mtaGroupRejectedMessages', 'mtaGroupTransmittedMessages', 'mtaGroupReceivedVolume', 'mtaGroupReceivedRecipients',
      'mtaGroupInboundAssociations', 'mtaGroupAccumulatedInboundAssociations', 'mtaGroupRejectedInboundAssociations', 'mtaGroupMailProtocol', 'mtaGroupHierarchy'];
    expect(pick('smtpd', [...inbound, 'mtaGroupInboundRejectionReason'])).to.deep.equal({
      mtaGroupReceivedMessages: '4',
      mtaGroupRejectedMessages: '1',
      mtaGroupTransmittedMessages: '0',
      mtaGroupReceivedVolume: String(kOctets(sum(via('smtpd'), f.size))),
      mtaGroupReceivedRecipients: '4',
      mtaGroupInboundAssociations: '0',
      mtaGroupAccumulatedInboundAssociations: '5',
      mtaGroupRejectedInboundAssociations: '0',
      mtaGroupMailProtocol: 'applTCPProtoID.25',
      mtaGroupHierarchy: '-1',
      mtaGroupInboundRejectionReason: `554 5.7.1 <${ADDR.rejected}>: Recipient address rejected: Access denied`,
    });
    expect(pick('submission/smtpd', inbound)).to.deep.equal({
      mtaGroupReceivedMessages: '1',
      mtaGroupRejectedMessages: '0',
      mtaGroupTransmittedMessages: '0',
      mtaGroupReceivedVolume: String(kOctets(f.size.get(qid.submission)!)),
      mtaGroupReceivedRecipients: '1',
      mtaGroupInboundAssociations: '0',
      mtaGroupAccumulatedInboundAssociations: '1',
      mtaGroupRejectedInboundAssociations: '0',
      mtaGroupMailProtocol: 'applTCPProtoID.587',
      mtaGroupHierarchy: '-1',
    });
    const outbound = ['mtaGroupReceivedMessages', 'mtaGroupTransmittedMessages', 'mtaGroupTransmittedVolume', 'mtaGroupTransmittedRecipients',
      'mtaGroupAccumulatedOutboundAssociations', 'mtaGroupFailedOutboundAssociations', 'mtaGroupMailProtocol', 'mtaGroupHierarchy'];
    expect(pick('local', outbound)).to.deep.equal({
      mtaGroupReceivedMessages: '0',
      mtaGroupTransmittedMessages: '3',
      mtaGroupTransmittedVolume: String(kOctets(sum(f.sent.get('local')!, f.size))),
      mtaGroupTransmittedRecipients: '3',
      mtaGroupAccumulatedOutboundAssociations: '0',
      mtaGroupFailedOutboundAssociations: '0',
      mtaGroupMailProtocol: 'zeroDotZero',
      mtaGroupHierarchy: '-2',
    });
    expect(pick('smtp', [...outbound, 'mtaGroupOutboundConnectFailureReason'])).to.deep.equal({
      mtaGroupReceivedMessages: '0',
      mtaGroupTransmittedMessages: '1',
      mtaGroupTransmittedVolume: String(kOctets(f.size.get(qid.relay)!)),
      mtaGroupTransmittedRecipients: '1',
      mtaGroupAccumulatedOutboundAssociations: '2',
      mtaGroupFailedOutboundAssociations: '1',
      mtaGroupMailProtocol: 'applTCPProtoID.25',
      mtaGroupHierarchy: '-2',
      mtaGroupOutboundConnectFailureReason: `connect to 127.0.0.1[127.0.0.1]:${pf!.closedPort}: Connection refused`,
    });
    // every inbound group's received adds up to the MTA's, every outbound group's transmitted too
    const total = (col: string, h: string) => [...g.values()].filter((r) => r.mtaGroupHierarchy === h).reduce((s, r) => s + Number(r[col]), 0);
    expect(total('mtaGroupReceivedMessages', '-1')).to.equal(Number(mta.mtaReceivedMessages));
    expect(total('mtaGroupTransmittedRecipients', '-2')).to.equal(Number(mta.mtaTransmittedRecipients));
  });

  it('mtaGroupErrorTable (snmptable): the reject inbound on smtpd, the deferral and the bounce outbound on smtp', async function () {
    const r = await run('snmptable', ['-v2c', '-c', 'public', '-t', '1', '-r', '0', ...MIB_OPTS, '-Ci', '-Cf', '|', '-CH', target, 'MTA-MIB::mtaGroupErrorTable']);
    expect(r.code, r.stderr).to.equal(0);
    const table = r.stdout.split('\n').filter((l) => l.includes('|')).sort();
    const s = group.get('smtpd')!;
    const o = group.get('smtp')!;
    // index | inbound | internal | outbound
    expect(table).to.deep.equal(
      [`${s}.5000000|1|0|0`, `${s}.5007001|1|0|0`, `${o}.4000000|0|0|1`, `${o}.4004001|0|0|1`, `${o}.5000000|0|0|1`, `${o}.5001001|0|0|1`].sort(),
    );
  });

  it('queue: the deferred message is stored on the smtp group, oldest, with its queue id', async function () {
    const [q] = await pf!.queueJson();
    expect(q!.queue_id).to.equal(qid.deferred);
    const g = rows(await walk(target, 'mtaGroupTable'));
    for (const [name, idx] of group) {
      const r = g.get(idx)!;
      if (name === 'smtp') {
        expect(r.mtaGroupStoredMessages).to.equal('1');
        expect(r.mtaGroupStoredVolume).to.equal(String(kOctets(q!.message_size)));
        expect(r.mtaGroupStoredRecipients).to.equal('1');
        expect(Number(r.mtaGroupOldestMessageStored), 'centiseconds since arrival').to.be.above(0);
        expect(Number(r.mtaGroupOldestMessageStored)).to.be.at.most(Math.ceil((Date.now() / 1000 - q!.arrival_time) * 100) + 100);
        expect(r.mtaGroupOldestMessageId).to.equal(qid.deferred);
      } else {
        expect([r.mtaGroupStoredMessages, r.mtaGroupOldestMessageStored, r.mtaGroupOldestMessageId], name).to.deep.equal(['0', '0', '']);
      }
    }
  });

  // pflogsumm counts per recipient line: "delivered" is status=sent lines, "bounced" status=bounced
  // lines, "deferred" messages (and "(N deferrals)" lines), "rejected" reject lines. madman's
  // counterparts: mtaReceivedMessages; mtaTransmittedRecipients (one per status=sent line);
  // the outbound 4000000/5000000 error counts (one per status=deferred/bounced line, i.e. pflogsumm's
  // deferrals, not its distinct deferred messages: the MIB counts errors, not messages);
  // the groups' mtaGroupRejectedMessages.
  it('agrees with pflogsumm on received, delivered, deferred, bounced and rejected', async function () {
    const r = await run('pflogsumm', ['--syslog-name=postfix-test', '-q', pf!.maillog]);
    expect(r.code, r.stderr).to.equal(0);
    const totals = r.stdout.slice(r.stdout.indexOf('Grand Totals'), r.stdout.indexOf('Per-Hour Traffic Summary'));
    const count = (label: string) => Number(new RegExp(`^ *(\\d+) +${label}\\b`, 'm').exec(totals)?.[1] ?? NaN);
    const pfl = {
      received: count('received'),
      delivered: count('delivered'),
      deferrals: Number(/deferred +\((\d+) +deferrals?\)/.exec(totals)?.[1] ?? NaN),
      bounced: count('bounced'),
      rejected: count('rejected'),
    };
    expect(count('deferred'), totals).to.equal(1);
    const mta = rows(await walk(target, 'mtaTable')).get(app)!;
    const g = [...rows(await walk(target, 'mtaGroupTable')).values()];
    const errors = rows(await walk(target, 'mtaGroupErrorTable'));
    const errorSum = (code: string) =>
      [...errors].filter(([k]) => k.endsWith(`.${code}`)).reduce((s, [, e]) => s + Number(e.mtaGroupOutboundErrorCount), 0);
    const madman = {
      received: Number(mta.mtaReceivedMessages),
      delivered: Number(mta.mtaTransmittedRecipients),
      deferrals: errorSum('4000000'),
      bounced: errorSum('5000000'),
      rejected: g.reduce((s, x) => s + Number(x.mtaGroupRejectedMessages), 0),
    };
    expect(madman, totals).to.deep.equal(pfl);
    expect(madman).to.deep.equal({ received: 5, delivered: 4, deferrals: 1, bounced: 1, rejected: 1 });
  });

  it('assocTable lists an open smtpd connection, and drops it when the client goes', async function () {
    const p = pf!;
    const connects = () => (p.readLog().match(/ postfix-test\/smtpd\[\d+\]: connect from /g) ?? []).length;
    const before = connects();
    const sock = net.connect({ host: '127.0.0.1', port: p.port });
    try {
      await new Promise<void>((resolve, reject) => {
        let got = '';
        sock.on('data', (d: Buffer) => {
          got += d.toString('latin1');
          if (/^220 .*\r?\n/.test(got)) resolve();
        });
        sock.once('error', reject);
      });
      await until('smtpd to log the connection', async () => connects() === before + 1);
      await until('an assocTable row', async () => (await walk(target, 'assocTable')).size > 0);
      const assoc = rows(await walk(target, 'assocTable'));
      expect(assoc.size).to.equal(1);
      const [[idx, a]] = [...assoc] as [[string, Row]];
      expect(idx.split('.')[0]).to.equal(app);
      expect(a.assocRemoteApplication).to.equal('127.0.0.1');
      expect(a.assocApplicationProtocol).to.equal('applTCPProtoID.25');
      expect(a.assocApplicationType).to.equal('peerresponder');
      expect([...(await walk(target, 'mtaGroupAssociationIndex')).keys()]).to.deep.equal([`mtaGroupAssociationIndex.${group.get('smtpd')}.${idx.split('.')[1]}`]);
      expect(await getValue(target, `NETWORK-SERVICES-MIB::applInboundAssociations.${app}`)).to.equal('1');
      expect(await getValue(target, `MTA-MIB::mtaGroupInboundAssociations.${group.get('smtpd')}`)).to.equal('1');
    } finally {
      sock.destroy();
    }
    await p.waitForLog(/ postfix-test\/smtpd\[\d+\]: disconnect from localhost\[127\.0\.0\.1\] commands=0\/0$/);
    await until('the assocTable row to go', async () => (await walk(target, 'assocTable')).size === 0);
    expect(await getValue(target, `NETWORK-SERVICES-MIB::applInboundAssociations.${app}`)).to.equal('0');
    expect(await getValue(target, `MTA-MIB::mtaGroupAccumulatedInboundAssociations.${group.get('smtpd')}`)).to.equal('6');
  });

  it('madmanSourceTable: the log read whole and understood, the queue read', async function () {
    const lines = pf!.readLog().split('\n').filter((l) => l !== '').length;
    await until(`${lines} lines read`, async () => {
      const got = [...(await walk(target, 'madmanSourceLines')).values()];
      return got[0] === String(lines) || `read ${got.join()}`;
    });
    const r = [...rows(await walk(target, 'madmanSourceTable')).values()];
    expect(r.map((x) => [x.madmanSourceName, x.madmanSourceInput, x.madmanSourceStatus, x.madmanSourceStatusText, x.madmanSourceUnparsedLines])).to.deep.equal([
      ['postfix log', pf!.maillog, 'ok', '', '0'],
      ['postfix queue', `postqueue -c ${pf!.etcDir} -j`, 'ok', '', '0'],
    ]);
    expect(Number(r[1]!.madmanSourceLines), 'queue entries read, one per reading').to.be.at.least(1);
  });

  it('a log that does not exist yet: the agent answers, picks the file up once it appears, and reports it unreadable', async function () {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-nolog-'));
    const log = path.join(dir, 'mail.log');
    let other: TestAgent | undefined;
    try {
      other = await startTestAgent({ settings: { postfix: { log, queueInterval: 60, contentFilterServices: [] } } });
      const t = other.target;
      expect(Number(await getValue(t, 'SNMPv2-MIB::sysUpTime.0'))).to.be.at.least(0);
      await sleep(600); // a few follower polls on the missing file
      expect((await walk(t, 'applTable')).size).to.equal(0);
      const failing = rows(await walk(t, 'madmanSourceTable'));
      expect([...failing.values()].map((x) => [x.madmanSourceName, x.madmanSourceInput, x.madmanSourceStatus])).to.deep.equal([
        ['postfix log', log, 'failing'],
      ]);
      expect([...failing.values()][0]!.madmanSourceStatusText).to.contain('ENOENT');
      expect(Number(await getValue(t, 'SNMPv2-MIB::sysUpTime.0'))).to.be.at.least(0);

      writeFileSync(log, pf!.readLog()); // created after the start: read from its beginning
      await until('the new file to be read', async () => [...(await walk(t, 'mtaReceivedMessages')).values()].join() === '5');
      const a = [...rows(await walk(t, 'applTable')).values()];
      expect(a.map((x) => [x.applName, x.applOperStatus])).to.deep.equal([[`postfix-test MTA on madman-test`, 'up']]);

      // a directory where the log was: unreadable, the MTA's status goes down; a file again: up
      renameSync(log, `${log}.1`);
      mkdirSync(log);
      await until('applOperStatus down', async () => [...(await walk(t, 'applOperStatus')).values()].join() === 'down');
      expect([...(await walk(t, 'madmanSourceStatus')).values()]).to.deep.equal(['failing']);
      expect(Number(await getValue(t, 'SNMPv2-MIB::sysUpTime.0'))).to.be.above(0);
      rmdirSync(log);
      writeFileSync(log, '');
      await until('applOperStatus up again', async () => [...(await walk(t, 'applOperStatus')).values()].join() === 'up');
      expect([...(await walk(t, 'mtaReceivedMessages')).values()], 'nothing counted twice').to.deep.equal(['5']);
      expect([...(await walk(t, 'madmanSourceStatus')).values()]).to.deep.equal(['ok']);
      expect([...(await walk(t, 'madmanSourceStatusText')).values()]).to.deep.equal(['']);
    } finally {
      await other?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

