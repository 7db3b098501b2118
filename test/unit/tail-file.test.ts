// FileFollower on real files in a temporary directory: where it starts, appends
// in small and big writes, partial lines, batches and back-pressure, CRLF,
// invalid UTF-8, huge lines, a missing or unreadable file, progress and stop.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { FileFollower, type FileFollowerOptions, type FilePosition } from '../../src/sources/tail/file-follower.js';
import { Collector, delay, rmDir, tmpDir, waitFor } from './tail-support.js';

const POLL = 5;

describe('tail: FileFollower', function () {
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

  function follow(opts: Partial<FileFollowerOptions> = {}, p = file): { f: FileFollower; c: Collector<string, FilePosition> } {
    const c = new Collector<string, FilePosition>();
    const f = new FileFollower(p, { pollMs: POLL, onBatch: c.onBatch, onStatus: c.onStatus, onError: c.onError, ...opts });
    running.push(f);
    f.start();
    return { f, c };
  }

  const ino = (p = file) => fs.statSync(p).ino;
  const append = (s: string | Buffer) => fs.appendFileSync(file, s);

  it('starts at the end of the file by default and announces that position', async () => {
    fs.writeFileSync(file, 'old 1\nold 2\n');
    const { f, c } = follow();
    await waitFor(() => c.batches.length === 1, 'the opening batch');
    const check = Buffer.from('old 1\nold 2\n').toString('base64');
    expect(c.batches[0]).to.deep.equal({ items: [], position: { dev: fs.statSync(file).dev, ino: ino(), offset: 12, check } });
    expect(c.statuses).to.deep.equal([{ ok: true }]);
    append('new 1\nnew 2\n');
    await waitFor(() => c.items.length === 2, 'two new lines');
    expect(c.items).to.deep.equal(['new 1', 'new 2']);
    const check2 = Buffer.from('old 1\nold 2\nnew 1\nnew 2\n').toString('base64');
    expect(c.position).to.deep.equal({ dev: fs.statSync(file).dev, ino: ino(), offset: 24, check: check2 });
    expect(f.position()).to.deep.equal(c.position);
  });

  it('starting at the end, does not cut a line that is being written', async () => {
    fs.writeFileSync(file, 'complete\nhalf a ');
    const { c } = follow();
    await waitFor(() => c.batches.length === 1, 'the opening batch');
    expect(c.position!.offset).to.equal(9);
    append('line\n');
    await waitFor(() => c.items.length === 1, 'the completed line');
    expect(c.items).to.deep.equal(['half a line']);
  });

  it('fromStart reads the whole file, then follows', async () => {
    fs.writeFileSync(file, 'a\nb\nc\n');
    const { f, c } = follow({ fromStart: true });
    await waitFor(() => c.items.length === 3, 'the existing lines');
    expect(f.progress()).to.deep.equal({ offset: 6, size: 6 });
    append('d\n');
    await waitFor(() => c.items.length === 4, 'the new line');
    expect(c.items).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(c.position!.offset).to.equal(8);
  });

  it('holds a partial line until its newline arrives, through writes of one byte', async () => {
    fs.writeFileSync(file, '');
    const { f, c } = follow();
    await waitFor(() => c.batches.length === 1, 'the opening batch');
    const text = 'first line\nsecond\n';
    for (let i = 0; i < text.length; i++) {
      append(text[i]!);
      const expected = text.slice(0, i + 1).split('\n').slice(0, -1);
      // The byte is counted when read and the line handed over after the next (empty)
      // read, so wait for both before checking that nothing more was delivered.
      await waitFor(() => f.stats().bytes === i + 1 && c.items.length >= expected.length, `byte ${i + 1} read`);
      expect(c.items, `after ${i + 1} bytes`).to.deep.equal(expected);
    }
    expect(c.position!.offset).to.equal(text.length);
  });

  it('delivers a big write in batches of maxBatchLines, waiting for the consumer', async () => {
    fs.writeFileSync(file, '');
    const { c } = follow();
    await waitFor(() => c.batches.length === 1, 'the opening batch');
    c.hook = () => delay(2);
    const lines = Array.from({ length: 25_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
    append(lines.join('\n') + '\n');
    await waitFor(() => c.items.length === 25_000, 'all lines');
    const sizes = c.batches.slice(1).map((b) => b.items.length);
    expect(sizes).to.deep.equal([10_000, 10_000, 5_000]);
    expect(c.maxInFlight).to.equal(1);
    expect(c.items).to.deep.equal(lines);
    const lineEnd = (n: number) => lines.slice(0, n).reduce((s, l) => s + Buffer.byteLength(l) + 1, 0);
    expect(c.batches.slice(1).map((b) => b.position.offset)).to.deep.equal([lineEnd(10_000), lineEnd(20_000), lineEnd(25_000)]);
  });

  it('reads across chunk boundaries exactly (64 KiB reads, 3 MB in several writes)', async () => {
    fs.writeFileSync(file, '');
    const { c } = follow({ chunkBytes: 65536, maxBatchLines: 1000 });
    await waitFor(() => c.batches.length === 1, 'the opening batch');
    const lines = Array.from({ length: 30_000 }, (_, i) => `${i}:` + 'abcdefghij'.repeat(i % 19) + '\u00e9\u20ac');
    const data = Buffer.from(lines.join('\n') + '\n');
    for (let off = 0; off < data.length; off += 777_777) append(data.subarray(off, off + 777_777));
    await waitFor(() => c.items.length === lines.length, 'all lines', 8000, () => c.items.length);
    expect(c.items).to.deep.equal(lines);
    expect(c.position!.offset).to.equal(data.length);
    expect(c.batches.every((b) => b.items.length <= 1000)).to.equal(true);
  });

  it('handles CRLF line ends', async () => {
    fs.writeFileSync(file, 'a\r\nb\r\n\r\nc\rd\n');
    const { c } = follow({ fromStart: true });
    await waitFor(() => c.items.length === 4, 'four lines');
    expect(c.items).to.deep.equal(['a', 'b', '', 'c\rd']);
  });

  it('decodes invalid UTF-8 with replacement characters', async () => {
    fs.writeFileSync(file, Buffer.from([0x61, 0xff, 0x62, 0x0a, 0xe2, 0x82, 0x0a, 0xe2, 0x82, 0xac, 0x0a, 0xc0, 0xaf, 0x0a]));
    const { c } = follow({ fromStart: true });
    await waitFor(() => c.items.length === 4, 'four lines');
    expect(c.items).to.deep.equal(['a\ufffdb', '\ufffd', '\u20ac', '\ufffd\ufffd']);
    expect(c.position!.offset).to.equal(14);
  });

  it('cuts a huge line to 64 KiB, counts it, and goes on with the next line', async () => {
    const huge = 'x'.repeat(200_000);
    const euros = '\u20ac'.repeat(30_000); // 90,000 bytes: cut to 21,845 whole characters
    fs.writeFileSync(file, `${huge}\nafter\n${euros}\nend\n`);
    const { f, c } = follow({ fromStart: true, chunkBytes: 65536 });
    await waitFor(() => c.items.length === 4, 'four lines');
    expect(c.items.map((l) => l.length)).to.deep.equal([65536, 5, 21_845, 3]);
    expect(c.items[0]).to.equal('x'.repeat(65536));
    expect(c.items[2]).to.equal('\u20ac'.repeat(21_845));
    expect(c.items.slice(1, 2).concat(c.items.slice(3))).to.deep.equal(['after', 'end']);
    expect(f.stats().truncatedLines).to.equal(2);
    expect(c.position!.offset).to.equal(fs.statSync(file).size);
  });

  it('reports a missing file once, keeps retrying, and reads it from its start once created', async () => {
    const { c } = follow();
    await waitFor(() => c.statuses.length === 1, 'a status');
    expect(c.statuses[0]!.ok).to.equal(false);
    expect(c.statuses[0]).to.have.property('reason').that.includes('ENOENT').and.includes(file);
    await delay(POLL * 10); // many retries, still one report
    expect(c.statuses).to.have.length(1);
    fs.writeFileSync(file, 'born 1\nborn 2\n');
    await waitFor(() => c.items.length === 2, 'the lines of the new file');
    expect(c.items).to.deep.equal(['born 1', 'born 2']);
    expect(c.statuses).to.deep.equal([c.statuses[0], { ok: true }]);
  });

  it('reports an unreadable path (a directory) and recovers when it becomes a file', async () => {
    fs.mkdirSync(file);
    const { c } = follow({ fromStart: true });
    await waitFor(() => c.statuses.length === 1, 'a status');
    expect(c.statuses[0]).to.deep.equal({ ok: false, reason: `${file}: a directory, not a regular file (only regular files can be followed)`, code: 'ENOTREG' });
    fs.rmdirSync(file);
    fs.writeFileSync(file, 'ok\n');
    await waitFor(() => c.items.length === 1, 'the line');
    expect(c.items).to.deep.equal(['ok']);
    expect(c.statuses.map((s) => s.ok)).to.deep.equal([false, true]);
  });

  it('passes a failing consumer to onError and counts the batch as delivered', async () => {
    fs.writeFileSync(file, 'a\nb\n');
    const { c } = follow({ fromStart: true, maxBatchLines: 1 });
    c.hook = (b) => {
      if (b.items[0] === 'a') throw new Error('consumer broke');
    };
    await waitFor(() => c.items.length === 2, 'both lines');
    expect(c.items).to.deep.equal(['a', 'b']);
    expect(c.errors.map((e) => e.message)).to.deep.equal(['consumer broke']);
  });

  it('makes no callback after stop() resolves', async () => {
    fs.writeFileSync(file, 'a\n');
    const { f, c } = follow({ fromStart: true });
    await waitFor(() => c.items.length === 1, 'the line');
    await f.stop();
    const n = c.batches.length;
    append('b\n');
    await delay(POLL * 10);
    expect(c.batches.length).to.equal(n);
  });
});
