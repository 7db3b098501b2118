// FileFollower across rotations: by rename while running (five of them, with
// concurrent writers, one of which keeps writing to the old file until it is
// told to reopen), copytruncate (read, unread and regrown, with and without the
// copy), and resuming from a saved position after a restart, including a file
// rotated or truncated while we were down.

import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { FileFollower, type FileFollowerOptions, type FilePosition } from '../../src/sources/tail/file-follower.js';
import { Collector, delay, gate, rmDir, tmpDir, waitFor } from './tail-support.js';

const POLL = 5;

describe('tail: FileFollower rotation and resume', function () {
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

  function follow(opts: Partial<FileFollowerOptions> = {}): { f: FileFollower; c: Collector<string, FilePosition> } {
    const c = new Collector<string, FilePosition>();
    const f = new FileFollower(file, { pollMs: POLL, onBatch: c.onBatch, onStatus: c.onStatus, onError: c.onError, ...opts });
    running.push(f);
    f.start();
    return { f, c };
  }

  /** Runs a follower until `n` lines arrived, stops it, and returns its lines and last position. */
  async function session(n: number, opts: Partial<FileFollowerOptions>): Promise<{ lines: string[]; position: FilePosition }> {
    const { f, c } = follow(opts);
    await waitFor(() => c.items.length >= n && c.batches.length > 0, `${n} lines`, 5000, () => c.items);
    await f.stop();
    return { lines: c.items, position: c.position! };
  }

  const append = (s: string, p = file) => fs.appendFileSync(p, s);
  const touch = (p: string) => fs.closeSync(fs.openSync(p, 'a'));

  describe('rename', () => {
    it('loses and duplicates nothing across 5 rotations with concurrent writers', async () => {
      fs.writeFileSync(file, '');
      const { f, c } = follow();
      await waitFor(() => c.batches.length === 1, 'the opening batch');

      // A syslog-like writer that keeps its descriptor until told to reopen, and
      // two writers that open the path for every line (like Postfix's postlog).
      let fd = fs.openSync(file, 'a');
      const PER = 400;
      let done = 0;
      const syslog = (async () => {
        for (let i = 0; i < PER; i++) {
          fs.writeSync(fd, `s ${i}\n`);
          if (i % 4 === 0) await delay(1);
        }
        done++;
      })();
      const appender = (name: string) =>
        (async () => {
          for (let i = 0; i < PER; i++) {
            await fs.promises.appendFile(file, `${name} ${i}\n`);
            if (i % 4 === 0) await delay(1);
          }
          done++;
        })();
      const writers = [syslog, appender('a'), appender('b')];

      for (let k = 1; k <= 5; k++) {
        const seen = c.items.length;
        await waitFor(() => c.items.length > seen + 20 || done === 3, 'lines before a rotation');
        fs.renameSync(file, `${file}.${k}`);
        touch(file);
        const ino = fs.statSync(file).ino;
        setTimeout(() => {
          fs.closeSync(fd);
          fd = fs.openSync(file, 'a'); // the HUP after logrotate's postrotate
        }, 20);
        // the follower switches once the old file is quiet, or after 5 s at the latest: wait past that
        await waitFor(() => f.stats().rotations === k, `rotation ${k}`, 15000);
        // The count moves before the old file is finished and the new one opened; renaming again
        // before that would rotate away a file the follower never opened (two rotations within
        // one switch, a documented limit), so wait for the new file's first batch.
        await waitFor(() => c.position?.ino === ino, `the file after rotation ${k} opened`, 15000);
      }
      await Promise.all(writers);
      await waitFor(() => c.items.length >= 3 * PER, 'every line', 5000, () => c.items.length);
      await delay(POLL * 10); // would show duplicates arriving late
      fs.closeSync(fd);

      expect(c.items).to.have.length(3 * PER);
      for (const w of ['s', 'a', 'b']) {
        const seq = c.items.filter((l) => l.startsWith(`${w} `)).map((l) => Number(l.slice(2)));
        expect(seq, `writer ${w}`).to.deep.equal(Array.from({ length: PER }, (_, i) => i));
      }
      // and they are exactly what the six files hold, in file order
      const files = [1, 2, 3, 4, 5].map((k) => `${file}.${k}`).concat(file);
      const onDisk = files.flatMap((p) => fs.readFileSync(p, 'utf8').split('\n').slice(0, -1));
      expect(c.items).to.deep.equal(onDisk);
      expect(f.stats().rotations).to.equal(5);
    });

    it('delivers the old file’s last line without its newline when it is rotated away', async () => {
      fs.writeFileSync(file, '');
      const { c } = follow();
      await waitFor(() => c.batches.length === 1, 'the opening batch');
      append('a\nb');
      await waitFor(() => c.items.length === 1, 'line a');
      const oldIno = fs.statSync(file).ino;
      fs.renameSync(file, `${file}.1`);
      fs.writeFileSync(file, 'c\n');
      await waitFor(() => c.items.length === 3, 'b and c');
      expect(c.items).to.deep.equal(['a', 'b', 'c']);
      const b = c.batches.find((x) => x.items.includes('b'))!;
      expect(b.position).to.include({ ino: oldIno, offset: 3 });
      expect(c.position).to.include({ ino: fs.statSync(file).ino, offset: 2 });
    });

    it('keeps reading the renamed file while the path is missing', async () => {
      fs.writeFileSync(file, '');
      const { c } = follow();
      await waitFor(() => c.batches.length === 1, 'the opening batch');
      const fd = fs.openSync(file, 'a');
      fs.writeSync(fd, 'one\n');
      fs.renameSync(file, `${file}.1`);
      fs.writeSync(fd, 'two\n');
      await waitFor(() => c.items.length === 2, 'both lines from the renamed file');
      fs.closeSync(fd);
      fs.writeFileSync(file, 'three\n');
      await waitFor(() => c.items.length === 3, 'the new file');
      expect(c.items).to.deep.equal(['one', 'two', 'three']);
    });
  });

  describe('copytruncate', () => {
    it('after the lines were read: the live file is read again from 0', async () => {
      fs.writeFileSync(file, '');
      const { f, c } = follow();
      await waitFor(() => c.batches.length === 1, 'the opening batch');
      append('l1\nl2\nl3\nl4\nl5\n');
      await waitFor(() => c.items.length === 5, 'five lines');
      fs.copyFileSync(file, `${file}.1`);
      fs.truncateSync(file, 0);
      append('n1\n');
      await waitFor(() => c.items.length === 6, 'the new line');
      append('n2 is a longer line than all of the first five together\n');
      await waitFor(() => c.items.length === 7, 'the next line');
      expect(c.items).to.deep.equal(['l1', 'l2', 'l3', 'l4', 'l5', 'n1', 'n2 is a longer line than all of the first five together']);
      expect(f.stats().truncations).to.equal(1);
    });

    it('with unread lines and the file regrown past the old offset: finishes from the copy', async () => {
      fs.writeFileSync(file, 'a1\na2\na3\n');
      const { f, c } = follow({ fromStart: true });
      const g = gate();
      c.gate = g.promise; // the consumer is busy: nothing more is read meanwhile
      await waitFor(() => c.items.length === 3, 'the first lines');
      append('a4\na5\n');
      fs.copyFileSync(file, `${file}.1`);
      fs.truncateSync(file, 0);
      const later = Array.from({ length: 20 }, (_, i) => `b${i}`);
      append(later.join('\n') + '\n');
      c.gate = undefined;
      g.open();
      await waitFor(() => c.items.length === 25, 'every line', 5000, () => c.items);
      await delay(POLL * 10);
      expect(c.items).to.deep.equal(['a1', 'a2', 'a3', 'a4', 'a5', ...later]);
      expect(f.stats().truncations).to.equal(1);
      const copyIno = fs.statSync(`${file}.1`).ino;
      expect(c.batches.find((b) => b.items.includes('a5'))!.position).to.include({ ino: copyIno, offset: 15 });
    });

    it('without the copy: never reads from the old offset in new content', async () => {
      fs.writeFileSync(file, 'a1\na2\na3\n');
      const { f, c } = follow({ fromStart: true });
      const g = gate();
      c.gate = g.promise;
      await waitFor(() => c.items.length === 3, 'the first lines');
      append('a4\n');
      fs.truncateSync(file, 0); // the copy was compressed at once: not found
      const later = Array.from({ length: 20 }, (_, i) => `b${i}`);
      append(later.join('\n') + '\n');
      c.gate = undefined;
      g.open();
      await waitFor(() => c.items.length === 23, 'the new lines', 5000, () => c.items);
      await delay(POLL * 10);
      expect(c.items).to.deep.equal(['a1', 'a2', 'a3', ...later]); // a4 is lost (documented)
      expect(f.stats().truncations).to.equal(1);
    });
  });

  describe('resume from a saved position', () => {
    it('continues exactly after the last delivered line', async () => {
      fs.writeFileSync(file, 'a1\na2\na3\n');
      const first = await session(3, { fromStart: true });
      expect(first.lines).to.deep.equal(['a1', 'a2', 'a3']);
      const check = Buffer.from('a1\na2\na3\n').toString('base64');
      expect(first.position).to.deep.equal({ dev: fs.statSync(file).dev, ino: fs.statSync(file).ino, offset: 9, check });
      append('a4\na5\n');
      const second = await session(2, { position: JSON.parse(JSON.stringify(first.position)) as FilePosition });
      expect(second.lines).to.deep.equal(['a4', 'a5']);
      expect(second.position.offset).to.equal(15);
    });

    it('after a rotation while down: the rest of the old file (found as .1), then the new file', async () => {
      fs.writeFileSync(file, 'a1\na2\n');
      const first = await session(2, { fromStart: true });
      append('a3\n');
      fs.renameSync(file, `${file}.1`);
      fs.writeFileSync(file, 'b1\nb2\n');
      fs.writeFileSync(`${file}.2`, 'decoy\n');
      const second = await session(3, { position: first.position });
      expect(second.lines).to.deep.equal(['a3', 'b1', 'b2']);
    });

    it('finds a dateext-named rotated file too', async () => {
      fs.writeFileSync(file, 'a1\n');
      const first = await session(1, { fromStart: true });
      append('a2\n');
      fs.renameSync(file, `${file}-20261129`);
      fs.writeFileSync(file, 'b1\n');
      const second = await session(2, { position: first.position });
      expect(second.lines).to.deep.equal(['a2', 'b1']);
    });

    it('after a copytruncate while down: the file from 0', async () => {
      fs.writeFileSync(file, 'a1\na2\na3\n');
      const first = await session(3, { fromStart: true });
      fs.truncateSync(file, 0);
      append('c1\n');
      const second = await session(1, { position: first.position });
      expect(second.lines).to.deep.equal(['c1']);
    });

    it('after a copytruncate while down that kept the copy: the rest of the copy, then the file from 0', async () => {
      fs.writeFileSync(file, 'a1\na2\n');
      const first = await session(2, { fromStart: true });
      append('a3\na4\n');
      fs.copyFileSync(file, `${file}.1`);
      fs.truncateSync(file, 0);
      append('c1 is longer than what was there\n');
      const second = await session(3, { position: first.position });
      expect(second.lines).to.deep.equal(['a3', 'a4', 'c1 is longer than what was there']);
    });

    it('when the bytes before the saved offset changed (same inode, rewritten): the file from 0', async () => {
      fs.writeFileSync(file, 'aaaa\nbbbb\n');
      const first = await session(2, { fromStart: true });
      fs.truncateSync(file, 0);
      append('cccc\ndddd\neeee\n'); // a newline at the old offset, other bytes before it
      const second = await session(3, { position: first.position });
      expect(second.lines).to.deep.equal(['cccc', 'dddd', 'eeee']);
    });

    it('a position without check bytes needs a newline just before the offset', async () => {
      fs.writeFileSync(file, 'aaaa\nbbbb\n');
      const { check, ...old } = (await session(2, { fromStart: true })).position;
      expect(check).to.be.a('string');
      fs.truncateSync(file, 0);
      append('xxxxxxxxxxxxxxx\nyy\n');
      expect((await session(2, { position: old })).lines).to.deep.equal(['xxxxxxxxxxxxxxx', 'yy']);
      append('zz\n'); // offset 19 follows a newline: resumed there
      expect((await session(1, { position: { ...old, offset: 19 } })).lines).to.deep.equal(['zz']);
    });

    it('when the file was deleted and recreated (its inode number possibly reused): the file from 0', async () => {
      fs.writeFileSync(file, 'a1\n');
      const first = await session(1, { fromStart: true });
      fs.unlinkSync(file);
      fs.writeFileSync(file, 'n1\nn2\n'); // on ext4 and tmpfs this often gets the same inode number
      const second = await session(2, { position: first.position });
      expect(second.lines).to.deep.equal(['n1', 'n2']);
    });

    it('when the saved file is gone: the file at the path from 0', async () => {
      fs.writeFileSync(file, 'a1\n');
      const first = await session(1, { fromStart: true });
      fs.renameSync(file, `${file}.1`);
      fs.writeFileSync(file, 'b1\nb2\n');
      fs.unlinkSync(`${file}.1`);
      const second = await session(2, { position: first.position });
      expect(second.lines).to.deep.equal(['b1', 'b2']);
    });

    it('at the end of a rotated file whose last line had no newline: nothing again', async () => {
      fs.writeFileSync(file, '');
      const { f, c } = follow();
      await waitFor(() => c.batches.length === 1, 'the opening batch');
      append('a\nb');
      await waitFor(() => c.items.length === 1, 'line a');
      fs.renameSync(file, `${file}.1`);
      fs.writeFileSync(file, '');
      await waitFor(() => c.items.length === 2, 'line b');
      const atB = c.batches.find((b) => b.items.includes('b'))!.position;
      await f.stop();
      append('c\n');
      const second = await session(1, { position: atB });
      expect(second.lines).to.deep.equal(['c']);
    });

    it('when the file is missing at start: waits for it, then reads it from 0', async () => {
      fs.writeFileSync(file, 'a1\n');
      const first = await session(1, { fromStart: true });
      fs.unlinkSync(file);
      const { c } = follow({ position: first.position });
      await waitFor(() => c.statuses.length === 1, 'a status');
      expect(c.statuses[0]!.ok).to.equal(false);
      fs.writeFileSync(file, 'n1\n');
      await waitFor(() => c.items.length === 1, 'the new file');
      expect(c.items).to.deep.equal(['n1']);
    });
  });
});
