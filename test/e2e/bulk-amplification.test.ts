// GetBulk amplification, madman beside a real snmpd: the same raw datagrams to both,
// and the bytes answered per byte asked. With snmpd's caps (100 repeated varbinds by
// default) madman's ratio must be no worse than snmpd's on every request; the figure is
// asserted, never a timing. The bytes depend on the values served as much as on the
// caps, so snmpd serves the same values: it is the AgentX master of this very agent,
// and every request below stays inside the subtrees madman registers.

import { expect } from 'chai';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestAgent, type TestAgent } from '../helpers/harness.js';
import { startSnmpdMaster, waitFor, type SnmpdMaster } from '../helpers/snmpd-master.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { decodeResponse, PDU, request } from './support.js';

const MAX_INT = 2147483647;

/** Sends one datagram to 127.0.0.1:port and returns the first answer. */
async function exchange(port: number, msg: Buffer): Promise<Buffer> {
  const sock = dgram.createSocket('udp4');
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer from port ${port}`)), 5000);
      sock.once('message', (m) => {
        clearTimeout(t);
        resolve(m);
      });
      sock.send(msg, port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

describe('e2e: GetBulk amplification, madman beside snmpd', function () {
  this.timeout(60000);
  let dir: string;
  let snmpd: SnmpdMaster;
  let ta: TestAgent;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-amplification-'));
    snmpd = await startSnmpdMaster(path.join(dir, 'snmpd'));
    // a mail system with more rows than any request below can reach
    const model = new MailSystem();
    const app = model.addApplication('mta');
    for (let i = 0; i < 300; i++) model.addChannel(app, `channel-${i}`, { receivedMessages: i * 1000 });
    // the mtaGroupCreationTime of a creation not yet reached reads 0: both answers alike
    ta = await startTestAgent({ model, stateDir: path.join(dir, 'state'), settings: { agentx: snmpd.agentx, alarms: { rules: [], quotaPercent: 90 } } });
    await waitFor('madman to register with snmpd', 10000, () => (ta.agent.agentx!.session.ready ? true : undefined));
  });

  after(async () => {
    await ta?.stop();
    await snmpd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const APPL = '.1.3.6.1.2.1.27.1.1';
  const MTA = '.1.3.6.1.2.1.28';
  const GROUP = '.1.3.6.1.2.1.28.2.1';
  const cases: Array<{ name: string; nonRepeaters: number; oids: string[]; varbinds: number }> = [
    { name: 'one repeater', nonRepeaters: 0, oids: [APPL], varbinds: 100 },
    { name: 'eight repeaters', nonRepeaters: 0, oids: Array(8).fill(MTA), varbinds: 96 },
    { name: 'eight repeaters over several tables', nonRepeaters: 0, oids: [APPL, MTA, GROUP, `${GROUP}.2`, `${GROUP}.19`, `${GROUP}.20`, `${GROUP}.4.1.150`, APPL], varbinds: 96 },
    { name: 'two non-repeaters and three repeaters', nonRepeaters: 2, oids: [APPL, `${GROUP}.2`, MTA, `${GROUP}.25`, `${GROUP}.10`], varbinds: 2 + 3 * 33 },
  ];

  for (const c of cases) {
    it(`${c.name}, max-repetitions 2^31-1: ${c.varbinds} varbinds, no more bytes per byte than snmpd`, async () => {
      const msg = request({ version: 1, pdu: PDU.getBulk, requestId: 77, a: c.nonRepeaters, b: MAX_INT, oids: c.oids });
      const ours = await exchange(ta.port, msg);
      const theirs = await exchange(Number(snmpd.target.split(':')[1]), msg);
      const mine = decodeResponse(ours);
      const peer = decodeResponse(theirs);
      expect([mine.errorStatus, peer.errorStatus]).to.deep.equal([0, 0]);
      // snmpd's caps, the same on both sides
      expect([mine.varbinds.length, peer.varbinds.length]).to.deep.equal([c.varbinds, c.varbinds]);
      // the same values either way: the same varbinds (mtaGroupCreationTime excepted, a clock)
      expect(mine.varbinds.map((v) => v.oid)).to.deep.equal(peer.varbinds.map((v) => v.oid));
      const ratio = { madman: ours.length / msg.length, snmpd: theirs.length / msg.length };
      expect(ratio.madman, `${JSON.stringify(ratio)} for ${msg.length} bytes`).to.be.at.most(ratio.snmpd);
    });
  }
});
