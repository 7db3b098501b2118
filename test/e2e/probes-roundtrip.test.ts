// The round trip end to end: a real Postfix takes the tagged message and delivers it (local
// delivery into a maildir) to the mailbox of a user of a real Dovecot; the probe sees it by
// IMAP or POP3, fetches and deletes it. Afterwards the mailbox is empty again.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runProbe } from '../../src/sources/probes/run.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';
import { startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { listen, spec } from '../helpers/probe-support.js';

describe('round trip: SMTP (Postfix) to IMAP/POP3 (Dovecot)', function () {
  this.timeout(60000);
  let dovecot: DovecotServer;
  let postfix: PostfixServer;
  let dir: string;
  let pwFile: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-roundtrip-'));
    pwFile = path.join(dir, 'pw');
    writeFileSync(pwFile, 'secret\n');
    dovecot = await startDovecot();
    // probe@localhost goes into user@example.test's maildir, written as the mail user
    // (Dovecot's userdb uid) because the alias file is root's and default_privs is mail
    const aliases = path.join(dir, 'aliases');
    writeFileSync(aliases, `probe ${dovecot.dir}/mail/example.test/user/Maildir/\n`);
    postfix = await startPostfix({ main: { alias_maps: `texthash:${aliases}`, default_privs: 'mail' } });
  });

  after(async () => {
    await postfix?.stop();
    await dovecot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const roundtrip = (extra: Parameters<typeof spec>[0]) =>
    spec({
      user: 'user@example.test',
      passwordFile: pwFile,
      timeout: 20, // delivery on a loaded machine; a success ends as soon as the message is seen
      smtp: { host: '127.0.0.1', port: postfix.port, tls: 'none', tlsVerify: true, from: 'sender@localhost', to: 'probe@localhost' },
      ...extra,
    });

  const inbox = async () =>
    (await runProbe(spec({ protocol: 'imap', port: dovecot.imapPort, user: 'user@example.test', passwordFile: pwFile }))).detail;

  it('by IMAP: send, delivery, fetch, delete, logout; the mailbox is empty after', async () => {
    const o = await runProbe(roundtrip({ protocol: 'roundtrip', port: dovecot.imapPort }));
    expect(o.reason).to.equal('');
    expect(o.phases.map((p) => p.name)).to.deep.equal(['send', 'delivery', 'fetch', 'delete', 'logout']);
    expect(o.detail).to.match(/^message \S+ delivered and deleted$/);
    expect(await inbox()).to.equal('0 messages in INBOX');
  });

  it('by POP3: send, delivery, fetch, delete, quit; the mailbox is empty after', async () => {
    const o = await runProbe(roundtrip({ protocol: 'roundtrip', fetch: 'pop3', port: dovecot.pop3Port }));
    expect(o.reason).to.equal('');
    expect(o.phases.map((p) => p.name)).to.deep.equal(['send', 'delivery', 'fetch', 'delete', 'quit']);
    expect(await inbox()).to.equal('0 messages in INBOX');
  });

  it('a message that never arrives fails the delivery phase at the timeout', async () => {
    const o = await runProbe(
      roundtrip({
        protocol: 'roundtrip',
        port: dovecot.imapPort,
        timeout: 3, // room for the send and the IMAP login on a loaded machine
        smtp: { host: '127.0.0.1', port: postfix.port, tls: 'none', tlsVerify: true, from: 'sender@localhost', to: 'someone@remote.test' },
      }),
    );
    expect(o.ok).to.equal(false);
    expect(o.reason).to.match(/^delivery: message \S+ not in INBOX within 3 s$/);
    expect(o.phases.map((p) => p.name)).to.deep.equal(['send']);
  });

  it('a SEARCH the deadline cuts short reads as not delivered, not as a dead server', async () => {
    // a fake IMAP server that never answers SEARCH: Dovecot cannot be made to hang there
    const imap = await listen((sock) => {
      sock.write('* OK [CAPABILITY IMAP4rev1] fake ready\r\n');
      let buf = '';
      sock.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const [tag, ...words] = buf.slice(0, nl).trim().split(' ');
          buf = buf.slice(nl + 1);
          const verb = words.filter((w) => w.toUpperCase() !== 'UID')[0]?.toUpperCase();
          if (verb === 'SEARCH') continue;
          if (verb === 'CAPABILITY') sock.write('* CAPABILITY IMAP4rev1\r\n');
          if (verb === 'SELECT' || verb === 'EXAMINE') sock.write('* FLAGS (\\Seen)\r\n* 0 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n');
          if (verb === 'LOGOUT') sock.write('* BYE\r\n');
          sock.write(`${tag} OK done\r\n`);
        }
      });
    });
    try {
      const o = await runProbe(
        roundtrip({
          protocol: 'roundtrip',
          port: imap.port,
          timeout: 3,
          smtp: { host: '127.0.0.1', port: postfix.port, tls: 'none', tlsVerify: true, from: 'sender@localhost', to: 'someone@remote.test' },
        }),
      );
      expect(o.reason).to.match(/^delivery: message \S+ not in INBOX within 3 s$/);
      expect(o.phases.map((p) => p.name)).to.deep.equal(['send']);
    } finally {
      await imap.close();
    }
  });

  it('a refused recipient fails the send, naming the SMTP phase', async () => {
    const o = await runProbe(
      roundtrip({
        protocol: 'roundtrip',
        port: dovecot.imapPort,
        smtp: { host: '127.0.0.1', port: postfix.port, tls: 'none', tlsVerify: true, from: 'sender@localhost', to: 'blocked@example.test' },
      }),
    );
    expect(o.reason).to.equal('send (rcpt): 554 5.7.1 <blocked@example.test>: Recipient address rejected: Access denied');
  });
});
