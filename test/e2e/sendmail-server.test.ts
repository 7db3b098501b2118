// The real-Sendmail test infrastructure (test/helpers/sendmail-server.ts) and madman's pure
// readers of what Sendmail writes, against Sendmail's own tools and Net-SNMP's mta_sendmail:
// - a private Sendmail 8.17 on loopback delivers locally and by SMTP, rejects, defers and
//   bounces, logging the line shapes the Sendmail source reads;
// - parseStatistics() reads the binary statistics file exactly as `mailstats -P` prints it;
// - parseSendmailCf() names the mailers as mta_sendmail's mtaGroupName column does, and the
//   queue scanner counts what mta_sendmail's stored columns and `sendmail -bp` show;
// - stop() leaves no process or directory.
//
// MADMAN_UPDATE_FIXTURES=1 saves this run's log, .cf, statistics file and mailstats -P output
// under test/fixtures/sendmail/ (real Sendmail output for the unit tests); otherwise the
// fixture log is only checked to still hold every shape asserted here.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parseSendmailCf } from '../../src/sources/sendmail/cf.js';
import { QueueScanner } from '../../src/sources/sendmail/queue-dir.js';
import { parseStatistics, statisticsTotals } from '../../src/sources/sendmail/statistics.js';
import { ROOT, run } from '../helpers/harness.js';
import { MAILSTATS_BIN, SM_ADDR, SM_IDENT, SM_LOG_HOST, startSendmail, type SendmailServer } from '../helpers/sendmail-server.js';
import { startMtaSendmailSnmpd, waitFor, type MtaSendmailSnmpd } from '../helpers/snmpd-master.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/sendmail');
const FIXTURE_LOG = path.join(FIXTURES, 'real-8.17-e2e.log');

const QID = '[0-9A-Za-x]{14}';
const HEAD = `^[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d ${SM_LOG_HOST} ${SM_IDENT}\\[\\d+\\]: `;
const LOCALHOST = 'localhost \\[127\\.0\\.0\\.1\\]';
const DELAYS = 'delay=\\d\\d:\\d\\d:\\d\\d, xdelay=\\d\\d:\\d\\d:\\d\\d';

/** The line shapes every run must produce, by name. */
function shapes(): Record<string, RegExp> {
  const r = (s: string) => new RegExp(`${HEAD}${s}$`);
  const from = (who: string, n: number, daemon: string, relay: string) =>
    `${QID}: from=<${who.replace(/\./g, '\\.')}>, size=\\d+, class=0, nrcpts=${n}, msgid=<[^>]+>, proto=ESMTP, daemon=${daemon}, relay=${relay}`;
  return {
    started: r('starting daemon \\(8\\.17\\.\\d+\\.\\d+\\): SMTP'),
    fromRelay: r(from(SM_ADDR.remoteSender, 1, 'MTA', LOCALHOST)),
    sentEsmtp: r(`${QID}: to=<someone@relay\\.test>, ${DELAYS}, mailer=esmtp, pri=\\d+, relay=\\[127\\.0\\.0\\.1\\] \\[127\\.0\\.0\\.1\\], dsn=2\\.0\\.0, stat=Sent \\(2\\.0\\.0 Ok: queued as SINK\\d+\\)`),
    fromTwo: r(from(SM_ADDR.remoteSender, 2, 'MTA', LOCALHOST)),
    sentLocalTwo: r(`${QID}: to=<carol@example\\.test>,<bob@example\\.test>, ${DELAYS}, mailer=local, pri=\\d+, dsn=2\\.0\\.0, stat=Sent`),
    reject: r(`${QID}: ruleset=check_rcpt, arg1=<nobody@example\\.test>, relay=\\[127\\.0\\.0\\.3\\], reject=550 5\\.1\\.1 <nobody@example\\.test>\\.\\.\\. User unknown`),
    rejectFrom: r(`${QID}: from=<alice@far\\.example>, size=0, class=0, nrcpts=0, proto=ESMTP, daemon=MTA, relay=\\[127\\.0\\.0\\.3\\]`),
    bounced: r(`${QID}: to=<nobody@bounce\\.test>, ${DELAYS}, mailer=relay, pri=\\d+, relay=\\[127\\.0\\.0\\.1\\] \\[127\\.0\\.0\\.1\\], dsn=5\\.1\\.1, reply=550 5\\.1\\.1 <nobody@bounce\\.test>: Recipient address rejected: User unknown, stat=User unknown`),
    dsn: r(`${QID}: ${QID}: DSN: User unknown`),
    dsnSent: r(`${QID}: to=<sender@example\\.test>, ${DELAYS}, mailer=local, pri=\\d+, dsn=2\\.0\\.0, stat=Sent`),
    deferred: r(`${QID}: to=<someone@remote\\.test>, ${DELAYS}, mailer=smtp8, pri=\\d+, relay=\\[127\\.0\\.0\\.1\\] \\[127\\.0\\.0\\.1\\], dsn=4\\.4\\.1, stat=Deferred: Connection refused by \\[127\\.0\\.0\\.1\\]`),
    fromMsa: r(from(SM_ADDR.remoteSender, 1, 'MSA', LOCALHOST)),
    relayDenied: r(`${QID}: ruleset=check_rcpt, arg1=<x@far\\.example>, relay=\\[127\\.0\\.0\\.3\\], reject=550 5\\.7\\.1 <x@far\\.example>\\.\\.\\. Relaying denied\\. IP name lookup failed \\[127\\.0\\.0\\.3\\]`),
    lostInput: r(`${QID}: lost input channel from ${LOCALHOST} to MTA after rcpt`),
    lostInputFrom: r(`${QID}: from=<a@far\\.example>, size=0, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=${LOCALHOST}`),
    idle: r(`${QID}: ${LOCALHOST} did not issue MAIL/EXPN/VRFY/ETRN during connection to MSA`),
    hops: r(`${QID}: SYSERR\\(root\\): Too many hops 3\\d \\(25 max\\): from <sender@example\\.test> via localhost, to <bob@example\\.test>`),
    milterReject: r(`${QID}: Milter: to=<milter-reject@example\\.test>, reject=550 5\\.7\\.1 Rejected by the test milter`),
    milterTempfail: r(`${QID}: Milter: to=<milter-tempfail@example\\.test>, reject=451 4\\.7\\.1 Try again later \\(test milter\\)`),
    milterDiscard: r(`${QID}: Milter: data, discard`),
    discarded: r(`${QID}: discarded`),
    hopsDsn: r(`${QID}: ${QID}: DSN: Too many hops 3\\d \\(25 max\\): from <sender@example\\.test> via localhost, to <bob@example\\.test>`),
  };
}

function expectShapes(log: string, what: string): void {
  const lines = log.split('\n');
  const missing = Object.entries(shapes())
    .filter(([, re]) => !lines.some((l) => re.test(l)))
    .map(([name, re]) => `${name}: ${re.source}`);
  expect(missing, `${what}: no line of these shapes`).to.deep.equal([]);
  // the only SYSERR is the hop-count loop provoked on purpose
  expect(lines.filter((l) => /SYSERR|cannot bind/.test(l) && !/Too many hops/.test(l)), `${what}: errors`).to.deep.equal([]);
}

/** Says each of `commands` after the greeting and each reply, then drops the connection. */
function smtpDialogue(port: number, commands: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    const todo = [...commands];
    let buf = '';
    c.setEncoding('latin1');
    c.on('data', (d: string) => {
      buf += d;
      // a complete reply: its last line has a space after the code
      if (!/^\d{3} .*\r?\n$/m.test(buf)) return;
      buf = '';
      const next = todo.shift();
      if (next === undefined) c.destroy();
      else c.write(`${next}\r\n`);
    });
    c.on('close', () => resolve());
    c.on('error', reject);
  });
}

/** `snmpwalk -On` of a subtree as OID -> value text ("Counter32: 4" -> "4"). */
async function walk(target: string, oid: string): Promise<Map<string, string>> {
  const r = await run('snmpwalk', ['-v2c', '-c', 'public', '-On', '-Oq', '-t', '2', target, oid]);
  expect(r.code, r.stderr).to.equal(0);
  const out = new Map<string, string>();
  for (const l of r.stdout.split('\n')) {
    const m = /^(\.[\d.]+) (.*)$/.exec(l);
    if (m) out.set(m[1]!, m[2]!.replace(/^"|"$/g, ''));
  }
  return out;
}

describe('a real Sendmail 8.17 on loopback (test/helpers/sendmail-server.ts) and the readers of its files', function () {
  this.timeout(120000);
  let sm: SendmailServer | undefined;
  let snmpd: MtaSendmailSnmpd | undefined;
  let tmp = '';

  before(async function () {
    sm = await startSendmail({ milter: true });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'madman-mta-sendmail-'));
  });

  after(async function () {
    await snmpd?.stop();
    await sm?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('delivers by esmtp and locally, rejects, bounces with a DSN and defers, with the expected log lines', async function () {
    const s = sm!;
    const relay = await s.send({ from: SM_ADDR.remoteSender, to: [SM_ADDR.relay] });
    const two = await s.send({ from: SM_ADDR.remoteSender, to: [SM_ADDR.local, SM_ADDR.local2] });
    const rejected = await s.send({ from: SM_ADDR.remoteSender, to: [SM_ADDR.rejected], localInterface: '127.0.0.3', expectReject: true });
    const bounce = await s.send({ from: SM_ADDR.sender, to: [SM_ADDR.bounce] });
    const deferred = await s.send({ from: SM_ADDR.sender, to: [SM_ADDR.deferred] });
    const msa = await s.send({ from: SM_ADDR.remoteSender, to: [SM_ADDR.local], port: s.msaPort });
    await s.send({ from: SM_ADDR.remoteSender, to: ['x@far.example'], localInterface: '127.0.0.3', expectReject: true });
    // a client that goes away after RCPT, one that says nothing (to the MSA), a message with 30 Received: headers
    await smtpDialogue(s.port, ['EHLO x.example', 'MAIL FROM:<a@far.example>', 'RCPT TO:<bob@example.test>']);
    await smtpDialogue(s.msaPort, []);
    const hops = Array.from({ length: 30 }, (_, i) => `Received: from h${i}.example by h${i + 1}.example; Mon, 7 Dec 2026 10:00:00 +0000`);
    await s.send({ from: SM_ADDR.sender, to: [SM_ADDR.local], headers: hops });
    await s.waitForLog(shapes().hops!, 20000);
    // the milter refuses one recipient of each of two messages (550, then 451) and discards a third
    await s.send({ from: SM_ADDR.remoteSender, to: ['milter-reject@example.test', SM_ADDR.local], expectReject: true });
    await s.send({ from: SM_ADDR.remoteSender, to: ['milter-tempfail@example.test', SM_ADDR.local2] });
    await s.send({ from: SM_ADDR.remoteSender, to: ['milter-discard@example.test'] });
    // a queue run: the deferred message is tried again, the looping one bounced
    await s.queueRun();
    expect(rejected.queueId).to.equal(null);
    const ids = [relay, two, bounce, deferred, msa].map((r) => r.queueId);
    for (const id of ids) expect(id).to.match(new RegExp(`^${QID}$`));
    expect(new Set(ids).size).to.equal(5);
    // deliveries run in the background, after swaks is done
    for (const re of Object.values(shapes())) await s.waitForLog(re, 20000);
    expectShapes(s.readLog(), s.maillog);

    expect(s.sink.messages.map((m) => [m.from, m.to])).to.deep.equal([[SM_ADDR.remoteSender, [SM_ADDR.relay]]]);
    expect(s.bounceSink.recipients).to.deep.equal([SM_ADDR.bounce]);
    expect(readFileSync(path.join(s.mboxDir, 'bob'), 'utf8').match(/^Subject: madman test$/gm)).to.have.length(3);
    expect(readFileSync(path.join(s.mboxDir, 'carol'), 'utf8').match(/^Subject: madman test$/gm)).to.have.length(2);
    expect(readFileSync(path.join(s.mboxDir, 'sender'), 'utf8')).to.match(/^Subject: Returned mail: see transcript for details$/m);
  });

  it('parseStatistics reads the statistics file as mailstats -P prints it, value by value', async function () {
    const s = sm!;
    // the file and mailstats are read at one moment: a sendmail process still posting its
    // statistics (a DSN's delivery) may rewrite the file between two reads, so the pair is
    // taken when the file is the same before and after mailstats ran, once the last DSN's
    // delivery has been counted (under load it can still be running when its line is logged)
    const localSlot = parseSendmailCf(readFileSync(s.cf, 'utf8')).mailers.indexOf('local');
    const { ms, st } = await waitFor('the statistics file to count the 6 local deliveries and hold still around a mailstats run', 30000, async () => {
      const before = readFileSync(s.statistics);
      const ms = await s.mailstats();
      const after = readFileSync(s.statistics);
      return before.equals(after) && ms.mailers.get(localSlot)?.to === 6 ? { ms, st: parseStatistics(after) } : undefined;
    });
    if (process.env.MADMAN_UPDATE_FIXTURES === '1') {
      // real files for the unit tests: the statistics file with what mailstats -P says of it
      mkdirSync(FIXTURES, { recursive: true });
      writeFileSync(path.join(FIXTURES, 'statistics-8.17-lp64'), readFileSync(s.statistics));
      writeFileSync(path.join(FIXTURES, 'statistics-8.17-lp64.mailstats-P'), (await run(MAILSTATS_BIN, ['-C', s.cf, '-f', s.statistics, '-P'])).stdout);
      writeFileSync(path.join(FIXTURES, 'sendmail-8.17.cf'), readFileSync(s.cf));
    }
    expect(st.version).to.equal(4);
    expect(st.layout).to.equal('LP64 little-endian');
    expect(st.initTime).to.equal(ms.initTime);
    expect(st.connections).to.deep.equal(ms.connections);
    const names = parseSendmailCf(readFileSync(s.cf, 'utf8')).mailers;
    // mailstats prints the mailers that counted anything; every other slot is zero
    for (let i = 0; i < st.mailers.length; i++) {
      const row = ms.mailers.get(i);
      const { name, ...values } = row ?? { name: undefined, from: 0, kbytesFrom: 0, to: 0, kbytesTo: 0, rejected: 0, discarded: 0, quarantined: 0 };
      expect(st.mailers[i], `mailer ${i}`).to.deep.equal(values);
      if (name !== undefined) expect(names[i]).to.equal(name);
    }
    const { name: _t, ...total } = ms.total;
    expect(statisticsTotals(st)).to.deep.equal(total);
    // what this traffic must have made: esmtp refused 2 transactions (counted on the sender's mailer),
    // local delivered 6 (bob and carol in one call, bob by the MSA, bob and carol past the milter, two DSNs)
    // (the milter's refusals at RCPT are not in msgsrej; its discard is in msgsdis and in msgsfr)
    expect(ms.mailers.get(names.indexOf('esmtp'))).to.deep.include({ name: 'esmtp', from: 6, to: 1, rejected: 2, discarded: 1 });
    expect(ms.mailers.get(names.indexOf('local'))).to.deep.include({ name: 'local', to: 6 });
  });

  it("parseSendmailCf and the queue scanner see what Net-SNMP's mta_sendmail serves from the same files", async function () {
    const s = sm!;
    snmpd = await startMtaSendmailSnmpd(tmp, s.cf, s.statistics);
    const cf = parseSendmailCf(readFileSync(s.cf, 'utf8'));
    expect(cf.warnings).to.deep.equal([]);
    expect(cf.statusFile).to.equal(s.statistics);
    expect(cf.queueGroups).to.deep.equal([{ name: 'mqueue', path: s.queueDir }]);
    expect(cf.daemons.map((d) => [d.name, d.port, d.modifiers])).to.deep.equal([
      ['MTA', s.port, ''],
      ['MSA', s.msaPort, 'E'],
    ]);
    expect(cf.version).to.match(/^8\.17\.\d+\.\d+$/);
    // mtaGroupName: the mailers by number, then the queue groups
    const names = await walk(snmpd.target, '1.3.6.1.2.1.28.2.1.25');
    const expected = [...cf.mailers, ...cf.queueGroups.map((g) => g.name)];
    expect([...names.values()]).to.deep.equal(expected);
    expect([...names.keys()]).to.deep.equal(expected.map((_, i) => `.1.3.6.1.2.1.28.2.1.25.1.${i + 1}`));

    // the deferred message is the one queued: one qf file, its recipient, its df volume
    const scan = await new QueueScanner(cf.queueGroups).scan();
    expect(scan).to.have.length(1);
    const g = scan[0]!;
    expect(g.errors).to.deep.equal([]);
    expect(g.messages).to.equal(1);
    expect(g.recipients).to.equal(1);
    const dfs = readdirSync(s.queueDir).filter((n) => n.startsWith('df'));
    expect(dfs).to.have.length(1);
    expect(g.volume).to.equal(readFileSync(path.join(s.queueDir, dfs[0]!)).length);
    const bp = await s.run(['-bp']);
    const id = new RegExp(`^(${QID})\\s+\\d+ `, 'm').exec(bp.stdout)?.[1];
    expect(g.oldest?.id).to.equal(id);
    expect(bp.stdout).to.include('Total requests: 1');
    // mta_sendmail: mtaGroupStoredMessages and mtaGroupStoredVolume (per df file, KB of 1000 rounded up) on the queue row
    const queueRow = expected.length;
    await waitFor('mta_sendmail to count the queue', 15000, async () => {
      const w = await walk(snmpd!.target, '1.3.6.1.2.1.28.2.1.4');
      return w.get(`.1.3.6.1.2.1.28.2.1.4.1.${queueRow}`) === String(g.messages) ? true : undefined;
    });
    const vol = await walk(snmpd.target, '1.3.6.1.2.1.28.2.1.7');
    expect(vol.get(`.1.3.6.1.2.1.28.2.1.7.1.${queueRow}`)).to.equal(String(g.kbytes));
    expect(g.kbytes).to.equal(Math.ceil(g.volume / 1000));
  });

  it("parseStatistics gives the values mta_sendmail serves per mailer (received, rejected + discarded, transmitted, volumes)", async function () {
    const s = sm!;
    const st = parseStatistics(readFileSync(s.statistics));
    const col = async (c: number) => walk(snmpd!.target, `1.3.6.1.2.1.28.2.1.${c}`);
    // sendmail_stats_t 1: the module re-reads the file at most a second later
    await waitFor('mta_sendmail to read the statistics file', 15000, async () => {
      const w = await col(2);
      return st.mailers.every((m, i) => i >= parseSendmailCf(readFileSync(s.cf, 'utf8')).mailers.length || w.get(`.1.3.6.1.2.1.28.2.1.2.1.${i + 1}`) === String(m.from)) ? true : undefined;
    });
    const mailers = parseSendmailCf(readFileSync(s.cf, 'utf8')).mailers;
    const [rcv, rej, tx, rcvVol, txVol] = await Promise.all([col(2), col(3), col(5), col(6), col(8)]);
    for (let i = 0; i < mailers.length; i++) {
      const m = st.mailers[i]!;
      const at = (w: Map<string, string>, c: number) => w.get(`.1.3.6.1.2.1.28.2.1.${c}.1.${i + 1}`);
      expect([at(rcv, 2), at(rej, 3), at(tx, 5), at(rcvVol, 6), at(txVol, 8)], mailers[i]).to.deep.equal(
        [m.from, m.rejected + m.discarded, m.to, m.kbytesFrom, m.kbytesTo].map(String),
      );
    }
    const mta = await walk(snmpd!.target, '1.3.6.1.2.1.28.1.1');
    const t = statisticsTotals(st);
    expect([1, 3, 4, 6].map((c) => mta.get(`.1.3.6.1.2.1.28.1.1.${c}.1`))).to.deep.equal([t.from, t.to, t.kbytesFrom, t.kbytesTo].map(String));
  });

  it('stops: no process or temporary directory left', async function () {
    const s = sm!;
    expect(s.processes().length).to.be.above(0);
    const pids = s.processes();
    await s.stop();
    expect(s.processes()).to.deep.equal([]);
    // gone, or a zombie waiting for init (the daemon was reparented when it forked)
    for (const pid of pids) {
      const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] : 'gone';
      expect(['gone', 'Z', 'X'], `pid ${pid}`).to.include(state);
    }
    expect(existsSync(s.dir)).to.equal(false);
    expect(s.readLog()).to.match(new RegExp(`${SM_IDENT}\\[\\d+\\]: starting daemon`));
  });

  it('keeps test/fixtures/sendmail/real-8.17-e2e.log, real output of this test, with the same shapes', function () {
    if (process.env.MADMAN_UPDATE_FIXTURES === '1') {
      mkdirSync(FIXTURES, { recursive: true });
      writeFileSync(FIXTURE_LOG, sm!.readLog());
    }
    expect(existsSync(FIXTURE_LOG), `${FIXTURE_LOG} (MADMAN_UPDATE_FIXTURES=1 makes it)`).to.equal(true);
    expectShapes(readFileSync(FIXTURE_LOG, 'utf8'), FIXTURE_LOG);
  });
});
