// SNMPv3 with the User-based Security Model against the real Net-SNMP tools:
// each auth and priv protocol gets data with the right pass phrases, and each
// failure gets the Report RFC 3414 asks for, with the counter really moving.

import { expect } from 'chai';
import dgram from 'node:dgram';
import { rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeV3, openScopedPdu } from '../../src/snmp/usm/message3.js';
import { Tag } from '../../src/snmp/ber.js';
import { run } from '../helpers/harness.js';
import { V3_MIB_OPTS, startV3Agent, v3, type V3User } from './snmpv3-support.js';

const CONFIG = `
rocommunity:
  - public 127.0.0.1
createUser:
  - alice SHA-256 "alice auth pass" AES "alice priv pass"
  - sam SHA "sam auth pass" AES "sam priv pass"
  - olga SHA-512 "olga auth pass" AES-256 "olga priv pass"
  - tess SHA-224 "tess auth pass" AES-192 "tess priv pass"
  - lara SHA-384 "lara auth pass"
  - fred SHA "fred auth pass" AES-256 "fred priv pass"
rouser:
  - alice priv
  - sam priv
  - olga priv
  - tess priv
  - lara auth
  - fred priv
`;

const alice: V3User = { user: 'alice', level: 'authPriv', auth: ['SHA-256', 'alice auth pass'], priv: ['AES', 'alice priv pass'] };
const DESCR = /^SNMPv2-MIB::sysDescr\.0 = STRING: madman /;

describe('e2e: SNMPv3 USM', function () {
  let ta: Awaited<ReturnType<typeof startV3Agent>>;

  before(async () => {
    ta = await startV3Agent(CONFIG);
  });
  after(async () => {
    await ta?.stop();
  });

  /** A usmStats or snmpEngine scalar, read over v2c (a v3 tool's own discovery would count). */
  const read = async (name: string): Promise<number> => {
    const r = await run('snmpget', ['-v2c', '-c', 'public', '-t', '5', '-r', '0', ...V3_MIB_OPTS, '-Oqv', ta.target, `${name}.0`]);
    expect(r.stderr, name).to.equal('');
    return Number(r.stdout.trim().split(' ')[0]);
  };

  const cases: Array<[string, V3User]> = [
    ['authPriv SHA-256 + AES-128', alice],
    ['authPriv SHA-1 + AES-128', { user: 'sam', level: 'authPriv', auth: ['SHA', 'sam auth pass'], priv: ['AES', 'sam priv pass'] }],
    ['authPriv SHA-512 + AES-256', { user: 'olga', level: 'authPriv', auth: ['SHA-512', 'olga auth pass'], priv: ['AES256', 'olga priv pass'] }],
    ['authPriv SHA-224 + AES-192', { user: 'tess', level: 'authPriv', auth: ['SHA-224', 'tess auth pass'], priv: ['AES192', 'tess priv pass'] }],
    // SHA-1 gives 20 octets: AES-256 needs the key extension, Net-SNMP's AES256 agrees
    ['authPriv SHA-1 + AES-256 (extended key)', { user: 'fred', level: 'authPriv', auth: ['SHA', 'fred auth pass'], priv: ['AES256', 'fred priv pass'] }],
    ['authNoPriv SHA-384', { user: 'lara', level: 'authNoPriv', auth: ['SHA-384', 'lara auth pass'] }],
  ];
  for (const [name, u] of cases) {
    it(`${name} gets data`, async () => {
      const r = await v3('snmpget', u, [ta.target, 'sysDescr.0']);
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.match(DESCR);
    });
  }

  it('snmpwalk and snmpbulkwalk with authPriv walk the whole tree, the same as v2c', async () => {
    const walk = await v3('snmpwalk', alice, ['-On', ta.target, '.1']);
    const bulk = await v3('snmpbulkwalk', alice, ['-On', ta.target, '.1']);
    expect(walk.stderr + bulk.stderr).to.equal('');
    const names = (out: string) => out.split('\n').filter(Boolean).map((l) => l.split(' = ')[0]);
    expect(names(walk.stdout).length).to.be.above(40);
    expect(names(bulk.stdout)).to.deep.equal(names(walk.stdout));
    expect(names(walk.stdout)).to.include('.1.3.6.1.6.3.15.1.1.5.0'); // usmStatsWrongDigests
  });

  it('a wrong auth pass phrase gets a wrongDigest Report and usmStatsWrongDigests moves by one', async () => {
    const before = await read('usmStatsWrongDigests');
    const r = await v3('snmpget', { ...alice, auth: ['SHA-256', 'not the pass phrase'] }, [ta.target, 'sysDescr.0']);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.contain('Authentication failure (incorrect password, community or key)');
    expect(await read('usmStatsWrongDigests')).to.equal(before + 1);
  });

  it('a wrong priv pass phrase gets a decryptionError Report', async () => {
    const before = await read('usmStatsDecryptionErrors');
    const r = await v3('snmpget', { ...alice, priv: ['AES', 'not the pass phrase'] }, [ta.target, 'sysDescr.0']);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.contain('Decryption error');
    expect(await read('usmStatsDecryptionErrors')).to.equal(before + 1);
  });

  it('an unknown user gets unknownUserName', async () => {
    const before = await read('usmStatsUnknownUserNames');
    const r = await v3('snmpget', { ...alice, user: 'mallory' }, [ta.target, 'sysDescr.0']);
    expect(r.stderr).to.contain('Unknown user name');
    expect(await read('usmStatsUnknownUserNames')).to.equal(before + 1);
  });

  it('privacy for a user without a privacy key gets unsupportedSecLevel', async () => {
    const before = await read('usmStatsUnsupportedSecLevels');
    const r = await v3('snmpget', { user: 'lara', level: 'authPriv', auth: ['SHA-384', 'lara auth pass'], priv: ['AES', 'lara auth pass'] }, [ta.target, 'sysDescr.0']);
    expect(r.stderr).to.contain('Unsupported security level');
    expect(await read('usmStatsUnsupportedSecLevels')).to.equal(before + 1);
  });

  it('a context name other than the default gets an snmpUnknownContexts Report, and the counter moves by one', async () => {
    const before = await read('snmpUnknownContexts');
    const r = await v3('snmpget', alice, [ta.target, 'sysDescr.0'], ['-n', 'other']);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.contain('Bad context specified'); // how Net-SNMP names an snmpUnknownContexts Report
    expect(await read('snmpUnknownContexts')).to.equal(before + 1);
  });

  it('a user whose rouser level is priv is refused at authNoPriv (authorizationError)', async () => {
    const r = await v3('snmpget', { user: 'alice', level: 'authNoPriv', auth: alice.auth }, [ta.target, 'sysDescr.0']);
    expect(r.stdout + r.stderr).to.contain('authorizationError');
    expect(r.stdout).not.to.match(DESCR);
  });

  it('a forged engine time (-Z boots,time ahead) is refused: notInTimeWindow, no data', async () => {
    const before = await read('usmStatsNotInTimeWindows');
    const boots = await read('snmpEngineBoots');
    // no answer is the expected outcome here: a short timeout
    const r = await v3('snmpget', alice, [ta.target, 'sysDescr.0'], ['-Z', `${boots},999999`], 1);
    // the tool sees our (authenticated) Report as out of its own forged window and gives up
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.contain('Timeout');
    expect(await read('usmStatsNotInTimeWindows')).to.equal(before + 1);
  });

  it('a stale engine boots gets an authenticated notInTimeWindow Report the tool trusts and resynchronizes from', async () => {
    const before = await read('usmStatsNotInTimeWindows');
    const r = await v3('snmpget', alice, [ta.target, 'sysDescr.0'], ['-Z', '0,5']);
    expect(r.stdout).to.match(DESCR);
    expect(await read('usmStatsNotInTimeWindows')).to.equal(before + 1);
  });

  it('a message for another engine ID (-e) is refused with unknownEngineID; discovery counts there too', async () => {
    const before = await read('usmStatsUnknownEngineIDs');
    const r = await v3('snmpget', alice, [ta.target, 'sysDescr.0'], ['-e', '0x80000000010203040506']);
    expect(r.stdout).to.equal('');
    expect(await read('usmStatsUnknownEngineIDs')).to.equal(before + 1);
    // a tool without -e discovers our engine ID first: one more
    await v3('snmpget', alice, [ta.target, 'sysDescr.0']);
    expect(await read('usmStatsUnknownEngineIDs')).to.equal(before + 2);
  });

  it('snmpEngineID is RFC 3411 format 5 under our enterprise number, snmpEngineTime counts seconds', async () => {
    const get = () => v3('snmpget', alice, [ta.target, 'snmpEngineID.0', 'snmpEngineTime.0', 'snmpEngineMaxMessageSize.0', 'sysUpTime.0'], ['-Oqvt']);
    let r = await get();
    // engine time and sysUpTime both start with the agent: once it has run 3 s, a clock stuck
    // at 0 (or counting anything but seconds) cannot pass
    const up = Number(r.stdout.trim().split('\n')[3]);
    if (up < 300) {
      await new Promise((res) => setTimeout(res, (300 - up) * 10));
      r = await get();
    }
    const [id, time, max, ticks] = r.stdout.trim().split('\n');
    expect(id!.replace(/[\s"]/g, '').slice(0, 10)).to.equal('80007ED905'); // 0x80000000 | 32473, format 5
    expect(id!.replace(/[\s"]/g, '')).to.have.length(26);
    const seconds = Math.floor(Number(ticks) / 100);
    expect(seconds).to.be.at.least(3);
    expect(Number(time!.split(' ')[0])).to.be.within(seconds - 2, seconds + 2);
    expect(max).to.equal('65507');
  });
});

describe('e2e: SNMPv3 engine boots and replays across a restart', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-v3-boots-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a restart increments snmpEngineBoots, keeps the engine ID, and a captured request replayed after it gets notInTimeWindow', async () => {
    const state = path.join(dir, 'state');
    const first = await startV3Agent(CONFIG, state);
    // a relay between snmpget and the agent keeps a copy of what the tool sent
    const relay = dgram.createSocket('udp4');
    const sent: Buffer[] = [];
    let client: dgram.RemoteInfo | undefined;
    relay.on('message', (msg, rinfo) => {
      if (rinfo.port === first.port) {
        if (client) relay.send(msg, client.port, client.address);
      } else {
        client = rinfo;
        sent.push(msg);
        relay.send(msg, first.port, '127.0.0.1');
      }
    });
    await new Promise<void>((r) => relay.bind(0, '127.0.0.1', r));
    let id1: string;
    try {
      const r = await v3('snmpget', alice, [`127.0.0.1:${relay.address().port}`, 'snmpEngineBoots.0', 'snmpEngineID.0'], ['-Oqv']);
      expect(r.stderr).to.equal('');
      const [boots, id] = r.stdout.trim().split('\n');
      expect(boots).to.equal('1');
      id1 = id!;
    } finally {
      relay.close();
      await first.stop();
    }
    // the last datagram the tool sent is the authenticated, encrypted GET
    const captured = sent[sent.length - 1]!;
    expect(decodeV3(captured).flags & 3).to.equal(3);

    const second = await startV3Agent(CONFIG, state);
    try {
      const r = await v3('snmpget', alice, [second.target, 'snmpEngineBoots.0', 'snmpEngineID.0'], ['-Oqv']);
      const [boots, id] = r.stdout.trim().split('\n');
      expect(boots).to.equal('2');
      expect(id).to.equal(id1);

      const sock = dgram.createSocket('udp4');
      let answer: Buffer;
      try {
        answer = await new Promise<Buffer>((resolve, reject) => {
          sock.once('message', resolve);
          setTimeout(() => reject(new Error('no answer to the replay')), 5000).unref();
          sock.send(captured, second.port, '127.0.0.1');
        });
      } finally {
        sock.close();
      }
      const m = decodeV3(answer);
      expect(m.flags).to.equal(1); // authenticated, not encrypted, not reportable
      expect(m.usm.boots).to.equal(2);
      const { pdu } = openScopedPdu(m.data.raw);
      const report = pdu.sequence(Tag.Report);
      report.integer();
      report.integer();
      report.integer();
      const vb = report.sequence().sequence();
      expect(vb.oid().join('.')).to.equal('1.3.6.1.6.3.15.1.1.2.0'); // usmStatsNotInTimeWindows.0
      expect(vb.integer(Tag.Counter32)).to.equal(1);
    } finally {
      await second.stop();
    }
  });
});
