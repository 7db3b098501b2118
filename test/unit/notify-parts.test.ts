// Small parts of disks and notifications: the mount point of a path, the SNMPv1 form of a
// notification OID (RFC 3584), varbinds for the net-snmp package, the retry queue.

import { subjectField } from '../../src/notify/mail.js';
import { expect } from 'chai';
import { pino } from 'pino';
import { freeUdpPort } from '../helpers/snmptrapd.js';
import { SnmpSink } from '../../src/notify/snmp-sinks.js';
import { RetryQueue } from '../../src/notify/retry-queue.js';
import { packageVarbind as toPackage, v1TrapOid } from '../../src/notify/snmp-sinks.js';
import { agentAddress } from '../../src/notify/setup.js';
import { alarmNotification } from '../../src/notify/build.js';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import { loadMibs } from '../../src/mib/loader.js';
import { AlarmStore } from '../../src/model/alarms.js';
import { mountOf } from '../../src/sources/disks/source.js';

describe('disks and notification parts', () => {
  it('takes the longest mount point that is a prefix of the path, on a path boundary', () => {
    const mounts = [
      { mount: '/', size: 1, available: 1 },
      { mount: '/var', size: 2, available: 1 },
      { mount: '/var/mail', size: 3, available: 1 },
    ];
    expect(mountOf('/var/mail/user', mounts)?.mount).to.equal('/var/mail');
    expect(mountOf('/var/mailbox', mounts)?.mount).to.equal('/var');
    expect(mountOf('/var', mounts)?.mount).to.equal('/var');
    expect(mountOf('/srv', mounts)?.mount).to.equal('/');
    expect(mountOf('/srv', [])).to.equal(undefined);
  });

  it('turns madman.0.N into enterprise madman, specific N for SNMPv1', () => {
    expect(v1TrapOid([1, 3, 6, 1, 4, 1, 32473, 0, 3])).to.equal('1.3.6.1.4.1.32473.3');
    expect(v1TrapOid([1, 3, 6, 1, 4, 1, 32473, 7])).to.equal('1.3.6.1.4.1.32473.7');
  });

  it('SNMPv1 agent-addr: the IPv4 listen address, else an external interface', () => {
    expect(agentAddress(['udp6:[::1]:161', 'udp:10.1.2.3:1161'])).to.equal('10.1.2.3');
    expect(agentAddress(['udp:127.0.0.1:0'])).to.equal('127.0.0.1');
    expect(agentAddress(['udp:0.0.0.0:161'])).to.match(/^\d+\.\d+\.\d+\.\d+$/).and.not.equal('0.0.0.0');
  });

  it('gives the package enumerations as numbers and strings as octets', () => {
    const dir = toPackage({ name: 'madmanAlarmDirection', oid: [1, 3, 5], syntax: { kind: 'Integer32', name: 'INTEGER', ranges: [], enums: { below: 1, above: 2 } }, value: 'above' });
    expect(dir).to.deep.equal({ oid: '1.3.5', type: 2, value: 2 });
    const s = toPackage({ name: 'madmanAlarmId', oid: [1, 3, 2], syntax: { kind: 'OctetString', name: 'SnmpAdminString', ranges: [] }, value: 'diskavail' });
    expect(s).to.deep.equal({ oid: '1.3.2', type: 4, value: Buffer.from('diskavail') });
    expect(() => toPackage({ name: 'x', oid: [1], syntax: { kind: 'Integer32', name: 'TruthValue', ranges: [], enums: { true: 1, false: 2 } }, value: 'maybe' })).to.throw(
      'x: "maybe" is not a value of TruthValue',
    );
  });

  it('retry queue: delivers in order, retries a failure, drops the oldest when full', async () => {
    const delivered: number[] = [];
    let fail = 2;
    const failures: number[] = [];
    const q = new RetryQueue<number>(
      async (n) => {
        if (fail > 0) {
          fail--;
          throw new Error('down');
        }
        delivered.push(n);
      },
      { size: 3, initialDelayMs: 1, maxDelayMs: 4 },
      (_e, wait) => failures.push(wait),
    );
    for (const n of [1, 2, 3, 4]) q.push(n);
    // 1 is being delivered (and fails) while 4 arrives: the queue of 3 drops 1
    for (let i = 0; i < 100 && delivered.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(delivered).to.deep.equal([2, 3, 4]);
    expect(failures).to.deep.equal([1, 2]);
    expect(q.dropped).to.equal(1);
    expect(q.length).to.equal(0);
    q.close();
  });

  it('an inform sink whose receiver does not answer logs (one line per minute, with counts), keeps the notification and retries with backoff', async () => {
    const port = await freeUdpPort(); // nothing listens there
    const logged: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
    let now = 5_000_000;
    const sink = new SnmpSink({ kind: 'informsink', host: '127.0.0.1', port, community: 'public', inform: true }, log, {
      retry: { size: 10, initialDelayMs: 100, maxDelayMs: 1000 },
      timeoutMs: 200,
      clock: () => now,
    });
    const failures = () => (sink as unknown as { queue: { failures: number } }).queue.failures;
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
      expect(cond()).to.equal(true);
    };
    try {
      const n = { name: 'madmanAlarmRaised', oid: [1, 3, 6, 1, 4, 1, 32473, 0, 1], uptime: 42, varbinds: [] };
      sink.send(n); // returns at once
      sink.send({ ...n, uptime: 43 });
      expect(sink.pending).to.equal(2);
      await until(() => failures() >= 3);
      // three failures within the minute: one line
      expect(logged.map((l) => [l.msg, l.sink, l.retryInMs, l.queued, l.count])).to.deep.equal([
        ['inform not acknowledged; will retry', `informsink 127.0.0.1:${port}`, 100, 2, 1],
      ]);
      now += 60_000;
      const seen = failures();
      await until(() => logged.length >= 2);
      // the next line stands for every failure since the first, with the fields of the second
      expect([logged[1]!.msg, logged[1]!.retryInMs, logged[1]!.count]).to.deep.equal(['inform not acknowledged; will retry', 200, seen]);
      expect(sink.pending).to.equal(2);
      expect(sink.sent).to.equal(0);
    } finally {
      await sink.close();
    }
  });

  it('a notification carries the agent\'s sysUpTime modulo 2^32, and the sink passes that to the session', async () => {
    const tree = loadMibs();
    const alarm = new AlarmStore().instanceOf({ ...ALARM_DEFAULTS.diskavail! }, '/var/mail', 0);
    // 2^32 + 12345 centiseconds: past the 497-day wrap of TimeTicks
    const ctx = { now: 1_000_000, startedAt: 0, uptimeMs: (4294967296 + 12345) * 10 + 7 };
    const n = alarmNotification(tree, { transition: 'raised', alarm, at: 0 }, ctx);
    expect(n.name).to.equal('madmanAlarmRaised');
    expect(n.uptime).to.equal(12345);
    const seen: Array<{ oid: string; upTime: number }> = [];
    for (const kind of ['trap2sink', 'trapsink'] as const) {
      const sink = new SnmpSink({ kind, host: '127.0.0.1', port: await freeUdpPort(), community: 'public', inform: false }, pino({ level: 'silent' }), {
        retry: { size: 1, initialDelayMs: 100, maxDelayMs: 100 },
        timeoutMs: 200,
      });
      // the net-snmp session's trap(): what the package would put on the wire as sysUpTime
      (sink as unknown as { session: { trap: (oid: string, vb: unknown[], o: { upTime: number }) => void } }).session.trap = (oid, _vb, o) => void seen.push({ oid, upTime: o.upTime });
      sink.send(n);
      await sink.close();
    }
    expect(seen).to.deep.equal([
      { oid: '1.3.6.1.4.1.32473.0.1', upTime: 12345 },
      { oid: '1.3.6.1.4.1.32473.1', upTime: 12345 },
    ]);
  });
});

describe('alarm mail Subject', () => {
  it('plain ASCII goes as a prepared header, folded before a space past 78 characters; unfolded it is the subject', () => {
    const short = 'ALARM: server response time in seconds of "ldap_siroe.com_389" is 10';
    expect(subjectField(short)).to.deep.equal({ headers: { Subject: { prepared: true, value: short } } });
    const long = `ALARM: percentage mail partition diskspace available of "${'/var/spool/imap/partition'.repeat(3)}" is 5.25`;
    const got = subjectField(long);
    if (!('headers' in got)) throw new Error('not a prepared header');
    const value = got.headers.Subject!.value;
    const lines = `Subject: ${value}`.split('\r\n');
    expect(lines.length).to.be.above(1);
    for (const l of lines.slice(0, -1)) expect(l.length, l).to.be.at.most(78);
    for (const l of lines.slice(1)) expect(l.startsWith(' '), l).to.equal(true);
    expect(value.replace(/\r\n/g, '')).to.equal(long);
  });

  it('anything else goes as `subject` for nodemailer to encode (RFC 2047)', () => {
    expect(subjectField('ALARM: x of "é" is 3')).to.deep.equal({ subject: 'ALARM: x of "é" is 3' });
    expect(subjectField('ALARM: tab\there')).to.deep.equal({ subject: 'ALARM: tab\there' });
  });
});
