// Config of disks, alarms and notification sinks (src/config/alarms.ts): what is read,
// and bad input as errors naming the key and the line.

import path from 'node:path';
import { expect } from 'chai';
import { probesUnderResponseThreshold } from '../../src/alarms/definitions.js';
import { parseSink } from '../../src/config/alarms.js';
import { settingsFrom } from '../../src/config/config.js';
import { configFiles } from '../helpers/config-files.js';
import { ROOT, run } from '../helpers/harness.js';

describe('alarm and notification config', () => {
  const cf = configFiles('alarmcfg');
  const file = cf.file;
  const error = (lines: string[]): string => cf.error(file(lines)).message.replace(/^.*\/config-\d+\.yaml/, 'FILE');

  it('reads disks, alarm overrides and sinks in snmpd.conf vocabulary', () => {
    const s = settingsFrom({
      config: file([
        'disks: [spool, /var/mail]',
        'alarms:',
        '  diskavail: { threshold: 20, warningInterval: 0.5 }',
        '  serverresponse: { threshold: 2.5, clearThreshold: 1.5, statInterval: 30 }',
        '  quota: { percent: 80 }',
        '  rejects: { enabled: false }',
        'notify:',
        '  trapsink: ["127.0.0.1 public"]',
        '  trap2sink: ["udp:10.0.0.1:1162 ops"]',
        '  informsink: ["nms.example.test secret 2162"]',
        '  trapsess:',
        '    - { host: "127.0.0.1:1163", user: u, authProtocol: SHA-256, authPassword: authpass1, privPassword: privpass1, inform: true }',
        '    - "-v 3 -u ops -l authPriv -a sha-512 -A authpass2 -x AES -X privpass2 -e 0x8000B98380AABBCC 10.0.0.9:1164"',
        '  mail: { to: ops@example.test, port: 2525 }',
      ]),
    });
    expect(s.disks).to.deep.equal({ paths: [path.join(cf.dir, 'spool'), '/var/mail'], interval: 60 });
    const rule = (name: string) => s.alarms.rules.find((r) => r.name === name);
    expect(rule('diskavail')).to.include({ threshold: 20, clearThreshold: 22, direction: 'below', statInterval: 3600, warningInterval: 1800 });
    expect(rule('serverresponse')).to.include({ threshold: 2.5, clearThreshold: 1.5, statInterval: 30, warningInterval: 86400 });
    expect(rule('rejects')!.statInterval).to.equal(0);
    expect(s.alarms.quotaPercent).to.equal(80);
    expect(s.notify.sinks.map((k) => `${k.kind} ${k.host}:${k.port} ${k.community ?? k.user?.name} ${k.inform}`)).to.deep.equal([
      'trapsink 127.0.0.1:162 public false',
      'trap2sink 10.0.0.1:1162 ops false',
      'informsink nms.example.test:2162 secret true',
      'trapsess 127.0.0.1:1163 u true',
      'trapsess 10.0.0.9:1164 ops false',
    ]);
    expect(s.notify.sinks[4]).to.deep.include({
      user: { name: 'ops', authProtocol: 'SHA-512', authPassword: 'authpass2', privProtocol: 'AES', privPassword: 'privpass2' },
      engineId: '0x8000B98380AABBCC',
    });
    expect(s.notify.sinks[3]!.user).to.deep.equal({ name: 'u', authProtocol: 'SHA-256', authPassword: 'authpass1', privProtocol: 'AES', privPassword: 'privpass1' });
    expect(s.notify.mail).to.deep.equal({ host: 'localhost', port: 2525, from: 'Postmaster@localhost', to: 'ops@example.test' });
  });

  it('flags: --disk, sinks and --alarm-mail', () => {
    const s = settingsFrom({ disk: ['/tmp'], trap2sink: ['127.0.0.1:9162'], informsink: ['[::1]:9163 c'], alarmMail: 'me@example.test' });
    expect(s.disks?.paths).to.deep.equal(['/tmp']);
    expect(s.notify.sinks.map((k) => `${k.kind} ${k.host} ${k.port} ${k.community}`)).to.deep.equal(['trap2sink 127.0.0.1 9162 public', 'informsink ::1 9163 c']);
    expect(s.notify.mail?.to).to.equal('me@example.test');
    expect(() => parseSink('trapsink', 'host:99999')).to.throw('"99999" is not a port');
  });

  it('a threshold below the default gap clears once below it (queuesize 1: an empty queue)', () => {
    const f = file(['alarms:', '  queuesize: { threshold: 1 }', '  serverresponse: { threshold: 5 }', '  rejects: { threshold: 50 }']);
    const rules = settingsFrom({ config: f }).alarms.rules;
    const clear = (n: string) => rules.find((r) => r.name === n)!.clearThreshold;
    expect([clear('queuesize'), clear('serverresponse'), clear('rejects')]).to.deep.equal([1, 3, 30]);
  });

  it('an unknown alarm name is an error at its line', () => {
    expect(error(['listen: ["udp:127.0.0.1:1161"]', 'alarms:', '  diskfree: { threshold: 5 }'])).to.equal(
      'FILE:3: alarms.diskfree: unknown alarm (known: diskavail, serverresponse, queuesize, queueage, failedlogins, rejects, quota, servicedown)',
    );
  });

  it('impossible thresholds are errors at their line', () => {
    expect(error(['alarms:', '  diskavail:', '    threshold: 120'])).to.equal('FILE:3: alarms.diskavail.threshold: 120 is not a percentage (0..100)');
    expect(error(['alarms:', '  serverresponse:', '    threshold: 100', '    clearThreshold: 200'])).to.equal(
      'FILE:4: alarms.serverresponse.clearThreshold: clearThreshold 200 is above threshold 100: an alarm raised above it would never clear',
    );
    expect(error(['alarms:', '  queuesize: { direction: below, threshold: 0 }'])).to.equal(
      'FILE:2: alarms.queuesize.threshold: a value never goes below 0: the alarm could never be raised',
    );
    expect(error(['alarms:', '  queueage:', '    threshold: -1'])).to.equal('FILE:3: alarms.queueage.threshold: must be >= 0');
    expect(error(['alarms:', '  queuesize: { threshold: 5, clearThreshold: 0 }'])).to.equal(
      'FILE:2: alarms.queuesize.clearThreshold: a value never goes below 0: the alarm could never clear',
    );
  });

  it('thresholds an alarm could never be raised or cleared at, or inverted, are errors at their line', () => {
    expect(error(['alarms:', '  servicedown: {threshold: 5}'])).to.equal(
      'FILE:2: alarms.servicedown.threshold: threshold 5: servicedown is 0 (up) or 1 (down), so it must be above 0 and at most 1',
    );
    expect(error(['alarms:', '  servicedown:', '    direction: below'])).to.equal(
      'FILE:3: alarms.servicedown.direction: servicedown is 1 while down: only "above" raises it when a service goes down',
    );
    expect(error(['alarms:', '  servicedown:', '    threshold: 1', '    clearThreshold: 0'])).to.equal(
      'FILE:4: alarms.servicedown.clearThreshold: a value never goes below 0: the alarm could never clear',
    );
    expect(error(['alarms:', '  queuesize:', '    threshold: 0'])).to.equal('FILE:3: alarms.queuesize.threshold: every value reaches 0: the alarm would always be raised');
    expect(error(['alarms:', '  rejects:', '    threshold: 10', '    clearThreshold: 0'])).to.equal(
      'FILE:4: alarms.rejects.clearThreshold: a value never goes below 0: the alarm could never clear',
    );
    expect(error(['alarms:', '  diskavail:', '    threshold: 99'])).to.equal(
      'FILE:3: alarms.diskavail.threshold: clearThreshold 100: a percentage never goes above 100, the alarm would never clear',
    );
    expect(error(['alarms:', '  quota:', '    percent: 150'])).to.equal('FILE:3: alarms.quota.percent: must be <= 100');
    expect(error(['alarms:', '  failedlogins:', '    clearThreshold: -5'])).to.equal('FILE:3: alarms.failedlogins.clearThreshold: must be >= 0');
    // a clear threshold derived below 0 is the threshold itself, which a value of 0 passes
    const s = settingsFrom({ config: file(['alarms:', '  queuesize: { threshold: 100 }', '  servicedown: { threshold: 0.5 }']) });
    expect(s.alarms.rules.find((r) => r.name === 'queuesize')).to.include({ threshold: 100, clearThreshold: 100 });
    expect(s.alarms.rules.find((r) => r.name === 'servicedown')).to.include({ threshold: 0.5, clearThreshold: 0.5, direction: 'above' });
  });

  it('a serverresponse threshold (seconds) not below the probes\' timeout is an error at its line', () => {
    const probes = ['probes:', '  - { name: mx, protocol: smtp, host: 127.0.0.1, timeout: 5 }', '  - { name: mx, protocol: imap, host: 127.0.0.1, timeout: 3 }'];
    expect(error([...probes, 'alarms:', '  serverresponse:', '    threshold: 5'])).to.equal(
      "FILE:6: alarms.serverresponse.threshold: 5 s is not below the probes' timeout (5 s): the alarm could never be raised",
    );
    // the default timeout is 30 s
    expect(error(['probes: [{ name: mx, protocol: smtp, host: 127.0.0.1 }]', 'alarms: { serverresponse: { threshold: 30 } }'])).to.equal(
      "FILE:2: alarms.serverresponse.threshold: 30 s is not below the probes' timeout (30 s): the alarm could never be raised",
    );
    const s = settingsFrom({ config: file([...probes, 'alarms:', '  serverresponse: { threshold: 4.5 }']) });
    expect(s.alarms.rules.find((r) => r.name === 'serverresponse')).to.include({ threshold: 4.5, clearThreshold: 2.5 });
    // the mx imap probe (3 s) can never reach 4.5 s: logged at start, not an error
    expect(probesUnderResponseThreshold(s.alarms.rules, s.probes!)).to.deep.equal(['mx imap']);
    // without probes, or with the alarm off, nothing is compared
    expect(settingsFrom({ config: file(['alarms: { serverresponse: { threshold: 60 } }']) }).alarms.rules[1]!.threshold).to.equal(60);
    expect(settingsFrom({ config: file([...probes, 'alarms: { serverresponse: { threshold: 60, enabled: false } }']) }).probes).to.have.length(2);
  });

  it('a bad sink is an error at its line', () => {
    expect(error(['notify:', '  trap2sink:', '    - "127.0.0.1:70000"'])).to.equal('FILE:3: notify.trap2sink[0]: "70000" is not a port');
    expect(error(['notify:', '  trapsess:', '    - { host: h, user: u, authPassword: short, privPassword: privpass1 }'])).to.match(
      /^FILE:3: notify\.trapsess\[0\]\.authPassword: /,
    );
    expect(error(['notify:', '  trapsess:', '    - "-v 2c -c public 127.0.0.1"'])).to.equal(
      'FILE:3: notify.trapsess[0]: trapsess needs -v 3 (for v2c use trap2sink or informsink)',
    );
    expect(error(['notify:', '  trapsess:', '    - "-v 3 -u u -l authPriv -a SHA -A authpass1 -x BLOWFISH -X privpass1 h"'])).to.equal(
      'FILE:3: notify.trapsess[0]: -x BLOWFISH: one of AES, DES',
    );
  });

  it('madman agent exits 2 on a bad alarm, naming file, key and line', async () => {
    const f = file(['alarms:', '  diskavail:', '    clearThreshold: 5']);
    const r = await run('node', [path.join(ROOT, 'dist/src/cli/main.js'), 'agent', '--config', f, '--listen', 'udp:127.0.0.1:0']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(
      `madman: bad configuration: ${f}:3: alarms.diskavail.clearThreshold: clearThreshold 5 is below threshold 10: an alarm raised below it would never clear\n`,
    );
  });
});
