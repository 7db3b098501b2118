// The watcher on processes, end to end: a real Dovecot whose master process the test kills,
// an agent watching its pidfile (restart: pidfile) and restarting it with the real
// `dovecot -c CONF`, each restart told to a real snmptrapd as madmanServiceRestarted and shown
// in madmanProbeTable; the third death within the window is not restarted (suspended).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { ProbeSpec } from '../../src/sources/probes/config.js';
import { startTestAgent, type TestAgent } from '../helpers/harness.js';
import { DOVECOT, alive, startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';
import { until, walkRows } from '../helpers/probe-support.js';
import { startSnmptrapd, type Received, type Snmptrapd } from '../helpers/snmptrapd.js';

const MADMAN = '.1.3.6.1.4.1.32473';
const PROBE_COL = `${MADMAN}.1.3.1.1`;
const RESTARTED = `OID: ${MADMAN}.0.5`;

function masterPid(dc: DovecotServer): number {
  try {
    return Number(readFileSync(path.join(dc.dir, 'run', 'master.pid'), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

describe('watcher on processes: a killed Dovecot master restarted from its pidfile (issue 18)', function () {
  this.timeout(120000);
  let dc: DovecotServer;
  let trapd: Snmptrapd;
  let ta: TestAgent | undefined;

  before(async () => {
    [dc, trapd] = await Promise.all([startDovecot(), startSnmptrapd()]);
  });
  after(async () => {
    await ta?.stop();
    await dc?.stop();
    await trapd?.stop();
  });

  const restartTraps = () => trapd.received().filter((r) => r.varbinds.get('.1.3.6.1.6.3.1.1.4.1.0') === RESTARTED);

  /** Kills the master as a crash would, and waits until it is gone. */
  async function kill(): Promise<number> {
    const pid = masterPid(dc);
    expect(pid, 'a running master').to.be.above(1);
    process.kill(pid, 'SIGKILL');
    await until(`master ${pid} gone`, () => !alive(pid), 20000);
    return pid;
  }

  it('restarts at once when the process dies, twice; the third death within the window suspends it', async () => {
    const pidfile = path.join(dc.dir, 'run', 'master.pid');
    const probe: ProbeSpec = {
      name: 'store',
      protocol: 'imap',
      host: '127.0.0.1',
      port: dc.imapPort,
      tls: 'none',
      tlsVerify: true,
      timeout: 5,
      // the check itself runs once: what restarts Dovecot here is its process dying
      interval: 3600,
      // rm first: this container's init does not reap, so the killed master stays a zombie
      // under its pid and dovecot would take it for a master still running
      restart: { command: `rm -f ${pidfile}; ${DOVECOT} -c ${dc.conf}`, afterFailures: 3, windowSeconds: 600, pidfile, processInterval: 1 },
    };
    ta = await startTestAgent({
      settings: {
        probes: [probe],
        alarms: { rules: [] },
        notify: { sinks: [{ kind: 'trap2sink', host: '127.0.0.1', port: trapd.port, community: 'watch', inform: false }], queueSize: 10 },
      },
    });
    const row = async () => [...(await walkRows(ta!.target, 'madmanProbeTable')).values()][0]!;
    await until('the first check', async () => (await row()).madmanProbeChecks === '1', 30000);
    expect([(await row()).madmanProbeWatcher, (await row()).madmanProbeRestarts]).to.deep.equal(['watching', '0']);
    const index = ta.model.checks.keys().next().value as number;
    const varbinds = (r: Received) => [1, 12, 13, 15].map((col) => r.varbinds.get(`${PROBE_COL}.${col}.${index}`));

    for (let n = 1; n <= 2; n++) {
      const dead = await kill();
      const trap = await trapd.waitFor((r) => r.varbinds.get('.1.3.6.1.6.3.1.1.4.1.0') === RESTARTED && r.varbinds.get(`${PROBE_COL}.13.${index}`) === `Counter32: ${n}`, `restart ${n}`, 30000);
      expect(varbinds(trap)).to.deep.equal([
        'STRING: "store imap on 127.0.0.1"',
        'INTEGER: 2', // watching
        `Counter32: ${n}`,
        `STRING: "process ${dead} (from ${pidfile}) is gone"`,
      ]);
      // the real dovecot -c CONF is back: a new master in the pidfile
      await until(`a new master after restart ${n}`, () => masterPid(dc) !== dead && alive(masterPid(dc)), 30000);
    }
    expect(restartTraps().length).to.equal(2);

    const dead = await kill();
    const gaveUp = await trapd.waitFor((r) => r.varbinds.get('.1.3.6.1.6.3.1.1.4.1.0') === RESTARTED && r.varbinds.get(`${PROBE_COL}.12.${index}`) === 'INTEGER: 3', 'suspended', 30000);
    expect(varbinds(gaveUp)).to.deep.equal([
      'STRING: "store imap on 127.0.0.1"',
      'INTEGER: 3', // suspended
      'Counter32: 2',
      `STRING: "process ${dead} (from ${pidfile}) is gone"`,
    ]);
    const r = await row();
    expect([r.madmanProbeWatcher, r.madmanProbeRestarts, r.madmanProbeRestartReason]).to.deep.equal(['suspended', '2', `process ${dead} (from ${pidfile}) is gone`]);
    // not restarted: the pidfile still names the dead master
    expect([masterPid(dc), alive(dead)]).to.deep.equal([dead, false]);
    expect(ta.model.checks.get(index)!.restarts).to.equal(2);
    expect(restartTraps().length).to.equal(3);
  });
});
