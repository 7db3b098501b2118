// A real Exim 4.96 (Debian's exim4-daemon-light, unpacked by scripts/extract-debs.sh from
// scripts/test-deps.sh, not installed: installing it would remove Postfix) on loopback
// ports, with its spool, logs and configuration in a temporary directory, for end-to-end
// tests and for capturing real log lines. Built as ../shared/reference/test-servers.md describes:
//   - every command runs as root with `-C DIR/exim.conf` (absolute: a delivery process
//     re-executes Exim after chdir to the spool, and a relative -C then fails the bounce);
//   - `deliver_drop_privilege = true`: no re-exec by the Exim user (which would lose
//     privilege because of -C); so deliveries run as Debian-exim and so does appendfile;
//   - `exim_path` is the unpacked binary (else bounces fail and the message freezes);
//   - file names come from `$local_part_data` (4.96 refuses tainted names).
//
// Destinations (every outcome the Exim source has to count):
//   bob@, carol@, postmaster@example.test  appendfile into DIR/mail/NAME (T=local_delivery)
//   *@relay.test       smtp (T=remote_smtp) to a sink that accepts: `=>` with C="250 ..."
//   *@bounce.test      to a sink answering RCPT 550 5.1.1: `**`, then a bounce to the sender
//   *@tempfail.test    to a sink answering RCPT 451 4.3.0: `==` with the remote's reply
//   *@remote.test      to a closed port: `== ... defer (111): Connection refused`
//   *@expire.test      the same with a 1 s retry rule: `** ... retry timeout exceeded` on a later try
//   *@cutthrough.test  the accepting sink in cutthrough mode: `>>` before `<=`
//   *@self.test        routed to 127.0.0.1 without `self = send`: frozen
//   anything else      `** ...: Unrouteable address` (no router takes it)
//   blocked@example.test  `rejected RCPT` (ACL deny); later@example.test `temporarily rejected RCPT`;
//                      drop@example.test `rejected RCPT` and the connection dropped
//   a Subject containing REJECTME  `rejected after DATA`
// Listeners: `port` (plain SMTP) and `submissionPort` (AUTH PLAIN alice/secret, over plain
// loopback). Both offer STARTTLS with Exim's own self-signed certificate.
//
// Cleanup: stop() (idempotent) kills the daemon and every process whose command line names
// DIR/exim.conf, closes the sinks, removes DIR; a process 'exit' handler does the same
// synchronously; each start reaps the instances of test processes that died (DIR/owner.pid).
// Needs root (and scripts/test-deps.sh). A start takes about 0.2 s.

import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from './commands.js';
import { ownedDir, reapOrphans } from './instance-dir.js';
import { freePorts } from './ports.js';
import { startSmtpSink, type SmtpSink } from './postfix-server.js';

/** Where scripts/extract-debs.sh unpacks the packages (MADMAN_DEB_CACHE moves it there too). */
export const EXIM_ROOT = path.join(process.env.MADMAN_DEB_CACHE ?? '/var/cache/madman-test', 'exim');
export const EXIM_BIN = path.join(EXIM_ROOT, 'usr/sbin/exim4');
export const EXIMSTATS = path.join(EXIM_ROOT, 'usr/sbin/eximstats');

/** Addresses that produce each outcome. */
export const EXIM_ADDR = {
  local: 'bob@example.test',
  local2: 'carol@example.test',
  relay: 'someone@relay.test',
  bounce: 'nobody@bounce.test',
  tempfail: 'someone@tempfail.test',
  deferred: 'someone@remote.test',
  frozen: 'someone@self.test',
  expire: 'someone@expire.test',
  cutthrough: 'someone@cutthrough.test',
  dropped: 'drop@example.test',
  unrouteable: 'who@nowhere.test',
  rejected: 'blocked@example.test',
  tempRejected: 'later@example.test',
} as const;

/** The submission listener's account. */
export const EXIM_AUTH = { user: 'alice', password: 'secret' } as const;

export interface EximOptions {
  /** log_selector (default: Exim's defaults plus connections, interface and port) */
  logSelector?: string;
  /** more main-section lines, e.g. `log_timezone = true` */
  main?: string[];
  /** start the daemon with -q<this> (e.g. '5m'); default: no queue runner */
  queueInterval?: string;
  /** leave DIR in place after stop, for debugging */
  keepDir?: boolean;
}

export interface SwaksOptions {
  from: string;
  to: string[];
  /** default: the plain SMTP listener */
  port?: number;
  subject?: string;
  body?: string;
  /** a whole message (headers and body) instead of swaks' own */
  data?: string;
  helo?: string;
  auth?: { user: string; password: string };
  /** STARTTLS first */
  tls?: boolean;
  /** the transaction must see a refusal (at RCPT or after DATA); else any refusal rejects */
  expectReject?: boolean;
}

export interface SwaksResult {
  /** the message id from "250 OK id=ID", null when nothing was accepted */
  id: string | null;
  transcript: string;
}

export interface EximServer {
  dir: string;
  configFile: string;
  port: number;
  submissionPort: number;
  closedPort: number;
  mainlog: string;
  rejectlog: string;
  paniclog: string;
  mailDir: string;
  relaySink: SmtpSink;
  bounceSink: SmtpSink;
  tempfailSink: SmtpSink;
  /** one SMTP transaction through swaks */
  swaks(o: SwaksOptions): Promise<SwaksResult>;
  /** local submission: `exim -odi -f FROM TO... < message`; resolves with exim's exit code */
  submit(from: string, to: string[], message: string): Promise<number>;
  /** exim4 -C CONFIG ARGS: its exit code and output */
  exim(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** the command line (array) that runs exim with this configuration, for madman's queue command */
  eximCommand: string[];
  /** one queue run in the foreground (`-q`, or `-qff` with frozen messages too) */
  queueRun(force?: boolean): Promise<void>;
  /** the log file as it is now ('' when absent); after stop(), as it was at the end */
  readLog(which?: 'main' | 'reject' | 'panic'): string;
  /** the first mainlog line matching `re`, polling until timeoutMs */
  waitForLog(re: RegExp, timeoutMs?: number, which?: 'main' | 'reject' | 'panic'): Promise<string>;
  /** pids of this instance's processes (command line names its config file) */
  processes(): number[];
  stop(): Promise<void>;
}

const OUR_PREFIX = 'madman-exim-';
/** Not os.tmpdir(): Debian-exim must traverse the path. */
const BASE_DIR = '/tmp';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function userIds(user: string): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`no user ${user}: run scripts/test-deps.sh (as root)`);
}

/** Pids whose command line holds `configFile` (the daemon, its forks and re-executions). */
function instancePids(configFile: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').includes(configFile)) pids.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Instances of test processes that died without stop(). */
function reapStale(): void {
  reapOrphans(BASE_DIR, OUR_PREFIX, (dir) => killAll(instancePids(path.join(dir, 'exim.conf'))));
}

/** The configuration: see the header comment for what each part is for. */
function configText(o: {
  dir: string;
  port: number;
  submissionPort: number;
  closedPort: number;
  relay: number;
  bounce: number;
  tempfail: number;
  logSelector: string;
  main: string[];
}): string {
  const d = o.dir;
  return `# written by madman's test/helpers/exim-server.ts
exim_path = ${EXIM_BIN}
primary_hostname = mx.example.test
qualify_domain = example.test
domainlist local_domains = example.test : localhost
spool_directory = ${d}/spool
log_file_path = ${d}/log/%slog
exim_user = Debian-exim
exim_group = Debian-exim
deliver_drop_privilege = true
keep_environment =
local_interfaces = <; 127.0.0.1.${o.port} ; 127.0.0.1.${o.submissionPort}
daemon_smtp_ports = ${o.port} : ${o.submissionPort}
host_lookup =
rfc1413_hosts =
tls_advertise_hosts = *
log_selector = ${o.logSelector}
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
${o.main.join('\n')}

begin acl
acl_rcpt:
  deny    local_parts = blocked
          domains = +local_domains
          message = no such user here
  defer   local_parts = later
          domains = +local_domains
          message = try again later
  drop    local_parts = drop
          domains = +local_domains
          message = go away
  accept  domains = cutthrough.test
          control = cutthrough_delivery
  accept  authenticated = *
  accept  hosts = 127.0.0.1
  deny    message = relay not permitted
acl_data:
  deny    condition = \${if match{\$h_subject:}{REJECTME}}
          message = content rejected
  accept

begin routers
to_sinks:
  driver = manualroute
  domains = relay.test : cutthrough.test : bounce.test : tempfail.test : remote.test : expire.test
  route_list = relay.test ${HOSTS.relay}::${o.relay} byname ; cutthrough.test ${HOSTS.relay}::${o.relay} byname ; bounce.test ${HOSTS.bounce}::${o.bounce} byname ; tempfail.test ${HOSTS.tempfail}::${o.tempfail} byname ; remote.test ${HOSTS.closed}::${o.closedPort} byname ; expire.test ${HOSTS.expire}::${o.closedPort} byname
  transport = remote_smtp
to_self:
  driver = manualroute
  domains = self.test
  route_list = self.test 127.0.0.1 byname
  transport = remote_smtp
local_user:
  driver = accept
  domains = +local_domains
  local_parts = bob : carol : postmaster
  transport = local_delivery

begin transports
remote_smtp:
  driver = smtp
local_delivery:
  driver = appendfile
  file = ${d}/mail/$local_part_data
  user = Debian-exim
  delivery_date_add
  envelope_to_add
  return_path_add

begin retry
expire.test * F,1s,1s
* * F,2h,15m; G,16h,1h,1.5; F,4d,6h

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and{{eq{$auth2}{${EXIM_AUTH.user}}}{eq{$auth3}{${EXIM_AUTH.password}}}}}
  server_set_id = $auth2
  server_advertise_condition = \${if eq{$received_port}{${o.submissionPort}}}
`;
}

/**
 * Where each destination's server is: Exim sends every message waiting for an address down
 * a connection it has open to it (whatever the port), so each sink needs its own address.
 * 127.0.0.1 itself is Exim's listener (self.test: "remote host address is the local host").
 */
const HOSTS = { relay: '127.0.0.2', bounce: '127.0.0.3', tempfail: '127.0.0.4', closed: '127.0.0.5', expire: '127.0.0.6' } as const;

/** Default log_selector of the tests: Exim's defaults plus what associations and listeners need. */
export const TEST_LOG_SELECTOR = '+smtp_connection +incoming_interface +incoming_port +delivery_size +received_recipients';

export async function startExim(opts: EximOptions = {}): Promise<EximServer> {
  if (!existsSync(EXIM_BIN)) throw new Error(`${EXIM_BIN} missing: run scripts/test-deps.sh (as root)`);
  if (process.getuid?.() !== 0) throw new Error('a private Exim needs root');
  const eximUser = userIds('Debian-exim');
  reapStale();
  const dir = ownedDir(BASE_DIR, OUR_PREFIX);
  const configFile = path.join(dir, 'exim.conf');
  const logDir = path.join(dir, 'log');
  const mailDir = path.join(dir, 'mail');
  const pidFile = path.join(dir, 'exim.pid');
  const logs = { main: path.join(logDir, 'mainlog'), reject: path.join(logDir, 'rejectlog'), panic: path.join(logDir, 'paniclog') };
  for (const sub of ['spool', 'log', 'mail']) {
    mkdirSync(path.join(dir, sub));
    chownSync(path.join(dir, sub), eximUser.uid, eximUser.gid);
  }

  const sinks: SmtpSink[] = [];
  const onExit = () => {
    killAll(instancePids(configFile));
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  const finalLogs = new Map<string, string>();
  const readLog = (which: 'main' | 'reject' | 'panic' = 'main'): string =>
    finalLogs.get(which) ?? (existsSync(logs[which]) ? readFileSync(logs[which], 'utf8') : '');

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // SIGTERM to the daemon (Exim logs nothing for it), then whatever is left: deliveries
      // and queue runners finish or are killed
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
      } catch {
        // not started or gone
      }
      const deadline = Date.now() + 5000;
      while (instancePids(configFile).length > 0 && Date.now() < deadline) await sleep(50);
      killAll(instancePids(configFile));
      await Promise.all(sinks.map((s) => s.close()));
      process.off('exit', onExit);
      for (const w of ['main', 'reject', 'panic'] as const) finalLogs.set(w, readLog(w));
      if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    const relaySink = await startSmtpSink('accept', HOSTS.relay);
    sinks.push(relaySink);
    const bounceSink = await startSmtpSink('reject-rcpt', HOSTS.bounce);
    sinks.push(bounceSink);
    const tempfailSink = await startSmtpSink('tempfail-rcpt', HOSTS.tempfail);
    sinks.push(tempfailSink);
    const [port, submissionPort, closedPort] = (await freePorts(3)) as [number, number, number];
    writeFileSync(
      configFile,
      configText({
        dir,
        port,
        submissionPort,
        closedPort,
        relay: relaySink.port,
        bounce: bounceSink.port,
        tempfail: tempfailSink.port,
        logSelector: opts.logSelector ?? TEST_LOG_SELECTOR,
        main: opts.main ?? [],
      }),
      { mode: 0o644 },
    );
    const exim = (...args: string[]) => runCommand(EXIM_BIN, ['-C', configFile, ...args], { timeoutMs: 30000 });
    const check = await exim('-bV');
    if (check.code !== 0) throw new Error(`exim -bV: ${check.stdout}${check.stderr}`);
    // the daemon forks and returns once it listens; its output goes to the log
    const args = ['-C', configFile, '-bd', '-oP', pidFile];
    if (opts.queueInterval) args.push(`-q${opts.queueInterval}`);
    const started = await new Promise<number>((resolve, reject) => {
      const child = spawn(EXIM_BIN, args, { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', (code) => resolve(code ?? 1));
    });
    const deadline = Date.now() + 10000;
    while (!/ daemon started: pid=\d+/.test(readLog('main'))) {
      if (started !== 0 || Date.now() > deadline) throw new Error(`exim daemon did not start (${started}):\n${readLog('main')}${readLog('panic')}`);
      await sleep(20);
    }

    const waitForLog = async (re: RegExp, timeoutMs = 15000, which: 'main' | 'reject' | 'panic' = 'main'): Promise<string> => {
      const r = new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = readLog(which)
          .split('\n')
          .find((l) => r.test(l));
        if (hit !== undefined) return hit;
        if (Date.now() > end) throw new Error(`no ${which}log line matching ${re} within ${timeoutMs} ms; it ends with:\n${readLog(which).split('\n').slice(-30).join('\n')}`);
        await sleep(50);
      }
    };

    return {
      dir,
      configFile,
      port,
      submissionPort,
      closedPort,
      mainlog: logs.main,
      rejectlog: logs.reject,
      paniclog: logs.panic,
      mailDir,
      relaySink,
      bounceSink,
      tempfailSink,
      async swaks(o: SwaksOptions): Promise<SwaksResult> {
        const a = ['--server', '127.0.0.1', '--port', String(o.port ?? port), '--from', o.from, '--to', o.to.join(','), '--helo', o.helo ?? 'client.example.test', '--timeout', '15'];
        if (o.data !== undefined) a.push('--data', '-');
        else a.push('--header', `Subject: ${o.subject ?? 'madman test'}`, '--body', o.body ?? 'madman end-to-end test message');
        if (o.auth) a.push('--auth', 'PLAIN', '--auth-user', o.auth.user, '--auth-password', o.auth.password);
        if (o.tls) a.push('--tls');
        const r = await runCommand('swaks', a, { timeoutMs: 30000, input: o.data });
        const transcript = r.stdout + r.stderr;
        // swaks marks replies `<-`, over TLS `<~`, refusals `<**` and `<~*`
        const refused = /^<(?:\*\*|~\*) +[45]\d\d /m.test(transcript);
        const id = /^<[-~] +250 OK id=(\S+)/m.exec(transcript)?.[1] ?? null;
        if (o.expectReject) {
          if (!refused) throw new Error(`expected a refusal (swaks ${r.code}):\n${transcript}`);
        } else if (r.code !== 0 || refused || !id) throw new Error(`swaks failed (${r.code}):\n${transcript}`);
        return { id, transcript };
      },
      async submit(from: string, to: string[], message: string): Promise<number> {
        return (await runCommand(EXIM_BIN, ['-C', configFile, '-odi', '-f', from, ...to], { timeoutMs: 30000, input: message })).code;
      },
      exim,
      eximCommand: [EXIM_BIN, '-C', configFile],
      async queueRun(force = false): Promise<void> {
        const r = await exim(force ? '-qff' : '-q');
        if (r.code !== 0) throw new Error(`exim -q: ${r.stdout}${r.stderr}`);
      },
      readLog,
      waitForLog,
      processes: () => instancePids(configFile),
      stop,
    };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
