// Issue 19: SIGHUP reloads the configuration of a running `madman agent --config FILE`.
// One agent process goes through three reloads and one refused file while a client keeps
// polling it on the same UDP port: every poll is answered, snmpInPkts only grows.
// - communities, views and SNMPv3 users change for the next request (engine boots kept);
// - sysContact changes; alarms take new rules over the same instances (counts kept);
// - the probes source restarts (its settings changed): a kept probe's counters go on, a
//   removed probe's rows leave, a new one appears; the Postfix source, unchanged, keeps
//   running, and when its own settings change it restarts from its checkpoint: the log
//   lines it had read are not counted again, those written after are counted once;
// - the GetBulk cap and the sockets' receive buffer change on the bound socket;
// - a file with an unknown key is refused, the error names key and line, the old one stays.

import { expect } from 'chai';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from '../helpers/ports.js';
import { run, snmp, type TestAgent } from '../helpers/harness.js';
import { startCliAgent, type CliAgent } from './integration-support.js';
import { PDU, RawClient, parseVarbinds, request, sleep } from './support.js';

const SYS_CONTACT = '.1.3.6.1.2.1.1.4.0';
const SNMP_IN_PKTS = '.1.3.6.1.2.1.11.1.0';
const ENGINE_BOOTS = '.1.3.6.1.6.3.10.2.1.2.0';
const APPL_NAME = '.1.3.6.1.2.1.27.1.1.2';
const MTA_RECEIVED = '.1.3.6.1.2.1.28.1.1.1';
const PROBE = '.1.3.6.1.4.1.32473.1.3.1.1';
const ALARM = '.1.3.6.1.4.1.32473.1.5.1';
const SOURCE = '.1.3.6.1.4.1.32473.1.8.1';

/** Five log lines of one message picked up, delivered locally and removed, at `t`. */
function message(n: number, t: number): string[] {
  const at = (ms: number) => `${new Date(t + ms).toISOString().slice(0, 23)}000+00:00 relay1`;
  const id = `C${(0x100000 + n).toString(16).toUpperCase()}`;
  return [
    `${at(0)} postfix/pickup[110]: ${id}: uid=0 from=<root>`,
    `${at(10)} postfix/cleanup[111]: ${id}: message-id=<m${n}@relay1.example>`,
    `${at(20)} postfix/qmgr[101]: ${id}: from=<root@relay1.example>, size=1000, nrcpt=1 (queue active)`,
    `${at(30)} postfix/local[140]: ${id}: to=<u@relay1.example>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)`,
    `${at(40)} postfix/qmgr[101]: ${id}: removed`,
  ];
}

interface Step {
  communities: string[];
  view: string[];
  users: string[];
  contact: string;
  probes: Array<{ name: string; port: number }>;
  warningHours: number;
  queueInterval: number;
  /** maxGetbulkResponses and serverRecvBuf, when set */
  limits?: { responses: number; recvBuf: number };
}

describe('SIGHUP reloads the configuration of a running agent', function () {
  this.timeout(240000);
  let dir = '';
  let agent: CliAgent | undefined;
  let client: RawClient | undefined;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-reload-'));
  });
  after(async () => {
    await client?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies communities, users, views, alarms, probes and sources on the same socket, and refuses a bad file', async () => {
    // closed loopback ports: the probes fail (servicedown raised), which is all they need to show
    const [closed1, closed2, closed3] = await freePorts(3);
    const config = path.join(dir, 'madman.yml');
    const log = path.join(dir, 'mail.log');
    const write = (s: Step) =>
      writeFileSync(
        config,
        [
          'listen: [udp:127.0.0.1:0]',
          'stateDir: state',
          ...(s.limits ? [`maxGetbulkResponses: ${s.limits.responses}`, `serverRecvBuf: ${s.limits.recvBuf}`] : []),
          'communities:',
          ...s.communities.map((c) => `  - name: ${c}`),
          `view: [${s.view.map((v) => JSON.stringify(v)).join(', ')}]`,
          'rocommunity: ["limited default -V partial"]',
          `createUser: [${s.users.map((u) => JSON.stringify(`${u} SHA ${u}-passphrase AES`)).join(', ')}]`,
          `rouser: [${s.users.map((u) => JSON.stringify(`${u} priv`)).join(', ')}]`,
          'system:',
          `  contact: ${s.contact}`,
          '  location: rack 1',
          'postfix:',
          '  log: mail.log',
          `  queueInterval: ${s.queueInterval}`,
          'probes:',
          // a long interval: one check at each start of the probes source, no more
          ...s.probes.flatMap((p) => [`  - name: ${p.name}`, '    protocol: smtp', '    host: 127.0.0.1', `    port: ${p.port}`, '    interval: 3600', '    timeout: 5']),
          'alarms:',
          '  servicedown:',
          '    statInterval: 1',
          `    warningInterval: ${s.warningHours}`,
          '',
        ].join('\n'),
      );
    const first: Step = {
      communities: ['keep', 'old'],
      view: ['partial included system'],
      users: ['keepuser', 'olduser'],
      contact: 'a@example.org',
      probes: [
        { name: 'stays', port: closed1! },
        { name: 'gone', port: closed2! },
      ],
      warningHours: 1,
      queueInterval: 60,
    };
    writeFileSync(log, `${[1, 2, 3].flatMap((n) => message(n, Date.now() - 60000 + n * 1000)).join('\n')}\n`);
    write(first);
    agent = await startCliAgent(['agent', '--config', config, '--from-start'], dir);
    const port = Number(/listening on udp4:127\.0\.0\.1:(\d+)/.exec(agent.stdout())![1]);
    const target = `127.0.0.1:${port}`;
    const get = async (community: string, oids: string[]) => parseVarbinds((await snmp('snmpget', ['-On', target, ...oids], { community })).stdout);
    const walk = async (community: string, oid: string) => parseVarbinds((await snmp('snmpbulkwalk', ['-On', target, oid], { community })).stdout);
    const v3 = (user: string, oid: string) =>
      snmp('snmpget', ['-v3', '-u', user, '-l', 'authPriv', '-a', 'SHA', '-A', `${user}-passphrase`, '-x', 'AES', '-X', `${user}-passphrase`, '-t', '2', '-r', '1', '-On', target, oid]);
    const until = async <T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 60000): Promise<T> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const v = await read();
        if (ok(v)) return v;
        if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
        await sleep(200);
      }
    };
    const applIndex = async (name: string) => {
      const row = (await walk('keep', APPL_NAME)).find((v) => v.value === name);
      return row ? Number(row.oid.split('.').pop()) : undefined;
    };
    const probeColumn = async (col: number, index: number) => (await get('keep', [`${PROBE}.${col}.${index}`]))[0]?.value;
    const received = async () => (await walk('keep', MTA_RECEIVED)).map((v) => v.value);
    const reloads = () => agent!.stdout().split('\n').filter((l) => l.startsWith('madman: configuration reloaded'));
    const hangup = async (n: number) => {
      agent!.child.kill('SIGHUP');
      await until('reload line', async () => reloads(), (l) => l.length >= n);
      return reloads()[n - 1];
    };

    // The first start: three messages read, both probes checked once, servicedown raised for them.
    expect(await until('messages read', received, (r) => r.length === 1 && r[0] === '3')).to.deep.equal(['3']);
    const stays = (await until('stays row', () => applIndex('stays smtp on 127.0.0.1'), (i) => i !== undefined))!;
    const gone = (await applIndex('gone smtp on 127.0.0.1'))!;
    expect(await until('stays checked', () => probeColumn(10, stays), (v) => v === '1')).to.equal('1');
    const alarmRow = async () => {
      const ids = await walk('keep', `${ALARM}.3`);
      const row = ids.find((v) => v.value === 'stays smtp on 127.0.0.1');
      return row && Number(row.oid.split('.').pop());
    };
    const alarm = (await until('servicedown instance', alarmRow, (i) => i !== undefined))!;
    // warning interval, times over threshold, when reset, when raised, raised
    const alarmColumns = async () => (await get('keep', [12, 13, 17, 18, 19].map((c) => `${ALARM}.${c}.${alarm}`))).map((v) => v.value);
    const before = await until('raised', alarmColumns, (c) => c[4] === '1');
    expect([before[0], before[1]]).to.deep.equal(['3600', '1']);
    expect((await get('old', [SYS_CONTACT]))[0]!.value).to.equal('a@example.org');
    expect((await walk('limited', MTA_RECEIVED)).map((v) => v.type)).to.deep.equal(['endOfMibView']);
    expect((await v3('olduser', SYS_CONTACT)).stdout).to.contain('a@example.org');
    expect((await v3('newuser', SYS_CONTACT)).stderr).to.match(/Unknown user name/);
    const boots = (await get('keep', [ENGINE_BOOTS]))[0]!.value;

    // From here to the end a client polls on the same port, every 20 ms; each poll is answered
    // (within 15 s: a closed socket would answer none).
    client = new RawClient({ port } as TestAgent);
    let polling = true;
    let requestId = 1000;
    const inPkts: number[] = [];
    const poller = (async () => {
      while (polling) {
        const id = ++requestId;
        await client!.send(request({ version: 1, community: 'keep', pdu: PDU.get, requestId: id, oids: [SNMP_IN_PKTS] }));
        const value = (await client!.response(id, 15000)).varbinds[0]!.value;
        client!.received.length = 0;
        inPkts.push(value.readUIntBE(0, value.length));
        await sleep(20);
      }
    })();

    // Reload 1: access, the system group, the probes, the alarm's rule; Postfix untouched.
    write({
      ...first,
      communities: ['keep', 'new'],
      view: ['partial included system', 'partial included .1.3.6.1.2.1.28'],
      users: ['keepuser', 'newuser'],
      contact: 'b@example.org',
      probes: [
        { name: 'stays', port: closed1! },
        { name: 'fresh', port: closed3! },
      ],
      warningHours: 2,
    });
    expect(await hangup(1)).to.equal(
      'madman: configuration reloaded (changed: alarms, communities, probes, security, system; sources restarted from their checkpoint: probes)',
    );
    expect((await get('new', [SYS_CONTACT]))[0]!.value).to.equal('b@example.org');
    const old = await snmp('snmpget', ['-On', '-t', '1', '-r', '0', target, SYS_CONTACT], { community: 'old' });
    expect(old.stderr).to.match(/Timeout/);
    expect((await walk('limited', MTA_RECEIVED)).map((v) => v.value)).to.deep.equal(['3']);
    expect((await v3('olduser', SYS_CONTACT)).stderr).to.match(/Unknown user name/);
    expect((await v3('newuser', SYS_CONTACT)).stdout).to.contain('b@example.org');
    expect((await v3('keepuser', SYS_CONTACT)).stdout).to.contain('b@example.org');
    expect((await get('keep', [ENGINE_BOOTS]))[0]!.value).to.equal(boots);
    // the kept probe went on counting (checked again as its source restarted); the removed one left
    expect(await until('stays checked again', () => probeColumn(10, stays), (v) => v === '2')).to.equal('2');
    expect(await probeColumn(11, stays)).to.equal('2');
    expect(await applIndex('gone smtp on 127.0.0.1')).to.equal(undefined);
    expect((await get('keep', [`${PROBE}.1.${gone}`]))[0]!.type).to.equal('noSuchInstance');
    expect(await until('fresh row', () => applIndex('fresh smtp on 127.0.0.1'), (i) => i !== undefined)).to.be.above(gone);
    // the same alarm instance, under the new rule, its count going on from where it was
    // (a new instance would have been reset and raised again, now)
    expect(await alarmColumns()).to.deep.equal(['7200', ...before.slice(1)]);
    expect(await received()).to.deep.equal(['3']);

    // GetBulk answers as many varbinds as asked (up to snmpd's default cap, 100); the socket's
    // receive buffer (ss reports twice what was set, as the kernel keeps it) is the default
    const bulk = async () => parseVarbinds((await snmp('snmpbulkget', ['-On', '-Cr20', target, '.1.3.6.1.2.1.1'], { community: 'keep' })).stdout).length;
    const recvBuf = async () => {
      const r = await run('ss', ['-u', '-a', '-m', '-n', `sport = :${port}`]);
      return Number(/\brb(\d+)/.exec(r.stdout)?.[1]);
    };
    expect(await bulk()).to.equal(20);
    expect(await recvBuf()).to.not.equal(2 * 65536);

    // Reload 2: the Postfix source's own settings changed: it restarts from its checkpoint;
    // the GetBulk cap and the receive buffer (hostile input's limits) apply on the bound socket.
    write({ ...first, communities: ['keep', 'new'], view: ['partial included system'], users: ['keepuser'], contact: 'b@example.org', probes: [{ name: 'stays', port: closed1! }, { name: 'fresh', port: closed3! }], warningHours: 2, queueInterval: 30, limits: { responses: 5, recvBuf: 65536 } });
    expect(await hangup(2)).to.equal(
      'madman: configuration reloaded (changed: limits, postfix, security; sources restarted from their checkpoint: postfix)',
    );
    expect(await bulk()).to.equal(5);
    expect(await recvBuf()).to.equal(2 * 65536);
    expect(await received()).to.deep.equal(['3']);
    appendFileSync(log, `${[4, 5].flatMap((n) => message(n, Date.now() - 5000 + n * 100)).join('\n')}\n`);
    expect(await until('new messages', received, (r) => r[0] === '5')).to.deep.equal(['5']);
    const lines = (await walk('keep', `${SOURCE}.7`)).map((v) => v.value);
    expect(lines).to.deep.equal(['25']);

    // A file that does not pass the checks: refused, key and line logged, the old one kept.
    writeFileSync(config, `listen: [udp:127.0.0.1:0]\ncommunities:\n  - name: other\nsystem:\n  contact: c@example.org\n  locaton: typo\n`);
    agent.child.kill('SIGHUP');
    const refused = await until('refusal logged', async () => agent!.stderr(), (e) => e.includes('configuration not reloaded'));
    const entry = JSON.parse(refused.split('\n').find((l) => l.includes('configuration not reloaded'))!) as Record<string, unknown>;
    expect([entry.level, entry.file, entry.key, entry.line, entry.err]).to.deep.equal([50, config, 'system.locaton', 6, `${config}:6: system.locaton: unknown key`]);
    expect(reloads()).to.have.length(2);
    expect((await get('new', [SYS_CONTACT]))[0]!.value).to.equal('b@example.org');

    polling = false;
    await poller;
    expect(inPkts.length).to.be.above(10);
    // one counter all along: each poll's reading is above the one before
    expect(inPkts.every((v, i) => i === 0 || v > inPkts[i - 1]!), inPkts.join(' ')).to.equal(true);
    expect(agent.child.exitCode).to.equal(null);
  });
});
