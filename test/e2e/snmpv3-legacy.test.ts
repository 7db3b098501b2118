// MD5 and DES, refused unless the configuration lists them in allowInsecure: with
// them listed (and DES available: Node's OpenSSL 3 keeps it in the legacy provider),
// the agent serves snmpget -a MD5 -x DES.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, run } from '../helpers/harness.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

describe('e2e: SNMPv3 with MD5 and DES when allowed', function () {
  this.timeout(30000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-v3-legacy-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const config = (insecure: string) => {
    const f = path.join(dir, `madman-${insecure.length}.yaml`);
    writeFileSync(
      f,
      [
        'listen: [udp:127.0.0.1:0]',
        `stateDir: ${path.join(dir, 'state')}`,
        insecure,
        'createUser:',
        '  - old MD5 "old auth pass" DES "old priv pass"',
        'rouser:',
        '  - old priv',
      ].join('\n'),
    );
    return f;
  };

  it('without allowInsecure the agent refuses to start (exit 2)', async () => {
    const r = await run('node', [CLI, 'agent', '--config', config('')]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('createUser[0]: MD5 is refused unless allowInsecure lists MD5');
  });

  it('with allowInsecure [MD5, DES] and the legacy provider, snmpget -a MD5 -x DES gets data', async () => {
    const child = spawn('node', [CLI, 'agent', '--config', config('allowInsecure: [MD5, DES]')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (d: Buffer) => {
          text += d.toString();
          const m = /listening on udp4:127\.0\.0\.1:(\d+)/.exec(text);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', (code) => reject(new Error(`agent exited ${code}`)));
      });
      const args = ['-v3', '-l', 'authPriv', '-u', 'old', '-a', 'MD5', '-A', 'old auth pass', '-x', 'DES', '-X', 'old priv pass', '-t', '5', '-r', '0', '-On'];
      const r = await run('snmpget', [...args, `127.0.0.1:${port}`, '.1.3.6.1.2.1.1.4.0']);
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.equal('.1.3.6.1.2.1.1.4.0 = STRING: "postmaster@localhost"\n');
      const wrong = await run('snmpget', [...args.slice(0, 12), 'not the priv pass', ...args.slice(13), `127.0.0.1:${port}`, '.1.3.6.1.2.1.1.4.0']);
      expect(wrong.stderr).to.contain('Decryption error');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
