// The sendmail: configuration key and the --sendmail-* flags (declared by the source's
// folder through the registry, src/sources/sendmail/index.ts).

import path from 'node:path';
import { expect } from 'chai';
import { settingsFrom } from '../../src/config/config.js';
import { configFiles } from '../helpers/config-files.js';

describe('config: sendmail', () => {
  const cf = configFiles('config-sendmail');

  it('reads the key with defaults, paths relative to the file', () => {
    const f = cf.file(['sendmail:', '  log: logs/mail.log', '  statisticsInterval: 2', '  programs: [sm-mta]']);
    expect(settingsFrom({ config: f }).sendmail).to.deep.equal({
      log: path.join(cf.dir, 'logs/mail.log'),
      cf: '/etc/mail/sendmail.cf',
      statisticsInterval: 2,
      queue: true,
      queueInterval: 10,
      programs: ['sm-mta'],
    });
  });

  it('statistics: a path or false; journal: a unit or true', () => {
    const f = cf.file(['sendmail:', '  journal: sendmail.service', '  cf: mail/sendmail.cf', '  statistics: false', '  queue: false']);
    expect(settingsFrom({ config: f }).sendmail).to.deep.include({ journal: { unit: 'sendmail.service' }, cf: path.join(cf.dir, 'mail/sendmail.cf'), statistics: false, queue: false });
    const g = cf.file(['sendmail:', '  journal: true', '  statistics: st']);
    expect(settingsFrom({ config: g }).sendmail).to.deep.include({ journal: { unit: undefined }, statistics: path.join(cf.dir, 'st') });
  });

  it('the flags alone turn it on, and override the file', () => {
    expect(settingsFrom({ sendmailLog: 'x.log' } as never).sendmail).to.deep.include({ log: path.resolve('x.log'), cf: '/etc/mail/sendmail.cf' });
    const f = cf.file(['sendmail:', '  log: a.log']);
    expect(settingsFrom({ config: f, sendmailCf: 'my.cf', sendmailStatistics: 'my.st' } as never).sendmail).to.deep.include({ log: path.join(cf.dir, 'a.log'), cf: path.resolve('my.cf'), statistics: path.resolve('my.st') });
    expect(settingsFrom({}).sendmail).to.equal(undefined);
  });

  it('refuses what it cannot use, naming the key and its line', () => {
    const both = cf.error(cf.file(['listen: [udp:127.0.0.1:1161]', 'sendmail:', '  log: a.log', '  journal: true']));
    expect([both.key, both.line, both.message]).to.deep.equal(['sendmail.journal', 4, `${path.join(cf.dir, 'config-5.yaml')}:4: sendmail.journal: log and journal are exclusive: give one`]);
    const zero = cf.error(cf.file(['sendmail:', '  queueInterval: 0']));
    expect([zero.key, zero.line]).to.deep.equal(['sendmail.queueInterval', 2]);
    const prog = cf.error(cf.file(['sendmail:', '  programs: []']));
    expect([prog.key, prog.line]).to.deep.equal(['sendmail.programs', 2]);
  });
});
