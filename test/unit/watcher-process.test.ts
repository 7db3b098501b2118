// The watcher on processes in parts: a pidfile's process (a real child process, killed), a
// systemd unit through `systemctl is-active` (a stand-in systemctl: this machine does not run
// systemd), and the watcher's rule: a dead process restarted at once, the same give-up rule
// as failed checks, the old pidfile of a daemon still starting not taken for a new death, and
// each action an event.

import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../src/log.js';
import type { WatcherEvent } from '../../src/model/checks.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { addService } from '../../src/sources/probes/source.js';
import { pidfileState, unitState } from '../../src/sources/probes/process.js';
import { START_GRACE_MS, Watcher, type CommandRunner } from '../../src/sources/probes/watcher.js';
import { spec } from '../helpers/probe-support.js';

describe('watcher on processes', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-watch-proc-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a pidfile: its process alive, then gone once killed; no file, and a file without a pid', async () => {
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    const pidfile = path.join(dir, 'sleep.pid');
    writeFileSync(pidfile, `${child.pid}\n`);
    expect(await pidfileState(pidfile)).to.deep.equal({ alive: true, detail: `pid ${child.pid}`, pid: child.pid });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(await pidfileState(pidfile)).to.deep.equal({ alive: false, detail: `process ${child.pid} (from ${pidfile}) is gone`, pid: child.pid });
    expect(await pidfileState(path.join(dir, 'none.pid'))).to.deep.equal({ alive: false, detail: `pidfile ${path.join(dir, 'none.pid')} is gone` });
    writeFileSync(path.join(dir, 'empty.pid'), '');
    expect((await pidfileState(path.join(dir, 'empty.pid'))).alive).to.equal(undefined);
  });

  it('a unit: systemctl is-active decides; without systemd nothing is known', async () => {
    const systemctl = path.join(dir, 'systemctl');
    const stand = (state: string, code: number) => {
      writeFileSync(systemctl, `#!/bin/sh\n[ "$1" = is-active ] && [ "$2" = postfix.service ] || exit 9\necho ${state}\nexit ${code}\n`);
      chmodSync(systemctl, 0o755);
    };
    const booted = () => true;
    stand('active', 0);
    expect(await unitState('postfix.service', systemctl, booted)).to.deep.equal({ alive: true, detail: 'postfix.service active' });
    stand('activating', 3);
    expect((await unitState('postfix.service', systemctl, booted)).alive).to.equal(true);
    stand('failed', 3);
    expect(await unitState('postfix.service', systemctl, booted)).to.deep.equal({ alive: false, detail: 'unit postfix.service is failed' });
    stand('inactive', 3);
    expect((await unitState('postfix.service', systemctl, booted)).alive).to.equal(false);
    expect(await unitState('postfix.service', systemctl, () => false)).to.deep.equal({ alive: undefined, detail: 'systemd is not running here: cannot watch postfix.service' });
    expect((await unitState('postfix.service', path.join(dir, 'no-systemctl'), booted)).alive).to.equal(undefined);
  });

  it('a dead process is restarted at once; a third death within the window suspends; each is an event', async () => {
    let now = 1_000_000;
    const ran: string[] = [];
    const runner: CommandRunner = async (c) => {
      ran.push(c);
      return { code: 0, output: '' };
    };
    const events: WatcherEvent[] = [];
    const restart = { command: 'start it', afterFailures: 3, windowSeconds: 600, pidfile: '/run/x.pid' };
    const w = new Watcher(restart, silentLogger, runner, () => now, (e) => events.push(e));
    const { check } = addService(new MailSystem(), spec({ protocol: 'imap', port: 143, restart }));
    w.processAlive(100);
    await w.processDied(check, 'process 100 (from /run/x.pid) is gone', 100);
    expect([ran.length, check.restarts, check.watcher, check.restartReason]).to.deep.equal([1, 1, 'watching', 'process 100 (from /run/x.pid) is gone']);
    // the new daemon has not written its pidfile yet: the old pid, or no file, is not a new death
    now += 1000;
    await w.processDied(check, 'process 100 (from /run/x.pid) is gone', 100);
    await w.processDied(check, 'pidfile /run/x.pid is gone', undefined);
    expect(ran.length).to.equal(1);
    // the process the restart started dies: at once
    w.processAlive(200);
    await w.processDied(check, 'process 200 (from /run/x.pid) is gone', 200);
    expect(ran.length).to.equal(2);
    // the third within 600 s: suspended, not run
    now += 1000;
    await w.processDied(check, 'process 300 (from /run/x.pid) is gone', 300);
    expect([ran.length, check.restarts, check.watcher]).to.deep.equal([2, 2, 'suspended']);
    expect(events.map((e) => [e.action, e.reason, e.at])).to.deep.equal([
      ['restarted', 'process 100 (from /run/x.pid) is gone', 1_000_000],
      ['restarted', 'process 200 (from /run/x.pid) is gone', 1_001_000],
      ['suspended', 'process 300 (from /run/x.pid) is gone', 1_002_000],
    ]);
    // a check that succeeds resumes it; the same old pid after the grace is a death again
    await w.observe(check, false);
    now += START_GRACE_MS + 600_000;
    await w.processDied(check, 'process 200 (from /run/x.pid) is gone', 200);
    expect([ran.length, check.watcher]).to.deep.equal([3, 'watching']);
  });

  it('failed checks and a dead process share the window; one restart at a time', async () => {
    let now = 5_000_000;
    let release!: () => void;
    const ran: string[] = [];
    const runner: CommandRunner = (c) => {
      ran.push(c);
      return new Promise((r) => (release = () => r({ code: 0, output: '' })));
    };
    const restart = { command: 'start it', afterFailures: 1, windowSeconds: 600, pidfile: '/run/y.pid' };
    const w = new Watcher(restart, silentLogger, runner, () => now);
    const { check } = addService(new MailSystem(), spec({ protocol: 'smtp', port: 25, restart }));
    check.consecutiveFailures = 1;
    check.reason = 'connect: connect ECONNREFUSED 127.0.0.1:25';
    const first = w.observe(check, true);
    // the process look finds it dead while the command runs: not a second command
    await w.processDied(check, 'process 7 (from /run/y.pid) is gone', 7);
    expect(ran.length).to.equal(1);
    release();
    await first;
    expect(check.restartReason).to.equal('1 failed check: connect: connect ECONNREFUSED 127.0.0.1:25');
    now += 60_000;
    const second = w.processDied(check, 'process 8 (from /run/y.pid) is gone', 8);
    release();
    await second;
    now += 60_000;
    await w.observe(check, true);
    expect([ran.length, check.restarts, check.watcher]).to.deep.equal([2, 2, 'suspended']);
  });
});
