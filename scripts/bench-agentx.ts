// AgentX benchmark: walks through one Net-SNMP snmpd master of
//   - a 10,000-row mtaGroupTable served by madman as AgentX subagent,
//   - the host-resources subtree served by Net-SNMP's own C subagent (snmpd -X), and
//   - with --sched, a schedTable of as many rows served by a second C subagent (like for
//     like: a big table whose values cost nothing to read, where host resources read /proc;
//     off by default: through AgentX it walks at about 1,000 varbinds/s, minutes per walk),
// in the same run, interleaved; plus, for reference, host resources served by an snmpd
// itself (no AgentX). Each walk is the real snmpbulkwalk, output to a file.
//
//   npm run bench:agentx -- [--rows N] [--repeat K] [--warmup W] [--sched]

import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GROUP_COLUMNS, GROUP_TABLE, SCHED_COLUMNS, SCHED_TABLE, schedLines } from './bench-rows.js';
import { bulkwalkArgs, countWalk, isStopping, median, onCleanup, runBench, runToFiles, startMadmanProcess, startSnmpd } from './bench-procs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MIB_DIRS = path.join(ROOT, 'mibs');
const HR = '1.3.6.1.2.1.25';
const HR_UPTIME = `${HR}.1.1.0`;
/** Modules that serve 1.3.6.1.2.1.25 (left out of the master, so that the C subagent serves it). */
const HR_MODULES =
  'hr_system,hr_storage,hr_device,hr_other,hr_proc,hr_network,hr_print,hr_disk,hr_partition,hr_filesys,hr_swrun,hr_swinst,hrSWRunTable,hrSWInstalledTable,hrh_storage,hrh_filesys,hrSWRunPerfTable';
const SCHED_MODULES = 'schedCore,schedConf,schedTable';
/** schedInterval of owner "snmpd.conf", name "_conf001": the first row the `repeat` lines make. */
const SCHED_PROBE = `${SCHED_TABLE}.1.4.10.${[...Buffer.from('snmpd.conf')].join('.')}.8.${[...Buffer.from('_conf001')].join('.')}`;
const WALK_TIMEOUT_MS = 10 * 60 * 1000;

interface Target {
  key: string;
  label: string;
  target: string;
  walkOid: string;
  /** exact count expected, or undefined when it varies (host resources: processes come and go) */
  expected?: number;
  runs: Array<{ ms: number; varbinds: number }>;
}

function options() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '10000' },
      repeat: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      sched: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: bench-agentx [--rows N] [--repeat K] [--warmup W] [--sched]');
    process.exit(0);
  }
  const int = (name: string, s: string, min: number) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} needs an integer >= ${min}`);
    return n;
  };
  return { rows: int('rows', values.rows, 1), repeat: int('repeat', values.repeat, 1), warmup: int('warmup', values.warmup, 0), sched: values.sched };
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rate = (r: { ms: number; varbinds: number }) => r.varbinds / (r.ms / 1000);
const medianRate = (t: Target) => median(t.runs.map(rate));
let failures = 0;
function fail(msg: string): void {
  if (isStopping()) return;
  failures++;
  console.error(`ERROR: ${msg}`);
}

/**
 * `snmpd -f -X` with its default modules, registered with the master at `socket`: it gets
 * host resources (the master has none), its other registrations duplicate the master's.
 * (An -I list of only the hr modules loads old and new implementations together, and that
 * snmpd dies of SIGFPE or SIGSEGV on the first hrSWInstalled walk.) mta_sendmail is left
 * out: it would register mtaTable columns beside madman's.
 */
function startCSubagent(dir: string, socket: string, modules = '-mta_sendmail', lines: Iterable<string> = []): void {
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'subagent.conf');
  writeFileSync(conf, [`agentXSocket ${socket}`, ...lines, ''].join('\n'));
  const out = openSync(path.join(dir, 'subagent.out'), 'w');
  const child = spawn('snmpd', ['-f', '-X', '-Lf', path.join(dir, 'subagent.log'), '-C', '-c', conf, '-p', path.join(dir, 'subagent.pid'), '-I', modules], {
    stdio: ['ignore', out, out],
    env: { ...process.env, SNMP_PERSISTENT_DIR: path.join(dir, 'persist') },
  });
  closeSync(out);
  let exited = false;
  const done = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  onCleanup(async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  });
}

async function waitServed(dir: string, target: string, oid: string, what: string): Promise<void> {
  const deadline = Date.now() + 60000;
  for (;;) {
    const out = path.join(dir, 'probe.out');
    const r = await runToFiles('snmpget', ['-v2c', '-c', 'public', '-On', '-t', '1', '-r', '0', target, oid], out, `${out}.err`, 5000);
    if (r.code === 0 && countWalk(out, `.${oid}`).varbinds === 1) return;
    if (Date.now() > deadline) throw new Error(`${what} not served through ${target} within 60 s`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function walkAll(dir: string, targets: Target[], repeat: number, warmup: number): Promise<void> {
  for (let r = -warmup; r < repeat; r++) {
    for (const t of targets) {
      const out = path.join(dir, `walk-${t.key}.out`);
      const exit = await runToFiles('snmpbulkwalk', bulkwalkArgs(t.target, t.walkOid), out, `${out}.err`, WALK_TIMEOUT_MS);
      const n = countWalk(out, `.${t.walkOid}.`).varbinds;
      rmSync(out, { force: true });
      if (exit.code !== 0) fail(`${t.label}: snmpbulkwalk exited ${exit.code ?? exit.signal} (see ${out}.err)`);
      if (t.expected !== undefined && n !== t.expected) fail(`${t.label}: ${n} varbinds, expected ${t.expected}`);
      if (t.expected === undefined && n < 100) fail(`${t.label}: only ${n} varbinds`);
      const timed = r >= 0;
      if (timed) t.runs.push({ ms: exit.ms, varbinds: n });
      console.log(`# ${t.label}: ${timed ? `walk ${r + 1}/${repeat}` : 'warm-up (not counted)'}: ${fmt(n)} varbinds in ${fmt(exit.ms / 1000, 3)} s = ${fmt(n / (exit.ms / 1000))}/s`);
    }
  }
}

async function main(): Promise<void> {
  const opt = options();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-agentx-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const snmpdVersion = /version:\s*(\S+)/i.exec(execFileSync('snmpd', ['-v'], { encoding: 'utf8' }))?.[1] ?? '?';
  const machine = { nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? '?', node: process.version, snmpd: snmpdVersion, load: os.loadavg().map((x) => +x.toFixed(2)) };
  console.log(`# AgentX benchmark: ${opt.rows} rows, ${opt.warmup} untimed + ${opt.repeat} timed walks each; ${machine.nproc} CPUs (${machine.cpu}), Node ${machine.node}, snmpd ${machine.snmpd}, load ${machine.load.join(' ')}`);
  console.log(`# timed: snmpbulkwalk ${bulkwalkArgs('MASTER', 'OID').join(' ')} (wall clock, spawn to exit)`);

  // The master: no host resources and no scheduler (C subagents serve them), no mta_sendmail (it registers mtaTable columns).
  const mdir = path.join(dir, 'master');
  mkdirSync(path.join(mdir, 'persist'), { recursive: true });
  const socket = path.join(mdir, 'agentx.sock');
  const master = await startSnmpd({
    dir: mdir,
    lines: ['master agentx', `agentXSocket ${socket}`],
    modules: `-mta_sendmail,${SCHED_MODULES},${HR_MODULES}`,
    mibDirs: MIB_DIRS,
    probeOid: '1.3.6.1.2.1.1.3.0',
    startTimeoutMs: 60000,
  });
  console.log(`# master snmpd on ${master.target}, AgentX socket ${socket}`);

  // not the scheduler: the schedTable subagent below registers it
  startCSubagent(path.join(dir, 'c-subagent'), socket, `-mta_sendmail,${SCHED_MODULES}`);
  await waitServed(dir, master.target, HR_UPTIME, 'host resources (snmpd -X)');
  if (opt.sched) {
    // only the scheduler: its `repeat` lines make the rows (see bench-rows.ts)
    startCSubagent(path.join(dir, 'c-subagent-sched'), socket, SCHED_MODULES, schedLines(opt.rows));
    await waitServed(dir, master.target, SCHED_PROBE, 'schedTable (snmpd -X)');
  }

  const stateDir = path.join(dir, 'madman-state');
  mkdirSync(stateDir);
  process.env.MADMAN_BENCH_AGENTX = `unix:${socket}`;
  const m = await startMadmanProcess(path.join(ROOT, 'dist/scripts/bench-agentx-agent.js'), opt.rows, stateDir, 10 * 60 * 1000);
  // first GET sorts the rows: part of start-up, as in bench:walk
  await waitServed(dir, master.target, `${GROUP_TABLE}.1.25.1.${opt.rows}`, 'madman');
  console.log(`# madman: ${fmt(opt.rows)} channels filled in ${fmt(m.fillMs)} ms, registered ${fmt(m.startMs)} ms after start`);

  // Reference: host resources served by an snmpd itself, no AgentX in between.
  const rdir = path.join(dir, 'reference');
  mkdirSync(path.join(rdir, 'persist'), { recursive: true });
  const ref = await startSnmpd({ dir: rdir, lines: [], modules: '-mta_sendmail', mibDirs: MIB_DIRS, probeOid: HR_UPTIME, startTimeoutMs: 60000 });

  const targets: Target[] = [
    { key: 'madman', label: 'madman subagent, mtaGroupTable', target: master.target, walkOid: GROUP_TABLE, expected: opt.rows * GROUP_COLUMNS, runs: [] },
    { key: 'csub', label: 'snmpd -X subagent, host resources', target: master.target, walkOid: HR, runs: [] },
    ...(opt.sched ? [{ key: 'sched', label: 'snmpd -X subagent, schedTable', target: master.target, walkOid: SCHED_TABLE, expected: opt.rows * SCHED_COLUMNS, runs: [] }] : []),
    { key: 'direct', label: 'snmpd itself, host resources (no AgentX)', target: ref.target, walkOid: HR, runs: [] },
  ];
  await walkAll(dir, targets, opt.repeat, opt.warmup);

  console.log('');
  const head = ['served by', 'varbinds', 'walks s', 'median varbinds/s'];
  const rows = targets.map((t) => [t.label, t.runs.map((r) => fmt(r.varbinds)).join(' '), t.runs.map((r) => fmt(r.ms / 1000, 2)).join(' '), fmt(medianRate(t))]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
  const ratio = medianRate(targets[0]!) / medianRate(targets[1]!);
  console.log(`\nmadman / C subagent (host resources) through the same master, varbinds/s: ${fmt(ratio, 2)}x (target >= 1x)`);
  const sched = targets.find((t) => t.key === 'sched');
  const schedRatio = sched ? medianRate(targets[0]!) / medianRate(sched) : undefined;
  if (schedRatio !== undefined) console.log(`madman / C subagent (schedTable, ${fmt(opt.rows)} rows) through the same master, varbinds/s: ${fmt(schedRatio, 2)}x`);
  if (failures) console.log(`${failures} error(s), see above`);
  const summary = (t: Target) => ({
    varbinds: t.runs.map((r) => r.varbinds),
    walks_s: t.runs.map((r) => +(r.ms / 1000).toFixed(3)),
    median_varbinds_per_s: Math.round(medianRate(t)),
  });
  console.log(JSON.stringify({ bench: 'agentx', machine, rows: opt.rows, repeat: opt.repeat, madman: summary(targets[0]!), c_subagent: summary(targets[1]!), c_subagent_sched: sched && summary(sched), snmpd_direct: summary(targets.find((t) => t.key === 'direct')!), ratio_madman_vs_c_subagent: +ratio.toFixed(3), ratio_madman_vs_c_subagent_sched: schedRatio && +schedRatio.toFixed(3), errors: failures }));
  if (failures) process.exitCode = 1;
}

await runBench(main);
