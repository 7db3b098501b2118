// SNMPv3 traps carry our engine's snmpEngineBoots and snmpEngineTime (issue 13, also): a
// trap's authoritative engine is its sender (RFC 3414 2.3), and the net-snmp package sent
// 0 and 0. Checked two ways: the datagram decoded (its USM header), and a real snmptrapd
// whose notion of our engine's clock was set by a trap of Net-SNMP's own snmptrap (-Z
// boots,time): it accepts ours, and refuses a trap whose boots are lower (so it does check
// the time window: a trap with boots 0 would be refused the same way).

import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { pino } from 'pino';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import type { SinkSettings, V3User } from '../../src/config/alarms.js';
import { loadMibs } from '../../src/mib/loader.js';
import { AlarmStore } from '../../src/model/alarms.js';
import { alarmNotification } from '../../src/notify/build.js';
import { SnmpSink, type EngineClock } from '../../src/notify/snmp-sinks.js';
import { decodeV3 } from '../../src/snmp/usm/message3.js';
import { freeUdpPort, startSnmptrapd, type Snmptrapd } from '../helpers/snmptrapd.js';

const ENGINE = '80007e9905aabbccddeeff0011';
const USER: V3User = { name: 'clock', authProtocol: 'SHA-256', authPassword: 'clockauth1', privProtocol: 'AES', privPassword: 'clockpriv1' };
const log = pino({ level: 'silent' });

function notification() {
  const alarm = new AlarmStore().instanceOf({ ...ALARM_DEFAULTS.diskavail! }, '/var/mail', 0);
  return alarmNotification(loadMibs(), { transition: 'raised', alarm, at: 0 }, { now: 1_000_000, startedAt: 0, uptimeMs: 123_450 });
}

function sink(port: number, engine: EngineClock): SnmpSink {
  const s: SinkSettings = { kind: 'trapsess', host: '127.0.0.1', port, user: USER, inform: false, engineId: `0x${ENGINE}` };
  return new SnmpSink(s, log, { retry: { size: 1, initialDelayMs: 100, maxDelayMs: 100 }, timeoutMs: 500, engine });
}

describe('SNMPv3 traps carry our engine\'s boots and time', function () {
  this.timeout(60_000);

  it('in the USM header of the datagram sent', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const got = new Promise<Buffer>((r) => sock.once('message', (m) => r(m)));
    const s = sink(sock.address().port, { boots: 7, time: () => 4321 });
    try {
      s.send(notification());
      const m = decodeV3(await got);
      expect([m.usm.engineId.toString('hex'), m.usm.boots, m.usm.time, m.usm.userName.toString()]).to.deep.equal([ENGINE, 7, 4321, USER.name]);
    } finally {
      await s.close();
      sock.close();
    }
  });

  describe('to a real snmptrapd that checks the time window', () => {
    let trapd: Snmptrapd;
    before(async () => {
      trapd = await startSnmptrapd({ users: [{ engineId: `0x${ENGINE}`, name: USER.name, authProtocol: USER.authProtocol, authPassword: USER.authPassword, privProtocol: USER.privProtocol, privPassword: USER.privPassword }] });
    });
    after(async () => {
      await trapd?.stop();
    });

    /** Net-SNMP's snmptrap as our engine, with the given boots and time. */
    function snmptrap(boots: number, time: number, oid: string): void {
      const args = ['-v3', '-e', `0x${ENGINE}`, '-u', USER.name, '-l', 'authPriv', '-a', USER.authProtocol, '-A', USER.authPassword, '-x', USER.privProtocol, '-X', USER.privPassword];
      const r = spawnSync('snmptrap', [...args, '-Z', `${boots},${time}`, `udp:127.0.0.1:${trapd.port}`, '', oid], { encoding: 'utf8', timeout: 10_000 });
      expect(r.status, r.stderr).to.equal(0);
    }

    it('accepts ours after Net-SNMP set its clock of our engine, refuses lower boots', async () => {
      snmptrap(7, 40, '1.3.6.1.4.1.32473.9.1');
      await trapd.waitFor((r) => r.line.includes('1.3.6.1.4.1.32473.9.1'), 'the trap that sets our clock');
      const s = sink(trapd.port, { boots: 7, time: () => 42 });
      try {
        s.send(notification());
        await trapd.waitFor((r) => r.line.includes('1.3.6.1.4.1.32473.0.1'), 'our madmanAlarmRaised');
      } finally {
        await s.close();
      }
      // the window is checked: boots below what snmptrapd has seen are refused
      snmptrap(6, 40, '1.3.6.1.4.1.32473.9.2');
      snmptrap(7, 45, '1.3.6.1.4.1.32473.9.3');
      await trapd.waitFor((r) => r.line.includes('1.3.6.1.4.1.32473.9.3'), 'a later trap');
      expect(trapd.received().some((r) => r.line.includes('1.3.6.1.4.1.32473.9.2'))).to.equal(false);
    });
  });
});
