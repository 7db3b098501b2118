// The kit's LogSource on real files: it counts the lines read and not understood (a reader
// that throws included), keeps one madmanSourceTable row per log, and resumes exactly from
// its checkpoint, side logs included.

import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { LogSource, type LogReader } from '../../src/sources/kit/log-source.js';

/** Keeps every line it was given, by log; `bad` lines are not understood, `boom` throws. */
class Recorder implements LogReader<{ seen: string[] }> {
  seen: string[] = [];
  line(text: string, side?: string): boolean {
    if (text === 'boom') throw new Error('boom');
    this.seen.push(`${side ?? 'main'}:${text}`);
    return text !== 'bad';
  }
  state(): { seen: string[] } {
    return { seen: [...this.seen] };
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 20_000; !ok(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
  }
}

describe('kit: LogSource', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'madman-logsource-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function source(model: MailSystem, fromStart: boolean) {
    const main = path.join(dir, 'main.log');
    const panic = path.join(dir, 'panic.log');
    return new LogSource<{ seen: string[] }, Recorder>(model, silentLogger, {
      checkpoint: 'rec',
      input: 'rec log',
      log: { file: main },
      side: [{ key: 'panic', input: 'rec paniclog', file: panic }],
      stateDir: path.join(dir, 'state'),
      fromStart,
      isState: (v) => Array.isArray(v.seen),
      reader: (saved) => Object.assign(new Recorder(), saved && { seen: saved.seen }),
      owns: () => false,
    });
  }

  it('counts lines per log, the ones not understood (and a throwing line with the rest of its batch), and resumes both logs exactly', async () => {
    writeFileSync(path.join(dir, 'main.log'), 'a\nbad\nb\n');
    writeFileSync(path.join(dir, 'panic.log'), 'p1\n');
    const model = new MailSystem();
    const first = source(model, true);
    await first.follow();
    const rows = () => [...model.inputs.values()].map((i) => [i.name, i.lines, i.unparsed]);
    await until('3 + 1 lines', () => first.lines === 3 && model.inputs.size === 2 && [...model.inputs.values()][1]!.lines === 1);
    expect(rows()).to.deep.equal([['rec log', 3, 1], ['rec paniclog', 1, 0]]);
    await first.stop();
    const cp = JSON.parse(readFileSync(path.join(dir, 'state/rec.json'), 'utf8')) as Record<string, unknown>;
    expect([cp.lines, cp.unparsed, (cp.side as Record<string, { lines: number }>).panic.lines]).to.deep.equal([3, 1, 1]);

    // written while stopped: read once each after the restart, from where the checkpoint was
    appendFileSync(path.join(dir, 'main.log'), 'c\n');
    appendFileSync(path.join(dir, 'panic.log'), 'p2\nboom\np3\n');
    const again = new MailSystem();
    const second = source(again, true);
    const reader = second.open();
    expect(second.resumed).to.equal(true);
    await second.follow();
    await until('4 + 4 lines', () => second.lines === 4 && [...again.inputs.values()][1]!.lines === 4);
    await second.stop();
    // each line once (the two logs are read side by side: their lines interleave in any order)
    expect([...reader.seen].sort()).to.deep.equal(['main:a', 'main:b', 'main:bad', 'main:c', 'panic:p1', 'panic:p2']);
    // `boom` threw: it and `p3` after it in the same batch count as not understood
    expect([...again.inputs.values()].map((i) => [i.name, i.lines, i.unparsed])).to.deep.equal([['rec log', 4, 1], ['rec paniclog', 4, 2]]);
  });

  it('backfills past a rotated file that is gone, a line the reader throws on and a giant line, and goes on following', async () => {
    const rotated = path.join(dir, 'main.log.1');
    writeFileSync(rotated, `a\nboom\nb\n${'x'.repeat(100_000)}\nlast without LF`);
    writeFileSync(path.join(dir, 'main.log'), 'm\n');
    const model = new MailSystem();
    const src = new LogSource<{ seen: string[] }, Recorder>(model, silentLogger, {
      checkpoint: 'rec',
      input: 'rec log',
      log: { file: path.join(dir, 'main.log') },
      stateDir: path.join(dir, 'state'),
      fromStart: true,
      isState: (v) => Array.isArray(v.seen),
      reader: () => new Recorder(),
      owns: () => false,
      // the first was deleted between listing and reading (or cannot be read)
      backfill: async () => [path.join(dir, 'main.log.2'), rotated],
    });
    const reader = src.open();
    await src.follow();
    await until('the main log after the rotated one', () => src.lines === 6);
    await src.stop();
    // the giant line cut as the follower cuts it (64 KiB), the rest in order
    expect(reader.seen.map((l) => (l.length > 100 ? `${l.slice(0, 6)}...(${l.length})` : l))).to.deep.equal([
      'main:a',
      'main:b',
      `main:x...(${5 + 64 * 1024})`,
      'main:last without LF',
      'main:m',
    ]);
    expect([...model.inputs.values()].map((i) => [i.name, i.lines, i.unparsed])).to.deep.equal([['rec log', 6, 1]]);
  });

  it('reads the side logs once the main log has been read to its end: one order whatever the timing', async () => {
    writeFileSync(path.join(dir, 'main.log'), `${Array.from({ length: 2000 }, (_, i) => `m${i}`).join('\n')}\n`);
    writeFileSync(path.join(dir, 'panic.log'), 'p1\np2\n');
    const model = new MailSystem();
    const s = source(model, true);
    const reader = s.open();
    await s.follow();
    await until('2000 + 2 lines', () => reader.seen.length === 2002);
    await s.stop();
    expect(reader.seen.slice(1998)).to.deep.equal(['main:m1998', 'main:m1999', 'panic:p1', 'panic:p2']);
  });

  it('reads the side logs meanwhile when the main log is unreadable', async () => {
    writeFileSync(path.join(dir, 'panic.log'), 'p1\n');
    const model = new MailSystem();
    const s = source(model, true);
    const reader = s.open();
    await s.follow();
    await until('the paniclog', () => reader.seen.length === 1);
    expect([...model.inputs.values()].map((i) => [i.name, i.ok, i.lines])).to.deep.equal([['rec log', false, 0], ['rec paniclog', true, 1]]);
    await s.stop();
  });

  it('a checkpoint taken before a side log was opened keeps where that log starts: --from-start reads it whole on the next run', async () => {
    writeFileSync(path.join(dir, 'main.log'), 'a\nb\n');
    writeFileSync(path.join(dir, 'panic.log'), 'p1\n');
    const first = source(new MailSystem(), true);
    first.open();
    await first.follow();
    // stopped before the main log was read to its end: the side log never opened
    await first.stop();
    const cp = JSON.parse(readFileSync(path.join(dir, 'state/rec.json'), 'utf8')) as { side: Record<string, unknown> };
    expect(cp.side.panic).to.deep.equal({ lines: 0, unparsed: 0, fromStart: true });
    // the next run is not --from-start: the paniclog is still read from its beginning, the main log from the checkpoint
    const again = new MailSystem();
    const second = source(again, false);
    const reader = second.open();
    await second.follow();
    await until('the paniclog', () => reader.seen.includes('panic:p1'));
    await until('the main log', () => second.lines === 2);
    await second.stop();
    expect([...reader.seen].sort()).to.deep.equal(['main:a', 'main:b', 'panic:p1']);
  });
});
