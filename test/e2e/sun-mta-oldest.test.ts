// The oldest queued message of each Sun MTA channel over SNMP, with the real snmpget:
// the agent reads the queue fixture (test/fixtures/sun-mta/queue.log, its day moved to
// yesterday so that the ages stay well inside TimeInterval), serves mtaGroupStored* and
// mtaGroupOldestMessageStored/Id, keeps them across a restart (from the checkpoint: the
// second agent does not read the log from its start), and moves on as messages leave.
//
// An age depends on the clock when the request was answered: it is checked between the
// values at the times just before and after the request, and the difference of two
// channels' ages in one response (same clock) exactly.

import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MIB_OPTS, ROOT, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = new Date(Date.now() - 24 * 3600 * 1000);
const DAY_TEXT = `${String(DAY.getDate()).padStart(2, '0')}-${MONTHS[DAY.getMonth()]}-${DAY.getFullYear()}`;
/** the log's local time, yesterday */
const at = (h: number, m: number, s = 0, ms = 0) => new Date(DAY.getFullYear(), DAY.getMonth(), DAY.getDate(), h, m, s, ms).getTime();
const yesterday = (lines: string[]) => lines.map((l) => `${l.replace('29-Nov-2026', DAY_TEXT)}\n`).join('');
const QUEUE = readFileSync(path.join(ROOT, 'test/fixtures/sun-mta/queue.log'), 'utf8').trimEnd().split('\n');

// channels in the order the log names them: 1 tcp_intranet, 2 tcp_local, 3 ims-ms
const COLUMNS = ['mtaGroupStoredMessages', 'mtaGroupStoredRecipients', 'mtaGroupStoredVolume', 'mtaGroupOldestMessageStored', 'mtaGroupOldestMessageId'];

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Reading {
  before: number;
  after: number;
  /** the COLUMNS of groups 1, 2, 3, then mtaStoredMessages */
  rows: string[][];
  stored: string;
}

describe('Sun MTA oldest queued message over SNMP (e2e)', function () {
  this.timeout(60_000);
  let dir: string;
  let agent: TestAgent | undefined;
  const log = () => path.join(dir, 'mail.log_current');
  const start = async (fromStart: boolean) => {
    agent = await startTestAgent({ stateDir: path.join(dir, 'state'), settings: { sunMta: { log: log(), application: 'queue MTA' }, fromStart } });
  };
  const lines = () => [...agent!.model.inputs.values()].find((i) => i.name === 'sun-mta log')!.lines;

  /** One snmpget of every column of the three groups and mtaStoredMessages. */
  const read = async (): Promise<Reading> => {
    const oids = [1, 2, 3].flatMap((g) => COLUMNS.map((c) => `${c}.1.${g}`));
    const before = Date.now();
    const r = await snmp('snmpget', [...MIB_OPTS, '-OqvU', agent!.target, ...oids, 'mtaStoredMessages.1']);
    const after = Date.now();
    expect(r.code, r.stderr).to.equal(0);
    const v = r.stdout.trimEnd().split('\n');
    expect(v).to.have.length(16);
    return { before, after, rows: [0, 1, 2].map((g) => v.slice(g * 5, g * 5 + 5)), stored: v[15]! };
  };
  /** mtaGroupOldestMessageStored of a message enqueued at `t`, in centiseconds, as the agent's clock allows */
  const expectAge = (got: string, t: number, r: Reading) => {
    expect(Number(got)).to.be.within(Math.floor((r.before - t) / 10), Math.floor((r.after - t) / 10));
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-sunq-'));
    writeFileSync(log(), yesterday(QUEUE));
    await start(true);
    await until('the fixture', () => lines() === QUEUE.length);
  });

  after(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** tcp_local's oldest is ZZb2 (09:05:00.50, file name only), ims-ms's m3 (09:10:00.00) */
  const atFixtureEnd = (r: Reading) => {
    expect([r.rows[0], r.rows[1]![0], r.rows[1]![1], r.rows[1]![2], r.rows[1]![4], r.rows[2]![0], r.rows[2]![1], r.rows[2]![2], r.rows[2]![4], r.stored]).to.deep.equal([
      ['0', '0', '0', '0', ''],
      '2', // ZZb2 and w@'s message; m1 left with y@'s R
      '2',
      '5', // 4 + 1 blocks of 1024 octets, in K
      '/var/queue/tcp_local/000/ZZb2.00',
      '1',
      '1',
      '1',
      '<m3@far.example>',
      '3',
    ]);
    expectAge(r.rows[1]![3]!, at(9, 5, 0, 500), r);
    expectAge(r.rows[2]![3]!, at(9, 10), r);
    // 09:10:00.00 - 09:05:00.50, on one clock
    expect(Number(r.rows[1]![3]) - Number(r.rows[2]![3])).to.equal(29950);
  };

  it('serves the stored gauges and the oldest message of each channel', async () => {
    atFixtureEnd(await read());
  });

  it('keeps them across a restart (from the checkpoint)', async () => {
    await agent!.stop();
    agent = undefined;
    await start(false);
    expect(lines()).to.equal(QUEUE.length);
    atFixtureEnd(await read());
  });

  it('moves on when the oldest is delivered, to none when the channel holds nothing', async () => {
    appendFileSync(log(), yesterday(['29-Nov-2026 10:10:00.00 tcp_local DE 4 b@siroe.com rfc822;z@far.example z@far.example /var/queue/tcp_local/000/ZZb2.00 far.example dns;mx.far.example smtp;250 2.1.5 Ok']));
    await until('the delivery', () => lines() === QUEUE.length + 1);
    let r = await read();
    // w@'s message (09:20:00, neither file name nor Message-ID logged): its id is empty
    expect([r.rows[1]![0], r.rows[1]![1], r.rows[1]![2], r.rows[1]![4], r.rows[2]![4], r.stored]).to.deep.equal(['1', '1', '1', '', '<m3@far.example>', '2']);
    expectAge(r.rows[1]![3]!, at(9, 20), r);
    expect(Number(r.rows[2]![3]) - Number(r.rows[1]![3])).to.equal(60000);

    appendFileSync(
      log(),
      yesterday([
        '29-Nov-2026 10:20:00.00 tcp_local DE 1 d@siroe.com rfc822;w@far.example w@far.example far.example dns;mx.far.example smtp;250 2.1.5 Ok',
        '29-Nov-2026 10:25:00.00 ims-ms K 1 c@far.example rfc822;u@siroe.com u@ims-ms-daemon <m3@far.example> 550 5.2.1 mailbox disabled',
      ]),
    );
    await until('the last two lines', () => lines() === QUEUE.length + 3);
    r = await read();
    expect([...r.rows, r.stored]).to.deep.equal([
      ['0', '0', '0', '0', ''],
      ['0', '0', '0', '0', ''],
      ['0', '0', '0', '0', ''],
      '0',
    ]);
  });
});
