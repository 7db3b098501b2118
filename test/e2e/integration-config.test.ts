// One configuration file with every section the four features added (probes, alarms,
// notify, SNMPv3 security lines, sunMta) and postfix: it loads, and `madman agent
// --check-config` (the real CLI) names the key and line of one bad entry in each section,
// with exit 2, whatever the other sections hold.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { settingsFrom } from '../../src/config/config.js';
import { run } from '../helpers/harness.js';
import { MAIN } from './integration-support.js';

const BASE = [
  'listen: [udp:127.0.0.1:1161]',
  'stateDir: state',
  'postfix:',
  '  log: /var/log/mail.log',
  '  queue: postqueue -j',
  '  queueInterval: 30',
  'sunMta:',
  '  log: mail.log_current',
  '  application: sun MTA on mail1',
  'probes:',
  '  - name: mx',
  '    protocol: smtp',
  '    host: 127.0.0.1',
  '    warning: 2',
  '    critical: 5',
  '  - name: store',
  '    protocol: imap',
  '    host: 127.0.0.1',
  'disks: [/var/mail]',
  'alarms:',
  '  queuesize: { threshold: 1, statInterval: 30 }',
  '  serverresponse:',
  '    threshold: 5',
  'notify:',
  '  trap2sink: ["127.0.0.1:1162 public"]',
  '  trapsess:',
  '    - "-v 3 -u ops -l authPriv -a SHA-256 -A authpass1 -x AES -X privpass1 -Ci 127.0.0.1:1163"',
  'view:',
  '  - noprobes included .1',
  '  - noprobes excluded MADMAN-MIB::madmanProbes',
  'rocommunity:',
  '  - public 127.0.0.1',
  'createUser:',
  '  - nms SHA-256 "nms auth pass" AES "nms priv pass"',
  'rouser:',
  '  - nms priv -V noprobes',
];

/** BASE with line `after` (its text) followed by `insert`; or with line `replace` replaced. */
function edit(e: { after?: string; replace?: string; with: string }): { lines: string[]; line: number } {
  const lines = [...BASE];
  const at = lines.indexOf((e.after ?? e.replace)!);
  expect(at, `no line ${e.after ?? e.replace}`).to.be.at.least(0);
  if (e.after !== undefined) lines.splice(at + 1, 0, e.with);
  else lines[at] = e.with;
  return { lines, line: at + (e.after !== undefined ? 2 : 1) };
}

describe('integration: a config file with every section, and --check-config', function () {
  this.timeout(30000);
  let dir: string;
  let n = 0;
  const write = (lines: string[]) => {
    const f = path.join(dir, `madman-${++n}.yml`);
    writeFileSync(f, `${lines.join('\n')}\n`);
    return f;
  };
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-int-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads: every section reaches the settings', async () => {
    const f = write(BASE);
    const s = settingsFrom({ config: f });
    expect(s.postfix).to.deep.equal({ log: '/var/log/mail.log', journal: undefined, queue: 'postqueue -j', queueInterval: 30, contentFilterServices: [] });
    expect(s.sunMta).to.deep.equal({ log: path.join(dir, 'mail.log_current'), application: 'sun MTA on mail1' });
    expect(s.probes!.map((p) => `${p.name} ${p.protocol} ${p.host}:${p.port}`)).to.deep.equal(['mx smtp 127.0.0.1:25', 'store imap 127.0.0.1:143']);
    const rule = (name: string) => s.alarms.rules.find((r) => r.name === name)!;
    expect([rule('queuesize').threshold, rule('queuesize').clearThreshold, rule('queuesize').statInterval]).to.deep.equal([1, 1, 30]);
    expect([rule('serverresponse').threshold, rule('serverresponse').clearThreshold]).to.deep.equal([5, 3]);
    expect(s.disks?.paths).to.deep.equal(['/var/mail']);
    expect(s.notify.sinks.map((k) => `${k.kind} ${k.host}:${k.port} ${k.inform}`)).to.deep.equal(['trap2sink 127.0.0.1:1162 false', 'trapsess 127.0.0.1:1163 true']);
    expect(s.communities.map((c) => c.community)).to.deep.equal(['public']);
    expect(s.security).to.not.equal(undefined);
    const r = await run('node', [MAIN, 'agent', '--check-config', f]);
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([0, `${f}: OK\n`, '']);
  });

  const cases: Array<{ section: string; edit: { after?: string; replace?: string; with: string }; key: string; message: string }> = [
    { section: 'postfix', edit: { after: '  queueInterval: 30', with: '  queueIntervall: 5' }, key: 'postfix.queueIntervall', message: 'unknown key' },
    { section: 'sunMta', edit: { after: '  application: sun MTA on mail1', with: '  logFile: x' }, key: 'sunMta.logFile', message: 'unknown key' },
    { section: 'probes', edit: { after: '    critical: 5', with: '    retries: 3' }, key: 'probes[0].retries', message: 'unknown key' },
    { section: 'alarms', edit: { after: '    threshold: 5', with: '    treshold: 4000' }, key: 'alarms.serverresponse.treshold', message: 'unknown key' },
    { section: 'alarms (name)', edit: { after: '    threshold: 5', with: '  queuelength: { threshold: 5 }' }, key: 'alarms.queuelength', message: 'unknown alarm (known: diskavail, serverresponse, queuesize, queueage, failedlogins, rejects, quota, servicedown)' },
    { section: 'notify', edit: { after: '  trap2sink: ["127.0.0.1:1162 public"]', with: '  trapsinks: ["127.0.0.1"]' }, key: 'notify.trapsinks', message: 'unknown key' },
    { section: 'security (view)', edit: { replace: '  - noprobes excluded MADMAN-MIB::madmanProbes', with: '  - noprobes exclude MADMAN-MIB::madmanProbes' }, key: 'view[1]', message: '"exclude" is not included or excluded' },
    { section: 'security (rouser)', edit: { replace: '  - nms priv -V noprobes', with: '  - nms priv -V probes' }, key: 'rouser[0]', message: 'view "probes" is not defined (add a view line)' },
  ];
  for (const c of cases) {
    it(`--check-config: a bad key in ${c.section} exits 2 naming key and line`, async () => {
      const { lines, line: at } = edit(c.edit);
      const f = write(lines);
      const r = await run('node', [MAIN, 'agent', '--check-config', f]);
      expect([r.code, r.stdout, r.stderr]).to.deep.equal([2, '', `madman: bad configuration: ${f}:${at}: ${c.key}: ${c.message}\n`]);
    });
  }
});
