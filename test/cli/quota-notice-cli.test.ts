// `madman quota -e` (imquotacheck's notices) and Dovecot domain quotas, against a real
// Dovecot with a per-user quota and a domain quota (a dict root keyed by %d), mailing through
// a test SMTP server that keeps what it receives: who gets a notice, its text from the
// configured template, --dry-run, -n, users without an address, and a refused recipient.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, run, type RunResult } from '../helpers/harness.js';
import { DOVEADM, startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/postfix-server.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

const TEMPLATE = `Subject: Mailbox of %U% is %Q% full

Dear %U%,
quota %C%, in use %M%.
%R%
`;

describe('madman quota: domain quotas and -e notices (Dovecot, a test SMTP server)', function () {
  this.timeout(120000);
  let dir: string;
  let dc: DovecotServer;
  let sink: SmtpSink;
  let refusing: SmtpSink;
  const config = (name: string, notice: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, `dovecot:\n  config: ${dc.conf}\n  quotaWarnPercent: 90\nquotaNotice:\n${notice}`);
    return f;
  };
  const quota = (...args: string[]): Promise<RunResult> => run('node', [CLI, 'quota', ...args], 60000);
  /** storage used, in KB, as doveadm counts it (the message with its headers) */
  const used = (u: string) => Number(/STORAGE\t(\d+)\t/.exec(execFileSync(DOVEADM, ['-c', dc.conf, '-f', 'tab', 'quota', 'get', '-u', u], { encoding: 'utf8' }))![1]);
  /** `kb` KB in one message into USER's INBOX */
  const fill = (user: string, kb: number) => execFileSync(DOVEADM, ['-c', dc.conf, 'save', '-u', user], { input: `Subject: fill\n\n${'y'.repeat(kb * 1024 - 100)}\n` });

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-quota-notice-'));
    dc = await startDovecot({
      storageKB: 100,
      messages: 10,
      users: [
        { user: 'full@example.test', password: 'x' },
        { user: 'half@example.test', password: 'x' },
        { user: 'free@other.test', password: 'x' },
        { user: 'local', password: 'x' },
      ],
      // the domain's users share 200 KB and 5 messages
      extraConfig: 'plugin {\n  quota2 = dict:Domain quota:%d:file:%h/../domain-quota\n  quota2_rule = *:storage=200K:messages=5\n}\n',
    });
    fill('full@example.test', 97);
    fill('half@example.test', 30);
    fill('half@example.test', 30);
    fill('local', 92);
    sink = await startSmtpSink('accept');
    refusing = await startSmtpSink('reject-rcpt');
    writeFileSync(path.join(dir, 'notice.txt'), TEMPLATE);
  });
  after(async () => {
    await sink?.close();
    await refusing?.close();
    await dc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the report shows each domain quota as @DOMAIN, and -d DOMAIN its limits in the header', async () => {
    const all = await quota('--config', config('plain.yml', '  userDomain: example.test\n'));
    expect(all.code, all.stderr).to.equal(0);
    const lines = all.stdout.split('\n');
    const [full, half, local] = [used('full@example.test'), used('half@example.test'), used('local')];
    expect(lines.filter((l) => l.includes('@example.test') || l.includes('@other.test') || l.endsWith('local') || l.endsWith('local *'))).to.deep.equal([
      `200K              ${String(full + half).padEnd(11)}${`${Math.floor(((full + half) * 100) / 200)}%`.padEnd(8)}5             3       60%     @example.test`,
      '200K              0          0%      5             0       0%      @other.test',
      '100K              0          0%      10            0       0%      free@other.test',
      `100K              ${String(full).padEnd(11)}${`${Math.floor(full)}%`.padEnd(8)}10            1       10%     full@example.test *`,
      `100K              ${String(half).padEnd(11)}${`${Math.floor(half)}%`.padEnd(8)}10            2       20%     half@example.test`,
      `100K              ${String(local).padEnd(11)}${`${Math.floor(local)}%`.padEnd(8)}10            1       10%     local *`,
    ]);
    const one = await quota('--config', config('plain.yml', '  userDomain: example.test\n'), '-d', 'example.test');
    expect(one.stdout.split('\n')[0]).to.equal('Domain example.test (diskquota = 200K msgquota = 5) quota usage');
  });

  it('-e mails each user (and domain) at or above the percentage, from the template; -n does the same', async () => {
    const conf = config('send.yml', `  host: 127.0.0.1\n  port: ${sink.port}\n  from: quota@example.test\n  template: { file: notice.txt }\n  userDomain: example.test\n`);
    // the figures the notices must show: full@ alone is at or above 95%
    const [full, half, local] = [used('full@example.test'), used('half@example.test'), used('local')];
    expect([full >= 95, half < 95 && half >= 60, local < 95 && local >= 90]).to.deep.equal([true, true, true]);
    const r = await quota('--config', conf, '-e', '--over', '95');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`notice sent to full@example.test (full@example.test, ${full}%)\n1 of 1 notice sent at or above 95% via 127.0.0.1:${sink.port}\n`);
    expect(sink.messages.map((m) => [m.from, m.to])).to.deep.equal([['quota@example.test', ['full@example.test']]]);
    const [mail] = sink.messages;
    expect(mail!.data).to.match(/^Auto-Submitted: auto-generated\r$/m);
    expect(mail!.data).to.match(new RegExp(`^Subject: Mailbox of full@example\\.test is ${full}% full\r$`, 'm'));
    expect(mail!.data).to.contain(`Dear full@example.test,\r\nquota 100K, 10 messages, in use ${full}K, 1 message.\r\nstorage ${full}K of 100K (${full}%), messages 1 of 10 (10%)`);
    sink.messages.length = 0;
    const n = await quota('--config', conf, '-n', '--over', '60');
    expect(n.code, n.stderr).to.equal(0);
    const to = sink.messages.map((m) => m.to[0]).sort();
    expect(to).to.deep.equal(['full@example.test', 'half@example.test', 'local@example.test', 'postmaster@example.test']);
    // the domain's notice: its quota of 200K and 5 messages, and the larger of its two percentages
    const domainPct = Math.max(Math.floor(((full + half) * 100) / 200), 60);
    const domain = sink.messages.find((m) => m.to[0] === 'postmaster@example.test')!;
    expect(domain.data).to.match(new RegExp(`^Subject: Mailbox of example\\.test is ${domainPct}% full\r$`, 'm'));
    expect(domain.data).to.contain(`Dear example.test,\r\nquota 200K, 5 messages, in use ${full + half}K, 3 messages.\r\n`);
  });

  it('--dry-run prints the mails and sends none', async () => {
    sink.messages.length = 0;
    const conf = config('dry.yml', `  host: 127.0.0.1\n  port: ${sink.port}\n  from: quota@example.test\n  template: "Subject: %U% at %Q%\\n\\nhello %U%\\n"\n  userDomain: example.test\n`);
    const r = await quota('--config', conf, '-e', '--dry-run', '-u', 'full@example.test');
    expect(r.code, r.stderr).to.equal(0);
    expect(sink.messages).to.deep.equal([]);
    expect(r.stdout).to.match(/^From: quota@example\.test\nTo: full@example\.test\nSubject: full@example\.test at \d+%\n\nhello full@example\.test\n\n1 notice at or above 90% \(dry run: none sent\)\n$/);
  });

  it('a user over with no address, and a refused recipient, exit 1 naming them', async () => {
    const noDomain = config('nodomain.yml', `  host: 127.0.0.1\n  port: ${sink.port}\n`);
    const r = await quota('--config', noDomain, '-e', '--dry-run');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('madman quota: local is at or above 90% but has no mail address (set quotaNotice.userDomain)\n');
    const refused = config('refused.yml', `  host: 127.0.0.1\n  port: ${refusing.port}\n  userDomain: example.test\n`);
    const f = await quota('--config', refused, '-e', '-u', 'full@example.test');
    expect(f.code).to.equal(1);
    expect(f.stderr).to.match(/^madman quota: notice to full@example\.test \(full@example\.test, \d+%\) not sent: .*550/);
    expect(f.stdout.trimEnd().split('\n').pop()).to.equal(`0 of 1 notice sent at or above 90% via 127.0.0.1:${refusing.port}`);
  });

  it('bad options and templates exit 2', async () => {
    const conf = config('bad.yml', '  template: { file: missing.txt }\n');
    const r = await quota('--config', conf, '-e');
    expect([r.code, r.stderr]).to.deep.equal([2, `madman quota: cannot read the notice template ${path.join(dir, 'missing.txt')}: ENOENT: no such file or directory, open '${path.join(dir, 'missing.txt')}'\n`]);
    const option = await quota('--config', conf, '-e', '--bogus');
    expect([option.code, option.stderr]).to.deep.equal([2, "madman quota: unknown option '--bogus'\n"]);
    const dry = await quota('--config', conf, '--dry-run');
    expect([dry.code, dry.stderr]).to.deep.equal([2, 'madman quota: --dry-run and -t go with -e (send the notices)\n']);
    const noSubject = config('nosubject.yml', '  template: "Hello %U%"\n');
    const b = await quota('--config', noSubject, '-e');
    expect(b.code).to.equal(2);
    expect(b.stderr).to.equal(`madman: bad configuration: ${path.join(dir, 'nosubject.yml')}:5: quotaNotice.template: must match pattern "^Subject:"\n`);
  });
});
