// The `madman agent` command line: configuration errors exit 2 naming the key
// and line, --check-config, and the demo agent answering real snmpget.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, run, snmp } from '../helpers/harness.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-cli-'));

function config(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('madman agent --check-config', () => {
  it('accepts a valid file', async () => {
    const f = config('good.yaml', 'listen:\n  - udp:127.0.0.1:1161\n  - udp6:[::1]:1161\ncommunities:\n  - name: public\n    source: [127.0.0.0/8, "::1"]\nstateDir: state\n');
    const r = await run('node', [CLI, 'agent', '--check-config', f]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal(`${f}: OK\n`);
  });

  it('exits 2 naming an unknown key and its line', async () => {
    const f = config('unknown.yaml', 'listen:\n  - udp:127.0.0.1:1161\nsystem:\n  contact: me\n  locaton: lab\n');
    const r = await run('node', [CLI, 'agent', '--check-config', f]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(`madman: bad configuration: ${f}:5: system.locaton: unknown key\n`);
  });

  it('exits 2 naming a bad network inside a list, with its line', async () => {
    const f = config('net.yaml', 'communities:\n  - name: public\n    source:\n      - 127.0.0.0/8\n      - 300.1.2.3/8\n');
    const r = await run('node', [CLI, 'agent', '--check-config', f]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${f}:5: communities[0].source[1]: not an IP network`);
  });

  it('exits 2 on a wrong type, naming key and line', async () => {
    const f = config('type.yaml', 'demo: yes please\nmaxMessageSize: 100\n');
    const r = await run('node', [CLI, 'agent', '--check-config', f]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${f}:1: demo: must be boolean`);
  });

  it('exits 2 on YAML that does not parse, with the line', async () => {
    const f = config('broken.yaml', 'listen:\n  - udp:127.0.0.1:1161\n stateDir: [\n');
    const r = await run('node', [CLI, 'agent', '--check-config', f]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(new RegExp(`^madman: bad configuration: ${f.replace(/[.]/g, '\\.')}:3: not valid YAML`));
  });

  it('exits 2 on a postfix queue without a log, and on an empty community list', async () => {
    const q = config('queue.yaml', 'postfix:\n  queueInterval: 30\n  queue: /etc/postfix\n');
    const r = await run('node', [CLI, 'agent', '--check-config', q]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(`madman: bad configuration: ${q}:3: postfix.queue: needs postfix.log or postfix.journal\n`);
    const c = config('nocommunity.yaml', 'communities: []\n');
    const r2 = await run('node', [CLI, 'agent', '--check-config', c]);
    expect(r2.code).to.equal(2);
    expect(r2.stderr).to.contain(`${c}:1: communities: must NOT have fewer than 1 items`);
    const r3 = await run('node', [CLI, 'agent', '--postfix-queue', '/etc/postfix']);
    expect(r3.code).to.equal(2);
    expect(r3.stderr).to.contain('--postfix-queue needs --postfix-log or --postfix-journal');
  });

  it('exits 2 on a queue interval above a day', async () => {
    const f = config('interval.yaml', 'postfix:\n  log: /var/log/mail.log\n  queueInterval: 2200000\n');
    const r = await run('node', [CLI, 'agent', '--check-config', f]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${f}:3: postfix.queueInterval: must be <= 86400`);
  });

  it('a bad config given to the agent itself also exits 2 before listening', async () => {
    const f = config('bad-listen.yaml', 'listen:\n  - tcp:nowhere:99999\n');
    const r = await run('node', [CLI, 'agent', '--config', f]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`${f}:2: listen[0]: not a listen address`);
  });
});

describe('madman agent --demo', function () {
  this.timeout(30000);

  it('prints the snmpwalk line to try, and the demo MTA answers it', async () => {
    const state = mkdtempSync(path.join(os.tmpdir(), 'madman-demo-'));
    const port = 20000 + (process.pid % 20000);
    const child = spawn('node', [CLI, 'agent', '--demo', '--listen', `udp:127.0.0.1:${port}`, '--state-dir', state], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('\nTry: ')) resolve(text);
        });
        child.on('exit', (code) => reject(new Error(`agent exited ${code}`)));
      });
      expect(out).to.contain(`Try: snmpwalk -v2c -c public 127.0.0.1:${port} 1.3.6.1.2.1.28\n`);
      const r = await snmp('snmpget', ['-On', `127.0.0.1:${port}`, '1.3.6.1.2.1.28.2.1.25.1.1', '1.3.6.1.2.1.28.2.1.24.1.1']);
      expect(r.stdout).to.equal(
        '.1.3.6.1.2.1.28.2.1.25.1.1 = STRING: "smtpd"\n.1.3.6.1.2.1.28.2.1.24.1.1 = OID: .1.3.6.1.2.1.27.4.25\n',
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
