// Our MIB modules against the standard tools: smilint at level 3 reports nothing,
// snmptranslate resolves names to the OIDs of mib-facts, and `madman mib` tells
// what is served and where the files are.

import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MIB_DIRS, ROOT, run, startTestAgent, type TestAgent } from '../helpers/harness.js';

const MODULES = ['SNMP-FRAMEWORK-MIB', 'SNMP-MPD-MIB', 'SNMP-USER-BASED-SM-MIB', 'SNMP-TARGET-MIB', 'NETWORK-SERVICES-MIB', 'MTA-MIB', 'MADMAN-MIB'];
const CLI = path.join(ROOT, 'dist/src/cli/main.js');

describe('MIB modules', () => {
  for (const m of MODULES) {
    it(`smilint -l 3 reports nothing for ${m}`, async () => {
      const r = await run('env', [`SMIPATH=${MIB_DIRS}`, 'smilint', '-l', '3', '-s', path.join(ROOT, 'mibs', `${m}.txt`)]);
      expect(r.stdout + r.stderr).to.equal('');
      expect(r.code).to.equal(0);
    });
  }

  // editions of standard modules shipped for Debian's own MIBs; RFC 3415's view table has an
  // OBJECT IDENTIFIER index, which smilint warns about in the RFC's module too
  for (const m of ['HCNUM-TC', 'INET-ADDRESS-MIB', 'SNMP-VIEW-BASED-ACM-MIB']) {
    it(`smilint -l 3 reports nothing for ${m} (but RFC 3415's own index warning)`, async () => {
      const r = await run('env', [`SMIPATH=${MIB_DIRS}`, 'smilint', '-l', '3', '-i', 'index-element-no-size', '-s', path.join(ROOT, 'mibs', `${m}.txt`)]);
      expect(r.stdout + r.stderr).to.equal('');
      expect(r.code).to.equal(0);
    });
  }

  const expected: Array<[string, string]> = [
    ['mtaGroupReceivedMessages', '.1.3.6.1.2.1.28.2.1.2'],
    ['mtaGroupLastOutboundAssociationAttempt', '.1.3.6.1.2.1.28.2.1.34'],
    ['mtaStatusCode', '.1.3.6.1.2.1.28.5.1.4'],
    ['mtaGroupAssociationIndex', '.1.3.6.1.2.1.28.3.1.1'],
    ['applName', '.1.3.6.1.2.1.27.1.1.2'],
    ['applTCPProtoID', '.1.3.6.1.2.1.27.4'],
    ['assocDuration', '.1.3.6.1.2.1.27.2.1.5'],
    ['mtaLoopsDetected', '.1.3.6.1.2.1.28.1.1.12'],
    ['madmanAgentOID', '.1.3.6.1.4.1.32473.3.1'],
  ];
  for (const [name, oid] of expected) {
    it(`snmptranslate -IR ${name} gives ${oid}`, async () => {
      const r = await run('snmptranslate', ['-M', `+${MIB_DIRS}`, '-m', 'ALL', '-IR', '-On', name]);
      expect(r.stdout.trim()).to.equal(oid);
    });
  }

  it('snmptranslate prints the module-qualified name of mtaGroupReceivedMessages', async () => {
    const r = await run('snmptranslate', ['-M', `+${MIB_DIRS}`, '-m', 'ALL', '-IR', 'mtaGroupReceivedMessages']);
    expect(r.stdout.trim()).to.equal('MTA-MIB::mtaGroupReceivedMessages');
  });

  it('the enterprise number appears once in all our modules', async () => {
    const r = await run('grep', ['-rc', '32473', path.join(ROOT, 'mibs')]);
    const total = r.stdout
      .trim()
      .split('\n')
      .reduce((n, line) => n + Number(line.split(':').pop()), 0);
    expect(total).to.equal(1);
  });
});

describe('madman mib', () => {
  /** The modules of the one directory: ours, the base SMI they import, and what Debian's own MIBs import but Debian lacks. */
  const SHIPPED = [
    ...MODULES,
    'SNMPv2-SMI', 'SNMPv2-TC', 'SNMPv2-CONF', 'SNMPv2-MIB',
    'HCNUM-TC', 'INET-ADDRESS-MIB', 'SNMP-VIEW-BASED-ACM-MIB',
  ].sort();
  let dir = '';
  let agent: TestAgent | undefined;

  before(async () => {
    const r = await run('node', [CLI, 'mib', 'path']);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.equal('');
    dir = r.stdout.replace(/\n$/, '');
    agent = await startTestAgent({ settings: { demo: true } });
  });
  after(async () => {
    await agent?.stop();
  });

  it('path prints one directory holding exactly our modules and the ones they and Debian\'s MIBs import', () => {
    expect(dir).to.equal(path.join(ROOT, 'mibs'));
    const files = readdirSync(dir).sort();
    expect(files).to.deep.equal(SHIPPED.map((m) => `${m}.txt`).sort());
    // each file is the module it is named after
    for (const f of files) expect(readFileSync(path.join(dir, f), 'utf8')).to.match(new RegExp(`^${f.replace(/\.txt$/, '')} DEFINITIONS ::= BEGIN`));
  });

  for (const how of ['+', '-']) {
    it(`snmptranslate -M ${how}DIR -m ALL: every module loads, nothing on stderr (Debian's own MIBs included)`, async () => {
      const r = await run('snmptranslate', ['-M', `${how}${dir}`, '-m', 'ALL', '-On', 'MTA-MIB::mtaGroupName', 'UCD-SNMP-MIB::memTotalReal.0', 'NET-SNMP-VACM-MIB::nsVacmContextMatch', 'NET-SNMP-EXAMPLES-MIB::netSnmpIETFWGTable']);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(r.stdout.split('\n').filter(Boolean)).to.deep.equal(['.1.3.6.1.2.1.28.2.1.25', '.1.3.6.1.4.1.2021.4.5.0', '.1.3.6.1.4.1.8072.1.9.1.1.2', '.1.3.6.1.4.1.8072.2.2.1']);
    });
  }

  it('snmpwalk -M +DIR -m ALL names what it walks, nothing on stderr', async () => {
    const r = await run('snmpwalk', ['-v2c', '-c', 'public', '-M', `+${dir}`, '-m', 'ALL', agent!.target, 'mtaGroupName']);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines.length).to.be.above(0);
    for (const l of lines) expect(l).to.match(/^MTA-MIB::mtaGroupName\.\d+\.\d+ = STRING: \S/);
  });

  it('snmptable -M +DIR -m ALL prints the table, nothing on stderr', async () => {
    const r = await run('snmptable', ['-v2c', '-c', 'public', '-M', `+${dir}`, '-m', 'ALL', '-Cf', ',', agent!.target, 'mtaGroupTable']);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines[0]).to.equal('SNMP table: MTA-MIB::mtaGroupTable');
    expect(lines[1]!.split(',')).to.include.members(['mtaGroupReceivedMessages', 'mtaGroupName', 'mtaGroupLoopsDetected']);
    expect(lines.length - 2).to.equal([...agent!.model.applications.values()].reduce((n, a) => n + (a.mta?.channels.size ?? 0), 0));
  });

  it('list prints every served object in OID order, all 33 mtaGroupTable columns among them', async () => {
    const r = await run('node', [CLI, 'mib', 'list']);
    expect(r.code).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    const group = lines.filter((l) => l.startsWith('1.3.6.1.2.1.28.2.1.'));
    expect(group).to.have.length(33);
    expect(lines).to.include('1.3.6.1.2.1.28.2.1.25\tMTA-MIB::mtaGroupName\tcolumn\tSnmpAdminString');
    expect(lines).to.include('1.3.6.1.2.1.27.1.1.6\tNETWORK-SERVICES-MIB::applOperStatus\tcolumn\tINTEGER');
    expect(lines).to.include('1.3.6.1.2.1.1.3\tSNMPv2-MIB::sysUpTime\tscalar\tTimeTicks');
    expect(lines).to.include('1.3.6.1.4.1.32473.1.1.3\tMADMAN-MIB::madmanAgentEncodeErrors\tscalar\tCounter32');
    // applTable 16 + assocTable 4 + mtaTable 12 + mtaGroupTable 33 + association 1 + error 3
    const standard = lines.filter((l) => /^1\.3\.6\.1\.2\.1\.2[78]\./.test(l));
    expect(standard).to.have.length(69);
    const oids = lines.map((l) => l.split('\t')[0]!.split('.').map(Number));
    for (let i = 1; i < oids.length; i++) {
      const a = oids[i - 1]!;
      const b = oids[i]!;
      let c = 0;
      for (let k = 0; k < Math.min(a.length, b.length) && c === 0; k++) c = a[k]! - b[k]!;
      expect(c === 0 ? a.length - b.length : c, `${lines[i - 1]} before ${lines[i]}`).to.be.below(0);
    }
  });
});
