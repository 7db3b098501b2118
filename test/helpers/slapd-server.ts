// A real OpenLDAP slapd (Debian packages slapd, ldap-utils) as a private instance on a free
// loopback port, in a temporary directory, for end-to-end tests of the LDAP probe.
//
// As ../shared/reference/test-servers.md describes: DIR/slapd.conf with the core, cosine
// and inetorgperson schemas, back_mdb, suffix dc=example,dc=test, rootdn
// cn=admin,dc=example,dc=test (password `secret`), then `slapd -h ldap://127.0.0.1:PORT/
// -f DIR/slapd.conf` (forks; output to a file, never a pipe we wait on) and a small tree
// loaded with ldapadd: ou=people with uid=tester (password `tester-secret`).
//
// Cleanup: stop() (idempotent) kills the pid in DIR/slapd.pid, waits until it is gone and
// removes DIR; a process 'exit' handler does the same if a test never calls it.

import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeTcpPort } from './ports.js';

export const SLAPD = '/usr/sbin/slapd';
export const SUFFIX = 'dc=example,dc=test';
export const ROOT_DN = `cn=admin,${SUFFIX}`;
export const ROOT_PW = 'secret';
export const USER_DN = `uid=tester,ou=people,${SUFFIX}`;
export const USER_PW = 'tester-secret';

export interface SlapdServer {
  dir: string;
  port: number;
  url: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function exec(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 20000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: `${String(stdout)}${String(stderr)}` });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const TREE = `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
o: example
dc: example

dn: ou=people,${SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ${USER_DN}
objectClass: inetOrgPerson
uid: tester
cn: Test User
sn: User
mail: tester@example.test
userPassword: ${USER_PW}
`;

export async function startSlapd(): Promise<SlapdServer> {
  if (!existsSync(SLAPD)) throw new Error(`${SLAPD} missing: run scripts/test-deps.sh (as root)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-slapd-'));
  const pidFile = path.join(dir, 'slapd.pid');
  const kill = () => {
    const pid = readPid(pidFile);
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  const onExit = () => {
    kill();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const pid = readPid(pidFile);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone
        }
        const deadline = Date.now() + 5000;
        while (alive(pid) && Date.now() < deadline) await sleep(20);
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    })());
  try {
    mkdirSync(path.join(dir, 'db'));
    const conf = path.join(dir, 'slapd.conf');
    writeFileSync(
      conf,
      [
        'include /etc/ldap/schema/core.schema',
        'include /etc/ldap/schema/cosine.schema',
        'include /etc/ldap/schema/inetorgperson.schema',
        'modulepath /usr/lib/ldap',
        'moduleload back_mdb',
        `pidfile ${pidFile}`,
        'database mdb',
        'maxsize 10485760',
        `suffix "${SUFFIX}"`,
        `rootdn "${ROOT_DN}"`,
        `rootpw ${ROOT_PW}`,
        `directory ${dir}/db`,
        '',
      ].join('\n'),
    );
    const port = await freeTcpPort();
    const url = `ldap://127.0.0.1:${port}/`;
    const outFile = path.join(dir, 'slapd.out');
    const fd = openSync(outFile, 'a');
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(SLAPD, ['-h', url, '-f', conf], { stdio: ['ignore', fd, fd] });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c ?? 1));
    });
    closeSync(fd);
    if (code !== 0) throw new Error(`slapd failed (${code}): ${readFileSync(outFile, 'utf8')}`);
    // slapd forks before it listens: load the tree once it answers
    const deadline = Date.now() + 10000;
    for (;;) {
      const r = await exec('ldapadd', ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PW], TREE);
      if (r.code === 0) break;
      if (Date.now() > deadline) throw new Error(`ldapadd failed (${r.code}): ${r.out}`);
      await sleep(50);
    }
    return { dir, port, url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
