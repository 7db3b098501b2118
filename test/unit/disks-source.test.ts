// The disks source on the real file systems of this machine: figures as statfs(2) gives
// them, a path that does not exist yet reported and read once it does.

import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../src/log.js';
import { percentAvail } from '../../src/model/disks.js';
import { MailSystem } from '../../src/model/mail-system.js';
import type { Logger } from '../../src/log.js';
import { DiskSource, type DiskReader, type Mounted } from '../../src/sources/disks/source.js';
import { run } from '../helpers/harness.js';

describe('disks source', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'madman-disks-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads each path\'s file system, reports a missing path, and reads it once it exists', async () => {
    const missing = path.join(dir, 'later');
    const model = new MailSystem();
    const source = new DiskSource([dir, missing], 3600);
    await source.start(model, silentLogger);
    try {
      const [d, m] = [model.disks.get(1)!, model.disks.get(2)!];
      const s = statfsSync(dir);
      expect(d).to.include({ path: dir, totalBytes: s.blocks * s.bsize, reason: '' });
      // available space moves with other writers: within 64 MB of statfs's
      expect(Math.abs(d.availBytes - s.bavail * s.bsize)).to.be.below(64 * 1024 * 1024);
      expect(percentAvail(d)).to.equal((d.availBytes * 100) / d.totalBytes);
      // the mount point df (coreutils) names for the same path
      const df = await run('df', ['--output=target', dir]);
      expect(d.mountPoint).to.equal(df.stdout.trimEnd().split('\n')[1]);
      expect(m.lastStat).to.equal(undefined);
      expect(m.reason).to.match(/^ENOENT/);
      const version = model.disksVersion;
      mkdirSync(missing);
      await source.refresh();
      expect(m).to.include({ reason: '', totalBytes: d.totalBytes, mountPoint: d.mountPoint });
      expect(m.lastStat).to.be.a('number');
      expect(model.disksVersion).to.equal(version + 1);
    } finally {
      source.stop();
    }
  });

  it('a path whose stat does not return is reported failing (row, madmanSourceTable, log) and does not stall start', async () => {
    // a fake file system: a hung NFS mount is a fault no test machine can be made to show
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const asked: string[] = [];
    const reader: DiskReader = {
      fsSize: () => new Promise<Mounted[]>(() => {}), // df hangs as well
      read: async (p) => {
        asked.push(p);
        if (p === '/hung') await stuck;
        return { mountPoint: p, totalBytes: 1000, availBytes: 250 };
      },
      timeoutMs: 20,
    };
    const model = new MailSystem();
    const warned: string[] = [];
    const log = { ...silentLogger, warn: (o: { path?: string; err: string }) => warned.push(`${o.path ?? ''} ${o.err}`) } as unknown as Logger;
    const source = new DiskSource(['/fine', '/hung'], 3600, reader);
    await source.start(model, log);
    try {
      const [fine, hung] = [model.disks.get(1)!, model.disks.get(2)!];
      expect(fine).to.include({ mountPoint: '/fine', totalBytes: 1000, availBytes: 250, reason: '' });
      expect(hung.reason).to.equal('stat: no answer within 0.02 s');
      expect(hung.lastStat).to.equal(undefined);
      const inputs = [...model.inputs.values()].map((i) => `${i.name}|${i.input}|${i.ok}|${i.reason}`);
      expect(inputs).to.deep.equal(['disk /fine|/fine|true|', 'disk /hung|/hung|false|stat: no answer within 0.02 s']);
      expect(warned).to.deep.equal([' df: no answer within 0.02 s', '/hung stat: no answer within 0.02 s']);
      // the hung stat is not asked again while it has not returned
      await source.refresh();
      expect(asked).to.deep.equal(['/fine', '/hung', '/fine']);
      expect(hung.reason).to.equal('stat: no answer within 0.02 s');
      release();
      await stuck;
      await source.refresh();
      expect(asked).to.deep.equal(['/fine', '/hung', '/fine', '/fine', '/hung']);
      expect(hung).to.include({ reason: '', totalBytes: 1000 });
      expect(model.inputs.get([...model.inputs.keys()][1]!)).to.include({ ok: true, reason: '' });
    } finally {
      source.stop();
    }
  });
});
