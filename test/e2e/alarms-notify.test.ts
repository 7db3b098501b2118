// Alarms end to end: a disk alarm driven by a threshold set above the real free space of
// the test's temporary directory, raised to a real snmptrapd as an SNMPv1 trap, a v2c trap,
// a v2c inform, and v3 (authPriv) trap and inform, whose varbinds are checked; the alarm
// table read with snmpget/snmptable; after a restart with the threshold lowered, the alarm
// clears (its state was kept). An inform sent while snmptrapd is down arrives once it is
// back, and the agent answers meanwhile. Service down/up from applOperStatus and checks.

import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import type { SinkSettings } from '../../src/config/alarms.js';
import type { Settings } from '../../src/config/config.js';
import type { AlarmRule } from '../../src/model/alarms.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { MIB_OPTS, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { startSnmptrapd, type Received, type Snmptrapd } from '../helpers/snmptrapd.js';

const MADMAN = '.1.3.6.1.4.1.32473';
const ALARM_COL = `${MADMAN}.1.5.1`;
const ENGINE = '0x8000B98380AABBCCDDEEFF0011';
const AUTH = { authProtocol: 'SHA-256', authPassword: 'authpass123', privProtocol: 'AES', privPassword: 'privpass123' };

function percentAvail(dir: string): number {
  const s = statfsSync(dir);
  return Math.floor((s.bavail * 100) / s.blocks);
}

function sinks(port: number): SinkSettings[] {
  const user = { name: 'alarmuser', authProtocol: 'SHA-256' as const, authPassword: AUTH.authPassword, privProtocol: 'AES' as const, privPassword: AUTH.privPassword };
  return [
    { kind: 'trapsink', host: '127.0.0.1', port, community: 'v1sink', inform: false },
    { kind: 'trap2sink', host: '127.0.0.1', port, community: 'v2sink', inform: false },
    { kind: 'informsink', host: '127.0.0.1', port, community: 'informsink', inform: true },
    { kind: 'trapsess', host: '127.0.0.1', port, user, inform: false, engineId: ENGINE },
    { kind: 'trapsess', host: '127.0.0.1', port, user, inform: true },
  ];
}

function settings(dir: string, rule: Partial<AlarmRule>, sinkList: SinkSettings[], name = 'diskavail'): Partial<Settings> {
  return {
    disks: { paths: [dir], interval: 1 },
    alarms: { rules: [{ ...ALARM_DEFAULTS[name]!, statInterval: 1, ...rule }], quotaPercent: 90 },
    notify: { sinks: sinkList, queueSize: 100 },
  };
}

/** The 8 varbinds of an alarm notification for row `i`, as snmptrapd prints them (-On, no MIBs). */
function alarmVarbinds(i: number, v: { id: string; instance: string; description: string; current: number; threshold: number; direction: 1 | 2; high: number; low: number }): Array<[string, string]> {
  return [
    [`${ALARM_COL}.2.${i}`, `STRING: "${v.id}"`],
    [`${ALARM_COL}.3.${i}`, `STRING: "${v.instance}"`],
    [`${ALARM_COL}.4.${i}`, `STRING: "${v.description}"`],
    [`${ALARM_COL}.5.${i}`, `INTEGER: ${v.current}`],
    [`${ALARM_COL}.6.${i}`, `INTEGER: ${v.threshold}`],
    [`${ALARM_COL}.8.${i}`, `INTEGER: ${v.direction}`],
    [`${ALARM_COL}.9.${i}`, `INTEGER: ${v.high}`],
    [`${ALARM_COL}.10.${i}`, `INTEGER: ${v.low}`],
  ];
}

const trapOid = (r: Received) => r.varbinds.get('.1.3.6.1.6.3.1.1.4.1.0');
const objects = (r: Received) => [...r.varbinds].filter(([oid]) => oid.startsWith(`${MADMAN}.1.`));

describe('e2e: alarms and notifications to a real snmptrapd (issue 5)', function () {
  this.timeout(60000);
  let trapd: Snmptrapd;
  let dir: string;
  let stateDir: string;
  let ta: TestAgent | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-disk-'));
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'madman-state-'));
    trapd = await startSnmptrapd({ users: [{ engineId: ENGINE, name: 'alarmuser', ...AUTH }, { name: 'alarmuser', ...AUTH }] });
  });
  afterEach(async () => {
    await ta?.stop();
    ta = undefined;
    await trapd.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('raises a disk alarm as v1, v2c, inform, v3 trap and v3 inform; clears it after a restart with a lower threshold', async () => {
    const pct = percentAvail(dir);
    expect(pct).to.be.below(100);
    const high = pct + 1;
    ta = await startTestAgent({ stateDir, settings: settings(dir, { threshold: high, clearThreshold: high }, sinks(trapd.port)) });

    const raised = [`${MADMAN}.0.1`];
    const got = await Promise.all([
      trapd.waitFor((r) => r.security.includes('community v1sink'), 'v1 trap'),
      trapd.waitFor((r) => r.security.includes('community v2sink'), 'v2c trap'),
      trapd.waitFor((r) => r.security.includes('community informsink'), 'v2c inform'),
      trapd.waitFor((r) => r.pdu === 'TRAP2' && r.security.includes('SNMP v3, user alarmuser'), 'v3 trap'),
      trapd.waitFor((r) => r.pdu === 'INFORM' && r.security.includes('SNMP v3, user alarmuser'), 'v3 inform'),
    ]);
    // the exact percentage the agent measured, rounded in the Integer32 columns
    const shown = Math.round(ta.model.alarms.find('diskavail', dir)!.current!);
    const want = alarmVarbinds(1, { id: 'diskavail', instance: dir, description: ALARM_DEFAULTS.diskavail!.description, current: shown, threshold: high, direction: 1, high: shown, low: shown });
    const [v1, ...v2] = got;
    expect(v1!.pdu).to.equal('TRAP');
    expect(v1!.security).to.equal('TRAP, SNMP v1, community v1sink');
    // RFC 3584: madmanAlarmRaised (madman.0.1) is enterprise madman, specific-trap 1
    expect(v1!.enterprise).to.equal(MADMAN);
    expect(v1!.specific.replace(/^\./, '')).to.equal('1');
    expect(v1!.agentAddr).to.equal('127.0.0.1');
    // one notification to every sink: the same sysUpTime (the agent's, passed by us) in each
    const ticks = v2.map((r) => /^Timeticks: \((\d+)\)/.exec(r.varbinds.get('.1.3.6.1.2.1.1.3.0') ?? '')?.[1]);
    expect(ticks).to.deep.equal([v1!.v1Uptime, v1!.v1Uptime, v1!.v1Uptime, v1!.v1Uptime]);
    expect(objects(v1!)).to.deep.equal(want);
    expect(v2.map((r) => r.pdu)).to.deep.equal(['TRAP2', 'INFORM', 'TRAP2', 'INFORM']);
    for (const r of v2) {
      expect([trapOid(r)]).to.deep.equal(raised.map((o) => `OID: ${o}`));
      expect(objects(r)).to.deep.equal(want);
    }
    // exactly one of each: no repeat within the warning interval though measured every second
    await new Promise((r) => setTimeout(r, 1500));
    expect(trapd.received().length).to.equal(5);

    const row = await snmp('snmpget', [...MIB_OPTS, '-OqvU', ta.target, 'MADMAN-MIB::madmanAlarmWarningState.1', 'MADMAN-MIB::madmanAlarmCountOverThreshold.1', 'MADMAN-MIB::madmanAlarmCountWarningSent.1', 'MADMAN-MIB::madmanDiskPercentAvail.1', 'MADMAN-MIB::madmanDiskPath.1']);
    expect(row.stdout.trim().split('\n')).to.deep.equal(['true', '1', '1', String(pct), dir]);
    const tbl = await snmp('snmptable', [...MIB_OPTS, '-OU', '-Cf', '|', '-CH', ta.target, 'MADMAN-MIB::madmanAlarmTable']);
    expect(tbl.code).to.equal(0);
    const cells = tbl.stdout.trim().split('|');
    expect(cells.slice(0, 10)).to.deep.equal(['diskavail', dir, ALARM_DEFAULTS.diskavail!.description, String(shown), String(high), String(high), 'below', String(shown), String(shown), '1']);
    await ta.stop();
    ta = undefined;

    // restart with the threshold lowered: the saved alarm is still raised, then clears
    const low = Math.floor(pct / 2);
    const before = trapd.received().length;
    ta = await startTestAgent({ stateDir, settings: settings(dir, { threshold: low, clearThreshold: low + 1 }, sinks(trapd.port).slice(1, 2)) });
    const cleared = await trapd.waitFor((r) => trapOid(r) === `OID: ${MADMAN}.0.2`, 'madmanAlarmCleared');
    expect(objects(cleared)).to.deep.equal(alarmVarbinds(1, { id: 'diskavail', instance: dir, description: ALARM_DEFAULTS.diskavail!.description, current: shown, threshold: low, direction: 1, high: shown, low: shown }));
    const after = await snmp('snmpget', [...MIB_OPTS, '-Oqv', ta.target, 'MADMAN-MIB::madmanAlarmWarningState.1', 'MADMAN-MIB::madmanAlarmCountOverThreshold.1', 'MADMAN-MIB::madmanAlarmThreshold.1']);
    expect(after.stdout.trim().split('\n')).to.deep.equal(['false', '1', String(low)]);
    expect(trapd.received().length).to.equal(before + 1);
  });

  it('an inform sent while snmptrapd is down arrives once it is back; the agent answers meanwhile', async () => {
    await trapd.down();
    const pct = percentAvail(dir);
    ta = await startTestAgent({ stateDir, settings: settings(dir, { threshold: pct + 1, clearThreshold: pct + 1 }, sinks(trapd.port).slice(2, 3)) });
    // the measurement the alarm was raised at (at start), as the Integer32 column shows it
    const shown = Math.round(ta.model.alarms.find('diskavail', dir)!.current!);
    const state = await snmp('snmpget', [...MIB_OPTS, '-Oqv', ta.target, 'MADMAN-MIB::madmanAlarmWarningState.1']);
    expect(state.stdout.trim()).to.equal('true');
    const sink = ta.agent.alarming.sinks[0]!;
    expect(sink.pending).to.equal(1);
    await new Promise((r) => setTimeout(r, 1000));
    await trapd.up();
    const r = await trapd.waitFor((x) => x.pdu === 'INFORM', 'inform after restart', 20000);
    expect(trapOid(r)).to.equal(`OID: ${MADMAN}.0.1`);
    expect(objects(r)[3]).to.deep.equal([`${ALARM_COL}.5.1`, `INTEGER: ${shown}`]);
    for (let i = 0; i < 50 && sink.pending > 0; i++) await new Promise((res) => setTimeout(res, 100));
    expect(sink.pending).to.equal(0);
    expect(sink.sent).to.equal(1);
  });

  it('service down and up: an application going down, a check going critical, and back', async () => {
    const model = new MailSystem();
    const app = model.addApplication('postfix');
    model.checks.set(1, { index: 1, name: 'main imap on mx', protocol: 'imap', target: '127.0.0.1:143', status: 'ok', responseMs: 5, phases: [], reason: '', consecutiveFailures: 0 });
    ta = await startTestAgent({ model, stateDir, settings: { alarms: { rules: [{ ...ALARM_DEFAULTS.servicedown!, statInterval: 1 }], quotaPercent: 90 }, notify: { sinks: sinks(trapd.port).slice(1, 2), queueSize: 10 } } });
    const id = (name: string) => model.alarms.find('servicedown', name)!.index;
    app.operStatus = 'down';
    model.checks.get(1)!.status = 'critical';
    const downs = await Promise.all(['postfix', 'main imap on mx'].map((n) => trapd.waitFor((r) => trapOid(r) === `OID: ${MADMAN}.0.3` && r.varbinds.get(`${ALARM_COL}.3.${id(n)}`) === `STRING: "${n}"`, `down of ${n}`)));
    expect(objects(downs[0]!)).to.deep.equal(alarmVarbinds(id('postfix'), { id: 'servicedown', instance: 'postfix', description: ALARM_DEFAULTS.servicedown!.description, current: 1, threshold: 1, direction: 2, high: 1, low: 0 }));
    app.operStatus = 'up';
    const up = await trapd.waitFor((r) => trapOid(r) === `OID: ${MADMAN}.0.4`, 'service up');
    expect(objects(up)).to.deep.equal(alarmVarbinds(id('postfix'), { id: 'servicedown', instance: 'postfix', description: ALARM_DEFAULTS.servicedown!.description, current: 0, threshold: 1, direction: 2, high: 1, low: 0 }));
  });
});
