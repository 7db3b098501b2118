// Processes the load, memory and hostile benchmarks share: madman as an operator runs it
// (the CLI, `madman agent ...`, in a process of its own), Net-SNMP snmpd beside it, the
// open-loop load client (load-client.ts) in a third process, and the memory figures of
// a process (RSS from /proc; heap from the agent's own report with --report-memory).

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeUdpPort, startSnmpd, stopper, type Snmpd } from './bench-procs.js';
import type { LoadResult, LoadSpec } from './load-client.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLI = path.resolve(here, '../src/cli/main.js');
const CLIENT = path.join(here, 'load-client.js');

export interface AgentProcess {
  name: string;
  pid: number;
  port: number;
  /** ms from spawn to ready (madman: its listening line; snmpd: a GET answered) */
  startupMs: number;
  stop(): Promise<void>;
}

/** The node flags of the `madman` command's #! line, which operators get when they run `madman`. */
export function shippedNodeArgs(): string[] {
  const first = readFileSync(CLI, 'utf8').split('\n', 1)[0]!;
  return first.replace(/^#!\S*env -S node/, '').split(' ').filter(Boolean);
}

/**
 * `madman agent --listen udp:127.0.0.1:PORT --state-dir DIR ARGS...` with the node flags
 * of the #! line (or `nodeArgs`), ready once it prints its listening line.
 */
export async function startMadman(dir: string, args: string[], nodeArgs: string[] = shippedNodeArgs()): Promise<AgentProcess> {
  const port = await freeUdpPort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'agent', '--listen', `udp:127.0.0.1:${port}`, '--state-dir', path.join(dir, `state-${port}`), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = stopper(child, 10000);
  await new Promise<void>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('madman did not start within 60 s')), 60000);
    child.stdout!.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`madman exited during start-up (code ${code})`)));
  });
  child.stdout!.resume();
  return { name: 'madman', pid: child.pid!, port, startupMs: performance.now() - t0, stop };
}

/** snmpd with its default modules, system group set as madman's, read-only community public. */
export async function startPlainSnmpd(dir: string): Promise<AgentProcess> {
  mkdirSync(dir, { recursive: true });
  const s: Snmpd = await startSnmpd({
    dir,
    lines: ['sysContact postmaster@localhost', 'sysLocation unknown'],
    modules: '-mta_sendmail',
    mibDirs: '/usr/share/snmp/mibs',
    probeOid: '1.3.6.1.2.1.1.3.0',
    startTimeoutMs: 30000,
  });
  return { name: 'snmpd', pid: s.child.pid!, port: s.port, startupMs: s.startupMs, stop: s.stop };
}

/** Runs the load client in its own process and returns its result. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load client exited ${code}`));
      resolve(JSON.parse(out) as LoadResult);
    });
  });
}

/** CPU time (user + system) a process has used so far, in ms (from /proc/PID/stat, in clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * 10;
}

/** Resident set size of a process, in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Anonymous (private, not file-backed) memory of a process, in MiB: RSS without the shared binary and libraries. */
export function anonMiB(pid: number): number {
  const m = /Anonymous:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The 1-minute load average, for the record (the machine is shared). */
export function loadAverage(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** "12.3" for ms figures; "-" for none. */
export function ms(x: number): string {
  return Number.isFinite(x) ? x.toFixed(x < 1 ? 3 : x < 10 ? 2 : 1) : '-';
}
