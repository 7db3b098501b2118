// Ingest benchmark of the Sendmail source beside sma (Debian's Sendmail log analyser, C):
// a synthetic Sendmail 8.17 log of N messages (scripts/bench-sendmail-gen.ts) read the way
// `madman agent --sendmail-log FILE --from-start` does (the kit's LogSource feeding the
// source's reader: syslog framing, parse, model), timed from start to the last line; then
// `sma` on the same file. Both tools' totals are printed; madman's are checked against what
// the generator wrote (MISMATCH and exit 1 otherwise). The last output line is JSON.
//
//   npm run bench:sendmail-ingest -- [--messages N] [--repeat K]

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/log.js';
import { MailSystem } from '../src/model/mail-system.js';
import { LogSource } from '../src/sources/kit/log-source.js';
import { parseSendmailCf } from '../src/sources/sendmail/cf.js';
import { SendmailLog } from '../src/sources/sendmail/reader.js';
import { SendmailRows } from '../src/sources/sendmail/rows.js';
import { SendmailLogReader } from '../src/sources/sendmail/source.js';
import type { SendmailState } from '../src/sources/sendmail/state.js';
import { generateSendmailLog } from './bench-sendmail-gen.js';
import { timedRead } from './bench-timed-read.js';

const CF = parseSendmailCf('DZ8.17.1.9\nO DaemonPortOptions=Name=MTA\nO DaemonPortOptions=Name=MSA, Port=587\nMlocal, P=/usr/lib/sm.bin/mail.local\nMsmtp, P=[IPC]\nMesmtp, P=[IPC]\nMrelay, P=[IPC]\n');
const PROGRAMS = new Set(['sm-mta']);

/** A reader that says when it has been given `total` lines. */
class CountedReader extends SendmailLogReader {
  private n = 0;
  constructor(log: SendmailLog, private readonly total: number, private readonly done: () => void) {
    super(log, PROGRAMS);
  }
  override line(text: string): boolean {
    const ok = super.line(text);
    if (++this.n === this.total) this.done();
    return ok;
  }
}

async function readOnce(file: string, total: number) {
  const model = new MailSystem();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-sendmail-state-'));
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  let rows: SendmailRows | undefined;
  const tail = new LogSource<SendmailState, CountedReader>(model, silentLogger, {
    checkpoint: 'sendmail',
    input: 'sendmail log',
    log: { file },
    stateDir,
    fromStart: true,
    isState: () => true,
    reader: () => {
      rows = new SendmailRows(model, 'bench MTA', false);
      rows.declare(CF, Date.now());
      return new CountedReader(new SendmailLog(rows, PROGRAMS), total, done);
    },
    owns: (app) => app.name === 'bench MTA',
  });
  const { ms, cpuMs } = await timedRead(tail, finished, stateDir);
  return { ms, cpuMs, rows: rows!, lines: tail.lines, unparsed: tail.unparsed };
}

/** sma's totals of the same log, and its wall time. */
function sma(file: string): Promise<{ ms: number; totals: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile('sma', ['-a', '-F', '-q', '-L', 'sm-mta', '-t', 'huge', file], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      const ms = performance.now() - t0;
      const n = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
      resolve({
        ms,
        totals: {
          received: n(/Inbound messages[\s\S]*?Total\s+(\d+)/),
          sent: n(/\bSent\s+(\d+)/),
          deferred: n(/Deferred\s+(\d+)/),
          failed: n(/Other error\s+(\d+)/),
          rejected: n(/Ruleset based rejections\s+(\d+)/),
        },
      });
    });
  });
}

const { values } = parseArgs({ options: { messages: { type: 'string', default: '200000' }, repeat: { type: 'string', default: '3' }, seed: { type: 'string', default: '8' } } });
const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-sendmail-'));
try {
  const file = path.join(dir, 'mail.log');
  const { truth, mb } = (() => {
    const g = generateSendmailLog(Number(values.messages), Number(values.seed));
    writeFileSync(file, g.text);
    return { truth: g.truth, mb: Buffer.byteLength(g.text) / 1e6 };
  })();
  console.log(`log: ${truth.lines} lines, ${mb.toFixed(1)} MB, ${values.messages} messages`);
  const want = { received: truth.received, sent: truth.sent, deferred: truth.deferred, failed: truth.failed, rejected: truth.rejected };
  const times: number[] = [];
  const cpus: number[] = [];
  let bad = false;
  for (let k = 0; k < Number(values.repeat); k++) {
    const { ms, cpuMs, rows, lines, unparsed } = await readOnce(file, truth.lines);
    times.push(ms);
    cpus.push(cpuMs);
    const chs = [...rows.mta.channels.values()];
    const sum = (f: (c: (typeof chs)[number]) => number) => chs.reduce((a, c) => a + f(c), 0);
    const errs = (cls: string) => sum((c) => c.errors.get(cls)?.outbound ?? 0);
    const got = { received: rows.mta.counters.receivedMessages, sent: rows.mta.counters.transmittedMessages, deferred: errs('4.0.0'), failed: errs('5.0.0'), rejected: sum((c) => c.rejectedMessages) };
    if (JSON.stringify(got) !== JSON.stringify(want) || lines !== truth.lines) {
      console.log(`MISMATCH: read ${JSON.stringify({ lines, ...got })}, wrote ${JSON.stringify({ lines: truth.lines, ...want })}`);
      bad = true;
    }
    console.log(`madman run ${k + 1}: ${ms.toFixed(0)} ms (CPU ${cpuMs.toFixed(0)} ms), ${Math.round(truth.lines / (ms / 1000))} lines/s, unparsed ${unparsed}; totals ${JSON.stringify(got)}`);
  }
  const smaTimes: number[] = [];
  let smaTotals: Record<string, number> = {};
  for (let k = 0; k < Number(values.repeat); k++) {
    const r = await sma(file);
    smaTimes.push(r.ms);
    smaTotals = r.totals;
    console.log(`sma run ${k + 1}: ${r.ms.toFixed(0)} ms, ${Math.round(truth.lines / (r.ms / 1000))} lines/s; totals ${JSON.stringify(r.totals)}`);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  console.log(
    JSON.stringify({
      lines: truth.lines,
      mb: Number(mb.toFixed(1)),
      madman: { medianMs: Math.round(med(times)), linesPerSecond: Math.round(truth.lines / (med(times) / 1000)), medianCpuMs: Math.round(med(cpus)) },
      sma: { medianMs: Math.round(med(smaTimes)), linesPerSecond: Math.round(truth.lines / (med(smaTimes) / 1000)), totals: smaTotals },
      load: os.loadavg()[0]!.toFixed(1),
    }),
  );
  process.exitCode = bad ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
