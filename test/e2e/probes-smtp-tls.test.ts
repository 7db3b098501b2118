// SMTP probe phases STARTTLS and AUTH against a real Postfix with TLS (a self-signed
// certificate made by openssl) and SASL authentication by a real Dovecot (its auth socket):
// success, an untrusted certificate, a wrong password, and submission with a message.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runProbe } from '../../src/sources/probes/run.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';
import { startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { selfSigned, spec } from '../helpers/probe-support.js';

describe('SMTP probe: STARTTLS and AUTH (Postfix with Dovecot SASL)', function () {
  this.timeout(60000);
  let dovecot: DovecotServer;
  let postfix: PostfixServer;
  let cert: ReturnType<typeof selfSigned>;
  let dir: string;
  const pw = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, `${text}\n`);
    return f;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-smtp-tls-'));
    cert = selfSigned();
    dovecot = await startDovecot({ extraConfig: 'service auth {\n  unix_listener auth-postfix {\n    mode = 0666\n  }\n}\n' });
    postfix = await startPostfix({
      main: {
        smtpd_tls_security_level: 'may',
        smtpd_tls_cert_file: cert.certFile,
        smtpd_tls_key_file: path.join(cert.dir, 'key.pem'),
        smtpd_sasl_type: 'dovecot',
        smtpd_sasl_path: path.join(dovecot.dir, 'run', 'auth-postfix'),
        smtpd_sasl_auth_enable: 'yes',
        smtpd_tls_auth_only: 'yes',
      },
    });
  });

  after(async () => {
    await postfix?.stop();
    await dovecot?.stop();
    cert?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const smtp = (extra: Parameters<typeof spec>[0] extends infer S ? Partial<S> : never) =>
    spec({ protocol: 'smtp', port: postfix.port, tls: 'starttls', caFile: cert.certFile, ...extra });

  it('STARTTLS with the trusted certificate, then AUTH PLAIN', async () => {
    const o = await runProbe(smtp({ user: 'user@example.test', passwordFile: pw('good', 'secret') }));
    expect(o.reason).to.equal('');
    expect(o.phases.map((p) => p.name)).to.deep.equal(['connect', 'greeting', 'ehlo', 'starttls', 'ehlo-tls', 'auth', 'quit']);
  });

  it('AUTH with a wrong password fails with the server\'s answer', async () => {
    const o = await runProbe(smtp({ user: 'user@example.test', passwordFile: pw('bad', 'wrong') }));
    expect(o.ok).to.equal(false);
    expect(o.reason).to.match(/^auth: 535 5\.7\.8 Error: authentication failed/);
  });

  it('an untrusted certificate fails the starttls phase', async () => {
    const o = await runProbe(smtp({ caFile: undefined }));
    expect(o.ok).to.equal(false);
    expect(o.reason).to.equal('starttls: TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
    const insecure = await runProbe(smtp({ caFile: undefined, tlsVerify: false }));
    expect(insecure.reason).to.equal('');
  });

  it('without TLS the server offers no AUTH (smtpd_tls_auth_only)', async () => {
    const o = await runProbe(smtp({ tls: 'none', user: 'user@example.test', passwordFile: pw('good', 'secret') }));
    expect(o.reason).to.equal('auth: the server offers no AUTH (STARTTLS first?)');
  });

  it('submission after AUTH: the message is queued and delivered', async () => {
    const o = await runProbe(
      smtp({ protocol: 'submission', port: postfix.submissionPort, user: 'user@example.test', passwordFile: pw('good', 'secret'), from: 'user@example.test', to: 'tester@localhost' }),
    );
    expect(o.reason).to.equal('');
    expect(o.phases.map((p) => p.name)).to.deep.equal(['connect', 'greeting', 'ehlo', 'starttls', 'ehlo-tls', 'auth', 'mail', 'rcpt', 'data', 'message', 'quit']);
    await postfix.waitForLog(/postfix-test\/submission\/smtpd\[\d+\]: \w+: client=.*sasl_method=PLAIN, sasl_username=user@example\.test/);
    await postfix.waitForLog(/postfix-test\/local\[\d+\]: \w+: to=<tester@localhost>.*status=sent/);
  });
});
