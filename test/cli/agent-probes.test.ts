// `madman agent --config FILE` with a probes: list, as an operator runs it: the YAML reaches
// the probes source, and snmptable shows the services (an HTTP server that answers, a
// closed port) in madmanProbeTable.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MIB_OPTS, ROOT, snmp } from '../helpers/harness.js';
import { freePorts, freeUdpPort } from '../helpers/ports.js';
import { until } from '../helpers/probe-support.js';

describe('madman agent --config with probes', function () {
  this.timeout(30000);
  let dir: string;
  let web: http.Server;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-agent-probes-'));
    web = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  });
  after(async () => {
    web.closeAllConnections();
    await new Promise((r) => web.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the configured services in madmanProbeTable', async () => {
    const [closed] = (await freePorts(1)) as [number];
    const port = await freeUdpPort();
    const conf = path.join(dir, 'madman.yml');
    writeFileSync(
      conf,
      [
        `listen: [udp:127.0.0.1:${port}]`,
        `stateDir: state`,
        'probes:',
        '  - name: webmail',
        '    protocol: http',
        `    url: http://127.0.0.1:${(web.address() as AddressInfo).port}/`,
        '  - name: mx',
        '    protocol: smtp',
        '    host: 127.0.0.1',
        `    port: ${closed}`,
        '    timeout: 2',
        '',
      ].join('\n'),
    );
    const child = spawn('node', [path.join(ROOT, 'dist/src/cli/main.js'), 'agent', '--config', conf], { stdio: 'ignore' });
    try {
      const target = `127.0.0.1:${port}`;
      let table = '';
      await until('both services checked', async () => {
        const r = await snmp('snmptable', [...MIB_OPTS, '-Cf', '|', '-CH', target, 'MADMAN-MIB::madmanProbeTable']);
        table = r.stdout;
        return /\|ok\|/.test(table) && /\|critical\|/.test(table);
      });
      // snmptable -Cf '|' quotes nothing
      const rows = table.trim().split('\n').map((l) => l.split('|'));
      // columns: name, protocol, target, status, ...reason (7th)
      expect(rows.map((r) => r.slice(0, 4))).to.deep.equal([
        ['webmail http on 127.0.0.1', 'http', `http://127.0.0.1:${(web.address() as AddressInfo).port}/`, 'ok'],
        ['mx smtp on 127.0.0.1', 'smtp', `127.0.0.1:${closed}`, 'critical'],
      ]);
      expect(rows[1]![6]).to.equal(`connect: connect ECONNREFUSED 127.0.0.1:${closed}`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
