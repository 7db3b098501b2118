// Serving over IPv6, and row indexes that survive a restart (StableIndexes).

import { expect } from 'chai';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { StableIndexes } from '../../src/state/stable-indexes.js';
import { get, parseVarbinds, show } from './support.js';

const APPL_NAME = '.1.3.6.1.2.1.27.1.1.2';
const GROUP_NAME = '.1.3.6.1.2.1.28.2.1.25';

function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: 'udp6', ipv6Only: true });
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(0, '::1', () => s.close(() => resolve(true)));
  });
}

describe('e2e: IPv6', function () {
  let ta: TestAgent | undefined;

  after(async () => {
    await ta?.stop();
  });

  it("listens on udp6:[::1]:0 and answers snmpget udp6:[::1]:PORT", async function () {
    if (!(await hasIpv6Loopback())) this.skip();
    const model = new MailSystem();
    model.addChannel(model.addApplication('mta'), 'smtp', { receivedMessages: 66 });
    ta = await startTestAgent({ model, settings: { listen: ['udp6:[::1]:0'] } });
    expect(ta.target).to.equal(`udp6:[::1]:${ta.port}`);
    expect(ta.port).to.be.greaterThan(0);
    const vbs = await get(ta.target, ['.1.3.6.1.2.1.28.2.1.2.1.1', `${GROUP_NAME}.1.1`]);
    expect(vbs.map(show)).to.deep.equal(['Counter32: 66', 'STRING: smtp']);
    const w = await snmp('snmpbulkwalk', ['-On', ta.target, GROUP_NAME]);
    expect(parseVarbinds(w.stdout).map(show)).to.deep.equal(['STRING: smtp']);
  });
});

describe('e2e: stable row indexes across restarts', function () {
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-e2e-state-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('channels a, b, c get 1, 2, 3; after a restart c keeps 3 and a new d gets 4; later e gets 5', async () => {
    const first = new StableIndexes(dir);
    const m1 = new MailSystem(first);
    const mta1 = m1.addApplication('mx');
    for (const name of ['a', 'b', 'c']) m1.addChannel(mta1, name);
    first.flush();
    const ta1 = await startTestAgent({ model: m1, stateDir: dir });
    try {
      const w = await snmp('snmpwalk', ['-On', ta1.target, GROUP_NAME]);
      expect(parseVarbinds(w.stdout).map((v) => `${v.oid} ${v.value}`)).to.deep.equal([
        `${GROUP_NAME}.1.1 a`,
        `${GROUP_NAME}.1.2 b`,
        `${GROUP_NAME}.1.3 c`,
      ]);
    } finally {
      await ta1.stop();
    }
    const saved = JSON.parse(readFileSync(path.join(dir, 'indexes.json'), 'utf8')) as Record<string, Record<string, number>>;
    expect(saved).to.deep.equal({ application: { mx: 1 }, 'channel:mx': { a: 1, b: 2, c: 3 } });

    const second = new StableIndexes(dir);
    const m2 = new MailSystem(second);
    const imap = m2.addApplication('imapd'); // new: after mx
    const mta2 = m2.addApplication('mx');
    m2.addChannel(mta2, 'c');
    m2.addChannel(mta2, 'd');
    second.flush();
    const ta2 = await startTestAgent({ model: m2, stateDir: dir });
    try {
      expect(imap.index).to.equal(2);
      const apps = await snmp('snmpwalk', ['-On', ta2.target, APPL_NAME]);
      expect(parseVarbinds(apps.stdout).map((v) => `${v.oid} ${v.value}`)).to.deep.equal([
        `${APPL_NAME}.1 mx`,
        `${APPL_NAME}.2 imapd`,
      ]);
      const w = await snmp('snmpwalk', ['-On', ta2.target, GROUP_NAME]);
      expect(parseVarbinds(w.stdout).map((v) => `${v.oid} ${v.value}`)).to.deep.equal([
        `${GROUP_NAME}.1.3 c`,
        `${GROUP_NAME}.1.4 d`,
      ]);
    } finally {
      await ta2.stop();
    }
    const again = JSON.parse(readFileSync(path.join(dir, 'indexes.json'), 'utf8')) as Record<string, Record<string, number>>;
    expect(again).to.deep.equal({ application: { mx: 1, imapd: 2 }, 'channel:mx': { a: 1, b: 2, c: 3, d: 4 } });

    // A third start: b comes back with 2; a newcomer e gets 5, not a's or c's number.
    const third = new StableIndexes(dir);
    const m3 = new MailSystem(third);
    const mta = m3.addApplication('mx');
    const e = m3.addChannel(mta, 'e');
    const b = m3.addChannel(mta, 'b');
    third.flush();
    expect([e.index, b.index]).to.deep.equal([5, 2]);
    const ta3 = await startTestAgent({ model: m3, stateDir: dir });
    try {
      const w = await snmp('snmpwalk', ['-On', ta3.target, GROUP_NAME]);
      expect(parseVarbinds(w.stdout).map((v) => `${v.oid} ${v.value}`)).to.deep.equal([
        `${GROUP_NAME}.1.2 b`,
        `${GROUP_NAME}.1.5 e`,
      ]);
    } finally {
      await ta3.stop();
    }
  });
});
