// Net-SNMP daemons for the AgentX tests: snmpd as AgentX master on a socket in a
// temporary directory (optionally without the host-resources modules, so that a C
// subagent, `snmpd -X`, can serve them), and snmptrapd writing what it receives to a file.
// Daemons write to files, never to pipes; stop() waits for the process to exit.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './harness.js';
import { freeTcpPort, freeUdpPort } from './ports.js';

export { freeTcpPort, freeUdpPort };

/** Host-resources modules: leaving them out of the master frees 1.3.6.1.2.1.25 for a subagent. */
export const HR_MODULES =
  'hr_system,hr_storage,hr_device,hr_other,hr_proc,hr_network,hr_print,hr_disk,hr_partition,hr_filesys,hr_swrun,hr_swinst,hrSWRunTable,hrSWInstalledTable,hrh_storage,hrh_filesys,hrSWRunPerfTable';

/** Polls `check` every 50 ms until it returns a value other than undefined; throws after timeoutMs. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

class Daemon {
  private exited: Promise<void>;
  private done = false;
  constructor(
    readonly child: ChildProcess,
    readonly name: string,
  ) {
    this.exited = new Promise((r) =>
      child.once('exit', () => {
        this.done = true;
        r();
      }),
    );
    child.once('error', () => {});
  }

  get running(): boolean {
    return !this.done;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.done) return;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }
}

function spawnDaemon(cmd: string, args: string[], dir: string, name: string): Daemon {
  const out = path.join(dir, `${name}.out`);
  writeFileSync(out, '');
  const child = spawn(cmd, args, {
    stdio: 'ignore',
    // snmpd saves state at exit: keep it in the temp dir, not /var/lib/snmp.
    env: { ...process.env, SNMP_PERSISTENT_DIR: path.join(dir, `${name}-persist`) },
  });
  return new Daemon(child, name);
}

/**
 * Debian's snmpd has the mta_sendmail module built in, which registers some mtaTable
 * columns itself (answering nothing without sendmail): a master serving madman leaves it out.
 */
export const MASTER_EXCLUDED = 'mta_sendmail';

export interface SnmpdMaster {
  /** unix:PATH (or tcp:127.0.0.1:PORT) of the AgentX socket */
  agentx: string;
  socketPath: string;
  /** "127.0.0.1:PORT" for the tools */
  target: string;
  log: string;
  /** start again on the same port and socket (after kill or stop) */
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface MasterOptions {
  /** leave host resources to a subagent */
  withoutHr?: boolean;
  /** more snmpd.conf lines (trap2sink ...) */
  lines?: string[];
  /** AgentX over TCP on loopback instead of a unix socket */
  tcp?: boolean;
}

/** Starts `snmpd -f` as AgentX master in `dir`; ready once it answers sysUpTime.0 on UDP. */
export async function startSnmpdMaster(dir: string, opts: MasterOptions = {}): Promise<SnmpdMaster> {
  mkdirSync(dir, { recursive: true });
  const port = await freeUdpPort();
  const socketPath = path.join(dir, 'master');
  const agentx = opts.tcp ? `tcp:127.0.0.1:${await freeTcpPort()}` : `unix:${socketPath}`;
  const conf = path.join(dir, 'master.conf');
  const log = path.join(dir, 'master.log');
  writeFileSync(
    conf,
    [
      `agentaddress udp:127.0.0.1:${port}`,
      'rocommunity public 127.0.0.1',
      'master agentx',
      `agentXSocket ${agentx.replace(/^unix:/, '')}`,
      // answer quickly when a subagent is gone, so that tests see it within seconds
      'agentXTimeout 1',
      'agentXRetries 1',
      ...(opts.lines ?? []),
      '',
    ].join('\n'),
  );
  const target = `127.0.0.1:${port}`;
  let d: Daemon | undefined;
  const m: SnmpdMaster = {
    agentx,
    socketPath,
    target,
    log,
    async start() {
      const args = ['-f', '-Lf', log, '-C', '-c', conf, '-p', path.join(dir, 'master.pid')];
      args.push('-I', `-${MASTER_EXCLUDED}${opts.withoutHr ? `,${HR_MODULES}` : ''}`);
      d = spawnDaemon('snmpd', args, dir, 'master');
      await waitFor('snmpd master to answer', 10000, async () => {
        if (!d!.running) throw new Error(`snmpd exited at start; see ${log}`);
        const r = await run('snmpget', ['-v2c', '-c', 'public', '-t', '0.3', '-r', '0', '-On', target, '1.3.6.1.2.1.1.3.0']);
        return r.code === 0 && (opts.tcp || existsSync(socketPath)) ? true : undefined;
      });
    },
    async kill(signal = 'SIGKILL') {
      await d?.stop(signal);
    },
    async stop() {
      await d?.stop();
    },
  };
  await m.start();
  return m;
}

/**
 * Net-SNMP's own C subagent (`snmpd -f -X`) with its default modules but mta_sendmail: it
 * gets what the master lacks (host resources, with withoutHr). An -I list of only the hr
 * modules loads two implementations at once and crashes on the first hrSWInstalled walk.
 */
export async function startCSubagent(dir: string, agentx: string): Promise<{ stop(): Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'subagent.conf');
  writeFileSync(conf, `agentXSocket ${agentx.replace(/^unix:/, '')}\n`);
  const d = spawnDaemon('snmpd', ['-f', '-X', '-Lf', path.join(dir, 'subagent.log'), '-C', '-c', conf, '-p', path.join(dir, 'subagent.pid'), '-I', `-${MASTER_EXCLUDED}`], dir, 'subagent');
  return { stop: () => d.stop() };
}

export interface Snmptrapd {
  port: number;
  log: string;
  /** the log's text so far */
  text(): string;
  stop(): Promise<void>;
}

/** snmptrapd accepting every notification (no authorisation) and logging it to a file. */
export async function startSnmptrapd(dir: string): Promise<Snmptrapd> {
  mkdirSync(dir, { recursive: true });
  const port = await freeUdpPort();
  const log = path.join(dir, 'snmptrapd.log');
  writeFileSync(log, '');
  const d = spawnDaemon(
    'snmptrapd',
    ['-f', '-Lf', log, '-On', '-C', '-c', '/dev/null', '--disableAuthorization=yes', '-p', path.join(dir, 'snmptrapd.pid'), `udp:127.0.0.1:${port}`],
    dir,
    'snmptrapd',
  );
  const text = () => readFileSync(log, 'utf8');
  // snmptrapd logs a start line once it listens.
  await waitFor('snmptrapd to start', 10000, () => {
    if (!d.running) throw new Error(`snmptrapd exited at start; see ${log}`);
    return /NET-SNMP version/.test(text()) ? true : undefined;
  });
  return { port, log, text, stop: () => d.stop() };
}

/** Varbind lines of a tool's -On output, a long Hex-STRING's continuation lines folded into its own; the walk's end-of-MIB trailer left out. */
export function varbindLines(stdout: string): string[] {
  const out: string[] = [];
  for (const l of stdout.split('\n')) {
    if (l.startsWith('.')) out.push(l);
    else if (l.trim() && out.length) out[out.length - 1] = `${out[out.length - 1]!.trimEnd()} ${l.trim()}`;
  }
  return out.filter((l) => !l.includes('No more variables left')).map((l) => l.trimEnd());
}

export interface MtaSendmailSnmpd {
  /** "127.0.0.1:PORT" for the tools */
  target: string;
  log: string;
  stop(): Promise<void>;
}

/**
 * Net-SNMP's snmpd with only its mibII/mta_sendmail module (and vacm_conf, for the
 * community), serving mtaTable and mtaGroupTable from `cf` and `statistics`, the peer of
 * madman's Sendmail source. `sendmail_config` comes first: it re-reads the .cf's
 * StatusFile, and `sendmail_stats` then names the file to use. The statistics file must
 * not be empty at start (the module cannot tell its version and never looks again).
 * `cacheSeconds` sets sendmail_stats_t and sendmail_queue_t (defaults 5 and 10).
 */
export async function startMtaSendmailSnmpd(dir: string, cf: string, statistics: string, cacheSeconds = 1): Promise<MtaSendmailSnmpd> {
  mkdirSync(dir, { recursive: true });
  const port = await freeUdpPort();
  const conf = path.join(dir, 'mta-sendmail.conf');
  const log = path.join(dir, 'mta-sendmail.log');
  writeFileSync(
    conf,
    [
      `agentaddress udp:127.0.0.1:${port}`,
      'rocommunity public 127.0.0.1',
      `sendmail_config ${cf}`,
      `sendmail_stats ${statistics}`,
      `sendmail_stats_t ${cacheSeconds}`,
      `sendmail_queue_t ${cacheSeconds}`,
      '',
    ].join('\n'),
  );
  const target = `127.0.0.1:${port}`;
  const d = spawnDaemon('snmpd', ['-f', '-Lf', log, '-C', '-c', conf, '-p', path.join(dir, 'mta-sendmail.pid'), '-I', 'mta_sendmail,vacm_conf'], dir, 'mta-sendmail');
  await waitFor('snmpd (mta_sendmail) to answer', 10000, async () => {
    if (!d.running) throw new Error(`snmpd exited at start; see ${log}`);
    const r = await run('snmpgetnext', ['-v2c', '-c', 'public', '-t', '0.3', '-r', '0', '-On', target, '1.3.6.1.2.1.28']);
    return r.code === 0 && r.stdout.includes('.1.3.6.1.2.1.28.') ? true : undefined;
  });
  return { target, log, stop: () => d.stop() };
}
