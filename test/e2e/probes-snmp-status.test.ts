// How a probed service's failures and slowness read over SNMP (the real snmpwalk/snmpget):
// a wrong IMAP password and an untrusted TLS certificate (a real Dovecot) are down(2) with
// the reason in madmanProbeReason; a service that answers, but slower than its critical
// threshold (a small server that greets after 300 ms, critical at 0.1 s), is congested(4)
// (NETWORK-SERVICES-MIB applOperStatus: up 1, down 2, halted 3, congested 4, restarting 5).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { ProbeSpec } from '../../src/sources/probes/config.js';
import { MIB_OPTS, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';
import { spec, startSlowSmtp, until, walkRows, type Row, type TestServer } from '../helpers/probe-support.js';

describe('probe failures and slowness over SNMP (Dovecot, a late greeter)', function () {
  this.timeout(60000);
  let dovecot: DovecotServer;
  let slow: TestServer;
  let agent: TestAgent;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-probe-status-'));
    const pw = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, `${text}\n`);
      return f;
    };
    dovecot = await startDovecot({ tls: true });
    slow = await startSlowSmtp(300);
    const user = 'user@example.test';
    const probes: ProbeSpec[] = [
      spec({ name: 'badpw', protocol: 'imap', port: dovecot.imapPort, user, passwordFile: pw('wrong', 'wrong') }),
      // the certificate is self-signed and no caFile says to trust it
      spec({ name: 'untrusted', protocol: 'imap', port: dovecot.imapsPort!, tls: 'implicit', user, passwordFile: pw('right', 'secret') }),
      // at least 300 ms to the greeting: over 0.1 s whatever the machine; the timeout is far
      spec({ name: 'slow', protocol: 'smtp', port: slow.port, warning: 0.05, critical: 0.1, timeout: 30 }),
    ];
    agent = await startTestAgent({ settings: { probes } });
    await until('every service checked', () => [...agent.model.checks.values()].filter((c) => (c.checks ?? 0) >= 1).length === 3, 40000);
  });

  after(async () => {
    await agent?.stop();
    await slow?.close();
    await dovecot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function byName(rows: Map<string, Row>, column: string, name: string): [string, Row] {
    const hit = [...rows].find(([, r]) => r[column] === name);
    expect(hit, `row ${name} in ${[...rows.values()].map((r) => r[column]).join(', ')}`).to.not.equal(undefined);
    return hit!;
  }

  async function operStatus(index: string): Promise<string> {
    const r = await snmp('snmpget', [...MIB_OPTS, '-Oqve', agent.target, `NETWORK-SERVICES-MIB::applOperStatus.${index}`]);
    expect(r.code, r.stderr).to.equal(0);
    return r.stdout.trim();
  }

  it('a wrong IMAP password: applOperStatus down(2), the server\'s answer in madmanProbeReason', async () => {
    const appl = await walkRows(agent.target, 'NETWORK-SERVICES-MIB::applTable');
    const [idx, row] = byName(appl, 'applName', 'badpw imap on 127.0.0.1');
    expect(row.applOperStatus).to.equal('down');
    expect(await operStatus(idx)).to.equal('2');
    const probes = await walkRows(agent.target, 'MADMAN-MIB::madmanProbeTable');
    const [, p] = byName(probes, 'madmanProbeName', 'badpw imap on 127.0.0.1');
    expect(p).to.include({ madmanProbeStatus: 'critical', madmanProbeReason: 'login: authentication failed: Authentication failed.', madmanProbeConsecutiveFailures: '1' });
  });

  it('an untrusted TLS certificate: applOperStatus down(2), the verification error in madmanProbeReason', async () => {
    const appl = await walkRows(agent.target, 'NETWORK-SERVICES-MIB::applTable');
    const [idx, row] = byName(appl, 'applName', 'untrusted imap on 127.0.0.1');
    expect(row.applOperStatus).to.equal('down');
    expect(await operStatus(idx)).to.equal('2');
    const probes = await walkRows(agent.target, 'MADMAN-MIB::madmanProbeTable');
    const [, p] = byName(probes, 'madmanProbeName', 'untrusted imap on 127.0.0.1');
    expect(p).to.include({ madmanProbeStatus: 'critical', madmanProbeReason: 'login: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)' });
  });

  it('slower than its critical threshold: applOperStatus congested(4), the time and threshold in madmanProbeReason', async () => {
    const appl = await walkRows(agent.target, 'NETWORK-SERVICES-MIB::applTable');
    const [idx, row] = byName(appl, 'applName', 'slow smtp on 127.0.0.1');
    expect(row.applOperStatus).to.equal('congested');
    expect(await operStatus(idx)).to.equal('4');
    const probes = await walkRows(agent.target, 'MADMAN-MIB::madmanProbeTable');
    const [, p] = byName(probes, 'madmanProbeName', 'slow smtp on 127.0.0.1');
    const check = agent.model.checks.get(Number(idx))!;
    expect(p).to.include({
      madmanProbeStatus: 'critical',
      madmanProbeReason: `response time ${(check.responseMs! / 1000).toFixed(3)} s over the critical threshold of 0.1 s`,
      madmanProbeConsecutiveFailures: '0',
      madmanProbeFailures: '0',
    });
  });
});
