// The webmail source end to end (Sun's httpstat): a real agent process reading a
// Roundcube-format userlogins log (test/fixtures/webmail/userlogins.log, then lines appended)
// and a real nginx's stub_status on loopback. `madman stat httpstat` is compared with golden
// text; the failedlogins alarm is raised on the webmail's row; idle client connections,
// nginx restarting (its counters start over, ours go on) and nginx down are seen as they are.

import { appendFileSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MAIN, startCliAgent, type CliAgent } from './integration-support.js';
import { ROOT, run, type RunResult } from '../helpers/harness.js';
import { expectGolden, maskText } from '../helpers/golden-text.js';
import { startNginx, type NginxServer } from '../helpers/nginx-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { until, waitForRow, walkRows, type Row } from '../helpers/probe-support.js';

describe('webmail: Roundcube logins and nginx stub_status as httpstat (issue 18)', function () {
  this.timeout(180000);
  let dir: string;
  let conf: string;
  let target: string;
  let nginx: NginxServer;
  let agent: CliAgent | undefined;
  let logFile: string;
  const sockets: net.Socket[] = [];

  const madman = (...args: string[]): Promise<RunResult> => run('node', [MAIN, ...args], 60000);
  const row = async (table: string, pick: (r: Row) => boolean): Promise<Row | undefined> => [...(await walkRows(target, table)).values()].find(pick);
  /** Waits until the webmail's row has these values; the error shows the table and the agent's log. */
  const waitWeb = (want: Row) => waitForRow(target, 'madmanServiceTable', { madmanServiceName: 'webmail http', ...want }, { context: () => `agent log:\n${agent?.stderr().slice(-3000)}` });

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-webmail-'));
    nginx = await startNginx();
    logFile = path.join(dir, 'userlogins.log');
    copyFileSync(path.join(ROOT, 'test/fixtures/webmail/userlogins.log'), logFile);
    const port = await freeUdpPort();
    target = `127.0.0.1:${port}`;
    conf = path.join(dir, 'madman.yml');
    writeFileSync(
      conf,
      [
        `listen: [udp:127.0.0.1:${port}]`,
        'stateDir: state',
        'fromStart: true',
        'webmail:',
        '  log: userlogins.log',
        `  status: ${nginx.statusUrl}`,
        '  statusInterval: 1',
        'alarms:',
        '  failedlogins: { statInterval: 1 }',
        ...['diskavail', 'serverresponse', 'queuesize', 'queueage', 'rejects', 'quota', 'servicedown'].map((a) => `  ${a}: { enabled: false }`),
        '',
      ].join('\n'),
    );
    agent = await startCliAgent(['agent', '--config', conf], dir);
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await agent?.stop();
    await nginx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logins from the log, connections from stub_status, the source rows and the applTable row', async () => {
    // the fixture: 3 good and 3 failed logins, and one line that is not a login
    // (nginx so far: the helper's readiness check, 1 connection, besides the agent's own readings)
    await waitWeb({ madmanServiceNumGoodLogins: '3', madmanServiceNumFailedLogins: '3', madmanServiceNumConnections: '1' });
    const source = await row('madmanSourceTable', (r) => r.madmanSourceName === 'webmail log');
    expect([source?.madmanSourceStatus, source?.madmanSourceLines, source?.madmanSourceUnparsedLines]).to.deep.equal(['ok', '7', '1']);
    // three clients holding a connection open
    for (let i = 0; i < 3; i++) {
      const s = net.connect(nginx.port, '127.0.0.1');
      sockets.push(s);
      await new Promise<void>((r) => s.once('connect', () => r()));
    }
    await waitWeb({ madmanServiceNumCurrentConnections: '3', madmanServiceMaxConnections: '3', madmanServiceNumConnections: '4' });
    for (const s of sockets.splice(0)) s.destroy();
    await waitWeb({ madmanServiceNumCurrentConnections: '0' });
    const app = await row('applTable', (a) => a.applName === 'webmail http');
    expect([app?.applOperStatus, app?.applInboundAssociations, app?.applAccumulatedInboundAssociations, app?.applRejectedInboundAssociations]).to.deep.equal(['up', '0', '4', '0']);
  });

  it('the failedlogins alarm applies to the webmail: a burst of failures raises it; madman stat httpstat', async () => {
    // measured every second; whether the fixture's three (read at start) made an excursion
    // depends on when the first measurement came: count from a quiet moment
    const alarm = () => row('madmanAlarmTable', (a) => a.madmanAlarmId === 'failedlogins' && a.madmanAlarmInstance === 'webmail http');
    await until('failedlogins measured, not raised', async () => {
      const a = await alarm();
      return a !== undefined && a.madmanAlarmWarningState === 'false' && a.madmanAlarmCurrent === '0';
    }, 60000);
    const before = Number((await alarm())!.madmanAlarmCountOverThreshold);
    // two more failed logins at once: 120 a minute, over 30 (the next second's 0 clears it)
    appendFileSync(
      logFile,
      '[07-Dec-2026 09:10:00 +0000]: <9b8a7f6c> Failed login for mallory@example.test from 203.0.113.9 in session 9b8a7f6c5d4e3f2a (error: 0)\n' +
        '[07-Dec-2026 09:10:01 +0000]: <9b8a7f6c> Failed login for mallory@example.test from 203.0.113.9 in session 9b8a7f6c5d4e3f2a (error: 0)\n',
    );
    await waitWeb({ madmanServiceNumFailedLogins: '5' });
    await until('failedlogins raised by the burst', async () => Number((await alarm())?.madmanAlarmCountOverThreshold) === before + 1, 60000);
    const a = (await alarm())!;
    expect([a.madmanAlarmDescription, a.madmanAlarmThreshold, a.madmanAlarmDirection]).to.deep.equal(['failed logins per minute', '30', 'above']);
    expect(Number(a.madmanAlarmHigh)).to.be.at.least(30);
    const r = await madman('stat', 'httpstat', '--config', conf);
    expect(r.code, r.stderr).to.equal(0);
    expectGolden('stat-httpstat.txt', maskText(r.stdout, { dir }));
  });

  it('nginx restarting: its totals start over, ours go on; nginx down: the service is down', async () => {
    await nginx.restart();
    // after the restart: the helper's readiness check again, 1 connection; the maximum starts over
    await waitWeb({ madmanServiceNumConnections: '5', madmanServiceMaxConnections: '0' });
    const json = await madman('stat', 'httpstat', '--config', conf, '--json');
    const fields = (JSON.parse(json.stdout) as { instances: Array<{ fields: Record<string, string | number | null> }> }).instances[0]!.fields;
    expect(fields.currentStartTime).to.be.a('string');
    await nginx.stop();
    await until('webmail http down', async () => (await row('applTable', (a) => a.applName === 'webmail http'))?.applOperStatus === 'down', 60000);
    const status = await row('madmanSourceTable', (r) => r.madmanSourceName === 'webmail status');
    expect(status?.madmanSourceStatus).to.equal('failing');
    expect(status?.madmanSourceStatusText).to.match(new RegExp(`^${nginx.statusUrl.replace(/[.?/]/g, '\\$&')}: connect ECONNREFUSED`));
  });
});
