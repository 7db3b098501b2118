// The Exim source when its inputs fail (issue 14, bad input): a mainlog that does not exist
// yet and a queue command that fails are reported in madmanSourceTable as failing, with the
// reason, and tried again; once they work, the rows say ok and the figures are there.

import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Settings } from '../../src/config/config.js';
import { ROOT, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { rows, until, walk } from '../helpers/snmp-rows.js';

describe('e2e: Exim inputs that fail are reported and retried', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-exim-inputs-'));
  const mainlog = path.join(dir, 'mainlog');
  const script = path.join(dir, 'exipick.sh');
  let ta: TestAgent | undefined;

  after(async () => {
    await ta?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const sources = async () =>
    [...rows(await walk(ta!.target, 'madmanSourceTable')).values()].map((r) => [r.madmanSourceName, r.madmanSourceStatus, r.madmanSourceStatusText, r.madmanSourceLines]);

  it('a missing mainlog and a failing queue command: failing with the reason; both read once they work', async function () {
    // `exim -bp` stand-in: fails until DIR/ok exists, then prints a real listing
    writeFileSync(script, `[ -e ${dir}/ok ] || { echo "exim: failed to open spool directory" >&2; exit 1; }\ncat ${ROOT}/test/fixtures/exim/bp-test.txt\n`);
    chmodSync(script, 0o755);
    const exim = { log: mainlog, rejectLog: path.join(dir, 'rejectlog'), panicLog: path.join(dir, 'paniclog'), queue: ['sh', script], queueInterval: 1, hostname: 'mx', listeners: { '37027': 'smtp', '33033': 'submission' } };
    ta = await startTestAgent({ settings: { exim, fromStart: true } as unknown as Partial<Settings> });

    let src: (string | undefined)[][] = [];
    await until('the mainlog, rejectlog and queue failing', async () => {
      src = await sources();
      return src.filter((r) => r[1] === 'failing').length === 3 || JSON.stringify(src);
    });
    const missing = (f: string) => `${f}: ENOENT: no such file or directory, stat '${f}'`;
    expect(src).to.deep.equal([
      ['exim log', 'failing', missing(mainlog), '0'],
      // the side logs are followed meanwhile: the rejectlog missing is a failure, the paniclog
      // (which Exim makes at its first panic) is not
      ['exim rejectlog', 'failing', missing(exim.rejectLog), '0'],
      ['exim paniclog', 'ok', '', '0'],
      ['exim queue', 'failing', `sh ${script} exited 1: exim: failed to open spool directory`, '0'],
    ]);

    copyFileSync(path.join(ROOT, 'test/fixtures/exim/mainlog-test'), mainlog);
    copyFileSync(path.join(ROOT, 'test/fixtures/exim/rejectlog-test'), exim.rejectLog);
    writeFileSync(path.join(dir, 'ok'), '');
    await until('both read', async () => {
      src = await sources();
      const m = [...rows(await walk(ta!.target, 'mtaTable')).values()][0];
      return (src.every((r) => r[1] === 'ok') && src.find((r) => r[0] === 'exim log')?.[3] === '169' && m?.mtaStoredMessages === '6') || JSON.stringify(src);
    }, 30_000);
    expect(src.slice(0, 3)).to.deep.equal([
      ['exim log', 'ok', '', '169'],
      ['exim rejectlog', 'ok', '', '21'],
      ['exim paniclog', 'ok', '', '0'],
    ]);
    const m = [...rows(await walk(ta!.target, 'mtaTable')).values()][0]!;
    expect([m.mtaReceivedMessages, m.mtaTransmittedMessages, m.mtaStoredMessages, m.mtaStoredRecipients]).to.deep.equal(['21', '11', '6', '6']);
    const app = [...rows(await walk(ta!.target, 'applTable')).values()][0]!;
    expect([app.applName, app.applOperStatus]).to.deep.equal(['exim MTA on mx', 'up']);
  });
});
