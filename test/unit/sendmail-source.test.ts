// The Sendmail source on real files that go bad while it runs: a .cf missing at start, a
// .cf replaced by garbage, a torn statistics file, a queue directory that cannot be listed.
// Each input's madmanSourceTable row says failing and why, is read again on its interval,
// and nothing the files said before is lost or zeroed meanwhile.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../src/log.js';
import { MailSystem, type Channel, type SourceInput } from '../../src/model/mail-system.js';
import type { SendmailSettings } from '../../src/sources/sendmail/config.js';
import { SendmailSource } from '../../src/sources/sendmail/source.js';
import { ROOT } from '../helpers/harness.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/sendmail');

async function until<T>(what: string, get: () => T | undefined | false): Promise<T> {
  for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 20))) {
    const v = get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('Sendmail source: its files going bad while it runs', function () {
  this.timeout(90_000);
  let dir = '';
  let source: SendmailSource | undefined;
  let model: MailSystem;

  /** The real 8.17 .cf with its StatusFile and QueueDirectory moved into the test's directory. */
  const cfText = () =>
    readFileSync(path.join(FIXTURES, 'sendmail-8.17.cf'), 'latin1')
      .replace(/^O StatusFile=.*$/m, `O StatusFile=${dir}/statistics`)
      .replace(/^O QueueDirectory=.*$/m, `O QueueDirectory=${dir}/mqueue`);
  const input = (name: string): SourceInput | undefined => [...model.inputs.values()].find((i) => i.name === name);
  const groups = (): Channel[] => [...([...model.applications.values()][0]?.mta?.channels.values() ?? [])];
  const group = (name: string): Channel | undefined => groups().find((c) => c.name === name);
  const groupNames = () => groups().map((c) => c.name);

  async function start(): Promise<void> {
    const settings: SendmailSettings = {
      cf: path.join(dir, 'sendmail.cf'),
      statisticsInterval: 0.1,
      queue: true,
      queueInterval: 0.1,
      programs: ['sm-mta'],
      application: 'sendmail MTA on mx',
    };
    model = new MailSystem();
    source = new SendmailSource(settings, path.join(dir, 'state'), false);
    await source.start(model, silentLogger);
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-sendmail-source-'));
    copyFileSync(path.join(FIXTURES, 'statistics-8.17-lp64'), path.join(dir, 'statistics'));
    mkdirSync(path.join(dir, 'mqueue'));
    // one queued message: 2 recipients left, 5000 octets (5 of sendmail's kilobytes)
    writeFileSync(path.join(dir, 'mqueue/qf6B80oo00000999'), 'V8\nT1796690000\nK0\nN1\nP120000\nRPFD:<bob@example.test>\nRPFD:<carol@example.test>\n.\n');
    writeFileSync(path.join(dir, 'mqueue/df6B80oo00000999'), 'x'.repeat(5000));
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a .cf missing at start is reported and read once it is there; the statistics file and queue it names follow', async () => {
    await start();
    const cf = input('sendmail cf')!;
    expect([cf.ok, cf.reason]).to.deep.equal([false, `ENOENT: no such file or directory, stat '${dir}/sendmail.cf'`]);
    expect(input('sendmail statistics')).to.equal(undefined);
    writeFileSync(path.join(dir, 'sendmail.cf'), cfText());
    await until('the .cf read', () => cf.ok);
    const stats = await until('the statistics file read', () => input('sendmail statistics')?.ok && input('sendmail statistics'));
    expect(stats.input).to.equal(`${dir}/statistics`);
    await until('the queue read', () => input('sendmail queue')?.ok);
    // mailstats -P of the fixture: local 5 from, esmtp 6 from / 1 to; the queue: 1 message, 2 recipients, 5 K
    await until('the mailers counted', () => group('esmtp')?.receivedMessages === 6);
    expect([group('local')!.receivedMessages, group('esmtp')!.transmittedMessages]).to.deep.equal([5, 1]);
    const q = group('mqueue')!;
    expect([q.storedMessages, q.storedRecipients, q.storedVolume / 1024, q.oldestMessageId]).to.deep.equal([1, 2, 5, '6B80oo00000999']);
  });

  it('a .cf replaced by garbage fails with the reason and the last good one is kept; a good one is read again', async () => {
    writeFileSync(path.join(dir, 'sendmail.cf'), cfText());
    await start();
    const cf = input('sendmail cf')!;
    expect(cf.ok).to.equal(true);
    const before = groupNames();
    expect(before).to.include.members(['local', 'esmtp', 'relay', 'mqueue', 'MTA', 'MSA']);
    const garbage = Buffer.alloc(20_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 251;
    writeFileSync(path.join(dir, 'sendmail.cf'), garbage);
    await until('the .cf failing', () => !cf.ok);
    expect(cf.reason).to.equal(`${dir}/sendmail.cf: not a sendmail.cf sendmail would run with: it defines no local mailer (Mlocal)`);
    // the queue is still scanned with the last good .cf's groups, and no row came from the garbage
    writeFileSync(path.join(dir, 'mqueue/qf6B80oo00001000'), 'V8\nT1796690100\nRPFD:<bob@example.test>\n.\n');
    await until('the second queued message', () => group('mqueue')?.storedMessages === 2);
    expect(groupNames()).to.deep.equal(before);
    writeFileSync(path.join(dir, 'sendmail.cf'), cfText());
    await until('the .cf read again', () => cf.ok);
    expect(cf.reason).to.equal('');
  });

  it('a torn statistics file and an unreadable queue directory fail with the reason; their values stay until they are readable again', async () => {
    writeFileSync(path.join(dir, 'sendmail.cf'), cfText());
    await start();
    const stats = input('sendmail statistics')!;
    const queue = input('sendmail queue')!;
    expect([stats.ok, queue.ok]).to.deep.equal([true, true]);
    expect([group('esmtp')!.receivedMessages, group('mqueue')!.storedMessages]).to.deep.equal([6, 1]);
    const good = readFileSync(path.join(dir, 'statistics'));
    writeFileSync(path.join(dir, 'statistics'), good.subarray(0, 700));
    renameSync(path.join(dir, 'mqueue'), path.join(dir, 'mqueue.away'));
    writeFileSync(path.join(dir, 'mqueue'), 'not a directory\n');
    await until('both failing', () => !stats.ok && !queue.ok);
    expect(stats.reason).to.equal('not a sendmail statistics file (700 bytes, magic 0x1b1de, version 4): no known layout has this size');
    expect(queue.reason).to.equal(`${dir}/mqueue: ENOTDIR: not a directory, scandir '${dir}/mqueue'`);
    // an unreadable queue is not an empty one: the last reading stays, the MTA's total too
    const q = group('mqueue')!;
    expect([group('esmtp')!.receivedMessages, q.storedMessages, q.storedRecipients, q.oldestMessageId]).to.deep.equal([6, 1, 2, '6B80oo00000999']);
    expect([...model.applications.values()][0]!.mta!.counters.storedMessages).to.equal(1);
    writeFileSync(path.join(dir, 'statistics'), good);
    rmSync(path.join(dir, 'mqueue'));
    renameSync(path.join(dir, 'mqueue.away'), path.join(dir, 'mqueue'));
    rmSync(path.join(dir, 'mqueue/qf6B80oo00000999'));
    await until('both readable again', () => stats.ok && queue.ok);
    await until('the emptied queue', () => q.storedMessages === 0);
    expect(stats.reason + queue.reason).to.equal('');
  });
});
