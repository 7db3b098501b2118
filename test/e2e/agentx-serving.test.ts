// madman as AgentX subagent of the real snmpd: walks through the master show exactly
// what the standalone agent serves over UDP, with Net-SNMP's own C subagent (snmpd -X,
// host resources) registered beside ours.

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAgent, type RunningAgent } from '../../src/agent.js';
import { defaults } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { servingModel } from './agentx-support.js';
import { snmp } from '../helpers/harness.js';
import { startCSubagent, startSnmpdMaster, varbindLines, waitFor, type SnmpdMaster } from '../helpers/snmpd-master.js';

const SUBTREES = ['1.3.6.1.2.1.27', '1.3.6.1.2.1.28', '1.3.6.1.4.1.32473'];


const lines = varbindLines;

describe('e2e: AgentX subagent under snmpd', function () {
  this.timeout(60000);
  let dir: string;
  let master: SnmpdMaster;
  let agent: RunningAgent;
  let cSub: { stop(): Promise<void> } | undefined;
  let udp: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-agentx-'));
    master = await startSnmpdMaster(dir, { withoutHr: true });
    cSub = await startCSubagent(path.join(dir, 'c-subagent'), master.agentx);
    agent = await startAgent(
      { ...defaults(), listen: ['udp:127.0.0.1:0'], stateDir: path.join(dir, 'state'), agentx: master.agentx },
      silentLogger,
      { model: servingModel() },
    );
    udp = `127.0.0.1:${agent.endpoints[0]!.port}`;
    await waitFor('madman to register', 10000, () => (agent.agentx!.session.ready ? true : undefined));
    // the C subagent registers host resources on its own schedule
    await waitFor('snmpd -X to register hrSystem', 10000, async () => {
      const r = await snmp('snmpget', ['-On', master.target, '1.3.6.1.2.1.25.1.1.0']);
      return /Timeticks/.test(r.stdout) ? true : undefined;
    });
  });

  after(async () => {
    await agent?.stop();
    await cSub?.stop();
    await master?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const tool of ['snmpwalk', 'snmpbulkwalk']) {
    for (const oid of SUBTREES) {
      it(`${tool} ${oid} through the master equals the standalone agent's, line by line`, async () => {
        const direct = await snmp(tool, ['-On', '-Oe', udp, oid]);
        const via = await snmp(tool, ['-On', '-Oe', master.target, oid]);
        expect(direct.code, direct.stderr).to.equal(0);
        expect(via.code, via.stderr).to.equal(0);
        const d = lines(direct.stdout);
        expect(d.length).to.be.greaterThan(5);
        expect(lines(via.stdout)).to.deep.equal(d);
      });
    }
  }

  it('serves UTF-8 strings by their bytes and the model values exactly', async () => {
    const r = await snmp('snmpget', ['-On', '-Ox', master.target, '1.3.6.1.2.1.27.1.1.16.1', '1.3.6.1.2.1.28.2.1.2.1.1']);
    const hex = [...Buffer.from('Postfix – Grüße aus Köln ✉', 'utf8')].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    // -Ox prints 16 octets per line: compare the value with its line breaks folded
    const [desc, received] = r.stdout.replace(/\s*\n(?!\.)/g, ' ').split('\n');
    expect(desc!.trim()).to.equal(`.1.3.6.1.2.1.27.1.1.16.1 = Hex-STRING: ${hex}`);
    expect(received!.trim()).to.equal('.1.3.6.1.2.1.28.2.1.2.1.1 = Counter32: 120');
  });

  it('leaves the system group to the master and host resources to the C subagent', async () => {
    const sys = await snmp('snmpget', ['-On', master.target, '1.3.6.1.2.1.1.1.0']);
    expect(sys.stdout).to.not.include('madman');
    const direct = await snmp('snmpget', ['-On', udp, '1.3.6.1.2.1.1.1.0']);
    expect(direct.stdout).to.include('madman');
    const hr = await snmp('snmpwalk', ['-On', master.target, '1.3.6.1.2.1.25.1']);
    expect(lines(hr.stdout).some((l) => l.startsWith('.1.3.6.1.2.1.25.1.1.0 = Timeticks'))).to.equal(true);
  });

  it('answers noSuchInstance and noSuchObject through the master as the standalone agent does', async () => {
    const oids = ['1.3.6.1.2.1.28.2.1.2.1.999', '1.3.6.1.2.1.28.99.0', '1.3.6.1.4.1.32473.1.1.1.1'];
    const direct = await snmp('snmpget', ['-On', udp, ...oids]);
    const via = await snmp('snmpget', ['-On', master.target, ...oids]);
    expect(lines(via.stdout)).to.deep.equal(lines(direct.stdout));
    expect(lines(via.stdout)[0]).to.equal('.1.3.6.1.2.1.28.2.1.2.1.999 = No Such Instance currently exists at this OID');
  });
});
