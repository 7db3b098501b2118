// An open-loop SNMP GET load, in a process of its own: C clients (UDP sockets) send
// RATE requests per second in all, on a schedule that does not wait for answers (a slow
// agent gets the same offered load, and what it does not answer in time is lost), and
// record each answer's latency from the moment its request was sent. Prints one JSON
// line: sent, answered, lost, p50/p99/p999/max in ms, and, with --flood, the datagrams
// another socket sent meanwhile (bad packets to refuse, bench-hostile.ts).
//
//   node dist/scripts/load-client.js '{"port":161,"rate":5000,"seconds":8,"clients":4,...}'

import dgram from 'node:dgram';
import { encodeInteger, encodeOid, tlv, Tag } from '../src/snmp/ber.js';

export interface LoadSpec {
  port: number;
  /** GET requests per second, all clients together */
  rate: number;
  seconds: number;
  clients: number;
  oids: string[];
  community: string;
  /** an answer later than this is counted lost */
  timeoutMs: number;
  /** datagrams sent as fast as possible from one more socket while the load runs */
  flood?: { packet: string; perTick: number };
}

export interface LoadResult {
  sent: number;
  answered: number;
  lost: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** flood datagrams sent, and answers to them received */
  floodSent: number;
  floodAnswers: number;
}

/** A GET request whose request-id is always 4 octets at a known offset (patched per request). */
function template(community: string, oids: string[]): { buf: Buffer; idAt: number } {
  const vbs = oids.map((o) => tlv(Tag.Sequence, [encodeOid(o.replace(/^\./, '').split('.').map(Number)), Buffer.from([Tag.Null, 0])]));
  const idField = encodeInteger(0x7f000000); // 02 04 xx xx xx xx
  const pdu = tlv(Tag.GetRequest, [idField, encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence, vbs)]);
  const buf = tlv(Tag.Sequence, [encodeInteger(1), tlv(Tag.OctetString, Buffer.from(community)), pdu]);
  const idAt = buf.indexOf(idField) + 2;
  return { buf, idAt };
}

/** The request-id of a response (skipping the headers), or -1. */
function responseId(m: Buffer): number {
  let p = 0;
  const header = (): number => {
    p++; // tag
    let len = m[p++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + m[p++]!;
    }
    return len;
  };
  try {
    header(); // message
    // (`p += header()` would read p before header() moves it)
    const version = header();
    p += version;
    const community = header();
    p += community;
    header(); // PDU
    const n = header(); // request-id
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + m[p + i]!;
    return v;
  } catch {
    return -1;
  }
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const total = Math.round(spec.rate * spec.seconds);
  const sentAt = new Float64Array(total).fill(-1);
  const latency = new Float64Array(total);
  let answered = 0;
  const socks = Array.from({ length: spec.clients }, () => dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 }));
  const tpl = template(spec.community, spec.oids);
  const BASE = 0x01000000;
  for (const s of socks) {
    s.on('message', (m) => {
      const id = responseId(m) - BASE;
      if (id < 0 || id >= total || sentAt[id]! < 0 || latency[id]! > 0) return;
      const ms = performance.now() - sentAt[id]!;
      if (ms > spec.timeoutMs) return;
      latency[id] = ms;
      answered++;
    });
  }
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', r))));
  let flood: dgram.Socket | undefined;
  let floodSent = 0;
  let floodAnswers = 0;
  const floodPacket = spec.flood ? Buffer.from(spec.flood.packet, 'base64') : undefined;
  if (spec.flood) {
    flood = dgram.createSocket({ type: 'udp4', sendBufferSize: 8 << 20 });
    flood.on('message', () => floodAnswers++);
    flood.on('error', () => {});
    await new Promise<void>((r) => flood!.bind(0, '127.0.0.1', r));
  }

  let next = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // every request due by now (catching up after a late timer), round-robin over the clients
      const due = Math.min(total, Math.floor(((now - start) / 1000) * spec.rate) + 1);
      for (; next < due; next++) {
        const c = next % spec.clients;
        // a buffer per request: send() is asynchronous, and reads the buffer later
        const b = Buffer.from(tpl.buf);
        b.writeUInt32BE(BASE + next, tpl.idAt);
        sentAt[next] = performance.now();
        socks[c]!.send(b, spec.port, '127.0.0.1');
      }
      if (flood && floodPacket) {
        for (let i = 0; i < spec.flood!.perTick; i++) flood.send(floodPacket, spec.port, '127.0.0.1', () => floodSent++);
      }
      if (next >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  // the last answers, up to the timeout
  await new Promise((r) => setTimeout(r, spec.timeoutMs));
  for (const s of socks) s.close();
  flood?.close();
  const got = new Float64Array(answered);
  let k = 0;
  for (let i = 0; i < total; i++) if (latency[i]! > 0) got[k++] = latency[i]!;
  got.sort();
  return {
    sent: total,
    answered,
    lost: total - answered,
    p50: quantile(got, 0.5),
    p99: quantile(got, 0.99),
    p999: quantile(got, 0.999),
    max: got.length ? got[got.length - 1]! : NaN,
    floodSent,
    floodAnswers,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const r = await runLoad(spec);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
