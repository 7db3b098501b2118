// The real-Dovecot test infrastructure itself (test/helpers/dovecot-server.ts): a private
// Dovecot 2.3 on loopback accepts IMAP and POP3 logins of its passwd-file users, refuses a
// wrong password, enforces its quota, lets the master user in, answers doveadm, serves TLS
// when asked, writes the log lines madman reads, and is fully cleaned up afterwards.

import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { alive, startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';

function imap(port: number, user: string, pass: string, secure = false, ca?: string): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port,
    secure,
    auth: { user, pass },
    logger: false,
    tls: ca ? { ca: [ca], servername: 'localhost' } : undefined,
    doSTARTTLS: secure ? undefined : false,
  });
}

/** A POP3 conversation: sends each command after the previous reply, returns the replies. */
async function pop3(sock: net.Socket, commands: string[]): Promise<string[]> {
  sock.setEncoding('utf8');
  const replies: string[] = [];
  let buf = '';
  let want = commands.length + 1; // greeting + one per command
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    sock.on('error', reject);
    sock.on('close', () => resolve());
    sock.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        replies.push(buf.slice(0, i));
        buf = buf.slice(i + 2);
        want--;
        if (next < commands.length) sock.write(commands[next++] + '\r\n');
        if (want === 0) sock.end();
      }
    });
  });
  return replies;
}

describe('e2e: the private Dovecot helper', function () {
  this.timeout(30000);
  let dc: DovecotServer;

  before(async () => {
    dc = await startDovecot({ storageKB: 64 });
  });
  after(async () => {
    await dc?.stop();
  });

  it('accepts an IMAP login, refuses a wrong password, and logs both', async () => {
    const c = imap(dc.imapPort, 'user@example.test', 'secret');
    await c.connect();
    const st = await c.status('INBOX', { messages: true });
    expect(st && st.messages).to.equal(0);
    await c.logout();
    const bad = imap(dc.imapPort, 'user@example.test', 'wrong');
    let err: unknown;
    await bad.connect().catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(Error);
    bad.close();
    await waitLog(dc, /imap-login: Info: Disconnected: .*auth failed/);
    const log = readFileSync(dc.logPath, 'utf8');
    expect(log).to.match(/imap-login: Info: Login: user=<user@example\.test>, method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, mpid=\d+, secured, session=<[^>]+>/);
    expect(log).to.match(/imap\(user@example\.test\)<\d+><[^>]+>: Info: Disconnected: Logged out in=\d+ out=\d+/);
  });

  it('accepts a POP3 login and refuses a wrong password', async () => {
    const ok = await pop3(net.connect(dc.pop3Port, '127.0.0.1'), ['USER other@example.test', 'PASS secret2', 'STAT', 'QUIT']);
    expect(ok[0]).to.match(/^\+OK/);
    expect(ok[2]).to.match(/^\+OK Logged in/);
    expect(ok[3]).to.equal('+OK 0 0');
    const bad = await pop3(net.connect(dc.pop3Port, '127.0.0.1'), ['USER other@example.test', 'PASS nope', 'QUIT']);
    expect(bad[2]).to.match(/^-ERR \[AUTH\] Authentication failed/);
    await waitLog(dc, /pop3-login: Info: Disconnected: .*auth failed/);
    expect(readFileSync(dc.logPath, 'utf8')).to.match(/pop3-login: Info: Login: user=<other@example\.test>, method=PLAIN, rip=127\.0\.0\.1/);
  });

  it('enforces the quota, lets the master user read it, and answers doveadm quota get -A', async () => {
    const c = imap(dc.imapPort, 'user@example.test', 'secret');
    await c.connect();
    const body = `Subject: fill\r\n\r\n${'x'.repeat(20 * 1024)}\r\n`;
    await c.append('INBOX', body);
    await c.append('INBOX', body);
    let err: unknown;
    await c.append('INBOX', body + body + body).catch((e: unknown) => (err = e));
    expect(err, 'the append over quota fails').to.be.instanceOf(Error);
    await c.logout();

    const m = imap(dc.imapPort, `user@example.test*${dc.master.user}`, dc.master.password);
    await m.connect();
    const q = await m.getQuota('INBOX');
    await m.logout();
    expect(q && q.storage?.limit).to.equal(64 * 1024);
    expect(q && q.storage?.usage).to.be.within(40 * 1024, 44 * 1024);
    expect(q && q.message).to.deep.equal({ usage: 2, limit: 100, status: '2%' });

    const r = await dc.doveadm(['-f', 'tab', 'quota', 'get', '-A']);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.equal('Username\tQuota name\tType\tValue\tLimit\t%');
    expect(lines).to.include('user@example.test\tUser quota\tMESSAGE\t2\t100\t2');
    expect(lines).to.include('other@example.test\tUser quota\tSTORAGE\t0\t64\t0');
  });

  it('removes users from the passwd-file', async () => {
    await dc.addUser({ user: 'new@example.test', password: 'pw', quotaRule: '*:storage=2M' });
    let r = await dc.doveadm(['-f', 'tab', 'quota', 'get', '-u', 'new@example.test']);
    expect(r.stdout).to.include('User quota\tSTORAGE\t0\t2048\t0', r.stderr);
    await dc.removeUser('new@example.test');
    r = await dc.doveadm(['user', '-u', '*']);
    expect(r.stdout.trim().split('\n').sort()).to.deep.equal(['other@example.test', 'user@example.test']);
  });

  it('stops completely and removes its directory', async () => {
    const other = await startDovecot();
    const pid = other.pid();
    expect(pid).to.be.greaterThan(1);
    await other.stop();
    expect(existsSync(other.dir)).to.equal(false);
    expect(alive(pid)).to.equal(false);
    await other.stop(); // idempotent
  });

  it('halts (Dovecot down, DIR kept) and restarts on the same ports', async () => {
    const other = await startDovecot();
    try {
      const pid = other.pid();
      await other.halt();
      expect(alive(pid)).to.equal(false);
      expect(existsSync(other.conf)).to.equal(true);
      const down = await other.doveadm(['-f', 'tab', 'quota', 'get', '-A']);
      expect(down.code).to.not.equal(0);
      await other.restart();
      expect(other.pid()).to.not.equal(pid);
      const c = imap(other.imapPort, 'user@example.test', 'secret');
      await c.connect();
      await c.logout();
      expect(readFileSync(other.logPath, 'utf8').match(/starting up/g)).to.have.length(2);
    } finally {
      await other.stop();
    }
  });

  it('serves implicit TLS and STARTTLS with its self-signed certificate', async () => {
    const t = await startDovecot({ tls: true });
    try {
      const c = imap(t.imapsPort!, 'user@example.test', 'secret', true, t.certPem);
      await c.connect();
      expect(c.secureConnection).to.equal(true);
      await c.logout();
      const s = tls.connect({ port: t.pop3sPort!, host: '127.0.0.1', ca: [t.certPem!], servername: 'localhost' });
      const replies = await pop3(s, ['QUIT']);
      expect(replies[0]).to.match(/^\+OK/);
      const st = new ImapFlow({ host: '127.0.0.1', port: t.imapPort, secure: false, auth: { user: 'user@example.test', pass: 'secret' }, logger: false, tls: { ca: [t.certPem!], servername: 'localhost' } });
      await st.connect();
      expect(st.secureConnection).to.equal(true);
      await st.logout();
      await waitLog(t, /imap-login: Info: Login: user=<user@example\.test>.*, TLS, session=/);
    } finally {
      await t.stop();
    }
  });
});

async function waitLog(dc: DovecotServer, re: RegExp): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (existsSync(dc.logPath) && re.test(readFileSync(dc.logPath, 'utf8'))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no log line ${re} in ${readFileSync(dc.logPath, 'utf8')}`);
}
