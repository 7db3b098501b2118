// The source kit: a source registered from test code (test/helpers/tiny-source.ts, one
// module) is known to the config loader (its section checked, errors naming key and line,
// paths resolved against the file's directory), to `madman agent` (its flags, given by
// `node --import` of that module before the CLI), to the agent (started and stopped, its
// log followed by the kit's LogSource into the model served over SNMP) and to `madman
// counters` (its rows). Without the module, the same flag is refused.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { settingsFrom } from '../../src/config/config.js';
import { sourceNames } from '../../src/sources/registry.js';
import { configFiles } from '../helpers/config-files.js';
import { MIB_OPTS, ROOT, run, snmp } from '../helpers/harness.js';
import { freeUdpPort } from '../helpers/ports.js';
import '../helpers/tiny-source.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const TINY = pathToFileURL(path.join(ROOT, 'dist/test/helpers/tiny-source.js')).href;

describe('source kit: a source registered from a test file', function () {
  this.timeout(60_000);

  describe('its config section', () => {
    const cf = configFiles('kit');

    it('is registered after the built-in sources', () => {
      expect(sourceNames().slice(0, 6)).to.deep.equal(['demo', 'postfix', 'probes', 'sun-mta', 'disks', 'dovecot']);
      expect(sourceNames().at(-1)).to.equal('tiny');
    });

    it('is checked with the rest of the file: its schema, its cross-key check and unknown keys name the key and line', () => {
      const pattern = cf.file(['listen: [udp:127.0.0.1:1161]', 'tiny:', '  log: t.log', '  group: Bad1']);
      expect(cf.error(pattern).message).to.equal(`${pattern}:4: tiny.group: must match pattern "^[a-z]+$"`);
      const cross = cf.file(['tiny:', '  group: in']);
      expect(cf.error(cross).message).to.equal(`${cross}:2: tiny.group: needs tiny.log`);
      const unknown = cf.file(['tiny:', '  log: t.log', '  lag: 3']);
      expect(cf.error(unknown).message).to.equal(`${unknown}:3: tiny.lag: unknown key`);
    });

    it('becomes settings: paths from the file against its directory, from flags against the working directory', () => {
      const f = cf.file(['tiny:', '  log: logs/t.log', '  group: out']);
      expect(settingsFrom({ config: f }).tiny).to.deep.equal({ log: path.join(cf.dir, 'logs/t.log'), events: undefined, group: 'out' });
      expect(settingsFrom({ tinyLog: 'rel.log' }).tiny).to.deep.equal({ log: path.resolve('rel.log'), events: undefined, group: 'in' });
      expect(settingsFrom({}).tiny).to.equal(undefined);
    });
  });

  describe('madman agent and madman counters', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'madman-kit-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses --tiny-log without the module', async () => {
      const r = await run('node', [CLI, 'agent', '--tiny-log', 'x.log']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain("unknown option '--tiny-log'");
    });

    it('lists the flags, starts the source, serves what it read, stops it, and prints its counters rows', async () => {
      const help = await run('node', ['--import', TINY, CLI, 'agent', '--help']);
      expect(help.stdout).to.match(/--tiny-log <path> +follow this tiny log\n/);

      const log = path.join(dir, 'tiny.log');
      const events = path.join(dir, 'events');
      const state = path.join(dir, 'state');
      writeFileSync(log, 'MAIL 1000 2\nnot a tiny line\nMAIL 3000 1\n');
      const port = await freeUdpPort();
      const child = spawn('node', ['--import', TINY, CLI, 'agent', '--tiny-log', log, '--tiny-events', events, '--from-start', '--listen', `udp:127.0.0.1:${port}`, '--state-dir', state], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        await new Promise<void>((resolve, reject) => {
          let text = '';
          child.stdout.on('data', (d: Buffer) => {
            text += d.toString();
            if (text.includes('\nTry: ')) resolve();
          });
          void exited.then((code) => reject(new Error(`agent exited ${code}: ${stderr}`)));
        });
        expect(readFileSync(events, 'utf8')).to.equal('start\n');
        // the kit counted the three lines, one not understood, and the model has the two messages
        const target = `127.0.0.1:${port}`;
        const oids = ['MADMAN-MIB::madmanSourceName.1', 'MADMAN-MIB::madmanSourceLines.1', 'MADMAN-MIB::madmanSourceUnparsedLines.1', 'MTA-MIB::mtaReceivedMessages.1', 'MTA-MIB::mtaReceivedRecipients.1', 'MTA-MIB::mtaGroupReceivedVolume.1.1'];
        let got = '';
        for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
          got = (await snmp('snmpget', [...MIB_OPTS, '-Oqv', target, ...oids])).stdout;
          if (got.startsWith('tiny log\n3\n')) break;
        }
        // 4000 octets are 4 K-octets (mtaGroupReceivedVolume)
        expect(got).to.equal('tiny log\n3\n1\n2\n3\n4 K-octets\n');
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited, stderr).to.equal(0);
      expect(readFileSync(events, 'utf8')).to.equal('start\nstop\n');

      const shown = await run('node', ['--import', TINY, CLI, 'counters', 'show', '--state-dir', state, '--json']);
      expect(shown.code, shown.stderr).to.equal(0);
      const rows = JSON.parse(shown.stdout) as Array<{ application: string; channel: string; source: string; counters: Record<string, unknown> }>;
      expect(rows.map((r) => [r.application, r.channel, r.source])).to.deep.equal([['tiny MTA', 'in', 'tiny']]);
      expect(rows[0]!.counters.received).to.deep.equal({ messages: 2, recipients: 3, blocks: 4 });
      const text = await run('node', ['--import', TINY, CLI, 'counters', 'show', '--state-dir', state]);
      expect(text.stdout).to.contain('tiny MTA (tiny): counters');
      expect(text.stdout).to.contain('   Received                     2          3          4\n');
    });
  });
});
