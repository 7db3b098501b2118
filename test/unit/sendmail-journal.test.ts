// The Sendmail source following the journal (`--sendmail-journal`, `journal:` in the
// config): the real 8.17 log's lines as journal entries of a fake `journalctl` first on
// PATH (no journald runs where the tests run), through the kit's LogSource and the
// SendmailLogReader's entry(), give the same counts as the file (test/unit/sendmail-reader
// .test.ts); the checkpoint keeps the journal cursor and a restart resumes after it.

import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../src/log.js';
import { MailSystem, type Channel, type SourceInput } from '../../src/model/mail-system.js';
import type { SendmailSettings } from '../../src/sources/sendmail/config.js';
import { SendmailSource } from '../../src/sources/sendmail/source.js';
import { ROOT } from '../helpers/harness.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/sendmail');
const LINES = readFileSync(path.join(FIXTURES, 'real-8.17-e2e.log'), 'utf8').split('\n').filter((l) => l !== '');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const k = (n: number) => n * 1024;

/** One `journalctl -o json` line for a syslog line of the fixture, as journald stores it. */
function entryOf(line: string, n: number): string {
  const m = /^(\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) \S+ ([^[]+)\[(\d+)\]: (.*)$/.exec(line)!;
  const us = Date.UTC(2026, MONTHS.indexOf(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) * 1000;
  return JSON.stringify({ __CURSOR: `s=feed;i=${n}`, __REALTIME_TIMESTAMP: String(us), MESSAGE: m[8], SYSLOG_IDENTIFIER: m[6], SYSLOG_PID: m[7], _PID: m[7] });
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 30_000; !ok(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('Sendmail source: the journal', function () {
  this.timeout(90_000);
  let dir = '';
  let savedPath: string | undefined;
  let source: SendmailSource | undefined;

  /**
   * A fake journalctl: records its arguments (one JSON line per run), prints the entries
   * after the --after-cursor it is given, then follows (stays) until killed.
   */
  function installFake(entries: string[]): void {
    writeFileSync(path.join(dir, 'entries.jsonl'), entries.map((e) => `${e}\n`).join(''));
    const script = `#!${process.execPath}
const fs = require('node:fs');
const dir = ${JSON.stringify(dir)};
const args = process.argv.slice(2);
fs.appendFileSync(dir + '/calls.jsonl', JSON.stringify(args) + '\\n');
const after = (args.find((a) => a.startsWith('--after-cursor=')) || '').slice(15);
let lines = fs.readFileSync(dir + '/entries.jsonl', 'utf8').split('\\n').filter(Boolean);
if (after) lines = lines.slice(lines.findIndex((l) => JSON.parse(l).__CURSOR === after) + 1);
process.stdout.write(lines.map((l) => l + '\\n').join(''));
setInterval(() => {}, 1000);
`;
    writeFileSync(path.join(dir, 'bin/journalctl'), script);
    chmodSync(path.join(dir, 'bin/journalctl'), 0o755);
  }
  /** the follower's journalctl runs (the backfill report's one-off end query, --lines=1, left out) */
  const calls = (): string[][] =>
    existsSync(path.join(dir, 'calls.jsonl'))
      ? readFileSync(path.join(dir, 'calls.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]).filter((c) => c.includes('--follow'))
      : [];

  async function start(model: MailSystem, fromStart: boolean): Promise<void> {
    const settings: SendmailSettings = {
      journal: {},
      cf: path.join(dir, 'sendmail.cf'),
      statistics: false,
      statisticsInterval: 5,
      queue: false,
      queueInterval: 10,
      programs: ['sm-mta', 'sendmail'],
      application: 'sendmail MTA on mx',
    };
    source = new SendmailSource(settings, path.join(dir, 'state'), fromStart);
    await source.start(model, silentLogger);
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-sendmail-journal-'));
    mkdirSync(path.join(dir, 'bin'));
    copyFileSync(path.join(FIXTURES, 'sendmail-8.17.cf'), path.join(dir, 'sendmail.cf'));
    savedPath = process.env.PATH;
    process.env.PATH = `${path.join(dir, 'bin')}:${savedPath ?? ''}`;
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the real log\'s entries as the file\'s lines, by syslog identifier; resumes after the saved cursor', async () => {
    // another program's entry among them (journalctl matched it on another field): read past
    const foreign = JSON.stringify({ __CURSOR: 's=feed;i=999', __REALTIME_TIMESTAMP: '1796685676000000', MESSAGE: '6B7N9X3j008002: from=<a@b>, size=99, class=0, nrcpts=1, daemon=MTA', SYSLOG_IDENTIFIER: 'postfix/smtpd', _PID: '77' });
    const entries = [...LINES.slice(0, 20).map((l, i) => entryOf(l, i + 1)), foreign, ...LINES.slice(20).map((l, i) => entryOf(l, i + 21))];
    installFake(entries.slice(0, 30));
    const model = new MailSystem();
    await start(model, true);
    const input = (): SourceInput => [...model.inputs.values()].find((i) => i.name === 'sendmail log')!;
    await until('30 entries read', () => input().lines === 30);
    // the source's identifiers, from the first entry on
    expect(calls()).to.deep.equal([
      ['--follow', '--output=json', '--all', '--quiet', '--no-pager', '--output-fields=MESSAGE,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_COMM,PRIORITY', '--identifier=sm-mta', '--identifier=sendmail', '--no-tail'],
    ]);
    expect([input().input, input().ok, input().unparsed]).to.deep.equal(['journal', true, 0]);
    await source!.stop();
    source = undefined;
    expect(readFileSync(path.join(dir, 'state/sendmail.json'), 'utf8')).to.contain('"s=feed;i=29"');

    // the rest appear; the source restarts on the same model state (its checkpoint)
    installFake(entries);
    const again = new MailSystem();
    await start(again, true);
    const input2 = (): SourceInput => [...again.inputs.values()].find((i) => i.name === 'sendmail log')!;
    // madmanSourceLines goes on from the checkpoint's 30
    await until('the remaining 8 entries', () => input2().lines === 38);
    expect(calls()[1]!.slice(-2)).to.deep.equal(['--after-cursor=s=feed;i=29', '--no-tail']);
    expect(input2().unparsed).to.equal(0);

    // the same values as the file gives (test/unit/sendmail-reader.test.ts, log alone)
    const groups = [...[...again.applications.values()][0]!.mta!.channels.values()];
    const group = (name: string): Channel => groups.find((c) => c.name === name)!;
    const mta = group('MTA');
    expect([mta.receivedMessages, mta.receivedRecipients, mta.receivedVolume, mta.loopsDetected, mta.rejectedMessages]).to.deep.equal([8, 9, k(10), 1, 5]);
    expect([mta.accumulatedInboundAssociations, group('MSA').accumulatedInboundAssociations, group('DSN').receivedMessages]).to.deep.equal([11, 2, 2]);
    const local = group('local');
    expect([local.transmittedMessages, local.transmittedRecipients, local.transmittedVolume]).to.deep.equal([6, 7, k(4)]);
    expect([group('smtp8').failedOutboundAssociations, group('esmtp').transmittedMessages]).to.deep.equal([2, 1]);
    const app = [...again.applications.values()][0]!;
    expect([app.name, app.version, app.mta!.counters.receivedMessages, app.mta!.counters.transmittedMessages]).to.deep.equal(['sendmail MTA on mx', 'Sendmail 8.17.1.9', 11, 7]);
  });
});
