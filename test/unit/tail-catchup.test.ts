// FileFollower resuming from a saved position after the log was rotated more
// than once while madman was down: the rest of the saved file, then every later
// rotated file oldest first, then the live file, each line exactly once; a
// restart in the middle of that catch-up; compressed and unrelated files.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { FileFollower, type FileFollowerOptions, type FilePosition } from '../../src/sources/tail/file-follower.js';
import { Collector, delay, rmDir, tmpDir, waitFor } from './tail-support.js';

const POLL = 5;
const DAY = 86_400;

describe('tail: FileFollower catching up on several rotations after a restart', function () {
  let dir: string;
  let file: string;
  const running: FileFollower[] = [];

  beforeEach(() => {
    dir = tmpDir();
    file = path.join(dir, 'mail.log');
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((f) => f.stop()));
    rmDir(dir);
  });

  function follow(opts: Partial<FileFollowerOptions>): { f: FileFollower; c: Collector<string, FilePosition> } {
    const c = new Collector<string, FilePosition>();
    const f = new FileFollower(file, { pollMs: POLL, onBatch: c.onBatch, onStatus: c.onStatus, onError: c.onError, ...opts });
    running.push(f);
    f.start();
    return { f, c };
  }

  /** Runs a follower until `n` lines arrived, then a little longer (late extras would show), and stops it. */
  async function session(n: number, opts: Partial<FileFollowerOptions>) {
    const { f, c } = follow(opts);
    await waitFor(() => c.items.length >= n && c.batches.length > 0, `${n} lines`, 3000, () => c.items);
    await delay(POLL * 10);
    await f.stop();
    expect(c.errors).to.deep.equal([]);
    expect(c.statuses).to.deep.equal([{ ok: true }]);
    return { lines: c.items, batches: c.batches, position: c.position!, stats: f.stats() };
  }

  /** Runs a follower until it delivered `line`, stopping it right there (nothing after that batch). */
  async function sessionUntil(line: string, opts: Partial<FileFollowerOptions>) {
    const { f, c } = follow(opts);
    c.hook = (b) => {
      if (b.items.includes(line)) void f.stop();
    };
    await waitFor(() => c.items.includes(line), line, 3000, () => c.items);
    await f.stop();
    return { lines: c.items, position: c.position! };
  }

  const append = (s: string, p = file) => fs.appendFileSync(p, s);
  const at = (p: string) => path.join(dir, p);
  const ino = (p: string) => fs.statSync(p).ino;
  /** Sets a file's mtime to `days` days ago. */
  const age = (p: string, days: number) => {
    const t = Date.now() / 1000 - days * DAY;
    fs.utimesSync(p, t, t);
  };
  /** logrotate's numbered scheme: file.N → file.N+1, ..., file → file.1, a new empty file. */
  const rotate = () => {
    const n = fs.readdirSync(dir).filter((x) => /^mail\.log\.\d+$/.test(x)).length;
    for (let k = n; k >= 1; k--) fs.renameSync(`${file}.${k}`, `${file}.${k + 1}`);
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, '');
  };

  /** A first session that read a1 and a2, then (while down) a3, and two numbered rotations. */
  async function downAcrossTwoRotations(): Promise<FilePosition> {
    fs.writeFileSync(file, 'a1\na2\n');
    const first = await session(2, { fromStart: true });
    append('a3\n');
    rotate();
    append('b1\nb2\nb3\n');
    rotate();
    append('c1\n');
    age(`${file}.2`, 2);
    age(`${file}.1`, 1);
    return first.position;
  }

  it('down across two numbered rotations: the rest of .2, then .1, then the live file', async () => {
    const saved = await downAcrossTwoRotations();
    fs.writeFileSync(`${file}.3`, 'z1\n'); // a rotation from before the saved file
    age(`${file}.3`, 3);
    const second = await session(5, { position: saved });
    expect(second.lines).to.deep.equal(['a3', 'b1', 'b2', 'b3', 'c1']);
    expect(second.batches.find((b) => b.items.includes('a3'))!.position).to.include({ ino: ino(`${file}.2`), offset: 9 });
    expect(second.batches.find((b) => b.items.includes('b3'))!.position).to.include({ ino: ino(`${file}.1`), offset: 9 });
    expect(second.position).to.include({ ino: ino(file), offset: 3 });
    expect(second.stats.rotations).to.equal(2);
  });

  it('the same with dated names, whose order on equal mtimes is that of the names', async () => {
    fs.writeFileSync(file, 'a1\n');
    const first = await session(1, { fromStart: true });
    append('a2\n');
    fs.renameSync(file, at('mail.log-20261128'));
    fs.writeFileSync(file, 'b1\nb2\n');
    fs.renameSync(file, at('mail.log-20261129'));
    fs.writeFileSync(file, 'c1\n');
    fs.writeFileSync(at('mail.log-20261127'), 'z1\n');
    age(at('mail.log-20261127'), 3);
    const t = Date.now() / 1000 - 2 * DAY; // the same mtime for both
    for (const d of ['mail.log-20261128', 'mail.log-20261129']) fs.utimesSync(at(d), t, t);
    const second = await session(4, { position: first.position });
    expect(second.lines).to.deep.equal(['a2', 'b1', 'b2', 'c1']);
  });

  it('a restart in the middle of the catch-up (position inside .1) delivers everything exactly once', async () => {
    const saved = await downAcrossTwoRotations();
    const second = await sessionUntil('b1', { position: saved, maxBatchLines: 1 });
    expect(second.lines).to.deep.equal(['a3', 'b1']);
    expect(second.position).to.include({ ino: ino(`${file}.1`), offset: 3 });
    const third = await session(3, { position: second.position });
    expect(third.lines).to.deep.equal(['b2', 'b3', 'c1']);
  });

  it('… and when the log was rotated once more before that restart', async () => {
    const saved = await downAcrossTwoRotations();
    const second = await sessionUntil('b1', { position: saved, maxBatchLines: 1 });
    expect(second.lines).to.deep.equal(['a3', 'b1']);
    append('c2\n');
    rotate(); // the saved file is now .2, the one with c1 and c2 is .1
    append('d1\n');
    age(`${file}.3`, 3);
    age(`${file}.2`, 2);
    age(`${file}.1`, 1);
    const third = await session(5, { position: second.position });
    expect(third.lines).to.deep.equal(['b2', 'b3', 'c1', 'c2', 'd1']);
  });

  it('skips compressed rotations without error, counting those it would have read', async () => {
    const saved = await downAcrossTwoRotations();
    fs.writeFileSync(`${file}.3.gz`, zlib.gzipSync('z1\n')); // older than the saved file
    age(`${file}.3.gz`, 3);
    fs.writeFileSync(at('mail.log-20261129.gz'), zlib.gzipSync('y1\n')); // newer: its lines are lost
    age(at('mail.log-20261129.gz'), 0.5);
    const second = await session(5, { position: saved });
    expect(second.lines).to.deep.equal(['a3', 'b1', 'b2', 'b3', 'c1']);
    expect(second.stats.skippedCompressed).to.equal(1);
  });

  it('reads no unrelated file: an older mail.log.bak, other names, a directory', async () => {
    const saved = await downAcrossTwoRotations();
    fs.writeFileSync(`${file}.bak`, 'bak\n');
    age(`${file}.bak`, 3);
    for (const other of ['other-file.log', 'mail.logger', 'mail.log.']) fs.writeFileSync(at(other), 'other\n');
    fs.mkdirSync(at('mail.log.d'));
    const second = await session(5, { position: saved });
    expect(second.lines).to.deep.equal(['a3', 'b1', 'b2', 'b3', 'c1']);
    expect(second.stats.skippedCompressed).to.equal(0);
  });

  it('reads a later rotated file that is named otherwise, by its mtime', async () => {
    const saved = await downAcrossTwoRotations();
    fs.writeFileSync(`${file}.old`, 'x1\n'); // between .2 and .1
    age(`${file}.old`, 1.5);
    const second = await session(6, { position: saved });
    expect(second.lines).to.deep.equal(['a3', 'x1', 'b1', 'b2', 'b3', 'c1']);
  });
});
