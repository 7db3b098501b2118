// An alarm raised at startup goes out through AgentX: a real snmpd master with trap2sink
// to a real snmptrapd, madman with `agentx` set and a disk threshold above the real free
// space of a temporary directory, so the first check (run at once) raises it.

import { expect } from 'chai';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAgent, type RunningAgent } from '../../src/agent.js';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import { defaults } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { startSnmpdMaster, type SnmpdMaster } from '../helpers/snmpd-master.js';
import { startSnmptrapd, type Snmptrapd } from '../helpers/snmptrapd.js';

const MADMAN = '.1.3.6.1.4.1.32473';
const ALARM_COL = `${MADMAN}.1.5.1`;

describe('e2e: alarms raised at startup through the AgentX master', function () {
  this.timeout(60000);
  let dir: string;
  let disk: string;
  let master: SnmpdMaster | undefined;
  let trapd: Snmptrapd | undefined;
  let agent: RunningAgent | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-agentx-alarms-'));
    disk = mkdtempSync(path.join(os.tmpdir(), 'madman-agentx-disk-'));
  });

  afterEach(async () => {
    await agent?.stop();
    await master?.stop();
    await trapd?.stop();
    agent = master = trapd = undefined;
    rmSync(dir, { recursive: true, force: true });
    rmSync(disk, { recursive: true, force: true });
  });

  it('the madmanAlarmRaised of the first check reaches snmptrapd through snmpd, varbinds intact', async () => {
    trapd = await startSnmptrapd();
    master = await startSnmpdMaster(path.join(dir, 'master'), { lines: [`trap2sink 127.0.0.1:${trapd.port} public`] });
    const s = statfsSync(disk);
    const pct = Math.floor((s.bavail * 100) / s.blocks);
    expect(pct).to.be.below(100);
    const high = pct + 1;
    agent = await startAgent(
      {
        ...defaults(),
        listen: [],
        stateDir: path.join(dir, 'state'),
        agentx: master.agentx,
        disks: { paths: [disk], interval: 1 },
        alarms: { rules: [{ ...ALARM_DEFAULTS.diskavail!, statInterval: 1, threshold: high, clearThreshold: high }], quotaPercent: 90 },
        notify: { sinks: [], queueSize: 100 },
      },
      silentLogger,
    );
    const r = await trapd.waitFor((x) => x.varbinds.get('.1.3.6.1.6.3.1.1.4.1.0') === `OID: ${MADMAN}.0.1`, 'madmanAlarmRaised', 20000);
    expect([r.pdu, r.security]).to.deep.equal(['TRAP2', 'TRAP2, SNMP v2c, community public']);
    // Other processes write to the same file system, so the free space may have moved by a
    // point since statfs above: the agent's first measurement is the one the trap carries, as
    // current, high and low alike.
    const current = Number(/^INTEGER: (\d+)$/.exec(r.varbinds.get(`${ALARM_COL}.5.1`) ?? '')?.[1]);
    expect(Math.abs(current - pct)).to.be.at.most(1);
    expect([...r.varbinds].filter(([oid]) => oid.startsWith(`${MADMAN}.1.`))).to.deep.equal([
      [`${ALARM_COL}.2.1`, 'STRING: "diskavail"'],
      [`${ALARM_COL}.3.1`, `STRING: "${disk}"`],
      [`${ALARM_COL}.4.1`, `STRING: "${ALARM_DEFAULTS.diskavail!.description}"`],
      [`${ALARM_COL}.5.1`, `INTEGER: ${current}`],
      [`${ALARM_COL}.6.1`, `INTEGER: ${high}`],
      [`${ALARM_COL}.8.1`, 'INTEGER: 1'],
      [`${ALARM_COL}.9.1`, `INTEGER: ${current}`],
      [`${ALARM_COL}.10.1`, `INTEGER: ${current}`],
    ]);
    expect(agent.agentx!.sink.dropped).to.equal(0);
  });
});
