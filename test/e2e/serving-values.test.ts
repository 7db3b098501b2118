// Values at the edges of their syntax: Counter32 wraps, Gauge32 latches; and a value
// the encoder refuses answers genErr (and is counted) without hurting anything else.

import { expect } from 'chai';
import { MIB_OPTS, run, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { MailSystem, type Application, type Channel, type OperStatus } from '../../src/model/mail-system.js';
import { counters, get, getShown, parseVarbinds, show } from './support.js';

const APPL = '.1.3.6.1.2.1.27.1.1';
const MTA = '.1.3.6.1.2.1.28.1.1';
const GROUP = '.1.3.6.1.2.1.28.2.1';
const GROUP_ERROR = '.1.3.6.1.2.1.28.5.1';
const ENCODE_ERRORS = '.1.3.6.1.4.1.32473.1.1.3.0';
const DROPPED = '.1.3.6.1.4.1.32473.1.1.4.0';
const TWO32 = 2 ** 32;

describe('e2e: Counter32 wraps, Gauge32 latches', function () {
  let ta: TestAgent;

  before(async () => {
    const model = new MailSystem();
    const app = model.addApplication('mta', {
      accumulatedInboundAssociations: TWO32, // wraps to 0
      accumulatedOutboundAssociations: 3 * TWO32 + 1, // wraps to 1
      inboundAssociations: 2 ** 40, // latches
      outboundAssociations: TWO32 - 1, // largest Gauge32, as it is
    });
    Object.assign(model.mtaOf(app).counters, {
      receivedMessages: TWO32 + 5,
      storedMessages: TWO32 + 7,
      transmittedMessages: TWO32 - 1,
      receivedVolume: (TWO32 + 2) * 1024 + 1, // 2^32 + 3 K-octets: wraps to 3
      storedVolume: TWO32 * 1024, // 2^32 K-octets: latches
      transmittedVolume: TWO32 * 1024, // 2^32 K-octets: wraps to 0
    });
    const ch = model.addChannel(app, 'smtp', { receivedMessages: TWO32 + 5, storedMessages: TWO32 + 100, storedRecipients: TWO32 - 1 });
    model.countError(ch, '4.4.1', 'outbound', TWO32 + 9);
    ta = await startTestAgent({ model });
  });

  after(async () => {
    await ta?.stop();
  });

  it('mtaTable counters wrap modulo 2^32 and gauges stay at 4294967295', async () => {
    const v = await getShown(ta.target, [1, 2, 3, 4, 5, 6].map((c) => `${MTA}.${c}.1`));
    expect(Object.values(v)).to.deep.equal([
      'Counter32: 5',
      'Gauge32: 4294967295',
      'Counter32: 4294967295',
      'Counter32: 3',
      'Gauge32: 4294967295',
      'Counter32: 0',
    ]);
  });

  it('channel, application and error counters wrap and latch the same way', async () => {
    const v = await getShown(ta.target, [
      `${GROUP}.2.1.1`,
      `${GROUP}.4.1.1`,
      `${GROUP}.10.1.1`,
      `${APPL}.8.1`,
      `${APPL}.9.1`,
      `${APPL}.10.1`,
      `${APPL}.11.1`,
      `${GROUP_ERROR}.3.1.1.4000000`,
      `${GROUP_ERROR}.3.1.1.4004001`,
    ]);
    expect(Object.values(v)).to.deep.equal([
      'Counter32: 5',
      'Gauge32: 4294967295',
      'Gauge32: 4294967295',
      'Gauge32: 4294967295',
      'Gauge32: 4294967295',
      'Counter32: 0',
      'Counter32: 1',
      'Counter32: 9',
      'Counter32: 9',
    ]);
  });
});

describe('e2e: values the encoder refuses answer genErr', function () {
  let ta: TestAgent;
  let app: Application;
  let ch: Channel;

  beforeEach(async () => {
    const model = new MailSystem();
    app = model.addApplication('mta', { version: '1.0' });
    ch = model.addChannel(app, 'smtp', { receivedMessages: 42 });
    ta = await startTestAgent({ model });
  });

  afterEach(async () => {
    await ta?.stop();
  });

  it('an operStatus outside the enumeration: genErr at its index, counted once; the rest still reads', async () => {
    app.operStatus = 'exploded' as unknown as OperStatus;
    const [errors0] = await counters(ta.target, [ENCODE_ERRORS]);
    expect(errors0).to.equal(0);
    const r = await snmp('snmpget', ['-On', '-Cf', ta.target, `${APPL}.2.1`, `${APPL}.6.1`]);
    expect(r.code).to.not.equal(0);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.contain('genError');
    expect(r.stderr).to.contain('A general failure occured');
    expect(r.stderr).to.contain(`Failed object: ${APPL}.6.1\n`); // error-index 2
    const [errors1, dropped] = await counters(ta.target, [ENCODE_ERRORS, DROPPED]);
    expect(errors1).to.equal(1);
    expect(dropped).to.equal(0); // answered, not dropped
    expect(await getShown(ta.target, [`${APPL}.2.1`, `${APPL}.4.1`, `${GROUP}.2.1.1`])).to.deep.equal({
      [`${APPL}.2.1`]: 'STRING: mta',
      [`${APPL}.4.1`]: 'STRING: 1.0',
      [`${GROUP}.2.1.1`]: 'Counter32: 42',
    });
  });

  it('SNMPv1 gets genErr too', async () => {
    app.operStatus = 'exploded' as unknown as OperStatus;
    const r = await snmp('snmpget', ['-On', '-Cf', ta.target, `${APPL}.6.1`], { version: '1' });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('genError');
    expect(r.stderr).to.contain(`Failed object: ${APPL}.6.1\n`);
    expect(await counters(ta.target, [ENCODE_ERRORS])).to.deep.equal([1]);
  });

  it('a hierarchy of 1.5: genErr on GET, GETNEXT and GETBULK, each counted; fixed, it reads again', async () => {
    ch.hierarchy = 1.5;
    const oid = `${GROUP}.31.1.1`;
    const g = await snmp('snmpget', ['-On', '-Cf', ta.target, oid]);
    expect(g.stderr).to.contain('genError');
    expect(g.stderr).to.contain(`Failed object: ${oid}\n`);
    const n = await snmp('snmpgetnext', ['-On', '-Cf', ta.target, `${GROUP}.30.1.1`]);
    expect(n.stderr).to.contain('genError');
    expect(n.stderr).to.contain(`Failed object: ${GROUP}.30.1.1\n`);
    const b = await snmp('snmpbulkget', ['-On', '-Cn0', '-Cr10', ta.target, `${GROUP}.29`]);
    expect(b.stderr).to.contain('genError');
    expect(await counters(ta.target, [ENCODE_ERRORS])).to.deep.equal([3]);
    // A walk of the table stops at the bad value with the error.
    const w = await snmp('snmpwalk', ['-On', ta.target, GROUP]);
    expect(w.stderr).to.contain('genError');
    expect(parseVarbinds(w.stdout).map((v) => v.oid)).to.deep.equal(
      Array.from({ length: 29 }, (_, i) => `${GROUP}.${i + 2}.1.1`),
    );
    ch.hierarchy = -3;
    const fixed = await get(ta.target, [oid]);
    expect(fixed.map(show)).to.deep.equal(['INTEGER: -3']);
    expect(await counters(ta.target, [ENCODE_ERRORS])).to.deep.equal([4]);
  });
});

describe('e2e: sizes', function () {
  let ta: TestAgent;

  before(async () => {
    const model = new MailSystem();
    const app = model.addApplication('mta');
    model.addChannel(app, 'ascii', { description: 'x'.repeat(300) });
    model.addChannel(app, 'utf8', { description: '\u00e9'.repeat(140) }); // 280 octets of 2-octet characters
    for (let i = 0; i < 4; i++) model.addChannel(app, `long${i}`, { description: 'd'.repeat(200) });
    ta = await startTestAgent({ model, settings: { maxMessageSize: 484 } });
  });

  after(async () => {
    await ta?.stop();
  });

  it('an SnmpAdminString longer than 255 octets is cut to 255, at a character boundary', async () => {
    const read = async (oid: string) => {
      // with the MIBs, so that the DISPLAY-HINT 255t prints UTF-8 text
      const r = await run('snmpget', ['-v2c', '-c', 'public', '-t', '1', '-r', '0', ...MIB_OPTS, '-On', '-Cf', ta.target, oid]);
      expect(r.stderr).to.equal('');
      const vbs = parseVarbinds(r.stdout);
      expect(vbs.map((v) => v.type)).to.deep.equal(['STRING']);
      return vbs[0]!.value;
    };
    expect(await read(`${GROUP}.28.1.1`)).to.equal('x'.repeat(255));
    expect(await read(`${GROUP}.28.1.2`)).to.equal('\u00e9'.repeat(127)); // 254 octets: the 128th would need 256
  });

  it('a GET whose response exceeds maxMessageSize answers tooBig', async () => {
    const oids = [3, 4, 5, 6].map((i) => `${GROUP}.28.1.${i}`);
    const r = await snmp('snmpget', ['-On', '-Cf', ta.target, ...oids]);
    expect(r.code).to.not.equal(0);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.contain('(tooBig) Response message would have been too large.');
    // Two of them fit.
    expect((await get(ta.target, oids.slice(0, 2))).map((v) => v.value)).to.deep.equal(['d'.repeat(200), 'd'.repeat(200)]);
  });
});
