// Quota figures from `doveadm -f tab quota get` (streamed in arbitrary chunks), and how a
// refresh changes the model: rows updated in place, quotasVersion bumped only when users
// appear or vanish, `over` set from the warning percentage.

import { expect } from 'chai';
import { MailSystem } from '../../src/model/mail-system.js';
import { metricFor } from '../../src/alarms/metrics.js';
import { quotaReport } from '../../src/cli/quota.js';
import { overQuota, quotaPercent } from '../../src/model/services.js';
import { QuotaParser, QuotaTable, type QuotaFigures } from '../../src/sources/dovecot/quota.js';

// real output of doveadm 2.3.19 (test/e2e/dovecot-server.test.ts), plus a second quota root
const OUTPUT =
  'Username\tQuota name\tType\tValue\tLimit\t%\n' +
  'user@example.test\tUser quota\tSTORAGE\t91\t100\t91\n' +
  'user@example.test\tUser quota\tMESSAGE\t3\t10\t30\n' +
  'user@example.test\tArchive\tSTORAGE\t5000\t10000\t50\n' +
  'nolimit@example.test\tUser quota\tSTORAGE\t12\t-\t0\n' +
  'nolimit@example.test\tUser quota\tMESSAGE\t2\t-\t0\n' +
  'garbage\n';

describe('doveadm quota output', () => {
  it('parses the same whatever the chunking, first quota root only, bad lines counted', () => {
    for (const size of [1, 7, 64, OUTPUT.length]) {
      const p = new QuotaParser();
      for (let i = 0; i < OUTPUT.length; i += size) p.push(OUTPUT.slice(i, i + size));
      expect([...p.end().values()]).to.deep.equal([
        { user: 'user@example.test', storageKb: 91, storageLimitKb: 100, messages: 3, messageLimit: 10 },
        { user: 'nolimit@example.test', storageKb: 12, storageLimitKb: undefined, messages: 2, messageLimit: undefined },
      ]);
      expect(p.bad).to.equal(1);
    }
  });

  it('parses `quota get -u USER` output, which has no username column', () => {
    const p = new QuotaParser('one@example.test');
    p.push('Quota name\tType\tValue\tLimit\t%\nUser quota\tSTORAGE\t0\t2048\t0\nUser quota\tMESSAGE\t0\t-\t0\n');
    expect([...p.end().values()]).to.deep.equal([{ user: 'one@example.test', storageKb: 0, storageLimitKb: 2048, messages: 0, messageLimit: undefined }]);
  });
});

describe('applying quotas to the model', () => {
  it('adds, updates in place and removes rows; bumps quotasVersion only when users come or go', async () => {
    const model = new MailSystem();
    const table = new QuotaTable(model);
    const fig = (user: string, kb: number) => ({ user, storageKb: kb, storageLimitKb: 100, messages: 1, messageLimit: 10 });
    expect(await table.refresh(new Map([['a', fig('a', 10)], ['b', fig('b', 95)]]), 90, 1000, 1)).to.deep.equal({ added: 2, removed: 0, over: 1 });
    const v1 = model.quotasVersion;
    const rowA = model.quotas.get(1)!;
    expect(rowA).to.deep.equal({ index: 1, user: 'a', storageKb: 10, storageLimitKb: 100, messages: 1, messageLimit: 10, readAt: 1000, over: false });
    expect(model.quotas.get(2)!.over).to.equal(true);

    expect(await table.refresh(new Map([['a', fig('a', 50)], ['b', fig('b', 20)]]), 90, 2000, 1)).to.deep.equal({ added: 0, removed: 0, over: 0 });
    expect(model.quotasVersion).to.equal(v1);
    expect(model.quotas.get(1)).to.equal(rowA); // the same object, updated
    expect([rowA.storageKb, rowA.readAt]).to.deep.equal([50, 2000]);

    expect(await table.refresh(new Map([['b', fig('b', 20)], ['c', fig('c', 0)]]), 90, 3000, 1)).to.deep.equal({ added: 1, removed: 1, over: 0 });
    expect(model.quotasVersion).to.be.greaterThan(v1);
    expect([...model.quotas.values()].map((q) => [q.index, q.user])).to.deep.equal([[2, 'b'], [3, 'c']]);
  });

  it('changes nothing the model shows until the last slice is worked out', async () => {
    const model = new MailSystem();
    const table = new QuotaTable(model);
    const figs = new Map([...Array(10).keys()].map((i) => [`u${i}`, { user: `u${i}`, storageKb: i, messages: 0 }]));
    const pending = table.refresh(figs, 90, 1000, 3);
    await new Promise((r) => setImmediate(r));
    expect(model.quotas.size).to.equal(0);
    expect(await pending).to.deep.include({ added: 10 });
    expect(model.quotas.size).to.equal(10);
  });

  it('one rule for the table, `madman quota` and the quota alarm: storage or messages at or above the warning percentage', async () => {
    const model = new MailSystem();
    const fig = (user: string, kb: number, msgs: number) => ({ user, storageKb: kb, storageLimitKb: 100, messages: msgs, messageLimit: 10 });
    // a: storage 85 % (over at 80), b: messages 8/10 = 80 % (over at 80: at, not only above),
    // c: 79 % and 7/10 (not over), d: no limits at all (never over)
    const figs = new Map<string, QuotaFigures>([
      ['a', fig('a', 85, 0)],
      ['b', fig('b', 1, 8)],
      ['c', fig('c', 79, 7)],
      ['d', { user: 'd', storageKb: 5000, messages: 500 }],
    ]);
    expect(await new QuotaTable(model).refresh(figs, 80, 1000, 100)).to.deep.include({ over: 2 });
    expect([...model.quotas.values()].map((q) => [q.user, q.over])).to.deep.equal([['a', true], ['b', true], ['c', false], ['d', false]]);
    expect(quotaReport([...figs.values()], { over: 80 }).split('\n').filter((l) => l.endsWith(' *')).map((l) => l.split(/\s+/).at(-2))).to.deep.equal(['a', 'b']);
    // the alarm, without alarms.quota.percent: the users the table flags
    expect(metricFor('quota', {})(model, 0)).to.deep.equal([{ instance: 'all users', value: 2 }]);
    // with alarms.quota.percent: 85 the same rule at 85 %: a only
    expect(metricFor('quota', { quotaPercent: 85 })(model, 0)).to.deep.equal([{ instance: 'all users', value: 1 }]);
    expect([overQuota(fig('x', 85, 0), 85), overQuota(fig('x', 84, 0), 85)]).to.deep.equal([true, false]);
  });

  it('compares the larger of the storage and message percentages', () => {
    expect(quotaPercent({ storageKb: 10, storageLimitKb: 100, messages: 9, messageLimit: 10 })).to.equal(90);
    expect(quotaPercent({ storageKb: 10, messages: 9 })).to.equal(0);
  });
});
