// Quotas read over IMAP (GETQUOTAROOT as a Dovecot master user) from a real Dovecot: users from
// the configuration and from the log's logins, exact figures, a user that vanishes, a refused
// master user and Dovecot down reported in madmanSourceTable.

import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { dovecotDefaults, type DovecotSettings } from '../../src/config/dovecot.js';
import { MIB_OPTS, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';

async function until(what: string, f: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('e2e: Dovecot quotas over IMAP as a master user', function () {
  this.timeout(60000);
  let dc: DovecotServer;
  const agents: TestAgent[] = [];

  before(async () => {
    dc = await startDovecot({ storageKB: 200, messages: 20 });
  });
  after(async () => {
    for (const a of agents) await a.stop();
    await dc?.stop();
  });

  function settings(password: string): DovecotSettings {
    return {
      ...dovecotDefaults(),
      log: dc.logPath,
      quotaMethod: 'imap',
      imap: { host: '127.0.0.1', port: dc.imapPort, tls: 'none', master: dc.master.user, password, users: ['other@example.test'] },
      quotaInterval: 0.3,
      whoInterval: 0,
    };
  }

  it('reads the configured users and those seen logging in; a vanished user loses its row', async () => {
    const agent = await startTestAgent({ settings: { fromStart: true, dovecot: settings(dc.master.password) } });
    agents.push(agent);
    const c = new ImapFlow({ host: '127.0.0.1', port: dc.imapPort, secure: false, doSTARTTLS: false, auth: { user: 'user@example.test', pass: 'secret' }, logger: false });
    await c.connect();
    await c.append('INBOX', `Subject: a\r\n\r\n${'q'.repeat(40 * 1024)}\r\n`);
    await c.append('INBOX', `Subject: b\r\n\r\n${'q'.repeat(40 * 1024)}\r\n`);
    await c.logout();
    const d = await dc.doveadm(['-f', 'tab', 'quota', 'get', '-u', 'user@example.test']);
    const used = Number(/STORAGE\t(\d+)\t/.exec(d.stdout)![1]);
    // two messages of 40 KiB of body plus a few header bytes: 80 KB, a little more at most
    expect(used).to.be.within(80, 82);
    const row = (u: string) => [...agent.model.quotas.values()].find((q) => q.user === u);
    await until('both users', () => row('user@example.test')?.messages === 2 && !!row('other@example.test'));
    const idx = row('user@example.test')!.index;
    const r = await snmp('snmpget', [...MIB_OPTS, '-Oqv', agent.target,
      `MADMAN-MIB::madmanQuotaUser.${idx}`, `MADMAN-MIB::madmanQuotaStorageUsed.${idx}`, `MADMAN-MIB::madmanQuotaStorageLimit.${idx}`,
      `MADMAN-MIB::madmanQuotaMessages.${idx}`, `MADMAN-MIB::madmanQuotaMessageLimit.${idx}`, `MADMAN-MIB::madmanQuotaMessagePercent.${idx}`]);
    expect(r.stdout.trim().split('\n')).to.deep.equal(['user@example.test', `${used} kilobytes`, '200 kilobytes', '2', '20', '10 percent']);
    const input = [...agent.model.inputs.values()].find((i) => i.name === 'dovecot quotas')!;
    expect(input.input).to.equal(`IMAP GETQUOTAROOT 127.0.0.1:${dc.imapPort} as *${dc.master.user}`);
    expect(input.ok).to.equal(true);

    await dc.removeUser('other@example.test');
    await until('the vanished user', () => !row('other@example.test'));
    expect(input.ok).to.equal(true);
    expect([...agent.model.quotas.values()].map((q) => q.user)).to.deep.equal(['user@example.test']);
  });

  it('reports a refused master user and Dovecot down, keeping the rows', async () => {
    const bad = await startTestAgent({ settings: { fromStart: true, dovecot: settings('wrong') } });
    agents.push(bad);
    const badInput = () => [...bad.model.inputs.values()].find((i) => i.name === 'dovecot quotas')!;
    await until('the refusal', () => !badInput().ok);
    expect(badInput().reason).to.equal(`IMAP 127.0.0.1:${dc.imapPort}: the master user ${dc.master.user} was refused for all 1 users`);
    expect(bad.model.quotas.size).to.equal(0);

    const good = agents[0]!;
    const input = [...good.model.inputs.values()].find((i) => i.name === 'dovecot quotas')!;
    await dc.halt();
    // a refresh caught mid-way may say "Unexpected close"; the next ones find nothing listening
    await until('Dovecot down', () => !input.ok && input.reason.includes('ECONNREFUSED'));
    expect(input.reason).to.match(new RegExp(`^IMAP 127\\.0\\.0\\.1:${dc.imapPort}: .*ECONNREFUSED`));
    expect(good.model.quotas.size).to.equal(1);
    await dc.restart();
    await until('Dovecot back', () => input.ok);
  });
});
