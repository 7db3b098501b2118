// `madman counters show|clear` on state directories written without SNMP: Postfix
// channels (their MTA-MIB counters less the baseline a clear records), a clear asked
// for while no agent runs (shown as pending, applied when the agent starts), the
// command's errors, and the sunMta configuration keys.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { countersClear } from '../../src/cli/counters.js';
import { settingsFrom } from '../../src/config/config.js';
import { channelCountersOf } from '../../src/model/channel-counters.js';
import { MailSystem, type Channel } from '../../src/model/mail-system.js';
import { snapshotModel } from '../../src/model/persist.js';
import { SunLog } from '../../src/sources/sun-mta/apply.js';
import { isSunCheckpoint, SUN_CHECKPOINT, type SunMtaCheckpoint } from '../../src/sources/sun-mta/index.js';
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
  const values = (ch: Channel) => ({
    received: { messages: ch.receivedMessages, recipients: ch.receivedRecipients, blocks: Math.ceil(ch.receivedVolume / 1024) },
    delivered: { messages: ch.transmittedMessages, recipients: ch.transmittedRecipients, blocks: Math.ceil(ch.transmittedVolume / 1024) },
    rejected: { messages: ch.rejectedMessages, recipients: null, blocks: null },
  });

  it('shows Postfix channels from their checkpoint; a clear records a baseline that later readings subtract', async () => {
    const lines = fixture('sample-3.7.log');
    const half = Math.floor(lines.length / 2);
    const { model, log } = read(lines.slice(0, half));
    savePostfix(model, log);
    const channels = () => [...[...model.applications.values()][0]!.mta!.channels.values()];
    const first = await json();
    expect(first.map((c) => c.channel)).to.deep.equal(channels().map((c) => c.name));
    for (const ch of channels()) {
      const shown = first.find((c) => c.channel === ch.name)!;
      expect(shown.source).to.equal('postfix');
      expect(shown.counters, ch.name).to.deep.include(values(ch));
      expect(shown.counters.submitted).to.deep.equal({ messages: null, recipients: null, blocks: null });
      expect(shown.inAssocs).to.equal(ch.accumulatedInboundAssociations);
    }
    const text = (await counters('show', '--state-dir', dir, '--channel', 'smtpd')).stdout;
    expect(text).to.contain('   Submitted                    -          -          -\n');
    expect(text).to.contain('   Queue time/count        -\n');

    const c = await counters('clear', '--state-dir', dir);
    expect(c.code).to.equal(0);
    expect(c.stdout).to.match(/^counters cleared at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(request 1\)\n$/);
    const before = new Map(channels().map((ch) => [ch.name, values(ch)]));
    for (const shown of await json()) {
      expect(shown.counters.received, shown.channel).to.deep.equal({ messages: 0, recipients: 0, blocks: 0 });
      expect(shown.inAssocs).to.equal(0);
    }
    for (const l of lines.slice(half)) log.line(l);
    savePostfix(model, log);
    const after = await json();
    for (const ch of channels()) {
      const now = values(ch);
      const was = before.get(ch.name) ?? { received: { messages: 0, recipients: 0, blocks: 0 } };
      const shown = after.find((x) => x.channel === ch.name)!;
      expect(shown.counters.received, ch.name).to.deep.equal({
        messages: now.received.messages - was.received.messages,
        recipients: now.received.recipients - was.received.recipients,
        blocks: now.received.blocks - was.received.blocks,
      });
    }
    expect(after.some((x) => x.counters.received!.messages! > 0)).to.equal(true);
    // a second clear is request 2
    expect((await counters('clear', '--state-dir', dir)).stdout).to.contain('(request 2)');
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
    expect(none.stderr).to.equal(`madman: no channel counters in ${dir} (is it the --state-dir of an agent reading a Sun MTA or Postfix log?)\n`);
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
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => said.push(s) > 0) as typeof process.stderr.write;
    let code: number;
    try {
      code = await countersClear({ stateDir: dir, wait: '0.3' });
    } finally {
      process.stderr.write = write;
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
