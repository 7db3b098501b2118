// A real Dovecot (test/helpers/dovecot-server.ts) and the agent reading its log and doveadm:
// good and failed logins, concurrent sessions and a quota filled by appending messages, as
// the real snmpget and snmptable show them (madmanServiceTable, applTable, madmanQuotaTable).

import { readFileSync } from 'node:fs';
import net from 'node:net';
import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { MIB_OPTS, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot-server.js';
import { dovecotDefaults } from '../../src/sources/dovecot/config.js';

function imap(dc: DovecotServer, user: string, pass: string): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port: dc.imapPort, secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false });
}

/** USER/PASS/QUIT over POP3; resolves with the reply to PASS. */
function pop3Login(port: number, user: string, pass: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding('utf8');
    const send = [`USER ${user}`, `PASS ${pass}`, 'QUIT'];
    const replies: string[] = [];
    let buf = '';
    s.on('error', reject);
    s.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        replies.push(buf.slice(0, i));
        buf = buf.slice(i + 2);
        const next = send.shift();
        if (next) s.write(`${next}\r\n`);
      }
    });
    s.on('close', () => resolve(replies[2] ?? ''));
  });
}

async function until(what: string, f: () => Promise<boolean> | boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** snmpget -Oqv of MADMAN-MIB/NETWORK-SERVICES-MIB names. */
async function get(agent: TestAgent, ...names: string[]): Promise<string[]> {
  const r = await snmp('snmpget', [...MIB_OPTS, '-Oqv', agent.target, ...names]);
  expect(r.code, r.stderr).to.equal(0);
  return r.stdout.trim().split('\n');
}

/** snmptable -Cf '|' -CH (no headers) rows, split into cells. */
async function tableRows(agent: TestAgent, name: string): Promise<string[][]> {
  const r = await snmp('snmptable', [...MIB_OPTS, '-Cf', '|', '-CH', '-Ci', agent.target, name]);
  expect(r.code, r.stderr).to.equal(0);
  // snmptable prints each cell as "TYPE: value"
  return r.stdout.split('\n').filter((l) => l.includes('|')).map((l) => l.split('|').map((c) => c.replace(/^[A-Za-z0-9-]+: /, '')));
}

describe('e2e: Dovecot service statistics and quotas over SNMP', function () {
  this.timeout(60000);
  let dc: DovecotServer;
  let agent: TestAgent;

  before(async () => {
    dc = await startDovecot({ storageKB: 100, messages: 10 });
    agent = await startTestAgent({
      settings: {
        fromStart: true,
        dovecot: { ...dovecotDefaults(), log: dc.logPath, config: dc.conf, doveadm: '/usr/bin/doveadm', quotaInterval: 0.3, whoInterval: 0 },
      },
    });
  });
  after(async () => {
    await agent?.stop();
    await dc?.stop();
  });

  it('counts good and failed logins and concurrent sessions of IMAP and POP3', async () => {
    const model = agent.model;
    const a = imap(dc, 'user@example.test', 'secret');
    const b = imap(dc, 'other@example.test', 'secret2');
    await a.connect();
    await b.connect();
    const bad = imap(dc, 'user@example.test', 'wrong');
    await bad.connect().catch(() => undefined);
    bad.close();
    expect(await pop3Login(dc.pop3Port, 'other@example.test', 'secret2')).to.match(/^\+OK Logged in/);
    expect(await pop3Login(dc.pop3Port, 'other@example.test', 'nope')).to.match(/^-ERR/);
    const imapStats = () => model.services.get(1)!;
    const popStats = () => model.services.get(2)!;
    await until('the log lines', () => imapStats().numGoodLogins === 2 && imapStats().numFailedLogins === 1 && popStats().numFailedConnections === 1 && popStats().numCurrentConnections === 0 && popStats().numGoodLogins === 1);

    // snmpget: imap is row 1, pop3 row 2
    expect(await get(agent,
      'MADMAN-MIB::madmanServiceName.1', 'MADMAN-MIB::madmanServiceNumGoodLogins.1', 'MADMAN-MIB::madmanServiceNumFailedLogins.1',
      'MADMAN-MIB::madmanServiceNumFailedConnections.1', 'MADMAN-MIB::madmanServiceNumConnections.1',
      'MADMAN-MIB::madmanServiceNumCurrentConnections.1', 'MADMAN-MIB::madmanServiceMaxConnections.1',
    )).to.deep.equal(['dovecot imap', '2', '1', '1', '3', '2', '2']);
    expect(await get(agent,
      'MADMAN-MIB::madmanServiceName.2', 'MADMAN-MIB::madmanServiceNumGoodLogins.2', 'MADMAN-MIB::madmanServiceNumFailedLogins.2',
      'MADMAN-MIB::madmanServiceNumConnections.2', 'MADMAN-MIB::madmanServiceNumCurrentConnections.2', 'MADMAN-MIB::madmanServiceMaxConnections.2',
    )).to.deep.equal(['dovecot pop3', '1', '1', '2', '0', '1']);

    // the applTable rows of the services carry the same figures
    const imapAppl = imapStats().application!;
    expect(await get(agent,
      `NETWORK-SERVICES-MIB::applName.${imapAppl}`, `NETWORK-SERVICES-MIB::applInboundAssociations.${imapAppl}`,
      `NETWORK-SERVICES-MIB::applAccumulatedInboundAssociations.${imapAppl}`, `NETWORK-SERVICES-MIB::applRejectedInboundAssociations.${imapAppl}`,
      `NETWORK-SERVICES-MIB::applVersion.${imapAppl}`,
    )).to.deep.equal(['dovecot imap', '2', '3', '1', '2.3.19.1']);
    expect(await get(agent, 'MADMAN-MIB::madmanServiceApplIndex.1')).to.deep.equal([String(imapAppl)]);

    await a.logout();
    await b.logout();
    await until('the session ends', () => imapStats().numCurrentConnections === 0);
    const rows = await tableRows(agent, 'MADMAN-MIB::madmanServiceTable');
    // index|name|applIndex|start|last|max|conns|current|failedConns|failedLogins|goodLogins
    const imapRow = rows.find((r) => r[1] === 'dovecot imap')!;
    expect([imapRow[0], ...imapRow.slice(5)]).to.deep.equal(['1', '2', '3', '0', '1', '1', '2']);
    // currentStartTime: the master's "starting up" line (local time), as DateAndTime in UTC
    const started = /^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) master: Info: Dovecot v\S+ .*starting up/m.exec(readFileSync(dc.logPath, 'utf8'))!;
    const months = 'JanFebMarAprMayJunJulAugSepOctNovDec';
    const t = new Date(new Date().getFullYear(), months.indexOf(started[1]!) / 3, Number(started[2]), Number(started[3]), Number(started[4]), Number(started[5]));
    expect(imapRow[3]).to.equal(`${t.getUTCFullYear()}-${t.getUTCMonth() + 1}-${t.getUTCDate()},${t.getUTCHours()}:${t.getUTCMinutes()}:${t.getUTCSeconds()}.0,+0:0`);
  });

  it('reads quotas filled by appending messages, and drops users that vanish', async () => {
    const c = imap(dc, 'user@example.test', 'secret');
    await c.connect();
    const body = `Subject: fill\r\n\r\n${'x'.repeat(30 * 1024)}\r\n`;
    await c.append('INBOX', body);
    await c.append('INBOX', body);
    await c.append('INBOX', body);
    await c.logout();
    const q = () => [...agent.model.quotas.values()].find((r) => r.user === 'user@example.test');
    await until('the quota refresh', () => q()?.messages === 3);
    // doveadm's own figure is the reference (maildir++ counts the file sizes)
    const d = await dc.doveadm(['-f', 'tab', 'quota', 'get', '-u', 'user@example.test']);
    const used = Number(/STORAGE\t(\d+)\t/.exec(d.stdout)![1]);
    expect(used).to.be.within(90, 93);
    const idx = q()!.index;
    expect(await get(agent,
      `MADMAN-MIB::madmanQuotaUser.${idx}`, `MADMAN-MIB::madmanQuotaStorageUsed.${idx}`, `MADMAN-MIB::madmanQuotaStorageLimit.${idx}`,
      `MADMAN-MIB::madmanQuotaStoragePercent.${idx}`, `MADMAN-MIB::madmanQuotaMessages.${idx}`, `MADMAN-MIB::madmanQuotaMessageLimit.${idx}`,
      `MADMAN-MIB::madmanQuotaMessagePercent.${idx}`, `MADMAN-MIB::madmanQuotaStatus.${idx}`,
    )).to.deep.equal(['user@example.test', `${used} kilobytes`, '100 kilobytes', `${used} percent`, '3', '10', '30 percent', 'over']);

    let rows = await tableRows(agent, 'MADMAN-MIB::madmanQuotaTable');
    expect(rows.map((r) => r.slice(1)).sort()).to.deep.equal([
      ['other@example.test', '0 kilobytes', '100 kilobytes', '0 percent', '0', '10', '0 percent', 'ok'],
      ['user@example.test', `${used} kilobytes`, '100 kilobytes', `${used} percent`, '3', '10', '30 percent', 'over'],
    ]);

    await dc.removeUser('other@example.test');
    await until('the user vanishes', () => agent.model.quotas.size === 1);
    rows = await tableRows(agent, 'MADMAN-MIB::madmanQuotaTable');
    expect(rows.map((r) => r[1])).to.deep.equal(['user@example.test']);
  });
});
