// A scripted AgentX master on a unix socket, for faults the real snmpd cannot be made
// to show: refused registrations, Close at will, malformed, split and coalesced PDUs,
// little-endian PDUs, unanswered pings. It answers Open, Register and Ping by policy and
// records every PDU the subagent sends.

import net from 'node:net';
import { Framer } from '../../src/snmp/agentx/framer.js';
import { AgentxError, HEADER_SIZE, PduType, PduWriter, type Header } from '../../src/snmp/agentx/pdu.js';
import { decodeResponse, type ResponseBody } from '../../src/snmp/agentx/messages.js';

export interface Received {
  conn: number;
  header: Header;
  buf: Buffer;
}

export interface MasterPolicy {
  /** res.error for a Register of this subtree (default noError) */
  register?: (oid: string, attempt: number) => number;
  /** answer pings (default true) */
  answerPings?: boolean;
  /** answer this PDU with a Response cut short (payload of 4 octets, no error/index) */
  cutShort?: (type: number, conn: number) => boolean;
}

export class FakeMaster {
  readonly received: Received[] = [];
  connections = 0;
  private server: net.Server;
  private socks: net.Socket[] = [];
  private registerAttempts = new Map<string, number>();
  private waiters: Array<() => void> = [];
  policy: MasterPolicy = {};

  constructor(readonly path: string) {
    this.server = net.createServer((s) => this.onConnection(s));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.path, () => resolve());
    });
  }

  /** The current connection (the last one made). */
  get sock(): net.Socket {
    const s = this.socks[this.socks.length - 1];
    if (!s) throw new Error('no connection');
    return s;
  }

  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Waits until `pred` holds over what was received (fails after timeoutMs). */
  async until<T>(what: string, pred: () => T | undefined, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v !== undefined) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake master: timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The Response to our request with this packet ID. */
  response(packetId: number, timeoutMs = 3000): Promise<ResponseBody & { header: Header }> {
    return this.until(`response to packet ${packetId}`, () => {
      const r = this.received.find((x) => x.header.type === PduType.Response && x.header.packetId === packetId);
      return r ? { ...decodeResponse(r.header, r.buf), header: r.header } : undefined;
    }, timeoutMs);
  }

  count(type: number, conn?: number): number {
    return this.received.filter((r) => r.header.type === type && (conn === undefined || r.conn === conn)).length;
  }

  private onConnection(s: net.Socket): void {
    const conn = ++this.connections;
    this.socks.push(s);
    const framer = new Framer();
    s.on('error', () => {});
    s.on('data', (chunk: Buffer) => {
      framer.push(chunk, (header, buf) => {
        this.received.push({ conn, header, buf: Buffer.from(buf) });
        this.answer(s, conn, header, buf);
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  private answer(s: net.Socket, conn: number, h: Header, buf: Buffer): void {
    const ids = { sessionId: h.type === PduType.Open ? 1000 + conn : h.sessionId, transactionId: h.transactionId, packetId: h.packetId };
    const cut = this.policy.cutShort?.(h.type, conn) ?? false;
    const respond = (error: number) => s.write(cut ? new PduWriter().u32(0).finish(PduType.Response, ids) : new PduWriter().u32(0).u16(error).u16(0).finish(PduType.Response, ids));
    if (h.type === PduType.Open) respond(AgentxError.noError);
    else if (h.type === PduType.Register) {
      // subtree OID after timeout, priority, range_subid, reserved
      const n = buf[HEADER_SIZE + 4]!;
      const prefix = buf[HEADER_SIZE + 5]!;
      const arcs: number[] = prefix ? [1, 3, 6, 1, prefix] : [];
      for (let i = 0; i < n; i++) arcs.push(buf.readUInt32BE(HEADER_SIZE + 8 + 4 * i));
      const oid = arcs.join('.');
      const attempt = (this.registerAttempts.get(oid) ?? 0) + 1;
      this.registerAttempts.set(oid, attempt);
      respond(this.policy.register?.(oid, attempt) ?? AgentxError.noError);
    } else if (h.type === PduType.Ping) {
      if (this.policy.answerPings !== false) respond(AgentxError.noError);
    } else if (h.type === PduType.Notify) respond(AgentxError.noError);
  }
}
