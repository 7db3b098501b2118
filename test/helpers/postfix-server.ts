// A real Postfix (Debian package postfix) as a private instance on loopback ports, in a
// temporary directory, for end-to-end tests: madman reads the log this Postfix writes and
// the tests compare with what it serves over SNMP.
//
// Built as ../shared/reference/test-servers.md describes: a copy of /etc/postfix in
// DIR/etc, `postconf -c DIR/etc -e` of the instance's settings, the smtp inet service
// moved to a free port, the instance listed in the system main.cf's
// alternate_config_directories, then `postfix -c DIR/etc start`. Two deliberate
// differences: main.cf starts EMPTY (only our settings), and master.cf is Debian's pristine
// /usr/share/postfix/master.cf.dist when present, so a developer's own Postfix configuration
// (relayhost, milters, TLS, postscreen, ...) cannot leak into the tests.
//
// Destinations (every outcome the log reader has to count):
//   tester@localhost, sender@localhost, postmaster@localhost
//                         local(8) delivery, "status=sent (delivered to file: DIR/mail/NAME)".
//                         No system user is needed: alias_maps (texthash) sends each name
//                         to a file in DIR/mail, written as default_privs (nobody).
//   *@relay.test          smtp(8) to a Node SMTP sink that accepts: status=sent.
//   *@bounce.test         smtp(8) to a Node SMTP sink that answers RCPT with 550 5.1.1:
//                         status=bounced (dsn=5.1.1), then a non-delivery notification to the
//                         sender (use a local sender so it is delivered, not queued).
//   *@remote.test         smtp(8) to [127.0.0.1]:CLOSED_PORT (nothing listens):
//                         status=deferred (Connection refused); stays in the deferred queue.
//   blocked@example.test  smtpd rejects RCPT: "554 5.7.1 <...>: Recipient address rejected:
//                         Access denied" (NOQUEUE: reject: RCPT ...).
// Ports: `port` (smtpd, logs as postfix-test/smtpd) and `submissionPort` (smtpd with
// `-o syslog_name=postfix-test/submission`, logs as postfix-test/submission/smtpd).
//
// Daemons fork and keep inherited descriptors: `postfix start`/`stop` run with their output
// in a file (DIR/postfix-cmd.out), never a pipe we wait on.
//
// Cleanup: stop() (idempotent) stops Postfix, waits until no process has MAIL_CONFIG=DIR/etc,
// closes the sinks, removes the alternate_config_directories entry and DIR; a process 'exit'
// handler does the same synchronously if a test never calls it; and each start reaps the
// instances of test processes that died (kill -9), found by DIR/owner.pid.
// Needs root (and the packages of scripts/test-deps.sh). A start takes about 0.3 s.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync, chownSync, cpSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execToFile, runCommand } from './commands.js';
import { ownedDir, reapOrphans, runCleanups } from './instance-dir.js';
import { freePorts } from './ports.js';

export { freePorts };

export const POSTFIX = '/usr/sbin/postfix';
export const POSTCONF = '/usr/sbin/postconf';
export const POSTQUEUE = '/usr/sbin/postqueue';
export const SYSTEM_CONFIG_DIR = '/etc/postfix';
/** syslog_name of the instance: lines read `postfix-test/smtpd[PID]: ...` */
export const SYSLOG_NAME = 'postfix-test';

/** Addresses that produce each outcome. */
export const ADDR = {
  /** local delivery to DIR/mail/tester */
  local: 'tester@localhost',
  /** local sender (receives the bounce notifications) */
  sender: 'sender@localhost',
  /** accepted by the relay sink */
  relay: 'someone@relay.test',
  /** 550 5.1.1 from the bounce sink */
  bounce: 'nobody@bounce.test',
  /** deferred: connection refused */
  deferred: 'someone@remote.test',
  /** rejected by smtpd at RCPT */
  rejected: 'blocked@example.test',
} as const;

export type SinkMode = 'accept' | 'reject-rcpt' | 'tempfail-rcpt';

export interface SinkMessage {
  from: string;
  to: string[];
  data: string;
}

/** A tiny SMTP server standing for a remote MTA. */
export interface SmtpSink {
  port: number;
  /** 'accept': 250 to everything; 'reject-rcpt': 550 5.1.1 to every RCPT; 'tempfail-rcpt': 451 4.3.0 */
  mode: SinkMode;
  /** messages accepted (after the final dot) */
  messages: SinkMessage[];
  /** RCPT addresses seen (accepted or refused) */
  recipients: string[];
  close(): Promise<void>;
}

export interface QueueRecipient {
  address: string;
  delay_reason?: string;
}

/** One line of `postqueue -j` (see postqueue(1)). */
export interface QueueEntry {
  queue_name: string;
  queue_id: string;
  arrival_time: number;
  message_size: number;
  forced_expire?: boolean;
  sender: string;
  recipients: QueueRecipient[];
}

export interface SendMailOptions {
  from: string;
  to: string[];
  /** defaults to the smtpd port (use submissionPort for the submission service) */
  port?: number;
  body?: string;
  subject?: string;
  /** HELO/EHLO name (default client.example.test) */
  helo?: string;
  /** more header lines, e.g. `Delivered-To: tester@localhost` (a forwarding loop for local) */
  headers?: string[];
  /**
   * The transaction must see at least one recipient refused with 5xx (if every recipient
   * is refused, no message is queued). Without it, any refusal makes sendMail reject.
   */
  expectReject?: boolean;
}

export interface SendResult {
  /** the queue id from "250 2.0.0 Ok: queued as ID", null when nothing was queued */
  queueId: string | null;
  /** swaks' transcript */
  transcript: string;
}

export interface PostfixOptions {
  /** myhostname (default madman-test.example.test) */
  hostname?: string;
  /** more main.cf settings, applied last */
  main?: Record<string, string>;
  /** leave DIR in place after stop, for debugging (the next test process's start removes it) */
  keepDir?: boolean;
}

export interface PostfixServer {
  /** the instance's temporary directory */
  dir: string;
  /** its config_directory (DIR/etc): pass as `-c` to postfix, postconf, postqueue */
  etcDir: string;
  /** smtpd (postfix-test/smtpd) */
  port: number;
  /** submission smtpd (postfix-test/submission/smtpd) */
  submissionPort: number;
  /** the port nothing listens on (deferrals for remote.test) */
  closedPort: number;
  /** path of the log Postfix writes itself (maillog_file) */
  maillog: string;
  /** DIR/mail: local deliveries land in DIR/mail/NAME */
  mailDir: string;
  relaySink: SmtpSink;
  bounceSink: SmtpSink;
  sendMail(opts: SendMailOptions): Promise<SendResult>;
  /** postqueue -f */
  flushQueue(): Promise<void>;
  /** postqueue -j, one object per queued message */
  queueJson(): Promise<QueueEntry[]>;
  /** the whole log as it is now; after stop(), as it was at the end (with the stop lines) */
  readLog(): string;
  /** the first log line matching `re`, polling until timeoutMs (rejects with the log tail) */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** postconf -c DIR/etc ARGS (its stdout) */
  postconf(...args: string[]): Promise<string>;
  /** pids of the processes that belong to this instance (MAIL_CONFIG=DIR/etc in their environment) */
  processes(): number[];
  /** postfix stop, wait until master and its children exit, close the sinks, remove DIR. Idempotent. */
  stop(): Promise<void>;
}

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

/** For commands that do not fork daemons. Never rejects. */
function exec(cmd: string, args: string[], timeoutMs = 20000, env?: NodeJS.ProcessEnv): Promise<Exec> {
  return runCommand(cmd, args, { timeoutMs, env });
}

async function mustExec(cmd: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await exec(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A minimal SMTP server (no PIPELINING, no STARTTLS) standing for a remote MTA, on `host`
 * (any 127.x.y.z: an MTA that reuses a connection for every message waiting for the same
 * address, as Exim does, needs each sink on its own address).
 */
export async function startSmtpSink(mode: SinkMode, host = '127.0.0.1'): Promise<SmtpSink> {
  const sockets = new Set<net.Socket>();
  const messages: SinkMessage[] = [];
  const recipients: string[] = [];
  let seq = 0;
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.setEncoding('latin1');
    let buf = '';
    let inData = false;
    let data: string[] = [];
    let from = '';
    let rcpts: string[] = [];
    const reply = (s: string) => {
      if (!sock.destroyed) sock.write(`${s}\r\n`);
    };
    const address = (arg: string) => /<([^>]*)>/.exec(arg)?.[1] ?? arg.trim();
    reply('220 sink.test ESMTP madman test sink');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (inData) {
          if (line === '.') {
            inData = false;
            messages.push({ from, to: rcpts, data: data.join('\r\n') });
            reply(`250 2.0.0 Ok: queued as SINK${++seq}`);
            from = '';
            rcpts = [];
            data = [];
          } else {
            data.push(line.startsWith('..') ? line.slice(1) : line);
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') {
          reply('250-sink.test');
          reply('250-8BITMIME');
          reply('250 SIZE 10240000');
        } else if (verb === 'HELO') reply('250 sink.test');
        else if (verb === 'MAIL') {
          from = address(line.slice(line.indexOf(':') + 1));
          rcpts = [];
          reply('250 2.1.0 Ok');
        } else if (verb === 'RCPT') {
          const to = address(line.slice(line.indexOf(':') + 1));
          recipients.push(to);
          if (mode === 'accept') {
            rcpts.push(to);
            reply('250 2.1.5 Ok');
          } else if (mode === 'tempfail-rcpt') reply(`451 4.3.0 <${to}>: Temporary lookup failure`);
          else reply(`550 5.1.1 <${to}>: Recipient address rejected: User unknown`);
        } else if (verb === 'DATA') {
          if (rcpts.length === 0) reply('554 5.5.1 Error: no valid recipients');
          else {
            inData = true;
            reply('354 End data with <CR><LF>.<CR><LF>');
          }
        } else if (verb === 'RSET') {
          from = '';
          rcpts = [];
          reply('250 2.0.0 Ok');
        } else if (verb === 'NOOP') reply('250 2.0.0 Ok');
        else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          sock.end();
        } else reply('502 5.5.2 Error: command not recognized');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  let closed: Promise<void> | null = null;
  return {
    port,
    mode,
    messages,
    recipients,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

/**
 * Postfix rereads a main.cf or texthash file whose mtime is less than 2 s old, in 300 ms
 * naps, until it "cools down" (dict_load_file, dict_thash): every postconf/postfix run right
 * after a write would lose up to 2 s. Backdate what we write.
 */
function cool(file: string): void {
  const past = new Date(Date.now() - 60000);
  utimesSync(file, past, past);
}

// ---- the system main.cf's alternate_config_directories ----

const OUR_PREFIX = 'madman-postfix-';
/**
 * Not os.tmpdir(): the instance's users (postfix, and nobody for local deliveries) must be
 * able to traverse the path, which a private $TMPDIR (e.g. under /root) would forbid.
 */
const BASE_DIR = '/tmp';

function postconfSync(args: string[]): string {
  return execFileSync(POSTCONF, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10000 });
}

function systemAltDirs(): string[] {
  const mainCf = path.join(SYSTEM_CONFIG_DIR, 'main.cf');
  // With debconf "No configuration" Debian installs no main.cf; postconf needs one.
  if (!existsSync(mainCf)) {
    writeFileSync(mainCf, '', { mode: 0o644 });
    cool(mainCf);
  }
  return postconfSync(['-c', SYSTEM_CONFIG_DIR, '-h', 'alternate_config_directories'])
    .split(/[\s,]+/)
    .filter((s) => s !== '');
}

function setSystemAltDirs(dirs: string[]): void {
  const mainCf = path.join(SYSTEM_CONFIG_DIR, 'main.cf');
  if (dirs.length > 0) {
    postconfSync(['-c', SYSTEM_CONFIG_DIR, '-e', `alternate_config_directories = ${dirs.join(', ')}`]);
    cool(mainCf);
    return;
  }
  postconfSync(['-c', SYSTEM_CONFIG_DIR, '-X', 'alternate_config_directories']);
  // Back to Debian's "No configuration" state when the file holds nothing else (we created it).
  if (readFileSync(mainCf, 'utf8').trim() === '') rmSync(mainCf, { force: true });
  else cool(mainCf);
}

/**
 * Runs `fn` (a read-modify-write of alternate_config_directories) holding a lock shared by
 * every test process on the machine: two worktrees' tests editing the list at once lost
 * one's change (an entry removed by one came back with the other's write). A directory is
 * the lock (mkdir is atomic); synchronous, for the 'exit' handler; a lock older than
 * STALE_LOCK_MS is from a killed process and is broken.
 */
function withAltDirsLock<T>(fn: () => T): T {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(ALT_DIRS_LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(ALT_DIRS_LOCK).mtimeMs > STALE_LOCK_MS) rmSync(ALT_DIRS_LOCK, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw new Error(`${ALT_DIRS_LOCK} held for a minute: alternate_config_directories left as it is`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(ALT_DIRS_LOCK, { recursive: true, force: true });
  }
}

/** (not under OUR_PREFIX, which reapOrphans() looks through) */
const ALT_DIRS_LOCK = path.join(BASE_DIR, 'madman-alt-config-dirs.lock');
/** an edit takes two postconf runs, well under a second */
const STALE_LOCK_MS = 30_000;

/** Lists etcDir (and forgets our earlier instances whose directory is gone). */
function registerAltDir(etcDir: string): void {
  withAltDirsLock(() => {
    const dirs = systemAltDirs().filter((d) => !(d.includes(OUR_PREFIX) && !existsSync(d)));
    if (!dirs.includes(etcDir)) dirs.push(etcDir);
    setSystemAltDirs(dirs);
  });
}

/** Synchronous, so that it can run in a process 'exit' handler too. */
function unregisterAltDir(etcDir: string): void {
  withAltDirsLock(() => {
    const dirs = systemAltDirs();
    if (dirs.includes(etcDir)) setSystemAltDirs(dirs.filter((d) => d !== etcDir));
  });
}

// ---- instance helpers ----

function uidOf(user: string): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`no user ${user} in /etc/passwd (is the postfix package installed?)`);
}

/** Pids whose environment has MAIL_CONFIG=etcDir (master and all its children inherit it). */
function instancePids(etcDir: string): number[] {
  const want = `MAIL_CONFIG=${etcDir}`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (env.split('\0').includes(want)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** master.cf: the smtp inet service on `port`, chroot off everywhere, a submission service. */
function editMasterCf(text: string, port: number, submissionPort: number): string {
  const out: string[] = [];
  let movedSmtp = false;
  for (const line of text.split('\n')) {
    let l = line;
    // A service line: name type private unpriv chroot wakeup maxproc command...
    // Chroot off: the instance's spool has no copy of /etc (hosts, services, localtime), so a
    // chrooted smtpd would log unknown[127.0.0.1] and a wrong time zone.
    const m = /^(\S+\s+\S+\s+\S+\s+\S+\s+)(\S+)(\s.*)$/.exec(l);
    if (m && !l.startsWith('#')) l = `${m[1]}n${m[3]}`;
    if (/^smtp\s+inet\s/.test(l)) {
      l = l.replace(/^smtp(\s+)/, `${port}$1`);
      movedSmtp = true;
    }
    // Debian's relay service logs as postfix/relay: keep it inside the instance's name.
    l = l.replace(/syslog_name=postfix\/\$service_name/, `syslog_name=${SYSLOG_NAME}/$service_name`);
    out.push(l);
  }
  if (!movedSmtp) throw new Error('master.cf has no "smtp inet" service line');
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  out.push(`${submissionPort} inet n       -       n       -       -       smtpd`);
  out.push(`  -o syslog_name=${SYSLOG_NAME}/submission`);
  out.push('');
  return out.join('\n');
}

/**
 * Instances left by a test process that died without stop() (kill -9, SIGINT): their owner
 * pid is gone. Stop their processes, remove their directories and alternate_config_directories
 * entries. Instances of live test processes (parallel runs) are left alone.
 */
function reapStale(): void {
  reapOrphans(BASE_DIR, OUR_PREFIX, (dir) => {
    const etcDir = path.join(dir, 'etc');
    for (const pid of instancePids(etcDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    try {
      unregisterAltDir(etcDir);
    } catch {
      // pruned at the next register anyway
    }
  });
}

export async function startPostfix(opts: PostfixOptions = {}): Promise<PostfixServer> {
  if (!existsSync(POSTFIX)) throw new Error(`${POSTFIX} missing: run scripts/test-deps.sh (as root)`);
  if (process.getuid?.() !== 0) throw new Error('a private Postfix instance needs root');

  reapStale();
  const dir = ownedDir(BASE_DIR, OUR_PREFIX); // 755: nobody (local delivery) and postfix must traverse it
  const etcDir = path.join(dir, 'etc');
  const spoolDir = path.join(dir, 'spool');
  const dataDir = path.join(dir, 'data');
  const mailDir = path.join(dir, 'mail');
  const maillog = path.join(dir, 'maillog');
  const cmdOut = path.join(dir, 'postfix-cmd.out');

  const cleanups: Array<() => Promise<void> | void> = [];
  const onExit = () => {
    // mocha died before stop(): do not leave a Postfix behind
    for (const pid of instancePids(etcDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      unregisterAltDir(etcDir);
    } catch {
      // best effort; a later start forgets entries whose directory is gone
    }
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  let stopped: Promise<void> | null = null;
  /** the log as it was when stop() removed DIR */
  let finalLog: string | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const errors: string[] = [];
      if (existsSync(path.join(spoolDir, 'pid', 'master.pid')) || instancePids(etcDir).length > 0) {
        const r = await execToFile(POSTFIX, ['-c', etcDir, 'stop'], cmdOut);
        if (r.code !== 0 && instancePids(etcDir).length > 0) errors.push(`postfix stop: ${r.output}`);
      }
      // master sends its children SIGTERM and exits; wait for every process of the instance
      const deadline = Date.now() + 10000;
      while (instancePids(etcDir).length > 0 && Date.now() < deadline) await sleep(50);
      const left = instancePids(etcDir);
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      if (left.length > 0) errors.push(`killed processes that outlived postfix stop: ${left.join(' ')}`);
      await runCleanups(cleanups, errors);
      process.off('exit', onExit);
      finalLog = existsSync(maillog) ? readFileSync(maillog, 'utf8') : '';
      if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`stopping Postfix: ${errors.join('; ')}`);
    })();
    return stopped;
  };

  try {
    const relaySink = await startSmtpSink('accept');
    cleanups.push(() => relaySink.close());
    const bounceSink = await startSmtpSink('reject-rcpt');
    cleanups.push(() => bounceSink.close());
    const [port, submissionPort, closedPort] = (await freePorts(3)) as [number, number, number];

    // 1. config directory: a copy of /etc/postfix, an empty main.cf, a pristine master.cf
    // dereference: Debian's makedefs.out is a symlink to /usr/share/postfix, and postfix-script
    // warns "symlink leaves directory" at every start otherwise
    cpSync(SYSTEM_CONFIG_DIR, etcDir, { recursive: true, dereference: true });
    writeFileSync(path.join(etcDir, 'main.cf'), '');
    const distMaster = '/usr/share/postfix/master.cf.dist';
    const masterSrc = existsSync(distMaster) ? distMaster : path.join(SYSTEM_CONFIG_DIR, 'master.cf');
    writeFileSync(path.join(etcDir, 'master.cf'), editMasterCf(readFileSync(masterSrc, 'utf8'), port, submissionPort));

    mkdirSync(spoolDir);
    mkdirSync(dataDir);
    const postfixUser = uidOf('postfix');
    chownSync(dataDir, postfixUser.uid, postfixUser.gid); // else master cannot create its lock file
    mkdirSync(mailDir);
    const nobody = uidOf('nobody');
    chownSync(mailDir, nobody.uid, nobody.gid); // alias file deliveries run as default_privs

    const aliases = path.join(etcDir, 'aliases.texthash');
    writeFileSync(
      aliases,
      ['tester', 'sender', 'postmaster']
        .map((n) => `${n} ${path.join(mailDir, n)}\n`)
        .concat(['root postmaster\n', 'MAILER-DAEMON postmaster\n'])
        .join(''),
    );
    const access = path.join(etcDir, 'recipient_access.texthash');
    writeFileSync(access, `${ADDR.rejected} REJECT\n`);
    const transport = path.join(etcDir, 'transport.texthash');
    writeFileSync(
      transport,
      [
        `relay.test smtp:[127.0.0.1]:${relaySink.port}`,
        `bounce.test smtp:[127.0.0.1]:${bounceSink.port}`,
        `remote.test smtp:[127.0.0.1]:${closedPort}`,
        '',
      ].join('\n'),
    );

    const hostname = opts.hostname ?? 'madman-test.example.test';
    const main: Array<[string, string]> = [
      ['compatibility_level', '3.6'],
      ['queue_directory', spoolDir],
      ['data_directory', dataDir],
      ['inet_interfaces', '127.0.0.1'],
      ['inet_protocols', 'ipv4'],
      ['maillog_file', maillog],
      ['maillog_file_prefixes', `/var, /dev/stdout, ${dir}`],
      ['syslog_name', SYSLOG_NAME],
      ['myhostname', hostname],
      ['mydestination', '$myhostname, localhost'],
      ['mynetworks', '127.0.0.0/8'],
      ['relayhost', ''],
      ['alias_maps', `texthash:${aliases}`],
      ['alias_database', ''],
      ['transport_maps', `texthash:${transport}`],
      [
        'smtpd_recipient_restrictions',
        `check_recipient_access texthash:${access}, permit_mynetworks, reject_unauth_destination`,
      ],
      ['smtpd_tls_security_level', 'none'],
      ['smtp_tls_security_level', 'none'],
      // no DNS here: addresses from /etc/hosts, transports use [ip]:port
      ['smtp_host_lookup', 'native'],
      ['biff', 'no'],
      ['append_dot_mydomain', 'no'],
      ['readme_directory', 'no'],
      ...Object.entries(opts.main ?? {}),
    ];
    await mustExec(POSTCONF, ['-c', etcDir, '-e', ...main.map(([k, v]) => `${k} = ${v}`)]);
    for (const f of ['main.cf', 'master.cf', aliases, access, transport]) cool(path.resolve(etcDir, f));

    // 2. the system main.cf lists the instance. Root's postfix/postqueue -c work without it
    //    (3.7.11), but any other user's postqueue -c (madman unprivileged reading the queue),
    //    sendmail -C or postdrop is refused: "unauthorized configuration directory name".
    //    Removed again at stop (and the file too if it then holds nothing).
    registerAltDir(etcDir);
    cleanups.push(() => unregisterAltDir(etcDir));

    // 3. start; master forks: output to a file
    const started = await execToFile(POSTFIX, ['-c', etcDir, 'start'], cmdOut);
    if (started.code !== 0) {
      // Before master and postlogd run, Postfix commands log only to syslog (/dev/log, absent
      // in containers) unless stderr is a terminal: `postfix check` then just exits 1. Run it
      // again under script(1) to get its messages.
      const check = await exec('script', ['-qec', `${POSTFIX} -c ${etcDir} check`, '/dev/null'], 15000);
      const log = existsSync(maillog) ? readFileSync(maillog, 'utf8') : '';
      throw new Error(`postfix -c ${etcDir} start failed (${started.code}): ${started.output}${check.stdout}${log}`);
    }
    // `postfix start` runs `master -w`, which returns once master has opened its listening
    // sockets: no probe connection needed (a probe would add connect/disconnect lines that
    // the tests' counts would have to subtract). Wait for master's first line, so the log exists.
    const deadline = Date.now() + 10000;
    while (!/ postfix-test\/master\[\d+\]: daemon started/.test(existsSync(maillog) ? readFileSync(maillog, 'utf8') : '')) {
      if (Date.now() > deadline) throw new Error(`no "daemon started" line in ${maillog}:\n${readFileSync(cmdOut, 'utf8')}`);
      await sleep(20);
    }

    const readLog = () => finalLog ?? (existsSync(maillog) ? readFileSync(maillog, 'utf8') : '');

    return {
      dir,
      etcDir,
      port,
      submissionPort,
      closedPort,
      maillog,
      mailDir,
      relaySink,
      bounceSink,
      async sendMail(o: SendMailOptions): Promise<SendResult> {
        const args = [
          '--server', '127.0.0.1',
          '--port', String(o.port ?? port),
          '--from', o.from,
          '--to', o.to.join(','),
          '--helo', o.helo ?? 'client.example.test',
          '--timeout', '15',
          '--header', `Subject: ${o.subject ?? 'madman test'}`,
          ...(o.headers ?? []).flatMap((h) => ['--add-header', h]),
          '--body', o.body ?? 'madman end-to-end test message',
        ];
        const r = await exec('swaks', args, 30000);
        const transcript = r.stdout + r.stderr;
        const refused = /^<\*\* +5\d\d /m.test(transcript);
        const queueId = /^<- +250 .*queued as ([0-9A-Za-z]+)/m.exec(transcript)?.[1] ?? null;
        if (o.expectReject) {
          // swaks: 0 when some recipients were accepted, 24 when none was
          if (!refused || (r.code !== 0 && r.code !== 24)) throw new Error(`expected a refused recipient (swaks ${r.code}):\n${transcript}`);
        } else if (r.code !== 0 || refused || !queueId) {
          throw new Error(`swaks failed (${r.code}):\n${transcript}`);
        }
        return { queueId, transcript };
      },
      async flushQueue() {
        await mustExec(POSTQUEUE, ['-c', etcDir, '-f']);
      },
      async queueJson(): Promise<QueueEntry[]> {
        const out = await mustExec(POSTQUEUE, ['-c', etcDir, '-j']);
        return out
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as QueueEntry);
      },
      readLog,
      async waitForLog(re: RegExp, timeoutMs = 10000): Promise<string> {
        const r = new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const hit = readLog()
            .split('\n')
            .find((l) => r.test(l));
          if (hit !== undefined) return hit;
          if (Date.now() > deadline) {
            const tail = readLog().split('\n').slice(-30).join('\n');
            throw new Error(`no log line matching ${re} within ${timeoutMs} ms; ${maillog} ends with:\n${tail}`);
          }
          await sleep(50);
        }
      },
      postconf: (...args: string[]) => mustExec(POSTCONF, ['-c', etcDir, ...args]),
      processes: () => instancePids(etcDir),
      stop,
    };
  } catch (e) {
    try {
      await stop();
    } catch {
      // report the start failure, not the cleanup's
    }
    throw e;
  }
}
