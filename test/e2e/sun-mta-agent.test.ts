// The agent with the Sun MTA source on the fixture log, split across a dated file,
// mail.log_yesterday and mail.log_current (a --from-start backfill): the counters over
// SNMP with the real snmptable/snmpget, `madman counters show` against a golden file
// (state directory from the config file), a clear while the agent runs (the negative
// minimum then), a rotation by rename, and a restart that resumes exactly.

import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { settingsFrom } from '../../src/config/config.js';
import { MIB_OPTS, ROOT, run, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const FIXTURE = readFileSync(path.join(ROOT, 'test/fixtures/sun-mta/mail.log_current'), 'utf8').trimEnd().split('\n');
const GOLDEN = path.join(ROOT, 'test/fixtures/sun-mta/counters-show.golden');

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function get(target: string, ...oids: string[]): Promise<string[]> {
  const r = await snmp('snmpget', [...MIB_OPTS, '-Oqv', target, ...oids]);
  expect(r.code, r.stderr).to.equal(0);
  return r.stdout.trimEnd().split('\n');
}

describe('Sun MTA source in the agent (e2e)', function () {
  this.timeout(60_000);
  let dir: string;
  let config: string;
  let agent: TestAgent | undefined;
  const log = () => path.join(dir, 'mail.log_current');
  const start = async () => {
    const s = settingsFrom({ config });
    agent = await startTestAgent({ stateDir: s.stateDir, settings: { sunMta: s.sunMta, fromStart: true } });
    return agent;
  };
  const input = () => [...agent!.model.inputs.values()].find((i) => i.name === 'sun-mta log')!;
  const show = (...args: string[]) => run('node', [CLI, 'counters', ...args]);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-sun-'));
    config = path.join(dir, 'madman.yaml');
    writeFileSync(config, 'stateDir: state\nsunMta:\n  log: mail.log_current\n  application: msg-test MTA on golden\n');
    const file = (name: string, lines: string[], mtime: number) => {
      writeFileSync(path.join(dir, name), lines.map((l) => `${l}\n`).join(''));
      utimesSync(path.join(dir, name), mtime, mtime);
    };
    const now = Date.now() / 1000;
    file('mail.log_20261129', FIXTURE.slice(0, 10), now - 300);
    file('mail.log_yesterday', FIXTURE.slice(10, 25), now - 200);
    file('mail.log_current', FIXTURE.slice(25), now - 100);
    // the cumulative mail.log repeats the others; a compressed one cannot be read: neither is
    file('mail.log', FIXTURE, now - 400);
    file('mail.log_20261128.gz', ['not gzip'], now - 500);
    await start();
    await until('the backfill and the current file', () => input().lines === FIXTURE.length);
  });

  after(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the counters of every channel over SNMP (madmanChannelCounterTable, madmanChannelTable, MTA-MIB)', async () => {
    const t = agent!.target;
    const r = await snmp('snmptable', [...MIB_OPTS, '-Ci', '-Cf', ',', '-CH', t, 'madmanChannelCounterTable']);
    expect(r.code, r.stderr).to.equal(0);
    const rows = r.stdout.split('\n').filter((l) => /^1\.\d\./.test(l));
    expect(rows.filter((l) => l.startsWith('1.1.') || l.startsWith('1.3.'))).to.deep.equal([
      '1.1.received,2,5,7,0,0,0,2,5,7',
      '1.1.stored,0,2,0,0,0,0,0,2,0', // Received - Delivered; the R and K recipients are Failed
      '1.1.delivered,2,3,7,0,0,0,2,3,7',
      '1.1.submitted,4,6,14,0,0,0,4,6,14',
      '1.1.attempted,2,3,10,0,0,0,2,3,10',
      '1.1.rejected,2,3,1,0,0,0,2,3,1',
      '1.1.failed,2,2,7,0,0,0,2,2,7',
      '1.3.received,3,4,9,0,0,0,3,4,9',
      '1.3.stored,-1,0,-4,-1,0,-4,0,0,0',
      '1.3.delivered,4,4,13,0,0,0,4,4,13',
      '1.3.submitted,0,0,0,0,0,0,0,0,0',
      '1.3.attempted,1,1,3,0,0,0,1,1,3',
      '1.3.rejected,0,0,0,0,0,0,0,0,0',
      '1.3.failed,0,0,0,0,0,0,0,0,0',
    ]);
    expect(rows).to.have.length(28);
    expect(
      await get(t, 'madmanChannelName.1.1', 'madmanChannelDeliveredFirstTime.1.1', 'madmanChannelQueueTime.1.1', 'madmanChannelQueueCount.1.1', 'madmanChannelInAssocs.1.1', 'madmanChannelOutAssocs.1.1'),
    ).to.deep.equal(['tcp_local', '1', '3611 seconds', '2', '3', '2']);
    expect(
      await get(t, 'applName.1', 'mtaGroupName.1.1', 'mtaGroupReceivedMessages.1.1', 'mtaGroupTransmittedMessages.1.1', 'mtaGroupRejectedMessages.1.1', 'mtaGroupStoredMessages.1.3'),
    ).to.deep.equal(['msg-test MTA on golden', 'tcp_local', '2', '2', '2', '0']);
    // J records: permanent, inbound, with the detail code; Q and Z: temporary, outbound
    expect(
      await get(t, 'mtaGroupInboundErrorCount.1.1.5001001', 'mtaGroupInboundErrorCount.1.1.5000000', 'mtaGroupOutboundErrorCount.1.1.4000000', 'mtaGroupOutboundErrorCount.1.1.4002001', 'mtaGroupOutboundErrorCount.1.3.4002002'),
    ).to.deep.equal(['2', '3', '3', '1', '1']);
    expect(await get(t, 'madmanSourceName.1', 'madmanSourceLines.1', 'madmanSourceUnparsedLines.1')).to.deep.equal(['sun-mta log', String(FIXTURE.length), '5']);
  });

  it('`madman counters show` prints the imsimta layout (golden file), one channel, and JSON', async () => {
    const r = await show('show', '--config', config);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(readFileSync(GOLDEN, 'utf8'));
    const one = await show('show', '--config', config, '--channel', 'conversion');
    expect(one.stdout.split('\n').filter((l) => /^\S/.test(l) && !l.startsWith('-'))).to.deep.equal([
      'msg-test MTA on golden (sun-mta): counters since 2026-11-29 10:00:00',
      'Channel                Messages   Recipients Blocks',
      'conversion',
    ]);
    const j = await show('show', '--state-dir', path.join(dir, 'state'), '--channel', 'ims-ms', '--json');
    const [ims] = JSON.parse(j.stdout) as Array<Record<string, unknown>>;
    expect(ims).to.deep.include({ channel: 'ims-ms', source: 'sun-mta', clearPending: false, deliveredFirstTime: 2, inAssocs: 0 });
    expect(ims!.counters).to.deep.include({ stored: { messages: -1, recipients: 0, blocks: -4 } });
    expect(ims!.absolute).to.deep.equal({ stored: { messages: 0, recipients: 0, blocks: 0 } });
    const none = await show('show', '--config', config, '--channel', 'nosuch');
    expect([none.code, none.stderr]).to.deep.equal([1, `madman: no channel nosuch in ${path.join(dir, 'state')}\n`]);
  });

  it('`madman counters clear` while the agent runs: zeroed within a second; then Stored goes negative', async () => {
    const before = Date.now();
    const c = await show('clear', '--config', config);
    expect(c.code, c.stderr).to.equal(0);
    expect(c.stdout).to.match(/^counters cleared at .* \(request 1\)\nthe agent has applied it\n$/);
    const t = agent!.target;
    expect(await get(t, 'madmanChannelCounterMessages.1.1.received', 'madmanChannelInAssocs.1.1', 'madmanChannelQueueCount.1.3')).to.deep.equal(['0', '0', '0']);
    const j = JSON.parse((await show('show', '--config', config, '--channel', 'ims-ms', '--json')).stdout) as Array<{ since: string }>;
    expect(Date.parse(j[0]!.since)).to.be.within(before - 1000, Date.now());
    // the postmaster copy queued in ims-ms before the clear is delivered after it
    appendFileSync(log(), '29-Nov-2026 18:00:00.00 ims-ms D 3 <> rfc822;postmaster@siroe.com postmaster@ims-ms-daemon\n');
    await until('the delivery', async () => (await get(t, 'madmanChannelCounterMessages.1.3.delivered'))[0] === '1');
    expect(
      await get(t, 'madmanChannelCounterMessages.1.3.stored', 'madmanChannelCounterMinMessages.1.3.stored', 'madmanChannelCounterAbsMessages.1.3.stored', 'madmanChannelCounterBlocks.1.3.stored'),
    ).to.deep.equal(['-1', '-1', '0', '-3']);
    // MTA-MIB counters never go back
    expect(await get(t, 'mtaGroupTransmittedMessages.1.3')).to.deep.equal(['5']);
    // show reads the checkpoint, which is written up to a second after the line was applied
    let s = await show('show', '--config', config, '--channel', 'ims-ms');
    await until('the checkpoint with the delivery', async () => (s = await show('show', '--config', config, '--channel', 'ims-ms')).stdout.includes('   Delivered                    1'));
    expect(s.stdout).to.contain('   Stored                      -1         -1         -3\n');
    expect(s.stdout).to.contain('   Absolute values (current less the lowest since counting began or the last clear):\n   Stored                       0          0          0\n');
  });

  it('follows a rotation by rename, and resumes after a restart without losing or repeating a line', async () => {
    const t = () => agent!.target;
    renameSync(log(), path.join(dir, 'mail.log_yesterday'));
    writeFileSync(log(), '29-Nov-2026 23:59:59.00 tcp_local ims-ms E 2 a@b.example rfc822;u@siroe.com u@ims-ms-daemon\n');
    await until('the new file', async () => (await get(t(), 'madmanChannelCounterMessages.1.3.received'))[0] === '1');
    await agent!.stop();
    agent = undefined;
    appendFileSync(log(), '30-Nov-2026 00:00:01.00 tcp_local ims-ms E 2 c@d.example rfc822;v@siroe.com v@ims-ms-daemon\n');
    await start();
    await until('the line written while down', async () => (await get(t(), 'madmanChannelCounterMessages.1.3.received'))[0] === '2');
    expect(await get(t(), 'madmanChannelCounterMessages.1.3.stored', 'mtaGroupReceivedMessages.1.3', 'madmanSourceLines.1')).to.deep.equal([
      '1',
      '5',
      String(FIXTURE.length + 3),
    ]);
  });
});
