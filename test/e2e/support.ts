// Helpers shared by the end-to-end tests: reading Net-SNMP tool output (-On), a tiny
// BER writer/reader of our own for hand-made datagrams (deliberately independent of
// src/snmp/ber.ts, so a codec bug cannot hide itself), and clock helpers for the
// time-dependent columns.

import dgram from 'node:dgram';
import { expect } from 'chai';
import { snmp, type TestAgent } from '../helpers/harness.js';

export interface Varbind {
  oid: string;
  /** Net-SNMP's type word (STRING, INTEGER, Counter32, Gauge32, Timeticks, OID, Hex-STRING)
   *  or noSuchObject / noSuchInstance / endOfMibView */
  type: string;
  value: string;
}

const EXCEPTIONS: Array<[string, string]> = [
  ['No Such Object available on this agent at this OID', 'noSuchObject'],
  ['No Such Instance currently exists at this OID', 'noSuchInstance'],
  ['No more variables left in this MIB View (It is past the end of the MIB tree)', 'endOfMibView'],
];

/** Parses "-On" output lines ".1.3... = TYPE: value" (one line per varbind). */
export function parseVarbinds(stdout: string): Varbind[] {
  const out: Varbind[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '' || line === 'End of MIB') continue;
    const m = /^(\.[0-9.]+) = (.*)$/.exec(line);
    if (!m) throw new Error(`unexpected tool output line: ${JSON.stringify(line)}`);
    const oid = m[1]!;
    const rest = m[2]!;
    const ex = EXCEPTIONS.find(([text]) => text === rest);
    if (ex) {
      out.push({ oid, type: ex[1], value: '' });
      continue;
    }
    if (rest === '""') {
      out.push({ oid, type: 'STRING', value: '' });
      continue;
    }
    const t = /^([A-Za-z0-9-]+): (.*)$/.exec(rest);
    if (!t) throw new Error(`cannot read value in ${JSON.stringify(line)}`);
    let type = t[1]!;
    let value = t[2]!;
    if (type === 'STRING' && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (type === 'Timeticks') value = /^\((\d+)\)/.exec(value)![1]!;
    if (type === 'Hex-STRING') value = value.trim();
    out.push({ oid, type, value });
  }
  return out;
}

/** "Counter32: 5" style of a varbind, for compact exact comparisons. */
export function show(vb: Varbind): string {
  return `${vb.type}: ${vb.value}`;
}

/** snmpget -On (-Cf: no automatic retry without the failed object); must succeed. */
export async function get(target: string, oids: string[], opts: { version?: '1' | '2c'; community?: string } = {}): Promise<Varbind[]> {
  const r = await snmp('snmpget', ['-On', '-Cf', target, ...oids], opts);
  expect(r.stderr, `snmpget ${oids.join(' ')}`).to.equal('');
  expect(r.code).to.equal(0);
  const vbs = parseVarbinds(r.stdout);
  expect(vbs.map((v) => v.oid)).to.deep.equal(oids.map((o) => (o.startsWith('.') ? o : `.${o}`)));
  return vbs;
}

/** Map of OID -> "TYPE: value" of one snmpget. */
export async function getShown(target: string, oids: string[]): Promise<Record<string, string>> {
  const vbs = await get(target, oids);
  return Object.fromEntries(vbs.map((v) => [v.oid, show(v)]));
}

/** Reads unsigned counters (Counter32/Gauge32) in one request. */
export async function counters(target: string, oids: string[], community?: string): Promise<number[]> {
  const vbs = await get(target, oids, community ? { community } : {});
  return vbs.map((v) => {
    expect(['Counter32', 'Gauge32'], v.oid).to.include(v.type);
    return Number(v.value);
  });
}

/** Runs a tool and notes the wall clock just before and just after. */
export async function timed<T>(f: () => Promise<T>): Promise<{ result: T; before: number; after: number }> {
  const before = Date.now();
  const result = await f();
  const after = Date.now();
  return { result, before, after };
}

/** TimeInterval "how long ago" of `t` for a request answered between before and after: [lo, hi]. */
export function sinceRange(t: number, before: number, after: number): [number, number] {
  return [Math.floor((before - t) / 10), Math.floor((after - t) / 10)];
}

/** TimeInterval "how long until" `t`: [lo, hi] (0 if past). */
export function untilRange(t: number, before: number, after: number): [number, number] {
  return [Math.max(0, Math.floor((t - after) / 10)), Math.max(0, Math.floor((t - before) / 10))];
}

/**
 * TimeStamp of an event at `t` (after the agent started), given sysUpTime `up` read in
 * the same request, answered between before and after: [lo, hi].
 * sysUpTime = floor((now - S)/10), value = floor((t - S)/10), now in [before, after].
 */
export function timeStampRange(t: number, up: number, before: number, after: number): [number, number] {
  return [up + Math.floor((t - after) / 10), up + Math.floor((t - before) / 10) + 1];
}

export function expectIn(v: number, [lo, hi]: [number, number], what: string): void {
  expect(v, `${what}: ${v} not in [${lo}, ${hi}]`).to.be.within(lo, hi);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));


// ---- a minimal BER writer and reader, for hand-made datagrams ----

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const b: number[] = [];
  while (n > 0) {
    b.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | b.length, ...b];
}

export function berTlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, ...lengthBytes(body.length)]), body]);
}

export function berInt(v: number): Buffer {
  const b: number[] = [];
  let x = v;
  do {
    b.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (!(x === 0 && (b[0]! & 0x80) === 0) && !(x === -1 && (b[0]! & 0x80) !== 0));
  return berTlv(0x02, Buffer.from(b));
}

export function berOid(text: string): Buffer {
  const arcs = text.replace(/^\./, '').split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const tmp = [v % 128];
    v = Math.floor(v / 128);
    while (v > 0) {
      tmp.unshift((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return berTlv(0x06, Buffer.from(out));
}

export const PDU = { get: 0xa0, getNext: 0xa1, response: 0xa2, set: 0xa3, getBulk: 0xa5 } as const;

/** A community-based request message: version 0 = v1, 1 = v2c (any number may be given). */
export function request(opts: {
  version: number;
  community?: string;
  pdu?: number;
  requestId: number;
  a?: number;
  b?: number;
  oids: string[];
}): Buffer {
  const vbs = opts.oids.map((o) => berTlv(0x30, berOid(o), Buffer.from([0x05, 0x00])));
  const pdu = berTlv(
    opts.pdu ?? PDU.get,
    berInt(opts.requestId),
    berInt(opts.a ?? 0),
    berInt(opts.b ?? 0),
    berTlv(0x30, ...vbs),
  );
  return berTlv(0x30, berInt(opts.version), berTlv(0x04, Buffer.from(opts.community ?? 'public')), pdu);
}

interface Tlv {
  tag: number;
  body: Buffer;
}

function readTlvs(buf: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let p = 0;
  while (p < buf.length) {
    const tag = buf[p++]!;
    let len = buf[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
    }
    if (p + len > buf.length) throw new Error('truncated TLV');
    out.push({ tag, body: buf.subarray(p, p + len) });
    p += len;
  }
  return out;
}

function readInt(b: Buffer): number {
  let v = b.readInt8(0);
  for (let i = 1; i < b.length; i++) v = v * 256 + b[i]!;
  return v;
}

function readOid(b: Buffer): string {
  const arcs: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(Math.min(2, Math.floor(v / 40)), v - Math.min(2, Math.floor(v / 40)) * 40);
      else arcs.push(v);
      v = 0;
    }
  }
  return '.' + arcs.join('.');
}

export interface DecodedResponse {
  version: number;
  community: string;
  pduType: number;
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: Array<{ oid: string; tag: number; value: Buffer }>;
}

export function decodeResponse(buf: Buffer): DecodedResponse {
  const [msg] = readTlvs(buf);
  const [version, community, pdu] = readTlvs(msg!.body);
  const [rid, es, ei, list] = readTlvs(pdu!.body);
  const varbinds = readTlvs(list!.body).map((vb) => {
    const [oid, value] = readTlvs(vb.body);
    return { oid: readOid(oid!.body), tag: value!.tag, value: value!.body };
  });
  return {
    version: readInt(version!.body),
    community: community!.body.toString('utf8'),
    pduType: pdu!.tag,
    requestId: readInt(rid!.body),
    errorStatus: readInt(es!.body),
    errorIndex: readInt(ei!.body),
    varbinds,
  };
}

/** A UDP client socket that records every datagram it receives. */
export class RawClient {
  readonly received: Buffer[] = [];
  private readonly sock: dgram.Socket;
  private waiters: Array<() => void> = [];

  constructor(private readonly agent: TestAgent) {
    this.sock = dgram.createSocket('udp4');
    this.sock.on('message', (m) => {
      this.received.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(buf: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.sock.send(buf, this.agent.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  }

  /** Waits for a response with this request-id (fails after timeoutMs). */
  async response(requestId: number, timeoutMs = 3000): Promise<DecodedResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const m of this.received) {
        try {
          const d = decodeResponse(m);
          if (d.requestId === requestId) return d;
        } catch {
          // not ours to judge here
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response with request-id ${requestId}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }
}
