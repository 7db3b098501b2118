// The status page's history ring: per-minute rates from counter differences over the
// time between points, the queue as it was, a counter reset counted from 0, gaps for a
// channel that vanished, the oldest points dropped once the ring is full, and the
// busiest channels chosen over the window. Times are given, never the wall clock.

import { expect } from 'chai';
import { History } from '../../src/http/history.js';
import { MailSystem } from '../../src/model/mail-system.js';

const MIN = 60_000;

describe('HTTP history ring', () => {
  function setup(points = 4) {
    const model = new MailSystem();
    const app = model.addApplication('postfix MTA on mx1');
    const smtpd = model.addChannel(app, 'smtpd');
    const local = model.addChannel(app, 'local');
    const h = new History(model, { intervalMs: MIN, points });
    return { model, app, smtpd, local, h };
  }

  it('gives messages per minute over each interval, null for the first point, and the queue', () => {
    const { app, smtpd, h } = setup();
    const t0 = 1_000_000_000_000;
    smtpd.receivedMessages = 100; // counted before the history began: not a rate
    app.mta!.counters.storedMessages = 7;
    h.sample(t0);
    smtpd.receivedMessages = 130;
    smtpd.rejectedMessages = 2;
    app.mta!.counters.receivedMessages = 30;
    h.sample(t0 + MIN);
    smtpd.receivedMessages = 190;
    app.mta!.counters.receivedMessages = 90;
    app.mta!.counters.storedMessages = 3;
    h.sample(t0 + 3 * MIN); // a late point: 60 messages over two minutes
    const j = h.toJson(12);
    expect(j.times).to.deep.equal([t0, t0 + MIN, t0 + 3 * MIN]);
    const c = j.channels.find((x) => x.group === 'smtpd')!;
    expect([c.received, c.rejected, c.queued]).to.deep.equal([
      [null, 30, 30],
      [null, 2, 0],
      [0, 0, 0],
    ]);
    expect([j.mtas[0]!.received, j.mtas[0]!.rejected, j.mtas[0]!.queued]).to.deep.equal([
      [null, 30, 30],
      [null, 2, 0],
      [7, 7, 3],
    ]);
  });

  it('counts a counter that went down (a reset) from 0, and leaves gaps for a vanished channel', () => {
    const { model, app, smtpd, local, h } = setup(8);
    smtpd.receivedMessages = 50;
    h.sample(0);
    smtpd.receivedMessages = 5; // reset: 5 since
    h.sample(MIN);
    local.transmittedMessages = 4;
    model.removeChannel(app, local.index);
    h.sample(2 * MIN);
    const j = h.toJson(12);
    expect(j.channels.find((x) => x.group === 'smtpd')!.received).to.deep.equal([null, 5, 0]);
    expect(j.channels.find((x) => x.group === 'local')!.transmitted).to.deep.equal([null, 0, null]);
  });

  it('keeps `points` points, dropping the oldest, and forgets a channel absent for a whole window', () => {
    const { model, app, smtpd, local, h } = setup(3);
    model.removeChannel(app, local.index);
    for (let i = 0; i < 5; i++) {
      smtpd.receivedMessages += i;
      h.sample(i * MIN);
    }
    const j = h.toJson(12);
    expect(j.times).to.deep.equal([2 * MIN, 3 * MIN, 4 * MIN]);
    expect(j.channels.map((c) => [c.group, c.received])).to.deep.equal([['smtpd', [null, 3, 4]]]);
    expect(h.size).to.equal(2);
  });

  it('graphs the busiest channels over the window and says how many more there are', () => {
    const { model, app, h } = setup(10);
    const chans = [1, 2, 3, 4, 5].map((i) => model.addChannel(app, `ch${i}`));
    h.sample(0);
    chans.forEach((c, i) => (c.transmittedMessages = (i + 1) * 10));
    h.sample(MIN);
    const j = h.toJson(2);
    expect(j.channels.map((c) => c.group)).to.deep.equal(['ch5', 'ch4']);
    expect(j.more).to.equal(5); // ch1..ch3, smtpd and local
  });
});
