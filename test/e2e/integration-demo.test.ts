// `npm start` (the demo agent) with every feature merged: the whole MADMAN-MIB walks with the
// real snmpwalk, stderr stays empty, and the alarm engine finds nothing to raise on the demo
// data, at start or after hours of demo traffic (its queue does not grow).

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { metricFor } from '../../src/alarms/metrics.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { DemoSource } from '../../src/sources/demo/source.js';
import { MIB_OPTS, snmp } from '../helpers/harness.js';
import { walkRows } from '../helpers/probe-support.js';
import { freeUdpPort } from '../helpers/snmptrapd.js';
import { MADMAN, startCliAgent, type CliAgent } from './integration-support.js';

describe('integration: the demo agent (npm start)', function () {
  this.timeout(30000);
  let dir: string;
  let agent: CliAgent | undefined;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-int-demo-'));
  });
  after(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a walk of the whole MADMAN-MIB, raises no alarm, and writes nothing on stderr', async () => {
    const port = await freeUdpPort();
    agent = await startCliAgent(['agent', '--demo', '--listen', `udp:127.0.0.1:${port}`, '--state-dir', path.join(dir, 'state')], dir);
    const target = `127.0.0.1:${port}`;
    const r = await snmp('snmpwalk', [...MIB_OPTS, '-OsQ', target, MADMAN]);
    expect(r.code, r.stderr).to.equal(0);
    // the demo has no probes, disks nor channel counters: the agent's figures and the alarms
    const names = [...new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.split('.')[0]!))];
    expect(names.filter((n) => !n.startsWith('madmanAlarm'))).to.deep.equal(['madmanAgentVersion', 'madmanAgentStartTime', 'madmanAgentEncodeErrors', 'madmanAgentDroppedRequests', 'madmanAgentIndexedObjects', 'madmanAgentSnapshotTime']);
    expect(names.filter((n) => n.startsWith('madmanAlarm')).length).to.equal(18);
    const app = `demo MTA on ${os.hostname()}`;
    const alarms = [...(await walkRows(target, 'MADMAN-MIB::madmanAlarmTable')).values()];
    expect(alarms.map((a) => [a.madmanAlarmId, a.madmanAlarmInstance, a.madmanAlarmWarningState, a.madmanAlarmCountOverThreshold])).to.deep.equal([
      ['queuesize', app, 'false', '0'],
      ['queueage', app, 'false', '0'],
      ['servicedown', app, 'false', '0'],
    ]);
    const stderr = agent.stderr();
    await agent.stop();
    agent = undefined;
    expect(stderr).to.equal('');
  });

  it('the demo queue holds what its channels hold, after any number of passes', () => {
    const model = new MailSystem();
    const demo = new DemoSource(3_600_000);
    demo.start(model);
    demo.stop();
    for (let i = 1; i < 13 * 50; i++) demo.tick();
    const mta = [...model.applications.values()][0]!.mta!;
    const inChannels = [...mta.channels.values()].reduce((n, c) => n + c.storedMessages, 0);
    expect([mta.counters.storedMessages, inChannels]).to.deep.equal([1, 1]);
    const now = Date.now();
    expect(metricFor('queuesize', { quotaPercent: 90 })(model, now)).to.deep.equal([{ instance: `demo MTA on ${os.hostname()}`, value: 1 }]);
  });
});
