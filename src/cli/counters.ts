// `madman counters show|clear`: the channel counters as `imsimta counters -show` prints
// them, from the agent's state directory (each source declares its rows: `counters` in
// its SourceDeclaration), and their reset.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultStateDir, settingsFrom } from '../config/config.js';
import { COUNTER_KINDS, type CounterKind } from '../model/channel-counters.js';
import type { ChannelReport, Row } from '../sources/kit/counters-rows.js';
import '../sources/index.js';
import { sourceDeclarations } from '../sources/registry.js';
import { clearRequests, readClearRequest, type Baselines } from '../state/counters-clear.js';

export interface CountersFlags {
  stateDir?: string;
  config?: string;
  channel?: string;
  json?: boolean;
  wait?: string;
}

const LABELS: Record<CounterKind, string> = {
  received: 'Received',
  stored: 'Stored',
  delivered: 'Delivered',
  submitted: 'Submitted',
  attempted: 'Attempted',
  rejected: 'Rejected',
  failed: 'Failed',
};

/** `madman counters show|clear`, registered on the main program; `done` gets the exit code. */
export function countersCommand(program: Command, done: (code: number) => void): void {
  const counters = program.command('counters').description('channel counters, as imsimta counters shows them (read from the state directory)');
  counters
    .command('show')
    .description('print the channel counters')
    .option('--state-dir <dir>', "the agent's state directory")
    .option('--config <file>', 'take the state directory from this configuration file')
    .option('--channel <name>', 'only this channel')
    .option('--json', 'print JSON')
    .action((opts: CountersFlags) => done(countersShow(opts)));
  counters
    .command('clear')
    .description('reset the channel counters (a running agent applies it within a second)')
    .option('--state-dir <dir>', "the agent's state directory")
    .option('--config <file>', 'take the state directory from this configuration file')
    .option('--wait <seconds>', 'how long to wait for a running agent to apply it', '5')
    .action(async (opts: CountersFlags) => done(await countersClear(opts)));
}

/** The state directory, or undefined after saying why the configuration file is bad. */
function stateDirOf(flags: CountersFlags): string | undefined {
  if (flags.stateDir) return path.resolve(flags.stateDir);
  if (!flags.config) return defaultStateDir();
  try {
    return settingsFrom({ config: flags.config }).stateDir;
  } catch (err) {
    process.stderr.write(`madman: bad configuration: ${(err as Error).message}\n`);
    return undefined;
  }
}

/** Local time, to the second (the log's own clock is local too). */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const cell = (v: number | null): string => (v === null ? '-' : String(v)).padStart(10);
const row = (label: string, r: Row | { messages: number; recipients: number; blocks: number }): string =>
  `   ${label.padEnd(19)} ${cell(r.messages)} ${cell(r.recipients)} ${cell(r.blocks)}`;

function queueLine(label: string, seconds: number, count: number): string {
  // the mean of the total shown (a checkpoint of an older version can hold a fraction)
  const total = Math.round(seconds);
  const avg = count ? total / count : 0;
  return `   ${label.padEnd(24)}${total}/${count} = ${avg.toFixed(2)}`;
}

/** The imsimta counters -show layout, one block per channel, grouped by application. */
export function formatReports(reports: ChannelReport[]): string {
  const out: string[] = [];
  let app: string | undefined;
  for (const r of reports) {
    if (r.application !== app) {
      app = r.application;
      if (out.length) out.push('');
      const since = r.since === undefined ? '' : ` since ${localTime(r.since)}`;
      out.push(`${app} (${r.source}): counters${since}${r.clearPending ? ' (clear pending: the agent applies it when it runs)' : ''}`);
      out.push('');
      out.push(`${'Channel'.padEnd(23)}${'Messages'.padEnd(11)}${'Recipients'.padEnd(11)}Blocks`);
      out.push(`${'-'.repeat(22)} ${'-'.repeat(10)} ${'-'.repeat(10)} ${'-'.repeat(10)}`);
    }
    out.push(r.channel);
    for (const k of COUNTER_KINDS) {
      let line = row(LABELS[k], r.counters[k]);
      if (k === 'delivered' && r.deliveredFirstTime !== null) line += ` (${r.deliveredFirstTime} first time)`;
      out.push(line);
    }
    out.push('');
    if (r.queue) {
      out.push(queueLine('Queue time/count', r.queue.seconds, r.queue.count));
      out.push(queueLine('Queue first time/count', r.queue.firstSeconds, r.queue.firstCount));
    } else {
      out.push(`   ${'Queue time/count'.padEnd(24)}-`);
      out.push(`   ${'Queue first time/count'.padEnd(24)}-`);
    }
    out.push('');
    out.push(`   ${'Total In Assocs'.padEnd(22)}${String(r.inAssocs).padStart(10)}`);
    out.push(`   ${'Total Out Assocs'.padEnd(22)}${String(r.outAssocs).padStart(10)}`);
    const negative = COUNTER_KINDS.filter((k) => r.absolute[k]);
    if (negative.length) {
      out.push('');
      out.push('   Absolute values (current less the lowest since counting began or the last clear):');
      for (const k of negative) out.push(row(LABELS[k], r.absolute[k]!));
    }
    out.push('');
  }
  return out.join('\n');
}

/** Every source's channels in `stateDir`, in registration order. */
export function readReports(stateDir: string): ChannelReport[] {
  const req = readClearRequest(stateDir);
  return sourceDeclarations().flatMap((d) => d.counters?.reports(stateDir, req) ?? []);
}

/** The values a clear subtracts from now on, of the sources that cannot reset their counters. */
function baselines(stateDir: string): Baselines {
  const out: Baselines = {};
  for (const d of sourceDeclarations()) Object.assign(out, d.counters?.baselines?.(stateDir));
  return out;
}

export function countersShow(flags: CountersFlags): number {
  const dir = stateDirOf(flags);
  if (dir === undefined) return 2;
  let reports: ChannelReport[];
  try {
    reports = readReports(dir);
  } catch (err) {
    process.stderr.write(`madman: ${(err as Error).message}\n`);
    return 1;
  }
  if (flags.channel !== undefined) reports = reports.filter((r) => r.channel === flags.channel);
  if (!reports.length) {
    process.stderr.write(
      flags.channel !== undefined
        ? `madman: no channel ${flags.channel} in ${dir}\n`
        : `madman: no channel counters in ${dir} (is it the --state-dir of an agent reading ${counted()}?)\n`,
    );
    return 1;
  }
  if (flags.json) {
    const json = reports.map((r) => ({ ...r, since: r.since === undefined ? null : new Date(r.since).toISOString() }));
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else process.stdout.write(formatReports(reports));
  return 0;
}

/**
 * Records a clear request; a running agent applies it within a second (the command waits
 * up to --wait seconds to say so), a stopped one when it next starts.
 */
export async function countersClear(flags: CountersFlags): Promise<number> {
  const dir = stateDirOf(flags);
  if (dir === undefined) return 2;
  const waitMs = Number(flags.wait ?? '5') * 1000;
  if (!Number.isFinite(waitMs) || waitMs < 0) {
    process.stderr.write(`madman: --wait takes a number of seconds\n`);
    return 2;
  }
  if (!existsSync(dir)) {
    process.stderr.write(`madman: no state directory ${dir}\n`);
    return 1;
  }
  const at = Date.now();
  let seq: number;
  try {
    seq = (readClearRequest(dir)?.seq ?? 0) + 1;
    clearRequests(dir).save({ seq, at, baselines: baselines(dir) });
  } catch (err) {
    process.stderr.write(`madman: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`counters cleared at ${localTime(at)} (request ${seq})\n`);
  // the agent rewrites the checkpoint meanwhile: a damaged one is reported, not a stack trace
  // (only the rows of sources that reset their own counters wait for the agent: the others'
  // clear is their baseline, applied when the rows are read)
  const own = (): ChannelReport[] | undefined => {
    try {
      const req = readClearRequest(dir);
      return sourceDeclarations()
        .filter((d) => d.counters && !d.counters.baselines)
        .flatMap((d) => d.counters!.reports(dir, req));
    } catch (err) {
      process.stderr.write(`madman: ${(err as Error).message}\n`);
      return undefined;
    }
  };
  let reports = own();
  if (!reports) return 1;
  if (!reports.length) return 0;
  const deadline = Date.now() + waitMs;
  while (reports.some((r) => r.clearPending)) {
    if (Date.now() >= deadline) {
      const titles = sourceDeclarations().filter((d) => reports!.some((r) => r.source === d.name)).map((d) => d.title ?? d.name);
      process.stdout.write(`the agent has not applied it yet: it will when it runs (${titles.join(', ')} counters show as cleared meanwhile)\n`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 100));
    reports = own();
    if (!reports) return 1;
  }
  process.stdout.write('the agent has applied it\n');
  return 0;
}

/** The sources with counters rows, for a message: "a Postfix or Sun MTA log". */
function counted(): string {
  const titles = sourceDeclarations()
    .filter((d) => d.counters)
    .map((d) => d.title ?? d.name);
  return `a ${titles.join(' or ')} log`;
}
