// Faults from the master side, on a scripted master (test/helpers/fake-agentx-master.ts):
// absent master, refused registration, Close, malformed, split, coalesced and
// little-endian PDUs, an unframable stream, unanswered pings; and the search-range
// rules (include, end, GetBulk) that snmpd 5.9.3 never exercises. Logged, retried, no crash.

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { loadMibs, type MibTree } from '../../src/mib/loader.js';
import { AgentxError, Flag, HEADER_SIZE, PduReader, PduType, PduWriter, VbType } from '../../src/snmp/agentx/pdu.js';
import { registeredSubtrees, startSubagent, type Subagent } from '../../src/snmp/agentx/subagent.js';
import type { SessionOptions } from '../../src/snmp/agentx/session.js';
import { FakeMaster } from '../helpers/fake-agentx-master.js';
import { BASE, valuesIndex } from './agentx-support.js';

type LogLine = { level: number; msg: string } & Record<string, unknown>;

function capture(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { lines, log: pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) }) };
}

const WARN = 40;
let tree: MibTree;

describe('e2e: AgentX faults on the master side', function () {
  this.timeout(20000);
  let dir: string;
  let master: FakeMaster;
  let sub: Subagent | undefined;
  let logs: LogLine[];
  let nextPacket = 1;

  before(() => {
    tree = loadMibs();
  });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-agentx-fake-'));
    master = new FakeMaster(path.join(dir, 'master'));
  });

  afterEach(async () => {
    await sub?.stop();
    sub = undefined;
    await master.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  function start(timing: Partial<Pick<SessionOptions, 'requestTimeoutMs' | 'pingIntervalMs' | 'backoffMs'>> = {}, all = false): Subagent {
    const c = capture();
    logs = c.lines;
    sub = startSubagent({
      address: `unix:${master.path}`,
      tree,
      index: valuesIndex(),
      uptime: () => 777,
      description: 'fault test',
      log: c.log,
      subtrees: all ? registeredSubtrees(tree) : [{ name: 'test', oid: BASE }],
      timing: { requestTimeoutMs: 1000, pingIntervalMs: 60000, backoffMs: { min: 20, max: 200 }, ...timing },
    });
    return sub;
  }

  const ready = () => master.until('registration', () => (sub!.session.ready ? true : undefined));

  /** A Get/GetNext/GetBulk from the master on the current connection; returns its packet ID. */
  function request(type: number, ranges: Array<{ start: number[]; include?: boolean; end?: number[] }>, bulk?: [number, number]): { pdu: Buffer; packetId: number } {
    const w = new PduWriter();
    if (bulk) w.u16(bulk[0]).u16(bulk[1]);
    for (const r of ranges) w.oid(r.start, r.include).oid(r.end ?? []);
    const packetId = nextPacket++;
    return { pdu: w.finish(type, { sessionId: 1000 + master.connections, transactionId: packetId, packetId }), packetId };
  }

  async function ask(type: number, ranges: Array<{ start: number[]; include?: boolean; end?: number[] }>, bulk?: [number, number]) {
    const { pdu, packetId } = request(type, ranges, bulk);
    master.sock.write(pdu);
    return master.response(packetId);
  }

  it('keeps trying while the master is absent, then opens and registers', async () => {
    start();
    await master.until('failed attempts', () => (logs.filter((l) => l.msg === 'AgentX master not reachable; retrying').length >= 2 ? true : undefined));
    await master.listen();
    await ready();
    expect(master.count(PduType.Open)).to.equal(1);
  });

  it('a refused registration is logged and retried; the others stand', async () => {
    await master.listen();
    master.policy.register = (oid, attempt) => (oid === '1.3.6.1.2.1.28' && attempt === 1 ? AgentxError.duplicateRegistration : AgentxError.noError);
    start({}, true);
    await ready();
    const warn = logs.find((l) => l.msg === 'AgentX registration refused; will retry');
    expect(warn).to.include({ level: WARN, subtree: 'mta', oid: '1.3.6.1.2.1.28', error: 263 });
    expect(sub!.session.stats.refusedRegistrations).to.equal(1);
    expect(master.count(PduType.Register)).to.equal(4);
    expect(master.connections).to.equal(1);
  });

  it('a Close from the master is logged; the subagent reconnects and registers again', async () => {
    await master.listen();
    start();
    await ready();
    master.sock.write(new PduWriter().u8(6).u8(0).u8(0).u8(0).finish(PduType.Close, { sessionId: 1001, transactionId: 0, packetId: 0 }));
    await master.until('a second registration', () => (master.count(PduType.Register, 2) === 1 && sub!.session.ready ? true : undefined));
    expect(logs.some((l) => l.msg === 'the AgentX master closed the session' && l.reason === 6)).to.equal(true);
  });

  it('a malformed PDU is answered parseError and counted; the session goes on', async () => {
    await master.listen();
    start();
    await ready();
    // a Get whose only OID claims 5 sub-identifiers and has none
    const bad = new PduWriter().u8(5).u8(4).u8(0).u8(0).finish(PduType.Get, { sessionId: 1001, transactionId: 90, packetId: 90 });
    master.sock.write(bad);
    const r = await master.response(90);
    expect(r.error).to.equal(AgentxError.parseError);
    expect(sub!.session.stats.parseErrors).to.equal(1);
    const ok = await ask(PduType.Get, [{ start: [...BASE, 7, 0] }]);
    expect(ok.varbinds).to.deep.equal([{ type: VbType.Counter32, name: [...BASE, 7, 0], value: 4294967295 }]);
    expect(logs.some((l) => l.msg === 'malformed AgentX PDU answered parseError' && l.level === WARN)).to.equal(true);
  });

  it('PDUs split into single bytes, and coalesced ones, are all answered', async () => {
    await master.listen();
    start();
    await ready();
    const one = request(PduType.GetNext, [{ start: [...BASE, 6] }]);
    for (const b of one.pdu) {
      master.sock.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const r1 = await master.response(one.packetId);
    expect(r1.varbinds).to.deep.equal([{ type: VbType.IpAddress, name: [...BASE, 6, 0], value: Buffer.from([192, 0, 2, 254]) }]);
    const three = [0, 1, 2].map((i) => request(PduType.Get, [{ start: [...BASE, 7 + i, 0] }]));
    const all = Buffer.concat(three.map((x) => x.pdu));
    const cut = three[0]!.pdu.length + 7;
    master.sock.write(all.subarray(0, cut));
    await new Promise((r) => setTimeout(r, 10));
    master.sock.write(all.subarray(cut));
    const types = [];
    for (const x of three) types.push((await master.response(x.packetId)).varbinds[0]!.type);
    expect(types).to.deep.equal([VbType.Counter32, VbType.Gauge32, VbType.TimeTicks]);
  });

  it('reads a little-endian PDU and answers in network byte order', async () => {
    await master.listen();
    start();
    await ready();
    // Get of BASE.7.0 (1.3.6.1.4.1.32473.99.7.0: prefix 4, sub-ids 1 32473 99 7 0), all fields little-endian
    const payload = Buffer.alloc(4 + 20 + 4);
    payload.set([5, 4, 0, 0]);
    [1, 32473, 99, 7, 0].forEach((v, i) => payload.writeUInt32LE(v, 4 + 4 * i));
    const h = Buffer.alloc(20);
    h.set([1, PduType.Get, 0, 0]);
    h.writeUInt32LE(1001, 4);
    h.writeUInt32LE(77, 8);
    h.writeUInt32LE(77, 12);
    h.writeUInt32LE(payload.length, 16);
    master.sock.write(Buffer.concat([h, payload]));
    const r = await master.response(77);
    expect(r.header.flags & Flag.NetworkByteOrder).to.equal(Flag.NetworkByteOrder);
    expect(r.uptime).to.equal(777);
    expect(r.varbinds).to.deep.equal([{ type: VbType.Counter32, name: [...BASE, 7, 0], value: 4294967295 }]);
  });

  it('a stream that cannot be framed closes the session (parseError) and a new one is opened', async () => {
    await master.listen();
    start();
    await ready();
    master.sock.write(Buffer.from([9, 5, 0x10, 0, ...Buffer.alloc(16)]));
    await master.until('a new session', () => (master.connections === 2 && sub!.session.ready ? true : undefined));
    const close = master.received.find((r) => r.conn === 1 && r.header.type === PduType.Close);
    expect(close?.buf[20]).to.equal(2); // reasonParseError
    expect(sub!.session.stats.parseErrors).to.equal(1);
  });

  it('a cut-short reply to Open is counted and the session is opened again', async () => {
    await master.listen();
    master.policy.cutShort = (type, conn) => type === PduType.Open && conn === 1;
    start();
    await master.until('a second session', () => (master.connections === 2 && sub!.session.ready ? true : undefined));
    expect(sub!.session.stats.parseErrors).to.equal(1);
    expect(master.count(PduType.Open)).to.equal(2);
    expect(logs.some((l) => l.msg === 'malformed AgentX Response; restarting the session' && l.level === WARN)).to.equal(true);
  });

  it('a malformed reply to Register restarts the session, which then registers the subtree', async () => {
    await master.listen();
    master.policy.cutShort = (type, conn) => type === PduType.Register && conn === 1;
    start();
    await master.until('a registration on the second session', () => (master.connections === 2 && sub!.session.ready ? true : undefined));
    expect(sub!.session.stats.parseErrors).to.equal(1);
    expect([master.count(PduType.Register, 1), master.count(PduType.Register, 2)]).to.deep.equal([1, 1]);
  });

  it('unanswered pings mean a dead master: the session is dropped and opened again', async () => {
    await master.listen();
    master.policy.answerPings = false;
    start({ pingIntervalMs: 100, requestTimeoutMs: 200 });
    await master.until('a reconnection', () => (master.connections >= 2 ? true : undefined));
    expect(logs.some((l) => l.msg === 'AgentX session lost; reconnecting' && l.reason === 'master does not answer')).to.equal(true);
  });

  it('a notification with a value its syntax refuses is dropped and counted; the next one goes out', async () => {
    await master.listen();
    start();
    await ready();
    const syntax = tree.object('madmanAgentDroppedRequests').syntax!;
    const oid = [...tree.object('madmanAgentDroppedRequests').oid, 0];
    const note = (value: number) => ({ name: 'test', oid: [...BASE, 0, 1], uptime: 5, varbinds: [{ name: 'madmanAgentDroppedRequests', oid, syntax, value }] });
    sub!.sink.send(note(-1)); // a Counter32 cannot be negative
    sub!.sink.send(note(7));
    await master.until('a Notify', () => (master.count(PduType.Notify) === 1 && sub!.sink.sent === 1 ? true : undefined));
    const n = master.received.find((r) => r.header.type === PduType.Notify)!;
    const vbs = new PduReader(n.buf, n.header, HEADER_SIZE).varbinds();
    expect(vbs.map((v) => [v.type, v.value])).to.deep.equal([
      [VbType.TimeTicks, 5],
      [VbType.ObjectIdentifier, [...BASE, 0, 1]],
      [VbType.Counter32, 7],
    ]);
    expect(sub!.sink.dropped).to.equal(1);
    expect(logs.some((l) => l.msg === 'notification has a value that cannot be encoded; not sent')).to.equal(true);
  });

  it('notifications go out while the master keeps refusing one subtree', async () => {
    await master.listen();
    master.policy.register = (oid) => (oid === '1.3.6.1.2.1.28' ? AgentxError.duplicateRegistration : AgentxError.noError);
    start({}, true);
    await master.until('a refusal', () => (sub!.session.stats.refusedRegistrations >= 1 ? true : undefined));
    const oid = [...tree.object('madmanAgentDroppedRequests').oid, 0];
    const syntax = tree.object('madmanAgentDroppedRequests').syntax!;
    sub!.sink.send({ name: 'test', oid: [...BASE, 0, 1], uptime: 5, varbinds: [{ name: 'madmanAgentDroppedRequests', oid, syntax, value: 3 }] });
    await master.until('a Notify', () => (master.count(PduType.Notify) === 1 && sub!.sink.sent === 1 ? true : undefined));
    expect(sub!.session.ready).to.equal(false);
    expect(sub!.sink.dropped).to.equal(0);
  });

  it('honours include, the search-range end and GetBulk repetitions; refuses Sets', async () => {
    await master.listen();
    start();
    await ready();
    const inc = await ask(PduType.GetNext, [{ start: [...BASE, 7, 0], include: true }]);
    expect(inc.varbinds.map((v) => v.name)).to.deep.equal([[...BASE, 7, 0]]);
    const bounded = await ask(PduType.GetNext, [{ start: [...BASE, 7, 0], end: [...BASE, 8] }]);
    expect(bounded.varbinds).to.deep.equal([{ type: VbType.EndOfMibView, name: [...BASE, 7, 0], value: null }]);
    const bulk = await ask(PduType.GetBulk, [{ start: [...BASE, 6] }, { start: [...BASE, 60], end: [...BASE, 60, 1, 3] }], [1, 4]);
    expect(bulk.varbinds.map((v) => [v.type, v.name.slice(BASE.length).join('.')])).to.deep.equal([
      [VbType.IpAddress, '6.0'],
      [VbType.OctetString, '60.1.2.1.97'],
      [VbType.OctetString, '60.1.2.1.98'],
      [VbType.OctetString, '60.1.2.2.195.188'],
      [VbType.EndOfMibView, '60.1.2.2.195.188'],
    ]);
    const outside = await ask(PduType.Get, [{ start: [1, 3, 6, 1, 2, 1, 1, 3, 0] }]);
    expect(outside.varbinds[0]!.type).to.equal(VbType.NoSuchObject);
    const set = request(PduType.TestSet, []);
    master.sock.write(set.pdu);
    expect((await master.response(set.packetId)).error).to.equal(AgentxError.notWritable);
  });
});
