// A real snmptrapd (Debian package snmptrapd) on a free loopback UDP port, in a temporary
// directory, logging every notification it receives as one line each (see FORMAT), for
// tests to read back. Started in the foreground with its output in a file (never a pipe),
// stopped with SIGTERM (then SIGKILL) by pid; stop() is idempotent and also runs from a
// process 'exit' handler. down() and up() stop it and start it again on the same port.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeUdpPort } from './ports.js';

export { freeUdpPort };

export const SNMPTRAPD = '/usr/sbin/snmptrapd';

/** A v3 user snmptrapd accepts; with engineId for traps (the sender's engine), without for informs (its own). */
export interface TrapdUser {
  engineId?: string;
  name: string;
  authProtocol: string;
  authPassword: string;
  privProtocol: string;
  privPassword: string;
}

/** One received notification, as FORMAT prints it. */
export interface Received {
  /** "TRAP" (v1), "TRAP2", "INFORM" */
  pdu: string;
  /** community (v1/v2c) or user (v3), as snmptrapd shows %P */
  security: string;
  /** v1 only: enterprise OID */
  enterprise: string;
  /** v1 only: specific-trap number */
  specific: string;
  /** v1 only: the agent's time stamp (centiseconds) */
  v1Uptime: string;
  /** v1 only: the agent-addr field */
  agentAddr: string;
  /** oid -> "TYPE: value" */
  varbinds: Map<string, string>;
  line: string;
}

// %P: security information (PDU type, version, community or user), %N: enterprise (v1),
// %q: specific trap (v1), %T: uptime (v1), %a: agent-addr (v1), %v: varbinds, tab-separated.
const FORMAT = 'NOTE|%P|%N|%q|%T|%a|%v\\n';

export interface Snmptrapd {
  port: number;
  dir: string;
  received(): Received[];
  waitFor(pred: (r: Received) => boolean, what: string, timeoutMs?: number): Promise<Received>;
  stop(): Promise<void>;
  /** stops the daemon, keeping its port and log (a receiver that is down) */
  down(): Promise<void>;
  /** starts it again on the same port */
  up(): Promise<void>;
}

function parseLine(line: string): Received | undefined {
  if (!line.startsWith('NOTE|')) return undefined;
  const [, security = '', enterprise = '', specific = '', v1Uptime = '', agentAddr = '', ...rest] = line.split('|');
  const varbinds = new Map<string, string>();
  for (const vb of rest.join('|').split('\t')) {
    const m = /^(\S+) = (.*)$/.exec(vb.trim());
    if (m) varbinds.set(m[1]!, m[2]!);
  }
  const pdu = /INFORM/.test(security) ? 'INFORM' : /TRAP2/.test(security) ? 'TRAP2' : 'TRAP';
  return { pdu, security, enterprise, specific, v1Uptime, agentAddr, varbinds, line };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startSnmptrapd(opts: { users?: TrapdUser[]; port?: number } = {}): Promise<Snmptrapd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-trapd-'));
  const conf = path.join(dir, 'snmptrapd.conf');
  // snmptrapd truncates its log when it starts: one log per start
  const logs: string[] = [];
  const out = path.join(dir, 'stderr.log');
  writeFileSync(
    conf,
    (opts.users ?? [])
      .map((u) => `createUser ${u.engineId ? `-e ${u.engineId} ` : ''}${u.name} ${u.authProtocol} ${u.authPassword} ${u.privProtocol} ${u.privPassword}\n`)
      .join(''),
  );
  const port = opts.port ?? (await freeUdpPort());
  let child: ChildProcess | undefined;

  const start = async () => {
    const log = path.join(dir, `traps-${logs.length + 1}.log`);
    logs.push(log);
    const fd = openSync(out, 'a');
    child = spawn(
      SNMPTRAPD,
      ['-f', '-Lf', log, '-C', '-c', conf, '--disableAuthorization=yes', '-On', '-m', '', '-F', FORMAT, `udp:127.0.0.1:${port}`],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    // ready when it logs that it started ("NET-SNMP version ...")
    for (const deadline = Date.now() + 10000; ; ) {
      if (existsSync(log) && /NET-SNMP version/.test(readFileSync(log, 'utf8'))) return;
      if (child.exitCode !== null) throw new Error(`snmptrapd exited: ${readFileSync(out, 'utf8')}`);
      if (Date.now() > deadline) throw new Error('snmptrapd did not start');
      await sleep(50);
    }
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);

  await start();
  const received = () =>
    logs.flatMap((log) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [])).map(parseLine).filter((r): r is Received => !!r);
  return {
    port,
    dir,
    received,
    async waitFor(pred, what, timeoutMs = 10000) {
      for (const deadline = Date.now() + timeoutMs; ; ) {
        const r = received().find(pred);
        if (r) return r;
        if (Date.now() > deadline) throw new Error(`snmptrapd received no ${what}; got:\n${received().map((x) => x.line).join('\n')}`);
        await sleep(50);
      }
    },
    async stop() {
      await kill();
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
    down: kill,
    up: start,
  };
}
