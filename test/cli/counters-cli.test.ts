// `madman counters show|clear` on state directories written without SNMP: Postfix
// groups (their imsimta counters, zeroed by a clear the source applies), a clear asked
// for while no agent runs (shown as pending, applied when the agent starts), the
// command's errors, and the sunMta configuration keys.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { countersClear } from '../../src/cli/counters.js';
import { settingsFrom } from '../../src/config/config.js';
import { channelCountersOf } from '../../src/model/channel-counters.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { snapshotModel } from '../../src/model/persist.js';
import { SunLog } from '../../src/sources/sun-mta/apply.js';
import { isSunCheckpoint, SUN_CHECKPOINT, type SunMtaCheckpoint } from '../../src/sources/sun-mta/source.js';
import { Checkpoint } from '../../src/state/checkpoint.js';
import { ROOT, run, startTestAgent } from '../helpers/harness.js';
import { fixture, read } from '../unit/postfix-support.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const counters = (...args: string[]) => run('node', [CLI, 'counters', ...args]);

interface Shown {
  channel: string;
  source: string;
  since: string | null;
  counters: Record<string, { messages: number | null; recipients: number | null; blocks: number | null }>;
  inAssocs: number;
  clearPending: boolean;
}

describe('madman counters (state directory, no SNMP)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'madman-counters-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function savePostfix(model: MailSystem, log: ReturnType<typeof read>['log']): void {
    const cp = new Checkpoint(dir, 'postfix', (v): v is object => typeof v === 'object');
    cp.save({ version: 1, model: snapshotModel(model), log: log.snapshot() });
  }
  const json = async (): Promise<Shown[]> => {
    const r = await counters('show', '--state-dir', dir, '--json');
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as Shown[];
  };

  it('shows the Postfix groups\' imsimta counters from their checkpoint; a clear zeroes them once the source applies it', async () => {
    const lines = fixture('sample-3.7.log');
    const half = Math.floor(lines.length / 2);
    const { model, log } = read(lines.slice(0, half));
    savePostfix(model, log);
    // by hand, lines 1-10 of the fixture: two smtpd connections (lines 1, 8); one message
    // enqueued by smtpd (qmgr from= line 4: nrcpt=1, size=420 = 1 block): smtpd Submitted it,
    // local Received and Delivered it (line 6, delay=0.15: 0 s, at the first attempt); the
    // second message has no qmgr line yet
    const first = await json();
    expect(first.map((c) => [c.channel, c.source, c.inAssocs])).to.deep.equal([['smtpd', 'postfix', 2], ['local', 'postfix', 0]]);
    const [smtpd, local] = first;
    const none = { messages: 0, recipients: 0, blocks: 0 };
    const one = { messages: 1, recipients: 1, blocks: 1 };
    expect(smtpd!.counters).to.deep.equal({ received: none, stored: none, delivered: none, submitted: one, attempted: none, rejected: none, failed: none });
    expect(local!.counters).to.deep.equal({ received: one, stored: none, delivered: one, submitted: none, attempted: none, rejected: none, failed: none });
    const text = (await counters('show', '--state-dir', dir, '--channel', 'local')).stdout;
    expect(text).to.contain('   Delivered                    1          1          1 (1 first time)\n');
    expect(text).to.contain('   Queue time/count        0/1 = 0.00\n');

    const c = await counters('clear', '--state-dir', dir, '--wait', '0.3');
    expect(c.code).to.equal(0);
    expect(c.stdout).to.match(/^counters cleared at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(request 1\)\nthe agent has not applied it yet/);
    for (const shown of await json()) {
      expect(shown.counters.submitted, shown.channel).to.deep.equal(none);
      expect(shown.inAssocs).to.equal(0);
    }
    // the source applies it (as the agent does, src/state/counters-clear.ts), then reads on
    log.clearCounters(1, Date.now());
    for (const l of lines.slice(half)) log.line(l);
    savePostfix(model, log);
    // lines 11-20 after the clear: messages 2 and 3 enqueued (qmgr lines 12, 18) and delivered
    // (local lines 13, 20), one more connection (line 15)
    const after = await json();
    expect(after.map((c) => [c.channel, c.inAssocs, c.clearPending])).to.deep.equal([['smtpd', 1, false], ['local', 0, false]]);
    const two = { messages: 2, recipients: 2, blocks: 2 };
    expect(after.map((c) => [c.counters.submitted, c.counters.received, c.counters.delivered, c.counters.stored])).to.deep.equal([
      [two, none, none, none],
      [none, two, two, none],
    ]);
    // a second clear is request 2
    expect((await counters('clear', '--state-dir', dir, '--wait', '0')).stdout).to.contain('(request 2)');
  });

  it('a clear while no agent runs is shown as pending (zeros) and applied when the agent starts', async () => {
    const model = new MailSystem();
    const slog = new SunLog(model, 'stopped MTA');
    slog.line('01-Mar-2026 10:00:00.00 tcp_local ims-ms E 4 a@b rfc822;u@s u@ims-ms-daemon');
    const cp = new Checkpoint<SunMtaCheckpoint>(dir, SUN_CHECKPOINT, isSunCheckpoint);
    cp.save({ version: 1, model: snapshotModel(model), log: slog.snapshot() });
    const c = await counters('clear', '--state-dir', dir, '--wait', '0.3');
    expect(c.stdout).to.contain('the agent has not applied it yet: it will when it runs');
    const text = (await counters('show', '--state-dir', dir, '--channel', 'ims-ms')).stdout;
    expect(text).to.match(/^stopped MTA \(sun-mta\): counters since .* \(clear pending: the agent applies it when it runs\)\n/);
    expect(text).to.contain('   Received                     0          0          0\n');

    const logFile = path.join(dir, 'mail.log_current');
    writeFileSync(logFile, '');
    const agent = await startTestAgent({ stateDir: dir, settings: { sunMta: { log: logFile } } });
    try {
      const ims = [...channelCountersOf(agent.model).values()].find((x) => x.name === 'ims-ms')!;
      expect(ims.values.received).to.deep.equal({ messages: 0, recipients: 0, blocks: 0 });
      expect(ims.values.stored).to.deep.equal({ messages: 0, recipients: 0, blocks: 0 });
    } finally {
      await agent.stop();
    }
    expect(cp.load()!.log.clearSeq).to.equal(1);
    expect((await counters('show', '--state-dir', dir)).stdout).not.to.contain('pending');
  });

  it('says what is wrong: no counters, no state directory, a bad --wait, a bad config file (exit 2)', async () => {
    const none = await counters('show', '--state-dir', dir);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.equal(`madman: no channel counters in ${dir} (is it the --state-dir of an agent reading a Postfix or Sun MTA or Sendmail or Exim log?)\n`);
    const gone = await counters('clear', '--state-dir', path.join(dir, 'nosuch'));
    expect([gone.code, gone.stderr]).to.deep.equal([1, `madman: no state directory ${path.join(dir, 'nosuch')}\n`]);
    const wait = await counters('clear', '--state-dir', dir, '--wait', 'soon');
    expect([wait.code, wait.stderr]).to.deep.equal([2, 'madman: --wait takes a number of seconds\n']);
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'stateDir: [1]\n');
    const conf = await counters('show', '--config', bad);
    expect([conf.code, conf.stderr]).to.deep.equal([2, `madman: bad configuration: ${bad}:1: stateDir: must be string\n`]);
  });

  it('clear: a damaged Sun MTA checkpoint is named, exit 1, no stack trace', async () => {
    const file = path.join(dir, `${SUN_CHECKPOINT}.json`);
    writeFileSync(file, '{"model": [');
    const r = await counters('clear', '--state-dir', dir, '--wait', '0.3');
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/^counters cleared at .* \(request 1\)\n$/);
    expect(r.stderr).to.match(new RegExp(`^madman: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*JSON.*\n$`));
    // the command itself returns the exit code (it used to reject and rely on main's catch-all)
    const said: string[] = [];
    const [err, out] = [process.stderr.write.bind(process.stderr), process.stdout.write.bind(process.stdout)];
    process.stderr.write = ((s: string) => said.push(s) > 0) as typeof process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    let code: number;
    try {
      code = await countersClear({ stateDir: dir, wait: '0.3' });
    } finally {
      process.stderr.write = err;
      process.stdout.write = out;
    }
    expect([code, said.length]).to.deep.equal([1, 1]);
    expect(said[0]).to.match(/: .*JSON/);
  });

  it('checks the sunMta configuration keys (exit 2 naming key and line)', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'listen:\n  - udp:127.0.0.1:1161\nsunMta:\n  log: /var/log/mail.log_current\n  lgo: x\n');
    const r = await run('node', [CLI, 'agent', '--check-config', bad]);
    expect([r.code, r.stderr]).to.deep.equal([2, `madman: bad configuration: ${bad}:5: sunMta.lgo: unknown key\n`]);
    const missing = path.join(dir, 'missing.yaml');
    writeFileSync(missing, 'sunMta:\n  application: x\n');
    const m = await run('node', [CLI, 'agent', '--check-config', missing]);
    expect([m.code, m.stderr]).to.deep.equal([2, `madman: bad configuration: ${missing}:2: sunMta: must have required property 'log'\n`]);
  });

  it('resolves sunMta.log against the config file; --sun-mta-log overrides it and keeps the application name', () => {
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, 'sunMta:\n  log: log/mail.log_current\n  application: msg MTA on mail1\n');
    expect(settingsFrom({ config: good }).sunMta).to.deep.equal({ log: path.join(dir, 'log/mail.log_current'), application: 'msg MTA on mail1' });
    expect(settingsFrom({ config: good, sunMtaLog: '/x/mail.log_current' }).sunMta).to.deep.equal({ log: '/x/mail.log_current', application: 'msg MTA on mail1' });
    expect(settingsFrom({ sunMtaLog: 'rel.log' }).sunMta).to.deep.equal({ log: path.resolve('rel.log') });
    expect(settingsFrom({})).not.to.have.property('sunMta');
  });
});
