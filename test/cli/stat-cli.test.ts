// `madman stat` and `madman alarms` as an operator runs them: a real agent process
// (`madman agent --config FILE`) reading a real Postfix's and a real Dovecot's logs, probing
// them and a real slapd, watching a disk and evaluating alarms; the commands find it through
// the same FILE. Their output is compared with golden text (times, the port, the run's
// directory and this machine's disk figures masked), and every exit code is asserted: agent
// not running, credentials refused (community, SNMPv3 pass phrase), object not configured.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { MAIN, startCliAgent, type CliAgent } from '../e2e/integration-support.js';
import { run, type RunResult } from '../helpers/harness.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';
import { expectGolden, maskText } from '../helpers/golden-text.js';
import { freeUdpPort } from '../helpers/ports.js';
import { ADDR, startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { until, waitForRow, type Row } from '../helpers/probe-support.js';
import { SUFFIX, USER_DN, USER_PW, startSlapd, type SlapdServer } from '../helpers/slapd-server.js';

type Sample = { object: string; count: number; instances: Array<{ instance: string; fields: Record<string, number | string | null>; delta?: Record<string, number> }> };

describe('madman stat and madman alarms against a real agent (Postfix, Dovecot, slapd)', function () {
  this.timeout(180000);
  let dir: string;
  let conf: string;
  let port: number;
  let dc: DovecotServer;
  let pf: PostfixServer;
  let ldap: SlapdServer;
  let agent: CliAgent | undefined;

  const madman = (...args: string[]): Promise<RunResult> => run('node', [MAIN, ...args], 60000);
  const stat = (...args: string[]) => madman('stat', '--config', conf, ...args);
  /** Waits (polling with snmpwalk, not the command under test) until a row of `table` has every column of `want`. */
  const waitRow = (table: string, want: Row) => waitForRow(`127.0.0.1:${port}`, table, want, { context: () => `agent log:\n${agent?.stderr().slice(-3000)}` });
  const imap = (user: string, pass: string) =>
    new ImapFlow({ host: '127.0.0.1', port: dc.imapPort, secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false });

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-stat-cli-'));
    [dc, pf, ldap] = await Promise.all([
      startDovecot({ storageKB: 100, messages: 10 }),
      startPostfix(),
      startSlapd(),
    ]);
    writeFileSync(path.join(dir, 'imap.pw'), 'secret\n');
    writeFileSync(path.join(dir, 'ldap.pw'), `${USER_PW}\n`);
    port = await freeUdpPort();
    conf = path.join(dir, 'madman.yml');
    writeFileSync(
      conf,
      [
        `listen: [udp:127.0.0.1:${port}]`,
        'stateDir: state',
        'fromStart: true',
        'rocommunity: [public 127.0.0.1]',
        'createUser: ["statuser SHA-256 stat-auth-pass AES stat-priv-pass"]',
        'rouser: [statuser priv]',
        `postfix: { log: ${pf.maillog} }`,
        `dovecot: { log: ${dc.logPath}, config: ${dc.conf}, quotaInterval: 1, whoInterval: 0 }`,
        `disks: { paths: [${dir}] }`,
        'probes:',
        `  - { name: mx, protocol: smtp, host: 127.0.0.1, port: ${pf.port}, interval: 3600 }`,
        `  - { name: store, protocol: imap, host: 127.0.0.1, port: ${dc.imapPort}, user: user@example.test, passwordFile: imap.pw, interval: 3600 }`,
        `  - { name: directory, protocol: ldap, host: 127.0.0.1, port: ${ldap.port}, user: "${USER_DN}", passwordFile: ldap.pw, base: "${SUFFIX}", filter: "(uid=tester)", interval: 3600 }`,
        'alarms:',
        // raised on any disk that is not entirely free: the run's disk figures are masked
        '  diskavail: { threshold: 99, clearThreshold: 99.5 }',
        '  quota: { statInterval: 1 }',
        ...['serverresponse', 'queuesize', 'queueage', 'failedlogins', 'rejects', 'servicedown'].map((a) => `  ${a}: { enabled: false }`),
        '',
      ].join('\n'),
    );
    agent = await startCliAgent(['agent', '--config', conf], dir);

    // each probe checks once (interval 3600 s), the IMAP one logging in as user@example.test
    for (const name of ['mx smtp on 127.0.0.1', 'store imap on 127.0.0.1', 'directory ldap on 127.0.0.1']) {
      await waitRow('madmanProbeTable', { madmanProbeName: name, madmanProbeChecks: '1', madmanProbeStatus: 'ok' });
    }
    // two good IMAP logins (the second fills user@example.test to 91% of 100 KB), one refused
    const a = imap('user@example.test', 'secret');
    await a.connect();
    await a.logout();
    const b = imap('user@example.test', 'secret');
    await b.connect();
    for (let i = 0; i < 3; i++) await b.append('INBOX', `Subject: ${i}\r\n\r\n${'y'.repeat(30 * 1024)}\r\n`);
    await b.logout();
    const bad = imap('user@example.test', 'wrong');
    await bad.connect().then(
      () => Promise.reject(new Error('logged in with a wrong password')),
      () => undefined,
    );
    bad.close();
    // one POP3 session
    await popLogin(dc.pop3Port, 'other@example.test', 'secret2');
    // one message through Postfix, delivered locally
    await pf.sendMail({ from: ADDR.sender, to: [ADDR.local], subject: 'stat' });
    await pf.waitForLog(/postfix-test\/local\[\d+\]: \w+: to=<tester@localhost>.*status=sent/);
    await waitRow('mtaTable', { mtaTransmittedMessages: '1' });
    await waitRow('madmanServiceTable', { madmanServiceName: 'dovecot imap', madmanServiceNumGoodLogins: '3', madmanServiceNumFailedLogins: '1' });
    await waitRow('madmanServiceTable', { madmanServiceName: 'dovecot pop3', madmanServiceNumGoodLogins: '1' });
    await waitRow('madmanAlarmTable', { madmanAlarmId: 'quota', madmanAlarmWarningState: 'true' });
  });

  after(async () => {
    await agent?.stop();
    await Promise.all([dc?.stop(), pf?.stop(), ldap?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const golden = async (name: string, args: string[], fields: string[] = []) => {
    const r = await stat(...args);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
    expectGolden(name, maskText(r.stdout, { dir, fields }));
  };

  it('imapstat and popstat: counterutil\'s eight fields, in its order', async () => {
    await golden('stat-imapstat.txt', ['imapstat']);
    await golden('stat-popstat.txt', ['popstat']);
  });

  it('serverresponse: laststattime and responsetime of each probed service, then the probe\'s state', async () => {
    await golden('stat-serverresponse.txt', ['serverresponse'], ['responsetime']);
  });

  it('diskusage and alarm: counterutil\'s fields; the alarm\'s ten statistics, then its settings', async () => {
    await golden('stat-diskusage.txt', ['diskusage'], ['availSpace', 'percentAvail', 'totalSpace', 'mountPoint']);
    // this machine's free space; the clear threshold of 99.5 reads 100 (an Integer32, rounded)
    const r = await stat('alarm');
    expect(r.code, r.stderr).to.equal(0);
    expectGolden('stat-alarm.txt', maskText(r.stdout, { dir, replace: [[/^(diskavail\.DIR\.(?:current|high|low)): \d+$/gm, '$1: <value>']] }));
  });

  it('mta and channels: MTA-MIB figures under their MIB names', async () => {
    await golden('stat-mta.txt', ['mta']);
    await golden('stat-channels.txt', ['channels']);
  });

  it('--list: every object and how many instances the agent has', async () => {
    await golden('stat-list.txt', ['--list']);
  });

  it('as the SNMPv3 user of the same file (authPriv): the same text', async () => {
    const v3 = await stat('imapstat', '--user', 'statuser');
    expect(v3.code, v3.stderr).to.equal(0);
    expectGolden('stat-imapstat.txt', maskText(v3.stdout, { dir }));
  });

  it('-i/-n: one sample per interval with what each running total moved; interrupted cleanly', async () => {
    const child = spawn('node', [MAIN, 'stat', '--config', conf, 'imapstat', '-i', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const samples = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sample);
    await until('the first sample', () => samples().length >= 1, 30000);
    const first = samples()[0]!.instances[0]!.fields;
    for (let i = 0; i < 2; i++) {
      const c = imap('other@example.test', 'secret2');
      await c.connect();
      await c.logout();
    }
    await until('a sample with both logins', () => samples().some((s) => s.instances[0]!.fields.numGoodLogins === (first.numGoodLogins as number) + 2), 60000);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).to.equal(0);
    const all = samples();
    expect(all.map((s) => s.count)).to.deep.equal(all.map((_s, i) => i + 1));
    expect(all[0]!.instances[0]!.delta).to.equal(undefined);
    let moved = 0;
    for (let i = 1; i < all.length; i++) {
      const [prev, cur] = [all[i - 1]!.instances[0]!, all[i]!.instances[0]!];
      for (const k of ['numConnections', 'numFailedConnections', 'numFailedLogins', 'numGoodLogins']) {
        expect(cur.delta![k], `${k} in sample ${i + 1}`).to.equal((cur.fields[k] as number) - (prev.fields[k] as number));
      }
      // gauges and times have no delta
      expect(Object.keys(cur.delta!)).to.not.include('numCurrentConnections');
      moved += cur.delta!.numGoodLogins!;
    }
    expect(moved).to.equal(2);
  });

  it('-n with text output: "(+N)" after the totals that moved since the previous sample', async () => {
    const r = await stat('imapstat', '-i', '0.2', '-n', '2');
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => /^count = \d+ at /.test(l)).map((l) => l.split(' ')[2])).to.deep.equal(['1', '2']);
    // nothing logged in meanwhile: each running total of the second sample moved by 0
    const second = lines.slice(lines.findIndex((l) => l.startsWith('count = 2')));
    expect(second.filter((l) => / \(\+0\)$/.test(l)).map((l) => l.split(':')[0])).to.deep.equal([
      'dovecot.numConnections',
      'dovecot.numFailedConnections',
      'dovecot.numFailedLogins',
      'dovecot.numGoodLogins',
    ]);
  });

  it('madman alarms lists the instances; --raised exits 1 and lists the raised ones', async () => {
    const r = await madman('alarms', '--config', conf);
    expect(r.code, r.stderr).to.equal(0);
    const masked = (t: string) => maskText(t, { dir, replace: [[/^(diskavail +DIR +raised +)\d+( +below 99 +)\d+ +\d+/m, '$1<current>$2<high> <low>']] }).replace(/ {2,}/g, '  ');
    expectGolden('alarms.txt', masked(r.stdout));
    const raised = await madman('alarms', '--config', conf, '--raised');
    expect(raised.code).to.equal(1);
    expectGolden('alarms-raised.txt', masked(raised.stdout));
  });

  it('errors: one line each, with distinct exit codes', async () => {
    const none = await stat('httpstat');
    expect([none.code, none.stdout, none.stderr]).to.deep.equal([5, '', `madman stat: the agent at udp:127.0.0.1:${port} has no httpstat: no webmail statistics (webmail: in the configuration)\n`]);
    const community = await stat('imapstat', '--community', 'nope', '-t', '1');
    expect([community.code, community.stderr]).to.deep.equal([4, `madman stat: the agent at udp:127.0.0.1:${port} does not answer community "nope" (unknown, or not allowed from this host)\n`]);
    // the same user with another pass phrase: the agent's Report says wrong digests
    const other = path.join(dir, 'other.yml');
    writeFileSync(other, `listen: [udp:127.0.0.1:${port}]\ncreateUser: ["statuser SHA-256 not-the-pass AES stat-priv-pass"]\nrouser: [statuser priv]\n`);
    const v3 = await madman('stat', '--config', other, 'imapstat');
    expect([v3.code, v3.stderr]).to.deep.equal([4, `madman stat: the agent at udp:127.0.0.1:${port} refuses SNMPv3 user statuser: Wrong Digest (incorrect password, community or key)\n`]);
    // commander's usage errors: 2 as well, not its 1 (which --raised means)
    const option = await madman('alarms', '--config', conf, '--raised', '--bogus');
    expect([option.code, option.stdout, option.stderr]).to.deep.equal([2, '', "madman alarms: unknown option '--bogus'\n"]);
    const missing = await stat('imapstat', '-i');
    expect([missing.code, missing.stderr]).to.deep.equal([2, "madman stat: option '-i, --interval <seconds>' argument missing\n"]);
    const unknown = await stat('imapstats');
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/^madman stat: no counter object imapstats \(there are alarm, diskusage, serverresponse, imapstat, popstat, httpstat, /);
    const bad = path.join(dir, 'bad.yml');
    writeFileSync(bad, 'listen: [udp:127.0.0.1:1161]\nalarms:\n  diskavail: { threshold: -1 }\n');
    const badConf = await madman('alarms', '--config', bad);
    expect(badConf.code).to.equal(2);
    expect(badConf.stderr).to.match(new RegExp(`^madman alarms: bad configuration: ${bad}:3: alarms\\.diskavail\\.threshold: `));
  });

  it('agent not running: exit 3, for stat and alarms', async () => {
    await agent!.stop();
    agent = undefined;
    const r = await stat('imapstat');
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([3, '', `madman stat: no SNMP agent answers at udp:127.0.0.1:${port} (is madman agent running?)\n`]);
    const a = await madman('alarms', '--config', conf, '--raised');
    expect([a.code, a.stderr]).to.deep.equal([3, `madman alarms: no SNMP agent answers at udp:127.0.0.1:${port} (is madman agent running?)\n`]);
  });
});

/** USER/PASS/QUIT over POP3. */
async function popLogin(port: number, user: string, pass: string): Promise<void> {
  const net = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding('utf8');
    const send = [`USER ${user}`, `PASS ${pass}`, 'QUIT'];
    let buf = '';
    s.on('error', reject);
    s.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!line.startsWith('+OK')) return reject(new Error(`POP3: ${line}`));
        const next = send.shift();
        if (next) s.write(`${next}\r\n`);
      }
    });
    s.on('close', () => resolve());
  });
}
