// What bad packets cost, madman beside snmpd: while a normal GET stream runs (RATE GETs
// a second of 3 OIDs, open loop), one more socket floods the agent with datagrams it
// must refuse, as fast as the load client can send them:
//   wrong-community  a 1,400-octet GET (60 varbinds) with a community the agent lacks
//   wrong-65k        the same with 4,000 varbinds, 64 KB (decoding it all was the cost)
//   toobig-9000      a GETNEXT of 9,000 varbinds (of .1.3) with the right community (tooBig)
//   malformed        a GET cut short
// For each: datagrams refused per second (the agent's own counter: snmpInBadCommunityNames,
// snmpInASNParseErrs; tooBig answers received for toobig-9000), and the GET stream's
// p50/p99/max and losses. Then GetBulk amplification of two requests against each agent
// (bytes answered per byte sent). Rounds interleave the agents.
//
//   npm run bench:hostile -- [--seconds 5] [--rate 500] [--rounds 2] [--per-tick 40]

import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Tag, encodeInteger, encodeOid, tlv } from '../src/snmp/ber.js';
import { loadAverage, ms, runLoad, startMadman, startPlainSnmpd, type AgentProcess } from './bench-agents.js';
import { median, onCleanup, runBench } from './bench-procs.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '2' },
    'per-tick': { type: 'string', default: '40' },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const rounds = Number(values.rounds);
const perTick = Number(values['per-tick']);
const OIDS = ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.11.1.0'];
const COUNTERS = { badCommunity: '1.3.6.1.2.1.11.4.0', parseErrors: '1.3.6.1.2.1.11.6.0' };

function getPacket(community: string, pdu: number, oids: number[][], a = 0, b = 0): Buffer {
  const vbs = oids.map((o) => tlv(Tag.Sequence, [encodeOid(o), Buffer.from([Tag.Null, 0])]));
  return tlv(Tag.Sequence, [encodeInteger(1), tlv(Tag.OctetString, Buffer.from(community)), tlv(pdu, [encodeInteger(4242), encodeInteger(a), encodeInteger(b), tlv(Tag.Sequence, vbs)])]);
}
const many = (n: number) => Array.from({ length: n }, (_, i) => [1, 3, 6, 1, 2, 1, 1, 1 + (i % 9), 0]);
const FLOODS: Record<string, { packet: Buffer; counter?: keyof typeof COUNTERS }> = {
  'wrong-community': { packet: getPacket('not-the-community', Tag.GetRequest, many(60)), counter: 'badCommunity' },
  'wrong-65k': { packet: getPacket('not-the-community', Tag.GetRequest, many(4000)), counter: 'badCommunity' },
  // 7 octets a varbind (1.3 and NULL): 9,000 fit in one datagram
  'toobig-9000': { packet: getPacket('public', Tag.GetNextRequest, many(9000).map(() => [1, 3])) },
  malformed: { packet: getPacket('public', Tag.GetRequest, many(3)).subarray(0, 30), counter: 'parseErrors' },
};

function snmpget(port: number, oid: string): Promise<number> {
  return new Promise((resolve) =>
    execFile('snmpget', ['-v2c', '-c', 'public', '-Oqv', '-t', '3', '-r', '2', `127.0.0.1:${port}`, oid], (err, out) => resolve(err ? NaN : Number(String(out).trim()))),
  );
}

/** Response bytes per request byte of one datagram. */
async function amplification(port: number, msg: Buffer): Promise<number> {
  const s = dgram.createSocket('udp4');
  try {
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer')), 5000);
      s.once('message', (m) => {
        clearTimeout(t);
        resolve(m);
      });
      s.send(msg, port, '127.0.0.1');
    });
    return answer.length / msg.length;
  } finally {
    s.close();
  }
}

interface Row {
  refusedPerS: number[];
  sentPerS: number[];
  p50: number[];
  p99: number[];
  max: number[];
  lost: number[];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-hostile-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  console.log(`# bench:hostile  GET stream ${rate}/s for ${seconds} s  flood ${perTick} datagrams per ms tick  ${rounds} rounds  load average ${loadAverage()}`);
  const agents: Array<[string, AgentProcess]> = [
    ['madman', await startMadman(dir, ['--demo'])],
    ['snmpd', await startPlainSnmpd(path.join(dir, 'snmpd'))],
  ];
  const results = new Map<string, Row>();
  for (let round = 1; round <= rounds; round++) {
    for (const [kind, flood] of Object.entries(FLOODS)) {
      for (const [name, a] of agents) {
        const before = flood.counter ? await snmpget(a.port, COUNTERS[flood.counter]) : 0;
        const r = await runLoad({ port: a.port, rate, seconds, clients: 4, oids: OIDS, community: 'public', timeoutMs: 1000, flood: { packet: flood.packet.toString('base64'), perTick } });
        const after = flood.counter ? await snmpget(a.port, COUNTERS[flood.counter]) : r.floodAnswers;
        const refused = (after - before) / seconds;
        const key = `${name} ${kind}`;
        const row = results.get(key) ?? { refusedPerS: [], sentPerS: [], p50: [], p99: [], max: [], lost: [] };
        row.refusedPerS.push(refused);
        row.sentPerS.push(r.floodSent / seconds);
        row.p50.push(r.p50);
        row.p99.push(r.p99);
        row.max.push(r.max);
        row.lost.push(r.lost);
        results.set(key, row);
        console.log(`round ${round} ${name.padEnd(6)} ${kind.padEnd(16)} flood sent ${(r.floodSent / seconds).toFixed(0)}/s refused ${refused.toFixed(0)}/s | GET p50 ${ms(r.p50)} p99 ${ms(r.p99)} max ${ms(r.max)} lost ${r.lost}/${r.sent}  (load ${loadAverage()})`);
      }
    }
  }
  console.log(`\n| flood (${FLOODS['wrong-community']!.packet.length}/${FLOODS['wrong-65k']!.packet.length}/${FLOODS['toobig-9000']!.packet.length}/${FLOODS.malformed!.packet.length} octets) | agent | sent/s | refused/s | GET p50 ms | GET p99 ms | GET max ms | GETs lost |`);
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const [key, r] of results) {
    const [name, kind] = key.split(' ');
    console.log(`| ${kind} | ${name} | ${median(r.sentPerS).toFixed(0)} | ${median(r.refusedPerS).toFixed(0)} | ${ms(median(r.p50))} | ${ms(median(r.p99))} | ${ms(Math.max(...r.max))} | ${r.lost.join(', ')} |`);
  }
  const bulk1 = getPacket('public', Tag.GetBulkRequest, [[1, 3, 6, 1]], 0, 2147483647);
  const bulk8 = getPacket('public', Tag.GetBulkRequest, Array.from({ length: 8 }, () => [1, 3, 6, 1]), 0, 2147483647);
  console.log('\n| GetBulk, max-repetitions 2^31-1 | request octets | madman ratio | snmpd ratio |');
  console.log('|---|---:|---:|---:|');
  for (const [label, msg] of [['1 repeater from .1.3.6.1', bulk1], ['8 repeaters from .1.3.6.1', bulk8]] as const) {
    const [m, s] = [await amplification(agents[0]![1].port, msg), await amplification(agents[1]![1].port, msg)];
    console.log(`| ${label} | ${msg.length} | ${m.toFixed(1)}x | ${s.toFixed(1)}x |`);
  }
  for (const [, a] of agents) await a.stop();
  console.log(`\n# medians over rounds; load average at end: ${loadAverage()}`);
  console.log(JSON.stringify({ bench: 'hostile', rate, seconds, perTick, rounds, results: Object.fromEntries(results) }));
}

await runBench(main);
