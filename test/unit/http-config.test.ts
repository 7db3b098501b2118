// The http: section and --http: addresses (a bare port is loopback), credentials from the
// secrets file under the same owner-only rule as SNMPv3 pass phrases, TLS files read at
// start, and each mistake a config error naming key and line (exit 2 from the CLI).

import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { expect } from 'chai';
import path from 'node:path';
import { settingsFrom } from '../../src/config/config.js';
import { checkLocalAddress, parseHttpAddress } from '../../src/config/http.js';
import { configFiles } from '../helpers/config-files.js';
import { ROOT, run } from '../helpers/harness.js';
import { selfSigned } from '../helpers/probe-support.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

describe('HTTP configuration', () => {
  const cf = configFiles('httpconf');
  const secret = (name: string, text: string, mode = 0o600) => {
    const f = path.join(cf.dir, name);
    writeFileSync(f, text);
    chmodSync(f, mode);
    return f;
  };
  let cert: ReturnType<typeof selfSigned>;
  before(() => (cert = selfSigned()));
  after(() => cert.remove());

  it('parses listen addresses: a bare port is loopback, IPv6 in brackets, names refused', () => {
    expect(parseHttpAddress('9169')).to.deep.equal({ host: '127.0.0.1', port: 9169 });
    expect(parseHttpAddress(9169)).to.deep.equal({ host: '127.0.0.1', port: 9169 });
    expect(parseHttpAddress('0.0.0.0:80')).to.deep.equal({ host: '0.0.0.0', port: 80 });
    expect(parseHttpAddress('[::1]:9169')).to.deep.equal({ host: '::1', port: 9169 });
    expect(parseHttpAddress('localhost:9169')).to.deep.equal({ host: '127.0.0.1', port: 9169 });
    expect(() => parseHttpAddress(':9169')).to.throw(/give the host: 127\.0\.0\.1:PORT for this machine only/);
    expect(() => parseHttpAddress('mail.example.org:9169')).to.throw(/names are not resolved/);
    expect(() => parseHttpAddress('127.0.0.1:99999')).to.throw(/the port is not 0\.\.65535/);
    expect(() => parseHttpAddress('[fe80::zz]:1')).to.throw(/is not an IPv6 address/);
    expect(() => parseHttpAddress('127.0.0.1')).to.throw(/expected HOST:PORT/);
  });

  it('refuses an address that is not on this host', () => {
    const lo = { lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }] } as const;
    expect(() => checkLocalAddress({ host: '0.0.0.0', port: 1 }, lo as never)).not.to.throw();
    expect(() => checkLocalAddress({ host: '127.0.0.2', port: 1 }, lo as never)).not.to.throw();
    expect(() => checkLocalAddress({ host: '192.0.2.7', port: 1 }, lo as never)).to.throw('192.0.2.7 is not an address of this host');
  });

  it('reads the section: listen, history, limits; off without a listen address', () => {
    const s = settingsFrom({ config: cf.file(['http:', '  listen: ["9169", "[::]:9170"]', '  history: {interval: 30, hours: 2}', '  maxConnections: 8', '  requestTimeout: 3']) });
    expect(s.http).to.deep.equal({
      listen: [
        { host: '127.0.0.1', port: 9169 },
        { host: '::', port: 9170 },
      ],
      history: { intervalSeconds: 30, points: 240 },
      maxConnections: 8,
      requestTimeoutMs: 3000,
    });
    expect(settingsFrom({ config: cf.file(['http: {maxConnections: 8}']) }).http).to.equal(undefined);
    expect(settingsFrom({}).http).to.equal(undefined);
  });

  it('--http replaces the file\'s addresses and keeps the rest of the section', () => {
    const f = cf.file(['http: {listen: ["9169"], maxConnections: 5}']);
    const s = settingsFrom({ config: f, http: ['127.0.0.1:9200', '9201'] });
    expect(s.http!.listen).to.deep.equal([
      { host: '127.0.0.1', port: 9200 },
      { host: '127.0.0.1', port: 9201 },
    ]);
    expect(s.http!.maxConnections).to.equal(5);
    expect(() => settingsFrom({ http: ['nowhere:1'] })).to.throw(/^--http: "nowhere:1" is not an HTTP listen address/);
  });

  it('names key and line of a bad listen address, history or auth', () => {
    let e = cf.error(cf.file(['stateDir: /tmp', 'http:', '  listen:', '    - 127.0.0.1:9169', '    - ":9170"']));
    expect([e.key, e.line]).to.deep.equal(['http.listen[1]', 5]);
    expect(e.message).to.match(/give the host/);
    e = cf.error(cf.file(['http:', '  listen: ["9169"]', '  history: {interval: 1, hours: 168}']));
    expect([e.key, e.line, e.message]).to.deep.equal(['http.history', 3, `${e.file}:3: http.history: 168 hours at one point every 1 s is 604800 points per series (2..10080)`]);
    e = cf.error(cf.file(['http:', '  listen: ["9169"]', '  auth: basic']));
    expect([e.key, e.line]).to.deep.equal(['http.auth', 3]);
    expect(e.message).to.match(/set http\.secrets \(or secrets\)$/);
    e = cf.error(cf.file(['http:', '  auth: digest']));
    expect([e.key, e.line]).to.deep.equal(['http.auth', 2]);
  });

  it('takes basic users and bearer tokens from the secrets file, beside SNMP\'s createUser lines', () => {
    secret('secrets', ['# both', 'createUser alice SHA-256 "alice auth pass"', 'httpUser prom "scrape pass phrase"', 'httpToken 0123456789abcdef0123', ''].join('\n'));
    const s = settingsFrom({ config: cf.file(['secrets: secrets', 'rouser: [alice]', 'http:', '  listen: ["9169"]', '  auth: [basic, bearer]']) });
    expect(s.http!.auth!.kinds).to.deep.equal(['basic', 'bearer']);
    expect([...s.http!.auth!.users]).to.deep.equal([['prom', 'scrape pass phrase']]);
    expect(s.http!.auth!.tokens).to.deep.equal(['0123456789abcdef0123']);
    expect(s.security!.users.map((u) => u.name)).to.deep.equal(['alice']);
    // http.secrets: a file of its own; bearer only takes no users
    secret('http-secrets', 'httpToken 0123456789abcdef0123\n');
    const b = settingsFrom({ config: cf.file(['http: {listen: ["9169"], auth: bearer, secrets: http-secrets}']) });
    expect([b.http!.auth!.users.size, b.http!.auth!.tokens.length]).to.deep.equal([0, 1]);
  });

  it('refuses a secrets file others can read, a missing credential or a bad line, naming file and line', () => {
    secret('open', 'httpUser prom "scrape pass phrase"\n', 0o644);
    let e = cf.error(cf.file(['http:', '  listen: ["9169"]', '  secrets: open', '  auth: basic']));
    expect([e.key, e.line]).to.deep.equal(['http.secrets', 3]);
    expect(e.message).to.match(/readable or writable by others than its owner \(mode 644\): chmod 600 it$/);
    secret('tokens', 'httpToken 0123456789abcdef0123\n');
    e = cf.error(cf.file(['http:', '  listen: ["9169"]', '  secrets: tokens', '  auth: basic']));
    expect([e.key, e.line]).to.deep.equal(['http.auth', 4]);
    expect(e.message).to.contain(`basic authentication needs an "httpUser NAME PASSWORD" line in ${path.join(cf.dir, 'tokens')}`);
    secret('short', '# users\nhttpUser prom short\n');
    e = cf.error(cf.file(['http: {listen: ["9169"], secrets: short, auth: basic}']));
    expect([e.file, e.line, e.key]).to.deep.equal([path.join(cf.dir, 'short'), 2, 'http.secrets']);
    expect(e.message).to.match(/line 2: the password of prom is shorter than 8 characters$/);
  });

  it('reads the TLS pair at start: unreadable or mismatched is a config error at http.tls', () => {
    const s = settingsFrom({ config: cf.file(['http:', '  listen: ["9169"]', `  tls: {cert: ${cert.certFile}, key: ${path.join(cert.dir, 'key.pem')}}`]) });
    expect(s.http!.tls!.cert.toString()).to.equal(cert.cert);
    let e = cf.error(cf.file(['http:', '  listen: ["9169"]', '  tls:', '    cert: missing.pem', `    key: ${path.join(cert.dir, 'key.pem')}`]));
    expect([e.key, e.line]).to.deep.equal(['http.tls.cert', 4]);
    expect(e.message).to.contain(`cannot read ${path.join(cf.dir, 'missing.pem')}: ENOENT`);
    // a FIFO is refused without a read that would wait for a writer
    const fifo = path.join(cf.dir, 'cert.fifo');
    execFileSync('mkfifo', [fifo]);
    e = cf.error(cf.file(['http:', '  listen: ["9169"]', '  tls:', `    cert: ${fifo}`, `    key: ${path.join(cert.dir, 'key.pem')}`]));
    expect([e.key, e.line]).to.deep.equal(['http.tls.cert', 4]);
    expect(e.message.endsWith(`: ${fifo} is not a regular file`), e.message).to.equal(true);
    // a private key any user may read; a group may (640 root:ssl-cert is Debian's way)
    const key = path.join(cf.dir, 'open-key.pem');
    writeFileSync(key, cert.key, { mode: 0o644 });
    chmodSync(key, 0o644);
    e = cf.error(cf.file(['http:', '  listen: ["9169"]', '  tls:', `    cert: ${cert.certFile}`, `    key: ${key}`]));
    expect([e.key, e.line]).to.deep.equal(['http.tls.key', 5]);
    expect(e.message.endsWith(`: ${key} holds the private key but any user may read or write it (mode 644): chmod o-rwx it`), e.message).to.equal(true);
    chmodSync(key, 0o640);
    expect(settingsFrom({ config: cf.file(['http:', '  listen: ["9169"]', `  tls: {cert: ${cert.certFile}, key: ${key}}`]) }).http!.tls!.key.toString()).to.equal(cert.key);
    const other = selfSigned();
    try {
      e = cf.error(cf.file(['http:', '  listen: ["9169"]', '  tls:', `    cert: ${cert.certFile}`, `    key: ${path.join(other.dir, 'key.pem')}`]));
      expect([e.key, e.line]).to.deep.equal(['http.tls.cert', 4]);
      expect(e.message).to.match(/the certificate and key do not make a TLS identity: .*key values mismatch/);
    } finally {
      other.remove();
    }
  });

  it('the CLI exits 2 on a bad --http or http: section, naming it', async () => {
    let r = await run('node', [CLI, 'agent', '--http', ':9169']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^madman: bad configuration: --http: ":9169" is not an HTTP listen address: give the host/);
    const f = cf.file(['http:', '  listen: ["9169"]', '  tls: {cert: nope.pem, key: nope.key}']);
    r = await run('node', [CLI, 'agent', '--check-config', f]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(`madman: bad configuration: ${f}:3: http.tls.cert: cannot read ${path.join(cf.dir, 'nope.pem')}: ENOENT: no such file or directory, stat '${path.join(cf.dir, 'nope.pem')}'\n`);
  });

  it('the CLI exits 2 when an HTTP address cannot be bound, naming http.listen[i] and its line, or --http', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const f = cf.file(['stateDir: state', 'listen: ["udp:127.0.0.1:0"]', 'http:', '  listen:', '    - "127.0.0.1:0"', `    - "127.0.0.1:${port}"`]);
      const why = `cannot bind HTTP on 127.0.0.1:${port}: address already in use (another listen entry or another process)`;
      let r = await run('node', [CLI, 'agent', '--config', f], 60_000);
      expect([r.code, r.stderr]).to.deep.equal([2, `madman: bad configuration: ${f}:6: http.listen[1]: ${why}\n`]);
      r = await run('node', [CLI, 'agent', '--config', f, '--http', `127.0.0.1:${port}`], 60_000);
      expect([r.code, r.stderr]).to.deep.equal([2, `madman: bad configuration: --http: cannot bind HTTP on 127.0.0.1:${port}: address already in use (another listen entry or another process)\n`]);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});
