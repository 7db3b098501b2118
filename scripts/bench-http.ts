// HTTP front end benchmark (docs/benchmarks.md):
//   1. what a /metrics scrape costs with N channels (time, size, series), beside
//      postfix_exporter scraped after reading the same Postfix log as a madman reading it;
//   2. SNMP GET latency (p50/p99/max) with no HTTP client, with a /metrics scrape every
//      second (curl --compressed, as Prometheus asks), and with that plus 50 idle
//      connections held open (a slow client);
//   3. memory of the status page's history ring for N channels over 24 hours.
//
//   npm run bench:http -- [--channels 1000] [--seconds 20] [--rate 200] [--no-exporter]
//
// madman runs in a process of its own (scripts/bench-http-agent.ts); GETs are sent one at a
// time at a fixed rate from this process and timed to their response; curl runs the scrapes.

import { execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { History } from '../src/http/history.js';
import { MailSystem } from '../src/model/mail-system.js';
import { fillModel } from './bench-rows.js';
import { onCleanup, runBench } from './bench-procs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXPORTER = '/usr/bin/prometheus-postfix-exporter';

function options() {
  const { values } = parseArgs({
    options: {
      channels: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '20' },
      rate: { type: 'string', default: '200' },
      'no-exporter': { type: 'boolean', default: false },
    },
  });
  return { channels: Number(values.channels), seconds: Number(values.seconds), rate: Number(values.rate), exporter: !values['no-exporter'] };
}

/** An SNMPv2c GET (community public, request-id 1) of mtaGroupReceivedMessages.1.<row>, row < 16384. */
function getPacket(row: number): Buffer {
  const arcs = [0x2b, 6, 1, 2, 1, 28, 2, 1, 2, 1, ...(row < 128 ? [row] : [0x80 | (row >> 7), row & 0x7f])];
  const oid = Buffer.from([0x06, arcs.length, ...arcs]);
  const vb = Buffer.concat([Buffer.from([0x30, oid.length + 2]), oid, Buffer.from([0x05, 0x00])]);
  const list = Buffer.concat([Buffer.from([0x30, vb.length]), vb]);
  const pdu = Buffer.concat([Buffer.from([0x02, 1, 1, 0x02, 1, 0, 0x02, 1, 0]), list]);
  const msg = Buffer.concat([Buffer.from([0x02, 1, 1, 0x04, 6]), Buffer.from('public'), Buffer.from([0xa0, pdu.length]), pdu]);
  return Buffer.concat([Buffer.from([0x30, msg.length]), msg]);
}

interface Agent {
  port: number;
  http: string;
  stop(): Promise<void>;
}

async function startAgent(channels: number, log?: string): Promise<Agent> {
  const state = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-http-'));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/scripts/bench-http-agent.js'), String(channels), state, ...(log ? [log] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(state, { recursive: true, force: true });
  };
  onCleanup(stop);
  const line = await new Promise<string>((resolve, reject) => {
    let t = '';
    child.stdout!.on('data', (d: Buffer) => {
      t += d.toString();
      if (t.includes('\n')) resolve(t.slice(0, t.indexOf('\n')));
    });
    child.once('exit', (c) => reject(new Error(`agent exited (${c})`)));
  });
  return { ...(JSON.parse(line) as { port: number; http: string }), stop };
}

function curl(url: string): Promise<{ seconds: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '--compressed', '-o', '/dev/null', '-w', '%{time_total} %{size_download}', url], (err, out) => {
      if (err) reject(err);
      else {
        const [s, b] = out.trim().split(' ');
        resolve({ seconds: Number(s), bytes: Number(b) });
      }
    });
  });
}

async function scrapeFigures(url: string, n = 10): Promise<{ ms: number; gzipBytes: number; bytes: number; series: number }> {
  const times: number[] = [];
  let gzipBytes = 0;
  for (let i = 0; i < n; i++) {
    const r = await curl(url);
    times.push(r.seconds * 1000);
    gzipBytes = r.bytes;
    await new Promise((res) => setTimeout(res, 300)); // past the render reuse window
  }
  const text = await (await fetch(url)).text();
  const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
  return { ms: median(times), gzipBytes, bytes: Buffer.byteLength(text), series };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

/** GETs at `rate` per second for `seconds`, one outstanding at a time; latencies in ms. */
async function getLatencies(port: number, channels: number, seconds: number, rate: number): Promise<number[]> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const packet = getPacket(Math.max(1, Math.min(16383, channels >> 1)));
  const out: number[] = [];
  let sentAt = 0n;
  let waiting: (() => void) | undefined;
  sock.on('message', () => {
    out.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
    waiting?.();
  });
  const end = Date.now() + seconds * 1000;
  const gap = 1000 / rate;
  let next = performance.now();
  while (Date.now() < end) {
    await new Promise<void>((resolve) => {
      const timeout = setTimeout(resolve, 2000); // a lost answer counts as 2 s
      waiting = () => {
        clearTimeout(timeout);
        resolve();
      };
      sentAt = process.hrtime.bigint();
      sock.send(packet, port, '127.0.0.1');
    });
    waiting = undefined;
    next += gap;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  sock.close();
  return out;
}

async function latencyRun(label: string, a: Agent, o: ReturnType<typeof options>, scrape: boolean, idle: number): Promise<void> {
  const held: net.Socket[] = [];
  for (let i = 0; i < idle; i++) {
    const s = net.connect(Number(new URL(a.http).port), '127.0.0.1');
    s.on('error', () => {});
    s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // never finished: a slow client
    held.push(s);
  }
  const scrapes: number[] = [];
  const timer = scrape ? setInterval(() => void curl(`${a.http}metrics`).then((r) => scrapes.push(r.seconds * 1000), () => {}), 1000) : undefined;
  const lat = await getLatencies(a.port, o.channels, o.seconds, o.rate);
  clearInterval(timer);
  for (const s of held) s.destroy();
  const f = (n: number) => n.toFixed(2);
  console.log(`| ${label} | ${lat.length} | ${f(pct(lat, 50))} | ${f(pct(lat, 99))} | ${f(Math.max(...lat))} | ${scrapes.length ? `${scrapes.length} scrapes, median ${median(scrapes).toFixed(1)} ms` : '-'} |`);
}

function historyMemory(channels: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const model = new MailSystem();
  fillModel(model, channels);
  gc?.();
  const before = process.memoryUsage();
  const h = new History(model, { intervalMs: 60_000, points: 1440 });
  const t0 = performance.now();
  for (let i = 0; i < 1440; i++) {
    for (const ch of model.applications.values().next().value!.mta!.channels.values()) ch.receivedMessages += 1;
    h.sample(i * 60_000);
  }
  const sampleMs = (performance.now() - t0) / 1440;
  const t1 = performance.now();
  const json = JSON.stringify(h.toJson(12));
  const jsonMs = performance.now() - t1;
  gc?.();
  const after = process.memoryUsage();
  const mb = (n: number) => (n / 1048576).toFixed(1);
  console.log(`\nhistory ring, ${channels} channels + 1 MTA, 1440 points (24 h at 1 min), ${h.size} series sets:`);
  console.log(`  array buffers +${mb(after.arrayBuffers - before.arrayBuffers)} MiB, heap +${mb(after.heapUsed - before.heapUsed)} MiB${gc ? '' : ' (run with --expose-gc for exact figures)'}`);
  console.log(`  computed: ${channels + 1} x 4 series x 1440 x 4 B = ${mb((channels + 1) * 4 * 1440 * 4)} MiB`);
  console.log(`  one sample of every series: ${sampleMs.toFixed(2)} ms; /api/history (12 busiest channels): ${jsonMs.toFixed(1)} ms, ${(json.length / 1024).toFixed(0)} KiB`);
}

/** The fixture's Postfix log repeated with fresh queue ids, about `messages` messages. */
function postfixLog(file: string, messages: number): void {
  const lines = readFileSync(path.join(ROOT, 'test/fixtures/postfix/real-3.7.log'), 'utf8').trimEnd().split('\n');
  const ids = [...new Set(lines.flatMap((l) => [...l.matchAll(/\b([0-9A-F]{10,12}):/g)].map((m) => m[1]!)))];
  const out: string[] = [];
  const copies = Math.ceil(messages / 5);
  for (let c = 0; c < copies; c++) {
    let text = lines.join('\n');
    for (const id of ids) text = text.replaceAll(id, `${id.slice(0, 4)}${c.toString(16).toUpperCase().padStart(8, '0')}`);
    out.push(text);
  }
  writeFileSync(file, `${out.join('\n')}\n`);
}

async function exporterComparison(o: ReturnType<typeof options>): Promise<void> {
  if (!o.exporter) return;
  if (!existsSync(EXPORTER)) {
    console.log(`\npostfix_exporter: ${EXPORTER} not installed (apt-get install prometheus-postfix-exporter); comparison skipped`);
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-pfe-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'mail.log');
  postfixLog(log, 20_000);
  const port = await new Promise<number>((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });
  // postfix_exporter 0.3 reads the log from its start (no --from-start needed)
  const pfe = spawn(EXPORTER, [`--web.listen-address=127.0.0.1:${port}`, `--postfix.logfile_path=${log}`, `--postfix.showq_path=${path.join(dir, 'no-showq')}`], { stdio: 'ignore' });
  const pfeExit = new Promise<void>((r) => pfe.once('exit', () => r()));
  onCleanup(async () => {
    pfe.kill('SIGTERM');
    await pfeExit;
  });
  const madman = await startAgent(0, log);
  const url = `http://127.0.0.1:${port}/metrics`;
  // both have read the log once their received counts stop moving
  const settled = async (u: string, re: RegExp) => {
    let last = -1;
    for (let i = 0; i < 120; i++) {
      const t = await (await fetch(u).catch(() => undefined))?.text();
      const n = t ? [...t.matchAll(re)].reduce((s, m) => s + Number(m[1]), 0) : -1;
      if (n > 0 && n === last) return;
      last = n;
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  await settled(url, /^postfix_smtpd_connects_total (\d+)/gm);
  await settled(`${madman.http}metrics`, /^madman_mta_received_messages_total\{[^}]*\} (\d+)/gm);
  const a = await scrapeFigures(`${madman.http}metrics`);
  const b = await scrapeFigures(url);
  const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  console.log(`\nsame Postfix log (${readFileSync(log, 'utf8').split('\n').length - 1} lines), scraped:`);
  console.log('| | scrape, median | gzip bytes | plain bytes | series |');
  console.log('|---|---|---|---|---|');
  console.log(`| madman /metrics | ${a.ms.toFixed(1)} ms | ${a.gzipBytes} | ${a.bytes} | ${a.series} |`);
  console.log(`| postfix_exporter 0.3.0 | ${b.ms.toFixed(1)} ms | ${b.gzipBytes} | ${b.bytes} | ${b.series} |`);
  console.log(`RSS: postfix_exporter ${rss(pfe.pid!).toFixed(0)} MiB (madman's agent process is measured in docs/benchmarks.md's memory section)`);
  await madman.stop();
}

await runBench(async () => {
  const o = options();
  const a = await startAgent(o.channels);
  const s = await scrapeFigures(`${a.http}metrics`);
  console.log(`madman /metrics with ${o.channels} channels: median ${s.ms.toFixed(1)} ms per scrape (curl --compressed), ${s.gzipBytes} bytes gzip, ${s.bytes} plain, ${s.series} series`);
  console.log(`\nSNMP GET mtaGroupReceivedMessages.1.${o.channels >> 1}, ${o.rate}/s for ${o.seconds} s, one at a time (ms):`);
  console.log('| HTTP clients | GETs | p50 | p99 | max | scrapes |');
  console.log('|---|---|---|---|---|---|');
  await latencyRun('none', a, o, false, 0);
  await latencyRun('/metrics every second', a, o, true, 0);
  await latencyRun('/metrics every second + 50 slow clients', a, o, true, 50);
  await a.stop();
  historyMemory(o.channels);
  await exporterComparison(o);
});
