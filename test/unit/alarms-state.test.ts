// The alarm state machine (src/alarms/state.ts) and engine (src/alarms/engine.ts) with
// exact values: hysteresis, the warning interval, counterutil's counts and times, rates,
// and the state saved across a restart.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { AlarmEngine, type AlarmEvent } from '../../src/alarms/engine.js';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import { record } from '../../src/alarms/state.js';
import { silentLogger } from '../../src/log.js';
import { AlarmStore, type AlarmRule } from '../../src/model/alarms.js';
import { MailSystem } from '../../src/model/mail-system.js';
import type { DiskUsage } from '../../src/model/disks.js';
import { madmanAlarmsView } from '../../src/mib/madman-alarms.js';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const H = 3600 * 1000;

function disk(): AlarmRule {
  return { ...ALARM_DEFAULTS.diskavail! };
}

describe('alarm state machine', () => {
  it('raises at the threshold, holds in the hysteresis band, clears beyond the clear threshold', () => {
    const a = new AlarmStore().instanceOf(disk(), '/var/mail', T0);
    // diskavail: below 10 raises, above 12 clears
    const seen = [50, 11, 10, 11, 12, 10, 13, 9].map((v, i) => record(a, v, T0 + i * 1000));
    expect(seen).to.deep.equal([undefined, undefined, 'raised', undefined, undefined, undefined, 'cleared', 'raised']);
    expect(a).to.include({
      current: 9,
      high: 50,
      low: 9,
      countOverThreshold: 2,
      countWarningSent: 2,
      timeLastSet: T0 + 7000,
      timeLastWarning: T0 + 7000,
      timeStateChanged: T0 + 7000,
      timeReset: T0,
      warningState: true,
    });
  });

  it('a value hovering at the threshold raises once', () => {
    const a = new AlarmStore().instanceOf(disk(), '/q', T0);
    const seen = [10, 11, 10, 11, 10, 12, 10].map((v, i) => record(a, v, T0 + i * 60000));
    expect(seen.filter(Boolean)).to.deep.equal(['raised']);
    expect(a.countOverThreshold).to.equal(1);
    expect(a.countWarningSent).to.equal(1);
  });

  it('repeats only after the warning interval, and only while at or over the threshold', () => {
    const a = new AlarmStore().instanceOf(disk(), '/q', T0);
    expect(record(a, 5, T0)).to.equal('raised');
    expect(record(a, 5, T0 + 23 * H)).to.equal(undefined);
    expect(record(a, 5, T0 + 24 * H)).to.equal('repeated');
    expect(a.countWarningSent).to.equal(2);
    expect(a.timeLastWarning).to.equal(T0 + 24 * H);
    // in the band (11: not under 10, not over 12) after another interval: no repeat
    expect(record(a, 11, T0 + 48 * H)).to.equal(undefined);
    expect(record(a, 4, T0 + 48 * H + 1)).to.equal('repeated');
    expect(a.countOverThreshold).to.equal(1);
    expect(a.countWarningSent).to.equal(3);
    expect(a.timeStateChanged).to.equal(T0);
  });

  it('a warning interval of 0 never repeats; an above alarm mirrors a below one', () => {
    const a = new AlarmStore().instanceOf({ ...ALARM_DEFAULTS.serverresponse!, warningInterval: 0 }, 'imap', T0);
    expect(record(a, 9.999, T0)).to.equal(undefined);
    expect(record(a, 10, T0 + 1)).to.equal('raised');
    expect(record(a, 60, T0 + 100 * H)).to.equal(undefined);
    expect(record(a, 8, T0 + 101 * H)).to.equal(undefined);
    expect(record(a, 7.999, T0 + 102 * H)).to.equal('cleared');
    expect(a).to.include({ high: 60, low: 7.999, countOverThreshold: 1, countWarningSent: 1, warningState: false });
  });
});

describe('alarm engine', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'madman-alarms-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const rules = (over: Partial<Record<string, Partial<AlarmRule>>>): AlarmRule[] =>
    Object.entries(over).map(([n, o]) => ({ ...ALARM_DEFAULTS[n]!, ...o }));

  it('diskavail compares the exact percentage: 10.9 % does not reach 10; the disk table shows it rounded down', () => {
    const model = new MailSystem();
    model.disks.set(1, { index: 1, path: '/var/mail', mountPoint: '/', totalBytes: 1000, availBytes: 109, lastStat: T0, reason: '' });
    const engine = new AlarmEngine(model, rules({ diskavail: {} }), silentLogger, { quotaPercent: 90 });
    expect(engine.evaluate(undefined, T0)).to.deep.equal([]);
    expect(model.alarms.find('diskavail', '/var/mail')!.current).to.equal(10.9);
    const view = madmanAlarmsView(model);
    const disks = view.tables![0]! as unknown as { columns: Record<string, (d: DiskUsage) => unknown> };
    expect(disks.columns.madmanDiskPercentAvail!(model.disks.get(1)!)).to.equal(10);
    model.disks.get(1)!.availBytes = 100;
    expect(engine.evaluate(undefined, T0 + 1).map((e) => `${e.transition} ${e.alarm.current}`)).to.deep.equal(['raised 10']);
  });

  it('serverresponse measures, in seconds, only checks that completed', () => {
    const model = new MailSystem();
    const check = (index: number, responseMs: number, consecutiveFailures: number) =>
      model.checks.set(index, { index, name: `c${index}`, protocol: 'imap', target: 'mx:143', status: consecutiveFailures ? 'critical' : 'ok', responseMs, phases: [], reason: '', consecutiveFailures });
    check(1, 12500, 0); // completed, slow
    check(2, 10000, 1); // timed out after 10 s: servicedown's business
    check(3, 9999, 0);
    const engine = new AlarmEngine(model, rules({ serverresponse: {} }), silentLogger, { quotaPercent: 90 });
    const events = engine.evaluate(undefined, T0);
    expect(events.map((e) => `${e.transition} ${e.alarm.instance} ${e.alarm.current}`)).to.deep.equal(['raised c1 12.5']);
    expect(model.alarms.find('serverresponse', 'c2')).to.equal(undefined);
    expect(model.alarms.find('serverresponse', 'c3')!.current).to.equal(9.999);
  });

  it('measures disks, checks, queues, rejects and services, and tells listeners', () => {
    const model = new MailSystem();
    model.disks.set(1, { index: 1, path: '/var/mail', mountPoint: '/', totalBytes: 1000, availBytes: 95, lastStat: T0, reason: '' });
    model.checks.set(1, { index: 1, name: 'main imap on mx', protocol: 'imap', target: 'mx:143', status: 'critical', responseMs: 12500, phases: [], reason: 'slow', consecutiveFailures: 1 });
    const app = model.addApplication('postfix');
    const smtpd = model.addChannel(app, 'smtpd');
    model.mtaOf(app).counters.storedMessages = 1200;
    smtpd.oldestMessageStoredAt = T0 - 5 * H;
    const engine = new AlarmEngine(model, rules({ diskavail: {}, serverresponse: {}, queuesize: {}, queueage: {}, rejects: {}, servicedown: {} }), silentLogger, { quotaPercent: 90 });
    const events: AlarmEvent[] = [];
    engine.onEvent((e) => events.push(e));
    engine.evaluate(undefined, T0);
    const got = () => events.map((e) => `${e.transition} ${e.alarm.alarm} ${e.alarm.instance} ${e.alarm.current}`);
    expect(got()).to.deep.equal([
      'raised diskavail /var/mail 9.5',
      'raised queuesize postfix 1200',
      'raised queueage postfix 18000',
      'raised servicedown main imap on mx 1',
    ]);
    // rejects: 150 more in 30 s is 300 per minute
    events.length = 0;
    smtpd.rejectedMessages = 150;
    model.checks.get(1)!.status = 'ok';
    engine.evaluate(undefined, T0 + 30000);
    expect(got()).to.deep.equal(['raised rejects postfix 300', 'cleared servicedown main imap on mx 0']);
    expect(model.alarms.find('servicedown', 'postfix')).to.include({ current: 0, warningState: false });
  });

  it('failed logins per minute per service, and users over the quota percentage', () => {
    const model = new MailSystem();
    const svc = { index: 1, name: 'dovecot imap', service: 'imap', maxConnections: 0, numConnections: 0, numCurrentConnections: 0, numFailedConnections: 0, numFailedLogins: 10, numGoodLogins: 0 };
    model.services.set(1, svc);
    const quota = (index: number, storageKb: number, storageLimitKb?: number) => ({ index, user: `u${index}`, storageKb, storageLimitKb, messages: 0, readAt: T0 });
    model.quotas.set(1, quota(1, 950, 1000));
    model.quotas.set(2, quota(2, 900, 1000));
    model.quotas.set(3, quota(3, 5000));
    model.quotas.set(4, { ...quota(4, 10, 1000), messages: 95, messageLimit: 100 });
    const engine = new AlarmEngine(model, rules({ failedlogins: {}, quota: {} }), silentLogger, { quotaPercent: 90 });
    const events: string[] = [];
    engine.onEvent((e) => events.push(`${e.transition} ${e.alarm.alarm} ${e.alarm.instance} ${e.alarm.current}`));
    engine.evaluate(undefined, T0);
    // the first reading of a counter only sets the base; users at or above 90 % of storage or
    // messages (overQuota): u1 95 %, u2 90 %, u4 95 % of its messages; u3 has no limit
    expect(model.alarms.find('failedlogins', 'dovecot imap')).to.equal(undefined);
    expect(events).to.deep.equal(['raised quota all users 3']);
    svc.numFailedLogins = 25;
    engine.evaluate(undefined, T0 + 60000);
    svc.numFailedLogins = 85;
    engine.evaluate(undefined, T0 + 120000);
    // 15 then 60 per minute; back to 0 (a restart of the counter) restarts the base
    svc.numFailedLogins = 0;
    engine.evaluate(undefined, T0 + 180000);
    expect(events.slice(1)).to.deep.equal(['raised failedlogins dovecot imap 60']);
    expect(model.alarms.find('failedlogins', 'dovecot imap')).to.include({ current: 60, low: 15, high: 60, timeLastSet: T0 + 120000 });
  });

  it('keeps the state and the indexes across a restart, with the thresholds of the new config', () => {
    const model = new MailSystem();
    model.disks.set(1, { index: 1, path: '/var/mail', mountPoint: '/', totalBytes: 100, availBytes: 5, lastStat: T0, reason: '' });
    const first = new AlarmEngine(model, rules({ diskavail: {} }), silentLogger, { quotaPercent: 90, stateDir: dir });
    expect(first.evaluate('diskavail', T0).map((e) => e.transition)).to.deep.equal(['raised']);
    first.stop();

    const again = new MailSystem();
    again.disks.set(1, { ...model.disks.get(1)!, availBytes: 6 });
    // an hour later: well within the 24 h warning interval, so no repeat warning
    const second = new AlarmEngine(again, rules({ diskavail: { threshold: 7, clearThreshold: 9 } }), silentLogger, { quotaPercent: 90, stateDir: dir, clock: () => T0 + 3600_000 });
    second.start();
    second.stop();
    const a = again.alarms.find('diskavail', '/var/mail')!;
    // still raised: no second raise, counts go on; thresholds from the new rule
    expect(a).to.include({ index: 1, warningState: true, countOverThreshold: 1, countWarningSent: 1, threshold: 7, clearThreshold: 9, low: 5, current: 6, timeReset: T0 });

    // a day and an hour after the raise, the next start repeats the warning (24 h interval)
    const third = new MailSystem();
    third.disks.set(1, { ...model.disks.get(1)!, availBytes: 6 });
    const later = new AlarmEngine(third, rules({ diskavail: {} }), silentLogger, { quotaPercent: 90, stateDir: dir, clock: () => T0 + 25 * 3600_000 });
    const events: AlarmEvent[] = [];
    later.onEvent((e) => events.push(e));
    later.start();
    later.stop();
    expect(events.map((e) => [e.transition, e.at])).to.deep.equal([['repeated', T0 + 25 * 3600_000]]);
    expect(third.alarms.find('diskavail', '/var/mail')).to.include({ countWarningSent: 2, timeLastWarning: T0 + 25 * 3600_000 });
  });

  it('a damaged state file is set aside and the engine starts afresh', () => {
    writeFileSync(path.join(dir, 'alarms.json'), '{"version": 1, "rows": [{"index": "x"}]}');
    const model = new MailSystem();
    model.disks.set(1, { index: 1, path: '/var/mail', mountPoint: '/', totalBytes: 100, availBytes: 50, lastStat: T0, reason: '' });
    const engine = new AlarmEngine(model, rules({ diskavail: {} }), silentLogger, { quotaPercent: 90, stateDir: dir, clock: () => T0 });
    engine.start();
    engine.stop();
    expect(readFileSync(path.join(dir, 'alarms.json.damaged'), 'utf8')).to.equal('{"version": 1, "rows": [{"index": "x"}]}');
    expect(existsSync(path.join(dir, 'alarms.json'))).to.equal(true);
    expect(model.alarms.find('diskavail', '/var/mail')).to.include({ index: 1, current: 50, warningState: false });
  });
});
