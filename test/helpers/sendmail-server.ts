// A real Sendmail 8.17 (Debian's sendmail-bin, extracted by scripts/test-deps.sh into
// /var/cache/madman-test/sendmail, never installed: that would remove Postfix) on loopback
// ports in a temporary directory, for end-to-end tests: madman reads the log, statistics
// file, .cf and queue this Sendmail writes, and the tests compare with what it serves.
//
// Built as ../shared/reference/test-servers.md describes:
// - DIR/sendmail.cf from DIR/sendmail.mc with the m4 kit of sendmail-cf;
// - sendmail logs only through syslog(3) to /dev/log, which this machine lacks (and making
//   one would be global): a Perl receiver (Perl is essential on Debian; Node's dgram has no
//   AF_UNIX datagram sockets) binds DIR/log.sock and appends each datagram to DIR/maillog
//   in the mail.log shape `Mmm dd HH:MM:SS mx IDENT[PID]: TEXT`; SIGHUP reopens the file
//   (rotation, as syslogd does);
// - every sendmail command runs through DIR/smrun, which enters a private mount namespace
//   where DIR/log.sock is /dev/log and DIR/hosts is /etc/hosts (sendmail qualifies its host
//   name from it before reading the .cf). Everything it forks inherits the namespace, which
//   is also how stop() finds every process of the instance.
//
// Destinations (every outcome the Sendmail source has to count):
//   bob@, carol@example.test   local mailer: DIR/deliver appends to DIR/mbox/NAME
//   sender@example.test        local (receives the DSNs: use it as the sender of a bounce)
//   anything else non-local    esmtp mailer (SMART_HOST) to `sink`, which accepts
//   *@bounce.test              relay mailer (mailertable) to `bounceSink`: 550 5.1.1 per RCPT
//   *@remote.test              smtp8 mailer (mailertable) to `closedPort`: Deferred
//   nobody@example.test        refused at RCPT by the access map (550 5.1.1 User unknown)
// With `milter: true` every message also passes a real milter (Debian's
// libsendmail-pmilter-perl, a Perl implementation of the protocol, on a free port):
//   milter-reject@...          refused at RCPT: 550 5.7.1 Rejected by the test milter
//   milter-tempfail@...        refused at RCPT: 451 4.7.1 Try again later (test milter)
//   milter-discard@...         accepted, then discarded at end of data
// Clients on 127.0.0.1 may relay; swaks from 127.0.0.2 (mail.remote.example) or 127.0.0.3
// (no name) is an outside client. Daemons: MTA on `port`, MSA on `msaPort` (M=E).
// Needs root. A start takes about a second.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execToFile, pidAlive, runCommand } from './commands.js';
import { ownedDir, reapOrphans, runCleanups } from './instance-dir.js';
import { freePorts } from './ports.js';
import { startSmtpSink, type SmtpSink } from './postfix-server.js';

/** The extracted packages (scripts/extract-debs.sh); MADMAN_SENDMAIL_ROOT overrides. */
export const SENDMAIL_ROOT = process.env.MADMAN_SENDMAIL_ROOT ?? '/var/cache/madman-test/sendmail';
export const SENDMAIL_BIN = path.join(SENDMAIL_ROOT, 'usr/libexec/sendmail/sendmail');
export const MAILSTATS_BIN = path.join(SENDMAIL_ROOT, 'usr/libexec/sendmail/mailstats');
export const MAKEMAP_BIN = path.join(SENDMAIL_ROOT, 'usr/libexec/sendmail/makemap');
/** the syslog ident the daemon runs with (Debian's init uses -L sm-mta) */
export const SM_IDENT = 'sm-mta';
/** the host name the log receiver writes into each line */
export const SM_LOG_HOST = 'mx';

/** Addresses that produce each outcome. */
export const SM_ADDR = {
  local: 'bob@example.test',
  local2: 'carol@example.test',
  sender: 'sender@example.test',
  relay: 'someone@relay.test',
  bounce: 'nobody@bounce.test',
  deferred: 'someone@remote.test',
  rejected: 'nobody@example.test',
  remoteSender: 'alice@far.example',
} as const;

export interface SmSendOptions {
  from: string;
  to: string[];
  /** defaults to the MTA daemon's port */
  port?: number;
  /** source address: 127.0.0.2 or 127.0.0.3 make an outside client */
  localInterface?: string;
  body?: string;
  /** more header lines ("Name: value") */
  headers?: string[];
  helo?: string;
  /** some recipient must be refused with 5xx (else a refusal makes send() reject) */
  expectReject?: boolean;
  /** STARTTLS first (needs `tlsAuth`) */
  tls?: boolean;
  /** AUTH PLAIN as this user (needs `tlsAuth`) */
  auth?: { user: string; password: string };
  /** the AUTH must be refused (swaks exit 28): nothing is sent */
  expectAuthFailure?: boolean;
}

export interface SmSendResult {
  /** from "250 2.0.0 QID Message accepted for delivery", null when nothing was queued */
  queueId: string | null;
  transcript: string;
}

export interface SendmailOptions {
  /** more .mc lines, before the MAILER() lines */
  mc?: string[];
  /** run the test milter (see the header) */
  milter?: boolean;
  /**
   * STARTTLS with a self-signed certificate for mx.example.test, and AUTH PLAIN/LOGIN
   * (Cyrus SASL, a sasldb in DIR holding this user@mx.example.test) on both daemons
   */
  tlsAuth?: { user: string; password: string };
  /** leave DIR after stop (the next start of a test process removes it) */
  keepDir?: boolean;
}

export interface SmExec {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SendmailServer {
  dir: string;
  cf: string;
  statistics: string;
  queueDir: string;
  /** the log the receiver writes (mail.log shape) */
  maillog: string;
  port: number;
  msaPort: number;
  closedPort: number;
  sink: SmtpSink;
  bounceSink: SmtpSink;
  mboxDir: string;
  send(o: SmSendOptions): Promise<SmSendResult>;
  /** sendmail -C DIR/sendmail.cf ARGS inside the namespace (stdin: `input`) */
  run(args: string[], input?: string, timeoutMs?: number): Promise<SmExec>;
  /** one queue run (sendmail -L sm-mta -q), waited for */
  queueRun(): Promise<void>;
  /** mailstats -C cf -f statistics -P */
  mailstats(): Promise<MailstatsP>;
  readLog(): string;
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** pids of the daemon and everything it forked */
  processes(): number[];
  /** SIGHUP to the log receiver: it reopens DIR/maillog (after a rename: rotation) */
  reopenLog(): void;
  stop(): Promise<void>;
}

/** One row of `mailstats -P`. */
export interface MailstatsRow {
  from: number;
  kbytesFrom: number;
  to: number;
  kbytesTo: number;
  rejected: number;
  discarded: number;
  quarantined: number;
  name: string;
}

export interface MailstatsP {
  initTime: number;
  /** by mailer number */
  mailers: Map<number, MailstatsRow>;
  total: MailstatsRow;
  connections: { from: number; to: number; rejected: number };
}

/** Parses `mailstats -P`: "ITIME NOW", mailer rows "M nf bf nt bt nr nd nq name", T and C rows. */
export function parseMailstatsP(text: string): MailstatsP {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const [itime] = lines[0]!.trim().split(/\s+/);
  const out: MailstatsP = { initTime: Number(itime) * 1000, mailers: new Map(), total: row([], ''), connections: { from: 0, to: 0, rejected: 0 } };
  function row(f: string[], name: string): MailstatsRow {
    const n = (i: number) => Number(f[i] ?? 0);
    return { from: n(1), kbytesFrom: n(2), to: n(3), kbytesTo: n(4), rejected: n(5), discarded: n(6), quarantined: n(7), name };
  }
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f[0] === 'T') out.total = row(f, 'T');
    else if (f[0] === 'C') out.connections = { from: Number(f[1]), to: Number(f[2]), rejected: Number(f[3]) };
    else if (/^\d+$/.test(f[0]!)) out.mailers.set(Number(f[0]), row(f, f.slice(8).join(' ')));
  }
  return out;
}

function exec(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<SmExec> {
  return runCommand(cmd, args, opts);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const BASE_DIR = '/tmp';
const OUR_PREFIX = 'madman-sendmail-';

function mountNs(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/** Every process in mount namespace `ns` (the daemon's, inherited by all it forks). */
function pidsInNs(ns: string | undefined): number[] {
  if (!ns) return [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (mountNs(Number(name)) === ns) out.push(Number(name));
  }
  return out;
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

function daemonPid(dir: string): number | undefined {
  try {
    const n = Number(readFileSync(path.join(dir, 'sendmail.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Instances of test processes that died without stop(): kill their processes, remove them. */
function reapStale(): void {
  reapOrphans(BASE_DIR, OUR_PREFIX, (dir) => {
    const pid = daemonPid(dir);
    if (pid !== undefined) killAll(pidsInNs(mountNs(pid)));
    try {
      const recv = Number(readFileSync(path.join(dir, 'receiver.pid'), 'utf8').trim());
      if (pidAlive(recv)) killAll([recv]);
    } catch {
      // no receiver started
    }
  });
}

/** The .mc of the test instance (see the header for what each destination does). */
export function sendmailMc(dir: string, p: { port: number; msaPort: number; sinkPort: number }, extra: string[] = []): string {
  return [
    "OSTYPE(`linux')dnl",
    "define(`confDOMAIN_NAME', `mx.example.test')dnl",
    `define(\`QUEUE_DIR', \`${dir}/mqueue')dnl`,
    `define(\`STATUS_FILE', \`${dir}/statistics')dnl`,
    `define(\`confPID_FILE', \`${dir}/sendmail.pid')dnl`,
    `define(\`ALIAS_FILE', \`${dir}/aliases')dnl`,
    "LOCAL_DOMAIN(`example.test')dnl",
    `define(\`confSERVICE_SWITCH_FILE', \`${dir}/service.switch')dnl`,
    "define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl",
    "define(`confDONT_PROBE_INTERFACES', `true')dnl",
    // a busy shared machine passes the default load limits (8/12): mail would only be queued
    "define(`confQUEUE_LA', `100')dnl",
    "define(`confREFUSE_LA', `200')dnl",
    "define(`confTO_CONNECT', `5s')dnl",
    "define(`SMART_HOST', `esmtp:[127.0.0.1]')dnl",
    `define(\`ESMTP_MAILER_ARGS', \`TCP $h ${p.sinkPort}')dnl`,
    `define(\`LOCAL_MAILER_PATH', \`${dir}/deliver')dnl`,
    "define(`LOCAL_MAILER_ARGS', `deliver $u')dnl",
    "define(`LOCAL_MAILER_FLAGS', `Pmn9')dnl",
    "MODIFY_MAILER_FLAGS(`LOCAL', `-w')dnl",
    "FEATURE(`no_default_msa')dnl",
    "FEATURE(`nocanonify')dnl",
    "FEATURE(`accept_unresolvable_domains')dnl",
    `FEATURE(\`access_db', \`hash -T<TMPF> ${dir}/access')dnl`,
    "FEATURE(`blocklist_recipients')dnl",
    `FEATURE(\`mailertable', \`hash ${dir}/mailertable')dnl`,
    `DAEMON_OPTIONS(\`Family=inet, Name=MTA, Addr=127.0.0.1, Port=${p.port}')dnl`,
    `DAEMON_OPTIONS(\`Family=inet, Name=MSA, Addr=127.0.0.1, Port=${p.msaPort}, M=E')dnl`,
    ...extra,
    "MAILER(`local')dnl",
    "MAILER(`smtp')dnl",
    '',
  ].join('\n');
}

/** The test milter (Sendmail::PMilter): refuses or discards by recipient. */
const MILTER = String.raw`use strict;
use Sendmail::PMilter qw(:all);
my ($port) = @ARGV;
my %cb = (
  envrcpt => sub {
    my ($ctx, $rcpt) = @_;
    if ($rcpt =~ /milter-reject/) { $ctx->setreply('550', '5.7.1', 'Rejected by the test milter'); return SMFIS_REJECT; }
    if ($rcpt =~ /milter-tempfail/) { $ctx->setreply('451', '4.7.1', 'Try again later (test milter)'); return SMFIS_TEMPFAIL; }
    $ctx->setpriv(1) if $rcpt =~ /milter-discard/;
    return SMFIS_CONTINUE;
  },
  eom => sub { my ($ctx) = @_; return $ctx->getpriv() ? SMFIS_DISCARD : SMFIS_CONTINUE; },
);
my $m = Sendmail::PMilter->new;
$m->setconn("inet:$port\@127.0.0.1") or die "setconn inet:$port";
$m->register('test', \%cb, SMFI_CURR_ACTS);
$| = 1;
print "ready
";
$m->main();
`;

/** The syslog receiver: one line per datagram, `<PRI>` dropped and a host name put after the stamp. */
const RECEIVER = String.raw`use strict;
use IO::Socket::UNIX;
use Socket;
my ($sock, $out, $host) = @ARGV;
unlink $sock;
my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $sock) or die "bind $sock: $!";
chmod 0666, $sock;
my $fh;
sub reopen { close $fh if $fh; open($fh, '>>', $out) or die "$out: $!"; $fh->autoflush(1); }
reopen();
$SIG{HUP} = \&reopen;
$SIG{TERM} = sub { exit 0 };
print STDOUT "ready\n";
STDOUT->flush();
while (1) {
  my $buf;
  my $r = $s->recv($buf, 65536);
  if (!defined $r) { next if $!{EINTR}; last; }
  $buf =~ s/^<\d+>//;
  $buf =~ s/\n+$//;
  substr($buf, 15, 0) = " $host" if length($buf) > 15;
  print $fh "$buf\n";
}
`;

export async function startSendmail(opts: SendmailOptions = {}): Promise<SendmailServer> {
  if (!existsSync(SENDMAIL_BIN)) throw new Error(`${SENDMAIL_BIN} missing: run scripts/test-deps.sh (as root)`);
  if (process.getuid?.() !== 0) throw new Error('a private Sendmail needs root (mount namespace, /etc/hosts)');
  reapStale();
  const dir = ownedDir(BASE_DIR, OUR_PREFIX); // 755: the local mailer runs as daemon and must reach DIR/deliver and DIR/mbox
  const cf = path.join(dir, 'sendmail.cf');
  const statistics = path.join(dir, 'statistics');
  const queueDir = path.join(dir, 'mqueue');
  const maillog = path.join(dir, 'maillog');
  const mboxDir = path.join(dir, 'mbox');
  const smrun = path.join(dir, 'smrun');
  const cmdOut = path.join(dir, 'sendmail-cmd.out');
  let receiver: ChildProcess | undefined;
  const cleanups: Array<() => Promise<void> | void> = [];

  const processes = () => pidsInNs(mountNs(daemonPid(dir) ?? -1));
  const onExit = () => {
    killAll(processes());
    if (receiver?.pid) killAll([receiver.pid]);
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  let finalLog: string | null = null;
  const readLog = () => finalLog ?? (existsSync(maillog) ? readFileSync(maillog, 'utf8') : '');
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const errors: string[] = [];
      const pid = daemonPid(dir);
      const ns = mountNs(pid ?? -1);
      if (pid !== undefined && pidAlive(pid)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone
        }
      }
      const deadline = Date.now() + 10000;
      while (pidsInNs(ns).length > 0 && Date.now() < deadline) await sleep(50);
      const left = pidsInNs(ns);
      killAll(left);
      if (left.length > 0) errors.push(`killed processes that outlived SIGTERM: ${left.join(' ')}`);
      // let the receiver write what the last processes sent
      await sleep(100);
      await runCleanups(cleanups, errors);
      process.off('exit', onExit);
      finalLog = existsSync(maillog) ? readFileSync(maillog, 'utf8') : '';
      if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`stopping Sendmail: ${errors.join('; ')}`);
    })();
    return stopped;
  };

  const run = (args: string[], input?: string, timeoutMs?: number) => exec(smrun, args, { input, timeoutMs });

  try {
    const sink = await startSmtpSink('accept');
    cleanups.push(() => sink.close());
    const bounceSink = await startSmtpSink('reject-rcpt');
    cleanups.push(() => bounceSink.close());
    const [port, msaPort, closedPort, milterPort] = (await freePorts(4)) as [number, number, number, number];

    mkdirSync(queueDir, { mode: 0o700 });
    mkdirSync(mboxDir);
    chmodSync(mboxDir, 0o1777);
    mkdirSync(path.join(dir, 'dev'));
    writeFileSync(path.join(dir, 'hosts'), `127.0.0.1 localhost\n127.0.1.1 mx.example.test mx ${readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()}\n127.0.0.2 mail.remote.example\n`);
    writeFileSync(path.join(dir, 'service.switch'), 'hosts files\naliases files\n');
    writeFileSync(path.join(dir, 'aliases'), 'postmaster: root\nroot: bob\nMAILER-DAEMON: postmaster\n');
    writeFileSync(path.join(dir, 'access'), `To:${SM_ADDR.rejected}\tERROR:5.1.1:550 User unknown\n`);
    writeFileSync(path.join(dir, 'mailertable'), 'bounce.test\trelay:[127.0.0.1]\nremote.test\tsmtp8:[127.0.0.1]\n');
    writeFileSync(statistics, '', { mode: 0o640 }); // sendmail counts only into an existing file
    writeFileSync(path.join(dir, 'deliver'), '#!/bin/sh\nD=$(dirname "$0")\nmsg=$(cat)\nfor u in "$@"; do printf \'%s\\n\' "$msg" >> "$D/mbox/$u"; done\n', { mode: 0o755 });
    writeFileSync(
      smrun,
      [
        '#!/bin/sh',
        'D=$(cd "$(dirname "$0")" && pwd)',
        "exec unshare -m --propagation private sh -ec '",
        '  D=$1; shift',
        '  mount -t tmpfs -o mode=755,size=64k smdev "$D/dev"',
        '  for n in null zero full random urandom; do touch "$D/dev/$n"; mount --bind "/dev/$n" "$D/dev/$n"; done',
        '  ln -s /proc/self/fd "$D/dev/fd"',
        '  touch "$D/dev/log"; mount --bind "$D/log.sock" "$D/dev/log"',
        '  mount --move "$D/dev" /dev',
        '  mount --bind "$D/hosts" /etc/hosts',
        // Cyrus SASL reads Sendmail.conf from /usr/lib/sasl2: DIR/sasl2 there (tlsAuth)
        '  if [ -d "$D/sasl2" ]; then mount --bind "$D/sasl2" /usr/lib/sasl2; fi',
        `  exec ${SENDMAIL_BIN} -C "$D/sendmail.cf" "$@"' smrun "$D" "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const tlsMc: string[] = [];
    if (opts.tlsAuth) {
      const tls = path.join(dir, 'tls');
      mkdirSync(tls, { mode: 0o700 });
      const key = path.join(tls, 'key.pem');
      const cert = path.join(tls, 'cert.pem');
      const o = await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '3650', '-subj', '/CN=mx.example.test']);
      if (o.code !== 0) throw new Error(`openssl failed: ${o.stderr}`);
      chmodSync(key, 0o600);
      mkdirSync(path.join(dir, 'sasl2'));
      const sasldb = path.join(dir, 'sasldb2');
      writeFileSync(path.join(dir, 'sasl2/Sendmail.conf'), `pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: ${sasldb}\nmech_list: PLAIN LOGIN\n`);
      const pw = await exec('saslpasswd2', ['-f', sasldb, '-c', '-p', '-u', 'mx.example.test', opts.tlsAuth.user], { input: opts.tlsAuth.password });
      if (pw.code !== 0) throw new Error(`saslpasswd2 failed: ${pw.stderr}`);
      chmodSync(sasldb, 0o600);
      tlsMc.push(
        `define(\`confCACERT_PATH', \`${tls}')dnl`,
        `define(\`confCACERT', \`${cert}')dnl`,
        `define(\`confSERVER_CERT', \`${cert}')dnl`,
        `define(\`confSERVER_KEY', \`${key}')dnl`,
        "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl",
        "TRUST_AUTH_MECH(`PLAIN LOGIN')dnl",
      );
    }
    // RELAY and SMTP8 mailers: the bounce sink and the closed port
    const mc = sendmailMc(dir, { port, msaPort, sinkPort: sink.port }, [
      `define(\`RELAY_MAILER_ARGS', \`TCP $h ${bounceSink.port}')dnl`,
      `define(\`SMTP8_MAILER_ARGS', \`TCP $h ${closedPort}')dnl`,
      ...(opts.milter ? [`INPUT_MAIL_FILTER(\`test', \`S=inet:${milterPort}@127.0.0.1, F=T, T=C:5s;S:10s;R:10s;E:30s')dnl`] : []),
      ...tlsMc,
      ...(opts.mc ?? []),
    ]);
    writeFileSync(path.join(dir, 'sendmail.mc'), mc);
    const cfDir = path.join(SENDMAIL_ROOT, 'usr/share/sendmail/cf');
    const m4 = await exec('m4', [`-D_CF_DIR_=${cfDir}/`, path.join(cfDir, 'm4/cf.m4'), path.join(dir, 'sendmail.mc')]);
    if (m4.code !== 0) throw new Error(`m4 failed: ${m4.stderr}`);
    writeFileSync(cf, m4.stdout);

    // the syslog receiver first: sendmail logs from its first command on
    writeFileSync(path.join(dir, 'receiver.pl'), RECEIVER);
    const recvOut = openSync(path.join(dir, 'receiver.out'), 'a');
    receiver = spawn('perl', [path.join(dir, 'receiver.pl'), path.join(dir, 'log.sock'), maillog, SM_LOG_HOST], { stdio: ['ignore', recvOut, recvOut], detached: true });
    closeSync(recvOut);
    receiver.unref();
    writeFileSync(path.join(dir, 'receiver.pid'), `${receiver.pid}\n`);
    const recv = receiver;
    cleanups.push(async () => {
      if (recv.exitCode === null && recv.signalCode === null) {
        const exited = new Promise((r) => recv.once('exit', r));
        recv.kill('SIGTERM');
        await Promise.race([exited, sleep(5000)]);
      }
    });
    for (const deadline = Date.now() + 10000; !readFileSync(path.join(dir, 'receiver.out'), 'utf8').includes('ready'); ) {
      if (Date.now() > deadline || recv.exitCode !== null) throw new Error(`log receiver did not start: ${readFileSync(path.join(dir, 'receiver.out'), 'utf8')}`);
      await sleep(20);
    }

    if (opts.milter) {
      writeFileSync(path.join(dir, 'milter.pl'), MILTER);
      const out = openSync(path.join(dir, 'milter.out'), 'a');
      const milter = spawn('perl', [path.join(dir, 'milter.pl'), String(milterPort)], { stdio: ['ignore', out, out], env: { ...process.env, PMILTER_DISPATCHER: 'sequential' } });
      closeSync(out);
      cleanups.push(async () => {
        if (milter.exitCode === null && milter.signalCode === null) {
          const exited = new Promise((r) => milter.once('exit', r));
          milter.kill('SIGKILL');
          await Promise.race([exited, sleep(5000)]);
        }
      });
      for (const deadline = Date.now() + 10000; !readFileSync(path.join(dir, 'milter.out'), 'utf8').includes('ready'); ) {
        if (Date.now() > deadline || milter.exitCode !== null) throw new Error(`test milter did not start: ${readFileSync(path.join(dir, 'milter.out'), 'utf8')}`);
        await sleep(20);
      }
    }

    for (const map of ['access', 'mailertable']) {
      const r = await exec(MAKEMAP_BIN, ['-C', cf, 'hash', path.join(dir, map)], { input: readFileSync(path.join(dir, map), 'utf8') });
      if (r.code !== 0) throw new Error(`makemap ${map} failed (${r.code}): ${r.stderr}`);
    }
    const aliases = await run(['-bi']);
    if (aliases.code !== 0) throw new Error(`sendmail -bi failed (${aliases.code}): ${aliases.stderr}`);

    const started = await execToFile(smrun, ['-L', SM_IDENT, '-bd'], cmdOut);
    if (started.code !== 0) throw new Error(`sendmail -bd failed (${started.code}): ${started.output}`);
    // ready once the daemon logged its start; a port taken meanwhile makes it retry for ever
    const deadline = Date.now() + 15000;
    for (;;) {
      const log = readLog();
      if (/cannot bind/.test(log)) throw new Error(`sendmail could not bind its ports:\n${log}`);
      if (log.includes(`${SM_IDENT}[`) && /starting daemon \(/.test(log) && daemonPid(dir) !== undefined) break;
      if (Date.now() > deadline) throw new Error(`sendmail did not start:\n${log}\n${readFileSync(cmdOut, 'utf8')}`);
      await sleep(20);
    }

    return {
      dir,
      cf,
      statistics,
      queueDir,
      maillog,
      port,
      msaPort,
      closedPort,
      sink,
      bounceSink,
      mboxDir,
      run,
      async send(o: SmSendOptions): Promise<SmSendResult> {
        const args = [
          '--server', '127.0.0.1',
          '--port', String(o.port ?? port),
          '--from', o.from,
          '--to', o.to.join(','),
          '--helo', o.helo ?? 'client.example.test',
          '--timeout', '30',
          '--header', 'Subject: madman test',
          ...(o.headers ?? []).flatMap((h) => ['--add-header', h]),
          '--body', o.body ?? 'madman end-to-end test message',
        ];
        if (o.localInterface) args.push('--local-interface', o.localInterface);
        if (o.tls) args.push('--tls');
        if (o.auth) args.push('--auth', 'PLAIN', '--auth-user', o.auth.user, '--auth-password', o.auth.password);
        const r = await exec('swaks', args, { timeoutMs: 60000 });
        if (o.expectAuthFailure) {
          if (r.code !== 28) throw new Error(`expected AUTH refused (swaks 28, got ${r.code}):\n${r.stdout}${r.stderr}`);
          return { queueId: null, transcript: r.stdout + r.stderr };
        }
        const transcript = r.stdout + r.stderr;
        // `<-`/`<**` in clear, `<~`/`<~*` over TLS
        const refused = /^<(?:\*\*|~\*) +5\d\d /m.test(transcript);
        const queueId = /^<[-~] +250 [\d.]+ ([0-9A-Za-x]{14}) Message accepted/m.exec(transcript)?.[1] ?? null;
        if (o.expectReject) {
          if (!refused || (r.code !== 0 && r.code !== 24)) throw new Error(`expected a refused recipient (swaks ${r.code}):\n${transcript}`);
        } else if (r.code !== 0 || refused || !queueId) throw new Error(`swaks failed (${r.code}):\n${transcript}`);
        return { queueId, transcript };
      },
      async queueRun() {
        const r = await run(['-L', SM_IDENT, '-q'], undefined, 120000);
        if (r.code !== 0) throw new Error(`queue run failed (${r.code}): ${r.stderr}${r.stdout}`);
      },
      async mailstats() {
        const r = await exec(MAILSTATS_BIN, ['-C', cf, '-f', statistics, '-P']);
        if (r.code !== 0) throw new Error(`mailstats failed (${r.code}): ${r.stderr}`);
        return parseMailstatsP(r.stdout);
      },
      readLog,
      async waitForLog(re: RegExp, timeoutMs = 15000): Promise<string> {
        const r = new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const hit = readLog()
            .split('\n')
            .find((l) => r.test(l));
          if (hit !== undefined) return hit;
          if (Date.now() > deadline) throw new Error(`no log line matching ${re} within ${timeoutMs} ms; ${maillog} ends with:\n${readLog().split('\n').slice(-30).join('\n')}`);
          await sleep(50);
        }
      },
      processes,
      reopenLog() {
        recv.kill('SIGHUP');
      },
      stop,
    };
  } catch (e) {
    try {
      await stop();
    } catch {
      // report the start failure
    }
    throw e;
  }
}
