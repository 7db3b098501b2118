// The Sun MTA log fixture (test/fixtures/sun-mta/mail.log_current) through SunLog: the
// imsimta counters of every channel, the MTA-MIB mapping and the error table, computed by
// hand from the fixture; a clear and the negative minimum; a restart after any line.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { absolute, channelCountersOf, type ChannelCounters } from '../../src/model/channel-counters.js';
import { MAX_ERROR_ROWS, MailSystem } from '../../src/model/mail-system.js';
import { restoreModel, snapshotModel } from '../../src/model/persist.js';
import { MAX_CHANNELS, SunLog, type SunLogState } from '../../src/sources/sun-mta/apply.js';
import { ROOT } from '../helpers/harness.js';

const LINES = readFileSync(path.join(ROOT, 'test/fixtures/sun-mta/mail.log_current'), 'utf8').split('\n');

/** Feeds `lines`; `unparsed` counts those line() did not understand (what a LogSource counts). */
function read(lines: string[]) {
  const model = new MailSystem();
  const log = new SunLog(model, 'test MTA');
  let unparsed = 0;
  for (const l of lines) if (!log.line(l)) unparsed++;
  return { model, log, unparsed };
}

function byName(model: MailSystem): Map<string, ChannelCounters> {
  return new Map([...channelCountersOf(model).values()].map((c) => [c.name, c]));
}

const t = (m: number, r: number, b: number) => ({ messages: m, recipients: r, blocks: b });

describe('SunLog: the fixture log', () => {
  const { model, log, unparsed } = read(LINES);
  const c = byName(model);
  const ch = (name: string) => [...log.app.mta!.channels.values()].find((x) => x.name === name)!;

  it('counts lines, records by action, and the lines it skipped by reason', () => {
    expect(LINES.length).to.equal(51);
    expect(unparsed).to.equal(5);
    expect(log.stats).to.deep.equal({
      records: 44,
      actions: { O: 6, E: 11, C: 5, D: 9, Q: 3, R: 1, J: 3, X: 1, Y: 1, Z: 1, W: 1, K: 1, B: 1 },
      unparsed: { 'unknown action': 2, truncated: 2, 'bad date': 1 },
    });
    expect(log.unparsed()).to.equal(5);
  });

  it('tcp_local: an SMTP channel with both halves, rejections, failures and retries', () => {
    const x = c.get('tcp_local')!;
    // Stored = Received - Delivered: (2, 5, 7) - (2, 3, 7); the two recipients that failed
    // (nobody@ R line 20, r2@ K line 41) count in Failed, not as leaving Stored
    expect(x.values).to.deep.equal({
      received: t(2, 5, 7),
      stored: t(0, 2, 0),
      delivered: t(2, 3, 7),
      submitted: t(4, 6, 14),
      attempted: t(2, 3, 10),
      rejected: t(2, 3, 1),
      failed: t(2, 2, 7),
    });
    expect([x.deliveredFirstTime, x.queueSeconds, x.queueCount, x.queueFirstSeconds, x.queueFirstCount]).to.deep.equal([1, 3611, 2, 10, 1]);
    expect([x.inAssocs, x.outAssocs]).to.deep.equal([3, 2]);
  });

  it('conversion: a pass-through channel (the message crosses it into ims-ms)', () => {
    const x = c.get('conversion')!;
    expect([x.values.received, x.values.delivered, x.values.submitted, x.values.stored]).to.deep.equal([t(1, 2, 3), t(1, 2, 3), t(1, 2, 3), t(0, 0, 0)]);
    expect([x.deliveredFirstTime, x.queueSeconds, x.queueCount, x.queueFirstSeconds, x.queueFirstCount]).to.deep.equal([1, 4, 1, 4, 1]);
  });

  it('ims-ms: the bounce notifications, a retry, and a message queued before counting began', () => {
    const x = c.get('ims-ms')!;
    // Stored = Received - Delivered = (3, 4, 9) - (4, 4, 13): eve@'s message (line 50) was
    // queued before counting began. Its lowest point: -1 message after bob@'s D (line 11),
    // 0 recipients, -4 blocks at the end; the absolute value is 0 throughout
    expect(x.values).to.deep.equal({
      received: t(3, 4, 9),
      stored: t(-1, 0, -4),
      delivered: t(4, 4, 13),
      submitted: t(0, 0, 0),
      attempted: t(1, 1, 3),
      rejected: t(0, 0, 0),
      failed: t(0, 0, 0),
    });
    expect(x.minimum.stored).to.deep.equal(t(-1, 0, -4));
    expect(absolute(x, 'stored')).to.deep.equal(t(0, 0, 0));
    // whole seconds per delivery: marlowe 10:00:05 -> :06 = 1 (first), bob 10:00:05 -> 10:30:06 =
    // 1801 (after a Q), the bounce's marlowe 11:00:12.50 -> 11:00:13.00 = 13 - 12 = 1 (first)
    expect([x.deliveredFirstTime, x.queueSeconds, x.queueCount, x.queueFirstSeconds, x.queueFirstCount]).to.deep.equal([2, 1803, 3, 2, 2]);
  });

  it('tcp_intranet: submission only', () => {
    const x = c.get('tcp_intranet')!;
    expect(x.values.submitted).to.deep.equal(t(1, 3, 2));
    expect([x.inAssocs, x.outAssocs]).to.deep.equal([1, 0]);
  });

  it('maps to MTA-MIB: group counters, associations and the error table', () => {
    const tl = ch('tcp_local');
    expect([tl.receivedMessages, tl.receivedRecipients, tl.receivedVolume]).to.deep.equal([2, 5, 7 * 1024]);
    expect([tl.transmittedMessages, tl.transmittedRecipients, tl.transmittedVolume]).to.deep.equal([2, 3, 7 * 1024]);
    expect([tl.storedMessages, tl.rejectedMessages]).to.deep.equal([0, 2]);
    expect([tl.accumulatedInboundAssociations, tl.accumulatedOutboundAssociations, tl.inboundAssociations, tl.outboundAssociations]).to.deep.equal([3, 2, 1, 0]);
    expect([tl.rejectedInboundAssociations, tl.failedOutboundAssociations]).to.deep.equal([1, 1]);
    expect(tl.protocol).to.deep.equal({ transport: 'tcp', port: 25 });
    expect(Object.fromEntries(tl.errors)).to.deep.equal({
      '5.0.0': { inbound: 3, internal: 0, outbound: 2 },
      '5.1.1': { inbound: 2, internal: 0, outbound: 1 },
      '4.0.0': { inbound: 0, internal: 0, outbound: 3 },
      '4.2.1': { inbound: 0, internal: 0, outbound: 1 },
      '5.7.1': { inbound: 0, internal: 0, outbound: 1 },
    });
    expect(Object.fromEntries(ch('ims-ms').errors)).to.deep.equal({
      '4.0.0': { inbound: 0, internal: 0, outbound: 1 },
      '4.2.2': { inbound: 0, internal: 0, outbound: 1 },
    });
    expect([ch('ims-ms').transmittedMessages, ch('ims-ms').storedMessages, ch('ims-ms').storedVolume]).to.deep.equal([4, 0, 0]);
    const a = [...log.app.associations.values()];
    expect(a.map((x) => [x.remoteApplication, x.type, x.channel])).to.deep.equal([['198.51.100.77', 'peerresponder', tl.index]]);
    expect(log.app.mta!.counters).to.deep.include({ receivedMessages: 6, receivedRecipients: 11, transmittedMessages: 7, transmittedRecipients: 9 });
  });
});

describe('SunLog: clear and the negative minimum', () => {
  it('a message queued at the clear takes Stored below zero as it leaves; the absolute value stays right', () => {
    const { model, log } = read([
      '01-Mar-2026 10:00:00.00 tcp_local ims-ms E 4 a@b rfc822;u@s u@ims-ms-daemon /q/1',
      '01-Mar-2026 10:00:00.00 tcp_local ims-ms E 4 a@b rfc822;v@s v@ims-ms-daemon /q/1',
    ]);
    const at = new Date(2026, 2, 1, 10, 5).getTime();
    log.clear(1, at);
    const x = byName(model).get('ims-ms')!;
    expect([x.values.stored, x.since, log.clearSeq]).to.deep.equal([t(0, 0, 0), at, 1]);
    log.line('01-Mar-2026 10:10:00.00 ims-ms D 4 a@b rfc822;u@s u@ims-ms-daemon /q/1');
    log.line('01-Mar-2026 10:10:00.00 ims-ms D 4 a@b rfc822;v@s v@ims-ms-daemon /q/1');
    expect(x.values.stored).to.deep.equal(t(-1, -2, -4));
    expect(x.values.delivered).to.deep.equal(t(1, 2, 4));
    log.line('01-Mar-2026 10:20:00.00 tcp_local ims-ms E 2 a@b rfc822;w@s w@ims-ms-daemon /q/2');
    expect(x.values.stored).to.deep.equal(t(0, -1, -2));
    expect(x.minimum.stored).to.deep.equal(t(-1, -2, -4));
    expect(absolute(x, 'stored')).to.deep.equal(t(1, 1, 2));
    // the queue time of messages enqueued before the clear still counts (600 s, first time)
    expect([x.queueSeconds, x.queueCount, x.deliveredFirstTime]).to.deep.equal([600, 1, 1]);
    // MTA-MIB's counters do not go back
    const g = [...log.app.mta!.channels.values()].find((c) => c.name === 'ims-ms')!;
    expect([g.receivedMessages, g.transmittedMessages, g.storedMessages]).to.deep.equal([2, 1, 1]);
  });
});

describe('SunLog: bad input', () => {
  it('a log naming channels without end gets MAX_CHANNELS groups; the lines past the cap are counted and skipped', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `01-Mar-2026 00:00:00.00 tcp_local ch${i} E 1 a@b rfc822;c${i}@d c${i}@d`);
    const { model, log, unparsed } = read(lines);
    expect(log.app.mta!.channels.size).to.equal(MAX_CHANNELS);
    expect(channelCountersOf(model).byChannel.size).to.equal(MAX_CHANNELS);
    expect(unparsed).to.equal(45);
    expect(log.stats).to.deep.equal({ records: 255, actions: { E: 255 }, unparsed: { 'channel limit': 45 } });
    expect(byName(model).get('tcp_local')!.values.submitted).to.deep.equal(t(255, 255, 255));
  });
});

describe('SunLog: error table cap', () => {
  it('a channel keeps at most MAX_ERROR_ROWS codes; later new codes count in their class total only', () => {
    const lines = Array.from(
      { length: 400 },
      (_, i) => `01-Mar-2026 00:00:00.00 tcp_local Q 1 a@b rfc822;c@d c@d <m${i}@b> 452 4.${Math.floor(i / 100) + 1}.${i % 100} busy`,
    );
    const { log } = read(lines);
    const errors = [...log.app.mta!.channels.values()].find((x) => x.name === 'tcp_local')!.errors;
    // 4.0.0 + 4.1.0-99 + 4.2.0-99 + 4.3.0-54 = 1 + 100 + 100 + 55 = 256 rows
    expect([MAX_ERROR_ROWS, errors.size]).to.deep.equal([256, 256]);
    expect(errors.get('4.0.0')).to.deep.equal({ inbound: 0, internal: 0, outbound: 400 });
    expect(errors.get('4.3.54')).to.deep.equal({ inbound: 0, internal: 0, outbound: 1 });
    expect(errors.has('4.3.55')).to.equal(false);
    // a code already in the table still counts under itself
    log.line('01-Mar-2026 00:00:01.00 tcp_local Q 1 a@b rfc822;c@d c@d <n@b> 452 4.1.7 busy');
    expect([errors.get('4.1.7')!.outbound, errors.get('4.0.0')!.outbound, errors.size]).to.deep.equal([2, 401, 256]);
  });
});

describe('SunLog: checkpoints', () => {
  it('a restart after any line, into a model rebuilt from its checkpoint, ends with the same counters', () => {
    const whole = read(LINES);
    const expected = JSON.stringify([...channelCountersOf(whole.model).values()]);
    const expectedModel = JSON.stringify(snapshotModel(whole.model));
    for (let k = 0; k <= LINES.length; k++) {
      const first = read(LINES.slice(0, k));
      const state = JSON.parse(JSON.stringify(first.log.snapshot())) as SunLogState;
      const snap = JSON.parse(JSON.stringify(snapshotModel(first.model))) as ReturnType<typeof snapshotModel>;
      const model = new MailSystem();
      restoreModel(model, snap);
      const log = new SunLog(model, state.appName);
      log.restore(state);
      for (const l of LINES.slice(k)) log.line(l);
      expect(JSON.stringify([...channelCountersOf(model).values()]), `split after line ${k}`).to.equal(expected);
      expect(JSON.stringify(snapshotModel(model)), `split after line ${k}`).to.equal(expectedModel);
      expect(log.stats, `split after line ${k}`).to.deep.equal(whole.log.stats);
      expect([...log.app.associations.values()].map((a) => a.remoteApplication)).to.deep.equal(['198.51.100.77']);
    }
  });
});
