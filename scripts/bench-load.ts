// Tail latency under an open-loop GET load, madman beside snmpd: 4 clients send RATE
// GETs a second in all (3 OIDs each, served by both agents: sysUpTime.0, sysName.0,
// snmpInPkts.0) for SECONDS; p50/p99/max of the answered and the count lost (no answer
// within a second). Cold: a fresh process, loaded as soon as it is ready (madman: its
// listening line; snmpd: its first answer). Warm: the same process again after that.
// Rounds interleave the agents, so both meet the same load on a shared machine.
//
//   npm run bench:load -- [--rates 5000,20000] [--seconds 8] [--rounds 3] [--demo]
//
// madman runs as operators run it (`madman agent --demo`, the demo source moving its
// counters), with --node-args passed to node (e.g. "--max-semi-space-size=1").

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMs, shippedNodeArgs, loadAverage, ms, runLoad, startMadman, startPlainSnmpd, type AgentProcess } from './bench-agents.js';
import { median, onCleanup, runBench } from './bench-procs.js';
import type { LoadResult } from './load-client.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '5000,20000' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '4' },
    'node-args': { type: 'string' },
    'no-snmpd': { type: 'boolean', default: false },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const clients = Number(values.clients);
// the node flags of the madman command's #! line unless told otherwise
const nodeArgs = values['node-args'] ? values['node-args'].split(' ').filter(Boolean) : shippedNodeArgs();
const OIDS = ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.11.1.0'];

type Key = `${string} ${'cold' | 'warm'} ${number}`;
type Measured = LoadResult & { cpuUsPerAnswer: number };
const results = new Map<Key, Measured[]>();
const record = (k: Key, r: Measured) => results.set(k, [...(results.get(k) ?? []), r]);

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-load-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  console.log(`# bench:load  rates ${rates.join(', ')} GET/s  ${seconds} s  ${clients} clients  ${rounds} rounds  node ${process.version}${nodeArgs.length ? ` ${nodeArgs.join(' ')}` : ''}`);
  console.log(`# load average at start: ${loadAverage()}`);
  const agents: Array<[string, () => Promise<AgentProcess>]> = [['madman', () => startMadman(dir, ['--demo'], nodeArgs)]];
  if (!values['no-snmpd']) agents.push(['snmpd', () => startPlainSnmpd(path.join(dir, `snmpd-${agents.length}`))]);
  for (let round = 1; round <= rounds; round++) {
    for (const rate of rates) {
      for (const [name, start] of agents) {
        const spec = { rate, seconds, clients, oids: OIDS, community: 'public', timeoutMs: 1000 };
        const a = await start();
        const c0 = cpuMs(a.pid);
        const cold: Measured = { ...(await runLoad({ ...spec, port: a.port })), cpuUsPerAnswer: 0 };
        const c1 = cpuMs(a.pid);
        const warm: Measured = { ...(await runLoad({ ...spec, port: a.port })), cpuUsPerAnswer: 0 };
        const c2 = cpuMs(a.pid);
        await a.stop();
        // CPU the agent spent per answered request: a figure the machine's load hardly moves
        cold.cpuUsPerAnswer = ((c1 - c0) * 1000) / Math.max(1, cold.answered);
        warm.cpuUsPerAnswer = ((c2 - c1) * 1000) / Math.max(1, warm.answered);
        record(`${name} cold ${rate}`, cold);
        record(`${name} warm ${rate}`, warm);
        console.log(
          `round ${round} ${name.padEnd(6)} ${String(rate).padStart(5)}/s  cold p50 ${ms(cold.p50)} p99 ${ms(cold.p99)} max ${ms(cold.max)} lost ${cold.lost} cpu ${cold.cpuUsPerAnswer.toFixed(0)} µs` +
            `  | warm p50 ${ms(warm.p50)} p99 ${ms(warm.p99)} max ${ms(warm.max)} lost ${warm.lost} cpu ${warm.cpuUsPerAnswer.toFixed(0)} µs   (load ${loadAverage()})`,
        );
      }
    }
  }
  console.log('\n| agent | phase | GET/s | p50 ms | p99 ms | max ms | lost of sent | CPU µs per answer | (per round p99) |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const [k, rs] of results) {
    const [name, phase, rate] = k.split(' ');
    const med = (f: (r: Measured) => number) => median(rs.map(f));
    console.log(
      `| ${name} | ${phase} | ${rate} | ${ms(med((r) => r.p50))} | ${ms(med((r) => r.p99))} | ${ms(Math.max(...rs.map((r) => r.max)))} | ${rs.map((r) => r.lost).join(', ')} of ${rs[0]!.sent} | ${med((r) => r.cpuUsPerAnswer).toFixed(0)} | ${rs.map((r) => ms(r.p99)).join(', ')} |`,
    );
  }
  console.log(`\n# medians over rounds (max: the worst round); load average at end: ${loadAverage()}`);
  console.log(JSON.stringify({ bench: 'load', rates, seconds, clients, rounds, nodeArgs, results: Object.fromEntries(results) }));
}

await runBench(main);
