// The parts of the issue-18 commands that need no server: probe targets as immonitor-access
// writes them, the credentials each service gets, `madman stat`'s values, samples and deltas,
// which community or user reads the agent, Dovecot's domain quota roots and the notice template.

import { expect } from 'chai';
import { STAT_EXIT, targetFrom } from '../../src/cli/agent-client.js';
import { UsageError, adHocSpecs, splitTarget } from '../../src/cli/probe-targets.js';
import { fillTemplate, planNotices, DEFAULT_TEMPLATE } from '../../src/cli/quota-notice.js';
import { deltas, formatSample, sampling, valueText } from '../../src/cli/stat.js';
import { dateAndTimeMs, type StatInstance } from '../../src/cli/stat-objects.js';
import { defaults } from '../../src/config/config.js';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS } from '../../src/snmp/usm/crypto.js';
import { Level } from '../../src/snmp/usm/usm.js';
import { dateAndTime } from '../../src/mib/view.js';
import { domainRootsIn } from '../../src/sources/dovecot/domain-quota.js';
import { QuotaParser } from '../../src/sources/dovecot/quota.js';

describe('madman probe targets', () => {
  it('splits [USER@]HOST[:PORT][=C | =W,C]; a user may hold @; URLs keep their own @ and =', () => {
    expect(splitTarget('probe@example.org@mx.example.org:587=2', true)).to.deep.equal({ user: 'probe@example.org', rest: 'mx.example.org:587', warning: undefined, critical: 2 });
    expect(splitTarget('[::1]:143=0.5,2', true)).to.deep.equal({ user: undefined, rest: '[::1]:143', warning: 0.5, critical: 2 });
    expect(splitTarget('https://u@web.example.org/?a=b', false)).to.deep.equal({ user: undefined, rest: 'https://u@web.example.org/?a=b', warning: undefined, critical: undefined });
    expect(splitTarget('https://web.example.org/=3', false).critical).to.equal(3);
    expect(() => splitTarget('@mx:25', true)).to.throw(UsageError, '"@mx:25": empty user name before @');
  });

  it('credentials: the target\'s user, else the service\'s flag, else --user (on SMTP only if offered)', () => {
    const [smtp, sub, imap, pop, ldap] = adHocSpecs({
      smtp: ['mx:25'],
      submission: ['auth@mx:587'],
      imap: ['store:143'],
      pop: ['store:110'],
      ldap: ['dir:389'],
      user: 'shared',
      passwordFile: '/pw',
      popUser: 'popper',
      popPasswordFile: '/pop.pw',
    });
    expect([smtp!.user, smtp!.authIfOffered, smtp!.passwordFile]).to.deep.equal(['shared', true, '/pw']);
    expect([sub!.user, sub!.authIfOffered]).to.deep.equal(['auth', undefined]);
    expect([imap!.user, imap!.authIfOffered]).to.deep.equal(['shared', undefined]);
    expect([pop!.user, pop!.passwordFile]).to.deep.equal(['popper', '/pop.pw']);
    expect(ldap!.user).to.equal('shared');
    const own = adHocSpecs({ smtp: ['mx'], smtpUser: 'me' })[0]!;
    expect([own.user, own.port, own.authIfOffered]).to.deep.equal(['me', 25, undefined]);
  });

  it('--roundtrip joins the SMTP and IMAP targets into one spec; other targets stay checks of their own', () => {
    const specs = adHocSpecs({ roundtrip: true, smtp: ['mx:2525'], pop: ['u@store'], http: ['http://web/'], to: 'probe@x', from: 'me@x', critical: '20' });
    expect(specs.map((s) => s.protocol)).to.deep.equal(['roundtrip', 'http']);
    const rt = specs[0]!;
    expect([rt.fetch, rt.host, rt.port, rt.user, rt.critical]).to.deep.equal(['pop3', 'store', 110, 'u', 20]);
    expect([rt.smtp!.host, rt.smtp!.port, rt.smtp!.to, rt.smtp!.from]).to.deep.equal(['mx', 2525, 'probe@x', 'me@x']);
  });
});

describe('madman stat values and samples', () => {
  const inst = (good: number, current: number): StatInstance => ({
    instance: 'dovecot',
    fields: [
      { name: 'lastConnectionTime', kind: 'time', value: null },
      { name: 'numCurrentConnections', kind: 'gauge', value: current },
      { name: 'numGoodLogins', kind: 'counter', value: good },
      { name: 'responsetime', kind: 'gauge', value: 12, unit: 'ms' },
    ],
  });

  it('deltas of running totals only, from the second sample on', () => {
    expect([...deltas(inst(15, 3), new Map([['numGoodLogins', 12]]))]).to.deep.equal([['numGoodLogins', 3]]);
    expect(deltas(inst(15, 3), undefined).size).to.equal(0);
    const text = formatSample(2, 0, [inst(15, 3)], new Map([['dovecot', new Map([['numGoodLogins', 12]])]]));
    expect(text.split('\n').slice(3)).to.deep.equal([
      'dovecot.lastConnectionTime: 0',
      'dovecot.numCurrentConnections: 3',
      'dovecot.numGoodLogins: 15 (+3)',
      'dovecot.responsetime: 12 ms',
      '',
    ]);
    expect(valueText({ name: 'reason', kind: 'text', value: null })).to.equal('');
  });

  it('-i and -n: one sample by default, endless with -i alone; bad values are usage errors', () => {
    expect(sampling({})).to.deep.equal({ interval: undefined, count: 1 });
    expect(sampling({ interval: '5' })).to.deep.equal({ interval: 5, count: Infinity });
    expect(sampling({ interval: '0.5', count: '10' })).to.deep.equal({ interval: 0.5, count: 10 });
    expect(() => sampling({ interval: 'soon' })).to.throw('-i takes a positive number, not "soon"').with.property('code', STAT_EXIT.usage);
    expect(() => sampling({ count: '2.5' })).to.throw('-n takes a positive integer, not "2.5"');
  });

  it('DateAndTime back to the instant it was made, with or without its zone; zeros are unknown', () => {
    const t = Date.UTC(2026, 10, 29, 19, 58, 42, 300);
    expect(dateAndTimeMs(dateAndTime(t))).to.equal(t);
    // 19:58:42 -0700 is 02:58:42 UTC the next day
    expect(dateAndTimeMs(Buffer.from([0x07, 0xea, 11, 29, 19, 58, 42, 0, 0x2d, 7, 0]))).to.equal(Date.UTC(2026, 10, 30, 2, 58, 42));
    expect(dateAndTimeMs(Buffer.alloc(8))).to.equal(null);
  });

  it('reads with the first community this host may use, else an SNMPv3 user with read access', () => {
    const s = defaults();
    s.listen = ['udp:0.0.0.0:1161'];
    s.communities = [
      { community: 'far', sources: ['10.0.0.0/8'] },
      { community: 'viewed', sources: ['127.0.0.1'], view: 'mail' },
      { community: 'local', sources: ['127.0.0.0/8'] },
    ];
    expect(targetFrom(s)).to.deep.equal({ host: '127.0.0.1', port: 1161, family: 'udp4', credentials: { kind: 'community', community: 'local' } });
    s.communities = [];
    const nms = { name: 'nms', auth: { protocol: AUTH_PROTOCOLS['SHA-256'], pass: 'auth-pass' }, priv: { protocol: PRIV_PROTOCOLS.AES, pass: 'priv-pass' } };
    s.security = { views: new Map(), users: [{ name: 'other', auth: { protocol: AUTH_PROTOCOLS.SHA, pass: 'x-pass-x' } }, nms], rousers: [{ user: 'nms', minLevel: Level.authPriv }] };
    expect(targetFrom(s).credentials).to.deep.equal({ kind: 'v3', user: nms });
    expect(targetFrom(s, { agent: 'udp6:[::]:161', community: 'c' })).to.deep.equal({ host: '::1', port: 161, family: 'udp6', credentials: { kind: 'community', community: 'c' } });
    s.security.rousers = [];
    expect(() => targetFrom(s)).to.throw('the configuration gives 127.0.0.1 no community and no SNMPv3 user to read the agent with (use --community or --user)').with.property('code', STAT_EXIT.usage);
  });
});

describe('domain quotas and quota notices', () => {
  it('finds the dict quota roots keyed by the domain in `doveconf plugin`', () => {
    const plugin = [
      'plugin {',
      '  quota = maildir:User quota',
      '  quota2 = dict:Domain quota:%d:proxy::quota',
      '  quota3 = dict:Other:%{domain}:file:/x',
      '  quota4 = dict:Per user:%u:file:/y',
      '  quota2_rule = *:storage=1G',
      '}',
    ].join('\n');
    expect([...domainRootsIn(plugin)]).to.deep.equal(['Domain quota', 'Other']);
  });

  it('parses a domain root\'s lines into the domain\'s figures, not the user\'s', () => {
    const p = new QuotaParser(undefined, new Set(['Domain quota']));
    p.push('Username\tQuota name\tType\tValue\tLimit\t%\n');
    p.push('a@x.test\tDomain quota\tSTORAGE\t15\t300\t5\na@x.test\tDomain quota\tMESSAGE\t3\t5\t60\n');
    p.push('a@x.test\tUser quota\tSTORAGE\t5\t1024\t0\na@x.test\tUser quota\tMESSAGE\t1\t100\t1\nlocal\tDomain quota\tSTORAGE\t1\t300\t0\n');
    expect([...p.end().values()]).to.deep.equal([{ user: 'a@x.test', storageKb: 5, storageLimitKb: 1024, messages: 1, messageLimit: 100 }]);
    expect([...p.domains.values()]).to.deep.equal([{ user: 'x.test', storageKb: 15, storageLimitKb: 300, messages: 3, messageLimit: 5 }]);
  });

  it('fills Sun\'s template; notices go to users at or above the percentage and to the domain\'s postmaster', () => {
    const q = { user: 'a@x.test', storageKb: 95, storageLimitKb: 100, messages: 2, messageLimit: undefined };
    expect(fillTemplate(DEFAULT_TEMPLATE, 'a@x.test', q)).to.deep.equal({
      subject: '[Warning] quota reached for a@x.test',
      text: 'Hello a@x.test,\nYour quota: 100K, no message quota\nYour current mailbox usage: 95K, 2 messages\nYour mailbox is now 95% full.\nstorage 95K of 100K (95%), messages 2 (no quota)\n\nPlease clean up unwanted diskspace.\n',
    });
    const plan = planNotices(
      [q, { user: 'b@x.test', storageKb: 10, storageLimitKb: 100, messages: 0 }, { user: 'bare', storageKb: 99, storageLimitKb: 100, messages: 0 }],
      [{ user: 'x.test', storageKb: 290, storageLimitKb: 300, messages: 0 }],
      90,
      { domainRecipient: 'quota-admin@%d' },
      'Subject: %U%\n\n%Q%\n',
    );
    expect(plan.notices.map((n) => [n.about, n.to, n.subject, n.text])).to.deep.equal([
      ['a@x.test', 'a@x.test', 'a@x.test', '95%\n'],
      ['@x.test', 'quota-admin@x.test', 'x.test', '96%\n'],
    ]);
    expect(plan.unaddressed).to.deep.equal(['bare']);
  });
});
