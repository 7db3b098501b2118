// The dovecot: configuration key and the --dovecot-log / --dovecot-config flags.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, settingsFrom } from '../../src/config/config.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-config-dovecot-'));
function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('config: dovecot', () => {
  it('reads the key with defaults, paths relative to the file', () => {
    const f = file('a.yaml', 'dovecot:\n  log: logs/dovecot.log\n  config: /etc/dovecot/dovecot.conf\n  quotaWarnPercent: 80\n  services: [imap, submission]\n');
    expect(settingsFrom({ config: f }).dovecot).to.deep.equal({
      log: path.join(dir, 'logs/dovecot.log'),
      journal: undefined,
      config: '/etc/dovecot/dovecot.conf',
      doveadm: 'doveadm',
      quotaInterval: 300,
      whoInterval: 30,
      quotaWarnPercent: 80,
      services: ['imap', 'submission'],
      quotaMethod: 'doveadm',
      imap: undefined,
    });
  });

  it('quotaMethod: imap takes the imap: settings (port from tls) and requires them', () => {
    const f = file('i.yaml', 'dovecot:\n  quotaMethod: imap\n  imap:\n    host: mail.example.test\n    tls: starttls\n    master: admin\n    password: pw\n');
    expect(settingsFrom({ config: f }).dovecot?.imap).to.deep.equal({ host: 'mail.example.test', tls: 'starttls', port: 143, master: 'admin', password: 'pw', users: [] });
    const g = file('g.yaml', 'listen: [udp:127.0.0.1:1161]\ndovecot:\n  quotaMethod: imap\n');
    let err: unknown;
    try {
      settingsFrom({ config: g });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect([(err as ConfigError).key, (err as ConfigError).line, (err as Error).message]).to.deep.equal(['dovecot', 3, `${g}:3: dovecot: must have required property 'imap'`]);
  });

  it('journal: a unit or true', () => {
    expect(settingsFrom({ config: file('j.yaml', 'dovecot:\n  journal: dovecot.service\n') }).dovecot?.journal).to.deep.equal({ unit: 'dovecot.service' });
    expect(settingsFrom({ config: file('k.yaml', 'dovecot:\n  journal: true\n') }).dovecot?.journal).to.deep.equal({ unit: undefined });
  });

  it('--dovecot-log turns the source on and wins over the file', () => {
    expect(settingsFrom({}).dovecot).to.equal(undefined);
    const s = settingsFrom({ dovecotLog: 'x.log', dovecotConfig: 'd.conf' }).dovecot!;
    expect([s.log, s.config, s.quotaInterval]).to.deep.equal([path.resolve('x.log'), path.resolve('d.conf'), 300]);
    const f = file('b.yaml', 'dovecot:\n  journal: true\n');
    const t = settingsFrom({ config: f, dovecotLog: '/var/log/dovecot.log' }).dovecot!;
    expect([t.log, t.journal]).to.deep.equal(['/var/log/dovecot.log', undefined]);
  });

  it('names the key and line of a bad value', () => {
    const f = file('bad.yaml', 'listen: [udp:127.0.0.1:1161]\ndovecot:\n  log: /x\n  services: [imap, smtp]\n');
    let err: unknown;
    try {
      settingsFrom({ config: f });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).key).to.equal('dovecot.services[1]');
    expect((err as ConfigError).line).to.equal(4);
  });

  it('quotaInterval and whoInterval: 0 (off) or at least 1 s, no fraction in between', () => {
    const ok = settingsFrom({ config: file('iv.yaml', 'dovecot:\n  quotaInterval: 0\n  whoInterval: 1\n') }).dovecot!;
    expect([ok.quotaInterval, ok.whoInterval]).to.deep.equal([0, 1]);
    for (const [key, line, text] of [
      ['quotaInterval', 3, 'dovecot:\n  log: /x\n  quotaInterval: 0.5\n'],
      ['whoInterval', 2, 'dovecot:\n  whoInterval: 0.001\n'],
    ] as const) {
      let err: unknown;
      try {
        settingsFrom({ config: file(`bad-${key}.yaml`, text) });
      } catch (e) {
        err = e;
      }
      expect(err, key).to.be.instanceOf(ConfigError);
      expect([(err as ConfigError).key, (err as ConfigError).line]).to.deep.equal([`dovecot.${key}`, line]);
    }
  });
});
