// View-based access (RFC 3415, read-only part) against the real tools: a user or
// a community bound to a view walks exactly that view, a GET outside it gets
// noSuchObject, and a community used from outside its network gets no answer.

import { expect } from 'chai';
import { compareOid } from '../../src/snmp/oid.js';
import { run, snmp } from '../helpers/harness.js';
import { counters } from './support.js';
import { V3_MIB_OPTS, startV3Agent, v3, type V3User } from './snmpv3-support.js';

const CONFIG = `
view:
  - sysonly included .1.3.6.1.2.1.1
  - sysonly excluded sysORTable
  - sysonly included snmpEngine
  # every column 2 (mtaReceivedMessages, applName, ...) of the two mail MIBs: a mask
  - seconds included .1.3.6.1.2.1.27.1.1.2 fdc0
rocommunity:
  - public 127.0.0.1
  - narrow 127.0.0.1 -V sysonly
  - faraway 192.0.2.0/24
  - subtree 127.0.0.1 .1.3.6.1.2.1.11
rocommunity6:
  - sixonly ::1
createUser:
  - bob SHA-256 "bob auth pass" AES "bob priv pass"
  - ann SHA-256 "ann auth pass" AES "ann priv pass"
  - guest
rouser:
  - guest noauth .1.3.6.1.2.1.1.5
  - bob priv -V sysonly
  - ann auth -V seconds
`;

const bob: V3User = { user: 'bob', level: 'authPriv', auth: ['SHA-256', 'bob auth pass'], priv: ['AES', 'bob priv pass'] };
const ann: V3User = { user: 'ann', level: 'authNoPriv', auth: ['SHA-256', 'ann auth pass'] };

const lines = (out: string) => out.split('\n').filter((l) => l && l !== 'End of MIB' && !l.includes('No more variables left'));
const oidOf = (line: string) => line.split(' = ')[0]!.slice(1).split('.').map(Number);
const under = (oid: number[], prefix: string) => {
  const p = prefix.split('.').map(Number);
  return p.every((a, i) => oid[i] === a);
};

describe('e2e: VACM views and community sources', function () {
  let ta: Awaited<ReturnType<typeof startV3Agent>>;
  let full: string[];

  before(async () => {
    ta = await startV3Agent(CONFIG);
    ta.model.mtaOf(ta.model.addApplication('mta-a', {}));
    ta.model.mtaOf(ta.model.addApplication('mta-b', {}));
    const r = await snmp('snmpwalk', ['-On', '-Cc', ta.target, '.1']);
    full = lines(r.stdout);
  });
  after(async () => {
    await ta?.stop();
  });

  // values that change between two walks (clocks) are compared by OID only
  const oids = (ls: string[]) => ls.map((l) => l.split(' = ')[0]);
  const inSysonly = (l: string) => {
    const o = oidOf(l);
    return (under(o, '1.3.6.1.2.1.1') && !under(o, '1.3.6.1.2.1.1.9')) || under(o, '1.3.6.1.6.3.10.2.1');
  };

  it('a user bound to a view walks exactly that view (snmpwalk and snmpbulkwalk)', async () => {
    const expected = oids(full.filter(inSysonly));
    expect(expected.length).to.equal(8 + 4); // system scalars without sysORTable, and snmpEngine
    const walk = await v3('snmpwalk', bob, ['-On', ta.target, '.1']);
    const bulk = await v3('snmpbulkwalk', bob, ['-On', ta.target, '.1']);
    expect(walk.stderr + bulk.stderr).to.equal('');
    expect(oids(lines(walk.stdout))).to.deep.equal(expected);
    expect(oids(lines(bulk.stdout))).to.deep.equal(expected);
  });

  it('a community bound to the same view walks the same', async () => {
    const walk = await snmp('snmpwalk', ['-On', ta.target, '.1'], { community: 'narrow' });
    const bulk = await snmp('snmpbulkwalk', ['-On', ta.target, '.1'], { community: 'narrow' });
    const expected = oids(full.filter(inSysonly));
    expect(oids(lines(walk.stdout))).to.deep.equal(expected);
    expect(oids(lines(bulk.stdout))).to.deep.equal(expected);
  });

  it('a GET outside the view gets noSuchObject, inside gets the value', async () => {
    const r = await v3('snmpget', bob, ['-On', ta.target, 'sysORID.1', 'sysName.0', '.1.3.6.1.2.1.11.1.0']);
    const got = lines(r.stdout);
    expect(got[0]).to.equal('.1.3.6.1.2.1.1.9.1.2.1 = No Such Object available on this agent at this OID');
    expect(got[1]).to.match(/^\.1\.3\.6\.1\.2\.1\.1\.5\.0 = STRING: /);
    expect(got[2]).to.equal('.1.3.6.1.2.1.11.1.0 = No Such Object available on this agent at this OID');
  });

  it('a user without keys reads at noAuthNoPriv what its rouser OID allows, and only that', async () => {
    const guest: V3User = { user: 'guest', level: 'noAuthNoPriv' };
    const r = await v3('snmpget', guest, ['-On', ta.target, '.1.3.6.1.2.1.1.5.0', '.1.3.6.1.2.1.1.4.0']);
    const got = lines(r.stdout);
    expect(got[0]).to.match(/^\.1\.3\.6\.1\.2\.1\.1\.5\.0 = STRING: /);
    expect(got[1]).to.equal('.1.3.6.1.2.1.1.4.0 = No Such Object available on this agent at this OID');
    const walk = await v3('snmpwalk', guest, ['-On', ta.target, '.1']);
    expect(oids(lines(walk.stdout))).to.deep.equal(['.1.3.6.1.2.1.1.5.0']);
    // and the keyed users cannot be used without their keys
    const bobNoAuth = await v3('snmpget', { user: 'bob', level: 'noAuthNoPriv' }, ['-On', ta.target, '.1.3.6.1.2.1.1.5.0']);
    expect(bobNoAuth.stdout + bobNoAuth.stderr).to.contain('authorizationError');
  });

  it('a masked view shows column 2 of every table under mib-2.27/28 and nothing else', async () => {
    const walk = await v3('snmpwalk', ann, ['-On', ta.target, '.1']);
    expect(walk.stderr).to.equal('');
    const expected = oids(full.filter((l) => {
      const o = oidOf(l);
      return o.length >= 10 && under(o, '1.3.6.1.2.1') && (o[6] === 27 || o[6] === 28) && o[7] === 1 && o[8] === 1 && o[9] === 2;
    }));
    // applName and mtaReceivedMessages of both applications: arc 6 is masked out
    expect(expected).to.include.members(['.1.3.6.1.2.1.27.1.1.2.1', '.1.3.6.1.2.1.27.1.1.2.2', '.1.3.6.1.2.1.28.1.1.2.1', '.1.3.6.1.2.1.28.1.1.2.2']);
    expect(oids(lines(walk.stdout))).to.deep.equal(expected);
  });

  it('an OID after the source limits a community to that subtree', async () => {
    const walk = await snmp('snmpwalk', ['-On', ta.target, '.1'], { community: 'subtree' });
    const expected = oids(full.filter((l) => under(oidOf(l), '1.3.6.1.2.1.11')));
    expect(expected.length).to.be.above(5);
    expect(oids(lines(walk.stdout))).to.deep.equal(expected);
  });

  it('a community used from outside its network gets no answer, and is counted', async () => {
    const [before] = await counters(ta.target, ['.1.3.6.1.2.1.11.4.0']); // snmpInBadCommunityNames
    const far = await snmp('snmpget', ['-On', ta.target, '.1.3.6.1.2.1.1.5.0'], { community: 'faraway' });
    expect(far.stdout).to.equal('');
    expect(far.stderr).to.contain('Timeout');
    const six = await snmp('snmpget', ['-On', ta.target, '.1.3.6.1.2.1.1.5.0'], { community: 'sixonly' });
    expect(six.stderr).to.contain('Timeout');
    const [after] = await counters(ta.target, ['.1.3.6.1.2.1.11.4.0']);
    expect(after).to.equal(before! + 2);
  });

  it('the full walk is in OID order and includes the SNMPv3 objects', async () => {
    const os = full.map(oidOf);
    for (let i = 1; i < os.length; i++) expect(compareOid(os[i - 1]!, os[i]!)).to.equal(-1);
    const r = await run('snmptranslate', [...V3_MIB_OPTS, '-On', 'SNMP-MPD-MIB::snmpInvalidMsgs.0']);
    expect(oids(full)).to.include(r.stdout.trim());
  });
});
