// The agentx setting: from the file or --agentx, checked; with it, UDP only when asked for.

import { expect } from 'chai';
import { ConfigError, settingsFrom } from '../../src/config/config.js';
import { configFiles } from '../helpers/config-files.js';
import { parseMasterAddress } from '../../src/snmp/agentx/session.js';

describe('unit: agentx settings', () => {
  const cf = configFiles('agentx-config');
  const file = cf.file;

  it('parses unix:PATH, a bare path and tcp:HOST:PORT; refuses the rest', () => {
    expect(parseMasterAddress('unix:/run/agentx/master')).to.deep.equal({ kind: 'unix', path: '/run/agentx/master' });
    expect(parseMasterAddress('/var/agentx/master')).to.deep.equal({ kind: 'unix', path: '/var/agentx/master' });
    expect(parseMasterAddress('tcp:127.0.0.1:705')).to.deep.equal({ kind: 'tcp', host: '127.0.0.1', port: 705 });
    expect(parseMasterAddress('tcp:[::1]:705')).to.deep.equal({ kind: 'tcp', host: '::1', port: 705 });
    for (const bad of ['udp:127.0.0.1:705', 'tcp:host', 'tcp:host:0', 'tcp:host:70000', 'unix:', 'master']) {
      expect(() => parseMasterAddress(bad), bad).to.throw(/not an AgentX master address/);
    }
  });

  it('--agentx alone: the default socket and no UDP listener', () => {
    const s = settingsFrom({ agentx: true });
    expect(s.agentx).to.equal('/var/agentx/master');
    expect(s.listen).to.deep.equal([]);
  });

  it('--agentx keeps agentaddress, from the file or the command line, as it keeps listen', () => {
    expect(settingsFrom({ agentx: 'tcp:127.0.0.1:705', agentaddress: ['udp:127.0.0.1:1163'] }).listen).to.deep.equal(['udp:127.0.0.1:1163']);
    expect(settingsFrom({ config: file('agentx: unix:/tmp/m\nagentaddress: udp:127.0.0.1:1164\n') }).listen).to.deep.equal(['udp:127.0.0.1:1164']);
  });

  it('--agentx with --listen, or a file listing listen addresses, keeps them', () => {
    expect(settingsFrom({ agentx: 'tcp:127.0.0.1:705', listen: ['udp:127.0.0.1:1161'] }).listen).to.deep.equal(['udp:127.0.0.1:1161']);
    const f = file('agentx: unix:/tmp/m\nlisten:\n  - udp:127.0.0.1:1162\n');
    const s = settingsFrom({ config: f });
    expect(s.agentx).to.equal('unix:/tmp/m');
    expect(s.listen).to.deep.equal(['udp:127.0.0.1:1162']);
    expect(settingsFrom({ config: file('agentx: unix:/tmp/m\n') }).listen).to.deep.equal([]);
  });

  it('the flag wins over the file; without either, nothing changes', () => {
    expect(settingsFrom({ config: file('agentx: unix:/tmp/m\n'), agentx: 'unix:/tmp/other' }).agentx).to.equal('unix:/tmp/other');
    // a bare --agentx (as madman-agentx.service gives) takes the file's address
    expect(settingsFrom({ config: file('agentx: unix:/tmp/m\n'), agentx: true }).agentx).to.equal('unix:/tmp/m');
    const s = settingsFrom({});
    expect(s).to.not.have.property('agentx');
    expect(s.listen).to.deep.equal(['udp:127.0.0.1:1161']);
  });

  it('a bad address in the file names the key and line', () => {
    const f = file('demo: true\nagentx: udp:127.0.0.1:705\n');
    expect(() => settingsFrom({ config: f })).to.throw(ConfigError, `${f}:2: agentx: not an AgentX master address (unix:PATH or tcp:HOST:PORT)`);
    expect(() => settingsFrom({ agentx: 'nowhere' })).to.throw(/not an AgentX master address/);
  });
});
