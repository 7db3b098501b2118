// The master goes away and comes back: killed, or stopped cleanly. madman reconnects
// with its default backoff and registers again, and notifications raised meanwhile are
// delivered through the master (trap2sink) to a real snmptrapd once it is back.

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAgent, type RunningAgent } from '../../src/agent.js';
import { defaults } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import type { Notification } from '../../src/snmp/notifications.js';
import { snmp } from '../helpers/harness.js';
import { startSnmpdMaster, startSnmptrapd, varbindLines, waitFor, type SnmpdMaster, type Snmptrapd } from '../helpers/snmpd-master.js';
import { servingModel } from './agentx-support.js';

const APPL_NAME_1 = '1.3.6.1.2.1.27.1.1.2.1';
const MADMAN_VERSION = '1.3.6.1.4.1.32473.1.1.1.0';

describe('e2e: AgentX master restarts and notifications', function () {
  this.timeout(60000);
  let dir: string;
  let master: SnmpdMaster;
  let trapd: Snmptrapd;
  let agent: RunningAgent;

  /** madman's applName.1 through the master, or undefined while it is not served there. */
  const served = async (): Promise<true | undefined> => {
    const r = await snmp('snmpget', ['-On', master.target, APPL_NAME_1]);
    return varbindLines(r.stdout)[0] === `.${APPL_NAME_1} = STRING: "postfix"` ? true : undefined;
  };

  /** A notification made of madmanAgent objects, with types from the MIB. */
  const note = (uptime: number, name: string): Notification => {
    const o = (n: string) => agent.tree.object(n);
    return {
      name,
      oid: [...o('madman').oid, 0, 99],
      uptime,
      varbinds: [
        { name: 'madmanAgentVersion', oid: [...o('madmanAgentVersion').oid, 0], syntax: o('madmanAgentVersion').syntax!, value: `v-${name}` },
        { name: 'madmanAgentDroppedRequests', oid: [...o('madmanAgentDroppedRequests').oid, 0], syntax: o('madmanAgentDroppedRequests').syntax!, value: 4294967295 },
      ],
    };
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-agentx-restart-'));
    trapd = await startSnmptrapd(path.join(dir, 'trapd'));
    master = await startSnmpdMaster(path.join(dir, 'master'), { lines: [`trap2sink 127.0.0.1:${trapd.port} public`] });
    // default timing: the backoff the product ships with must meet the 5 s
    agent = await startAgent({ ...defaults(), listen: [], stateDir: path.join(dir, 'state'), agentx: master.agentx }, silentLogger, { model: servingModel() });
    await waitFor('madman served through the master', 10000, served);
  });

  after(async () => {
    await agent?.stop();
    await master?.stop();
    await trapd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves no UDP port of its own when only AgentX is asked for', () => {
    expect(agent.endpoints).to.deep.equal([]);
  });

  it('a notification reaches snmptrapd through the master, values and uptime intact', async () => {
    agent.notifications.emit(note(4321, 'first'));
    const text = await waitFor('the trap in snmptrapd', 10000, () => (trapd.text().includes('v-first') ? trapd.text() : undefined));
    expect(text).to.include('.1.3.6.1.2.1.1.3.0 = Timeticks: (4321) 0:00:43.21');
    expect(text).to.include('.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.32473.0.99');
    expect(text).to.include(`.${MADMAN_VERSION} = STRING: "v-first"`);
    expect(text).to.include('.1.3.6.1.4.1.32473.1.1.4.0 = Counter32: 4294967295');
    // the master's Response to the Notify may come after snmptrapd has the trap
    await waitFor('the master to confirm the Notify', 5000, () => (agent.agentx!.sink.sent === 1 ? true : undefined));
    expect(agent.agentx!.sink.dropped).to.equal(0);
  });

  for (const how of ['SIGKILL', 'SIGTERM'] as const) {
    it(`after ${how} and a restart of snmpd our subtrees are back within 5 s, and a notification raised meanwhile is delivered`, async () => {
      await master.kill(how);
      await waitFor('the session to notice', 5000, () => (agent.agentx!.session.isOpen ? undefined : true));
      agent.notifications.emit(note(1000, `while-${how}`));
      await master.start();
      await waitFor('madman served again', 5000, served);
      await waitFor('the queued trap', 5000, () => (trapd.text().includes(`v-while-${how}`) ? true : undefined));
      const r = await snmp('snmpget', ['-On', master.target, MADMAN_VERSION]);
      expect(varbindLines(r.stdout)).to.deep.equal([`.${MADMAN_VERSION} = STRING: "0.1.0"`]);
    });
  }
});
