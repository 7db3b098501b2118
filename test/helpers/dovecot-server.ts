// A real Dovecot (Debian packages dovecot-imapd, dovecot-pop3d) as a private instance on
// loopback ports, in a temporary directory, for end-to-end tests: madman reads the log this
// Dovecot writes, asks it for quotas, and probes its IMAP and POP3 listeners.
//
// Built as ../shared/reference/test-servers.md describes: DIR/dovecot.conf (dovecot-config.ts) written from
// scratch (nothing from /etc/dovecot leaks in), base_dir, state_dir and log_path under DIR,
// `listen = 127.0.0.1`, IMAP and POP3 on free ports, passwd-file users (passdb AND userdb, so
// `doveadm quota get -A` can list them), a master user for quota reads over IMAP
// (login `USER*MASTER`), the quota plugin (maildir++ quota) with a small limit, and
// `dovecot -c DIR/dovecot.conf`, which forks.
//
// Gotchas met: mail cannot be owned by root (userdb uid=mail gid=mail, first_valid_uid = 8,
// DIR/mail owned by mail); DIR must be searchable by the unprivileged login and mail
// processes (mkdtemp makes it 0700, we chmod it 0755).
//
// TLS (opts.tls): ssl = yes with a self-signed certificate for 127.0.0.1/localhost made by
// openssl, plus imaps and pop3s listeners (STARTTLS works on the plain ports too); plaintext
// authentication stays allowed without TLS.
//
// Cleanup: stop() (idempotent) sends SIGTERM to the master (which ends its children), waits
// until it is gone and removes DIR; a process 'exit' handler does the same synchronously if a
// test never calls it; and each start reaps the instances of test processes that died
// (kill -9), found by DIR/owner.pid. Needs root. A start takes about 0.2 s (0.4 s with TLS).

import { execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dovecotConf, passwdLine } from './dovecot-config.js';
import { ownedDir, reapOrphans } from './instance-dir.js';
import { freePorts } from './ports.js';

export const DOVECOT = '/usr/sbin/dovecot';
export const DOVEADM = '/usr/bin/doveadm';
const DIR_PREFIX = 'madman-dovecot-';

export interface DovecotUser {
  user: string;
  password: string;
  /** a per-user quota_rule (userdb extra field), e.g. '*:storage=2M' */
  quotaRule?: string;
}

export interface DovecotOptions {
  /** default: user@example.test / secret and other@example.test / secret2 */
  users?: DovecotUser[];
  /** the default storage limit in KB (default 1024) */
  storageKB?: number;
  /** the default message limit (default 100; 0 = none) */
  messages?: number;
  /** ssl = yes with a self-signed certificate, and imaps/pop3s listeners */
  tls?: boolean;
  /** more dovecot.conf text, appended last */
  extraConfig?: string;
  /** leave DIR in place after stop, for debugging (the next test process's start removes it) */
  keepDir?: boolean;
}

export interface DoveadmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DovecotServer {
  dir: string;
  /** DIR/dovecot.conf: pass as `-c` to dovecot and doveadm */
  conf: string;
  /** the log Dovecot writes (log_path) */
  logPath: string;
  imapPort: number;
  pop3Port: number;
  /** implicit-TLS ports (opts.tls only) */
  imapsPort?: number;
  pop3sPort?: number;
  /** the self-signed certificate, PEM (opts.tls only): the CA to trust */
  certPem?: string;
  /** the users as configured now (addUser/removeUser change it) */
  users: DovecotUser[];
  /** the master user: log in as `${user}*${master.user}` with master.password */
  master: { user: string; password: string };
  /** the storage and message limits of users without their own quotaRule */
  storageKB: number;
  messages: number;
  /** `doveadm -c DIR/dovecot.conf ARGS` (never rejects) */
  doveadm(args: string[]): Promise<DoveadmResult>;
  /** rewrite the passwd-file, then wait until Dovecot's auth process has reread it */
  addUser(u: DovecotUser): Promise<void>;
  removeUser(user: string): Promise<void>;
  /** the master process id */
  pid(): number;
  /** ends Dovecot but keeps DIR (Dovecot down, for tests of what a client then sees) */
  halt(): Promise<void>;
  /** halt() if running, then start again with the same configuration and ports */
  restart(): Promise<void>;
  /** SIGTERM to the master, wait until it is gone, remove DIR. Idempotent. */
  stop(): Promise<void>;
}

export const MASTER = { user: 'madman-admin', password: 'admin-secret' } as const;

const DEFAULT_USERS: DovecotUser[] = [
  { user: 'user@example.test', password: 'secret' },
  { user: 'other@example.test', password: 'secret2' },
];

function exec(cmd: string, args: string[], timeoutMs = 20000): Promise<DoveadmResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A synchronous sleep, for the exit handler. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Running (a zombie, which a container's init may leave unreaped, counts as ended). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A signal to the master's process group (master and all its children; it called setsid). */
function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    /* gone */
  }
}

function readPid(file: string): number {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : 0;
  } catch {
    return 0;
  }
}

function uidOf(user: string): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`no user ${user} in /etc/passwd`);
}

/**
 * Synchronous: SIGTERM to the group, then SIGKILL after 0.5 s (the master alone takes
 * seconds to shut down its children; a test server's last moments do not matter).
 */
function killSync(pid: number): void {
  if (!pid || !alive(pid)) return;
  signalGroup(pid, 'SIGTERM');
  for (let i = 0; i < 10 && alive(pid); i++) sleepSync(50);
  signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 100 && alive(pid); i++) sleepSync(20);
}

/** Instances left by test processes that died without cleaning up. */
function reapStale(): void {
  reapOrphans(os.tmpdir(), DIR_PREFIX, (dir) => killSync(readPid(path.join(dir, 'run', 'master.pid'))));
}

const live = new Set<{ dir: string; keep: boolean }>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const inst of live) {
      killSync(readPid(path.join(inst.dir, 'run', 'master.pid')));
      if (!inst.keep) rmSync(inst.dir, { recursive: true, force: true });
    }
  });
}

export async function startDovecot(opts: DovecotOptions = {}): Promise<DovecotServer> {
  reapStale();
  hookExit();
  const dir = ownedDir(os.tmpdir(), DIR_PREFIX);
  const inst = { dir, keep: !!opts.keepDir };
  live.add(inst);
  const mail = uidOf('mail');
  const mailDir = path.join(dir, 'mail');
  mkdirSync(mailDir);
  chownSync(mailDir, mail.uid, mail.gid);

  const tls = !!opts.tls;
  let certPem: string | undefined;
  if (tls) {
    const r = await exec('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    if (r.code !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
    certPem = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  }

  const users = (opts.users ?? DEFAULT_USERS).map((u) => ({ ...u }));
  const usersFile = path.join(dir, 'users');
  const writeUsers = () => writeFileSync(usersFile, users.map(passwdLine).join(''), { mode: 0o644 });
  writeUsers();
  writeFileSync(path.join(dir, 'masters'), passwdLine({ user: MASTER.user, password: MASTER.password }), { mode: 0o644 });

  const [imap, pop3, imaps, pop3s] = await freePorts(4) as [number, number, number, number];
  const storageKB = opts.storageKB ?? 1024;
  const messages = opts.messages ?? 100;
  const conf = path.join(dir, 'dovecot.conf');
  // without TLS the implicit-TLS listeners are disabled (port 0)
  writeFileSync(conf, dovecotConf(dir, { imap, pop3, imaps: tls ? imaps : 0, pop3s: tls ? pop3s : 0 }, { storageKB, messages, tls, extra: opts.extraConfig ?? '' }));

  const logPath = path.join(dir, 'dovecot.log');
  const pidFile = path.join(dir, 'run', 'master.pid');
  const stopped = { done: false };

  const halt = async (): Promise<void> => {
    const pid = readPid(pidFile);
    if (pid && alive(pid)) {
      signalGroup(pid, 'SIGTERM');
      for (let i = 0; i < 10 && alive(pid); i++) await sleep(50);
      signalGroup(pid, 'SIGKILL');
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
    }
    // an unreaped zombie master still answers kill(pid, 0): a new start would think it runs
    rmSync(pidFile, { force: true });
  };
  const stop = async (): Promise<void> => {
    if (stopped.done) return;
    stopped.done = true;
    await halt();
    live.delete(inst);
    if (!inst.keep) rmSync(dir, { recursive: true, force: true });
  };
  const boot = async (): Promise<void> => {
    const logged = existsSync(logPath) ? readFileSync(logPath, 'utf8').length : 0;
    // dovecot forks and its daemon keeps inherited descriptors: no pipes to wait on
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(DOVECOT, ['-c', conf], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0) throw new Error(`dovecot -c ${conf} exited ${code}: ${existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''}`);
    await waitStarted(pidFile, logPath, logged);
  };

  try {
    await boot();
  } catch (e) {
    await stop();
    throw e;
  }

  const server: DovecotServer = {
    dir,
    conf,
    logPath,
    imapPort: imap,
    pop3Port: pop3,
    users,
    master: { ...MASTER },
    storageKB,
    messages,
    doveadm: (args) => exec(DOVEADM, ['-c', conf, ...args]),
    async addUser(u) {
      const i = users.findIndex((x) => x.user === u.user);
      if (i >= 0) users[i] = { ...u };
      else users.push({ ...u });
      writeUsers();
      await untilUser(conf, u.user, true);
    },
    async removeUser(user) {
      const i = users.findIndex((x) => x.user === user);
      if (i >= 0) users.splice(i, 1);
      writeUsers();
      await untilUser(conf, user, false);
    },
    pid: () => readPid(pidFile),
    halt,
    async restart() {
      if (stopped.done) throw new Error('restart after stop()');
      await halt();
      await boot();
    },
    stop,
  };
  if (tls) {
    server.imapsPort = imaps;
    server.pop3sPort = pop3s;
    server.certPem = certPem;
  }
  return server;
}

/** Until `doveadm user` finds (or no longer finds) the user: auth rereads a changed passwd-file lazily. */
async function untilUser(conf: string, user: string, present: boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await exec(DOVEADM, ['-c', conf, 'user', user]);
    if ((r.code === 0) === present) return;
    await sleep(50);
  }
  throw new Error(`dovecot did not ${present ? 'see' : 'drop'} user ${user}`);
}

/**
 * Until the master has written its pid and logged "starting up". It binds the listeners
 * before it forks, so they accept from then on; probing them with connections instead would
 * put "Disconnected (no auth attempts)" lines in the log the tests count.
 */
async function waitStarted(pidFile: string, logPath: string, from = 0): Promise<void> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const log = existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(from) : '';
    if (readPid(pidFile) && alive(readPid(pidFile)) && /master: Info: Dovecot v\S+ .*starting up/.test(log)) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not start: ${log}`);
    await sleep(20);
  }
}
