// SNMPv1 against SNMPv2c: exceptions (noSuchObject, noSuchInstance, endOfMibView)
// in v2c, the noSuchName error in v1; whole-tree walks; and SET, refused in both.

import { expect } from 'chai';
import { snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { MailSystem, type Channel } from '../../src/model/mail-system.js';
import { counters, get, parseVarbinds, show } from './support.js';

const MTA = '.1.3.6.1.2.1.28.1.1';
const GROUP = '.1.3.6.1.2.1.28.2.1';
const LAST = '.1.3.6.1.6.3.15.1.1.6.0'; // usmStatsDecryptionErrors, the last object served
const INDEXED = '.1.3.6.1.4.1.32473.1.1.5.0'; // madmanAgentIndexedObjects
const BAD_COMMUNITY_USES = '.1.3.6.1.2.1.11.5.0'; // snmpInBadCommunityUses

describe('e2e: SNMPv1 and SNMPv2c', function () {
  let ta: TestAgent;
  let ch: Channel;

  before(async () => {
    const model = new MailSystem();
    const app = model.addApplication('mta', { version: '3.0' });
    ch = model.addChannel(app, 'smtp', { hierarchy: -7, receivedMessages: 12 });
    model.addChannel(app, 'local');
    model.countError(ch, '5.1.1', 'inbound', 2);
    model.openAssociation(app, { remoteApplication: '192.0.2.1', type: 'peerresponder', startedAt: Date.now(), channel: ch.index });
    model.addApplication('imapd');
    // alarms off: these tests assert the exact tree of this model
    ta = await startTestAgent({ model, settings: { alarms: { rules: [], quotaPercent: 90 } } });
  });

  after(async () => {
    await ta?.stop();
  });

  it('v2c GET: noSuchInstance for a missing row or instance, noSuchObject outside every object', async () => {
    const vbs = await get(ta.target, [
      `${MTA}.1.1`,
      `${MTA}.1.2`, // imapd is no MTA
      `${MTA}.1.9`, // no such application
      `${MTA}.1`, // the column itself
      '.1.3.6.1.2.1.1.5.1', // sysName.1
      `${MTA}.99.1`, // no such column
      '.1.3.6.1.2.1.2.1.0', // ifNumber: not served
      '.1.3.6.1.4.1.32473.1.1.99.0',
    ]);
    expect(vbs.map(show)).to.deep.equal([
      'Counter32: 0',
      'noSuchInstance: ',
      'noSuchInstance: ',
      'noSuchInstance: ',
      'noSuchInstance: ',
      'noSuchObject: ',
      'noSuchObject: ',
      'noSuchObject: ',
    ]);
  });

  it('v1 GET of a missing instance or object: noSuchName at its index, non-zero exit', async () => {
    for (const missing of [`${MTA}.1.9`, `${MTA}.99.1`]) {
      const r = await snmp('snmpget', ['-On', '-Cf', ta.target, '.1.3.6.1.2.1.1.5.0', missing, `${GROUP}.25.1.1`], { version: '1' });
      expect(r.code).to.not.equal(0);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.contain('(noSuchName) There is no such variable name in this MIB.');
      expect(r.stderr).to.contain(`Failed object: ${missing}\n`);
    }
    // and a v1 GET of what exists works
    const ok = await get(ta.target, [`${GROUP}.25.1.1`, `${GROUP}.31.1.1`], { version: '1' });
    expect(ok.map(show)).to.deep.equal(['STRING: smtp', 'INTEGER: -7']);
  });

  it('GETNEXT past the end: v2c endOfMibView, v1 noSuchName', async () => {
    // (not ".2": the tools encode a one-arc OID as the single octet 02, which reads as 0.2)
    const v2 = await snmp('snmpgetnext', ['-On', '-Cf', ta.target, LAST, '.1.4', '.2.0', '.1.3.6.1.2.1.1.5.0']);
    expect(v2.code).to.equal(0);
    expect(parseVarbinds(v2.stdout).map((v) => `${v.oid} ${v.type}`)).to.deep.equal([
      `${LAST} endOfMibView`,
      '.1.4 endOfMibView',
      '.2.0 endOfMibView',
      '.1.3.6.1.2.1.1.6.0 STRING',
    ]);
    const v1 = await snmp('snmpgetnext', ['-On', '-Cf', ta.target, '.1.3.6.1.2.1.1.5.0', LAST], { version: '1' });
    expect(v1.code).to.not.equal(0);
    expect(v1.stderr).to.contain('noSuchName');
    expect(v1.stderr).to.contain(`Failed object: ${LAST}\n`);
  });

  it('walking the whole tree (.1) ends cleanly in v1 and v2c, with the same instances', async () => {
    const w1 = await snmp('snmpwalk', ['-On', ta.target, '.1'], { version: '1' });
    const w2 = await snmp('snmpwalk', ['-On', ta.target, '.1']);
    const wb = await snmp('snmpbulkwalk', ['-On', '-Cr7', ta.target, '.1']);
    for (const r of [w1, w2, wb]) {
      expect(r.code).to.equal(0);
      expect(r.stderr).to.equal('');
    }
    expect(w1.stdout.endsWith('End of MIB\n')).to.equal(true);
    const v1 = parseVarbinds(w1.stdout);
    const v2 = parseVarbinds(w2.stdout);
    expect(v2.at(-1)!.type).to.equal('endOfMibView');
    const v2Values = v2.slice(0, -1);
    const vb = parseVarbinds(wb.stdout).filter((v) => v.type !== 'endOfMibView');
    expect(v1.map((v) => v.oid)).to.deep.equal(v2Values.map((v) => v.oid));
    expect(vb.map((v) => v.oid)).to.deep.equal(v2Values.map((v) => v.oid));
    expect(v1.map((v) => v.type)).to.deep.equal(v2Values.map((v) => v.type));
    expect(v1.some((v) => v.type.startsWith('no') || v.type === 'endOfMibView')).to.equal(false);
    // as many as the agent says it serves
    const [indexed] = await counters(ta.target, [INDEXED]);
    expect(v1.length).to.equal(indexed);
    // system (8) + sysORTable (3 x 3) + snmp group (8) + applTable (2 x 16) + assocTable (4)
    // + mtaTable (12) + mtaGroupTable (2 x 33) + mtaGroupAssociationTable (1)
    // + mtaGroupErrorTable (2 x 3) + madman agent (6) + snmpEngine (4) + snmpMPDStats (3)
    // + usmStats (6) + SNMP-TARGET-MIB's context counters (2)
    expect(v1.length).to.equal(8 + 9 + 8 + 32 + 4 + 12 + 66 + 1 + 6 + 6 + 4 + 3 + 6 + 2);
    // strictly increasing OIDs
    const key = (o: string) => o.slice(1).split('.').map(Number);
    for (let i = 1; i < v1.length; i++) {
      const a = key(v1[i - 1]!.oid);
      const b = key(v1[i]!.oid);
      let cmp = 0;
      for (let j = 0; j < Math.min(a.length, b.length) && cmp === 0; j++) cmp = a[j]! - b[j]!;
      if (cmp === 0) cmp = a.length - b.length;
      expect(cmp, `${v1[i - 1]!.oid} then ${v1[i]!.oid}`).to.be.lessThan(0);
    }
  });

  it('SET: v2c notWritable, v1 noSuchName, error index 1; nothing changes', async () => {
    const oid = `${GROUP}.31.1.1`;
    const [uses0] = await counters(ta.target, [BAD_COMMUNITY_USES]);
    const v2 = await snmp('snmpset', ['-On', ta.target, oid, 'i', '5']);
    expect(v2.code).to.not.equal(0);
    expect(v2.stdout).to.equal('');
    expect(v2.stderr).to.contain('Reason: notWritable (That object does not support modification)');
    expect(v2.stderr).to.contain(`Failed object: ${oid}\n`);
    const v1 = await snmp('snmpset', ['-On', ta.target, oid, 'i', '5'], { version: '1' });
    expect(v1.code).to.not.equal(0);
    expect(v1.stderr).to.contain('(noSuchName) There is no such variable name in this MIB.');
    expect(v1.stderr).to.contain(`Failed object: ${oid}\n`);
    const two = await snmp('snmpset', ['-On', ta.target, `${GROUP}.25.1.1`, 's', 'renamed', oid, 'i', '6']);
    expect(two.stderr).to.contain('notWritable');
    expect(two.stderr).to.contain(`Failed object: ${GROUP}.25.1.1\n`);
    const nothing = await snmp('snmpset', ['-On', ta.target, '.1.3.6.1.2.1.28.9.1.0', 'i', '1']);
    expect(nothing.code).to.not.equal(0);
    expect(nothing.stderr).to.contain('notWritable');

    // Every community is read-only: each SET is a use the community does not allow.
    expect(await counters(ta.target, [BAD_COMMUNITY_USES])).to.deep.equal([uses0! + 4]);
    expect(ch.hierarchy).to.equal(-7);
    expect(ch.name).to.equal('smtp');
    expect((await get(ta.target, [oid, `${GROUP}.25.1.1`])).map(show)).to.deep.equal(['INTEGER: -7', 'STRING: smtp']);
  });
});
