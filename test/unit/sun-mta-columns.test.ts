// The MTA-MIB columns the Sun MTA log can fill besides the traffic counters (issue 13
// item 3), from test/fixtures/sun-mta/columns.log (lines L1..L13): hierarchy, converted
// messages, loops, connection failure and rejection reasons, and what the configuration
// gives (URLs, directory name). The values are worked out by hand from the fixture.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MailSystem, type Channel } from '../../src/model/mail-system.js';
import { CHANNEL_HIERARCHY, SunLog } from '../../src/sources/sun-mta/apply.js';
import { mtaVersion } from '../../src/sources/sun-mta/source.js';
import { ROOT } from '../helpers/harness.js';

const LINES = readFileSync(path.join(ROOT, 'test/fixtures/sun-mta/columns.log'), 'utf8').trimEnd().split('\n');
const DESCRIBED = { url: 'https://wiki.example.org/mta', directoryName: 'cn=mta,o=example', groupUrls: { tcp_local: 'https://wiki.example.org/tcp_local' } };

describe('SunLog: the columns besides the traffic (hierarchy, conversions, loops, reasons)', () => {
  const model = new MailSystem();
  const log = new SunLog(model, 'test MTA', DESCRIBED);
  for (const l of LINES) log.line(l);
  const ch = (name: string): Channel => [...log.app.mta!.channels.values()].find((c) => c.name === name)!;

  it('every channel is in one breakdown of the MTA (mtaGroupHierarchy -1)', () => {
    const all = [...log.app.mta!.channels.values()];
    expect(all.map((c) => c.name).sort()).to.deep.equal(['conversion', 'ims-ms', 'tcp_intranet', 'tcp_local']);
    for (const c of all) expect(c.hierarchy, c.name).to.equal(CHANNEL_HIERARCHY);
    expect(CHANNEL_HIERARCHY).to.equal(-1);
  });

  it('the conversion channel\'s dequeues are converted messages: L6 (D) succeeded, L7 (R) failed', () => {
    const c = ch('conversion');
    expect([c.successfulConvertedMessages, c.failedConvertedMessages]).to.deep.equal([1, 1]);
    const m = log.app.mta!.counters;
    expect([m.successfulConvertedMessages, m.failedConvertedMessages]).to.deep.equal([1, 1]);
    expect([ch('ims-ms').successfulConvertedMessages, ch('tcp_local').successfulConvertedMessages]).to.deep.equal([0, 0]);
  });

  it('loops: L9 (R, status 5.4.6) in ims-ms, L13 (J, "loop" in its diagnostic) in tcp_local', () => {
    expect([ch('ims-ms').loopsDetected, ch('tcp_local').loopsDetected, ch('conversion').loopsDetected]).to.deep.equal([1, 1, 0]);
    expect(log.app.mta!.counters.loopsDetected).to.equal(2);
  });

  it('reasons: the X reason without "SMTP" (L1), none logged (L2) then the J refusal (L13); the Y without one (L11) then its Q (L12)', () => {
    const t = ch('tcp_local');
    expect(t.rejectedInboundAssociations).to.equal(2);
    expect(t.inboundRejectionReason).to.equal('550 5.1.1 Mail forwarding loop for w@siroe.com');
    expect(t.failedOutboundAssociations).to.equal(1);
    expect(t.outboundConnectFailureReason).to.equal('TCP active open: Failed connect() Error: Connection refused');
    const first = new SunLog(new MailSystem(), 'x');
    first.line(LINES[0]!);
    expect([...first.app.mta!.channels.values()][0]!.inboundRejectionReason).to.equal('Connection rejected by access mapping');
    first.line(LINES[1]!);
    expect([...first.app.mta!.channels.values()][0]!.inboundRejectionReason).to.equal('');
  });

  it('the configuration gives applURL, applDirectoryName and mtaGroupURL (the log has none)', () => {
    expect([log.app.url, log.app.directoryName]).to.deep.equal([DESCRIBED.url, DESCRIBED.directoryName]);
    expect([ch('tcp_local').url, ch('ims-ms').url]).to.deep.equal([DESCRIBED.groupUrls.tcp_local, '']);
  });

  it('applVersion from a version command: the line naming the Messaging Server, else the first', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-imsimta-'));
    const script = path.join(dir, 'imsimta');
    // the shape of `imsimta version`: the product line first, then the library, then the system
    writeFileSync(script, ['#!/bin/sh', 'echo', 'echo "libimta.so 8.0.2.3.20181024 64bit (built 19:39:52, Oct 24 2018)"', 'echo "Oracle Communications Messaging Server 8.0.2.3.20181024 64bit (built Oct 24 2018)"', 'echo "SunOS mail 5.11 11.4.0.15.0 i86pc i386 i86pc"', ''].join('\n'));
    chmodSync(script, 0o755);
    expect(await mtaVersion(`${script} version`)).to.deep.equal({ ok: true, text: 'Oracle Communications Messaging Server 8.0.2.3.20181024 64bit (built Oct 24 2018)' });
    rmSync(dir, { recursive: true, force: true });
    expect(await mtaVersion('echo Messaging Server 6.3-6.03 (built Jun  5 2008; 32bit)')).to.deep.equal({ ok: true, text: 'Messaging Server 6.3-6.03 (built Jun 5 2008; 32bit)' });
    expect(await mtaVersion('echo 8.0.2')).to.deep.equal({ ok: true, text: '8.0.2' });
    expect((await mtaVersion('false')).ok).to.equal(false);
    expect((await mtaVersion('/nonexistent/imsimta version')).ok).to.equal(false);
  });
});
