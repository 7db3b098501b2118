// `madman stat` and `madman alarms` are run from cron and checks: they load no probe or mail
// client library (imapflow, ldapts, nodemailer, systeminformation), only the SNMP client.
// Run here against a port where no agent listens (exit 3), which goes through the config
// loader, the MIB loader and the SNMP session, as a real reading does.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { ROOT, run } from '../helpers/harness.js';
import { freeUdpPort } from '../helpers/ports.js';

const PACKAGE = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//;

describe('madman stat and alarms: no probe or mail client library loaded', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-stat-imports-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const command of [['stat', 'imapstat'], ['alarms', '--raised']]) {
    it(`madman ${command.join(' ')}`, async () => {
      const port = await freeUdpPort();
      const conf = path.join(dir, `${command[0]}.yml`);
      writeFileSync(conf, `listen: [udp:127.0.0.1:${port}]\nrocommunity: [public 127.0.0.1]\n`);
      const file = path.join(dir, `${command[0]}.imports`);
      const recorder = pathToFileURL(path.join(ROOT, 'dist/test/helpers/import-recorder.js')).href;
      const main = path.join(ROOT, 'dist/src/cli/main.js');
      const r = await run('env', [`MADMAN_IMPORTS=${file}`, process.execPath, '--import', recorder, main, ...command, '--config', conf], 60_000);
      expect([r.code, r.stderr]).to.deep.equal([3, `madman ${command[0]}: no SNMP agent answers at udp:127.0.0.1:${port} (is madman agent running?)\n`]);
      const packages = new Set(readFileSync(file, 'utf8').split('\n').map((u) => PACKAGE.exec(u)?.[1]).filter((p): p is string => p !== undefined));
      // the recorder saw the packages the command does use
      expect(['commander', 'net-snmp'].filter((p) => packages.has(p))).to.deep.equal(['commander', 'net-snmp']);
      for (const heavy of ['imapflow', 'ldapts', 'nodemailer', 'systeminformation', 'prom-client']) expect(packages.has(heavy), heavy).to.equal(false);
    });
  }
});
