// Processes for the walk benchmark: the real snmpbulkwalk (output to a file, so
// reading it never costs the in-process agent's event loop anything while it is
// timed), Net-SNMP snmpd in the foreground, free loopback ports, cleanup.

import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, createWriteStream, openSync, readSync } from 'node:fs';
import path from 'node:path';

/** Cleanup steps run once at the end, on failure and on SIGINT/SIGTERM (last registered first). */
const cleanups: Array<() => Promise<void> | void> = [];
export function onCleanup(f: () => Promise<void> | void): void {
  cleanups.push(f);
}
/** Tools running right now (a walk, a probe): killed first by cleanup. */
const running = new Set<ChildProcess>();
/** Set once cleanup has begun: nothing new is started after it. */
let stopping = false;
export const isStopping = (): boolean => stopping;
export async function cleanup(): Promise<void> {
  stopping = true;
  for (const c of running) c.kill('SIGKILL');
  while (cleanups.length) {
    const f = cleanups.pop()!;
    try {
      await f();
    } catch (err) {
      console.error(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** A UDP port on 127.0.0.1 nobody listens on right now. */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

/** Runs a command with stdout and stderr in files; resolves on exit; kills it after timeoutMs. */
export function runToFiles(cmd: string, args: string[], outFile: string, errFile: string, timeoutMs: number): Promise<Exit> {
  if (stopping) return Promise.reject(new Error('stopping'));
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', out, err] });
    running.add(child);
    closeSync(out);
    closeSync(err);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      running.delete(child);
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      running.delete(child);
      clearTimeout(timer);
      resolve({ code, signal, ms });
    });
  });
}

/** The timed operation: `snmpbulkwalk -v2c -c public -Cr50 -On -t 5 -r 1 TARGET OID`. */
export function bulkwalkArgs(target: string, oid: string): string[] {
  return ['-v2c', '-c', 'public', '-Cr50', '-On', '-t', '5', '-r', '1', target, oid];
}

export interface WalkCount {
  /** varbinds inside `prefix` (the end-of-MIB line snmpbulkwalk prints is not one) */
  varbinds: number;
  /** OID -> printed value, when asked to collect */
  values?: Map<string, string>;
}

/** Counts the walk's varbind lines in `prefix`, reading the file in chunks (100k-row walks are ~150 MB). */
export function countWalk(file: string, prefix: string, collect = false): WalkCount {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  const values = collect ? new Map<string, string>() : undefined;
  let varbinds = 0;
  let rest = '';
  const line = (l: string) => {
    if (!l.startsWith(prefix)) return;
    const eq = l.indexOf(' = ');
    if (eq < 0 || l.startsWith('No more variables', eq + 3)) return;
    varbinds++;
    values?.set(l.slice(0, eq), l.slice(eq + 3));
  };
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const text = rest + buf.toString('latin1', 0, n);
      const lines = text.split('\n');
      rest = lines.pop()!;
      for (const l of lines) line(l);
    }
    if (rest) line(rest);
  } finally {
    closeSync(fd);
  }
  return { varbinds, values };
}

export interface Snmpd {
  child: ChildProcess;
  target: string;
  port: number;
  /** spawn until a GET of `probeOid` is answered, config parsing included */
  startupMs: number;
  log: string;
  stop(): Promise<void>;
}

export interface SnmpdOptions {
  dir: string;
  /** snmpd.conf lines after the common ones (agent address comes from the command line) */
  lines: Iterable<string>;
  /** -I list: the only MIB modules snmpd initialises */
  modules: string;
  mibDirs: string;
  /** an instance the config creates: snmpd is ready once a GET of it answers a value */
  probeOid: string;
  startTimeoutMs: number;
}

/** Starts `snmpd -f -Lf LOG -C -c CONF -p PIDFILE ... udp:127.0.0.1:PORT` and waits until it serves probeOid. */
export async function startSnmpd(o: SnmpdOptions): Promise<Snmpd> {
  const conf = path.join(o.dir, 'snmpd.conf');
  const log = path.join(o.dir, 'snmpd.log');
  const pidFile = path.join(o.dir, 'snmpd.pid');
  const ws = createWriteStream(conf);
  // Per-request "Connection from UDP" log lines would cost snmpd a write each; madman logs nothing.
  for (const l of ['rocommunity public 127.0.0.1', 'dontLogTCPWrappersConnects yes']) ws.write(`${l}\n`);
  for (const l of o.lines) if (!ws.write(`${l}\n`)) await new Promise<void>((r) => ws.once('drain', () => r()));
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));

  const port = await freeUdpPort();
  const target = `127.0.0.1:${port}`;
  if (stopping) throw new Error('stopping');
  const logFd = openSync(path.join(o.dir, 'snmpd.stdout'), 'w');
  const args = ['-f', '-Lf', log, '-C', '-c', conf, '-p', pidFile, '-M', `+${o.mibDirs}`, '-m', 'ALL', '-I', o.modules, `udp:${target}`];
  const t0 = process.hrtime.bigint();
  // SNMP_PERSISTENT_DIR: snmpd saves state at exit; keep it in our temp dir, not /var/lib/snmp.
  const child = spawn('snmpd', args, {
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, SNMP_PERSISTENT_DIR: path.join(o.dir, 'persist') },
  });
  closeSync(logFd);
  let exited: Exit | undefined;
  const exitP = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal, ms: 0 };
      resolve();
    });
  });
  child.once('error', (e) => console.error(`snmpd: ${e.message}`));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exitP;
    clearTimeout(t);
  };
  onCleanup(stop);

  const deadline = Date.now() + o.startTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`snmpd exited during start-up (code ${exited.code}, signal ${exited.signal}); see ${log}`);
    if (Date.now() > deadline) throw new Error(`snmpd did not answer within ${o.startTimeoutMs} ms; see ${log}`);
    const r = await runToFiles(
      'snmpget',
      ['-v2c', '-c', 'public', '-On', '-t', '0.2', '-r', '0', target, o.probeOid],
      path.join(o.dir, 'probe.out'),
      path.join(o.dir, 'probe.err'),
      5000,
    );
    if (r.code === 0 && !/No Such/.test(firstLine(path.join(o.dir, 'probe.out')))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const startupMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { child, target, port, startupMs, log, stop };
}

export function firstLine(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4096);
    const n = readSync(fd, b, 0, b.length, 0);
    return b.toString('utf8', 0, n).split('\n')[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface MadmanProcess {
  port: number;
  /** the child's own figures: filling the model, starting the agent */
  fillMs: number;
  startMs: number;
  stop(): Promise<void>;
}

/**
 * What stops a child benchmark process: SIGTERM (or `ask`), then SIGKILL after `graceMs`;
 * registered for cleanup. Resolves once it has exited.
 */
export function stopper(child: ChildProcess, graceMs = 5000, ask: () => void = () => child.kill('SIGTERM')): () => Promise<void> {
  let exited = child.exitCode !== null || child.signalCode !== null;
  const exitP = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (exited) return;
    ask();
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exitP;
    clearTimeout(t);
  };
  onCleanup(stop);
  return stop;
}

/** Starts `node SCRIPT ROWS STATE_DIR` (bench-agent.js) and waits for its JSON line. */
export async function startMadmanProcess(script: string, rows: number, stateDir: string, timeoutMs: number): Promise<MadmanProcess> {
  if (stopping) throw new Error('stopping');
  const child = spawn(process.execPath, [script, String(rows), stateDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = stopper(child);
  const first = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`madman did not start within ${timeoutMs} ms`)), timeoutMs);
    const onData = (b: Buffer) => {
      text += b.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // nothing else is expected; never let a full pipe block it
      resolve(text.slice(0, nl));
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`madman exited during start-up (code ${code})`));
    });
  });
  const info = JSON.parse(first) as { port: number; fillMs: number; startMs: number };
  return { ...info, stop };
}

/** Runs a benchmark's `main`: errors and SIGINT/SIGTERM exit non-zero, and cleanup runs in every case. */
export async function runBench(main: () => Promise<void>): Promise<void> {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`# ${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    await main();
  } catch (err) {
    // after SIGINT/SIGTERM, what fails is only what cleanup cut short
    if (!isStopping()) console.error(`ERROR: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}
