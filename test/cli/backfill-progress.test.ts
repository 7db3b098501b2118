// `madman agent --from-start` reading a 10 MB real Postfix log: on a terminal (a real
// pseudo-terminal from util-linux `script`) a progress bar with bytes, lines, rate and
// time left, then one summary line; with stderr not a terminal, exactly two log lines,
// at start (the size) and once caught up (lines and bytes).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT } from '../helpers/harness.js';
import { until } from '../helpers/probe-support.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const COPIES = 1600;

describe('--from-start backfill progress (CLI)', function () {
  this.timeout(180_000);
  let dir: string;
  let log: string;
  let lines: number;
  const children: ChildProcess[] = [];

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-backfill-'));
    log = path.join(dir, 'mail.log');
    const one = readFileSync(path.join(ROOT, 'test/fixtures/postfix/real-3.7.log'), 'utf8');
    writeFileSync(log, one.repeat(COPIES));
    lines = one.split('\n').length - 1;
  });
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the agent (through `script` when `tty`), collecting its output until it is stopped. */
  function agent(stateDir: string, tty: boolean): { out: () => string; err: () => string; stop: () => Promise<void> } {
    const args = [CLI, 'agent', '--listen', 'udp:127.0.0.1:0', '--state-dir', stateDir, '--postfix-log', log, '--from-start'];
    // script -q (no banner) -f (flush) -e (child's exit code) -c CMD: CMD on a new pseudo-terminal
    const child = tty
      ? spawn('script', ['-qfec', ['node', ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm', COLUMNS: '160' } })
      : spawn('node', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    return {
      out: () => out,
      err: () => err,
      stop: async () => {
        child.kill('SIGTERM');
        await exited;
      },
    };
  }

  it('on a terminal: a bar with bytes, lines, rate and time left, then one summary line', async () => {
    const a = agent(path.join(dir, 'state-tty'), true);
    await until('the summary line', () => /following /.test(a.out()), 120_000);
    await a.stop();
    // the pseudo-terminal carries stdout and stderr together; the bar redraws with \r and ANSI codes
    const screen = a
      .out()
      .replace(/\x1b\[1G/g, '\n')
      .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');
    const bars = screen.split(/[\r\n]+/).filter((l) => l.startsWith('postfix log ['));
    const size = statSync(log).size;
    for (const b of bars) expect(b, JSON.stringify(b)).to.match(/^postfix log \[[=-]{24}\] \d{1,3}% \| [\d.]+ [KM]?B of 10\.2 MB \| [\d,]+ lines \| [\d,]+ lines\/s \| (\?|\d+ s|\d+ min \d+ s) left$/);
    const summary = screen.split(/[\r\n]+/).filter((l) => l.startsWith('postfix log: read'));
    expect(summary).to.have.length(1);
    expect(summary[0]).to.match(new RegExp(`^postfix log: read ${(COPIES * lines).toLocaleString('en-US')} lines \\(10\\.2 MB\\) in \\d+\\.\\d s, [\\d,]+ lines/s; following ${log.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));
    expect(size).to.equal(10_163_200);
    // a backfill this size takes more than a tick almost anywhere; when it does, the bar was drawn
    if (!/ in 0\.[0-1] s/.test(summary[0]!)) expect(bars.length).to.be.greaterThan(0);
  });

  it('not on a terminal: one log line when reading starts, one when following starts', async () => {
    const a = agent(path.join(dir, 'state-pipe'), false);
    await until('the second backfill line', () => a.err().includes('following'), 120_000);
    await a.stop();
    const notices = a
      .err()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string; input: string; bytes: number; lines?: number })
      .filter((l) => l.msg.startsWith('postfix log:'));
    expect(notices.map((n) => [n.level, n.msg.replace(/in [\d.]+ s, [\d,]+ lines\/s/, 'in T s, R lines/s'), n.input, n.bytes, n.lines])).to.deep.equal([
      [30, 'postfix log: reading from the start (10.2 MB)', log, 10_163_200, undefined],
      [30, `postfix log: read ${(COPIES * lines).toLocaleString('en-US')} lines (10.2 MB) in T s, R lines/s; following ${log}`, log, 10_163_200, COPIES * lines],
    ]);
    expect(a.out()).to.match(/^madman agent listening on udp4:127\.0\.0\.1:\d+\n/);
  });
});
