// `madman quota` against a real Dovecot: the imquotacheck layout for all users, one user and
// one domain, users over the warning percentage marked, a bad configuration exiting 2 with
// key and line, and Dovecot down reported with exit 1.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { ROOT, run } from '../helpers/harness.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

describe('madman quota', function () {
  this.timeout(30000);
  let dc: DovecotServer;
  let used = 0;

  before(async () => {
    dc = await startDovecot({
      storageKB: 100,
      messages: 10,
      users: [
        { user: 'user@example.test', password: 'secret' },
        { user: 'other@example.test', password: 'secret2' },
        { user: 'free@other.test', password: 'x', quotaRule: '*:storage=0:messages=0' },
      ],
    });
    const c = new ImapFlow({ host: '127.0.0.1', port: dc.imapPort, secure: false, doSTARTTLS: false, auth: { user: 'user@example.test', pass: 'secret' }, logger: false });
    await c.connect();
    for (let i = 0; i < 3; i++) await c.append('INBOX', `Subject: ${i}\r\n\r\n${'y'.repeat(30 * 1024)}\r\n`);
    await c.logout();
    const d = await dc.doveadm(['-f', 'tab', 'quota', 'get', '-u', 'user@example.test']);
    used = Number(/STORAGE\t(\d+)\t/.exec(d.stdout)![1]);
  });
  after(async () => {
    await dc?.stop();
  });

  it('reports every user in the imquotacheck layout, marking those over 90%', async () => {
    const r = await run('node', [CLI, 'quota', '--dovecot-config', dc.conf]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(
      [
        'Domain (diskquota = not set msgquota = not set) quota usage',
        'diskquota         size(K)    %use    msgquota      msgs    %use    user',
        '# of domains = 2',
        '# of users = 3',
        '',
        'no quota          0                  no quota      0               free@other.test',
        '100K              0          0%      10            0       0%      other@example.test',
        `100K              ${String(used).padEnd(11)}${`${used}%`.padEnd(8)}10            3       30%     user@example.test *`,
        '',
        '# of users at or above 90% = 1 (marked *)',
        '',
      ].join('\n'),
    );
  });

  it('-u USER and -d DOMAIN narrow the report; --over moves the mark', async () => {
    let r = await run('node', [CLI, 'quota', '--dovecot-config', dc.conf, '-u', 'other@example.test']);
    expect(r.stdout).to.equal(
      'quota usage for user other@example.test\n' +
        'diskquota         size(K)    %use    msgquota      msgs    %use    user\n\n' +
        '100K              0          0%      10            0       0%      other@example.test\n',
    );
    r = await run('node', [CLI, 'quota', '--dovecot-config', dc.conf, '-d', 'example.test', '--over', '95']);
    expect(r.stdout.split('\n').slice(0, 4)).to.deep.equal([
      'Domain example.test (diskquota = not set msgquota = not set) quota usage',
      'diskquota         size(K)    %use    msgquota      msgs    %use    user',
      '# of domains = 1',
      '# of users = 2',
    ]);
    expect(r.stdout).to.not.include('*');
    r = await run('node', [CLI, 'quota', '--dovecot-config', dc.conf, '-u', 'nobody@example.test']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^madman quota: doveadm quota get -u nobody@example\.test exited \d+: .*(doesn't exist|unknown)/i);
  });

  it('exits 2 on a bad dovecot: key (naming key and line) and 1 when doveadm fails', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-quota-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'dovecot:\n  log: /var/log/dovecot.log\n  quotaWarnPercnt: 80\n');
    let r = await run('node', [CLI, 'quota', '--config', bad]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(`madman: bad configuration: ${bad}:3: dovecot.quotaWarnPercnt: unknown key\n`);
    r = await run('node', [CLI, 'quota', '--dovecot-config', path.join(dir, 'missing.conf')]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^madman quota: doveadm quota get -A exited \d+: Fatal: Error reading configuration/);
  });
});
