// Quotas read over IMAP (GETQUOTAROOT as a Dovecot master user) from a real Dovecot: users from
// the configuration and from the log's logins, exact figures, a user that vanishes, a refused
// master user and Dovecot down reported in madmanSourceTable.

import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { dovecotDefaults, type DovecotSettings } from '../../src/sources/dovecot/config.js';
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
    // the agent's own master logins are not user activity: after two more refreshes (2 users
    // each) the log still shows one login (the test's own) and no refusal
    const imapStats = agent.model.services.get(1)!;
    await until("the test's login line", () => imapStats.numGoodLogins === 1);
    const read = input.lines;
    await until('two more refreshes', () => input.lines >= read + 4);
    expect([imapStats.numGoodLogins, imapStats.numFailedConnections, imapStats.numConnections]).to.deep.equal([1, 0, 1]);

    await dc.removeUser('other@example.test');
    await until('the vanished user', () => !row('other@example.test'));
    expect(input.ok).to.equal(true);
    expect([...agent.model.quotas.values()].map((q) => q.user)).to.deep.equal(['user@example.test']);
    // Dovecot logs "Internal login failure" for the vanished user's master login: not counted
    const after = input.lines;
    await until('two more refreshes', () => input.lines >= after + 2);
    expect([imapStats.numGoodLogins, imapStats.numFailedConnections, imapStats.numConnections]).to.deep.equal([1, 0, 1]);
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

  it('a user seen logging in that vanishes: its row goes and it is asked no more, also when it was the only user', async () => {
    // the other agents' master logins would show as user@example.test's own here
    for (const a of agents.splice(0)) await a.stop();
    const s = settings(dc.master.password);
    await dc.addUser({ user: 'gone@example.test', password: 'pw' });
    // from the log's end: the earlier tests' users are not seen, gone@ is the only user
    const agent = await startTestAgent({ settings: { dovecot: { ...s, imap: { ...s.imap!, users: [] } } } });
    agents.push(agent);
    const c = new ImapFlow({ host: '127.0.0.1', port: dc.imapPort, secure: false, doSTARTTLS: false, auth: { user: 'gone@example.test', pass: 'pw' }, logger: false });
    await c.connect();
    await c.logout();
    const input = [...agent.model.inputs.values()].find((i) => i.name === 'dovecot quotas')!;
    const row = () => [...agent.model.quotas.values()].find((q) => q.user === 'gone@example.test');
    await until('its row', () => !!row());
    await dc.removeUser('gone@example.test');
    await until('the row gone', () => !row());
    expect([input.ok, input.reason]).to.deep.equal([true, '']);
    expect([...agent.model.quotas.values()].map((q) => q.user)).to.deep.equal([]);
    // dropped from the user list: a second's worth of refreshes (every 0.3 s) tries it no more
    await new Promise((r) => setTimeout(r, 1000));
    const failures = readFileSync(dc.logPath, 'utf8').split('\n').filter((l) => l.includes('Internal login failure') && l.includes('user=<gone@example.test>'));
    expect(failures).to.have.length(1);
  });
});
