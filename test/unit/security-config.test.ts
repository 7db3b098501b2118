// SNMPv3 and VACM configuration in snmpd.conf vocabulary: what a valid file gives,
// and errors naming key and line (exit 2 from the CLI), the secrets file's mode.

import { expect } from 'chai';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, settingsFrom } from '../../src/config/config.js';
import { configFiles } from '../helpers/config-files.js';
import { Level } from '../../src/snmp/usm/usm.js';
import { ROOT, run } from '../helpers/harness.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

describe('security configuration', () => {
  const cf = configFiles('secconf');
  const file = cf.file;
  const error = (text: string): ConfigError => cf.error(file(text));

  it('reads views, communities, users and agentaddress', () => {
    const s = settingsFrom({
      config: file(
        [
          'agentaddress: udp:127.0.0.1:1161',
          'view:',
          '  - mail included MTA-MIB::mta',
          '  - mail excluded mtaGroupErrorTable',
          '  - mail included .1.3.6.1.2.1.27.1.1.2 ffc0',
          'rocommunity:',
          '  - public 10.0.0.0/8 -V mail',
          '  - ops default',
          'rocommunity6:',
          '  - six fd00::/8 .1.3.6.1.2.1.1',
          'createUser:',
          '  - alice SHA-256 "a long pass phrase" AES "another pass phrase"',
          '  - bob SHA512 "bob pass phrase"',
          '  - carol SHA "carol pass" AES',
          'rouser:',
          '  - alice priv -V mail',
          '  - bob',
          '  - carol authPriv',
        ].join('\n'),
      ),
    });
    expect(s.listen).to.deep.equal(['udp:127.0.0.1:1161']);
    expect(s.communities).to.deep.equal([
      { community: 'public', sources: ['10.0.0.0/8'], view: 'mail' },
      { community: 'ops', sources: ['0.0.0.0/0'] },
      { community: 'six', sources: ['fd00::/8'], view: ' subtree 1' },
    ]);
    const sec = s.security!;
    expect([...sec.views.keys()]).to.deep.equal(['mail', ' subtree 1']);
    expect(sec.views.get('mail')!.map((f) => [f.subtree.join('.'), f.included, f.mask?.filter((b) => !b).length ?? 0])).to.deep.equal([
      ['1.3.6.1.2.1.28', true, 0],
      ['1.3.6.1.2.1.28.5', false, 0],
      ['1.3.6.1.2.1.27.1.1.2', true, 0],
    ]);
    expect(sec.users.map((u) => [u.name, u.auth?.protocol.name, u.auth?.pass, u.priv?.protocol.name, u.priv?.pass])).to.deep.equal([
      ['alice', 'SHA-256', 'a long pass phrase', 'AES', 'another pass phrase'],
      ['bob', 'SHA-512', 'bob pass phrase', undefined, undefined],
      // no privacy pass phrase: the authentication one, as in snmpd
      ['carol', 'SHA', 'carol pass', 'AES', 'carol pass'],
    ]);
    expect(sec.rousers).to.deep.equal([
      { user: 'alice', minLevel: Level.authPriv, view: 'mail' },
      { user: 'bob', minLevel: Level.authNoPriv },
      { user: 'carol', minLevel: Level.authPriv },
    ]);
  });

  const cases: Array<[string, string[], string, number, string]> = [
    ['an undefined view', ['view:', '  - v included .1', 'rocommunity:', '  - public default -V nope'], 'rocommunity[0]', 4, 'view "nope" is not defined'],
    ['a bad view type', ['view:', '  - v include .1'], 'view[0]', 2, '"include" is not included or excluded'],
    ['an unknown MIB name', ['view:', '  - v included', '  - v included noSuchThing'], 'view[0]', 2, 'expected "NAME included|excluded SUBTREE [MASK]"'],
    ['an unknown object', ['view:', '  - v included noSuchThing'], 'view[0]', 2, 'no MIB object named noSuchThing'],
    ['a bad mask', ['view:', '  - v included .1.3 zz'], 'view[0]', 2, 'not a mask'],
    ['an IPv6 source for rocommunity', ['rocommunity:', '  - x ::1'], 'rocommunity[0]', 2, 'is not an IPv4 source (use rocommunity6)'],
    ['a rouser without createUser', ['createUser:', '  - a SHA "pass phrase"', 'rouser:', '  - a', '  - b auth'], 'rouser[1]', 5, 'user b is not created'],
    ['priv for a user without privacy', ['createUser:', '  - a SHA "pass phrase"', 'rouser:', '  - a priv'], 'rouser[0]', 4, 'no privacy key'],
    ['MD5 without allowInsecure', ['createUser:', '  - a MD5 "pass phrase"'], 'createUser[0]', 2, 'MD5 is refused unless allowInsecure lists MD5'],
    ['DES without allowInsecure', ['createUser:', '  - a SHA "pass phrase" DES'], 'createUser[0]', 2, 'DES is refused unless allowInsecure lists DES'],
    ['a short pass phrase', ['createUser:', '  - a SHA short'], 'createUser[0]', 2, 'at least 8 characters'],
    ['an unknown protocol', ['createUser:', '  - a SHA-1024 "pass phrase"'], 'createUser[0]', 2, '"SHA-1024" is not an authentication protocol'],
    ['Reeder AES-256', ['createUser:', '  - a SHA "pass phrase" AES256C'], 'createUser[0]', 2, '"AES256C" is not a privacy protocol'],
    ['a user twice', ['createUser:', '  - a SHA "pass phrase"', '  - a SHA "pass phrase"'], 'createUser[1]', 3, 'user a is created twice'],
    ['a bad level', ['createUser:', '  - a SHA "pass phrase"', 'rouser:', '  - a secret'], 'rouser[0]', 4, '"secret" is not noauth, auth or priv'],
  ];
  for (const [what, lines, key, line, message] of cases) {
    it(`refuses ${what}, naming ${key} and line ${line}`, () => {
      const e = error(lines.join('\n'));
      expect([e.key, e.line]).to.deep.equal([key, line]);
      expect(e.message).to.contain(message);
    });
  }

  it('SNMPv3 lines alone end the public default; communities: and no file keep theirs', () => {
    expect(settingsFrom({ config: file(['createUser:', '  - bob SHA-256 "bob auth pass"', 'rouser:', '  - bob auth'].join('\n')) }).communities).to.deep.equal([]);
    expect(settingsFrom({ config: file(['view:', '  - mail included 1.3.6.1.2.1.28'].join('\n')) }).communities).to.deep.equal([]);
    const both = settingsFrom({ config: file(['communities:', '  - name: ops', 'rouser:', '  - bob auth', 'createUser:', '  - bob SHA-256 "bob auth pass"'].join('\n')) });
    expect(both.communities).to.deep.equal([{ community: 'ops', sources: [] }]);
    expect(settingsFrom({ config: file('community: legacy\n') }).communities).to.deep.equal([{ community: 'legacy', sources: [] }]);
    expect(settingsFrom({}).communities).to.deep.equal([{ community: 'public', sources: [] }]);
  });

  it('--community adds a community without a view to the rocommunity lines, which keep theirs', () => {
    const f = file(['view:', '  - mail included 1.3.6.1.2.1.28', 'rocommunity:', '  - ops 10.0.0.0/8 -V mail'].join('\n'));
    expect(settingsFrom({ config: f, community: 'extra' }).communities).to.deep.equal([
      { community: 'ops', sources: ['10.0.0.0/8'], view: 'mail' },
      { community: 'extra', sources: [] },
    ]);
  });

  it('--agentaddress is --listen by its snmpd.conf name', () => {
    expect(settingsFrom({ agentaddress: ['udp:127.0.0.1:1162'], listen: ['udp:127.0.0.1:1161'] }).listen).to.deep.equal(['udp:127.0.0.1:1161', 'udp:127.0.0.1:1162']);
    expect(() => settingsFrom({ agentaddress: ['udp:[::1'] })).to.throw('is not a listen address');
  });

  it('MD5 is accepted when allowInsecure lists it', () => {
    const s = settingsFrom({ config: file(['allowInsecure: [MD5]', 'createUser:', '  - old MD5 "pass phrase"'].join('\n')) });
    expect(s.security!.users[0]!.auth!.protocol.name).to.equal('MD5');
  });

  it('takes createUser lines from a secrets file readable only by its owner', () => {
    const secrets = path.join(cf.dir, 'secrets.conf');
    writeFileSync(secrets, '# pass phrases\ncreateUser alice SHA-256 "alice auth pass" AES "alice priv pass"\n', { mode: 0o600 });
    chmodSync(secrets, 0o600);
    const s = settingsFrom({ config: file(['secrets: secrets.conf', 'rouser:', '  - alice priv'].join('\n')) });
    expect(s.security!.users.map((u) => [u.name, u.priv?.pass])).to.deep.equal([['alice', 'alice priv pass']]);
    writeFileSync(path.join(cf.dir, 'bad-secrets.conf'), 'rouser alice\n', { mode: 0o600 });
    const e = error('secrets: bad-secrets.conf');
    expect([e.line, e.message]).to.deep.equal([1, `${path.join(cf.dir, 'bad-secrets.conf')}:1: createUser: line 1: only createUser, httpUser and httpToken lines belong in the secrets file`]);
  });

  it('refuses a group- or world-readable secrets file: the CLI exits 2 and says why', async () => {
    const secrets = path.join(cf.dir, 'open-secrets.conf');
    writeFileSync(secrets, 'createUser alice SHA-256 "alice auth pass"\n');
    chmodSync(secrets, 0o644);
    const f = file('secrets: open-secrets.conf\n');
    const r = await run('node', [CLI, 'agent', '--check-config', f]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(
      `madman: bad configuration: ${f}:1: secrets: ${secrets} holds pass phrases but is readable or writable by others than its owner (mode 644): chmod 600 it\n`,
    );
    chmodSync(secrets, 0o640);
    expect((await run('node', [CLI, 'agent', '--check-config', f])).code).to.equal(2);
    chmodSync(secrets, 0o600);
    const ok = await run('node', [CLI, 'agent', '--check-config', f]);
    expect([ok.code, ok.stdout]).to.deep.equal([0, `${f}: OK\n`]);
  });
});
