// Fuzzing the AgentX subagent from the master's side: a scripted master (the fake of
// the AgentX tests) sends mutated Get, GetNext, GetBulk and Set-phase PDUs (headers,
// byte order, lengths, OIDs, search ranges, contexts, repetitions; whole, split or run
// together) to a subagent serving the real MIB views. The oracle: nothing reaches the
// session's last resort (logged as an internal error), the process does not crash,
// the subagent answers a plain Get after every batch (reconnecting when a PDU made it
// restart the session, as it must on a stream it cannot frame), and its heap stays flat.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { buildServing } from '../../src/agent.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { Flag, HEADER_SIZE, PduType, PduWriter } from '../../src/snmp/agentx/pdu.js';
import { startSubagent, type Subagent } from '../../src/snmp/agentx/subagent.js';
import { SnmpStats } from '../../src/snmp/udp-agent.js';
import { FakeMaster } from '../helpers/fake-agentx-master.js';
import { prng } from '../helpers/prng.js';
import { int, pick, type Rng } from './ber-mutate.js';
import { heapMiB, type FuzzReport } from './snmp-target.js';

const STARTS = [
  [1, 3, 6, 1, 2, 1, 27],
  [1, 3, 6, 1, 2, 1, 27, 1, 1, 2, 1],
  [1, 3, 6, 1, 2, 1, 28, 2, 1, 25],
  [1, 3, 6, 1, 2, 1, 28, 2, 1, 2, 1, 3],
  [1, 3, 6, 1, 4, 1, 32473],
  [1, 3, 6, 1, 4, 1, 32473, 1, 1, 1, 0],
  [1, 3, 6, 1, 2, 1, 1],
  [1, 3],
];

/** A well-formed request PDU of a random kind (the seed a mutation starts from). */
function seedPdu(rng: Rng, packetId: number, sessionId: number): Buffer {
  const type = pick(rng, [PduType.Get, PduType.GetNext, PduType.GetBulk, PduType.GetBulk, PduType.TestSet, PduType.CommitSet, PduType.UndoSet, PduType.CleanupSet]);
  const w = new PduWriter();
  if (type === PduType.GetBulk) w.u16(int(rng, 3)).u16(pick(rng, [1, 10, 100, 65535]));
  if (type === PduType.TestSet) {
    // a varbind list: Integer to a madman column
    w.u16(2).u16(0).oid(pick(rng, STARTS)).u32(7);
  } else if (type !== PduType.CommitSet && type !== PduType.UndoSet && type !== PduType.CleanupSet) {
    for (let k = 1 + int(rng, 4); k > 0; k--) {
      const start = pick(rng, STARTS);
      w.oid(start, rng() < 0.3);
      w.oid(rng() < 0.5 ? [] : [...start.slice(0, -1), (start.at(-1) ?? 0) + 1 + int(rng, 3)]);
    }
  }
  return w.finish(type, { sessionId, transactionId: packetId, packetId });
}

/** AgentX-aware mutations of one PDU: header fields, byte order, lengths, OID fields, sizes. */
function mutatePdu(pdu: Buffer, rng: Rng): { bytes: Buffer; how: string } {
  const b = Buffer.from(pdu);
  const payload = b.length - HEADER_SIZE;
  switch (int(rng, 11)) {
    case 0:
      b[0] = pick(rng, [0, 2, 255]);
      return { bytes: b, how: 'version' };
    case 1:
      b[1] = int(rng, 256);
      return { bytes: b, how: 'type' };
    case 2:
      b[2] ^= pick(rng, [Flag.NetworkByteOrder, Flag.NonDefaultContext, Flag.InstanceRegistration, 0xe0]);
      return { bytes: b, how: 'flags' };
    case 3:
      b.writeUInt32BE(pick(rng, [payload + 4, payload - 4, payload + 1, 0, 0x100004, 0xfffffffc]) >>> 0, 16);
      return { bytes: b, how: 'payload length' };
    case 4: {
      // an OID header inside the payload: n_subid, prefix, include
      if (payload < 4) return { bytes: b, how: 'none' };
      const at = HEADER_SIZE + 4 * int(rng, payload / 4);
      b[at] = pick(rng, [0, 127, 128, 129, 255]);
      b[at + 1] = int(rng, 256);
      b[at + 2] = pick(rng, [0, 1, 2, 255]);
      return { bytes: b, how: 'oid header' };
    }
    case 5:
      for (let k = 1 + int(rng, 6); k > 0; k--) b[int(rng, b.length)] ^= 1 << int(rng, 8);
      return { bytes: b, how: 'bit flips' };
    case 6: {
      // truncated payload, length field kept consistent
      const cut = HEADER_SIZE + 4 * int(rng, Math.max(1, payload / 4));
      const t = Buffer.from(b.subarray(0, cut));
      t.writeUInt32BE(cut - HEADER_SIZE, 16);
      return { bytes: t, how: 'truncated' };
    }
    case 7: {
      // many search ranges: a large payload
      const w = new PduWriter(1 << 16);
      if (b[1] === PduType.GetBulk) w.u16(0).u16(65535);
      for (let k = 200 + int(rng, 3000); k > 0; k--) w.oid(pick(rng, STARTS)).oid([]);
      return { bytes: w.finish(PduType.GetBulk, { sessionId: b.readUInt32BE(4), transactionId: 1, packetId: 1 }), how: 'many ranges' };
    }
    case 8: {
      // a context that is not there, or one whose length runs past the payload
      const w = new PduWriter();
      w.u32(pick(rng, [0, 4, 0xffffffff, 1 << 20]));
      w.u32(0x61616161);
      return { bytes: w.finish(pick(rng, [PduType.Get, PduType.GetBulk]), { sessionId: b.readUInt32BE(4), transactionId: 2, packetId: 2 }, Flag.NonDefaultContext), how: 'context' };
    }
    case 9: {
      // little-endian header over a big-endian payload
      const le = Buffer.from(b);
      le[2] &= ~Flag.NetworkByteOrder;
      for (const o of [4, 8, 12, 16]) le.writeUInt32LE(b.readUInt32BE(o), o);
      return { bytes: le, how: 'little-endian header' };
    }
    default:
      return { bytes: Buffer.concat([b, Buffer.alloc(4 * int(rng, 8), int(rng, 256))]), how: 'extra payload' };
  }
}

export async function fuzzAgentx(opts: { count: number; seed: number; progress?: (line: string) => void }): Promise<FuzzReport> {
  const rng = prng(opts.seed);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-fuzz-agentx-'));
  const master = new FakeMaster(path.join(dir, 'master'));
  await master.listen();
  const internal: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void internal.push(line) });
  const model = new MailSystem();
  const app = model.addApplication('postfix');
  for (let i = 0; i < 20; i++) model.addChannel(app, `ch${i}`, { receivedMessages: i });
  const { tree, index, ctx } = buildServing(model, new SnmpStats(), { contact: 'c', location: 'l' });
  const report: FuzzReport = { target: 'agentx', cases: 0, answered: 0, violations: [], heapGrowthMiB: 0 };
  let sub: Subagent | undefined;
  let nextPacket = 1_000_000;
  try {
    sub = startSubagent({
      address: `unix:${master.path}`,
      tree,
      index,
      uptime: () => 1,
      beginRequest: () => ctx.tick(),
      description: 'fuzz',
      log,
      // pings find a stream left waiting for a payload a garbled length announced
      timing: { backoffMs: { min: 5, max: 20 }, requestTimeoutMs: 500, pingIntervalMs: 500 },
    });
    const s = sub;
    const ready = async (what: string) => {
      const deadline = Date.now() + 10_000;
      while (!s.session.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      if (!s.session.ready) report.violations.push(`subagent not back within 10 s after ${what}`);
      return s.session.ready;
    };
    /**
     * A plain Get of an mtaGroupReceivedMessages cell: answered? A mutant may have left the
     * stream waiting for a payload (the session restarts once a ping goes unanswered): a
     * Get lost with its connection is sent again on the next one, for up to 15 s.
     */
    const alive = async (what: string) => {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        if (!(await ready(what))) return;
        const conn = master.connections;
        const packetId = nextPacket++;
        master.sock.write(new PduWriter().oid([1, 3, 6, 1, 2, 1, 28, 2, 1, 2, 1, 1]).oid([]).finish(PduType.Get, { sessionId: 1000 + conn, transactionId: packetId, packetId }));
        try {
          const r = await master.response(packetId, 2000);
          if (r.error !== 0 || r.varbinds.length !== 1) report.violations.push(`plain Get answered error ${r.error} after ${what}`);
          master.received.length = 0; // what the master recorded is not the subagent's memory
          return;
        } catch {
          // lost with a connection that was being replaced: try on the next one
          if (master.connections === conn && s.session.ready) await new Promise((r) => setTimeout(r, 100));
        }
      }
      report.violations.push(`plain Get not answered within 15 s after ${what}`);
    };
    await alive('start');
    const heap0 = heapMiB();
    for (let i = 0; i < opts.count; i++) {
      if (!s.session.ready) await ready(`case ${i - 1}`);
      const sessionId = 1000 + master.connections;
      const seed = seedPdu(rng, nextPacket++, sessionId);
      const { bytes, how } = rng() < 0.15 ? { bytes: seed, how: 'seed' } : mutatePdu(seed, rng);
      const before = master.received.length;
      // whole, split at a random point, or run together with a well-formed one
      const r = rng();
      if (r < 0.15 && bytes.length > 1) {
        const at = 1 + int(rng, bytes.length - 1);
        master.sock.write(bytes.subarray(0, at));
        await new Promise((res) => setImmediate(res));
        master.sock.write(bytes.subarray(at));
      } else if (r < 0.25) master.sock.write(Buffer.concat([bytes, seedPdu(rng, nextPacket++, sessionId)]));
      else master.sock.write(bytes);
      report.cases++;
      // the answer (or the session's reaction) before the next case
      const deadline = Date.now() + 50;
      while (master.received.length === before && s.session.ready && Date.now() < deadline) await new Promise((res) => setImmediate(res));
      if (master.received.length > before) report.answered++;
      if (internal.length) report.violations.push(`internal error: ${internal.splice(0).join(' | ').slice(0, 500)} after case ${i} (${how}): ${bytes.subarray(0, 120).toString('hex')}`);
      if (i % 100 === 99) {
        await alive(`case ${i} (${how})`);
        opts.progress?.(`agentx: ${i + 1} cases, ${master.connections} connections, ${report.violations.length} violations`);
      }
    }
    await alive('the last case');
    report.heapGrowthMiB = heapMiB() - heap0;
  } finally {
    await sub?.stop();
    await master.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
