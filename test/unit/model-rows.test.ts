// The model owns its change rules: row collections move their own version when a row
// appears or vanishes (not when one is updated in place), and a message's traffic moves
// a group and its MTA's totals together.

import { expect } from 'chai';
import { MailSystem } from '../../src/model/mail-system.js';
import { RowVersion, Rows } from '../../src/model/rows.js';

describe('model: row collections', () => {
  it('move their version on a new key, a deletion and a clear; not on an update in place', () => {
    const r = new Rows<number, string>();
    r.set(1, 'a');
    r.set(2, 'b');
    expect(r.version.value).to.equal(2);
    r.set(1, 'a2');
    expect(r.delete(3)).to.equal(false);
    expect(r.version.value).to.equal(2);
    expect(r.delete(2)).to.equal(true);
    r.clear();
    r.clear();
    expect(r.version.value).to.equal(4);
    r.touch();
    expect(r.version.value).to.equal(5);
  });

  it('share one version between collections of a kind', () => {
    const v = new RowVersion();
    const a = new Rows<string, number>(v);
    const b = new Rows<string, number>(v);
    a.set('x', 1);
    b.set('x', 1);
    b.delete('x');
    expect(v.value).to.equal(3);
  });

  it('give each kind of model row its own version', () => {
    const m = new MailSystem();
    const before = [m.structureVersion, m.associationsVersion, m.errorsVersion, m.inputsVersion];
    const app = m.addApplication('mx');
    const ch = m.addChannel(app, 'smtpd');
    expect(m.structureVersion - before[0]!).to.equal(3); // the application, its mtaTable row, the group
    const a = m.openAssociation(app, { remoteApplication: '192.0.2.1', type: 'peerresponder', startedAt: 0, channel: ch.index });
    expect(m.associationsVersion - before[1]!).to.equal(1);
    m.closeAssociation(app, a.index, 1);
    expect(m.associationsVersion - before[1]!).to.equal(2);
    m.countError(ch, '5.1.1', 'inbound');
    m.countError(ch, '5.1.1', 'inbound');
    expect(m.errorsVersion - before[2]!).to.equal(2); // 5.0.0 and 5.1.1, once each
    m.addInput('log', '/var/log/mail.log');
    m.addInput('log', '/var/log/mail.log');
    expect(m.inputsVersion - before[3]!).to.equal(1);
    expect(m.structureVersion - before[0]!).to.equal(3);
  });
});

describe('model: traffic', () => {
  it('countTraffic moves the group and the MTA totals together; countGroupTraffic the group only', () => {
    const m = new MailSystem();
    const app = m.addApplication('mx');
    const smtpd = m.addChannel(app, 'smtpd');
    const filter = m.addChannel(app, 'amavis');
    m.countTraffic(app, smtpd, 'received', { messages: 1, volume: 1000, recipients: 2 });
    m.countGroupTraffic(filter, 'received', { messages: 1, volume: 1000, recipients: 2 });
    m.countTraffic(app, smtpd, 'transmitted', { recipients: 1 });
    const t = app.mta!.counters;
    expect([smtpd.receivedMessages, smtpd.receivedVolume, smtpd.receivedRecipients, smtpd.transmittedRecipients]).to.deep.equal([1, 1000, 2, 1]);
    expect([filter.receivedMessages, filter.receivedVolume, filter.receivedRecipients]).to.deep.equal([1, 1000, 2]);
    expect([t.receivedMessages, t.receivedVolume, t.receivedRecipients, t.transmittedMessages, t.transmittedRecipients]).to.deep.equal([1, 1000, 2, 0, 1]);
  });

  it('unstore takes from the stored gauges of both, never below zero', () => {
    const m = new MailSystem();
    const app = m.addApplication('mx');
    const ch = m.addChannel(app, 'ims-ms');
    m.countTraffic(app, ch, 'stored', { messages: 1, volume: 2048, recipients: 1 });
    m.unstore(app, ch, { messages: 1, volume: 4096, recipients: 2 });
    const t = app.mta!.counters;
    expect([ch.storedMessages, ch.storedVolume, ch.storedRecipients, t.storedMessages, t.storedVolume, t.storedRecipients]).to.deep.equal([0, 0, 0, 0, 0, 0]);
  });
});
