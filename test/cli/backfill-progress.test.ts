// `madman agent --from-start` reading a 10 MB real Postfix log: on a terminal (a real
// pseudo-terminal from util-linux `script`) a progress bar with bytes, lines, rate and
// time left, then one summary line; with stderr not a terminal, exactly two log lines,
// at start (the size) and once caught up (lines and bytes). Then the same backlog as
// entries of a journal file read by the real journalctl (`--postfix-journal`): the bar
// and the two lines measure it by the entries' times, from the first to the last.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT } from '../helpers/harness.js';
import { JOURNAL_REMOTE, writeJournal, type ExportEntry } from '../helpers/journal-file.js';
import { until } from '../helpers/probe-support.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const COPIES = 1600;

/**
 * What a terminal shows of `out`: the bar's redraws and the summary lines. (The
 * pseudo-terminal carries stdout and stderr together; the bar redraws with \r and ANSI codes.)
 */
function terminal(out: string): { bars: string[]; summary: string[] } {
  const lines = out
    .replace(/\x1b\[1G/g, '\n')
    .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '')
    .split(/[\r\n]+/);
  return { bars: lines.filter((l) => l.startsWith('postfix log [')), summary: lines.filter((l) => l.startsWith('postfix log: read')) };
}

/** The agent's JSON log lines (stderr, not a terminal) about the Postfix log's backfill. */
function backfillNotices<T>(err: string): Array<T & { level: number; msg: string }> {
  return err
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T & { level: number; msg: string })
    .filter((l) => l.msg.startsWith('postfix log:'));
}

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
  function agent(stateDir: string, tty: boolean, source = ['--postfix-log', log], env: NodeJS.ProcessEnv = process.env): { out: () => string; err: () => string; stop: () => Promise<void> } {
    const args = [CLI, 'agent', '--listen', 'udp:127.0.0.1:0', '--state-dir', stateDir, ...source, '--from-start'];
    // script -q (no banner) -f (flush) -e (child's exit code) -c CMD: CMD on a new pseudo-terminal
    const child = tty
      ? spawn('script', ['-qfec', ['node', ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, TERM: 'xterm', COLUMNS: '160' } })
      : spawn('node', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
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
    const { bars, summary } = terminal(a.out());
    const size = statSync(log).size;
    for (const b of bars) expect(b, JSON.stringify(b)).to.match(/^postfix log \[[=-]{24}\] \d{1,3}% \| [\d.]+ [KM]?B of 10\.2 MB \| [\d,]+ lines \| [\d,]+ lines\/s \| (\?|\d+ s|\d+ min \d+ s) left$/);
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
    const notices = backfillNotices<{ input: string; bytes: number; lines?: number }>(a.err());
    expect(notices.map((n) => [n.level, n.msg.replace(/in [\d.]+ s, [\d,]+ lines\/s/, 'in T s, R lines/s'), n.input, n.bytes, n.lines])).to.deep.equal([
      [30, 'postfix log: reading from the start (10.2 MB)', log, 10_163_200, undefined],
      [30, `postfix log: read ${(COPIES * lines).toLocaleString('en-US')} lines (10.2 MB) in T s, R lines/s; following ${log}`, log, 10_163_200, COPIES * lines],
    ]);
    expect(a.out()).to.match(/^madman agent listening on udp4:127\.0\.0\.1:\d+\n/);
  });

  describe('from the journal (--postfix-journal, the real journalctl on a journal file)', () => {
    const UNIT = 'postfix@-.service';
    const ENTRIES = 400 * 49;
    let env: NodeJS.ProcessEnv;
    let first: number;
    let last: number;
    /** 2026-12-08 00:43:45Z, as the report writes times */
    const stamp = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;

    before(function () {
      if (!existsSync(JOURNAL_REMOTE)) this.skip(); // Debian package systemd-journal-remote
      const file = path.join(dir, 'postfix.journal');
      // the real log's lines as journald stores them (identifier, pid, message), one a second, a day ago
      const syslog = readFileSync(path.join(ROOT, 'test/fixtures/postfix/real-3.7.log'), 'utf8').trimEnd().split('\n');
      const t0 = (Math.floor(Date.now() / 1000) - 86_400) * 1_000_000;
      const entries: ExportEntry[] = [];
      for (let i = 0; i < ENTRIES; i++) {
        const m = /^\w{3} +\d+ [\d:]+ \S+ ([^[:]+)\[(\d+)\]: (.*)$/.exec(syslog[i % syslog.length]!)!;
        entries.push([t0 + i * 1_000_000, { MESSAGE: m[3]!, SYSLOG_IDENTIFIER: m[1]!, SYSLOG_PID: m[2]!, _PID: m[2]!, _SYSTEMD_UNIT: UNIT }]);
      }
      writeJournal(file, entries);
      first = t0 / 1000;
      last = first + (ENTRIES - 1) * 1000;
      // the agent runs journalctl from PATH: this one reads the test's journal file
      const bin = path.join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(path.join(bin, 'journalctl'), `#!/bin/sh\nexec /usr/bin/journalctl --file '${file}' "$@"\n`, { mode: 0o755 });
      env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    });

    it('on a terminal: a bar by the entries\' times, then one summary line', async () => {
      const a = agent(path.join(dir, 'state-journal-tty'), true, ['--postfix-journal', UNIT], env);
      await until('the summary line', () => /following /.test(a.out()), 120_000);
      await a.stop();
      const { bars, summary } = terminal(a.out());
      const time = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ';
      for (const b of bars) expect(b, JSON.stringify(b)).to.match(new RegExp(`^postfix log \\[[=-]{24}\\] \\d{1,3}% \\| (-|${time}) of (\\?|${stamp(last)}) \\| [\\d,]+ entries \\| [\\d,]+ entries/s \\| (\\?|\\d+ s|\\d+ min \\d+ s) left$`));
      expect(summary).to.have.length(1);
      expect(summary[0]).to.match(new RegExp(`^postfix log: read ${ENTRIES.toLocaleString('en-US')} entries \\(${stamp(first)} to ${stamp(last)}\\) in \\d+\\.\\d s, [\\d,]+ entries/s; following journal postfix@-\\.service$`));
      if (!/ in 0\.[0-1] s/.test(summary[0]!)) expect(bars.length).to.be.greaterThan(0);
    });

    it('not on a terminal: one log line when reading starts, one when following starts', async () => {
      const a = agent(path.join(dir, 'state-journal-pipe'), false, ['--postfix-journal', UNIT], env);
      await until('the second backfill line', () => a.err().includes('following'), 120_000);
      await a.stop();
      const notices = backfillNotices<{ input: string; lines?: number; from?: string; to?: string }>(a.err());
      expect(notices.map((n) => [n.level, n.msg.replace(/in [\d.]+ s, [\d,]+ entries\/s/, 'in T s, R entries/s'), n.input, n.lines, n.from, n.to])).to.deep.equal([
        [30, 'postfix log: reading journal postfix@-.service from the start', 'journal postfix@-.service', undefined, undefined, undefined],
        [30, `postfix log: read ${ENTRIES.toLocaleString('en-US')} entries (${stamp(first)} to ${stamp(last)}) in T s, R entries/s; following journal postfix@-.service`, 'journal postfix@-.service', ENTRIES, new Date(first).toISOString(), new Date(last).toISOString()],
      ]);
    });
  });
});
