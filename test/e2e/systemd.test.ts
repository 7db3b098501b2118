// Issue 19: the systemd units and readiness. systemd-analyze verify checks the units as
// systemd would load them (no running systemd needed), and security rates them;
// setpriv applies the units' capability sets to an unprivileged user as systemd would;
// systemd-sysusers makes the user in a scratch root; and a real agent started with
// $NOTIFY_SOCKET tells a stand-in for
// the service manager (a unix datagram socket read by python3, with the sender's
// credentials) READY=1 once it answers, RELOADING=1 then READY=1 around a SIGHUP, and
// STOPPING=1, each sent by systemd-notify, which waits for the manager (BARRIER=1).

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, run, snmp } from '../helpers/harness.js';
import { freePrivilegedUdpPort } from '../helpers/ports.js';
import { startCliAgent } from './integration-support.js';
import { sleep } from './support.js';

const CONTRIB = path.join(ROOT, 'contrib');
const EXEC = '/usr/local/bin/madman';

/** The [Service] (or other section's) settings of a unit file: key -> values in order. */
function unitSettings(text: string, section: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      current = s[1]!;
      continue;
    }
    if (current !== section) continue;
    const eq = line.indexOf('=');
    out.set(line.slice(0, eq), [...(out.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

describe('systemd units (contrib/)', function () {
  this.timeout(60000);
  let dir = '';
  const UNITS = ['madman.service', 'madman-agentx.service'];
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-systemd-'));
    // The units start /usr/local/bin/madman (npm's global prefix); verify wants it executable,
    // so the copies checked here name a stand-in, their only difference.
    const stand = path.join(dir, 'madman');
    writeFileSync(stand, '#!/bin/sh\nexit 0\n');
    chmodSync(stand, 0o755);
    for (const name of UNITS) writeFileSync(path.join(dir, name), readFileSync(path.join(CONTRIB, name), 'utf8').replace(EXEC, stand));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('systemd-analyze verify finds nothing to say about either unit', async () => {
    for (const name of UNITS) expect(readFileSync(path.join(CONTRIB, name), 'utf8').split(EXEC).length, name).to.equal(2);
    const units = UNITS.map((name) => path.join(dir, name));
    const r = await run('systemd-analyze', ['verify', '--man=no', ...units]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
  });

  it('systemd-analyze security rates them no more exposed than docs/operations.md says (3.4 and 3.2 of 10)', async () => {
    const doc = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8').replace(/\s+/g, ' ');
    expect(doc).to.contain('rates their exposure 3.4 and 3.2 of 10');
    for (const [name, level] of [['madman.service', 3.4], ['madman-agentx.service', 3.2]] as const) {
      const r = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', `--threshold=${Math.round(level * 10)}`, path.join(dir, name)]);
      expect(r.code, r.stdout).to.equal(0);
      expect(Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1])).to.be.at.most(level);
    }
  });

  it('madman.service: its own user, the log groups, udp:161 and nothing else, the protections asked for', () => {
    const s = unitSettings(readFileSync(path.join(CONTRIB, 'madman.service'), 'utf8'), 'Service');
    const one = (k: string) => s.get(k)?.join(' | ');
    expect(one('ExecStart')).to.equal(`${EXEC} agent --config /etc/madman/madman.yml`);
    expect(one('ExecReload')).to.equal('/bin/kill -HUP $MAINPID');
    expect([one('Type'), one('NotifyAccess'), one('Restart'), one('RestartPreventExitStatus')]).to.deep.equal(['notify', 'all', 'on-failure', '2']);
    expect([one('User'), one('Group'), one('SupplementaryGroups'), one('StateDirectory')]).to.deep.equal(['madman', 'madman', 'adm systemd-journal', 'madman']);
    expect([one('AmbientCapabilities'), one('CapabilityBoundingSet')]).to.deep.equal(['CAP_NET_BIND_SERVICE', 'CAP_NET_BIND_SERVICE']);
    expect([one('ProtectSystem'), one('ProtectHome'), one('PrivateTmp'), one('NoNewPrivileges')]).to.deep.equal(['strict', 'yes', 'yes', 'yes']);
    expect(one('RestrictAddressFamilies')).to.equal('AF_INET AF_INET6 AF_UNIX');
  });

  it('madman-agentx.service: after snmpd, AgentX asked for, no capability', () => {
    const text = readFileSync(path.join(CONTRIB, 'madman-agentx.service'), 'utf8');
    const unit = unitSettings(text, 'Unit');
    expect(unit.get('After')![0]!.split(' ')).to.include('snmpd.service');
    const s = unitSettings(text, 'Service');
    expect(s.get('ExecStart')).to.deep.equal([`${EXEC} agent --config /etc/madman/madman.yml --agentx`]);
    expect([s.get('AmbientCapabilities'), s.get('CapabilityBoundingSet')]).to.deep.equal([[''], ['']]);
    // the rest as madman.service
    const main = unitSettings(readFileSync(path.join(CONTRIB, 'madman.service'), 'utf8'), 'Service');
    for (const k of ['Type', 'NotifyAccess', 'User', 'SupplementaryGroups', 'StateDirectory', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'NoNewPrivileges', 'RestrictAddressFamilies', 'Restart', 'RestartPreventExitStatus']) {
      expect(s.get(k), k).to.deep.equal(main.get(k));
    }
  });

  it('exit 2, which the units do not restart on, is what a wrong configuration gives (an unknown key, a port taken)', async () => {
    const cli = path.join(ROOT, 'dist/src/cli/main.js');
    writeFileSync(path.join(dir, 'typo.yml'), 'listen: [udp:127.0.0.1:0]\nsystem:\n  locaton: x\n');
    const typo = await run(process.execPath, [cli, 'agent', '--config', path.join(dir, 'typo.yml'), '--state-dir', path.join(dir, 'state')]);
    expect([typo.code, typo.stderr]).to.deep.equal([2, `madman: bad configuration: ${path.join(dir, 'typo.yml')}:3: system.locaton: unknown key\n`]);
    // the port held by another process (snmpd, say) for as long as this test needs it
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    try {
      const port = holder.address().port;
      writeFileSync(path.join(dir, 'taken.yml'), `stateDir: state\nlisten: ['udp:127.0.0.1:${port}']\n`);
      const taken = await run(process.execPath, [cli, 'agent', '--config', path.join(dir, 'taken.yml')]);
      expect(taken.code, taken.stderr).to.equal(2);
      expect(taken.stderr).to.match(new RegExp(`^madman: bad configuration: ${path.join(dir, 'taken.yml')}:2: listen\\[0\\]: `));
    } finally {
      holder.close();
    }
  });

  it('the privileges the units give are what the agent needs: CAP_NET_BIND_SERVICE alone binds a low port, none refuses it (exit 2)', async function () {
    this.timeout(120000);
    if (process.getuid?.() !== 0) this.skip();
    // setpriv does what systemd does with these settings: another user, the unit's capability
    // sets (ambient, inheritable, bounding), no new privileges
    const cli = path.join(ROOT, 'dist/src/cli/main.js');
    const asUnit = (name: string) => {
      const s = unitSettings(readFileSync(path.join(CONTRIB, name), 'utf8'), 'Service');
      const caps = (k: string) => (s.get(k)?.[0] ?? '').split(/\s+/).filter(Boolean).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`);
      expect(s.get('NoNewPrivileges')).to.deep.equal(['yes']);
      const ambient = caps('AmbientCapabilities');
      return [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        `--inh-caps=${['-all', ...ambient].join(',')}`,
        ...(ambient.length ? [`--ambient-caps=${ambient.join(',')}`] : []),
        `--bounding-set=${['-all', ...caps('CapabilityBoundingSet')].join(',')}`,
        '--no-new-privs',
      ];
    };
    // a state directory the other user may make its own in
    chmodSync(dir, 0o755);
    const state = path.join(dir, 'priv');
    mkdirSync(state);
    chmodSync(state, 0o777);
    const port = await freePrivilegedUdpPort();
    const listen = ['agent', '--demo', '--listen', `udp:127.0.0.1:${port}`];
    const agent = spawn('setpriv', [...asUnit('madman.service'), process.execPath, cli, ...listen, '--state-dir', path.join(state, 'a')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((r) => agent.once('exit', r));
    try {
      let out = '';
      agent.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      agent.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      for (const deadline = Date.now() + 60000; !out.includes('listening on'); await sleep(50)) if (Date.now() > deadline || agent.exitCode !== null) throw new Error(`not serving: ${out}`);
      const r = await snmp('snmpget', ['-On', `127.0.0.1:${port}`, '.1.3.6.1.2.1.1.4.0']);
      expect(r.stdout).to.equal('.1.3.6.1.2.1.1.4.0 = STRING: "postmaster@localhost"\n');
    } finally {
      agent.kill('SIGTERM');
      await exited;
    }
    // madman-agentx.service keeps no capability: a low port is refused, with the reason
    const refused = await run('setpriv', [...asUnit('madman-agentx.service'), process.execPath, cli, ...listen, '--state-dir', path.join(state, 'b')]);
    expect([refused.code, refused.stderr]).to.deep.equal([2, `madman: bad configuration: --listen: cannot bind udp:127.0.0.1:${port}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)\n`]);
  });

  it('systemd-sysusers makes the madman user and group from contrib/madman.sysusers.conf', async () => {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    const r = await run('systemd-sysusers', [`--root=${root}`, path.join(CONTRIB, 'madman.sysusers.conf')]);
    expect(r.code, r.stderr).to.equal(0);
    const passwd = readFileSync(path.join(root, 'etc/passwd'), 'utf8').trim().split(':');
    expect([passwd[0], passwd[4], passwd[5], passwd[6]]).to.deep.equal(['madman', 'madman SNMP agent for mail systems', '/var/lib/madman', '/usr/sbin/nologin']);
    expect(passwd[2]).to.equal(passwd[3]);
    expect(readFileSync(path.join(root, 'etc/group'), 'utf8')).to.equal(`madman:x:${passwd[3]}:\n`);
  });
});

/** Reads $NOTIFY_SOCKET datagrams as systemd does: with the sender's credentials; passed fds are closed. */
const RECEIVER = `
import json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    msg, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(64))
    pid, fds = None, 0
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(len(data) // 4):
                fds += 1
                os.close(struct.unpack("i", data[i * 4:i * 4 + 4])[0])
    print(json.dumps({"text": msg.decode(), "pid": pid, "fds": fds}), flush=True)
`;

interface Datagram {
  text: string;
  pid: number;
  fds: number;
}

describe('readiness through $NOTIFY_SOCKET (Type=notify)', function () {
  this.timeout(90000);
  let dir = '';
  let receiver: ChildProcess | undefined;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-notify-'));
  });
  after(() => {
    receiver?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('READY=1 once serving, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 at the end', async () => {
    const sock = path.join(dir, 'notify');
    receiver = spawn('/usr/bin/python3', ['-c', RECEIVER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    receiver.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const received = (): Datagram[] =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Datagram);
    const until = async (what: string, ok: () => boolean) => {
      for (const deadline = Date.now() + 60000; !ok(); await sleep(50)) if (Date.now() > deadline) throw new Error(`${what}: got ${out}`);
    };
    await until('receiver bound', () => out.startsWith('bound'));
    writeFileSync(path.join(dir, 'madman.yml'), 'listen: [udp:127.0.0.1:0]\ndemo: true\nstateDir: state\n');
    // As a service runs: unprivileged (as nobody when the tests run as root).
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    if (as.uid !== undefined) {
      chmodSync(dir, 0o777);
      chmodSync(sock, 0o666);
    }
    const agent = await startCliAgent(['agent', '--config', 'madman.yml'], dir, { env: { NOTIFY_SOCKET: sock }, ...as });
    try {
      const port = Number(/listening on udp4:127\.0\.0\.1:(\d+)/.exec(agent.stdout())![1]);
      const serving = `STATUS=serving on udp4:127.0.0.1:${port}`;
      await until('READY=1', () => received().length >= 2);
      // the agent answers by then: READY=1 follows the bind
      const r = await snmp('snmpget', ['-On', `127.0.0.1:${port}`, '.1.3.6.1.2.1.1.4.0']);
      expect(r.stdout).to.equal('.1.3.6.1.2.1.1.4.0 = STRING: "postmaster@localhost"\n');
      agent.child.kill('SIGHUP');
      await until('RELOADING=1 and READY=1', () => received().length >= 6);
      await agent.stop();
      await until('STOPPING=1', () => received().length >= 8);
      const got = received();
      // each state, then systemd-notify's barrier (a pipe fd the manager closes once it has read what came before)
      expect(got.map((d) => [d.text, d.fds])).to.deep.equal([
        [`READY=1\n${serving}`, 0],
        ['BARRIER=1', 1],
        ['RELOADING=1\nSTATUS=reloading the configuration', 0],
        ['BARRIER=1', 1],
        [`READY=1\n${serving}`, 0],
        ['BARRIER=1', 1],
        ['STOPPING=1\nSTATUS=stopping', 0],
        ['BARRIER=1', 1],
      ]);
      // Sent by systemd-notify, not by the agent's (main) process: an unprivileged systemd-notify
      // cannot claim its parent's PID, and the manager, which by default reads only the main
      // PID's messages, would drop them. Hence NotifyAccess=all in the units.
      expect(got.map((d) => typeof d.pid === 'number' && d.pid > 0 && d.pid !== agent.child.pid), JSON.stringify([agent.child.pid, got])).to.deep.equal(got.map(() => true));
      expect(agent.stdout()).to.contain('madman: configuration reloaded (nothing changed)\n');
    } finally {
      await agent.stop();
    }
  });
});
