// Ingest benchmark of the Exim source beside eximstats, Exim's own log analyser (the Perl
// script of the exim4-base package that scripts/extract-debs.sh unpacks):
//
//   npm run bench:exim-ingest -- [--messages N] [--repeat K] [--seed S]
//
// 1. A synthetic Exim 4.96 mainlog of N messages (bench-exim-gen.ts) is written to a
//    temporary directory.
// 2. madman reads it K times the way `madman agent --exim-log FILE --from-start` does: a
//    FileFollower (fromStart) feeding a fresh MailSystem + EximLog, timed from start() to the
//    batch that ends at the file's size. eximstats reads the same file K times (text report
//    to a file, `-nr -ne -nt -t0 -h0 -q0`: the grand totals, no per-host tables).
// 3. Both tools' received / delivered / deferred / rejected totals are printed side by side
//    with what the generator wrote; any difference prints MISMATCH and the exit status is 1.
//    The last output line is JSON. Figures and method: docs/benchmarks.md.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MailSystem } from '../src/model/mail-system.js';
import { EximLog } from '../src/sources/exim/apply.js';
import { FileFollower } from '../src/sources/tail/index.js';
import { EXIMSTATS } from '../test/helpers/exim-server.js';
import { generateEximLog, type EximTruth } from './bench-exim-gen.js';

type Figure = 'received' | 'delivered' | 'deferred' | 'rejected';
const FIGURES: Figure[] = ['received', 'delivered', 'deferred', 'rejected'];
type Totals = Record<Figure, number>;

const fmt = (n: number): string => n.toLocaleString('en-US');
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * madman's figures in eximstats' terms: messages received (`<=`, mtaReceivedMessages),
 * addresses delivered (`=>` and `->`, mtaTransmittedRecipients), messages deferred at least
 * once, refusals (rejected and temporarily rejected: mtaGroupRejectedMessages summed).
 */
function madmanTotals(log: EximLog): Totals {
  const c = log.app.mta!.counters;
  let rejected = 0;
  for (const ch of log.app.mta!.channels.values()) rejected += ch.rejectedMessages;
  return { received: c.receivedMessages, delivered: c.transmittedRecipients, deferred: log.deferredMessages, rejected };
}

async function madmanOnce(file: string): Promise<{ ms: number; cpuMs: number; totals: Totals; unparsed: number }> {
  const size = statSync(file).size;
  const model = new MailSystem();
  const log = new EximLog(model, { host: 'mx1' });
  let unparsed = 0;
  let follower: FileFollower | undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ms = await new Promise<number>((resolve, reject) => {
    follower = new FileFollower(file, {
      fromStart: true,
      onBatch: (lines, pos) => {
        for (const l of lines) if (!log.line(l)) unparsed++;
        if (pos.offset >= size) resolve(performance.now() - t0);
      },
      onStatus: (s) => {
        if (!s.ok) reject(new Error(s.reason));
      },
      onError: reject,
    });
    follower.start();
  });
  const cpu = process.cpuUsage(cpu0);
  await follower!.stop();
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, totals: madmanTotals(log), unparsed };
}

/** eximstats' grand total summary: Received, Delivered (addresses), Delayed, Rejects + Temp Rejects. Wall time. */
function eximstatsOnce(file: string, out: string): { ms: number; totals: Totals } {
  const fd = openSync(out, 'w');
  const t0 = performance.now();
  const r = spawnSync('perl', [EXIMSTATS, '-nr', '-ne', '-nt', '-t0', '-h0', '-q0', file], { stdio: ['ignore', fd, 'pipe'] });
  const ms = performance.now() - t0;
  closeSync(fd);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`eximstats exited with ${r.status}: ${String(r.stderr).trim()}`);
  const text = readFileSync(out, 'utf8');
  const row = (name: string): string[] => {
    const m = new RegExp(`^  ${name} +(.*)$`, 'm').exec(text);
    if (!m) throw new Error(`eximstats output: no "${name}" row in its grand total summary:\n${text.slice(0, 800)}`);
    return m[1]!.trim().split(/\s+/);
  };
  // Received: volume, messages, hosts, delayed, delayed %, failed, failed %
  const received = row('Received');
  // Delivered: volume, messages, addresses, hosts
  const delivered = row('Delivered');
  const rejects = /^  Rejects +(\d+)/m.exec(text);
  const temp = /^  Temp Rejects +(\d+)/m.exec(text);
  return {
    ms,
    totals: {
      received: Number(received[1]),
      delivered: Number(delivered[2]),
      deferred: Number(received[3]),
      rejected: Number(rejects?.[1] ?? 0) + Number(temp?.[1] ?? 0),
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '100000' },
      repeat: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
    },
  });
  const messages = Number(values.messages);
  const repeat = Number(values.repeat);
  if (!existsSync(EXIMSTATS)) throw new Error(`${EXIMSTATS} missing: run scripts/test-deps.sh (as root)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-exim-'));
  try {
    const file = path.join(dir, 'mainlog');
    const g0 = performance.now();
    const fd = openSync(file, 'w');
    const truth: EximTruth = generateEximLog(messages, Number(values.seed), (chunk) => writeSync(fd, chunk));
    closeSync(fd);
    const mb = statSync(file).size / 1e6;
    console.log(`log: ${fmt(truth.lines)} lines, ${mb.toFixed(1)} MB, ${fmt(messages)} messages (generated in ${((performance.now() - g0) / 1000).toFixed(1)} s)`);
    const expected: Totals = { received: truth.received, delivered: truth.deliveredAddresses, deferred: truth.deferredMessages, rejected: truth.rejected + truth.tempRejected };

    const mRuns: Array<Awaited<ReturnType<typeof madmanOnce>>> = [];
    const eRuns: Array<ReturnType<typeof eximstatsOnce>> = [];
    for (let k = 0; k < repeat; k++) {
      const m = await madmanOnce(file);
      mRuns.push(m);
      console.log(`madman    run ${k + 1}: ${m.ms.toFixed(0)} ms (CPU ${m.cpuMs.toFixed(0)} ms), ${fmt(Math.round(truth.lines / (m.ms / 1000)))} lines/s, ${m.unparsed} lines not understood`);
      const e = eximstatsOnce(file, path.join(dir, 'eximstats.txt'));
      eRuns.push(e);
      console.log(`eximstats run ${k + 1}: ${e.ms.toFixed(0)} ms, ${fmt(Math.round(truth.lines / (e.ms / 1000)))} lines/s`);
    }
    let bad = false;
    console.log(`\n${'total'.padEnd(10)} ${'generated'.padStart(10)} ${'madman'.padStart(10)} ${'eximstats'.padStart(10)}`);
    const mt = mRuns[0]!.totals;
    const et = eRuns[0]!.totals;
    for (const f of FIGURES) {
      const same = mt[f] === et[f] && mt[f] === expected[f] && mRuns.every((r) => r.totals[f] === mt[f]);
      if (!same) bad = true;
      console.log(`${f.padEnd(10)} ${fmt(expected[f]).padStart(10)} ${fmt(mt[f]).padStart(10)} ${fmt(et[f]).padStart(10)}${same ? '' : '   MISMATCH'}`);
    }
    if (mRuns.some((r) => r.unparsed !== 0)) {
      console.log('MISMATCH: madman did not understand every generated line');
      bad = true;
    }
    const mMs = median(mRuns.map((r) => r.ms));
    const eMs = median(eRuns.map((r) => r.ms));
    console.log(`\nmedian: madman ${mMs.toFixed(0)} ms, eximstats ${eMs.toFixed(0)} ms (${(eMs / mMs).toFixed(1)}x)`);
    console.log(
      JSON.stringify({
        messages,
        lines: truth.lines,
        mb: Number(mb.toFixed(1)),
        madmanMedianMs: Math.round(mMs),
        madmanLinesPerSecond: Math.round(truth.lines / (mMs / 1000)),
        madmanMedianCpuMs: Math.round(median(mRuns.map((r) => r.cpuMs))),
        eximstatsMedianMs: Math.round(eMs),
        eximstatsLinesPerSecond: Math.round(truth.lines / (eMs / 1000)),
        totals: { madman: mt, eximstats: et },
        load: os.loadavg()[0]!.toFixed(1),
      }),
    );
    process.exitCode = bad ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
