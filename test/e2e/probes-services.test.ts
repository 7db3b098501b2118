// The IMAP, POP3, LDAP and HTTP probes against real servers: Dovecot with TLS (a
// self-signed certificate, which fails verification unless trusted), slapd with a small
// tree, Node HTTP and HTTPS servers; wrong credentials and TLS failures give a status and a
// reason, never a crash. IMAP and POP3 exit codes compared with check_imap / check_pop.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runProbe } from '../../src/sources/probes/run.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';
import { run } from '../helpers/harness.js';
import { spec, selfSigned } from '../helpers/probe-support.js';
import { ROOT_DN, ROOT_PW, startSlapd, USER_DN, USER_PW, type SlapdServer } from '../helpers/slapd-server.js';

const phaseNames = (o: { phases: Array<{ name: string }> }) => o.phases.map((p) => p.name);

describe('probes against Dovecot, slapd and HTTP servers', function () {
  this.timeout(60000);
  let dovecot: DovecotServer;
  let slapd: SlapdServer;
  let dir: string;
  const pw = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, `${text}\n`);
    return f;
  };
  let caFile: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-probe-svc-'));
    [dovecot, slapd] = await Promise.all([startDovecot({ tls: true }), startSlapd()]);
    caFile = pw('ca.pem', dovecot.certPem!);
  });

  after(async () => {
    await dovecot?.stop();
    await slapd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('IMAP', () => {
    it('logs in, selects, searches and logs out', async () => {
      const o = await runProbe(spec({ protocol: 'imap', port: dovecot.imapPort, user: 'user@example.test', passwordFile: pw('u', 'secret') }));
      expect(o.reason).to.equal('');
      expect(o.ok).to.equal(true);
      expect(phaseNames(o)).to.deep.equal(['login', 'select', 'search', 'logout']);
      expect(o.detail).to.equal('0 messages in INBOX');
    });

    it('a wrong password fails the login phase', async () => {
      const o = await runProbe(spec({ protocol: 'imap', port: dovecot.imapPort, user: 'user@example.test', passwordFile: pw('bad', 'wrong') }));
      expect(o.ok).to.equal(false);
      expect(o.reason).to.match(/^login: authentication failed: .*Authentication failed/);
    });

    it('implicit TLS with a self-signed certificate fails verification, passes with its CA', async () => {
      const base = { protocol: 'imap' as const, port: dovecot.imapsPort!, tls: 'implicit' as const, user: 'user@example.test', passwordFile: pw('u', 'secret') };
      const bad = await runProbe(spec(base));
      expect(bad.ok).to.equal(false);
      expect(bad.reason).to.match(/^login: .*self[- ]signed certificate/);
      const good = await runProbe(spec({ ...base, caFile }));
      expect(good.reason).to.equal('');
      expect(good.ok).to.equal(true);
    });

    it('without credentials reads the greeting only (as check_imap does)', async () => {
      const o = await runProbe(spec({ protocol: 'imap', port: dovecot.imapPort, tls: 'starttls', caFile }));
      expect(o.reason).to.equal('');
      expect(phaseNames(o)).to.deep.equal(['connect', 'greeting', 'starttls', 'logout']);
      expect(o.detail).to.match(/Dovecot.* ready\.$/);
    });

    it('exits like check_imap', async () => {
      const ok = await run('node', ['dist/src/cli/main.js', 'probe', '--imap', `127.0.0.1:${dovecot.imapPort}`]);
      expect(ok.code, ok.stdout).to.equal(0);
      expect(ok.stdout.split('\n')[0]).to.match(/^IMAP OK - \d+\.\d{3} sec\. response time, .*Dovecot.*ready/);
      expect((await run('/usr/lib/nagios/plugins/check_imap', ['-H', '127.0.0.1', '-p', String(dovecot.imapPort)])).code).to.equal(0);
    });
  });

  describe('POP3', () => {
    it('logs in with USER/PASS, STAT, QUIT', async () => {
      const o = await runProbe(spec({ protocol: 'pop3', port: dovecot.pop3Port, user: 'user@example.test', passwordFile: pw('u', 'secret') }));
      expect(o.reason).to.equal('');
      expect(phaseNames(o)).to.deep.equal(['connect', 'greeting', 'login', 'stat', 'quit']);
      expect(o.detail).to.equal('0 messages (0 octets)');
    });

    it('STLS with its CA; a wrong password fails the login phase with the server\'s answer', async () => {
      const base = { protocol: 'pop3' as const, port: dovecot.pop3Port, tls: 'starttls' as const, caFile, user: 'user@example.test' };
      const good = await runProbe(spec({ ...base, passwordFile: pw('u', 'secret') }));
      expect(good.reason).to.equal('');
      expect(phaseNames(good)).to.deep.equal(['connect', 'greeting', 'stls', 'login', 'stat', 'quit']);
      const bad = await runProbe(spec({ ...base, passwordFile: pw('bad', 'wrong') }));
      expect(bad.reason).to.equal('login: -ERR [AUTH] Authentication failed.');
    });

    it('STLS without trusting the certificate is a TLS failure', async () => {
      const o = await runProbe(spec({ protocol: 'pop3', port: dovecot.pop3Port, tls: 'starttls' }));
      expect(o.ok).to.equal(false);
      expect(o.reason).to.match(/^stls: TLS: self[- ]signed certificate/);
    });

    it('exits like check_pop', async () => {
      const ok = await run('node', ['dist/src/cli/main.js', 'probe', '--pop', `127.0.0.1:${dovecot.pop3Port}`]);
      expect(ok.code, ok.stdout).to.equal(0);
      expect(ok.stdout.split('\n')[0]).to.match(/^POP OK - /);
      expect((await run('/usr/lib/nagios/plugins/check_pop', ['-H', '127.0.0.1', '-p', String(dovecot.pop3Port)])).code).to.equal(0);
    });
  });

  describe('LDAP', () => {
    const port = () => Number(new URL(slapd.url).port);

    it('binds, finds the user, unbinds', async () => {
      const o = await runProbe(
        spec({ protocol: 'ldap', port: port(), user: ROOT_DN, passwordFile: pw('root', ROOT_PW), base: 'dc=example,dc=test', filter: '(uid=tester)' }),
      );
      expect(o.reason).to.equal('');
      expect(phaseNames(o)).to.deep.equal(['bind', 'search', 'unbind']);
      expect(o.detail).to.equal('1 entry found');
    });

    it('binds as the user itself; anonymously reads the root DSE', async () => {
      const user = await runProbe(spec({ protocol: 'ldap', port: port(), user: USER_DN, passwordFile: pw('user', USER_PW) }));
      expect(user.reason).to.equal('');
      const anon = await runProbe(spec({ protocol: 'ldap', port: port() }));
      expect(anon.reason).to.equal('');
      expect(phaseNames(anon)).to.deep.equal(['search', 'unbind']);
    });

    it('a wrong password fails the bind; an unknown user fails the search', async () => {
      const bad = await runProbe(spec({ protocol: 'ldap', port: port(), user: ROOT_DN, passwordFile: pw('bad', 'wrong') }));
      expect(bad.ok).to.equal(false);
      expect(bad.reason).to.equal('bind: invalid credentials (LDAP result 49)');
      const none = await runProbe(spec({ protocol: 'ldap', port: port(), base: 'dc=example,dc=test', filter: '(uid=nobody)' }));
      expect(none.reason).to.equal('search: no entry matches (uid=nobody) under dc=example,dc=test');
    });
  });

  describe('HTTP', () => {
    let plain: http.Server;
    let secure: https.Server;
    let cert: ReturnType<typeof selfSigned>;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.setHeader('server', 'testd/2.4.1');
      if (req.url === '/missing') res.writeHead(404, 'Not Found').end('no');
      else if (req.url === '/broken') res.writeHead(500, 'Internal Server Error').end('oops');
      else res.writeHead(200, 'OK').end('hello');
    };
    const listen = (s: http.Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

    before(async () => {
      cert = selfSigned();
      plain = http.createServer(handler);
      secure = https.createServer({ cert: cert.cert, key: cert.key }, handler);
      await Promise.all([listen(plain), listen(secure)]);
    });
    after(async () => {
      plain.closeAllConnections();
      secure.closeAllConnections();
      await Promise.all([new Promise((r) => plain.close(r)), new Promise((r) => secure.close(r))]);
      cert.remove();
    });
    const url = (s: http.Server, p: string, scheme = 'http') => `${scheme}://127.0.0.1:${(s.address() as AddressInfo).port}${p}`;
    const httpSpec = (u: string, extra = {}) => spec({ protocol: 'http', port: 0, url: u, ...extra });

    it('times connect, first byte and body; the Server header gives the version', async () => {
      const o = await runProbe(httpSpec(url(plain, '/')));
      expect(o.reason).to.equal('');
      expect(phaseNames(o)).to.deep.equal(['connect', 'first byte', 'body']);
      expect(o.detail).to.equal('HTTP 200 OK, 5 octets');
      expect(o.version).to.equal('testd 2.4.1');
    });

    it('4xx and 5xx are failures with the status line', async () => {
      expect((await runProbe(httpSpec(url(plain, '/missing')))).reason).to.equal('status: HTTP 404 Not Found');
      expect((await runProbe(httpSpec(url(plain, '/broken')))).reason).to.equal('status: HTTP 500 Internal Server Error');
    });

    it('HTTPS: a self-signed certificate fails verification, passes with its CA', async () => {
      const bad = await runProbe(httpSpec(url(secure, '/', 'https'), { tls: 'implicit' }));
      expect(bad.reason).to.equal('tls: TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
      const good = await runProbe(httpSpec(url(secure, '/', 'https'), { tls: 'implicit', caFile: cert.certFile }));
      expect(good.reason).to.equal('');
      expect(phaseNames(good)).to.deep.equal(['connect', 'tls', 'first byte', 'body']);
    });

    it('exits like check_http', async () => {
      const ok = await run('node', ['dist/src/cli/main.js', 'probe', '--http', url(plain, '/')]);
      expect(ok.code, ok.stdout).to.equal(0);
      const port = String((plain.address() as AddressInfo).port);
      expect((await run('/usr/lib/nagios/plugins/check_http', ['-I', '127.0.0.1', '-p', port, '-u', '/'])).code).to.equal(0);
      const broken = await run('node', ['dist/src/cli/main.js', 'probe', '--http', url(plain, '/broken')]);
      expect(broken.code).to.equal(2);
      expect((await run('/usr/lib/nagios/plugins/check_http', ['-I', '127.0.0.1', '-p', port, '-u', '/broken'])).code).to.equal(2);
    });
  });
});
