// Issues 4, 5, 7 and 8 in one real `madman agent --config FILE` process, from one file with
// every section: a real private Postfix (log and queue, two messages deferred), a Sun MTA
// log, probes, alarms (queuesize at 1), a trap2sink to a real snmptrapd, SNMPv3 users and
// a view. The queuesize alarm follows the real queue (raised, then cleared when the queue
// is emptied); the v3 (authPriv) walks of the alarm and probe tables equal the v2c walks;
// a view excluding madmanProbes hides that subtree and nothing else.

import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import { MIB_OPTS, ROOT, run, snmp } from '../helpers/harness.js';
import { ADDR, freePorts, startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { until, walkRows, type Row } from '../helpers/probe-support.js';
import { freeUdpPort, startSnmptrapd, type Received, type Snmptrapd } from '../helpers/snmptrapd.js';
import { v3Args, type V3User } from './snmpv3-support.js';
import { ALARM_COL, MADMAN, SNMP_TRAP_OID, alarmVarbinds, madmanVarbinds, startCliAgent, type CliAgent } from './integration-support.js';

const RAISED = `OID: ${MADMAN}.0.1`;
const CLEARED = `OID: ${MADMAN}.0.2`;
const PROBES = `${MADMAN}.1.3`;
const nms: V3User = { user: 'nms', level: 'authPriv', auth: ['SHA-256', 'nms auth pass'], priv: ['AES', 'nms priv pass'] };
const ops: V3User = { user: 'ops', level: 'authPriv', auth: ['SHA-512', 'ops auth pass'], priv: ['AES-256', 'ops priv pass'] };

/** snmpwalk -On of `oid`, v2c or as a v3 user; the lines, which must exist. */
async function walk(target: string, oid: string, user?: V3User): Promise<string[]> {
  const auth = user ? [...v3Args(user), '-t', '1', '-r', '0'] : ['-v', '2c', '-c', 'public', '-t', '1', '-r', '0'];
  const r = await run('snmpwalk', [...auth, ...MIB_OPTS, '-On', target, oid]);
  expect(r.code, `snmpwalk ${oid}: ${r.stderr}`).to.equal(0);
  return r.stdout.split('\n').filter((l) => l.startsWith('.'));
}

describe('integration: one config with every section, in `madman agent --config`', function () {
  this.timeout(60000);
  let dir: string;
  let postfix: PostfixServer;
  let trapd: Snmptrapd;
  /** started once the agent's engine ID is known: a v3 trap receiver names its sender's */
  let trapd3: Snmptrapd | undefined;
  let v3TrapPort: number;
  let agent: CliAgent | undefined;
  let target: string;
  // the host is the one the log lines name (myhostname's first label)
  const postfixMta = 'postfix-test MTA on madman-test';
  const alarmRow = async (alarm: string, instance: string): Promise<[string, Row] | undefined> =>
    [...(await walkRows(target, 'MADMAN-MIB::madmanAlarmTable')).entries()].find(([, r]) => r.madmanAlarmId === alarm && r.madmanAlarmInstance === instance);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-int-agent-'));
    postfix = await startPostfix();
    trapd = await startSnmptrapd();
    for (let i = 0; i < 2; i++) await postfix.sendMail({ from: ADDR.sender, to: [ADDR.deferred] });
    await until('two messages in the deferred queue', async () => (await postfix.queueJson()).map((q) => q.queue_name).join() === 'deferred,deferred');
    copyFileSync(path.join(ROOT, 'test/fixtures/sun-mta/mail.log_current'), path.join(dir, 'mail.log_current'));
    const [closed] = (await freePorts(1)) as [number];
    const port = await freeUdpPort();
    v3TrapPort = await freeUdpPort();
    target = `127.0.0.1:${port}`;
    const conf = path.join(dir, 'madman.yml');
    writeFileSync(
      conf,
      [
        `listen: [udp:127.0.0.1:${port}]`,
        'stateDir: state',
        'fromStart: true',
        'postfix:',
        `  log: ${postfix.maillog}`,
        `  queue: ${postfix.etcDir}`,
        '  queueInterval: 1',
        'sunMta:',
        '  log: mail.log_current',
        '  application: sun MTA on mail1',
        'probes:',
        '  - name: gone',
        '    protocol: smtp',
        '    host: 127.0.0.1',
        `    port: ${closed}`,
        '    timeout: 2',
        '    interval: 3600',
        '  - name: mx',
        '    protocol: smtp',
        '    host: 127.0.0.1',
        `    port: ${postfix.port}`,
        '    interval: 3600',
        'alarms:',
        '  queuesize: { threshold: 1, statInterval: 2 }',
        '  servicedown: { statInterval: 2 }',
        '  serverresponse: { statInterval: 2, threshold: 1 }',
        'notify:',
        `  trap2sink: ["127.0.0.1:${trapd.port} public"]`,
        `  trapsess: ["-v 3 -u trapper -l authPriv -a SHA-256 -A trapauth1 -x AES -X trappriv1 127.0.0.1:${v3TrapPort}"]`,
        'view:',
        '  - noprobes included .1',
        '  - noprobes excluded MADMAN-MIB::madmanProbes',
        'rocommunity:',
        '  - public 127.0.0.1',
        'createUser:',
        `  - nms SHA-256 "${nms.auth![1]}" AES "${nms.priv![1]}"`,
        `  - ops SHA-512 "${ops.auth![1]}" AES-256 "${ops.priv![1]}"`,
        'rouser:',
        '  - nms priv',
        '  - ops priv -V noprobes',
        '',
      ].join('\n'),
    );
    const check = await run('node', [path.join(ROOT, 'dist/src/cli/main.js'), 'agent', '--check-config', conf]);
    expect([check.code, check.stdout, check.stderr]).to.deep.equal([0, `${conf}: OK\n`, '']);
    agent = await startCliAgent(['agent', '--config', conf], dir);
  });
  after(async () => {
    await agent?.stop();
    await trapd3?.stop();
    await trapd?.stop();
    await postfix?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('raises queuesize on the real Postfix queue: madmanAlarmCurrent is its size; the notification carries the row', async () => {
    const queued = (await postfix.queueJson()).length;
    expect(queued).to.equal(2);
    const isOurs = (r: Received) => r.varbinds.get(SNMP_TRAP_OID) === RAISED && r.varbinds.get(`${ALARM_COL}.2.${idxOf(r)}`) === 'STRING: "queuesize"' && r.varbinds.get(`${ALARM_COL}.3.${idxOf(r)}`) === `STRING: "${postfixMta}"`;
    const trap = await trapd.waitFor(isOurs, 'madmanAlarmRaised of the Postfix queue', 20000);
    const found = await alarmRow('queuesize', postfixMta);
    expect(found, 'queuesize row of the Postfix MTA').to.not.equal(undefined);
    const [idx, row] = found!;
    expect([row.madmanAlarmCurrent, row.madmanAlarmHigh, row.madmanAlarmThreshold, row.madmanAlarmClearThreshold, row.madmanAlarmWarningState, row.madmanAlarmCountOverThreshold]).to.deep.equal([String(queued), String(queued), '1', '1', 'true', '1']);
    const mtaStored = await snmp('snmpwalk', [...MIB_OPTS, '-Oqv', target, 'MTA-MIB::mtaStoredMessages']);
    expect(mtaStored.stdout.trim().split('\n')).to.include(String(queued));
    expect(madmanVarbinds(trap.varbinds)).to.deep.equal(
      alarmVarbinds(Number(idx), { id: 'queuesize', instance: postfixMta, description: ALARM_DEFAULTS.queuesize!.description, current: queued, threshold: 1, direction: 'above', high: queued, low: Number(row.madmanAlarmLow) }),
    );
    expect(Number(row.madmanAlarmLow)).to.be.oneOf([0, queued]);
  });

  it('SNMPv3 authPriv walks of madmanAlarmTable and madmanProbeTable equal the v2c walks', async () => {
    await until('the probed services in the alarm table', async () => !!(await alarmRow('servicedown', 'gone smtp on 127.0.0.1')) && !!(await alarmRow('serverresponse', 'mx smtp on 127.0.0.1')));
    for (const table of ['MADMAN-MIB::madmanAlarmTable', 'MADMAN-MIB::madmanProbeTable']) {
      // the alarm table changes at each measurement (every 2 s): a v2c walk on either side of
      // the v3 one, until both v2c walks agree
      let tries = 0;
      for (;;) {
        const before = await walk(target, table);
        const v3 = await walk(target, table, nms);
        const after = await walk(target, table);
        if (before.join('\n') === after.join('\n')) {
          expect(v3).to.deep.equal(before);
          expect(v3.length).to.be.above(table.endsWith('ProbeTable') ? 2 * 14 - 1 : 8 * 18 - 1);
          break;
        }
        expect(++tries, `${table} never stood still for three walks`).to.be.below(10);
      }
    }
  });

  it('a view excluding madmanProbes hides only that subtree', async () => {
    const oids = (lines: string[]) => lines.map((l) => l.split(' = ')[0]!);
    const all = oids(await walk(target, MADMAN, nms));
    const seen = oids(await walk(target, MADMAN, ops));
    expect(all.filter((o) => o.startsWith(`${PROBES}.`)).length).to.be.above(2 * 14 + 1);
    expect(seen).to.deep.equal(all.filter((o) => !o.startsWith(`${PROBES}.`)));
    const probeName = all.find((o) => o.startsWith(`${PROBES}.1.1.1.`))!;
    const get = async (u: V3User) => (await run('snmpget', [...v3Args(u), '-t', '1', '-r', '0', ...MIB_OPTS, '-On', target, probeName])).stdout.trim();
    expect(await get(ops)).to.equal(`${probeName} = No Such Object available on this agent at this OID`);
    expect(await get(nms)).to.equal(`${probeName} = STRING: gone smtp on 127.0.0.1`);
  });

  it('SNMPv3 traps come from the agent\'s own engine ID (snmpEngineID), which snmptrapd\'s createUser -e names', async () => {
    const r = await snmp('snmpget', [...MIB_OPTS, '-Oqv', '-Ox', target, 'SNMP-FRAMEWORK-MIB::snmpEngineID.0']);
    expect(r.code, r.stderr).to.equal(0);
    const engineId = r.stdout.replace(/[^0-9A-Fa-f]/g, '');
    expect(engineId).to.match(/^80007ed905[0-9a-f]{16}$/i);
    trapd3 = await startSnmptrapd({ port: v3TrapPort, users: [{ engineId: `0x${engineId}`, name: 'trapper', authProtocol: 'SHA-256', authPassword: 'trapauth1', privProtocol: 'AES', privPassword: 'trappriv1' }] });
  });

  it('clears queuesize once the queue is emptied (postsuper -d ALL)', async () => {
    const r = await run('postsuper', ['-c', postfix.etcDir, '-d', 'ALL']);
    expect(r.code, r.stderr).to.equal(0);
    expect(await postfix.queueJson()).to.deep.equal([]);
    const cleared = await trapd.waitFor((x) => x.varbinds.get(SNMP_TRAP_OID) === CLEARED && x.varbinds.get(`${ALARM_COL}.3.${idxOf(x)}`) === `STRING: "${postfixMta}"`, 'madmanAlarmCleared of the Postfix queue', 20000);
    const [idx, row] = (await alarmRow('queuesize', postfixMta))!;
    expect([row.madmanAlarmCurrent, row.madmanAlarmWarningState]).to.deep.equal(['0', 'false']);
    expect(madmanVarbinds(cleared.varbinds)).to.deep.equal(
      alarmVarbinds(Number(idx), { id: 'queuesize', instance: postfixMta, description: ALARM_DEFAULTS.queuesize!.description, current: 0, threshold: 1, direction: 'above', high: 2, low: 0 }),
    );
    // the same notification as an SNMPv3 trap (authPriv) from our engine
    const v3 = await trapd3!.waitFor((x) => x.varbinds.get(SNMP_TRAP_OID) === CLEARED, 'v3 madmanAlarmCleared', 20000);
    expect(v3.security).to.equal('TRAP2, SNMP v3, user trapper, context ');
    expect(madmanVarbinds(v3.varbinds)).to.deep.equal(madmanVarbinds(cleared.varbinds));
    const stderr = agent!.stderr();
    await agent!.stop();
    agent = undefined;
    // nothing logged at the default level but the --from-start notices (docs/http.md)
    const notice = /^(postfix|sun-mta|dovecot) log: (reading from the start \(|read \d)/;
    expect(stderr.split('\n').filter((l) => l && !notice.test((JSON.parse(l) as { msg: string }).msg))).to.deep.equal([]);
  });
});

/** The alarm row index a notification's varbinds name (the instance of its madmanAlarmId). */
function idxOf(r: Received): string {
  const id = [...r.varbinds.keys()].find((o) => o.startsWith(`${ALARM_COL}.2.`));
  return id ? id.slice(ALARM_COL.length + 3) : '';
}
