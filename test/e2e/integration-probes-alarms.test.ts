// Issues 4 and 5 together, through the real `madman agent --config FILE` process: a probes:
// list with a service on a closed loopback port and the SMTP port of a real private
// Postfix, the alarms on (short intervals), and a trap2sink to a real snmptrapd. The
// probes fill model.checks and applTable; the alarm engine reads them; the notification
// and madmanAlarmTable must name the service by its applName, and only the closed port
// may be reported down.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import { MIB_OPTS, snmp } from '../helpers/harness.js';
import { freePorts, startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { until, walkRows, type Row } from '../helpers/probe-support.js';
import { freeUdpPort, startSnmptrapd, type Snmptrapd } from '../helpers/snmptrapd.js';
import { MADMAN, SNMP_TRAP_OID, alarmVarbinds, madmanVarbinds, startCliAgent, type CliAgent } from './integration-support.js';

const SERVICE_DOWN = `OID: ${MADMAN}.0.3`;
const SERVICE_UP = `OID: ${MADMAN}.0.4`;

describe('integration: probes -> alarms -> notifications in `madman agent --config`', function () {
  this.timeout(60000);
  let dir: string;
  let postfix: PostfixServer;
  let trapd: Snmptrapd;
  let agent: CliAgent | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-int-probes-'));
    postfix = await startPostfix();
    trapd = await startSnmptrapd();
  });
  after(async () => {
    await agent?.stop();
    await trapd?.stop();
    await postfix?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the closed port down (trap and alarm row named by applName), the live Postfix not', async () => {
    const [closed] = (await freePorts(1)) as [number];
    const port = await freeUdpPort();
    const conf = path.join(dir, 'madman.yml');
    writeFileSync(
      conf,
      [
        `listen: [udp:127.0.0.1:${port}]`,
        'stateDir: state',
        'probes:',
        '  - name: gone',
        '    protocol: smtp',
        '    host: 127.0.0.1',
        `    port: ${closed}`,
        '    timeout: 2',
        '    interval: 1',
        '  - name: mx',
        '    protocol: smtp',
        '    host: 127.0.0.1',
        `    port: ${postfix.port}`,
        '    timeout: 5',
        '    interval: 1',
        // answers, but slower than its critical threshold: congested, not down
        '  - name: slow',
        '    protocol: smtp',
        '    host: 127.0.0.1',
        `    port: ${postfix.port}`,
        '    critical: 0.000001',
        '    interval: 1',
        'alarms:',
        '  servicedown: { statInterval: 1 }',
        // below every probe's timeout, so the agent has nothing to warn about
        '  serverresponse: { statInterval: 1, threshold: 1 }',
        'notify:',
        `  trap2sink: ["127.0.0.1:${trapd.port} public"]`,
        '',
      ].join('\n'),
    );
    agent = await startCliAgent(['agent', '--config', conf], dir);
    const target = `127.0.0.1:${port}`;
    const gone = '127.0.0.1';
    const goneName = `gone smtp on ${gone}`;
    const mxName = 'mx smtp on 127.0.0.1';
    const slowName = 'slow smtp on 127.0.0.1';
    const names = [goneName, mxName, slowName];

    const down = await trapd.waitFor((r) => r.varbinds.get(SNMP_TRAP_OID) === SERVICE_DOWN, 'madmanServiceDown', 20000);

    // every service measured by servicedown; serverresponse measures only checks that
    // completed, so not the closed port
    let alarms = new Map<string, Row>();
    const key = (r: Row) => `${r.madmanAlarmId}/${r.madmanAlarmInstance}`;
    const expected = [...[mxName, slowName].map((n) => `serverresponse/${n}`), ...names.map((n) => `servicedown/${n}`)];
    await until('alarm rows of the probed services', async () => {
      alarms = await walkRows(target, 'MADMAN-MIB::madmanAlarmTable');
      const keys = [...alarms.values()].map(key);
      return expected.every((k) => keys.includes(k));
    });
    // one row per alarm and instance
    const keys = [...alarms.values()].map(key).sort();
    expect(keys).to.deep.equal(expected);
    const row = (a: string, n: string) => [...alarms.entries()].find(([, r]) => key(r) === `${a}/${n}`)!;
    const [goneIdx, goneRow] = row('servicedown', goneName);
    const [, mxRow] = row('servicedown', mxName);
    const pick = (r: Row) => [r.madmanAlarmCurrent, r.madmanAlarmHigh, r.madmanAlarmLow, r.madmanAlarmWarningState, r.madmanAlarmCountOverThreshold, r.madmanAlarmCountWarningSent];
    expect(pick(goneRow)).to.deep.equal(['1', '1', '1', 'true', '1', '1']);
    // the live service was never seen down: not before its first check either
    expect(pick(mxRow)).to.deep.equal(['0', '0', '0', 'false', '0', '0']);
    // slow but answering is congested (the serverresponse alarm's business), not down
    const [, slowRow] = row('servicedown', slowName);
    expect(pick(slowRow)).to.deep.equal(['0', '0', '0', 'false', '0', '0']);
    const status = await walkRows(target, 'MADMAN-MIB::madmanProbeStatus');
    expect([...status.values()].map((r) => r.madmanProbeStatus)).to.deep.equal(['critical', 'ok', 'critical']);
    const [, mxResp] = row('serverresponse', mxName);
    expect([mxResp.madmanAlarmThreshold, mxResp.madmanAlarmDescription, mxResp.madmanAlarmWarningState]).to.deep.equal(['1', ALARM_DEFAULTS.serverresponse!.description, 'false']);

    const got1 = await snmp('snmpget', [...MIB_OPTS, '-Oqv', target, `MADMAN-MIB::madmanAlarmId.${goneIdx}`, `MADMAN-MIB::madmanAlarmInstance.${goneIdx}`, `MADMAN-MIB::madmanAlarmCurrent.${goneIdx}`, `MADMAN-MIB::madmanAlarmWarningState.${goneIdx}`]);
    expect(got1.stdout.trim().split('\n')).to.deep.equal(['servicedown', goneName, '1', 'true']);
    // the alarm instance is the probe's applName
    const apps = await walkRows(target, 'NETWORK-SERVICES-MIB::applName');
    expect([...apps.values()].map((r) => r.applName)).to.deep.equal(names);

    // the notification: the row of the closed port, every value exact
    expect(madmanVarbinds(down.varbinds)).to.deep.equal(
      alarmVarbinds(Number(goneIdx), { id: 'servicedown', instance: goneName, description: ALARM_DEFAULTS.servicedown!.description, current: 1, threshold: 1, direction: 'above', high: 1, low: 1 }),
    );
    // and the only one: no service down (nor up) of the live Postfix, no serverresponse alarm
    await new Promise((r) => setTimeout(r, 2500));
    const got = trapd.received().map((r) => `${r.varbinds.get(SNMP_TRAP_OID)} ${r.varbinds.get(`${MADMAN}.1.5.1.3.${goneIdx}`) ?? ''}`);
    expect(got).to.deep.equal([`${SERVICE_DOWN} STRING: "${goneName}"`]);
    expect(trapd.received().some((r) => r.varbinds.get(SNMP_TRAP_OID) === SERVICE_UP)).to.equal(false);

    const stderr = agent.stderr();
    await agent.stop();
    agent = undefined;
    expect(stderr).to.equal('');
  });
});
