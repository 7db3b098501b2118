// GETBULK with snmpbulkget: exactly N + M x R varbinds when they fit; a response
// that would be too big is cut to what fits (never an error), keeping walk order.

import { expect } from 'chai';
import { snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { servingDefaults } from '../../src/config/serving.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { UNCAPPED_BULK } from '../../src/snmp/bulk.js';
import { parseVarbinds, PDU, RawClient, request, show, type Varbind } from './support.js';

const GROUP = '.1.3.6.1.2.1.28.2.1';
const UNCAPPED = { ...servingDefaults(), bulk: UNCAPPED_BULK };
const CHANNELS = 2000;

/** The channels' columns 2, 3 and 4 in walk order, as the model below sets them. */
function expectedWalk(): Varbind[] {
  const out: Varbind[] = [];
  const cols: Array<[number, string, number]> = [
    [2, 'Counter32', 3],
    [3, 'Counter32', 5],
    [4, 'Gauge32', 7],
  ];
  for (const [c, type, k] of cols) {
    for (let r = 1; r <= CHANNELS; r++) out.push({ oid: `${GROUP}.${c}.1.${r}`, type, value: String(r * k) });
  }
  return out;
}

/** BER size of one varbind of expectedWalk() (computed here, independently of the agent). */
function varbindSize(vb: Varbind): number {
  const arcs = vb.oid.slice(1).split('.').map(Number);
  let oidLen = 1; // 1.3
  for (const a of arcs.slice(2)) oidLen += a < 128 ? 1 : a < 16384 ? 2 : 3;
  const v = Number(vb.value);
  const valLen = v < 0x80 ? 1 : v < 0x8000 ? 2 : v < 0x800000 ? 3 : v < 0x80000000 ? 4 : 5;
  return 2 + (2 + oidLen) + (2 + valLen);
}

function receivedBytes(stderr: string): number {
  const m = /Received (\d+) byte packet/.exec(stderr);
  if (!m) throw new Error(`no "Received ... byte packet" in: ${stderr.slice(0, 300)}`);
  return Number(m[1]);
}

describe('e2e: GETBULK', function () {
  let model: MailSystem;
  let ta: TestAgent;

  before(async () => {
    model = new MailSystem();
    const app = model.addApplication('mta');
    for (let r = 1; r <= CHANNELS; r++) {
      const ch = model.addChannel(app, `ch${String(r).padStart(4, '0')}`, { receivedMessages: r * 3, rejectedMessages: r * 5, storedMessages: r * 7 });
      expect(ch.index).to.equal(r);
    }
    // alarms off: these tests assert the exact tree of this model; without the GetBulk caps
    // (maxGetbulkResponses -1) only the message size cuts a response
    ta = await startTestAgent({ model, settings: { alarms: { rules: [], quotaPercent: 90 }, limits: UNCAPPED } });
  });

  after(async () => {
    await ta?.stop();
  });

  it('-Cn2 -Cr3 with 2 repeaters: exactly 2 + 3 x 2 varbinds, non-repeaters first, repeaters interleaved', async () => {
    const r = await snmp('snmpbulkget', ['-On', '-Cn2', '-Cr3', ta.target, '.1.3.6.1.2.1.1.1', '.1.3.6.1.2.1.27.1.1.2', `${GROUP}.25`, `${GROUP}.2.1.1998`]);
    expect(r.stderr).to.equal('');
    const vbs = parseVarbinds(r.stdout);
    expect(vbs.map((v) => v.oid)).to.deep.equal([
      '.1.3.6.1.2.1.1.1.0',
      '.1.3.6.1.2.1.27.1.1.2.1',
      `${GROUP}.25.1.1`,
      `${GROUP}.2.1.1999`,
      `${GROUP}.25.1.2`,
      `${GROUP}.2.1.2000`,
      `${GROUP}.25.1.3`,
      `${GROUP}.3.1.1`, // on into the next column
    ]);
    expect(vbs.slice(1).map(show)).to.deep.equal([
      'STRING: mta',
      'STRING: ch0001',
      'Counter32: 5997',
      'STRING: ch0002',
      'Counter32: 6000',
      'STRING: ch0003',
      'Counter32: 5',
    ]);
  });

  it('a lone repeater that runs out ends the response at its first endOfMibView (no amplification)', async () => {
    // usmStatsWrongDigests and usmStatsDecryptionErrors are the last objects served
    const r = await snmp('snmpbulkget', ['-On', '-Cn0', '-Cr4', ta.target, '.1.3.6.1.6.3.15.1.1.5']);
    const vbs = parseVarbinds(r.stdout);
    expect(vbs.map((v) => `${v.oid} ${v.type}`)).to.deep.equal([
      '.1.3.6.1.6.3.15.1.1.5.0 Counter32',
      '.1.3.6.1.6.3.15.1.1.6.0 Counter32',
      '.1.3.6.1.6.3.15.1.1.6.0 endOfMibView',
    ]);
  });

  it('-Cr0: only the non-repeaters are answered', async () => {
    const one = await snmp('snmpbulkget', ['-On', '-Cn1', '-Cr0', ta.target, '.1.3.6.1.2.1.1.5', `${GROUP}.25`]);
    expect(parseVarbinds(one.stdout).map((v) => v.oid)).to.deep.equal(['.1.3.6.1.2.1.1.5.0']);
    const two = await snmp('snmpbulkget', ['-On', '-Cn2', '-Cr0', ta.target, '.1.3.6.1.2.1.1.5', `${GROUP}.25`]);
    expect(parseVarbinds(two.stdout).map((v) => v.oid)).to.deep.equal(['.1.3.6.1.2.1.1.5.0', `${GROUP}.25.1.1`]);
    const none = await snmp('snmpbulkget', ['-On', '-Cn0', '-Cr0', ta.target, `${GROUP}.25`]);
    expect(none.code).to.equal(0);
    expect(none.stdout.trim()).to.equal('');
  });

  it('non-repeaters above the varbind count, and negative fields, are clamped (raw datagrams)', async () => {
    const raw = new RawClient(ta);
    try {
      const oids = ['.1.3.6.1.2.1.1.5', `${GROUP}.25`];
      await raw.send(request({ version: 1, pdu: PDU.getBulk, requestId: 501, a: 5, b: 3, oids }));
      const many = await raw.response(501);
      expect(many.errorStatus).to.equal(0);
      expect(many.varbinds.map((v) => v.oid)).to.deep.equal(['.1.3.6.1.2.1.1.5.0', `${GROUP}.25.1.1`]);
      await raw.send(request({ version: 1, pdu: PDU.getBulk, requestId: 502, a: -1, b: -2, oids }));
      const neg = await raw.response(502);
      expect(neg.errorStatus).to.equal(0);
      expect(neg.varbinds).to.have.length(0);
      await raw.send(request({ version: 1, pdu: PDU.getBulk, requestId: 503, a: -1, b: 2, oids }));
      const rep = await raw.response(503);
      expect(rep.varbinds.map((v) => v.oid)).to.deep.equal([
        '.1.3.6.1.2.1.1.5.0',
        `${GROUP}.25.1.1`,
        '.1.3.6.1.2.1.1.6.0',
        `${GROUP}.25.1.2`,
      ]);
    } finally {
      await raw.close();
    }
  });

  async function truncated(target: string, max: number): Promise<number> {
    const r = await snmp('snmpbulkget', ['-On', '-d', '-Cn0', '-Cr5000', target, `${GROUP}.2`]);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.not.match(/Error|Reason/);
    const got = parseVarbinds(r.stdout);
    const walk = expectedWalk();
    const k = got.length;
    expect(k).to.be.greaterThan(0).and.lessThan(5000);
    expect(got).to.deep.equal(walk.slice(0, k)); // the first K of the walk, in order
    const size = receivedBytes(r.stderr);
    expect(size).to.be.at.most(max);
    expect(size).to.be.greaterThan(max - 100);
    // ... and the next varbind of the walk would not have fitted.
    expect(size + varbindSize(walk[k]!)).to.be.greaterThan(max);
    return k;
  }

  it('-Cr5000 over 2,000 channels: cut to the 65507-octet default, the first K of the walk', async () => {
    const k = await truncated(ta.target, 65507);
    expect(k).to.be.greaterThan(CHANNELS); // well into the second column
  });

  it('the same with maxMessageSize 1400', async () => {
    const small = await startTestAgent({ model, settings: { maxMessageSize: 1400, limits: UNCAPPED } });
    try {
      const k = await truncated(small.target, 1400);
      expect(k).to.be.within(40, 100);
    } finally {
      await small.stop();
    }
  });

  it('snmpbulkwalk of a column with large -Cr returns all 2,000 rows once each', async () => {
    const r = await snmp('snmpbulkwalk', ['-On', '-Cr1000', ta.target, `${GROUP}.3`]);
    expect(r.stderr).to.equal('');
    expect(parseVarbinds(r.stdout)).to.deep.equal(expectedWalk().slice(CHANNELS, 2 * CHANNELS));
  });
});
