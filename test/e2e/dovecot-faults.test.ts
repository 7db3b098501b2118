// The Dovecot source when the log is not the whole story: sessions opened before the agent
// started are found with doveadm who; Dovecot going down is reported (madmanSourceTable,
// applOperStatus), the quota rows are kept meanwhile, and everything recovers when it is back;
// an agent restart continues the counts and the open sessions from its checkpoint.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { dovecotDefaults } from '../../src/sources/dovecot/config.js';
import { MIB_OPTS, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';

function imap(dc: DovecotServer, user: string, pass: string): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port: dc.imapPort, secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false });
}

async function until(what: string, f: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function get(agent: TestAgent, ...names: string[]): Promise<string[]> {
  const r = await snmp('snmpget', [...MIB_OPTS, '-Oqv', agent.target, ...names]);
  expect(r.code, r.stderr).to.equal(0);
  return r.stdout.trim().split('\n');
}

describe('e2e: Dovecot source faults', function () {
  this.timeout(60000);
  let dc: DovecotServer;
  let agent: TestAgent | undefined;

  beforeEach(async () => {
    dc = await startDovecot();
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await dc?.stop();
  });

  it('finds sessions opened before the agent started with doveadm who', async () => {
    const a = imap(dc, 'user@example.test', 'secret');
    const b = imap(dc, 'other@example.test', 'secret2');
    await a.connect();
    await b.connect();
    agent = await startTestAgent({
      settings: { dovecot: { ...dovecotDefaults(), log: dc.logPath, config: dc.conf, doveadm: '/usr/bin/doveadm', whoInterval: 0.2, quotaInterval: 0 } },
    });
    const stats = agent.model.services.get(1)!;
    await until('doveadm who', () => stats.numCurrentConnections === 2);
    const appl = stats.application!;
    expect(await get(agent, 'MADMAN-MIB::madmanServiceNumCurrentConnections.1', 'MADMAN-MIB::madmanServiceNumGoodLogins.1', `NETWORK-SERVICES-MIB::applInboundAssociations.${appl}`, `NETWORK-SERVICES-MIB::applAccumulatedInboundAssociations.${appl}`))
      .to.deep.equal(['2', '0', '2', '0']);
    const r = await snmp('snmpwalk', [...MIB_OPTS, '-Oqv', agent.target, `NETWORK-SERVICES-MIB::assocRemoteApplication.${appl}`]);
    expect(r.stdout.trim().split('\n')).to.deep.equal(['127.0.0.1', '127.0.0.1']);
    await a.logout();
    await until('the logout line', () => stats.numCurrentConnections === 1);
    await b.logout();
    await until('the logout line', () => stats.numCurrentConnections === 0);
    expect(stats.numGoodLogins).to.equal(0);
  });

  it('counts failed logins followed by a good one on the same connection (auth_verbose = yes)', async () => {
    agent = await startTestAgent({ settings: { dovecot: { ...dovecotDefaults(), log: dc.logPath, config: dc.conf, whoInterval: 0, quotaInterval: 0 } } });
    const stats = agent.model.services.get(1)!;
    // raw IMAP: a wrong password, an unknown user, then the right password, on one connection
    const steps = ['a LOGIN user@example.test wrong', 'b LOGIN nosuch@example.test wrong', 'c LOGIN user@example.test secret', 'd LOGOUT'];
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(dc.imapPort, '127.0.0.1');
      let seen = '';
      let next = 0;
      s.on('data', (d) => {
        seen += String(d);
        const want = next === 0 ? '* OK' : `${steps[next - 1]!.charAt(0)} `;
        if (next < steps.length && seen.split('\r\n').some((l) => l.startsWith(want))) s.write(`${steps[next++]}\r\n`);
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    await until('the logout line', () => stats.numGoodLogins === 1 && stats.numCurrentConnections === 0);
    // Dovecot logs only the Login line for this connection; the two failures come from the
    // auth_verbose lines of its session
    expect([stats.numGoodLogins, stats.numFailedLogins, stats.numFailedConnections, stats.numConnections]).to.deep.equal([1, 2, 0, 1]);
    const log = readFileSync(dc.logPath, 'utf8');
    expect(log.match(/imap-login: Info: (Login|Disconnected)/g)).to.deep.equal(['imap-login: Info: Login']);
    expect(log.match(/: (Password mismatch|unknown user)$/gm)).to.deep.equal([': Password mismatch', ': unknown user']);
  });

  it('reports Dovecot down, keeps the quota rows, and recovers when it is back', async () => {
    agent = await startTestAgent({
      settings: { dovecot: { ...dovecotDefaults(), log: dc.logPath, config: dc.conf, doveadm: '/usr/bin/doveadm', whoInterval: 0.2, quotaInterval: 0.2 } },
    });
    const model = agent.model;
    const input = (name: string) => [...model.inputs.values()].find((i) => i.name === name)!;
    await until('quotas', () => model.quotas.size === 2 && input('dovecot quotas').ok);
    // no session is open: each who run lists none (its header line is not an entry)
    expect(input('dovecot sessions')).to.include({ ok: true, reason: '', lines: 0 });
    const q = input('dovecot quotas').index;
    const s = input('dovecot sessions').index;
    expect(await get(agent, `MADMAN-MIB::madmanSourceName.${q}`, `MADMAN-MIB::madmanSourceStatus.${q}`, `MADMAN-MIB::madmanSourceStatus.${s}`)).to.deep.equal(['dovecot quotas', 'ok', 'ok']);

    await dc.halt();
    await until('the failure', () => !input('dovecot quotas').ok && !input('dovecot sessions').ok);
    const [status, text, quotaRows] = await get(agent, `MADMAN-MIB::madmanSourceStatus.${q}`, `MADMAN-MIB::madmanSourceStatusText.${q}`, 'MADMAN-MIB::madmanQuotaUser.1');
    expect(status).to.equal('failing');
    expect(text).to.match(/^doveadm quota get -A exited \S+: Error: auth-master: userdb list: connect\(\S+\/auth-userdb\) failed: Connection refused$/);
    expect(quotaRows).to.equal('user@example.test');
    expect(input('dovecot sessions').reason).to.match(/doveadm -c \S+ -f tab who -1 failed: /);
    const appl = model.services.get(1)!.application!;
    expect(await get(agent, `NETWORK-SERVICES-MIB::applOperStatus.${appl}`)).to.deep.equal(['down']);

    await dc.restart();
    await until('the recovery', () => input('dovecot quotas').ok && input('dovecot sessions').ok && model.applications.get(appl)!.operStatus === 'up');
    expect(await get(agent, `MADMAN-MIB::madmanSourceStatus.${q}`, `MADMAN-MIB::madmanSourceStatusText.${q}`, `NETWORK-SERVICES-MIB::applOperStatus.${appl}`)).to.deep.equal(['ok', '', 'up']);
    expect(model.quotas.size).to.equal(2);
  });

  it('continues counts and open sessions across an agent restart (checkpoint)', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'madman-dovecot-state-'));
    try {
      const settings = { fromStart: true, dovecot: { ...dovecotDefaults(), log: dc.logPath, whoInterval: 0, quotaInterval: 0 } };
      agent = await startTestAgent({ stateDir, settings });
      const a = imap(dc, 'user@example.test', 'secret');
      await a.connect();
      const bad = imap(dc, 'user@example.test', 'nope');
      await bad.connect().catch(() => undefined);
      bad.close();
      let stats = agent.model.services.get(1)!;
      await until('the first lines', () => stats.numGoodLogins === 1 && stats.numFailedLogins === 1);
      await agent.stop();
      agent = undefined;

      // while the agent is down: b logs in, a logs out
      const b = imap(dc, 'other@example.test', 'secret2');
      await b.connect();
      await a.logout();
      await new Promise((r) => setTimeout(r, 300));

      agent = await startTestAgent({ stateDir, settings });
      stats = agent.model.services.get(1)!;
      await until('the lines written while down', () => stats.numGoodLogins === 2 && stats.numCurrentConnections === 1);
      const appl = stats.application!;
      expect(await get(agent,
        'MADMAN-MIB::madmanServiceNumGoodLogins.1', 'MADMAN-MIB::madmanServiceNumFailedLogins.1', 'MADMAN-MIB::madmanServiceNumConnections.1',
        'MADMAN-MIB::madmanServiceNumCurrentConnections.1', 'MADMAN-MIB::madmanServiceMaxConnections.1',
        `NETWORK-SERVICES-MIB::applInboundAssociations.${appl}`, `NETWORK-SERVICES-MIB::applAccumulatedInboundAssociations.${appl}`,
        `NETWORK-SERVICES-MIB::applRejectedInboundAssociations.${appl}`,
      )).to.deep.equal(['2', '1', '3', '1', '2', '1', '3', '1']);
      const input = [...agent.model.inputs.values()].find((i) => i.name === 'dovecot log')!;
      expect(input.lines).to.equal(readFileSync(dc.logPath, 'utf8').split('\n').filter(Boolean).length);
      await b.logout();
      await until('the last logout', () => stats.numCurrentConnections === 0);
    } finally {
      await agent?.stop();
      agent = undefined;
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
