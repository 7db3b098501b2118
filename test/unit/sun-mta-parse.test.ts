// The Messaging Server MTA log record format (src/sources/sun-mta/parse.ts), from the
// documented examples and the variations LOG_FORMAT and the optional fields bring.

import { expect } from 'chai';
import { parseSunLine, type ConnectionRecord, type MessageRecord } from '../../src/sources/sun-mta/parse.js';

const msg = (line: string): MessageRecord => {
  const r = parseSunLine(line);
  expect(r?.kind, line).to.equal('message');
  return r as MessageRecord;
};

describe('Sun MTA log records', () => {
  it('reads the documented enqueue record', () => {
    const r = msg('16-Feb-2007 14:54:13.72 tcp_local ims-ms EE 1 adam@sesta.com rfc822;marlowe@siroe.com marlowe@ims-ms-daemon');
    expect(r).to.deep.include({
      time: new Date(2007, 1, 16, 14, 54, 13, 720).getTime(),
      source: 'tcp_local',
      destination: 'ims-ms',
      action: 'E',
      blocks: 1,
      from: 'adam@sesta.com',
      origTo: 'rfc822;marlowe@siroe.com',
      to: 'marlowe@ims-ms-daemon',
      diagnostic: '',
    });
    expect(r.modifiers).to.deep.equal({ esmtp: true, sasl: false, tls: false, chunking: false });
    expect(r.status).to.equal(undefined);
  });

  it('reads the documented dequeue record: one channel, connection tuple, banner and diagnostic', () => {
    const r = msg(
      '16-Feb-2007 15:41:34.73 tcp_local DE 1 adam@sesta.com rfc822;marlowe@siroe.com marlowe@siroe.com thor.siroe.com dns;thor.siroe.com (TCP|206.184.139.12|2788|192.160.253.66|25) (thor.siroe.com ESMTP Sendmail ready) smtp;250 2.1.5 <marlowe@siroe.com>... Receipt ok',
    );
    expect(r.source).to.equal('tcp_local');
    expect(r.destination).to.equal(undefined);
    expect(r.action).to.equal('D');
    expect(r.tuple).to.deep.equal({ localAddr: '206.184.139.12', localPort: 2788, remoteAddr: '192.160.253.66', remotePort: 25 });
    expect(r.diagnostic).to.equal('smtp;250 2.1.5 <marlowe@siroe.com>... Receipt ok');
    expect(r.status).to.equal('2.1.5');
    expect(r.messageId).to.equal(undefined); // the <address> of the diagnostic is no message id
  });

  it('reads the documented connection records', () => {
    const o = parseSunLine('28-Feb-2007 11:50:59.10 tcp_local + O TCP|206.184.139.12|25|192.160.253.66|1244 SMTP') as ConnectionRecord;
    expect(o).to.deep.equal({
      kind: 'connection',
      time: new Date(2007, 1, 28, 11, 50, 59, 100).getTime(),
      channel: 'tcp_local',
      inbound: true,
      event: 'O',
      tuple: { localAddr: '206.184.139.12', localPort: 25, remoteAddr: '192.160.253.66', remotePort: 1244 },
      text: 'SMTP',
      application: 'SMTP',
      diagnostic: '',
    });
    const y = parseSunLine('28-Feb-2007 11:51:15.66 tcp_local - Y TCP|10.0.0.1|0|10.0.0.2|25 Connection refused') as ConnectionRecord;
    expect([y.inbound, y.event, y.text, y.application, y.diagnostic]).to.deep.equal([false, 'Y', 'Connection refused', '', 'Connection refused']);
    // the application word, then the reason (LOG_DIAGNOSTICS): the reason alone is the diagnostic
    const x = parseSunLine('28-Feb-2007 11:51:15.66 tcp_local + X TCP|10.0.0.1|25|10.0.0.2|4000 SMTP/TLS Connection rejected by access mapping') as ConnectionRecord;
    expect([x.application, x.diagnostic]).to.deep.equal(['SMTP/TLS', 'Connection rejected by access mapping']);
    for (const e of ['C', 'X']) expect((parseSunLine(`28-Feb-2007 11:51:15.66 tcp_local + ${e} TCP|a|1|b|2`) as ConnectionRecord).event).to.equal(e);
  });

  it('reads every action code with its modifiers, padded channel columns and optional fields', () => {
    for (const a of ['E', 'D', 'J', 'R', 'Q', 'Z', 'K', 'W', 'B']) {
      expect(msg(`01-Mar-2026 00:00:00.00 tcp_local      ${a} 0 a@b rfc822;c@d c@d`).action).to.equal(a);
    }
    const r = msg('01-Mar-2026 00:00:00.00 tcp_intranet   tcp_local    EEASC 12 a@b rfc822;c@d c@d /q/tcp_local/000/ZZ0A.00 <id1@b>');
    expect([r.source, r.destination, r.action, r.blocks, r.file, r.messageId]).to.deep.equal(['tcp_intranet', 'tcp_local', 'E', 12, '/q/tcp_local/000/ZZ0A.00', '<id1@b>']);
    expect(r.modifiers).to.deep.equal({ esmtp: true, sasl: true, tls: true, chunking: true });
    const j = msg('01-Mar-2026 00:00:00.00 tcp_local JE 0 spam@x rfc822;u@d u@d 550 5.1.1 unknown or illegal alias: u@d');
    expect([j.diagnostic, j.status]).to.deep.equal(['550 5.1.1 unknown or illegal alias: u@d', '5.1.1']);
    const q = msg('01-Mar-2026 00:00:00.00 tcp_local Q 1 a@b rfc822;c@d c@d TCP active open: Failed connect() Error: Connection refused');
    expect([q.diagnostic, q.status, q.note]).to.deep.equal(['', undefined, 'TCP active open: Failed connect() Error: Connection refused']);
    // after a Message-ID too; a record with a reply code has its diagnostic and no note; an enqueue keeps none
    const n = msg('01-Mar-2026 00:00:00.00 tcp_local ZE 1 a@b rfc822;c@d c@d <m@b> TCP active open: Failed connect()    Error: No route to host');
    expect([n.messageId, n.note]).to.deep.equal(['<m@b>', 'TCP active open: Failed connect() Error: No route to host']);
    expect(msg('01-Mar-2026 00:00:00.00 tcp_local QE 1 a@b rfc822;c@d c@d mx dns;mx smtp;452 4.2.1 busy').note).to.equal(undefined);
    expect(msg('01-Mar-2026 00:00:00.00 tcp_local ims-ms EE 1 a@b rfc822;c@d c@d THOR (THOR [192.0.2.1])').note).to.equal(undefined);
  });

  it('reads the empty address of LOG_FORMAT 1 (two spaces) and of LOG_FORMAT 2 (<>)', () => {
    const one = msg('01-Mar-2026 00:00:00.00 tcp_local ims-ms E 3  rfc822;m@s m@ims-ms-daemon');
    expect([one.from, one.origTo, one.to]).to.deep.equal(['', 'rfc822;m@s', 'm@ims-ms-daemon']);
    const two = msg('01-Mar-2026 00:00:00.00 tcp_local ims-ms E 3 <> rfc822;m@s m@ims-ms-daemon');
    expect([two.from, two.origTo, two.to]).to.deep.equal(['', 'rfc822;m@s', 'm@ims-ms-daemon']);
  });

  it('says why a line is not understood', () => {
    const cases: Array<[string, string]> = [
      ['01-Mar-2026 00:00:00.00 tcp_local ims-ms X 1 a@b rfc822;c@d c@d', 'unknown action'],
      ['01-Mar-2026 00:00:00.00 tcp_local ims-ms EX 1 a@b rfc822;c@d c@d', 'unknown action'],
      ['01-Mar-2026 00:00:00.00 tcp_local + Q TCP|a|1|b|2', 'unknown action'],
      ['01-Mar-2026 00:00:00.00 tcp_local ims-ms EE 1 a@b rfc822;c@d', 'truncated'],
      ['01-Mar-2026 00:00:00.00 tcp_local ims-ms EE 1', 'truncated'],
      ['01-Mar-2026 00:00:00.00 tcp_local ims', 'truncated'],
      ['01-Mar-2026 00:00:00.00 tcp_local + O', 'truncated'],
      ['01-Mar-2026 00:00:00.00 tcp_local + O SMTP', 'bad connection'],
      ['01-Mar-2026 00:00:00.00 tcp_local ims-ms EE x a@b rfc822;c@d c@d', 'bad size'],
      ['01-Mar-2026 00:00:00.00 tcp_local ims/ms EE 1 a@b rfc822;c@d c@d', 'bad channel'],
      ['01-Mar-2026 00:00:00.00 tcp:local + O TCP|a|1|b|2', 'bad channel'],
      ['01-Mar-2026 00:00', 'bad date'],
      ['01-Foo-2026 00:00:00.00 tcp_local ims-ms EE 1 a@b rfc822;c@d c@d', 'bad date'],
      ['not a log line', 'bad date'],
    ];
    for (const [line, reason] of cases) expect(parseSunLine(line), line).to.deep.equal({ kind: 'unparsed', reason });
    expect(parseSunLine('   ')).to.equal(undefined);
  });
});
