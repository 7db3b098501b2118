// Each Sun MTA channel's oldest queued message (mtaGroupOldestMessageStored/Id) from the
// queue fixture (test/fixtures/sun-mta/queue.log), worked out by hand: it moves on only
// when the oldest message's last recipient leaves (D, R, K; not Q), it survives a restart
// (and one from a checkpoint written before it was kept), and the queueage alarm reads it.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import { AlarmEngine } from '../../src/alarms/engine.js';
import { metricFor } from '../../src/alarms/metrics.js';
import { silentLogger } from '../../src/log.js';
import { MailSystem, type Channel } from '../../src/model/mail-system.js';
import { restoreModel, snapshotModel, type ModelSnapshot } from '../../src/model/persist.js';
import { SunLog, type SunLogState } from '../../src/sources/sun-mta/apply.js';
import { ROOT } from '../helpers/harness.js';

const FIXTURE = (name: string) => readFileSync(path.join(ROOT, 'test/fixtures/sun-mta', name), 'utf8').trimEnd().split('\n');
const QUEUE = FIXTURE('queue.log');
/** after the fixture: z@ (ZZb2) and w@ delivered from tcp_local, u@ (m3) returned from ims-ms */
const MORE = [
  '29-Nov-2026 10:10:00.00 tcp_local               DE 4 b@siroe.com rfc822;z@far.example z@far.example /var/queue/tcp_local/000/ZZb2.00 far.example dns;mx.far.example smtp;250 2.1.5 Ok',
  '29-Nov-2026 10:20:00.00 tcp_local               DE 1 d@siroe.com rfc822;w@far.example w@far.example far.example dns;mx.far.example smtp;250 2.1.5 Ok',
  '29-Nov-2026 10:25:00.00 ims-ms                  K 1 c@far.example rfc822;u@siroe.com u@ims-ms-daemon <m3@far.example> 550 5.2.1 mailbox disabled',
];
const ALL = [...QUEUE, ...MORE];
/** the log's local time on the fixture's day */
const at = (h: number, m: number, s = 0, ms = 0) => new Date(2026, 10, 29, h, m, s, ms).getTime();

function read(lines: string[]) {
  const model = new MailSystem();
  const log = new SunLog(model, 'test MTA');
  for (const l of lines) log.line(l);
  return { model, log };
}

const chan = (log: SunLog, name: string): Channel => [...log.app.mta!.channels.values()].find((c) => c.name === name)!;
/** [oldestMessageStoredAt, oldestMessageId] of tcp_local, ims-ms, tcp_intranet */
const oldest = (log: SunLog) => ['tcp_local', 'ims-ms', 'tcp_intranet'].map((n) => [chan(log, n)?.oldestMessageStoredAt, chan(log, n)?.oldestMessageId]);

const NONE = [undefined, ''];
const M1 = [at(9, 0), '<m1@siroe.com>'];
const ZZB2 = [at(9, 5, 0, 500), '/var/queue/tcp_local/000/ZZb2.00'];
const M3 = [at(9, 10), '<m3@far.example>'];
const W = [at(9, 20), '']; // neither file name nor Message-ID logged
/** oldest() after each line of ALL (index 0: before any) */
const EXPECTED = [
  [undefined, undefined, undefined].map(() => [undefined, undefined]),
  [M1, [undefined, undefined], NONE], // line 1 makes tcp_intranet and tcp_local
  [M1, [undefined, undefined], NONE],
  [M1, [undefined, undefined], NONE], // ZZb2 queues behind m1
  [M1, M3, NONE],
  [M1, M3, NONE], // w@ queues behind ZZb2
  [M1, M3, NONE], // x@ delivered: m1 still has y@ queued
  [M1, M3, NONE], // y@ retried (Q): still queued
  [ZZB2, M3, NONE], // y@ returned (R): m1 has left, ZZb2 is the oldest
  [W, M3, NONE], // MORE: ZZb2 delivered
  [NONE, M3, NONE], // w@ delivered: tcp_local holds nothing
  [NONE, NONE, NONE], // m3 returned (K)
];

describe('SunLog: the oldest queued message of each channel', () => {
  it('moves on only when the oldest message has no recipient left in the channel', () => {
    const model = new MailSystem();
    const log = new SunLog(model, 'test MTA');
    const seen = [oldest(log)];
    for (const l of ALL) {
      log.line(l);
      seen.push(oldest(log));
    }
    expect(seen).to.deep.equal(EXPECTED);
  });

  it('the stored gauges beside it at the end of the fixture', () => {
    const { log } = read(QUEUE);
    const g = (c: Channel) => [c.storedMessages, c.storedRecipients, c.storedVolume];
    // tcp_local: ZZb2 (4 blocks) and w@'s (1 block); m1 (2 blocks) left with y@'s R
    expect([g(chan(log, 'tcp_local')), g(chan(log, 'ims-ms')), g(chan(log, 'tcp_intranet'))]).to.deep.equal([
      [2, 2, 5 * 1024],
      [1, 1, 1024],
      [0, 0, 0],
    ]);
    expect(log.app.mta!.counters).to.deep.include({ storedMessages: 3, storedRecipients: 3, storedVolume: 6 * 1024 });
  });

  it('the main fixture ends with the postmaster bounce (no id logged) queued in ims-ms', () => {
    const { log } = read(FIXTURE('mail.log_current'));
    expect(oldest(log)).to.deep.equal([NONE, [at(11, 0, 18, 600), ''], NONE]);
    expect(chan(log, 'conversion').oldestMessageStoredAt).to.equal(undefined);
  });

  it('a restart after any line keeps it, and it moves on from there as without the restart', () => {
    for (let k = 0; k <= ALL.length; k++) {
      const first = read(ALL.slice(0, k));
      const { log } = restart(first.model, first.log);
      expect(oldest(log), `restart after line ${k}`).to.deep.equal(EXPECTED[k]);
      for (let j = k; j < ALL.length; j++) {
        log.line(ALL[j]!);
        expect(oldest(log), `restart after line ${k}, then line ${j + 1}`).to.deep.equal(EXPECTED[j + 1]);
      }
    }
  });

  it('a checkpoint written before the oldest message was kept: from its queued recipients (file name before Message-ID)', () => {
    const first = read(QUEUE.slice(0, 5));
    const { model, log } = restart(first.model, first.log, (state, snap) => {
      for (const p of Object.values(state.pending)) {
        delete p.channel;
        delete p.t;
        delete p.id;
      }
      for (const c of snap.applications[0]!.mta!.channels) {
        delete c.fields.oldestMessageStoredAt;
        delete c.fields.oldestMessageId;
      }
    });
    // the queued recipient's key holds m1's file name, not its Message-ID
    expect(oldest(log)).to.deep.equal([[at(9, 0), '/var/queue/tcp_local/000/ZZa1.00'], M3, NONE]);
    for (const l of ALL.slice(5, 9)) log.line(l);
    expect(oldest(log)).to.deep.equal([W, M3, NONE]);
    expect(chan(log, 'tcp_local').storedMessages).to.equal(1);
    // and it is saved in the new form from then on
    const pending = Object.values(log.snapshot().pending);
    expect(pending.map((p) => [p.channel, p.t, p.id])).to.deep.equal([['ims-ms', ...M3], ['tcp_local', ...W]]);
    expect(model.applications.size).to.equal(1);
  });
});

describe('queueage alarm of a Sun MTA', () => {
  it('is the age in whole seconds of the oldest message of any channel, and 0 when nothing is queued', () => {
    const { model, log } = read(QUEUE);
    const queueage = metricFor('queueage', {});
    // 10:30:00 - 09:05:00.50 (ZZb2, tcp_local) = 5099.5 s
    expect(queueage(model, at(10, 30))).to.deep.equal([{ instance: 'test MTA', value: 5099 }]);
    const engine = new AlarmEngine(model, [{ ...ALARM_DEFAULTS.queueage! }], silentLogger, {});
    const events = () => engine.evaluate('queueage', at(13, 30)).map((e) => `${e.transition} ${e.alarm.current}`);
    // 13:30:00 - 09:05:00.50 = 15899.5 s, above the 4 h threshold
    expect(events()).to.deep.equal(['raised 15899']);
    log.line(MORE[0]!);
    // ZZb2 delivered: ims-ms's m3 (09:10) is now older than tcp_local's w@ (09:20)
    expect(events()).to.deep.equal([]);
    expect(model.alarms.find('queueage', 'test MTA')!.current).to.equal(15600);
    log.line(MORE[1]!);
    log.line(MORE[2]!);
    expect(events()).to.deep.equal(['cleared 0']);
  });
});

/** The checkpoint of `log` through JSON (as the source writes it), `edit`ed, into a new model. */
function restart(model: MailSystem, log: SunLog, edit?: (state: SunLogState, snap: ModelSnapshot) => void) {
  const state = JSON.parse(JSON.stringify(log.snapshot())) as SunLogState;
  const snap = JSON.parse(JSON.stringify(snapshotModel(model))) as ModelSnapshot;
  edit?.(state, snap);
  const m = new MailSystem();
  restoreModel(m, snap);
  const l = new SunLog(m, state.appName);
  l.restore(state);
  return { model: m, log: l };
}
