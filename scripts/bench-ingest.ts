// Ingest benchmark: madman reading a Postfix log side by side with pflogsumm, then the
// lag of madman following a log that is being written.
//
//   npm run bench:ingest -- [--messages N] [--repeat K] [--seed S] [--no-pflogsumm] [--no-tail]
//                           [--tail-rate LINES_PER_S] [--tail-seconds S]
//
// 1. A synthetic Postfix 3.7 log of N messages (bench-ingest-gen.ts) is written to a
//    temporary directory.
// 2. madman reads it K times the way `madman agent --postfix-log FILE --from-start` does:
//    the source kit's LogSource (fromStart) feeding a fresh MailSystem + PostfixLog, timed
//    from follow() to the last line applied. pflogsumm reads the same file (stdout to a
//    file). Both tools' received / delivered / deferred / bounced / rejected totals are
//    compared with each other and with what the generator wrote; any difference prints a
//    MISMATCH line and the exit status is 1.
// 3. Live tail: a child process (bench-ingest-writer.ts) appends lines at a fixed rate with
//    their write time in the timestamp; a FileFollower + PostfixLog applies them here, and
//    each line's lag is the time its batch was applied minus that timestamp.
//
// Everything runs in a temporary directory that is removed at the end, also on failure
// or Ctrl-C. The last output line is JSON. Figures and method: docs/benchmarks.md.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MailSystem } from '../src/model/mail-system.js';
import { silentLogger } from '../src/log.js';
import { LogSource } from '../src/sources/kit/log-source.js';
import { PostfixLog, type PostfixLogState } from '../src/sources/postfix/apply.js';
import { FileFollower } from '../src/sources/tail/index.js';
import { PostfixLogGenerator, bsdTime, type Truth } from './bench-ingest-gen.js';
import { timedRead } from './bench-timed-read.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** the generated log's BSD timestamps are of this year (June) */
const YEAR = 2026;
const TARGET_RATIO = 20;
const TARGET_LAG_MS = 1000;

type Figure = 'received' | 'delivered' | 'deferred' | 'bounced' | 'rejected';
const FIGURES: Figure[] = ['received', 'delivered', 'deferred', 'bounced', 'rejected'];
type Totals = Record<Figure, number>;
/** pflogsumm prints counts above 512k as "k" units (value / 1024, truncated) */
interface PfValue {
  value: number;
  unit: '' | 'k' | 'm';
}

let tmp: string | undefined;
let writer: ChildProcess | undefined;
function cleanup(): void {
  if (writer && writer.exitCode === null) writer.kill();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
}
process.on('exit', cleanup);
for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
  process.on(sig, () => {
    cleanup();
    process.exit(128 + n);
  });
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function options() {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '100000' },
      repeat: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
      'no-pflogsumm': { type: 'boolean', default: false },
      'no-tail': { type: 'boolean', default: false },
      'tail-rate': { type: 'string', default: '10000' },
      'tail-seconds': { type: 'string', default: '10' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: bench-ingest [--messages N] [--repeat K] [--seed S] [--no-pflogsumm] [--no-tail] [--tail-rate LINES_PER_S] [--tail-seconds S]');
    process.exit(0);
  }
  const int = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got "${v}"`);
    return n;
  };
  return {
    messages: int('messages', values.messages, 1),
    repeat: int('repeat', values.repeat, 1),
    seed: int('seed', values.seed, 0),
    pflogsumm: !values['no-pflogsumm'],
    tail: !values['no-tail'],
    tailRate: int('tail-rate', values['tail-rate'], 1),
    tailSeconds: int('tail-seconds', values['tail-seconds'], 1),
  };
}

function generate(file: string, messages: number, seed: number): { truth: Truth; bytes: number; ms: number; from: number; to: number } {
  const t0 = performance.now();
  const gen = new PostfixLogGenerator({ messages, seed, start: new Date(YEAR, 5, 2, 0, 0, 7).getTime() });
  const fd = openSync(file, 'w');
  let chunk = '';
  let sec = -1;
  let stamp = '';
  let from = NaN;
  let to = NaN;
  for (const e of gen.entries()) {
    if (Math.floor(e.t / 1000) !== sec) {
      sec = Math.floor(e.t / 1000);
      stamp = `${bsdTime(e.t)} mx1 `;
    }
    if (Number.isNaN(from)) from = e.t;
    to = e.t;
    chunk += `${stamp}${e.body}\n`;
    if (chunk.length >= 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
  return { truth: gen.truth, bytes: statSync(file).size, ms: performance.now() - t0, from, to };
}

/** madman's figures for pflogsumm's grand totals (docs/benchmarks.md). */
function madmanTotals(model: MailSystem): Totals & { outbound4xx: number } {
  const t = { received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0, outbound4xx: 0 };
  for (const app of model.applications.values()) {
    if (!app.mta) continue;
    t.received += app.mta.counters.receivedMessages;
    t.delivered += app.mta.counters.transmittedRecipients;
    for (const ch of app.mta.channels.values()) {
      t.rejected += ch.rejectedMessages;
      t.outbound4xx += ch.errors.get('4.0.0')?.outbound ?? 0;
      t.bounced += ch.errors.get('5.0.0')?.outbound ?? 0;
    }
  }
  return t;
}

interface MadmanRun {
  ms: number;
  /** process CPU time (user + system, all threads): steadier than wall time on a shared machine */
  cpuMs: number;
  lines: number;
  unparsed: Record<string, number>;
  totals: ReturnType<typeof madmanTotals>;
}

/**
 * One read of the whole file as `madman agent --postfix-log FILE --from-start` does it: the
 * source kit's LogSource (a FileFollower from the start, line counts, checkpoints at most
 * once a second) feeding a PostfixLog, timed from follow() to the last line applied.
 */
async function madmanOnce(file: string, total: number): Promise<MadmanRun> {
  const model = new MailSystem();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-ingest-state-'));
  let done: () => void = () => {};
  let failed: (e: Error) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => ((done = resolve), (failed = reject)));
  let plog: PostfixLog | undefined;
  const tail = new LogSource<{ log: PostfixLogState }, PostfixLog>(model, silentLogger, {
    checkpoint: 'postfix',
    input: 'postfix log',
    log: { file },
    stateDir,
    fromStart: true,
    isState: () => true,
    // the last line ends the run
    reader: () => (plog = new CountedPostfixLog(model, total, done)),
    owns: (app) => plog?.owns(app) ?? false,
    onStatus: (s) => {
      if (!s.ok) failed(new Error(s.reason));
    },
  });
  const { ms, cpuMs } = await timedRead(tail, finished, stateDir);
  return { ms, cpuMs, lines: tail.lines, unparsed: plog!.stats.unparsed, totals: madmanTotals(model) };
}

/** A PostfixLog that says when it has been given `total` lines. */
class CountedPostfixLog extends PostfixLog {
  private n = 0;
  constructor(model: MailSystem, private readonly total: number, private readonly done: () => void) {
    super(model, { year: YEAR });
  }
  override line(text: string): boolean {
    const ok = super.line(text);
    if (++this.n === this.total) this.done();
    return ok;
  }
}

function pflogsummOnce(file: string, out: string): { ms: number; totals: Record<Figure, PfValue> } {
  const fd = openSync(out, 'w');
  const t0 = performance.now();
  const r = spawnSync('pflogsumm', [file], { stdio: ['ignore', fd, 'pipe'], maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  closeSync(fd);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`pflogsumm exited with ${r.status}: ${String(r.stderr).trim()}`);
  const text = readFileSync(out, 'utf8');
  const get = (re: RegExp, what: string, group = 1): PfValue => {
    const m = re.exec(text);
    if (!m) throw new Error(`pflogsumm output: no "${what}" in its Grand Totals`);
    return { value: Number(m[group]), unit: (m[group + 1] ?? '') as PfValue['unit'] };
  };
  const line = (word: string) => new RegExp(`^ *(\\d+)([km]?) +${word}\\b`, 'm');
  return {
    ms,
    totals: {
      received: get(line('received'), 'received'),
      delivered: get(line('delivered'), 'delivered'),
      deferred: get(/^ *\d+[km]? +deferred +\((\d+)([km]?) +deferrals\)/m, 'deferrals'),
      bounced: get(line('bounced'), 'bounced'),
      rejected: get(line('rejected'), 'rejected'),
    },
  };
}

const pfText = (v: PfValue): string => `${fmt(v.value)}${v.unit}`;
const pfEquals = (n: number, v: PfValue): boolean => Math.floor(n / (v.unit === 'k' ? 1024 : v.unit === 'm' ? 1048576 : 1)) === v.value;

interface TailResult {
  written: number;
  applied: number;
  writeMs: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
  batches: number;
}

/** The writer appends at `rate` lines/s for `seconds`; we follow and apply, measuring each line's lag. */
async function tail(dir: string, rate: number, seconds: number, seed: number): Promise<TailResult> {
  const file = path.join(dir, 'tail.log');
  writeFileSync(file, '');
  const plog = new PostfixLog(new MailSystem());
  const lags = new Float64Array(rate * seconds + 16);
  let n = 0;
  let batches = 0;
  let prefix = '';
  let stamp = 0;
  const follower = new FileFollower(file, {
    fromStart: true,
    onBatch: (lines) => {
      for (const l of lines) plog.line(l);
      const now = Date.now();
      batches++;
      for (const l of lines) {
        if (prefix === '' || !l.startsWith(prefix)) {
          prefix = l.slice(0, 32);
          stamp = Date.parse(prefix);
        }
        if (n < lags.length) lags[n] = now - stamp;
        n++;
      }
    },
  });
  follower.start();
  const child = (writer = spawn(process.execPath, [path.join(HERE, 'bench-ingest-writer.js'), file, String(rate), String(seconds), String(seed)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  }));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the tail writer exited with ${code}`);
  const w = JSON.parse(out) as { lines: number; ms: number };
  const deadline = Date.now() + 10_000;
  while (n < w.lines && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await follower.stop();
  if (n !== w.lines) throw new Error(`live tail: ${w.lines} lines written, ${n} applied`);
  const sorted = lags.subarray(0, n).sort();
  const pct = (p: number) => sorted[Math.min(n - 1, Math.floor(p * (n - 1)))]!;
  let sum = 0;
  for (const x of sorted) sum += x;
  return { written: w.lines, applied: n, writeMs: w.ms, p50: pct(0.5), p99: pct(0.99), max: sorted[n - 1]!, mean: sum / n, batches };
}

function table(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  console.log(line(head));
  console.log(w.map((x) => '-'.repeat(x)).join('  '));
  for (const r of rows) console.log(line(r));
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

async function main(): Promise<void> {
  const opt = options();
  const machine = {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    pflogsumm: opt.pflogsumm ? run('pflogsumm', ['--version']) : 'not run',
    perl: opt.pflogsumm ? run('perl', ['-e', 'print $^V']) : 'not run',
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  console.log(`# ingest benchmark: ${fmt(opt.messages)} messages, seed ${opt.seed}, ${opt.repeat} madman run(s); ${machine.nproc} CPUs (${machine.cpu}), Node ${machine.node}, ${machine.pflogsumm}, perl ${machine.perl}, load average ${machine.loadavg.join(' ')}`);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'madman-ingest-'));
  const file = path.join(tmp, 'mail.log');

  const g = generate(file, opt.messages, opt.seed);
  const lines = g.truth.lines;
  const hours = (g.to - g.from) / 3_600_000;
  console.log(`# generated ${file}: ${fmt(lines)} lines, ${fmt(g.bytes / 1048576, 1)} MiB, ${fmt(g.truth.messages)} messages over ${fmt(hours, 1)} h of log time, in ${fmt(g.ms / 1000, 1)} s`);

  const runs: MadmanRun[] = [];
  for (let i = 0; i < opt.repeat; i++) {
    const r = await madmanOnce(file, lines);
    runs.push(r);
    console.log(`# madman run ${i + 1}/${opt.repeat}: ${fmt(r.lines)} lines in ${fmt(r.ms / 1000, 3)} s = ${fmt(r.lines / (r.ms / 1000))} lines/s (CPU ${fmt(r.cpuMs / 1000, 3)} s)`);
  }
  const mMs = median(runs.map((r) => r.ms));
  const mRate = lines / (mMs / 1000);
  const m = runs[0]!;
  const failures: string[] = [];
  if (runs.some((r) => r.lines !== lines)) failures.push(`madman read ${runs.map((r) => r.lines).join('/')} lines, the file has ${lines}`);
  if (runs.some((r) => FIGURES.some((f) => r.totals[f] !== m.totals[f] || r.totals.outbound4xx !== m.totals.outbound4xx))) failures.push('madman runs disagree with each other');
  const unparsed = Object.entries(m.unparsed);
  if (unparsed.length) console.log(`# madman: unparsed Postfix lines: ${unparsed.map(([p, c]) => `${p} ${c}`).join(', ')}`);

  let pf: { ms: number; runsMs: number[]; totals: Record<Figure, PfValue> } | undefined;
  if (opt.pflogsumm) {
    const first = pflogsummOnce(file, path.join(tmp, 'pflogsumm.txt'));
    const runsMs = [first.ms];
    console.log(`# pflogsumm run 1: ${fmt(first.ms / 1000, 2)} s = ${fmt(lines / (first.ms / 1000))} lines/s`);
    // "or 3 if quick": more runs when one takes under 20 s
    for (let i = 1; i < opt.repeat && first.ms < 20_000; i++) {
      const r = pflogsummOnce(file, path.join(tmp, 'pflogsumm.txt'));
      runsMs.push(r.ms);
      console.log(`# pflogsumm run ${i + 1}: ${fmt(r.ms / 1000, 2)} s = ${fmt(lines / (r.ms / 1000))} lines/s`);
    }
    pf = { ms: median(runsMs), runsMs, totals: first.totals };
  }

  // madman's deferred: its outbound 4.x.x errors count every deferral line plus one per
  // expiry (under the message's last deferral code); pflogsumm's deferrals do not count expiries.
  const expired = g.truth.expired;
  const mt = m.totals;
  const mFig: Totals = { received: mt.received, delivered: mt.delivered, deferred: mt.outbound4xx - expired, bounced: mt.bounced, rejected: mt.rejected };
  const logFig: Totals = { received: g.truth.received, delivered: g.truth.delivered, deferred: g.truth.deferrals, bounced: g.truth.bounced, rejected: g.truth.rejected };
  const how: Record<Figure, [string, string, string]> = {
    received: ['client= + pickup lines', 'mtaReceivedMessages', 'received'],
    delivered: ['status=sent (not forwarded)', 'mtaTransmittedRecipients', 'delivered'],
    deferred: ['status=deferred lines', `outbound 4.x.x errors - ${fmt(expired)} expiries`, '(N deferrals)'],
    bounced: ['status=bounced lines', 'outbound 5.x.x errors', 'bounced'],
    rejected: ['reject lines', 'sum of mtaGroupRejectedMessages', 'rejected'],
  };
  console.log('');
  const rows = FIGURES.map((f) => {
    const p = pf?.totals[f];
    const ok = mFig[f] === logFig[f] && (!p || (pfEquals(mFig[f], p) && pfEquals(logFig[f], p)));
    if (!ok) failures.push(`MISMATCH ${f}: log ${logFig[f]}, madman ${mFig[f]}, pflogsumm ${p ? pfText(p) : '-'}`);
    return [f, fmt(logFig[f]), fmt(mFig[f]), how[f][1], p ? pfText(p) : '-', how[f][2], ok ? 'yes' : 'MISMATCH'];
  });
  table(['figure', 'in the log', 'madman', 'madman figure', 'pflogsumm', 'pflogsumm figure', 'agree'], rows);
  console.log(`(in the log: what the generator wrote, ${how.received[0]}, ${how.delivered[0]}, ...; also ${fmt(g.truth.forwarded)} forwarded, ${fmt(expired)} expired)`);

  console.log('');
  const speedRows = [['madman (LogSource + PostfixLog)', fmt(mMs / 1000, 3), fmt(mRate), runs.map((r) => fmt(r.ms / 1000, 3)).join(' / ')]];
  if (pf) speedRows.push(['pflogsumm', fmt(pf.ms / 1000, 2), fmt(lines / (pf.ms / 1000)), pf.runsMs.map((x) => fmt(x / 1000, 2)).join(' / ')]);
  table(['reader', 'median s', 'lines/s', 'runs (s)'], speedRows);
  const ratio = pf ? mRate / (lines / (pf.ms / 1000)) : undefined;
  if (ratio !== undefined) console.log(`madman / pflogsumm, lines/s: ${fmt(ratio, 1)}x (target >= ${TARGET_RATIO}x: ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'})`);

  let t: TailResult | undefined;
  if (opt.tail) {
    console.log('');
    console.log(`# live tail: a writer process appends ${fmt(opt.tailRate)} lines/s for ${opt.tailSeconds} s; FileFollower (default 250 ms poll) + PostfixLog apply them`);
    t = await tail(tmp, opt.tailRate, opt.tailSeconds, opt.seed + 1);
    table(
      ['live tail', 'lines', 'written/s', 'batches', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'mean ms'],
      [['madman', fmt(t.applied), fmt(t.written / (t.writeMs / 1000)), fmt(t.batches), fmt(t.p50), fmt(t.p99), fmt(t.max), fmt(t.mean, 1)]],
    );
    console.log(`lag max ${fmt(t.max)} ms (target <= ${TARGET_LAG_MS} ms: ${t.max <= TARGET_LAG_MS ? 'met' : 'MISSED'})`);
  }

  console.log('');
  for (const f of failures) console.log(f);
  const agree = failures.length === 0;
  console.log(agree ? 'all figures agree' : `${failures.length} problem(s), see above`);
  console.log(
    JSON.stringify({
      bench: 'ingest',
      messages: opt.messages,
      seed: opt.seed,
      lines,
      bytes: g.bytes,
      machine,
      madman: { runsMs: runs.map((r) => Math.round(r.ms)), medianMs: Math.round(mMs), linesPerSec: Math.round(mRate), cpuRunsMs: runs.map((r) => Math.round(r.cpuMs)), medianCpuMs: Math.round(median(runs.map((r) => r.cpuMs))) },
      pflogsumm: pf ? { runsMs: pf.runsMs.map(Math.round), medianMs: Math.round(pf.ms), linesPerSec: Math.round(lines / (pf.ms / 1000)) } : null,
      ratio: ratio === undefined ? null : Number(ratio.toFixed(2)),
      totals: { log: logFig, madman: mFig, madmanOutbound4xx: m.totals.outbound4xx, expired, pflogsumm: pf ? Object.fromEntries(FIGURES.map((f) => [f, pfText(pf!.totals[f])])) : null },
      agree,
      tail: t ? { rate: opt.tailRate, seconds: opt.tailSeconds, ...t, mean: Number(t.mean.toFixed(1)) } : null,
    }),
  );
  if (!agree) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`bench-ingest: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
