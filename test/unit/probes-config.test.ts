// The probes: list of the config file: defaults, paths relative to the file, and errors
// that name the key and the line.

import path from 'node:path';
import { expect } from 'chai';
import { settingsFrom } from '../../src/config/config.js';
import { configFiles } from '../helpers/config-files.js';

describe('probes config', () => {
  const cf = configFiles('probes-config');
  const file = cf.file;
  const error = (f: string): string => cf.error(f).message.slice(f.length);

  it('reads entries with their defaults; paths are relative to the file', () => {
    const f = file([
      'probes:',
      '  - name: mx1',
      '    protocol: smtp',
      '    host: mail.example.test',
      '  - name: store',
      '    protocol: imap',
      '    host: 127.0.0.1',
      '    tls: implicit',
      '    user: probe@example.test',
      '    passwordFile: secrets/imap',
      '    caFile: /etc/ssl/ca.pem',
      '    timeout: 5',
      '    interval: 30',
      '    warning: 1',
      '    critical: 2.5',
      '    restart: { command: systemctl restart dovecot }',
      '  - name: web',
      '    protocol: http',
      '    url: https://webmail.example.test:8443/login',
      '  - name: rt',
      '    protocol: roundtrip',
      '    host: 127.0.0.1',
      '    fetch: pop3',
      '    smtp: { host: 127.0.0.1, port: 2525, to: probe@example.test }',
    ]);
    const [smtp, imap, web, rt] = settingsFrom({ config: f }).probes!;
    expect(smtp).to.deep.include({ name: 'mx1', protocol: 'smtp', host: 'mail.example.test', port: 25, tls: 'none', tlsVerify: true, timeout: 30, interval: 60 });
    expect(smtp!.warning).to.equal(undefined);
    expect(imap).to.deep.include({
      port: 993,
      tls: 'implicit',
      user: 'probe@example.test',
      passwordFile: path.join(cf.dir, 'secrets/imap'),
      caFile: '/etc/ssl/ca.pem',
      timeout: 5,
      interval: 30,
      warning: 1,
      critical: 2.5,
      restart: { command: 'systemctl restart dovecot', afterFailures: 3, windowSeconds: 600 },
    });
    expect(web).to.deep.include({ host: 'webmail.example.test', port: 8443, tls: 'implicit', url: 'https://webmail.example.test:8443/login' });
    expect(rt).to.deep.include({ port: 110, fetch: 'pop3' });
    expect(rt!.smtp).to.deep.equal({ host: '127.0.0.1', port: 2525, tls: 'none', tlsVerify: true, caFile: undefined, user: undefined, passwordFile: undefined, from: '', to: 'probe@example.test' });
  });

  it('names key and line of a bad value, an unknown key, a missing field', () => {
    expect(error(file(['probes:', '  - name: a', '    protocol: smtp', '    host: h', '    port: 70000']))).to.equal(':5: probes[0].port: must be <= 65535');
    expect(error(file(['probes:', '  - name: a', '    protocol: smtps', '    host: h']))).to.equal(
      ':3: probes[0].protocol: must be one of smtp, submission, lmtp, imap, pop3, ldap, http, roundtrip',
    );
    expect(error(file(['probes:', '  - name: a', '    protocol: smtp', '    host: h', '    password: x']))).to.equal(':5: probes[0].password: unknown key');
    expect(error(file(['probes:', '  - name: a', '    protocol: smtp', '    host: h', '  - name: b', '    protocol: http']))).to.equal(
      ":5: probes[1]: must have required property 'url'",
    );
    expect(error(file(['probes:', '  - name: a', '    protocol: roundtrip', '    host: h']))).to.equal(":2: probes[0]: must have required property 'smtp'");
    expect(error(file(['probes:', '  - name: a', '    protocol: smtp', '    host: h', '    restart: { afterFailures: 2 }']))).to.equal(
      ":5: probes[0].restart: must have required property 'command'",
    );
  });

  it('refuses a name used twice for one protocol, and warning above critical', () => {
    const twice = ['probes:', '  - name: a', '    protocol: smtp', '    host: h', '  - name: a', '    protocol: smtp', '    host: k'];
    expect(error(file(twice))).to.equal(':5: probes[1].name: "a" already probes smtp (entry 1)');
    expect(error(file(['probes:', '  - name: a', '    protocol: smtp', '    host: h', '    warning: 3', '    critical: 2']))).to.equal(
      ':5: probes[0].warning: greater than critical',
    );
  });

  it('a URL that does not parse is an error at its line', () => {
    for (const url of ['"http://"', 'http://exa mple.test/', '"https://:443/"']) {
      expect(error(file(['probes:', '  - name: web', '    protocol: http', `    url: ${url}`]))).to.equal(`:4: probes[0].url: "${url.replace(/"/g, '')}" is not a URL`);
    }
  });

  it('restart: a pidfile (relative to the file) or a systemd unit, not both; processInterval', () => {
    const f = file(['probes:', '  - name: store', '    protocol: imap', '    host: h', '    restart: { command: start, pidfile: run/master.pid, processInterval: 2 }']);
    expect(settingsFrom({ config: f }).probes![0]!.restart).to.deep.equal({
      command: 'start',
      afterFailures: 3,
      windowSeconds: 600,
      pidfile: path.join(path.dirname(f), 'run/master.pid'),
      processInterval: 2,
    });
    const unit = file(['probes:', '  - name: mx', '    protocol: smtp', '    host: h', '    restart: { command: start, unit: postfix.service }']);
    expect(settingsFrom({ config: unit }).probes![0]!.restart!.unit).to.equal('postfix.service');
    expect(error(file(['probes:', '  - name: mx', '    protocol: smtp', '    host: h', '    restart:', '      command: start', '      pidfile: /run/x.pid', '      unit: x.service']))).to.equal(
      ':8: probes[0].restart.unit: give pidfile or unit, not both',
    );
    expect(error(file(['probes:', '  - name: mx', '    protocol: smtp', '    host: h', '    restart: { command: start, processInterval: 0 }']))).to.equal(
      ':5: probes[0].restart.processInterval: must be >= 1',
    );
  });
});
