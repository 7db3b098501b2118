// `madman probe` as immonitor-access is used: services with their own thresholds
// (HOST:PORT=SECONDS), their own credentials (user@ in the target, --smtp-user/--imap-user/
// --pop-user), one --user shared by IMAP and an SMTP server without AUTH, and the round trip
// from the command line, against a real Postfix delivering into a real Dovecot (and an SMTP
// server that greets late, for thresholds).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { run, type RunResult } from '../helpers/harness.js';
import { expectGolden, maskText } from '../helpers/golden-text.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';
import { startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { startSlowSmtp, type TestServer } from '../helpers/probe-support.js';

const madman = (...args: string[]): Promise<RunResult> => run('node', ['dist/src/cli/main.js', 'probe', ...args], 60000);

interface Report {
  name: string;
  protocol: string;
  target: string;
  status: string;
  phases: Array<{ name: string }>;
  reason: string;
  detail: string;
  perfdata: string;
}
const reports = (r: RunResult) => JSON.parse(r.stdout) as Report[];
const phases = (rep: Report) => rep.phases.map((p) => p.name);
/** The text output with what a run cannot repeat masked: timings, loopback ports, the round trip's message tag. */
const maskProbe = (text: string) =>
  maskText(text, {
    replace: [
      [/\b\d+\.\d{3} sec\./g, '<s> sec.'],
      [/\btime=\d+\.\d{6}s/g, 'time=<s>s'],
      // the phases' names stay; their widths vary with the figures
      [/^ {4}(\S+) +\d+\.\d ms$/gm, '    $1 <ms> ms'],
      [/\b127\.0\.0\.1:\d+/g, '127.0.0.1:<port>'],
      [/message \S+ delivered/g, 'message <tag> delivered'],
    ],
  });

describe('madman probe: per-service thresholds and credentials, --roundtrip (Postfix, Dovecot)', function () {
  this.timeout(120000);
  let dir: string;
  let pw: string;
  let dc: DovecotServer;
  let pf: PostfixServer;
  let slow: TestServer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-probe-targets-'));
    pw = path.join(dir, 'pw');
    writeFileSync(pw, 'secret\n');
    writeFileSync(path.join(dir, 'other.pw'), 'secret2\n');
    dc = await startDovecot();
    // probe@localhost goes into user@example.test's maildir (as probes-roundtrip.test.ts does)
    const aliases = path.join(dir, 'aliases');
    writeFileSync(aliases, `probe ${dc.dir}/mail/example.test/user/Maildir/\n`);
    pf = await startPostfix({ main: { alias_maps: `texthash:${aliases}`, default_privs: 'mail' } });
    slow = await startSlowSmtp(300);
  });
  after(async () => {
    await slow?.close();
    await pf?.stop();
    await dc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--user is IMAP\'s login; an SMTP server that offers no AUTH gets none', async () => {
    const r = await madman('--smtp', `127.0.0.1:${pf.port}`, '--imap', `127.0.0.1:${dc.imapPort}`, '--user', 'user@example.test', '--password-file', pw, '--json');
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const [smtp, imap] = reports(r);
    expect([smtp!.status, phases(smtp!)]).to.deep.equal(['ok', ['connect', 'greeting', 'ehlo', 'quit']]);
    expect([imap!.status, phases(imap!)]).to.deep.equal(['ok', ['login', 'select', 'search', 'logout']]);
    // the same as text: check_smtp's status line with perfdata, then each phase
    const text = await madman('--smtp', `127.0.0.1:${pf.port}`, '--imap', `127.0.0.1:${dc.imapPort}`, '--user', 'user@example.test', '--password-file', pw);
    expect(text.code, text.stdout + text.stderr).to.equal(0);
    expect(text.stderr).to.equal('');
    expectGolden('probe-smtp-imap.txt', maskProbe(text.stdout));
  });

  it('--smtp-user requires AUTH: CRITICAL when the server offers none', async () => {
    const r = await madman('--smtp', `127.0.0.1:${pf.port}`, '--smtp-user', 'someone', '--password-file', pw);
    expect(r.code).to.equal(2);
    expect(r.stdout.split('\n')[0]).to.match(/^SMTP CRITICAL - \d+\.\d{3} sec\. response time, auth: the server offers no AUTH \(STARTTLS first\?\)\|/);
    // user@ in the target is the service's own user too
    const t = await madman('--smtp', `someone@127.0.0.1:${pf.port}`, '--password-file', pw);
    expect(t.code).to.equal(2);
    expect(t.stdout).to.contain('auth: the server offers no AUTH');
  });

  it('user@ in an IMAP or POP3 target, and --imap-user/--pop-user with their own password files', async () => {
    const r = await madman(
      '--imap',
      `user@example.test@127.0.0.1:${dc.imapPort}`,
      '--password-file',
      pw,
      '--pop',
      `127.0.0.1:${dc.pop3Port}`,
      '--pop-user',
      'other@example.test',
      '--pop-password-file',
      path.join(dir, 'other.pw'),
      '--json',
    );
    expect(r.code, r.stdout).to.equal(0);
    const [imap, pop] = reports(r);
    expect([imap!.status, phases(imap!)]).to.deep.equal(['ok', ['login', 'select', 'search', 'logout']]);
    expect([pop!.status, phases(pop!)]).to.deep.equal(['ok', ['connect', 'greeting', 'login', 'stat', 'quit']]);
    // the service's own user wins over --user, and a wrong one fails that service only
    const w = await madman('--imap', `127.0.0.1:${dc.imapPort}`, '--imap-user', 'user@example.test', '--user', 'nobody@example.test', '--password-file', pw, '--pop', `nobody@example.test@127.0.0.1:${dc.pop3Port}`, '--json');
    expect(w.code).to.equal(2);
    const [okImap, badPop] = reports(w);
    expect(okImap!.status).to.equal('ok');
    expect([badPop!.status, badPop!.reason]).to.deep.equal(['critical', 'login: -ERR [AUTH] Authentication failed.']);
  });

  it('HOST:PORT=SECONDS is that service\'s critical threshold, =W,C both, in place of -w/-c; -w/-c judge the others', async () => {
    const r = await madman('--smtp', `127.0.0.1:${slow.port}=0.1`, '--smtp', `127.0.0.1:${slow.port}=0.1,30`, '--smtp', `127.0.0.1:${pf.port}`, '-w', '20', '-c', '30', '--json');
    const [own, both, other] = reports(r);
    const perf = (rep: Report) => rep.perfdata.replace(/^time=\d+\.\d{6}s/, '');
    // the slow server greets after 300 ms: over its own 0.1 s
    expect(own!.status).to.equal('critical');
    expect(own!.reason).to.match(/^response time \d+\.\d{3} s over the critical threshold of 0\.1 s$/);
    expect(perf(own!)).to.equal(';;0.100000;0.000000');
    expect([both!.status, perf(both!)]).to.deep.equal(['warning', ';0.100000;30.000000;0.000000']);
    expect([other!.status, perf(other!)]).to.deep.equal(['ok', ';20.000000;30.000000;0.000000']);
    expect(r.code).to.equal(2);
  });

  it('bad thresholds in targets, and bad options, are UNKNOWN (3)', async () => {
    const bad = await madman('--imap', `127.0.0.1:${dc.imapPort}=soon`);
    expect([bad.code, bad.stdout]).to.deep.equal([3, `PROBE UNKNOWN - the threshold of "127.0.0.1:${dc.imapPort}=soon" needs a positive number of seconds, not "soon"\n`]);
    const order = await madman('--smtp', `127.0.0.1:${pf.port}=5,2`);
    expect([order.code, order.stdout]).to.deep.equal([3, `PROBE UNKNOWN - "127.0.0.1:${pf.port}=5,2": the warning threshold is greater than the critical one\n`]);
    // commander's usage errors too, on stdout where a check's status line goes
    const option = await madman('--smtp', `127.0.0.1:${pf.port}`, '--bogus');
    expect([option.code, option.stdout, option.stderr]).to.deep.equal([3, "PROBE UNKNOWN - unknown option '--bogus'\n", '']);
    const big = await madman('--smtp', `127.0.0.1:${pf.port}=90000`);
    expect([big.code, big.stdout]).to.deep.equal([3, `PROBE UNKNOWN - "127.0.0.1:${pf.port}=90000": at most 86400 seconds\n`]);
  });

  it('--roundtrip by IMAP: send, delivery, fetch, delete, logout, as the config probe; the mailbox is empty after', async () => {
    const r = await madman(
      '--roundtrip',
      '--smtp',
      `127.0.0.1:${pf.port}`,
      '--imap',
      `127.0.0.1:${dc.imapPort}`,
      '--from',
      'sender@localhost',
      '--to',
      'probe@localhost',
      '--user',
      'user@example.test',
      '--password-file',
      pw,
      '-t',
      '30',
      '-c',
      '25',
    );
    expect(r.code, r.stdout).to.equal(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^ROUNDTRIP OK - \d+\.\d{3} sec\. response time, message \S+ delivered and deleted\|time=\d+\.\d{6}s;;25\.000000;0\.000000$/);
    expect(lines[1]).to.equal(`  cli roundtrip on 127.0.0.1 (127.0.0.1:${pf.port} -> 127.0.0.1:${dc.imapPort})`);
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/)[0])).to.deep.equal(['send', 'delivery', 'fetch', 'delete', 'logout', 'total']);
    expectGolden('probe-roundtrip-imap.txt', maskProbe(r.stdout));
    const box = await madman('--imap', `user@example.test@127.0.0.1:${dc.imapPort}`, '--password-file', pw, '--json');
    expect(reports(box)[0]!.detail).to.equal('0 messages in INBOX');
  });

  it('--roundtrip by POP3, the mailbox user in the target', async () => {
    const r = await madman('--roundtrip', '--smtp', `127.0.0.1:${pf.port}`, '--pop', `user@example.test@127.0.0.1:${dc.pop3Port}`, '--to', 'probe@localhost', '--password-file', pw, '-t', '30', '--json');
    expect(r.code, r.stdout).to.equal(0);
    const [rt] = reports(r);
    expect([rt!.protocol, phases(rt!)]).to.deep.equal(['roundtrip', ['send', 'delivery', 'fetch', 'delete', 'quit']]);
  });

  it('--roundtrip needs one SMTP and one IMAP/POP3 target and --to: UNKNOWN otherwise', async () => {
    const two = await madman('--roundtrip', '--smtp', `127.0.0.1:${pf.port}`, '--to', 'probe@localhost');
    expect([two.code, two.stdout]).to.deep.equal([3, 'PROBE UNKNOWN - --roundtrip needs one --smtp (or --submission) and one --imap or --pop\n']);
    const to = await madman('--roundtrip', '--smtp', `127.0.0.1:${pf.port}`, '--imap', `127.0.0.1:${dc.imapPort}`);
    expect([to.code, to.stdout]).to.deep.equal([3, 'PROBE UNKNOWN - --roundtrip needs --to, the mailbox the --imap/--pop user reads\n']);
    const own = await madman('--roundtrip', '--smtp', `127.0.0.1:${pf.port}=2`, '--imap', `127.0.0.1:${dc.imapPort}`, '--to', 'probe@localhost');
    expect([own.code, own.stdout]).to.deep.equal([3, `PROBE UNKNOWN - "127.0.0.1:${pf.port}=2": with --roundtrip, -w and -c judge the whole round trip\n`]);
  });
});
