// Ingest benchmark of the Sun MTA source: a synthetic Messaging Server mail.log of N
// messages (tcp_local -> conversion -> ims-ms with connections, retries, bounces and
// rejections), read the way `madman agent --sun-mta-log FILE --from-start` does: the
// source kit's LogSource (fromStart: a FileFollower, line counts, checkpoints) feeding a
// fresh MailSystem + SunLog, timed from follow() to the last line applied. The totals are checked against what the
// generator wrote (MISMATCH and exit 1 otherwise). The last output line is JSON.
//
//   npm run -s build && node dist/scripts/bench-sun-ingest.js [--messages N] [--repeat K]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { channelCountersOf } from '../src/model/channel-counters.js';
import { MailSystem } from '../src/model/mail-system.js';
import { silentLogger } from '../src/log.js';
import { LogSource } from '../src/sources/kit/log-source.js';
import { SunLog, type SunLogState } from '../src/sources/sun-mta/apply.js';
import { prng } from '../test/helpers/prng.js';
import { timedRead } from './bench-timed-read.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');
const stamp = (ms: number) => {
  const d = new Date(ms);
  return `${p2(d.getDate())}-${MONTHS[d.getMonth()]}-${d.getFullYear()} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${p2(Math.floor(d.getMilliseconds() / 10))}`;
};

interface Truth {
  lines: number;
  received: number;
  rejected: number;
}

function generate(n: number, seed: number): { text: string; truth: Truth } {
  const rnd = prng(seed);
  const out: string[] = [];
  let t = new Date(2026, 5, 1).getTime();
  const truth: Truth = { lines: 0, received: 0, rejected: 0 };
  for (let i = 0; i < n; i++) {
    t += 50 + Math.floor(rnd() * 200);
    const port = 10000 + (i % 50000);
    const tuple = `TCP|192.0.2.1|25|198.51.100.${i % 250}|${port}`;
    const size = 1 + Math.floor(rnd() * 40);
    const rcpts = 1 + Math.floor(rnd() * 3);
    const from = `user${i % 997}@example.net`;
    const id = `<${i}.bench@example.net>`;
    out.push(`${stamp(t)} tcp_local + O ${tuple} SMTP`);
    if (rnd() < 0.1) {
      out.push(`${stamp(t + 5)} tcp_local JE 0 ${from} rfc822;nobody${i}@siroe.com nobody${i}@siroe.com 550 5.1.1 unknown or illegal alias`);
      truth.rejected++;
    } else {
      const r = Array.from({ length: rcpts }, (_, k) => `u${(i + k) % 5000}@siroe.com`);
      for (const a of r) out.push(`${stamp(t + 5)} tcp_local conversion EES ${size} ${from} rfc822;${a} ${a.replace('@siroe.com', '@conversion-daemon')} ${id}`);
      for (const a of r) out.push(`${stamp(t + 20)} conversion ims-ms E ${size} ${from} rfc822;${a} ${a.replace('@siroe.com', '@ims-ms-daemon')} ${id}`);
      for (const a of r) out.push(`${stamp(t + 21)} conversion D ${size} ${from} rfc822;${a} ${a.replace('@siroe.com', '@conversion-daemon')} ${id}`);
      const retry = rnd() < 0.05;
      for (const a of r) out.push(`${stamp(t + 30)} ims-ms ${retry ? 'Q' : 'D'} ${size} ${from} rfc822;${a} ${a.replace('@siroe.com', '@ims-ms-daemon')} ${id}${retry ? ' 452 4.2.2 mailbox full' : ''}`);
      if (retry) for (const a of r) out.push(`${stamp(t + 60_000)} ims-ms D ${size} ${from} rfc822;${a} ${a.replace('@siroe.com', '@ims-ms-daemon')} ${id}`);
      truth.received += 2; // conversion, then ims-ms
    }
    out.push(`${stamp(t + 40)} tcp_local + C ${tuple} SMTP`);
  }
  truth.lines = out.length;
  return { text: `${out.join('\n')}\n`, truth };
}

/** One read as `madman agent --sun-mta-log FILE --from-start` does it: the kit's LogSource feeding a SunLog. */
async function readOnce(file: string, total: number): Promise<{ ms: number; cpuMs: number; model: MailSystem; log: SunLog; lines: number }> {
  const model = new MailSystem();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-sun-state-'));
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  let log: SunLog | undefined;
  const tail = new LogSource<{ log: SunLogState }, SunLog>(model, silentLogger, {
    checkpoint: 'sun-mta',
    input: 'sun-mta log',
    log: { file },
    stateDir,
    fromStart: true,
    isState: () => true,
    // the last line's batch ends the run
    reader: () => (log = new CountedSunLog(model, 'bench MTA', total, done)),
    owns: (app) => app.name === 'bench MTA',
  });
  const { ms, cpuMs } = await timedRead(tail, finished, stateDir);
  return { ms, cpuMs, model, log: log!, lines: tail.lines };
}

/** A SunLog that says when it has been given `total` lines. */
class CountedSunLog extends SunLog {
  private n = 0;
  constructor(model: MailSystem, name: string, private readonly total: number, private readonly done: () => void) {
    super(model, name);
  }
  override line(text: string): boolean {
    const ok = super.line(text);
    if (++this.n === this.total) this.done();
    return ok;
  }
}

const { values } = parseArgs({ options: { messages: { type: 'string', default: '200000' }, repeat: { type: 'string', default: '3' }, seed: { type: 'string', default: '8' } } });
const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-sun-'));
try {
  const file = path.join(dir, 'mail.log_current');
  // the generated text is not kept: its garbage would be collected during the reading
  const { truth, mb } = (() => {
    const g = generate(Number(values.messages), Number(values.seed));
    writeFileSync(file, g.text);
    return { truth: g.truth, mb: Buffer.byteLength(g.text) / 1e6 };
  })();
  console.log(`log: ${truth.lines} lines, ${mb.toFixed(1)} MB, ${values.messages} messages`);
  const times: number[] = [];
  const cpus: number[] = [];
  let bad = false;
  for (let k = 0; k < Number(values.repeat); k++) {
    const { ms, cpuMs, model, log, lines } = await readOnce(file, truth.lines);
    times.push(ms);
    cpus.push(cpuMs);
    let received = 0;
    let rejected = 0;
    for (const c of channelCountersOf(model).values()) {
      received += c.values.received.messages;
      rejected += c.values.rejected.messages;
    }
    const got = { lines, received, rejected };
    if (JSON.stringify(got) !== JSON.stringify(truth)) {
      console.log(`MISMATCH: read ${JSON.stringify(got)}, wrote ${JSON.stringify(truth)}`);
      bad = true;
    }
    console.log(`run ${k + 1}: ${ms.toFixed(0)} ms (CPU ${cpuMs.toFixed(0)} ms), ${Math.round(truth.lines / (ms / 1000))} lines/s, unparsed ${log.unparsed()}`);
  }
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const cpuMedian = cpus[Math.floor(cpus.length / 2)]!;
  console.log(
    JSON.stringify({
      lines: truth.lines,
      mb: Number(mb.toFixed(1)),
      medianMs: Math.round(median),
      linesPerSecond: Math.round(truth.lines / (median / 1000)),
      medianCpuMs: Math.round(cpuMedian),
      linesPerCpuSecond: Math.round(truth.lines / (cpuMedian / 1000)),
      load: os.loadavg()[0]!.toFixed(1),
    }),
  );
  process.exitCode = bad ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
