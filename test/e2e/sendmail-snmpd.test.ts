// madman's Sendmail source against Net-SNMP's mta_sendmail on the same real Sendmail: real
// traffic (delivered to the test SMTP server and locally, refused, deferred to a closed
// port, bounced, submitted to the MSA), then both agents' mtaTable and mtaGroupTable walked
// and the columns mta_sendmail serves compared value by value; then what only madman serves
// (the inbound groups, recipients, the error table), with exact values.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { run, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { SM_ADDR, startSendmail, type SendmailServer } from '../helpers/sendmail-server.js';
import { startMtaSendmailSnmpd, waitFor, type MtaSendmailSnmpd } from '../helpers/snmpd-master.js';

const MTA = '1.3.6.1.2.1.28';
/** the mtaGroupTable columns mta_sendmail serves */
const MODULE_GROUP_COLUMNS = [2, 3, 4, 5, 6, 7, 8, 25, 31];

/** OID suffix (after the table entry) -> value, for `prefix`. */
async function walk(target: string, prefix: string): Promise<Map<string, string>> {
  const r = await run('snmpbulkwalk', ['-v2c', '-c', 'public', '-On', '-Oq', '-t', '3', target, prefix]);
  expect(r.code, r.stderr).to.equal(0);
  const out = new Map<string, string>();
  for (const l of r.stdout.split('\n')) {
    const m = /^\.(\S+) (.*)$/.exec(l);
    // snmpd ends a walk past its last object with a "No more variables left" exception line
    if (m && m[1]!.startsWith(`${prefix}.`) && !m[2]!.startsWith('No more variables')) out.set(m[1]!.slice(prefix.length + 1), m[2]!.replace(/^"|"$/g, ''));
  }
  return out;
}

/** The columns both agents serve, as "column.group" -> value (the applIndex arc dropped). */
async function moduleView(target: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [k, v] of await walk(target, `${MTA}.1.1`)) {
    const [col] = k.split('.');
    if (Number(col) <= 6) out.set(`mta.${col}`, v);
  }
  for (const [k, v] of await walk(target, `${MTA}.2.1`)) {
    const [col, , group] = k.split('.');
    if (MODULE_GROUP_COLUMNS.includes(Number(col))) out.set(`${col}.${group}`, v);
  }
  return out;
}

describe("Sendmail source beside Net-SNMP's mta_sendmail, on one real Sendmail (e2e)", function () {
  this.timeout(180_000);
  let sm: SendmailServer | undefined;
  let snmpd: MtaSendmailSnmpd | undefined;
  let agent: TestAgent | undefined;
  let dir = '';

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-sendmail-snmpd-'));
    sm = await startSendmail();
    const s = sm;
    await s.send({ from: SM_ADDR.remoteSender, to: [SM_ADDR.relay] });
    await s.send({ from: SM_ADDR.remoteSender, to: [SM_ADDR.local, SM_ADDR.local2] });
    await s.send({ from: SM_ADDR.remoteSender, to: [SM_ADDR.rejected], localInterface: '127.0.0.3', expectReject: true });
    await s.send({ from: SM_ADDR.sender, to: [SM_ADDR.bounce] });
    await s.send({ from: SM_ADDR.sender, to: [SM_ADDR.deferred] });
    await s.send({ from: SM_ADDR.remoteSender, to: [SM_ADDR.local], port: s.msaPort });
    await s.send({ from: SM_ADDR.remoteSender, to: ['x@far.example'], localInterface: '127.0.0.3', expectReject: true });
    // every delivery done: the DSN delivered, the deferral logged
    await s.waitForLog(/to=<sender@example\.test>, .*mailer=local, .*stat=Sent/, 30000);
    await s.waitForLog(/to=<someone@remote\.test>, .*stat=Deferred/, 30000);
    await s.waitForLog(/to=<bob@example\.test>, .*mailer=local, .*stat=Sent/, 30000);
    snmpd = await startMtaSendmailSnmpd(path.join(dir, 'snmpd'), s.cf, s.statistics);
    agent = await startTestAgent({
      stateDir: path.join(dir, 'state'),
      settings: {
        fromStart: true,
        sendmail: { log: s.maillog, cf: s.cf, statisticsInterval: 1, queue: true, queueInterval: 1, programs: ['sm-mta'] },
      },
    });
  });

  after(async function () {
    await agent?.stop();
    await snmpd?.stop();
    await sm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves mta_sendmail's rows at its indexes, with its values in every column it serves", async function () {
    let mine = new Map<string, string>();
    let theirs = new Map<string, string>();
    // both re-read the files every second: wait until they agree (or time out and show how not)
    await waitFor('both agents to serve the same values', 60000, async () => {
      [mine, theirs] = await Promise.all([moduleView(agent!.target), moduleView(snmpd!.target)]);
      return [...theirs].every(([k, v]) => mine.get(k) === v) ? true : undefined;
    }).catch(() => undefined);
    const diff = [...theirs].filter(([k, v]) => mine.get(k) !== v).map(([k, v]) => `${k}: mta_sendmail ${v}, madman ${mine.get(k)}`);
    expect(diff).to.deep.equal([]);
    // what was compared: 6 mtaTable columns, 9 mailers x 7 columns, the queue group's 4
    expect(theirs.size).to.equal(6 + 9 * 7 + 4);
    expect(theirs.get('25.6')).to.equal('esmtp');
    expect(theirs.get('31.10')).to.equal('-2');
    // and the traffic is in them: 6 messages (4 by the MTA daemon, 1 by the MSA, 1 DSN), 4 deliveries
    expect([theirs.get('mta.1'), theirs.get('mta.3'), theirs.get('4.10')]).to.deep.equal(['6', '4', '1']);
  });

  it('serves beyond it: the daemons and DSNs as inbound groups, recipients, refusals, the error table, the oldest message', async function () {
    const groups = await walk(agent!.target, `${MTA}.2.1`);
    const app = [...groups.keys()].find((k) => k.startsWith('25.'))!.split('.')[1];
    const byName = new Map<string, string>();
    for (const [k, v] of groups) if (k.startsWith('25.')) byName.set(v, k.split('.')[2]!);
    const col = (c: number, name: string) => groups.get(`${c}.${app}.${byName.get(name)}`);
    // received messages and recipients; refused transactions; hierarchy -3
    expect(['MTA', 'MSA', 'DSN'].map((n) => [n, col(2, n), col(9, n), col(3, n), col(31, n)])).to.deep.equal([
      ['MTA', '4', '5', '2', '-3'],
      ['MSA', '1', '1', '0', '-3'],
      ['DSN', '1', '1', '0', '-3'],
    ]);
    // transmitted recipients per mailer; failed connections to the closed port
    expect([col(11, 'local'), col(11, 'esmtp'), col(20, 'smtp8'), col(22, 'smtp8')]).to.deep.equal(['4', '1', '1', 'Deferred: Connection refused by [127.0.0.1]']);
    // the queue group: the deferred message is the oldest, by its queue id
    const queued = await sm!.run(['-bp']);
    const qid = /^([0-9A-Za-x]{14})\s/m.exec(queued.stdout)?.[1];
    expect(col(32, 'mqueue')).to.equal(qid);
    expect(col(10, 'mqueue')).to.equal('1');
    // mtaGroupErrorTable: inbound refusals on MTA, outbound on relay and smtp8
    const errors = await walk(agent!.target, `${MTA}.5.1`);
    const err = (c: number, name: string, code: number) => errors.get(`${c}.${app}.${byName.get(name)}.${code}`);
    expect([err(1, 'MTA', 5001001), err(1, 'MTA', 5007001), err(1, 'MTA', 5000000), err(3, 'relay', 5001001), err(3, 'smtp8', 4004001)]).to.deep.equal(['1', '1', '2', '1', '1']);
    // the MTA's totals agree between the two views: what arrived by the daemons and as DSNs is the file's total
    const mta = await walk(agent!.target, `${MTA}.1.1`);
    expect(mta.get(`1.${app}`)).to.equal(String(Number(col(2, 'MTA')) + Number(col(2, 'MSA')) + Number(col(2, 'DSN'))));
  });
});
