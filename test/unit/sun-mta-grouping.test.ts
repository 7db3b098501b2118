// One message is one message (issue 13 item 2): the per-recipient records of one operation
// on one message, spread over hundredths and seconds and interleaved with other messages'
// records (test/fixtures/sun-mta/interleaved.log), count the message and its blocks once.
// The expected values are worked out by hand from the fixture (line numbers L1..L16).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { channelCountersOf, type ChannelCounters } from '../../src/model/channel-counters.js';
import { MailSystem, type Channel } from '../../src/model/mail-system.js';
import { restoreModel, snapshotModel } from '../../src/model/persist.js';
import { SunLog } from '../../src/sources/sun-mta/apply.js';
import { WINDOW_MS } from '../../src/sources/sun-mta/operations.js';
import { ROOT } from '../helpers/harness.js';

const LINES = readFileSync(path.join(ROOT, 'test/fixtures/sun-mta/interleaved.log'), 'utf8').trimEnd().split('\n');
const t = (m: number, r: number, b: number) => ({ messages: m, recipients: r, blocks: b });

function read(lines: string[]) {
  const model = new MailSystem();
  const log = new SunLog(model, 'test MTA');
  for (const l of lines) log.line(l);
  return { model, log };
}

function counters(model: MailSystem): Map<string, ChannelCounters> {
  return new Map([...channelCountersOf(model).values()].map((c) => [c.name, c]));
}

function group(log: SunLog, name: string): Channel {
  return [...log.app.mta!.channels.values()].find((c) => c.name === name)!;
}

const traffic = (c: Channel) => ({
  received: [c.receivedMessages, c.receivedRecipients, c.receivedVolume / 1024],
  transmitted: [c.transmittedMessages, c.transmittedRecipients, c.transmittedVolume / 1024],
  stored: [c.storedMessages, c.storedRecipients, c.storedVolume / 1024],
});

describe('SunLog: a message\'s records spread and interleaved (one message is one message)', () => {
  const { model, log } = read(LINES);
  const c = counters(model);

  it('reads every line', () => {
    expect(log.stats.records).to.equal(16);
    expect(log.unparsed()).to.equal(0);
  });

  it('the enqueues: A (L1, L3, L6 over 1.27 s), B (L2, L5, L7 over 3.49 s), C (L4: other Message-ID), F (L15: 5.5 s after B), G (L16: F\'s recipient again)', () => {
    // tcp_intranet submitted A (3 recipients) and C (1), 2 blocks each
    expect(c.get('tcp_intranet')!.values.submitted).to.deep.equal(t(2, 4, 4));
    // tcp_local received A and C, submitted B (3 recipients), F and G, 4 blocks each
    expect(c.get('tcp_local')!.values.received).to.deep.equal(t(2, 4, 4));
    expect(c.get('tcp_local')!.values.submitted).to.deep.equal(t(3, 5, 12));
    expect(c.get('ims-ms')!.values.received).to.deep.equal(t(3, 5, 12));
  });

  it('the dequeues: B (L8, L10, L12 over 2.8 s), A (L9, L11; L13 a retry of r3), C (L14)', () => {
    const ims = c.get('ims-ms')!;
    expect(ims.values.delivered).to.deep.equal(t(1, 3, 4));
    // Received less Delivered: F and G, one recipient each
    expect(ims.values.stored).to.deep.equal(t(2, 2, 8));
    // B's first D (L8, u1 enqueued at 0.01 s): 5 - 0 = 5 s, at the first attempt
    expect([ims.deliveredFirstTime, ims.queueSeconds, ims.queueCount, ims.queueFirstSeconds, ims.queueFirstCount]).to.deep.equal([1, 5, 1, 5, 1]);
    const tcp = c.get('tcp_local')!;
    expect(tcp.values.delivered).to.deep.equal(t(2, 3, 4));
    expect(tcp.values.stored).to.deep.equal(t(0, 1, 0));
    expect(tcp.values.attempted).to.deep.equal(t(1, 1, 2));
    // A's first D (L9, r1 enqueued at 0.00): 5 s; C's (L14, r1 at 0.04): 8 s; both at the first attempt
    expect([tcp.deliveredFirstTime, tcp.queueSeconds, tcp.queueCount, tcp.queueFirstSeconds, tcp.queueFirstCount]).to.deep.equal([2, 13, 2, 13, 2]);
  });

  it('the same counts in mtaGroupTable and mtaTable', () => {
    expect(traffic(group(log, 'tcp_local'))).to.deep.equal({ received: [2, 4, 4], transmitted: [2, 3, 4], stored: [1, 1, 2] });
    expect(traffic(group(log, 'ims-ms'))).to.deep.equal({ received: [3, 5, 12], transmitted: [1, 3, 4], stored: [2, 2, 8] });
    expect(traffic(group(log, 'tcp_intranet'))).to.deep.equal({ received: [0, 0, 0], transmitted: [0, 0, 0], stored: [0, 0, 0] });
    const m = log.app.mta!.counters;
    expect([m.receivedMessages, m.receivedRecipients, m.receivedVolume / 1024]).to.deep.equal([5, 9, 16]);
    expect([m.transmittedMessages, m.transmittedRecipients, m.transmittedVolume / 1024]).to.deep.equal([3, 6, 8]);
    expect([m.storedMessages, m.storedRecipients, m.storedVolume / 1024]).to.deep.equal([3, 3, 10]);
  });

  it('records of one operation farther apart than the window are two messages, the window itself is one', () => {
    const at = (s: string) => `07-Dec-2026 10:00:${s} tcp_local    ims-ms     E 1 x@y.example rfc822;`;
    const gap = WINDOW_MS / 1000;
    const { model: m } = read([`${at('00.00')}a@siroe.com a@ims-ms-daemon`, `${at(`${String(gap).padStart(2, '0')}.00`)}b@siroe.com b@ims-ms-daemon`, `${at(`${String(2 * gap).padStart(2, '0')}.01`)}c@siroe.com c@ims-ms-daemon`]);
    expect(counters(m).get('ims-ms')!.values.received).to.deep.equal(t(2, 3, 2));
  });

  it('a restart after any line, from the checkpoint, ends with the same counts', () => {
    const want = { counters: [...c.values()].map((x) => structuredClone(x)), mta: snapshotModel(model) };
    for (let cut = 1; cut < LINES.length; cut++) {
      const a = read(LINES.slice(0, cut));
      const saved = JSON.parse(JSON.stringify({ model: snapshotModel(a.model), log: a.log.snapshot() }));
      const m2 = new MailSystem();
      restoreModel(m2, saved.model);
      const l2 = new SunLog(m2, 'test MTA');
      l2.restore(saved.log);
      for (const l of LINES.slice(cut)) l2.line(l);
      expect([...counters(m2).values()], `cut after line ${cut}`).to.deep.equal(want.counters);
      expect(snapshotModel(m2), `cut after line ${cut}`).to.deep.equal(want.mta);
    }
  });
});
