// Values of every SNMP type through the real snmpd master: a test index (not a MIB view)
// serves one scalar of each type and a small table, both over UDP and as AgentX subagent,
// and the tools must print the same thing both ways.

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { loadMibs } from '../../src/mib/loader.js';
import { CommunityAccess } from '../../src/snmp/access.js';
import { startSubagent, type Subagent } from '../../src/snmp/agentx/subagent.js';
import { SnmpStats } from '../../src/snmp/stats.js';
import { UdpAgent } from '../../src/snmp/udp-agent.js';
import { snmp } from '../helpers/harness.js';
import { B, BASE, BROKEN, SCALARS, valuesIndex } from './agentx-support.js';
import { startSnmpdMaster, varbindLines, waitFor, type SnmpdMaster } from '../helpers/snmpd-master.js';

const lines = varbindLines;

const hex = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');

describe('e2e: AgentX values of every type', function () {
  this.timeout(60000);
  let dir: string;
  let master: SnmpdMaster;
  let sub: Subagent;
  let udp: UdpAgent;
  let direct: string;
  const encodeErrors = { n: 0 };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-agentx-values-'));
    master = await startSnmpdMaster(dir);
    const index = valuesIndex();
    udp = new UdpAgent({ listen: ['udp:127.0.0.1:0'], access: new CommunityAccess([{ community: 'public', sources: [] }]), index, stats: new SnmpStats(), maxMessageSize: 65507 });
    direct = `127.0.0.1:${(await udp.start())[0]!.port}`;
    sub = startSubagent({
      address: master.agentx,
      tree: loadMibs(),
      index,
      uptime: () => 4242,
      onEncodeError: () => encodeErrors.n++,
      description: 'madman values test',
      log: silentLogger,
      subtrees: [{ name: 'test', oid: BASE }],
    });
    await waitFor('registration', 10000, () => (sub.session.ready ? true : undefined));
  });

  after(async () => {
    await sub?.stop();
    await udp?.stop();
    await master?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GET of each type prints what snmpd expects, and the same as the standalone agent', async () => {
    const oids = SCALARS.map((_, i) => `${B}.${i + 1}.0`);
    const via = await snmp('snmpget', ['-On', '-Oe', master.target, ...oids]);
    const dir = await snmp('snmpget', ['-On', '-Oe', direct, ...oids]);
    expect(via.code, via.stderr).to.equal(0);
    const v = lines(via.stdout);
    expect(v).to.deep.equal(lines(dir.stdout));
    expect(v.slice(0, 12)).to.deep.equal([
      `.${B}.1.0 = INTEGER: -2147483648`,
      `.${B}.2.0 = Hex-STRING: 00 FF 80 0A 7F`,
      // Net-SNMP prints non-ASCII octets in hex: these are the UTF-8 bytes, not the characters
      `.${B}.3.0 = Hex-STRING: ${hex('Grüße ✉ 日本')}`,
      `.${B}.4.0 = NULL`,
      `.${B}.5.0 = OID: .1.3.6.1.4.1.32473.3.4294967295`,
      `.${B}.6.0 = IpAddress: 192.0.2.254`,
      `.${B}.7.0 = Counter32: 4294967295`,
      `.${B}.8.0 = Gauge32: 2147483648`,
      `.${B}.9.0 = Timeticks: (4294967295) 497 days, 2:27:52.95`,
      `.${B}.10.0 = OPAQUE: 01 02 03`,
      `.${B}.11.0 = Counter64: 18446744073709551615`,
      `.${B}.12.0 = Counter64: 4294967297`,
    ]);
    expect(v[12]).to.equal(`.${B}.13.0 = ""`);
    expect(v[13]).to.equal(`.${B}.14.0 = STRING: "${'a'.repeat(1000)}"`);
  });

  it('walks (GetNext and GetBulk) through the master equal the standalone walks', async () => {
    for (const tool of ['snmpwalk', 'snmpbulkwalk']) {
      // the broken scalar stops a walk with genErr: walk around it
      for (const oid of [`${B}.1`, `${B}.60`]) {
        const via = await snmp(tool, ['-On', '-Oe', '-Cc', master.target, oid]);
        const d = await snmp(tool, ['-On', '-Oe', '-Cc', direct, oid]);
        expect(lines(via.stdout), `${tool} ${oid}`).to.deep.equal(lines(d.stdout));
      }
    }
    const table = await snmp('snmpwalk', ['-On', master.target, `${B}.60`]);
    expect(lines(table.stdout)).to.deep.equal([
      `.${B}.60.1.2.1.97 = STRING: "a"`,
      `.${B}.60.1.2.1.98 = STRING: "b"`,
      `.${B}.60.1.2.2.195.188 = Hex-STRING: C3 BC`,
      `.${B}.60.1.3.1.97 = Counter64: 1099511627776`,
      `.${B}.60.1.3.1.98 = Counter64: 1099511627776`,
      `.${B}.60.1.3.2.195.188 = Counter64: 1099511627776`,
    ]);
  });

  it('a value that cannot be encoded answers genErr, is counted, and the session lives on', async () => {
    const before = encodeErrors.n;
    const r = await snmp('snmpget', ['-On', master.target, `${B}.${BROKEN}.0`]);
    expect(r.stdout + r.stderr).to.match(/genError|General failure|general failure/i);
    expect(encodeErrors.n).to.equal(before + 1);
    const ok = await snmp('snmpget', ['-On', master.target, `${B}.7.0`]);
    expect(lines(ok.stdout)).to.deep.equal([`.${B}.7.0 = Counter32: 4294967295`]);
    expect(sub.session.ready).to.equal(true);
  });

  it('GetNext never answers outside the registered subtree', async () => {
    const r = await snmp('snmpgetnext', ['-On', master.target, `${B}.60.1.3.2.195.188`]);
    // what follows comes from the master itself (or the end of its MIB), not from our index
    const l = lines(r.stdout)[0] ?? '';
    expect(l.startsWith(`.${B}.`)).to.equal(false);
  });
});
