// Walk benchmark: madman vs Net-SNMP snmpd, both bulkwalked by the real snmpbulkwalk.
//
//   npm run bench:walk -- [--rows N] [--big N] [--repeat K] [--no-snmpd] [--snmpd-tables dataset,sched]
//
// madman runs in a child process of its own (scripts/bench-agent.ts), as snmpd does, so
// nothing this process does (counting walk output, garbage collection) lands on its event
// loop; snmpbulkwalk writes to a file, counted after each timed walk.
// snmpd serves either the same mtaGroupTable rows from snmpd.conf (table_dataset:
// `table` + `add_row`) or, as a table whose look-ups do not scan every row, the
// same number of schedTable rows made by `repeat` lines. See docs/benchmarks.md.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  GROUP_COLUMNS,
  GROUP_ENTRY,
  GROUP_TABLE,
  SCHED_COLUMNS,
  SCHED_TABLE,
  TIME_COLUMNS,
  datasetLines,
  schedLines,
} from './bench-rows.js';
import { bulkwalkArgs, countWalk, isStopping, median, onCleanup, runBench, runToFiles, startMadmanProcess, startSnmpd } from './bench-procs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MIB_DIRS = path.join(ROOT, 'mibs');
const WALK_TIMEOUT_MS = 15 * 60 * 1000;

interface Target {
  key: string;
  label: string;
  rows: number;
  columns: number;
  target: string;
  walkOid: string;
  startupMs: number;
  runsMs: number[];
  varbinds: number;
  /** output of the first walk, kept for compareWalks */
  firstWalk?: string;
}

function options() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '10000' },
      big: { type: 'string', default: '100000' },
      repeat: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      'no-snmpd': { type: 'boolean', default: false },
      'snmpd-tables': { type: 'string', default: 'dataset,sched' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: bench-walk [--rows N] [--big N|0] [--repeat K] [--warmup W] [--no-snmpd] [--snmpd-tables dataset,sched]');
    process.exit(0);
  }
  const int = (name: string, s: string, min: number) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} needs an integer >= ${min}`);
    return n;
  };
  const tables = values['snmpd-tables'].split(',').filter(Boolean);
  for (const t of tables) if (t !== 'dataset' && t !== 'sched') throw new Error(`--snmpd-tables: unknown "${t}"`);
  return {
    rows: int('rows', values.rows, 1),
    big: int('big', values.big, 0),
    repeat: int('repeat', values.repeat, 1),
    warmup: int('warmup', values.warmup, 0),
    snmpdTables: values['no-snmpd'] ? [] : tables,
  };
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const vbps = (t: Target) => t.varbinds / (median(t.runsMs) / 1000);
let failures = 0;
function fail(msg: string): void {
  if (isStopping()) return;
  failures++;
  console.error(`ERROR: ${msg}`);
}

async function startMadman(dir: string, rows: number): Promise<{ target: Target; fillMs: number; stop: () => Promise<void> }> {
  const stateDir = path.join(dir, `madman-state-${rows}`);
  mkdirSync(stateDir);
  const t0 = process.hrtime.bigint();
  const child = await startMadmanProcess(path.join(ROOT, 'dist/scripts/bench-agent.js'), rows, stateDir, 10 * 60 * 1000);
  const target = `127.0.0.1:${child.port}`;
  // First GET sorts the rows (views re-sort only when rows appear or vanish): part of start-up.
  const probe = await runToFiles('snmpget', ['-v2c', '-c', 'public', '-On', '-t', '5', '-r', '0', target, `${GROUP_ENTRY}.25.1.${rows}`],
    path.join(dir, 'probe.out'), path.join(dir, 'probe.err'), 60000);
  if (probe.code !== 0) throw new Error(`madman does not answer on ${target}`);
  return {
    fillMs: child.fillMs,
    stop: child.stop,
    target: {
      key: 'madman',
      label: 'madman',
      rows,
      columns: GROUP_COLUMNS,
      target,
      walkOid: GROUP_TABLE,
      startupMs: ms(t0),
      runsMs: [],
      varbinds: 0,
    },
  };
}

/**
 * Walks every target `repeat` times, interleaved (A B C A B C ...), checking the varbind counts.
 * The first walk's output of targets in `keep` is kept for compareWalks (done after all timed
 * walks, so its memory is not garbage collected while madman is timed).
 */
async function walkAll(dir: string, targets: Target[], repeat: number, warmup: number, keep: Set<string>): Promise<void> {
  // Untimed, for every agent alike: V8 compiles madman's hot paths during its first walk.
  for (let r = 0; r < warmup; r++) {
    for (const t of targets) {
      const out = path.join(dir, `warmup-${t.key}.out`);
      const exit = await runToFiles('snmpbulkwalk', bulkwalkArgs(t.target, t.walkOid), out, `${out}.err`, WALK_TIMEOUT_MS);
      const n = countWalk(out, `.${t.walkOid}.1.`).varbinds;
      if (exit.code !== 0 || n !== t.rows * t.columns) fail(`${t.label}: warm-up walk: exit ${exit.code ?? exit.signal}, ${n} varbinds`);
      rmSync(out, { force: true });
      console.log(`# ${t.label}: warm-up walk ${r + 1}/${warmup}: ${fmt(n)} varbinds in ${fmt(exit.ms / 1000, 3)} s (not counted)`);
    }
  }
  for (let r = 0; r < repeat; r++) {
    for (const t of targets) {
      const out = path.join(dir, `walk-${t.key}.out`);
      const exit = await runToFiles('snmpbulkwalk', bulkwalkArgs(t.target, t.walkOid), out, `${out}.err`, WALK_TIMEOUT_MS);
      if (exit.code !== 0) fail(`${t.label}: snmpbulkwalk exited ${exit.code ?? exit.signal} (see ${out}.err)`);
      const c = countWalk(out, `.${t.walkOid}.1.`);
      const expected = t.rows * t.columns;
      if (c.varbinds !== expected) fail(`${t.label}: walk ${r + 1} returned ${c.varbinds} varbinds, expected ${t.rows} x ${t.columns} = ${expected}`);
      t.varbinds = c.varbinds;
      t.runsMs.push(exit.ms);
      if (r === 0 && keep.has(t.key)) renameSync(out, (t.firstWalk = `${out}.first`));
      else rmSync(out, { force: true });
      console.log(`# ${t.label}: walk ${r + 1}/${repeat}: ${fmt(c.varbinds)} varbinds in ${fmt(exit.ms / 1000, 3)} s`);
    }
  }
}

/** Same OIDs and values from madman and the table_dataset snmpd? (time columns: same type only) */
function compareWalks(a: Target, b: Target): void {
  if (!a.firstWalk || !b.firstWalk) return;
  const av = countWalk(a.firstWalk, `.${GROUP_ENTRY}.`, true).values!;
  const bv = countWalk(b.firstWalk, `.${GROUP_ENTRY}.`, true).values!;
  let diff = 0;
  const shown: string[] = [];
  for (const [oid, va] of av) {
    const vb = bv.get(oid);
    const col = Number(oid.slice(GROUP_ENTRY.length + 2).split('.')[0]);
    const same = vb !== undefined && (TIME_COLUMNS.has(col) ? va.split(':')[0] === vb.split(':')[0] : va === vb);
    if (!same) {
      diff++;
      if (shown.length < 3) shown.push(`${oid}: madman ${va} / snmpd ${vb ?? '(missing)'}`);
    }
  }
  for (const k of bv.keys()) if (!av.has(k)) diff++;
  if (diff) fail(`madman and snmpd (table_dataset) walks differ in ${diff} varbinds, e.g. ${shown.join('; ')}`);
  else console.log(`# madman and snmpd table_dataset served the same ${fmt(av.size)} OIDs and values (time columns: same types)`);
  for (const t of [a, b]) rmSync(t.firstWalk!, { force: true });
}

function printTable(targets: Target[]): void {
  const head = ['agent', 'rows', 'cols', 'varbinds', 'start s', 'walks s', 'median s', 'varbinds/s'];
  const rows = targets.map((t) => [
    t.label,
    fmt(t.rows),
    String(t.columns),
    fmt(t.varbinds),
    fmt(t.startupMs / 1000, 2),
    t.runsMs.map((x) => fmt(x / 1000, 2)).join(' '),
    fmt(median(t.runsMs) / 1000, 3),
    fmt(vbps(t)),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const opt = options();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const snmpdVersion = /version:\s*(\S+)/i.exec(execFileSync('snmpd', ['-v'], { encoding: 'utf8' }))?.[1] ?? '?';
  const machine = { nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? '?', node: process.version, snmpd: snmpdVersion };
  console.log(`# walk benchmark: ${opt.rows} rows, big ${opt.big || 'skipped'}, ${opt.warmup} untimed + ${opt.repeat} timed walks each; ${machine.nproc} CPUs (${machine.cpu}), Node ${machine.node}, snmpd ${machine.snmpd}`);
  console.log(`# timed: snmpbulkwalk ${bulkwalkArgs('TARGET', 'OID').join(' ')} (wall clock, spawn to exit)`);

  const m = await startMadman(dir, opt.rows);
  console.log(`# madman: ${fmt(opt.rows)} channels filled in ${fmt(m.fillMs)} ms; first GET (rows sorted) answered ${fmt(m.target.startupMs)} ms after spawn, on ${m.target.target}`);
  const targets: Target[] = [m.target];
  for (const kind of opt.snmpdTables) {
    const sdir = path.join(dir, `snmpd-${kind}`);
    mkdirSync(path.join(sdir, 'persist'), { recursive: true });
    const dataset = kind === 'dataset';
    const s = await startSnmpd({
      dir: sdir,
      lines: dataset ? datasetLines(opt.rows) : schedLines(opt.rows),
      modules: dataset ? 'vacm_conf' : 'vacm_conf,schedCore,schedConf,schedTable',
      mibDirs: MIB_DIRS,
      // dataset: mtaGroupName of the last row; sched: schedInterval of "snmpd.conf"/"_conf001"
      probeOid: dataset ? `${GROUP_ENTRY}.25.1.${opt.rows}` : `${SCHED_TABLE}.1.4.10.${[...Buffer.from('snmpd.conf')].join('.')}.8.${[...Buffer.from('_conf001')].join('.')}`,
      startTimeoutMs: 10 * 60 * 1000,
    });
    console.log(`# snmpd ${kind}: config parsed and first GET answered in ${fmt(s.startupMs)} ms on ${s.target}`);
    targets.push({
      key: kind,
      label: dataset ? 'snmpd mtaGroupTable (table_dataset)' : 'snmpd schedTable (repeat lines)',
      rows: opt.rows,
      columns: dataset ? GROUP_COLUMNS : SCHED_COLUMNS,
      target: s.target,
      walkOid: dataset ? GROUP_TABLE : SCHED_TABLE,
      startupMs: s.startupMs,
      runsMs: [],
      varbinds: 0,
    });
  }

  // The big agent runs alongside and its walks are interleaved with the others', so that
  // both sides of the big/small time ratio meet the same machine load.
  let big: Target | undefined;
  if (opt.big > 0) {
    const b = await startMadman(dir, opt.big);
    b.target.key = 'madman-big';
    b.target.label = 'madman, big';
    console.log(`# madman: ${fmt(opt.big)} channels filled in ${fmt(b.fillMs)} ms; first GET (rows sorted) answered ${fmt(b.target.startupMs)} ms after spawn, on ${b.target.target}`);
    big = b.target;
  }

  await walkAll(dir, big ? [...targets, big] : targets, opt.repeat, opt.warmup, new Set(['madman', 'dataset']));
  const ds = targets.find((t) => t.key === 'dataset');
  if (ds) compareWalks(m.target, ds);

  console.log('');
  printTable(big ? [...targets, big] : targets);
  console.log('');
  const ratios: Record<string, number> = {};
  for (const t of targets.slice(1)) {
    ratios[t.key] = vbps(m.target) / vbps(t);
    console.log(`madman / ${t.label}, varbinds/s: ${fmt(ratios[t.key]!, 2)}x (target >= 1.5x)`);
  }
  let bigRatio: number | undefined;
  if (big) {
    bigRatio = median(big.runsMs) / median(m.target.runsMs);
    console.log(`madman walk time ${fmt(big.rows)} rows / ${fmt(m.target.rows)} rows: ${fmt(bigRatio, 2)}x (target <= ${fmt((12 * big.rows) / (10 * m.target.rows), 1)}x; rows x${fmt(big.rows / m.target.rows, 1)})`);
  }
  if (opt.big > 0 && opt.snmpdTables.length) console.log(`(snmpd is not walked with ${fmt(opt.big)} rows: see docs/benchmarks.md)`);
  if (failures) console.log(`${failures} error(s), see above`);

  const summary = (t: Target) => ({
    rows: t.rows,
    columns: t.columns,
    varbinds: t.varbinds,
    startup_s: +(t.startupMs / 1000).toFixed(3),
    walks_s: t.runsMs.map((x) => +(x / 1000).toFixed(3)),
    median_s: +(median(t.runsMs) / 1000).toFixed(3),
    varbinds_per_s: Math.round(vbps(t)),
  });
  const json: Record<string, unknown> = { bench: 'walk', machine, repeat: opt.repeat, warmup: opt.warmup, madman: summary(m.target) };
  for (const t of targets.slice(1)) json[`snmpd_${t.key}`] = summary(t);
  for (const [k, r] of Object.entries(ratios)) json[`ratio_vbps_madman_vs_snmpd_${k}`] = +r.toFixed(3);
  if (big) {
    json.madman_big = summary(big);
    json.ratio_time_big_vs_rows = +bigRatio!.toFixed(3);
  }
  json.errors = failures;
  console.log(JSON.stringify(json));
  if (failures) process.exitCode = 1;
}

await runBench(main);
