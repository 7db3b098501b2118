// A log path that is a FIFO, a socket or a device is refused with a failing status and
// its reason, without an open that blocks: such an open (a FIFO waits for a writer)
// would hold a thread of libuv's pool of four for ever, and with it every later file
// operation of the process and its exit.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { FileFollower } from '../../src/sources/tail/file-follower.js';
import type { FilePosition } from '../../src/sources/tail/file-follower.js';
import { NotRegularFileError, openRegular } from '../../src/sources/tail/file-probe.js';
import { Collector, delay, rmDir, tmpDir, waitFor } from './tail-support.js';

const POLL = 5;
const REFUSED = 'not a regular file (only regular files can be followed)';

describe('tail: special files', function () {
  let dir: string;
  const running: FileFollower[] = [];
  const servers: net.Server[] = [];

  beforeEach(() => {
    dir = tmpDir();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((f) => f.stop()));
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    rmDir(dir);
  });

  function fifo(name: string): string {
    const p = path.join(dir, name);
    execFileSync('mkfifo', [p]);
    return p;
  }

  async function socket(name: string): Promise<string> {
    const p = path.join(dir, name);
    const s = net.createServer();
    servers.push(s);
    await new Promise<void>((r) => s.listen(p, r));
    return p;
  }

  function follow(p: string, opts: { fromStart?: boolean; position?: FilePosition } = {}): Collector<string, FilePosition> {
    const c = new Collector<string, FilePosition>();
    const f = new FileFollower(p, { pollMs: POLL, onBatch: c.onBatch, onStatus: c.onStatus, onError: c.onError, ...opts });
    running.push(f);
    f.start();
    return c;
  }

  it('openRegular refuses a FIFO, a socket and a character device, naming what they are', async () => {
    const cases: Array<[string, string]> = [
      [fifo('log.fifo'), 'a FIFO'],
      [await socket('log.sock'), 'a socket'],
      ['/dev/null', 'a character device'],
      [dir, 'a directory'],
    ];
    for (const [p, kind] of cases) {
      const err = await openRegular(p).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, p).to.be.instanceOf(NotRegularFileError);
      expect((err as Error).message, p).to.equal(`${kind}, ${REFUSED}`);
    }
    const file = path.join(dir, 'real.log');
    fs.writeFileSync(file, 'x\n');
    const { fh, stat } = await openRegular(file);
    expect(stat.size).to.equal(2);
    await fh.close();
  });

  it('a follower of a FIFO, a socket, a device or a symlink to a FIFO reports failing with the reason, at every start', async () => {
    const link = path.join(dir, 'link.log');
    fs.symlinkSync(fifo('target.fifo'), link);
    const paths: Array<[string, string]> = [
      [fifo('mail.log'), 'a FIFO'],
      [await socket('mail.sock'), 'a socket'],
      ['/dev/zero', 'a character device'],
      [link, 'a FIFO'],
    ];
    for (const [p, kind] of paths) {
      for (const opts of [{}, { fromStart: true }, { position: { dev: 1, ino: 2, offset: 3 } }]) {
        const c = follow(p, opts);
        await waitFor(() => c.statuses.length === 1, `the status of ${p}`);
        expect(c.statuses[0], p).to.deep.equal({ ok: false, reason: `${p}: ${kind}, ${REFUSED}`, code: 'ENOTREG' });
        expect(c.batches, p).to.deep.equal([]);
      }
    }
  });

  it('three FIFO logs retried for a while leave the thread pool free, and stop at once', async () => {
    const cs = ['a.log', 'b.log', 'c.log'].map((n) => follow(fifo(n)));
    await waitFor(() => cs.every((c) => c.statuses.length === 1), 'three statuses');
    await delay(POLL * 40); // each has retried its open many times
    // libuv has four threads: a blocking open per retry would have taken them all
    const file = path.join(dir, 'plain.txt');
    fs.writeFileSync(file, 'still works');
    const t0 = Date.now();
    for (let i = 0; i < 8; i++) expect(await fs.promises.readFile(file, 'utf8')).to.equal('still works');
    // generous for a loaded machine; a pinned pool never answers at all
    expect(Date.now() - t0).to.be.below(10_000);
    await Promise.all(running.splice(0).map((f) => f.stop()));
    for (const c of cs) expect(c.statuses.map((s) => s.ok)).to.deep.equal([false]);
  });

  it('a FIFO replaced by a regular file is followed from then on', async () => {
    const p = fifo('mail.log');
    const c = follow(p, { fromStart: true });
    await waitFor(() => c.statuses.length === 1, 'the failing status');
    fs.rmSync(p);
    fs.writeFileSync(p, 'one\ntwo\n');
    await waitFor(() => c.items.length === 2, 'the lines');
    expect(c.items).to.deep.equal(['one', 'two']);
    expect(c.statuses.map((s) => s.ok)).to.deep.equal([false, true]);
  });
});
