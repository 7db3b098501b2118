// JournalFollower against a fake `journalctl` placed first on PATH (no journald
// runs where these tests run): the arguments it is given, the parsing of its
// JSON output (byte-array and multi-line messages, split writes, garbage),
// batches, restarts after it exits or is missing, a rejected cursor, and stop.
// Then, where systemd-journal-remote is installed (Debian package
// systemd-journal-remote), the real journalctl on a journal file it wrote.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {
  JournalFollower,
  journalctlArgs,
  parseJournalLine,
  type JournalEntry,
  type JournalFollowerOptions,
  type JournalPosition,
} from '../../src/sources/tail/journal.js';
import { JOURNAL_REMOTE, writeJournal } from '../helpers/journal-file.js';
import { Collector, delay, rmDir, tmpDir, waitFor } from './tail-support.js';

/** What one run of the fake prints: stdout pieces (with a pause between), then stderr and an exit code. */
interface FakeRun {
  stdout?: string[];
  pauseMs?: number;
  stderr?: string;
  /** exit with this code after the output; without it, follow (stay) until killed */
  exit?: number;
}

const FAKE = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.FAKE_JOURNAL_DIR;
if (!process.argv.includes('--follow')) {
  // the query for the journal's last entry (journal-end.ts): end.json's lines, not a run
  fs.appendFileSync(path.join(dir, 'end-calls.jsonl'), JSON.stringify(process.argv.slice(2)) + '\\n');
  const end = path.join(dir, 'end.json');
  process.stdout.end(fs.existsSync(end) ? fs.readFileSync(end, 'utf8') : '', () => process.exit(0));
  return;
}
const calls = path.join(dir, 'calls.jsonl');
const n = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').split('\\n').filter(Boolean).length : 0;
fs.appendFileSync(calls, JSON.stringify({ pid: process.pid, args: process.argv.slice(2) }) + '\\n');
const specFile = path.join(dir, 'run-' + n + '.json');
const spec = fs.existsSync(specFile) ? JSON.parse(fs.readFileSync(specFile, 'utf8')) : {};
(async () => {
  for (const piece of spec.stdout || []) {
    process.stdout.write(piece);
    await new Promise((r) => setTimeout(r, spec.pauseMs || 0));
  }
  if (spec.stderr) process.stderr.write(spec.stderr);
  if (spec.exit !== undefined) process.stdout.end(() => process.exit(spec.exit));
  else setInterval(() => {}, 1000);
})();
`;

const FIELDS = '--output-fields=MESSAGE,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_COMM,PRIORITY';
const BASE = ['--follow', '--output=json', '--all', '--quiet', '--no-pager', FIELDS];

function entry(cursor: string, fields: Record<string, unknown>, us = '1764435888123456'): string {
  return JSON.stringify({ __CURSOR: cursor, __REALTIME_TIMESTAMP: us, __MONOTONIC_TIMESTAMP: '1', ...fields }) + '\n';
}

describe('tail: JournalFollower (fake journalctl on PATH)', function () {
  let dir: string;
  let bin: string;
  let savedPath: string | undefined;
  const running: JournalFollower[] = [];

  beforeEach(() => {
    dir = tmpDir('madman-journal-');
    bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath ?? ''}`;
    process.env.FAKE_JOURNAL_DIR = dir;
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((f) => f.stop()));
    process.env.PATH = savedPath;
    delete process.env.FAKE_JOURNAL_DIR;
    rmDir(dir);
  });

  function installFake(): void {
    fs.writeFileSync(path.join(bin, 'journalctl'), FAKE, { mode: 0o755 });
  }
  function script(runs: FakeRun[]): void {
    runs.forEach((r, i) => fs.writeFileSync(path.join(dir, `run-${i}.json`), JSON.stringify(r)));
  }
  function calls(): { pid: number; args: string[] }[] {
    const f = path.join(dir, 'calls.jsonl');
    if (!fs.existsSync(f)) return [];
    return fs
      .readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { pid: number; args: string[] });
  }
  function follow(opts: Partial<JournalFollowerOptions> = {}): { f: JournalFollower; c: Collector<JournalEntry, JournalPosition> } {
    const c = new Collector<JournalEntry, JournalPosition>();
    const f = new JournalFollower({ restartMs: 10, maxRestartMs: 40, onBatch: c.onBatch, onStatus: c.onStatus, onError: c.onError, ...opts });
    running.push(f);
    f.start();
    return { f, c };
  }

  it('passes -f -o json, the matches and where to start', async () => {
    installFake();
    follow();
    follow({ units: ['postfix@-.service', 'postfix.service'], identifiers: ['postfix/smtpd'], fromStart: true });
    follow({ units: ['postfix@-.service'], fromStart: true, position: { cursor: 's=abc;i=42' }, extraArgs: ['--directory', '/j'] });
    await waitFor(() => calls().length === 3, 'three runs');
    const got = calls().map((c) => c.args);
    expect(got).to.have.deep.members([
      [...BASE, '--lines=0'],
      [...BASE, '--directory', '/j', '-u', 'postfix@-.service', '--after-cursor=s=abc;i=42', '--no-tail'],
      [...BASE, '-u', 'postfix@-.service', '-u', 'postfix.service', '--identifier=postfix/smtpd', '--no-tail'],
    ]);
    expect(journalctlArgs({}, undefined)).to.deep.equal([...BASE, '--lines=0']);
  });

  it('parses entries: byte-array and multi-line messages, pids, identifiers, split writes, garbage', async () => {
    installFake();
    const e5 = entry('c5', { MESSAGE: 'split across writes', SYSLOG_IDENTIFIER: 'postfix/qmgr', _PID: '77' });
    script([
      {
        pauseMs: 20,
        stdout: [
          entry('c1', { MESSAGE: 'connect from a[192.0.2.1]', SYSLOG_IDENTIFIER: 'postfix/smtpd', SYSLOG_PID: '1234', _PID: '1' }) +
            entry('c2', { MESSAGE: [0x6f, 0x6b, 0x20, 0xff, 0xfe, 0x21], SYSLOG_IDENTIFIER: 'postfix/local', _PID: '99' }) +
            entry('c3', { MESSAGE: 'line one\nline two', SYSLOG_IDENTIFIER: 'dovecot' }),
          entry('c4', { MESSAGE: 'no identifier', _COMM: 'master', _PID: '5' }) + '{this is not json\n' + e5.slice(0, 30),
          e5.slice(30) + entry('c6', { SYSLOG_IDENTIFIER: 'kernel' }),
        ],
      },
    ]);
    const { f, c } = follow({ fromStart: true });
    await waitFor(() => c.position?.cursor === 'c6', 'the last cursor', 5000, () => c.batches);
    const t = 1764435888123;
    expect(c.items).to.deep.equal([
      { time: t, identifier: 'postfix/smtpd', pid: 1234, message: 'connect from a[192.0.2.1]' },
      { time: t, identifier: 'postfix/local', pid: 99, message: 'ok \ufffd\ufffd!' },
      { time: t, identifier: 'dovecot', message: 'line one\nline two' },
      { time: t, identifier: 'master', pid: 5, message: 'no identifier' },
      { time: t, identifier: 'postfix/qmgr', pid: 77, message: 'split across writes' },
    ]);
    expect(f.stats()).to.deep.include({ entries: 5, invalid: 1, runs: 1 });
    expect(f.position()).to.deep.equal({ cursor: 'c6' });
    expect(c.statuses).to.deep.equal([{ ok: true }]);
  });

  it('delivers in batches of maxBatchLines and waits for the consumer', async () => {
    installFake();
    const all = Array.from({ length: 25 }, (_, i) => entry(`c${i}`, { MESSAGE: `m${i}`, SYSLOG_IDENTIFIER: 'x' })).join('');
    script([{ stdout: [all] }]);
    const { c } = follow({ fromStart: true, maxBatchLines: 10 });
    c.hook = () => delay(5);
    await waitFor(() => c.items.length === 25, '25 entries');
    expect(c.batches.map((b) => [b.items.length, b.position.cursor])).to.deep.equal([
      [10, 'c9'],
      [10, 'c19'],
      [5, 'c24'],
    ]);
    expect(c.maxInFlight).to.equal(1);
  });

  it('restarts journalctl after it exits, after the last delivered cursor, and reports why', async () => {
    installFake();
    script([
      { stdout: [entry('k1', { MESSAGE: 'one', SYSLOG_IDENTIFIER: 'p' }) + entry('k2', { MESSAGE: 'two', SYSLOG_IDENTIFIER: 'p' })], stderr: 'boom\n', exit: 1 },
      { stdout: [entry('k3', { MESSAGE: 'three', SYSLOG_IDENTIFIER: 'p' })] },
    ]);
    const { f, c } = follow({ units: ['postfix.service'] });
    await waitFor(() => c.items.length === 3, 'three entries', 5000, () => c.statuses);
    expect(c.items.map((e) => e.message)).to.deep.equal(['one', 'two', 'three']);
    expect(calls().map((x) => x.args.slice(BASE.length))).to.deep.equal([
      ['-u', 'postfix.service', '--lines=0'],
      ['-u', 'postfix.service', '--after-cursor=k2', '--no-tail'],
    ]);
    expect(c.statuses).to.deep.equal([{ ok: true }, { ok: false, reason: 'journalctl exited with code 1: boom' }, { ok: true }]);
    expect(f.position()).to.deep.equal({ cursor: 'k3' });
  });

  it('reports a missing journalctl once and starts it when it appears', async () => {
    process.env.PATH = bin; // nothing else: no journalctl anywhere
    const { c } = follow();
    await waitFor(() => c.statuses.length === 1, 'a status');
    expect(c.statuses[0]).to.deep.equal({ ok: false, reason: 'cannot run journalctl: spawn journalctl ENOENT' });
    await delay(100); // several retries, one report
    expect(c.statuses).to.have.length(1);
    script([{ stdout: [entry('z1', { MESSAGE: 'hello', SYSLOG_IDENTIFIER: 'p' })] }]);
    installFake();
    await waitFor(() => c.items.length === 1, 'the entry');
    expect(c.statuses.map((s) => s.ok)).to.deep.equal([false, true]);
  });

  it('drops a cursor journalctl rejects and starts as configured', async () => {
    installFake();
    script([{ stderr: 'Failed to seek to cursor: Invalid argument\n', exit: 1 }, {}]);
    const { f, c } = follow({ position: { cursor: 'garbage' } });
    await waitFor(() => calls().length === 2, 'the second run');
    expect(calls().map((x) => x.args.slice(BASE.length))).to.deep.equal([['--after-cursor=garbage', '--no-tail'], ['--lines=0']]);
    expect(c.statuses[0]).to.deep.equal({
      ok: false,
      reason: 'journalctl exited with code 1: Failed to seek to cursor: Invalid argument (cursor garbage dropped)',
    });
    expect(f.position()).to.equal(undefined);
  });

  it('kills journalctl on stop and makes no callback afterwards', async () => {
    installFake();
    script([{ stdout: [entry('s1', { MESSAGE: 'one', SYSLOG_IDENTIFIER: 'p' })] }]);
    const { f, c } = follow();
    await waitFor(() => c.items.length === 1, 'the entry');
    const pid = calls()[0]!.pid;
    await f.stop();
    expect(() => process.kill(pid, 0)).to.throw();
    const n = c.batches.length;
    await delay(50);
    expect(c.batches.length).to.equal(n);
    expect(calls()).to.have.length(1);
  });

  it('from the start: caught up once the entry last at start is delivered; progress by the entries\' times', async () => {
    installFake();
    const at = (i: number) => entry(`e${i}`, { MESSAGE: `m${i}`, SYSLOG_IDENTIFIER: 'x' }, String(1_764_000_000_000_000 + i * 60_000_000));
    // the journal's last entry at start is e3; e4 and e5 come after (following)
    fs.writeFileSync(path.join(dir, 'end.json'), at(3));
    script([{ pauseMs: 300, stdout: [at(1) + at(2), at(3), at(4), at(5)] }]);
    let caught: number | undefined;
    const before: Array<number | undefined> = [];
    const { f, c } = follow({ units: ['postfix.service'], extraArgs: ['--directory', '/j'], fromStart: true });
    c.hook = () => void before.push(caught);
    void f.caughtUp().then(() => (caught = c.items.length));
    await waitFor(() => c.items.length === 5, 'five entries', 10_000);
    // resolved right after the batch holding e3, not before
    const upTo = c.batches.findIndex((b) => b.position.cursor === 'e3' || b.items.some((e) => e.message === 'm3'));
    const through = c.batches.slice(0, upTo + 1).reduce((n, b) => n + b.items.length, 0);
    expect(caught).to.equal(through);
    expect(before.slice(0, upTo + 1)).to.deep.equal(Array(upTo + 1).fill(undefined));
    const t = (i: number) => 1_764_000_000_000 + i * 60_000;
    expect(f.progress()).to.deep.equal({ from: t(1), at: t(5), to: t(3) });
    const ends = fs.readFileSync(path.join(dir, 'end-calls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
    expect(ends).to.deep.equal([['--output=json', '--quiet', '--no-pager', '--lines=1', '--output-fields=SYSLOG_IDENTIFIER', '--directory', '/j', '-u', 'postfix.service']]);
  });

  it('caught up at once with an empty journal or new entries only; after a cursor, once journalctl is silent', async () => {
    installFake();
    // after a saved cursor the end is not asked (entries before the cursor never show): silence ends the backlog
    script([{ stdout: [entry('r1', { MESSAGE: 'one', SYSLOG_IDENTIFIER: 'p' })] }]);
    const resumed = follow({ position: { cursor: 'r0' } });
    await resumed.f.caughtUp();
    expect(resumed.c.items.map((e) => e.message)).to.deep.equal(['one']);
    expect(fs.existsSync(path.join(dir, 'end-calls.jsonl'))).to.equal(false);
    const empty = follow({ fromStart: true });
    await empty.f.caughtUp();
    expect(empty.c.items).to.deep.equal([]);
    expect(empty.f.progress()).to.deep.equal({});
    const fresh = follow();
    await fresh.f.caughtUp();
    expect(fs.readFileSync(path.join(dir, 'end-calls.jsonl'), 'utf8').trim().split('\n')).to.have.length(1);
  });

  it('parseJournalLine: several values, null (too large) and missing fields', () => {
    expect(parseJournalLine('{"__CURSOR":"a","MESSAGE":["first","second"],"SYSLOG_IDENTIFIER":[[112,49]]}')).to.deep.equal({
      cursor: 'a',
      entry: { time: 0, identifier: 'p1', message: 'first' },
    });
    expect(parseJournalLine('{"__CURSOR":"b","MESSAGE":null}')).to.deep.equal({ cursor: 'b' });
    expect(parseJournalLine('{"MESSAGE":"no cursor"}')).to.equal(undefined);
    expect(parseJournalLine('[1,2]')).to.equal(undefined);
    expect(parseJournalLine('{"__CURSOR":"c","MESSAGE":"m","_PID":"x1","__REALTIME_TIMESTAMP":"1999"}')).to.deep.equal({
      cursor: 'c',
      entry: { time: 1, identifier: '', message: 'm' },
    });
  });

});


describe('tail: JournalFollower with the real journalctl on a journal file', function () {
  let dir: string;
  const running: JournalFollower[] = [];

  before(function () {
    if (!fs.existsSync(JOURNAL_REMOTE)) this.skip(); // Debian package systemd-journal-remote
  });
  beforeEach(() => {
    dir = tmpDir('madman-journal-real-');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((f) => f.stop()));
    rmDir(dir);
  });

  it('follows a unit, decodes byte-array and multi-line messages, and resumes after the cursor', async () => {
    const file = path.join(dir, 'test.journal');
    const write = (entries: [number, Record<string, string | Buffer>][]) => writeJournal(file, entries);
    const unit = { _SYSTEMD_UNIT: 'postfix@-.service' };
    // Entries dated a minute ago: systemd refuses to append to a journal file whose last
    // entry is later than the wall clock, so fixed dates would break on an earlier date.
    const t0 = (Math.floor(Date.now() / 1000) - 60) * 1_000_000;
    write([
      [t0 + 123456, { MESSAGE: 'connect from a[192.0.2.1]', SYSLOG_IDENTIFIER: 'postfix/smtpd', SYSLOG_PID: '1234', _PID: '1234', ...unit }],
      [t0 + 223456, { MESSAGE: 'line one\nline two', SYSLOG_IDENTIFIER: 'postfix/cleanup', _PID: '55', ...unit }],
      [t0 + 323456, { MESSAGE: 'not postfix', SYSLOG_IDENTIFIER: 'cron', _PID: '7', _SYSTEMD_UNIT: 'cron.service' }],
    ]);
    const opts = { units: ['postfix@-.service'], extraArgs: ['--file', file], restartMs: 50 };
    const c = new Collector<JournalEntry, JournalPosition>();
    const f = new JournalFollower({ ...opts, fromStart: true, onBatch: c.onBatch, onStatus: c.onStatus });
    running.push(f);
    f.start();
    await waitFor(() => c.items.length === 2, 'the two postfix entries', 8000, () => c.statuses);
    write([[t0 + 1_000_000, { MESSAGE: Buffer.from([0x6f, 0x6b, 0x20, 0xff, 0x1b, 0x21]), SYSLOG_IDENTIFIER: 'postfix/local', _PID: '99', ...unit }]]);
    await waitFor(() => c.items.length === 3, 'the appended entry', 8000);
    expect(c.items).to.deep.equal([
      { time: t0 / 1000 + 123, identifier: 'postfix/smtpd', pid: 1234, message: 'connect from a[192.0.2.1]' },
      { time: t0 / 1000 + 223, identifier: 'postfix/cleanup', pid: 55, message: 'line one\nline two' },
      { time: t0 / 1000 + 1000, identifier: 'postfix/local', pid: 99, message: 'ok \ufffd\u001b!' },
    ]);
    await f.stop();

    write([[t0 + 2_000_000, { MESSAGE: 'after restart', SYSLOG_IDENTIFIER: 'postfix/qmgr', _PID: '3', ...unit }]]);
    const c2 = new Collector<JournalEntry, JournalPosition>();
    const g = new JournalFollower({ ...opts, position: f.position(), onBatch: c2.onBatch });
    running.push(g);
    g.start();
    await waitFor(() => c2.items.length === 1, 'the entry after the cursor', 8000);
    await delay(100);
    expect(c2.items.map((e) => e.message)).to.deep.equal(['after restart']);
  });

  it('reads a backlog to the entry that was last at start (the real journalctl --lines=1), then follows', async () => {
    const file = path.join(dir, 'backlog.journal');
    const write = (entries: [number, Record<string, string>][]) => writeJournal(file, entries);
    const t0 = (Math.floor(Date.now() / 1000) - 3600) * 1_000_000;
    const unit = { _SYSTEMD_UNIT: 'postfix@-.service', SYSLOG_IDENTIFIER: 'postfix/smtpd', _PID: '12' };
    write([
      ...Array.from({ length: 300 }, (_, i): [number, Record<string, string>] => [t0 + i * 1_000_000, { MESSAGE: `m${i}`, ...unit }]),
      // later, but not of the unit: not the end of this follower's backlog
      [t0 + 400_000_000, { MESSAGE: 'cron', SYSLOG_IDENTIFIER: 'cron', _PID: '7', _SYSTEMD_UNIT: 'cron.service' }],
    ]);
    const c = new Collector<JournalEntry, JournalPosition>();
    const f = new JournalFollower({ units: ['postfix@-.service'], extraArgs: ['--file', file], fromStart: true, maxBatchLines: 50, onBatch: c.onBatch });
    running.push(f);
    f.start();
    await f.caughtUp();
    expect(c.items).to.have.length(300);
    expect(f.progress()).to.deep.equal({ from: t0 / 1000, at: t0 / 1000 + 299_000, to: t0 / 1000 + 299_000 });
    write([[t0 + 500_000_000, { MESSAGE: 'new', ...unit }]]);
    await waitFor(() => c.items.length === 301, 'the entry written after', 8000);
    expect(c.items[300]!.message).to.equal('new');
  });
});
