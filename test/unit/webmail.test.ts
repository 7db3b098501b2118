// The webmail source's parts: Roundcube's userlogins lines (file, stdout and syslog drivers,
// proxy headers, a custom date format, lines that are not logins), nginx's stub_status and
// Apache's mod_status pages, and the figures they make in the model (httpstat).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { settingsFrom, type Flags } from '../../src/config/config.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { parseLoginLine, parseMessage, roundcubeDate } from '../../src/sources/webmail/roundcube.js';
import { parseServerStatus, StatusFormatError } from '../../src/sources/webmail/server-status.js';
import { WEBMAIL_SERVICE_INDEX, WebmailStats } from '../../src/sources/webmail/stats.js';
import { configFiles } from '../helpers/config-files.js';
import { ROOT } from '../helpers/harness.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/webmail/userlogins.log');

describe('webmail: Roundcube userlogins', () => {
  it('reads every line of the fixture: good and failed logins, times when the date is Roundcube\'s', () => {
    const lines = readFileSync(FIXTURE, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => parseLoginLine(l))).to.deep.equal([
      { ok: true, user: 'alice@example.test', from: '192.0.2.10', time: Date.UTC(2026, 11, 7, 9, 0, 1) },
      { ok: false, user: 'alice@example.test', from: '192.0.2.11', time: Date.UTC(2026, 11, 7, 9, 0, 7), error: 0 },
      { ok: true, user: 'bob@example.test', from: '192.0.2.12 (X-Forwarded-For: 10.0.0.5)', time: Date.UTC(2026, 11, 7, 9, 1, 15) },
      { ok: false, user: 'nobody', from: '192.0.2.13', time: Date.UTC(2026, 11, 7, 9, 2, 0), error: -1 },
      undefined,
      { ok: true, user: 'carol@example.test', from: '192.0.2.14', time: undefined },
      { ok: false, user: 'dave@example.test', from: '192.0.2.15', time: undefined, error: 2 },
    ]);
  });

  it('the syslog driver\'s message alone; dates in other forms are no dates', () => {
    expect(parseMessage('<1a2b3c4d> Successful login for a@x (ID: 7) from ::1 in session 1a2b3c4d5e6f7a8b')).to.deep.equal({ ok: true, user: 'a@x', from: '::1', time: undefined });
    expect(parseMessage('Successful login for a@x from ::1')).to.equal(undefined);
    expect(roundcubeDate('07-Dec-2026 09:00:01 -0130')).to.equal(Date.UTC(2026, 11, 7, 10, 30, 1));
    expect(roundcubeDate('07-Foo-2026 09:00:01 +0000')).to.equal(undefined);
    expect(parseLoginLine('[unterminated')).to.equal(undefined);
  });
});

describe('webmail: web server status pages', () => {
  it('nginx stub_status', () => {
    const page = 'Active connections: 3 \nserver accepts handled requests\n 1204 1200 5210 \nReading: 0 Writing: 1 Waiting: 2 \n';
    expect(parseServerStatus(page)).to.deep.equal({ kind: 'nginx', active: 3, accepted: 1204, dropped: 4 });
  });

  it('Apache mod_status ?auto, with and without the event MPM\'s ConnsTotal', () => {
    const event = 'localhost\nServerVersion: Apache/2.4.57 (Debian)\nServerUptimeSeconds: 86400\nTotal Accesses: 5210\nTotal kBytes: 900\nBusyWorkers: 2\nIdleWorkers: 48\nConnsTotal: 3\nScoreboard: __W_\n';
    expect(parseServerStatus(event)).to.deep.equal({ kind: 'apache', active: 3, accepted: 5210, uptime: 86400 });
    expect(parseServerStatus('Total Accesses: 7\nBusyWorkers: 1\nUptime: 60\n')).to.deep.equal({ kind: 'apache', active: 1, accepted: 7, uptime: 60 });
    expect(() => parseServerStatus('<html>Apache Status</html>')).to.throw(StatusFormatError, 'not an nginx stub_status or Apache mod_status (?auto) page');
  });
});

describe('webmail: httpstat figures', () => {
  const nginx = (active: number, accepted: number, dropped = 0) => ({ kind: 'nginx' as const, active, accepted, dropped });

  it('logins, and connections as running totals without the agent\'s own requests; a restart seen', () => {
    const model = new MailSystem();
    const w = new WebmailStats(model, 'webmail');
    expect(model.services.get(WEBMAIL_SERVICE_INDEX)!.name).to.equal('webmail http');
    w.login({ ok: true, user: 'a', from: 'x', time: 1000 }, 5000);
    w.login({ ok: false, user: 'b', from: 'x' }, 6000);
    // since nginx started: 10 accepted, ours among them; 3 open, ours among them
    w.reading(nginx(3, 10), 10_000);
    w.reading(nginx(1, 11), 20_000); // only ours since
    w.reading(nginx(4, 16, 1), 30_000); // 4 new, 1 of them dropped
    const s = model.services.get(WEBMAIL_SERVICE_INDEX)!;
    expect([s.numGoodLogins, s.numFailedLogins, s.numConnections, s.numFailedConnections, s.numCurrentConnections, s.maxConnections, s.lastConnectionTime, s.currentStartTime]).to.deep.equal([1, 1, 13, 1, 3, 3, 30_000, undefined]);
    // nginx restarted: its totals went back; ours go on
    w.reading(nginx(2, 3), 40_000);
    expect([s.numConnections, s.numCurrentConnections, s.maxConnections, s.currentStartTime]).to.deep.equal([15, 1, 1, 40_000]);
    expect([w.app.inboundAssociations, w.app.accumulatedInboundAssociations, w.app.rejectedInboundAssociations, w.app.operStatus]).to.deep.equal([1, 15, 1, 'up']);
    w.up(false, 50_000);
    expect([w.app.operStatus, w.app.lastChange, s.numCurrentConnections]).to.deep.equal(['down', 50_000, 0]);
  });

  it('a checkpoint\'s state gives the same figures, and the next reading goes on from the server\'s totals', () => {
    const a = new MailSystem();
    const w = new WebmailStats(a, 'webmail');
    w.reading(nginx(2, 10), 1000);
    const b = new MailSystem();
    const again = new WebmailStats(b, 'webmail', JSON.parse(JSON.stringify(w.state())));
    again.reading(nginx(1, 15), 2000);
    expect(b.services.get(WEBMAIL_SERVICE_INDEX)!.numConnections).to.equal(9 + 4);
  });
});

describe('webmail: config', () => {
  const cf = configFiles('webmail-config');
  const error = (f: string): string => cf.error(f).message.slice(f.length);

  it('reads the section with its defaults (paths from the file), and the flags over it', () => {
    const f = cf.file(['webmail:', '  log: logs/userlogins.log', '  status: http://127.0.0.1/nginx_status']);
    expect(settingsFrom({ config: f }).webmail).to.deep.equal({
      instance: 'webmail',
      log: path.join(path.dirname(f), 'logs/userlogins.log'),
      journal: undefined,
      syslogId: 'roundcube',
      status: 'http://127.0.0.1/nginx_status',
      statusInterval: 30,
      statusTimeout: 10,
    });
    const flags = settingsFrom({ webmailLog: 'u.log', webmailStatus: 'https://web/server-status?auto' } as Flags).webmail!;
    expect([flags.log, flags.status]).to.deep.equal([path.resolve('u.log'), 'https://web/server-status?auto']);
    expect(() => settingsFrom({ webmailStatus: 'web:80' } as Flags)).to.throw('--webmail-status web:80: not an http(s) URL');
    expect(settingsFrom({}).webmail).to.equal(undefined);
  });

  it('names key and line of what it cannot use', () => {
    expect(error(cf.file(['listen: [udp:127.0.0.1:1161]', 'webmail:', '  instance: webmail']))).to.equal(':3: webmail: needs log, journal or status');
    expect(error(cf.file(['webmail:', '  log: x.log', '  journal: true']))).to.equal(':3: webmail.journal: give log or journal, not both');
    expect(error(cf.file(['webmail:', '  status: ftp://web/']))).to.equal(':2: webmail.status: must match pattern "^https?://"');
    expect(error(cf.file(['webmail:', '  log: x.log', '  statusInterval: 0']))).to.equal(':3: webmail.statusInterval: must be >= 1');
  });
});
