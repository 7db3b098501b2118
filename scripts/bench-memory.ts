// Memory, madman beside snmpd: resident set (and its anonymous part, what the process
// itself allocated, without the binary and libraries it shares) and V8's heap, for
//  - the demo agent as operators start it (`madman agent --demo`), idle;
//  - the demo agent in bench-memory-agent.ts (same code path, with heap figures);
//  - a big mail system: 10,000 channels (mtaGroupTable rows), 5,000 associations and
//    100,000 quota rows, after one column of each table was walked (sorted, served);
//  - snmpd with its default modules, idle, for scale.
// With --node-args (e.g. "--max-semi-space-size=1") madman's node gets those flags too.
//
//   npm run bench:memory -- [--idle 15] [--channels 10000 --associations 5000 --quotas 100000]

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { shippedNodeArgs, anonMiB, loadAverage, rssMiB, sleep, startMadman, startPlainSnmpd } from './bench-agents.js';
import { onCleanup, runBench, runToFiles, stopper } from './bench-procs.js';

const { values } = parseArgs({
  options: {
    idle: { type: 'string', default: '15' },
    channels: { type: 'string', default: '10000' },
    associations: { type: 'string', default: '5000' },
    quotas: { type: 'string', default: '100000' },
    'node-args': { type: 'string' },
  },
});
const idleMs = Number(values.idle) * 1000;
// the node flags of the madman command's #! line unless told otherwise
const nodeArgs = values['node-args'] ? values['node-args'].split(' ').filter(Boolean) : shippedNodeArgs();
const AGENT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench-memory-agent.js');

interface Figures {
  rss: number;
  anon: number;
  heapUsed?: number;
  heapTotal?: number;
}
const rows: Array<[string, Figures]> = [];

/** bench-memory-agent.js in its own process: port, then figures on request. */
async function memoryAgent(args: string[]): Promise<{ pid: number; port: number; figures(): Promise<{ afterGc: { heapUsed: number; heapTotal: number } }>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...nodeArgs, AGENT, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = stopper(child, 10000, () => child.stdin.end());
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  let buf = '';
  child.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      wake?.();
    }
  });
  const next = async (): Promise<string> => {
    while (!lines.length) await new Promise<void>((r) => (wake = r));
    return lines.shift()!;
  };
  const { port } = JSON.parse(await next()) as { port: number };
  return {
    pid: child.pid!,
    port,
    async figures() {
      child.stdin.write('report\n');
      return JSON.parse(await next()) as { afterGc: { heapUsed: number; heapTotal: number } };
    },
    stop,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-memory-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  console.log(`# bench:memory  idle ${idleMs / 1000} s  node ${process.version}${nodeArgs.length ? ` ${nodeArgs.join(' ')}` : ''}  load average ${loadAverage()}`);

  const cli = await startMadman(dir, ['--demo'], nodeArgs);
  await sleep(idleMs);
  rows.push(['madman agent --demo (CLI), idle', { rss: rssMiB(cli.pid), anon: anonMiB(cli.pid) }]);
  await cli.stop();

  const demo = await memoryAgent(['demo', path.join(dir, 'demo-state')]);
  await sleep(idleMs);
  const rssDemo = rssMiB(demo.pid);
  const anonDemo = anonMiB(demo.pid);
  const d = await demo.figures();
  rows.push(['demo agent, idle', { rss: rssDemo, anon: anonDemo, ...d.afterGc }]);
  await demo.stop();

  const [c, a, q] = [values.channels, values.associations, values.quotas];
  const t0 = performance.now();
  const big = await memoryAgent(['big', path.join(dir, 'big-state'), c, a, q]);
  const startS = (performance.now() - t0) / 1000;
  // one column of each big table, walked as a manager would (sorts and serves them)
  const target = `127.0.0.1:${big.port}`;
  for (const col of ['1.3.6.1.2.1.28.2.1.2', '1.3.6.1.2.1.27.2.1.2', '1.3.6.1.4.1.32473.1.7.1.1.2']) {
    await runToFiles('snmpbulkwalk', ['-v2c', '-c', 'public', '-Cr50', '-On', '-t', '10', '-r', '0', target, col], path.join(dir, 'walk.out'), path.join(dir, 'walk.err'), 600000);
  }
  await sleep(idleMs);
  const rssBig = rssMiB(big.pid);
  const anonBig = anonMiB(big.pid);
  const b = await big.figures();
  rows.push([`${c} channels + ${a} associations + ${q} quota rows, walked, idle (start ${startS.toFixed(1)} s)`, { rss: rssBig, anon: anonBig, ...b.afterGc }]);
  await big.stop();

  const snmpd = await startPlainSnmpd(path.join(dir, 'snmpd'));
  await sleep(idleMs);
  rows.push(['snmpd (default modules), idle', { rss: rssMiB(snmpd.pid), anon: anonMiB(snmpd.pid) }]);
  await snmpd.stop();

  console.log('\n| case | RSS MiB | anonymous MiB | heap used MiB (after GC) | heap total MiB |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, f] of rows) {
    console.log(`| ${name} | ${f.rss.toFixed(1)} | ${f.anon.toFixed(1)} | ${f.heapUsed?.toFixed(1) ?? '-'} | ${f.heapTotal?.toFixed(1) ?? '-'} |`);
  }
  console.log(`\n# load average at end: ${loadAverage()}`);
  console.log(JSON.stringify({ bench: 'memory', nodeArgs, rows: Object.fromEntries(rows) }));
}

await runBench(main);
