// Servers that misbehave in ways a real one cannot be made to: closing at once, answering
// garbage, a line that never ends, a greeting then silence. Every probe reports a status and
// a reason within its timeout and never throws.

import { expect } from 'chai';
import type { CheckProtocol } from '../../src/model/checks.js';
import { runProbe } from '../../src/sources/probes/run.js';
import { listen, spec, type TestServer } from '../helpers/probe-support.js';

describe('probes against misbehaving servers', function () {
  this.timeout(30000);
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });
  const server = async (onConn: Parameters<typeof listen>[0]) => {
    const s = await listen(onConn);
    servers.push(s);
    return s.port;
  };
  const probe = (protocol: CheckProtocol, port: number, extra = {}) => runProbe(spec({ protocol, port, timeout: 1, ...extra }));

  it('a connection closed at once', async () => {
    const port = await server((sock) => sock.destroy());
    for (const p of ['smtp', 'pop3', 'imap'] as const) {
      const o = await probe(p, port);
      expect(o.ok, p).to.equal(false);
      expect(o.reason, p).to.match(/^greeting: (connection closed by the server|.*ECONNRESET.*)$/);
    }
    const ldap = await probe('ldap', port);
    expect(ldap.ok).to.equal(false);
    expect(ldap.reason).to.match(/^search: /);
  });

  it('garbage instead of a greeting', async () => {
    const port = await server((sock) => sock.write(Buffer.from('\x00\xff\xfe garbage\r\n', 'latin1')));
    // shown as text: what is not printable ASCII becomes '?'
    expect((await probe('smtp', port)).reason).to.equal('greeting: not an SMTP reply: ??? garbage');
    expect((await probe('pop3', port)).reason).to.equal('greeting: not a POP3 answer: ??? garbage');
    expect((await probe('imap', port)).reason).to.equal('greeting: ??? garbage');
    const http = await probe('http', port, { url: `http://127.0.0.1:${port}/` });
    expect(http.ok).to.equal(false);
    expect(http.reason).to.match(/^first byte: Parse Error/);
  });

  it('a line that never ends is cut off at 64 KiB', async () => {
    const port = await server((sock) => sock.write(`220 ${'x'.repeat(70000)}`));
    expect((await probe('smtp', port)).reason).to.equal('greeting: line longer than 64 KiB');
  });

  it('a greeting, then silence: the next phase times out', async () => {
    const port = await server((sock) => sock.write('220 mute.test ESMTP\r\n'));
    const o = await probe('smtp', port);
    expect(o.reason).to.equal('ehlo: no answer to EHLO within 1 s');
    expect(o.phases.map((p) => p.name)).to.deep.equal(['connect', 'greeting']);
  });

  it('an unreachable address times out at the connect', async () => {
    // TEST-NET-1 (RFC 5737): routed nowhere, so the SYN gets no answer (or the network, or a
    // firewall, says so at once)
    const o = await runProbe(spec({ protocol: 'smtp', host: '192.0.2.1', port: 25, timeout: 0.5 }));
    expect(o.ok).to.equal(false);
    expect(o.reason).to.match(/^connect: (no answer to connect within 0\.5 s|.*(EHOSTUNREACH|ENETUNREACH|ECONNREFUSED).*)$/);
  });
});
