// The probes source in a running agent, read back with the real snmpwalk: a real Postfix
// (up, its version from the banner), a port that accepts and never answers (down after
// the timeout), and a closed port with a restart command (the watcher restarts twice,
// then suspends: Sun's rule), in applTable and MADMAN-MIB's madmanProbe tables.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { ProbeSpec } from '../../src/sources/probes/config.js';
import { startTestAgent, type TestAgent } from '../helpers/harness.js';
import { freePorts, startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { spec, startSilentServer, until, walkRows, type Row, type TestServer } from '../helpers/probe-support.js';

describe('probes in SNMP (Postfix, a hung port, a closed port with a watcher)', function () {
  this.timeout(60000);
  let postfix: PostfixServer;
  let silent: TestServer;
  let agent: TestAgent;
  let dir: string;
  let restartLog: string;
  let closedPort: number;
  let mailVersion: string;

  before(async () => {
    postfix = await startPostfix({ main: { smtpd_banner: '$myhostname ESMTP $mail_name $mail_version' } });
    mailVersion = (await postfix.postconf('-h', 'mail_version')).trim();
    silent = await startSilentServer();
    [closedPort] = (await freePorts(1)) as [number];
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-probes-'));
    restartLog = path.join(dir, 'restarts');
    const probes: ProbeSpec[] = [
      spec({ name: 'mx', protocol: 'smtp', port: postfix.port, warning: 5, critical: 10 }),
      spec({ name: 'hung', protocol: 'smtp', port: silent.port, timeout: 0.5 }),
      spec({
        name: 'gone',
        protocol: 'smtp',
        port: closedPort,
        interval: 0.05,
        restart: { command: `echo restarted >> ${restartLog}`, afterFailures: 2, windowSeconds: 600 },
      }),
    ];
    agent = await startTestAgent({ settings: { probes } });
    const checks = () => [...agent.model.checks.values()];
    await until('every service checked and the watcher suspended', () => {
      const c = checks();
      return c.length === 3 && c.every((x) => (x.checks ?? 0) >= 1) && c.some((x) => x.watcher === 'suspended');
    });
  });

  after(async () => {
    await agent?.stop();
    await silent?.close();
    await postfix?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function byName(rows: Map<string, Row>, column: string, name: string): [string, Row] {
    const hit = [...rows].find(([, r]) => r[column] === name);
    expect(hit, `row ${name} in ${[...rows.values()].map((r) => r[column]).join(', ')}`).to.not.equal(undefined);
    return hit!;
  }

  it('serves an applTable row per service: name, version from the banner, operStatus', async () => {
    const appl = await walkRows(agent.target, 'NETWORK-SERVICES-MIB::applTable');
    const [mxIdx, mx] = byName(appl, 'applName', 'mx smtp on 127.0.0.1');
    expect(mx.applVersion).to.equal(`Postfix ${mailVersion}`);
    expect(mx.applOperStatus).to.equal('up');
    expect(Number(mx.applUptime)).to.be.greaterThan(0);
    expect(mx.applLastChange).to.equal(mx.applUptime);
    expect(mx.applDescription).to.equal(`smtp service at 127.0.0.1:${postfix.port}, probed by madman`);
    const [, hung] = byName(appl, 'applName', 'hung smtp on 127.0.0.1');
    expect(hung.applOperStatus).to.equal('down');
    expect(hung.applVersion).to.equal('');
    expect(hung.applUptime).to.equal('0');
    const [, gone] = byName(appl, 'applName', 'gone smtp on 127.0.0.1');
    expect(gone.applOperStatus).to.equal('down');
    expect(agent.model.checks.get(Number(mxIdx))!.applicationIndex).to.equal(Number(mxIdx));
  });

  it('serves the serverResponse table: status, response time, reason, failures', async () => {
    const probes = await walkRows(agent.target, 'MADMAN-MIB::madmanProbeTable');
    const [mxIdx, mx] = byName(probes, 'madmanProbeName', 'mx smtp on 127.0.0.1');
    const mxCheck = agent.model.checks.get(Number(mxIdx))!;
    expect(mx).to.include({
      madmanProbeProtocol: 'smtp',
      madmanProbeTarget: `127.0.0.1:${postfix.port}`,
      madmanProbeStatus: 'ok',
      madmanProbeReason: '',
      madmanProbeConsecutiveFailures: '0',
      madmanProbeChecks: '1',
      madmanProbeFailures: '0',
      madmanProbeLastFailure: '0',
      madmanProbeWatcher: 'disabled',
      madmanProbeRestarts: '0',
    });
    expect(Number(mx.madmanProbeResponseTime)).to.equal(Math.round(mxCheck.responseMs!));
    expect(Number(mx.madmanProbeLastCheck)).to.be.greaterThan(0);

    const [, hung] = byName(probes, 'madmanProbeName', 'hung smtp on 127.0.0.1');
    expect(hung).to.include({
      madmanProbeStatus: 'critical',
      madmanProbeReason: 'greeting: no answer with a greeting within 0.5 s',
      madmanProbeConsecutiveFailures: '1',
      madmanProbeFailures: '1',
    });
    expect(hung.madmanProbeLastFailure).to.equal(hung.madmanProbeLastCheck);
  });

  it('restarts a failing service twice within the window, then stops and says so', async () => {
    const probes = await walkRows(agent.target, 'MADMAN-MIB::madmanProbeTable');
    const [, gone] = byName(probes, 'madmanProbeName', 'gone smtp on 127.0.0.1');
    expect(gone.madmanProbeStatus).to.equal('critical');
    expect(gone.madmanProbeReason).to.equal(`connect: connect ECONNREFUSED 127.0.0.1:${closedPort}`);
    expect(gone.madmanProbeWatcher).to.equal('suspended');
    expect(gone.madmanProbeRestarts).to.equal('2');
    expect(Number(gone.madmanProbeLastRestart)).to.be.greaterThan(0);
    // 2 failures -> restart, 2 more -> restart, 2 more -> suspended
    expect(Number(gone.madmanProbeFailures)).to.be.at.least(6);
    expect(readFileSync(restartLog, 'utf8')).to.equal('restarted\nrestarted\n');
  });

  it('serves the phases of the last check in order', async () => {
    const phases = await walkRows(agent.target, 'MADMAN-MIB::madmanProbePhaseTable');
    const mxIdx = [...agent.model.checks.values()].find((c) => c.name === 'mx smtp on 127.0.0.1')!.index;
    const mine = [...phases].filter(([i]) => i.startsWith(`${mxIdx}.`));
    expect(mine.map(([i]) => i)).to.deep.equal([1, 2, 3, 4].map((n) => `${mxIdx}.${n}`));
    expect(mine.map(([, r]) => r.madmanProbePhaseName)).to.deep.equal(['connect', 'greeting', 'ehlo', 'quit']);
    const model = agent.model.checks.get(mxIdx)!.phases;
    expect(mine.map(([, r]) => Number(r.madmanProbePhaseTime))).to.deep.equal(model.map((p) => Math.round(p.ms)));
    const hungIdx = [...agent.model.checks.values()].find((c) => c.name === 'hung smtp on 127.0.0.1')!.index;
    expect([...phases].filter(([i]) => i.startsWith(`${hungIdx}.`)).map(([, r]) => r.madmanProbePhaseName)).to.deep.equal(['connect']);
  });
});
