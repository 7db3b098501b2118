// The exim: configuration key and the --exim-* flags (declared by the source's folder through
// the registry, src/sources/exim/index.ts).

import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { settingsFrom } from '../../src/config/config.js';
import { configFiles } from '../helpers/config-files.js';

const host = os.hostname().split('.')[0];

describe('config: exim', () => {
  const cf = configFiles('config-exim');

  it('reads the key with defaults: the rejectlog and paniclog beside the mainlog, paths relative to the file', () => {
    const f = cf.file(['exim:', '  log: log/mainlog', '  queue: exim4 -bp', '  listeners: { "25": smtp, "2525": relay-in }']);
    expect(settingsFrom({ config: f }).exim).to.deep.equal({
      log: path.join(cf.dir, 'log/mainlog'),
      rejectLog: path.join(cf.dir, 'log/rejectlog'),
      panicLog: path.join(cf.dir, 'log/paniclog'),
      queue: ['exim4', '-bp'],
      queueInterval: 60,
      hostname: host,
      listeners: { '25': 'smtp', '2525': 'relay-in' },
    });
    // cPanel's names; a syslog file has none beside it
    expect(settingsFrom({ config: cf.file(['exim:', '  log: /var/log/exim_mainlog']) }).exim).to.deep.include({ rejectLog: '/var/log/exim_rejectlog', panicLog: '/var/log/exim_paniclog' });
    const sys = settingsFrom({ config: cf.file(['exim:', '  log: /var/log/mail.log']) }).exim!;
    expect([sys.rejectLog, sys.panicLog]).to.deep.equal([undefined, undefined]);
  });

  it('the side logs named or turned off; the journal; a queue command as a list', () => {
    const f = cf.file(['exim:', '  log: main', '  rejectLog: false', '  panicLog: /var/log/exim-panic', '  queue: [exim4, -C, /etc/exim4/my.conf, -bpc]', '  queueInterval: 5', '  hostname: mx1']);
    expect(settingsFrom({ config: f }).exim!.rejectLog).to.equal(undefined);
    expect(settingsFrom({ config: f }).exim).to.deep.include({ panicLog: '/var/log/exim-panic', queue: ['exim4', '-C', '/etc/exim4/my.conf', '-bpc'], queueInterval: 5, hostname: 'mx1' });
    const j = settingsFrom({ config: cf.file(['exim:', '  journal: exim4.service']) }).exim!;
    expect([j.journal, j.log]).to.deep.equal([{ unit: 'exim4.service' }, undefined]);
    expect(settingsFrom({ config: cf.file(['exim:', '  journal: true']) }).exim).to.deep.include({ journal: { unit: undefined } });
  });

  it('the flags alone turn it on, and override the file', () => {
    expect(settingsFrom({ eximLog: 'x/mainlog' } as never).exim).to.deep.include({ log: path.resolve('x/mainlog'), rejectLog: path.resolve('x/rejectlog'), panicLog: path.resolve('x/paniclog') });
    const f = cf.file(['exim:', '  log: a/mainlog', '  queueInterval: 7']);
    expect(settingsFrom({ config: f, eximQueue: 'exim -bp' } as never).exim).to.deep.include({ log: path.join(cf.dir, 'a/mainlog'), queue: ['exim', '-bp'], queueInterval: 7 });
    const fj = settingsFrom({ config: f, eximJournal: true } as never).exim!;
    expect([fj.journal, fj.log]).to.deep.equal([{ unit: undefined }, undefined]);
    expect(settingsFrom({}).exim).to.equal(undefined);
    expect(() => settingsFrom({ eximQueue: 'exim -bp' } as never)).to.throw(/--exim-queue needs --exim-log or --exim-journal/);
  });

  it('refuses what it cannot use, naming the key and its line', () => {
    const e = (lines: string[]) => {
      const err = cf.error(cf.file(lines));
      return [err.key, err.line];
    };
    expect(e(['exim:', '  log: a', '  journal: true'])).to.deep.equal(['exim.journal', 3]);
    expect(e(['exim:', '  queue: exim -bp'])).to.deep.equal(['exim.queue', 2]);
    expect(e(['exim:', '  journal: true', '  rejectLog: r'])).to.deep.equal(['exim.rejectLog', 3]);
    expect(e(['exim:', '  log: a', '  queueInterval: 0'])).to.deep.equal(['exim.queueInterval', 3]);
    expect(e(['exim:', '  log: a', '  queue: []'])).to.deep.equal(['exim.queue', 3]);
    expect(e(['exim:', '  log: a', '  listeners:', '    "70000": smtp'])).to.deep.equal(['exim.listeners.70000', 4]);
    expect(e(['exim:', '  log: a', '  listeners:', '    "25": bounce'])).to.deep.equal(['exim.listeners.25', 4]);
    expect(e(['exim:', '  log: a', '  listeners:', '    "25": smtp', '    "26": smtp'])).to.deep.equal(['exim.listeners.26', 5]);
    expect(e(['exim:', '  log: a', '  listeners:', '    smtp: "25"'])).to.deep.equal(['exim.listeners', 4]);
    expect(e(['exim:', '  log: a', '  colour: blue'])).to.deep.equal(['exim.colour', 3]);
  });
});
