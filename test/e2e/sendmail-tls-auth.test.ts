// A real Sendmail 8.17 with STARTTLS (a self-signed certificate) and AUTH (Cyrus SASL, a
// sasldb in the test's directory): swaks submits over TLS with AUTH PLAIN, fails an AUTH,
// and relays over TLS without AUTH. The log lines it writes (STARTTLS=server, AUTH=server,
// AUTH failure, proto=ESMTPSA/ESMTPS) are read through the Sendmail source's framing and
// reader: every line understood; the refused AUTH is an inbound error 5.7.8 of the MSA,
// TLS and a good AUTH count nothing of their own.

import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { MailSystem, type Channel } from '../../src/model/mail-system.js';
import { parseSendmailCf } from '../../src/sources/sendmail/cf.js';
import { SendmailLog } from '../../src/sources/sendmail/reader.js';
import { SendmailRows } from '../../src/sources/sendmail/rows.js';
import { SendmailLogReader } from '../../src/sources/sendmail/source.js';
import { SM_ADDR, startSendmail, type SendmailServer } from '../helpers/sendmail-server.js';

const USER = { user: 'carol', password: 'madman-s3cret' };

describe('Sendmail with STARTTLS and AUTH (real Sendmail, swaks)', function () {
  this.timeout(120_000);
  let sm: SendmailServer | undefined;

  after(async () => {
    await sm?.stop();
  });

  it('logs STARTTLS and AUTH lines the source understands; a refused AUTH is the MSA\'s inbound error 5.7.8', async () => {
    sm = await startSendmail({ tlsAuth: USER });
    await sm.send({ port: sm.msaPort, from: SM_ADDR.local2, to: [SM_ADDR.local], tls: true, auth: USER });
    await sm.send({ port: sm.msaPort, from: SM_ADDR.local2, to: [SM_ADDR.local], tls: true, auth: { user: USER.user, password: 'wrong' }, expectAuthFailure: true });
    await sm.send({ from: SM_ADDR.remoteSender, to: [SM_ADDR.local2], tls: true });
    await sm.waitForLog(/AUTH failure \(PLAIN\)/);
    await sm.waitForLog(/to=<carol@example\.test>, .*mailer=local, .*stat=Sent/);
    await sm.waitForLog(/to=<bob@example\.test>, .*mailer=local, .*stat=Sent/);
    const cf = parseSendmailCf(readFileSync(sm.cf, 'latin1'));
    await sm.stop();
    const lines = sm.readLog().split('\n').filter((l) => l !== '');
    const at = (re: RegExp) => lines.filter((l) => re.test(l));
    // the shapes sendmail 8.17 writes for them
    expect(at(/ sm-mta\[\d+\]: STARTTLS=server, relay=localhost \[127\.0\.0\.1\], version=TLSv1\.[23], verify=NO, cipher=\S+, bits=\d+\/\d+$/), lines.join('\n')).to.have.length(3);
    expect(at(/ sm-mta\[\d+\]: AUTH=server, relay=localhost \[127\.0\.0\.1\], authid=carol, mech=PLAIN, bits=0$/), lines.join('\n')).to.have.length(1);
    expect(at(/ sm-mta\[\d+\]: \w{14}: AUTH failure \(PLAIN\): authentication failure \(-13\) SASL\(-13\): authentication failure: Password verification failed, user=carol, relay=localhost \[127\.0\.0\.1\]$/), lines.join('\n')).to.have.length(1);
    expect(at(/from=<carol@example\.test>, .*proto=ESMTPSA, daemon=MSA, .*relay=localhost \[127\.0\.0\.1\]$/), lines.join('\n')).to.have.length(1);
    expect(at(/from=<alice@far\.example>, .*proto=ESMTPS, daemon=MTA, .*relay=localhost \[127\.0\.0\.1\]$/), lines.join('\n')).to.have.length(1);

    const model = new MailSystem();
    const rows = new SendmailRows(model, 'sendmail MTA on mx', false);
    rows.declare(cf, 0);
    const programs = new Set(['sm-mta', 'sendmail']);
    const reader = new SendmailLogReader(new SendmailLog(rows, programs), programs);
    expect(lines.filter((l) => !reader.line(l)), 'not understood').to.deep.equal([]);
    const group = (name: string): Channel => [...rows.mta.channels.values()].find((c) => c.name === name)!;
    const errs = (ch: Channel) => Object.fromEntries([...ch.errors].map(([k, v]) => [k, { ...v }]));
    const msa = group('MSA');
    // two sessions to the MSA (the refused AUTH's names its daemon when it ends), one message
    expect([msa.receivedMessages, msa.accumulatedInboundAssociations, msa.rejectedMessages, msa.inboundRejectionReason]).to.deep.equal([1, 2, 0, 'AUTH failure (PLAIN)']);
    expect(errs(msa)).to.deep.equal({ '5.0.0': { inbound: 1, internal: 0, outbound: 0 }, '5.7.8': { inbound: 1, internal: 0, outbound: 0 } });
    const mta = group('MTA');
    expect([mta.receivedMessages, mta.accumulatedInboundAssociations, mta.rejectedMessages, errs(mta)]).to.deep.equal([1, 1, 0, {}]);
    expect([group('local').transmittedMessages, group('local').transmittedRecipients]).to.deep.equal([2, 2]);
  });
});
