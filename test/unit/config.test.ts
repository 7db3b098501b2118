// Config files: YAML checked against the schema, errors naming the key and line.

import { expect } from 'chai';
import path from 'node:path';
import { alarmDefaults } from '../../src/config/alarms.js';
import { ConfigError, defaults, readConfigFile, settingsFrom } from '../../src/config/config.js';
import { configFiles } from '../helpers/config-files.js';

describe('config files', () => {
  const cf = configFiles('config');
  const file = cf.file;
  const configError = (f: string): ConfigError => cf.error(f, readConfigFile);

  it('reads a valid file into settings', () => {
    const f = file(
      [
        '# madman',
        'listen:',
        '  - udp:127.0.0.1:1161',
        '  - udp6:[::1]:1161',
        'communities:',
        '  - name: public',
        '    source: [127.0.0.0/8, "::1/128"]',
        '  - name: ops',
        'stateDir: state',
        'demo: true',
        'maxMessageSize: 1472',
        'logLevel: info',
        'system:',
        '  contact: ops@example.org',
        'maxGetbulkResponses: 50',
        'serverRecvBuf: 1048576',
        '',
      ].join('\n'),
    );
    const s = settingsFrom({ config: f });
    expect(s).to.deep.equal({
      listen: ['udp:127.0.0.1:1161', 'udp6:[::1]:1161'],
      communities: [
        { community: 'public', sources: ['127.0.0.0/8', '::1/128'] },
        { community: 'ops', sources: [] },
      ],
      stateDir: path.join(cf.dir, 'state'),
      demo: true,
      fromStart: false,
      maxMessageSize: 1472,
      logLevel: 'info',
      system: { contact: 'ops@example.org', location: 'unknown' },
      ...alarmDefaults(),
      limits: { bulk: { maxGetbulkRepeats: -1, maxGetbulkResponses: 50 }, serverRecvBuf: 1048576 },
    });
  });

  it('takes a single community, and flags over the file', () => {
    const f = file('community: secret\nlisten: ["udp:0.0.0.0:161"]\nstateDir: /var/tmp/m\n');
    const s = settingsFrom({ config: f });
    expect(s.communities).to.deep.equal([{ community: 'secret', sources: [] }]);
    expect(s.stateDir).to.equal('/var/tmp/m');
    const o = settingsFrom({ config: f, listen: ['udp:127.0.0.1:2000'], community: 'c2', demo: true, verbose: 2 });
    expect(o.listen).to.deep.equal(['udp:127.0.0.1:2000']);
    expect(o.communities).to.deep.equal([{ community: 'secret', sources: [] }, { community: 'c2', sources: [] }]);
    expect(settingsFrom({ community: 'c3' }).communities).to.deep.equal([{ community: 'c3', sources: [] }]);
    expect([o.demo, o.logLevel]).to.deep.equal([true, 'debug']);
    expect(() => settingsFrom({ listen: ['tcp:127.0.0.1:161'] })).to.throw(/not a listen address/);
  });

  it('accepts an empty file as the defaults', () => {
    expect(readConfigFile(file(''))).to.deep.equal({});
    expect(settingsFrom({ config: file('') })).to.deep.equal(defaults());
  });

  it('names an unknown key and its line', () => {
    const f = file('listen:\n  - udp:127.0.0.1:1161\ncommunty: x\n');
    const e = configError(f);
    expect([e.key, e.line, e.file]).to.deep.equal(['communty', 3, f]);
    expect(e.message).to.equal(`${f}:3: communty: unknown key`);
  });

  it('names a nested unknown key with its path', () => {
    const e = configError(file('demo: false\nsystem:\n  contact: a\n  locaton: b\n'));
    expect([e.key, e.line]).to.deep.equal(['system.locaton', 4]);
    const e2 = configError(file('communities:\n  - name: a\n  - name: b\n    sources: [1.2.3.4]\n'));
    expect([e2.key, e2.line]).to.deep.equal(['communities[1].sources', 4]);
  });

  it('names a bad listen address by index and line', () => {
    for (const bad of ['tcp:1.2.3.4:161', 'udp:127.0.0.1:70000', 'udp:1.2.3.4:', 'udp6:[::1]:65536']) {
      const f = file(`demo: true\nlisten:\n  - udp:127.0.0.1:1161\n  - "${bad}"\n`);
      const e = configError(f);
      expect([e.key, e.line], bad).to.deep.equal(['listen[1]', 4]);
      expect(e.message).to.equal(`${f}:4: listen[1]: not a listen address (udp:HOST:PORT or udp6:[HOST]:PORT)`);
    }
  });

  it('names a bad network by its key path and line', () => {
    const text = (net: string) =>
      ['communities:', '  - name: public', '    source: [127.0.0.0/8]', '  - name: ops', '    source:', '      - 10.0.0.0/8', `      - ${net}`, ''].join('\n');
    for (const bad of ['10.0.0.0/33', '10.0.0.256', 'example.org', '10.0.0.0/8/9', '10.0.0.0/', '"::1/129"']) {
      const f = file(text(bad));
      const e = configError(f);
      expect([e.key, e.line], bad).to.deep.equal(['communities[1].source[1]', 7]);
      expect(e.message).to.equal(`${f}:7: communities[1].source[1]: not an IP network (ADDRESS or ADDRESS/PREFIX)`);
    }
    expect(readConfigFile(file(text('10.1.0.0/16'))).communities![1]!.source).to.deep.equal(['10.0.0.0/8', '10.1.0.0/16']);
  });

  it('names wrong types, ranges and enums', () => {
    const mm = configError(file('demo: true\nmaxMessageSize: 100\n'));
    expect([mm.key, mm.line]).to.deep.equal(['maxMessageSize', 2]);
    expect(mm.message).to.match(/maxMessageSize: must be >= 484$/);
    const ll = configError(file('logLevel: loud\n'));
    expect([ll.key, ll.line]).to.deep.equal(['logLevel', 1]);
    expect(ll.message).to.match(/must be one of fatal, error, warn, info, debug, trace, silent$/);
    const d = configError(file('\n\ndemo: "yes"\n'));
    expect([d.key, d.line]).to.deep.equal(['demo', 3]);
    const req = configError(file('communities:\n  - source: [1.2.3.4]\n'));
    expect([req.key, req.line]).to.deep.equal(['communities[0]', 2]);
    expect(req.message).to.match(/must have required property 'name'$/);
  });

  it('reports invalid YAML with its line', () => {
    const f = file('listen:\n  - a\n b: [\n');
    const e = configError(f);
    expect([e.key, e.line]).to.deep.equal(['', 3]);
    expect(e.message).to.match(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: not valid YAML: `));
    const dup = configError(file('demo: true\ndemo: false\n'));
    expect(dup.line).to.equal(2);
    expect(dup.message).to.match(/not valid YAML: Map keys must be unique/);
  });

  it('reports a missing file without a line', () => {
    const e = configError(path.join(cf.dir, 'nope.yaml'));
    expect([e.key, e.line]).to.deep.equal(['', undefined]);
    expect(e.message).to.match(/nope\.yaml: cannot read: /);
  });

  it('rejects a document that is not a map', () => {
    const e = configError(file('- a\n- b\n'));
    expect(e.line).to.equal(1);
    expect(e.message).to.match(/must be object$/);
  });
});
