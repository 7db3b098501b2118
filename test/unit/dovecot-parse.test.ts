// The Dovecot log parser and the statistics it feeds, on real lines: a log written by a real
// Dovecot 2.3.19 (test/fixtures/dovecot/real-2.3.19.log, made with test/helpers/dovecot-server.ts:
// IMAP and IMAPS logins, a refused password, a connection without authentication, POP3 logins
// with one and two failed attempts, a session whose process was killed) and the syslog, RFC 3339,
// 2.2, 2.3.20+, submission and LMTP wordings (formats.log, written after Dovecot's documented
// formats and the examples of ../shared/reference/mail-sources.md).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { MailSystem } from '../../src/model/mail-system.js';
import { parseLine, parseMessage, type DovecotEvent } from '../../src/sources/dovecot/parse.js';
import { DovecotStats, ENDED_MAX } from '../../src/sources/dovecot/stats.js';
import { parseWho, reconcile } from '../../src/sources/dovecot/who.js';
import { OWN_LOGIN_MS, OwnLogins } from '../../src/sources/dovecot/own-logins.js';
import { ROOT } from '../helpers/harness.js';

const fixture = (name: string) => readFileSync(path.join(ROOT, 'test/fixtures/dovecot', name), 'utf8').split('\n').filter(Boolean);
const NOW = new Date(2026, 10, 30).getTime();
const local = (h: number, m: number, s: number) => new Date(2026, 10, 29, h, m, s).getTime();

function replay(lines: string[]): { model: MailSystem; stats: DovecotStats; events: DovecotEvent[] } {
  const model = new MailSystem();
  const stats = new DovecotStats(model);
  const events: DovecotEvent[] = [];
  for (const l of lines) {
    const e = parseLine(l, { now: NOW });
    if (e) {
      events.push(e);
      stats.apply(e);
    }
  }
  return { model, stats, events };
}

describe('dovecot log parser', () => {
  it('reads each line shape of a real Dovecot 2.3.19 log', () => {
    const { events } = replay(fixture('real-2.3.19.log'));
    const kinds = events.map((e) => (e.kind === 'start' || e.kind === 'stop' || e.kind === 'unparsed' || e.kind === 'authfail' ? e.kind : `${e.kind} ${e.service}`));
    expect(kinds).to.deep.equal([
      'start',
      'login imap',
      'login imap',
      'refused imap',
      'refused imap',
      'login pop3',
      'end pop3',
      'refused pop3',
      'refused pop3',
      'end imap',
      'end imap',
      'login imap',
      'end imap',
    ]);
    expect(events[0]).to.deep.equal({ kind: 'start', time: local(20, 6, 49), version: '2.3.19.1', services: ['imap', 'pop3'] });
    expect(events[1]).to.deep.equal({ kind: 'login', time: local(20, 6, 49), service: 'imap', user: 'user@example.test', rip: '127.0.0.1', pid: 25492, session: '/hVi1W9hyMt/AAAB' });
    expect(events[3]).to.deep.include({ kind: 'refused', user: 'other@example.test', attempts: 1, reason: 'Disconnected: Connection closed (auth failed, 1 attempts in 1 secs)' });
    expect(events[4]).to.deep.include({ kind: 'refused', user: '', attempts: 0, reason: 'Disconnected: Aborted login by logging out (no auth attempts in 0 secs)' });
    expect(events[8]).to.deep.include({ kind: 'refused', service: 'pop3', attempts: 2 });
    expect(events[6]).to.deep.include({ kind: 'end', user: 'other@example.test', pid: 25500, session: 'huJr1W9hFJt/AAAB', reason: 'Logged out' });
    expect(events[10]).to.deep.include({ kind: 'end', pid: 25494, reason: 'Connection closed (APPEND finished 0.039 secs ago)' });
    expect(events[12]).to.deep.include({ kind: 'end', pid: 25515, reason: 'master: service(imap): child 25515 killed with signal 9' });
  });

  it('counts the real log into exact per-service figures', () => {
    const { model } = replay(fixture('real-2.3.19.log'));
    const imap = model.services.get(1)!;
    const pop3 = model.services.get(2)!;
    expect(imap).to.deep.include({
      name: 'dovecot imap', numGoodLogins: 3, numFailedLogins: 1, numFailedConnections: 2, numConnections: 5,
      numCurrentConnections: 0, maxConnections: 2, currentStartTime: local(20, 6, 49), lastConnectionTime: local(20, 6, 51),
    });
    expect(pop3).to.deep.include({ numGoodLogins: 1, numFailedLogins: 3, numFailedConnections: 2, numConnections: 3, numCurrentConnections: 0, maxConnections: 1 });
    const app = model.applications.get(imap.application!)!;
    expect(app).to.deep.include({ name: 'dovecot imap', version: '2.3.19.1', inboundAssociations: 0, accumulatedInboundAssociations: 5, rejectedInboundAssociations: 2, startedAt: local(20, 6, 49) });
    expect(app.associations.size).to.equal(0);
  });

  it('reads syslog, RFC 3339, 2.2, 2.3.20+, submission and LMTP lines; ignores the rest', () => {
    const { model, events } = replay(fixture('formats.log'));
    expect(events.map((e) => e.kind)).to.deep.equal(['start', 'login', 'refused', 'refused', 'login', 'end', 'login', 'end', 'login', 'end', 'end', 'refused', 'refused', 'stop']);
    expect(events[0]).to.deep.include({ version: '2.3.21', services: ['imap', 'pop3', 'lmtp', 'submission'] });
    expect(events[2]).to.deep.include({ attempts: 3, rip: '192.0.2.8', reason: 'Disconnected (auth failed, 3 attempts in 12 secs)' });
    expect(events[4]).to.deep.include({ service: 'pop3', time: Date.parse('2026-11-29T17:04:50.255136+00:00'), pid: 14190 });
    expect(events[8]).to.deep.include({ kind: 'login', service: 'lmtp', rip: 'local', pid: 14210 });
    expect(events[10]).to.deep.include({ kind: 'end', service: 'imap', user: 'u@d.test', pid: undefined, reason: 'Logged out' });
    expect(events[11]).to.deep.include({ attempts: 1, user: 'x@d.test' });
    expect(events[12]).to.deep.include({ attempts: 0, reason: 'Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)' });
    // the 2.2-style end (no pid) closed u@d.test's IMAP session; the stop closed nothing more
    const [imap, pop3, sub, lmtp] = [1, 2, 3, 4].map((i) => model.services.get(i)!);
    expect([imap!.numGoodLogins, imap!.numFailedLogins, imap!.numFailedConnections, imap!.numCurrentConnections]).to.deep.equal([1, 4, 4, 0]);
    expect([pop3!.numGoodLogins, pop3!.numCurrentConnections, pop3!.maxConnections]).to.deep.equal([1, 0, 1]);
    expect([sub!.name, sub!.numGoodLogins, sub!.numCurrentConnections]).to.deep.equal(['dovecot submission', 1, 0]);
    expect([lmtp!.name, lmtp!.numGoodLogins, lmtp!.maxConnections, lmtp!.numCurrentConnections]).to.deep.equal(['dovecot lmtp', 1, 1, 0]);
    expect(model.applications.get(imap!.application!)!.operStatus).to.equal('down');
  });

  it('reports malformed Dovecot lines as unparsed and leaves other programs alone', () => {
    expect(parseLine('Nov 29 17:04:47 mx1 dovecot[1]: garbage without a frame', { now: NOW })).to.deep.equal({ kind: 'unparsed', time: local(17, 4, 47) });
    expect(parseLine('Nov 29 17:04:47 imap-login: Info: Login: method=PLAIN', { now: NOW })).to.deep.include({ kind: 'unparsed', service: 'imap' });
    expect(parseLine('Nov 29 17:04:47 mx1 postfix/smtpd[9]: connect from x', { now: NOW })).to.equal(undefined);
    expect(parseLine('', { now: NOW })).to.equal(undefined);
    expect(parseMessage('imap-login: Login: user=<a>, rip=1.2.3.4, mpid=7', 5)).to.deep.equal({ kind: 'login', time: 5, service: 'imap', user: 'a', rip: '1.2.3.4', pid: 7, session: undefined });
  });
});

describe('doveadm who cross-check', () => {
  it('closes sessions who no longer lists, opens the ones it lists that the log did not show', () => {
    const model = new MailSystem();
    const stats = new DovecotStats(model);
    const t = Date.now() - 60_000;
    stats.apply({ kind: 'login', time: t, service: 'imap', user: 'a@x', rip: '192.0.2.1', pid: 100 });
    stats.apply({ kind: 'login', time: t, service: 'imap', user: 'b@x', rip: '192.0.2.2', pid: 101 });
    stats.apply({ kind: 'login', time: t, service: 'lmtp', user: '', rip: 'local', pid: 200 });
    const who = parseWho('username\tproto\tpid\tip\nb@x\timap\t101\t192.0.2.2\nc@x\tpop3\t300\t192.0.2.3\nbad line\n');
    expect(who).to.deep.equal([
      { user: 'b@x', service: 'imap', pid: 101, ip: '192.0.2.2' },
      { user: 'c@x', service: 'pop3', pid: 300, ip: '192.0.2.3' },
    ]);
    expect(reconcile(stats, who, Date.now() + 1)).to.deep.equal({ closed: 1, opened: 1 });
    const imap = model.services.get(1)!;
    const pop3 = model.services.get(2)!;
    expect([imap.numCurrentConnections, pop3.numCurrentConnections, pop3.numGoodLogins, pop3.maxConnections]).to.deep.equal([1, 1, 0, 1]);
    expect(model.services.get(4)!.numCurrentConnections, 'who does not know LMTP sessions: left alone').to.equal(1);
    const popApp = model.applications.get(pop3.application!)!;
    expect([popApp.inboundAssociations, popApp.accumulatedInboundAssociations]).to.deep.equal([1, 0]);
    // c@x's login line read afterwards: counted once, no second session
    stats.apply({ kind: 'login', time: Date.now(), service: 'pop3', user: 'c@x', rip: '192.0.2.3', pid: 300 });
    expect([pop3.numCurrentConnections, pop3.numGoodLogins, popApp.accumulatedInboundAssociations]).to.deep.equal([1, 1, 1]);
    // a session that logged in after who ran is not closed by it
    stats.apply({ kind: 'login', time: Date.now(), service: 'imap', user: 'd@x', rip: '192.0.2.4', pid: 102 });
    expect(reconcile(stats, who, Date.now() - 1000)).to.deep.equal({ closed: 0, opened: 0 });
    expect(imap.numCurrentConnections).to.equal(2);
  });
});

describe('dovecot sessions in one mail process', () => {
  it('are told apart by session id (2.3 logs session=<> on Login and end lines)', () => {
    const model = new MailSystem();
    const stats = new DovecotStats(model);
    const imap = model.services.get(1)!;
    stats.apply(parseMessage('imap-login: Login: user=<a@x>, method=PLAIN, rip=192.0.2.1, lip=127.0.0.1, mpid=500, session=<AAAA>', 1000)!);
    stats.apply(parseMessage('imap-login: Login: user=<b@x>, method=PLAIN, rip=192.0.2.2, lip=127.0.0.1, mpid=500, session=<BBBB>', 2000)!);
    expect([imap.numGoodLogins, imap.numCurrentConnections, imap.maxConnections]).to.deep.equal([2, 2, 2]);
    stats.apply(parseMessage('imap(a@x)<500><AAAA>: Disconnected: Logged out in=10 out=20', 3000)!);
    const st = stats.state('imap');
    expect([...st.sessions.values()].map((x) => [x.user, x.session])).to.deep.equal([['b@x', 'BBBB']]);
    expect(imap.numCurrentConnections).to.equal(1);
    stats.apply(parseMessage('imap(b@x)<500><BBBB>: Disconnected: Logged out in=10 out=20', 4000)!);
    expect([imap.numCurrentConnections, imap.maxConnections, st.sessions.size]).to.deep.equal([0, 2, 0]);
    const app = model.applications.get(imap.application!)!;
    expect([app.inboundAssociations, app.accumulatedInboundAssociations, app.lastInboundActivity]).to.deep.equal([0, 2, 4000]);
  });
});

describe('dovecot sessions closed lately', () => {
  it('are forgotten after 10 minutes and beyond ENDED_MAX when they close, without doveadm who', () => {
    const stats = new DovecotStats(new MailSystem());
    const st = stats.state('imap');
    const T = 1_000_000_000;
    const session = (pid: number, at: number) => {
      stats.apply({ kind: 'login', time: 0, service: 'imap', user: 'u', rip: '192.0.2.1', pid });
      stats.close(st, `pid:${pid}`, 0, at);
    };
    session(1, T);
    session(2, T + 5 * 60_000);
    session(3, T + 10 * 60_000); // pid 1 closed exactly 10 minutes ago: still remembered
    expect([...st.ended]).to.deep.equal([['pid:1', T], ['pid:2', T + 300_000], ['pid:3', T + 600_000]]);
    session(4, T + 10 * 60_000 + 1); // now pid 1 is older than 10 minutes
    expect([...st.ended.keys()]).to.deep.equal(['pid:2', 'pid:3', 'pid:4']);
    for (let pid = 10; pid < 10 + ENDED_MAX; pid++) session(pid, T + 600_001);
    expect(st.ended.size).to.equal(10_000);
    expect([...st.ended.keys()][0]).to.equal('pid:10');
  });
});

describe("the agent's own IMAP logins (quotaMethod: imap)", () => {
  // lines of a real Dovecot 2.3.19 (test/helpers/dovecot-server.ts, master user madman-admin):
  // a master login, a master login for a user that no longer exists, a wrong master password
  const OWN = [
    'imap-login: Info: Login: user=<user@example.test>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=32039, secured, session=<+EGcpnBhvsh/AAAB>',
    'imap(user@example.test)<32039><+EGcpnBhvsh/AAAB>: Info: Disconnected: Logged out in=173 out=677 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0',
    'imap-login: Info: Disconnected: Internal login failure (pid=32054 id=1): user=<gone@example.test>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=32055, secured, session=<qymhpnBhxMh/AAAB>',
    'imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 1 secs): user=<madman-admin>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, secured, session=<Z6ShpnBh2Mh/AAAB>',
  ];

  it('are skipped: the logins and refusals announced, once each; the same lines of users count', () => {
    const model = new MailSystem();
    const stats = new DovecotStats(model, 'dovecot', ['imap', 'pop3'], 'madman-admin');
    const imap = model.services.get(1)!;
    stats.own.expect('user@example.test');
    stats.own.expect('gone@example.test');
    stats.own.expect('other@example.test'); // its login refused with the wrong master password
    for (const l of OWN) stats.apply(parseMessage(l, 1000)!);
    expect([imap.numGoodLogins, imap.numConnections, imap.numFailedConnections, imap.numFailedLogins, imap.maxConnections]).to.deep.equal([0, 0, 0, 0, 0]);
    expect([[...stats.users], stats.own.count]).to.deep.equal([[], 0]);
    // nothing announced any more: the same lines are users' own
    for (const l of OWN) stats.apply(parseMessage(l, 2000)!);
    expect([imap.numGoodLogins, imap.numConnections, imap.numFailedConnections, imap.numFailedLogins, imap.maxConnections]).to.deep.equal([1, 3, 2, 1, 1]);
    expect([...stats.users]).to.deep.equal(['user@example.test']);
  });

  it('an announced login the log never shows is forgotten after 5 minutes', () => {
    const own = new OwnLogins('m');
    own.expect('u', 0);
    own.expect('u', 1000);
    expect([own.take('u', OWN_LOGIN_MS), own.count]).to.deep.equal([true, 1]); // the first, still in time
    expect([own.take('u', 1000 + OWN_LOGIN_MS + 1), own.count]).to.deep.equal([false, 0]);
    own.expect('v', 0);
    expect([own.take('m', 10), own.take('m', 10), own.take('x', 10)]).to.deep.equal([true, false, false]);
  });
});

describe('failed logins before a successful one on the same connection (auth_verbose = yes)', () => {
  // a real Dovecot 2.3.19 with auth_verbose = yes: LOGIN with a wrong password, LOGIN of an
  // unknown user, then a good LOGIN, all on one connection. Without auth_verbose only the
  // Login line is logged and the two failures are not seen (docs/dovecot.md).
  const LINES = [
    'auth: Info: passwd-file(user@example.test,127.0.0.1,<6HjAx3BhZrJ/AAAB>): Password mismatch',
    'auth: Info: passwd-file(nosuch@example.test,127.0.0.1,<6HjAx3BhZrJ/AAAB>): unknown user',
    'imap-login: Info: Login: user=<user@example.test>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=19650, secured, session=<6HjAx3BhZrJ/AAAB>',
  ];

  it('are counted when the Login line of their session comes; a refusal counts its own N attempts once', () => {
    const model = new MailSystem();
    const stats = new DovecotStats(model);
    expect(parseMessage(LINES[0]!, 5)).to.deep.equal({ kind: 'authfail', time: 5, user: 'user@example.test', session: '6HjAx3BhZrJ/AAAB' });
    for (const l of LINES) stats.apply(parseMessage(l, 1000)!);
    const imap = model.services.get(1)!;
    expect([imap.numGoodLogins, imap.numFailedLogins, imap.numFailedConnections, imap.numConnections]).to.deep.equal([1, 2, 0, 1]);
    // two failures, then the connection is closed: "auth failed, 2 attempts" gives the 2
    stats.apply(parseMessage('auth: Info: passwd-file(a@x,127.0.0.1,<S2>): Password mismatch', 2000)!);
    stats.apply(parseMessage('auth: Info: passwd-file(a@x,127.0.0.1,<S2>): Password mismatch', 2000)!);
    stats.apply(parseMessage('imap-login: Info: Disconnected: Connection closed (auth failed, 2 attempts in 4 secs): user=<a@x>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, session=<S2>', 2000)!);
    expect([imap.numGoodLogins, imap.numFailedLogins, imap.numFailedConnections, imap.numConnections]).to.deep.equal([1, 4, 1, 2]);
    // a later Login reusing nothing: no stale failures left over
    stats.apply(parseMessage('imap-login: Info: Login: user=<a@x>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=7, session=<S3>', 3000)!);
    expect([imap.numGoodLogins, imap.numFailedLogins]).to.deep.equal([2, 4]);
  });
});
