// Paths and addresses the agent cannot use: a stateDir that is a file, under a dangling
// symlink or on /proc; listen entries that cannot be bound together, or at all; a YAML
// alias bomb. Each exits 2 naming the file, key and line, from --check-config and from
// a start alike. And logs that are FIFOs: reported failing, and SIGTERM still ends it.

import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIB_OPTS, ROOT, run, snmp } from '../helpers/harness.js';
import { freeUdpPort } from '../helpers/ports.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

describe('madman agent: unusable paths and addresses', function () {
  this.timeout(60000);
  let dir: string;
  let n = 0;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-unusable-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function config(lines: string[]): string {
    const f = path.join(dir, `config-${++n}.yaml`);
    writeFileSync(f, `${lines.join('\n')}\n`);
    return f;
  }

  /** --check-config, then a start with the same file: both exit 2 with `expected` on stderr. */
  async function refusedBoth(f: string, expected: string): Promise<void> {
    const check = await run('node', [CLI, 'agent', '--check-config', f]);
    expect([check.code, check.stderr]).to.deep.equal([2, `madman: bad configuration: ${expected}\n`]);
    const start = await run('node', [CLI, 'agent', '--config', f]);
    expect([start.code, start.stderr, start.stdout]).to.deep.equal([2, `madman: bad configuration: ${expected}\n`, '']);
  }

  it('stateDir that is a regular file, or under one', async () => {
    const plain = path.join(dir, 'plain-file');
    writeFileSync(plain, 'x');
    await refusedBoth(config(['listen: [udp:127.0.0.1:0]', `stateDir: ${plain}`]), `${path.join(dir, 'config-1.yaml')}:2: stateDir: ${plain} is a regular file`);
    const f = config(['demo: true', '', `stateDir: ${plain}/state`]);
    await refusedBoth(f, `${f}:3: stateDir: ${plain} (on the way to ${plain}/state) is a regular file`);
  });

  it('stateDir under a dangling symlink, relative to the config file', async () => {
    const link = path.join(dir, 'gone');
    symlinkSync(path.join(dir, 'nowhere'), link);
    const f = config(['stateDir: gone/state']);
    await refusedBoth(f, `${f}:1: stateDir: ${link} is a dangling symlink (to ${path.join(dir, 'nowhere')})`);
  });

  it('stateDir on /proc ends at once instead of spinning', async () => {
    const f = config(['listen:', '  - udp:127.0.0.1:0', 'stateDir: /proc/madman/state']);
    await refusedBoth(f, `${f}:3: stateDir: /proc is on proc, a kernel pseudo file system: state cannot be kept there`);
    const flag = await run('node', [CLI, 'agent', '--listen', 'udp:127.0.0.1:0', '--state-dir', '/proc/x']);
    expect([flag.code, flag.stderr]).to.deep.equal([2, 'madman: bad configuration: --state-dir: /proc is on proc, a kernel pseudo file system: state cannot be kept there\n']);
  });

  it('listen: the same address twice, or 0.0.0.0 beside 127.0.0.1 on one port; agentaddress counts too', async () => {
    const twice = config(['listen:', '  - udp:127.0.0.1:1161', '  - udp:127.0.0.2:1161', '  - udp:127.0.0.1:1161']);
    await refusedBoth(twice, `${twice}:4: listen[2]: udp:127.0.0.1:1161 is the same address and port as listen entry 0 (udp:127.0.0.1:1161)`);
    const wild = config(['listen:', '  - udp:0.0.0.0:1161', 'agentaddress: udp:127.0.0.1:1161']);
    await refusedBoth(wild, `${wild}:3: agentaddress: udp:127.0.0.1:1161 overlaps udp:0.0.0.0:1161: 0.0.0.0 already takes port 1161 on every IPv4 address`);
    const v6 = config(['listen: ["udp6:[::]:1161", "udp6:[0:0:0:0:0:0:0:1]:1161"]']);
    await refusedBoth(v6, `${v6}:1: listen[1]: udp6:[0:0:0:0:0:0:0:1]:1161 overlaps udp6:[::]:1161: :: already takes port 1161 on every IPv6 address`);
    const flag = await run('node', [CLI, 'agent', '--listen', 'udp:127.0.0.1:1161', '--listen', 'udp:0.0.0.0:1161']);
    expect([flag.code, flag.stderr]).to.deep.equal([2, 'madman: bad configuration: --listen: udp:0.0.0.0:1161 overlaps udp:127.0.0.1:1161: 0.0.0.0 already takes port 1161 on every IPv4 address\n']);
  });

  it('listen: udp6 [::] beside udp 0.0.0.0 on one port is fine (udp6 sockets are IPv6-only) and both serve', async () => {
    const port = await freeUdpPort();
    const state = path.join(dir, 'both-state');
    const f = config(['listen:', `  - udp:0.0.0.0:${port}`, `  - "udp6:[::]:${port}"`, `stateDir: ${state}`]);
    const check = await run('node', [CLI, 'agent', '--check-config', f]);
    expect([check.code, check.stdout]).to.deep.equal([0, `${f}: OK\n`]);
    const child = spawn('node', [CLI, 'agent', '--config', f], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await listening(child);
      const v4 = await snmp('snmpget', ['-On', `127.0.0.1:${port}`, '.1.3.6.1.2.1.1.6.0']);
      const v6 = await snmp('snmpget', ['-On', `udp6:[::1]:${port}`, '.1.3.6.1.2.1.1.6.0']);
      expect([v4.stdout, v6.stdout]).to.deep.equal(['.1.3.6.1.2.1.1.6.0 = STRING: "unknown"\n', '.1.3.6.1.2.1.1.6.0 = STRING: "unknown"\n']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('a listen address taken by another process: the start exits 2 with the key and line, as the check would', async () => {
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', r));
    const port = taken.address().port;
    try {
      const f = config(['stateDir: state-taken', 'listen:', '  - udp:127.0.0.1:0', `  - udp:127.0.0.1:${port}`]);
      const r = await run('node', [CLI, 'agent', '--config', f]);
      expect([r.code, r.stderr, r.stdout]).to.deep.equal([
        2,
        `madman: bad configuration: ${f}:4: listen[1]: cannot bind udp:127.0.0.1:${port}: address already in use (another listen entry or another process)\n`,
        '',
      ]);
      const flag = await run('node', [CLI, 'agent', '--listen', `udp:127.0.0.1:${port}`, '--state-dir', path.join(dir, 'state-flag')]);
      expect([flag.code, flag.stderr]).to.deep.equal([2, `madman: bad configuration: --listen: cannot bind udp:127.0.0.1:${port}: address already in use (another listen entry or another process)\n`]);
    } finally {
      taken.close();
    }
  });

  it('a YAML alias bomb is a config error at the alias that passes the limit, with key and line', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g'].entries()) {
      const prev = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    // under a key of ours, so that only the expansion (not an unknown key) can refuse it
    const f = config(['system:', '  contact: me', 'probes:', ...levels.map((l) => `  - ${l}`)]);
    // each level is ten of the one before: the eighth *d of e passes 100,000 values in total
    await refusedBoth(f, `${f}:8: probes[4].e[7]: alias *d makes the file expand to more than 100000 values (an alias bomb?)`);
  });

  it('logs that are FIFOs or a socket are failing rows with the reason; the agent answers, and SIGTERM ends it', async () => {
    const fifos = ['postfix.log', 'sun.log', 'dovecot.log'].map((name) => {
      const p = path.join(dir, name);
      execFileSync('mkfifo', [p]);
      return p;
    });
    const port = await freeUdpPort();
    const state = path.join(dir, 'fifo-state');
    mkdirSync(state);
    const f = config([
      `listen: [udp:127.0.0.1:${port}]`,
      `stateDir: ${state}`,
      'postfix:',
      `  log: ${fifos[0]}`,
      'sunMta:',
      `  log: ${fifos[1]}`,
      'dovecot:',
      `  log: ${fifos[2]}`,
      '  quotaInterval: 0',
      '  whoInterval: 0',
    ]);
    const child = spawn('node', [CLI, 'agent', '--config', f], { stdio: ['ignore', 'pipe', 'pipe'] });
    let exited = false;
    const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        exited = true;
        resolve({ code, signal });
      }),
    );
    try {
      await listening(child);
      const texts = async () => {
        const r = await snmp('snmpwalk', [...MIB_OPTS, '-Oqv', `127.0.0.1:${port}`, 'MADMAN-MIB::madmanSourceStatusText']);
        return r.stdout.trim().split('\n').map((l) => l.replace(/^"|"$/g, ''));
      };
      let got: string[] = [];
      for (let i = 0; i < 100; i++) {
        got = await texts();
        if (fifos.every((p) => got.includes(`${p}: a FIFO, not a regular file (only regular files can be followed)`))) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const p of fifos) expect(got).to.include(`${p}: a FIFO, not a regular file (only regular files can be followed)`);
      const status = await snmp('snmpwalk', [...MIB_OPTS, '-Oqv', `127.0.0.1:${port}`, 'MADMAN-MIB::madmanSourceStatus']);
      expect(status.stdout.trim().split('\n').filter((l) => l === 'failing')).to.have.length(fifos.length);
      const t0 = Date.now();
      child.kill('SIGTERM');
      const r = await Promise.race([exit, new Promise<undefined>((res) => setTimeout(res, 20000))]);
      expect(r, 'exit within 20 s of SIGTERM').to.deep.equal({ code: 0, signal: null });
      expect(Date.now() - t0).to.be.below(20000);
    } finally {
      if (!exited) child.kill('SIGKILL');
      await exit;
    }
  });
});

/** Waits for the agent's "listening" line on stdout (rejects if it exits first). */
function listening(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\nTry: ')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`agent exited ${code}: ${err}`)));
  });
}
