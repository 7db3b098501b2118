// `madman agent --agentx`: the demo agent through a real snmpd master, no UDP port of its
// own; a bad address exits 2.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, run, snmp } from '../helpers/harness.js';
import { freeUdpPort, startSnmpdMaster, waitFor, type SnmpdMaster } from '../helpers/snmpd-master.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

describe('madman agent --agentx', function () {
  this.timeout(120000); // snmpd and the agent both start; slow on a loaded 2-core machine
  let dir: string;
  let master: SnmpdMaster | undefined;

  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'madman-agentx-cli-'))));
  after(async () => {
    await master?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 2 on a bad master address, in the file or on the command line', async () => {
    const f = path.join(dir, 'bad.yaml');
    writeFileSync(f, 'agentx: udp:127.0.0.1:705\n');
    const r = await run('node', [CLI, 'agent', '--check-config', f]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${f}:1: agentx: not an AgentX master address`);
    const r2 = await run('node', [CLI, 'agent', '--agentx', 'udp:127.0.0.1:705']);
    expect(r2.code).to.equal(2);
    expect(r2.stderr).to.contain('"udp:127.0.0.1:705" is not an AgentX master address');
  });

  it('serves the demo mail system through snmpd, and stops cleanly on SIGTERM', async () => {
    master = await startSnmpdMaster(path.join(dir, 'master'));
    const child = spawn('node', [CLI, 'agent', '--demo', '--agentx', master.agentx, '--state-dir', path.join(dir, 'state')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const r = await waitFor('the demo through the master', 60000, async () => {
        const g = await snmp('snmpget', ['-On', master!.target, '1.3.6.1.2.1.28.2.1.25.1.1']);
        return g.stdout.includes('STRING') ? g.stdout : undefined;
      });
      expect(r).to.equal('.1.3.6.1.2.1.28.2.1.25.1.1 = STRING: "smtpd"\n');
      expect(out).to.equal(`madman agent serving through the AgentX master at ${master.agentx} (demo mail system)\n`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
    // our Close (and the socket closing) makes snmpd drop the subtree, without a timeout
    const gone = await waitFor('snmpd to drop our subtree', 5000, async () => {
      const g = await snmp('snmpget', ['-On', master!.target, '1.3.6.1.2.1.28.2.1.25.1.1']);
      return /No Such Object/.test(g.stdout) ? g.stdout : undefined;
    });
    expect(gone).to.equal('.1.3.6.1.2.1.28.2.1.25.1.1 = No Such Object available on this agent at this OID\n');
  });

  it('serves through a master listening on TCP (--agentx tcp:HOST:PORT, with --listen too)', async () => {
    const tcpMaster = await startSnmpdMaster(path.join(dir, 'tcp-master'), { tcp: true });
    expect(tcpMaster.agentx).to.match(/^tcp:127\.0\.0\.1:\d+$/);
    const port = await freeUdpPort();
    const child = spawn('node', [CLI, 'agent', '--demo', '--agentx', tcpMaster.agentx, '--listen', `udp:127.0.0.1:${port}`, '--state-dir', path.join(dir, 'state-tcp')], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const oid = '1.3.6.1.2.1.28.2.1.25.1.1';
      const via = await waitFor('the demo through the TCP master', 60000, async () => {
        const g = await snmp('snmpget', ['-On', tcpMaster.target, oid]);
        return g.stdout.includes('STRING') ? g.stdout : undefined;
      });
      expect(via).to.equal(`.${oid} = STRING: "smtpd"\n`);
      const direct = await snmp('snmpget', ['-On', `127.0.0.1:${port}`, oid]);
      expect(direct.stdout).to.equal(via);
    } finally {
      child.kill('SIGTERM');
      await exited;
      await tcpMaster.stop();
    }
  });
});
