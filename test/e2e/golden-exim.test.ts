// The Exim source's whole walk against its golden files (test/helpers/golden-walk.ts,
// docs/golden-walks.md): the logs of a real Exim 4.96 run replayed through
// `madman agent --from-start`, with the queue listing `exim -bp` printed near the run's end;
// and the same kind of run logged to syslog, read from a real journal file.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { expectGolden } from '../helpers/golden-walk.js';
import { ROOT, run } from '../helpers/harness.js';
import { JOURNAL_REMOTE, writeJournal } from '../helpers/journal-file.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

/** the real journalctl ('' when there is none) */
const JOURNALCTL = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v journalctl'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();

// (Exim feeds no madmanChannels rows: its groups have MTA-MIB counters only)
const WALK = ['NETWORK-SERVICES-MIB::application', 'MTA-MIB::mta', 'MADMAN-MIB::madmanSourceTable'];

describe('golden walk: Exim', function () {
  this.timeout(90_000);

  it('a real Exim 4.96 run (mainlog, rejectlog, paniclog, exim -bp) gives exim/test.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/exim/test.walk',
      files: {
        mainlog: 'test/fixtures/exim/mainlog-test',
        rejectlog: 'test/fixtures/exim/rejectlog-test',
        paniclog: 'test/fixtures/exim/paniclog-test',
        'bp.txt': 'test/fixtures/exim/bp-test.txt',
        'madman.yml': {
          text: [
            'exim:',
            '  log: DIR/mainlog', // the rejectlog and paniclog beside it
            '  hostname: mx',
            // the capture's listeners: plain SMTP and submission with AUTH
            '  listeners: { "37027": smtp, "33033": submission }',
            // a listing Exim printed near the run's end, read once; it still holds
            // 1xahJr-0001k9-0p, which the log then shows removed: in the totals, in no group
            '  queue: [cat, DIR/bp.txt]',
            '  queueInterval: 3600',
            '',
          ].join('\n'),
        },
      },
      args: ['--config', 'DIR/madman.yml'],
      wait: { 'exim log': 'mainlog', 'exim rejectlog': 'rejectlog', 'exim paniclog': 'paniclog', 'exim queue': 6 },
      walk: WALK,
      // `madman counters` from the checkpoint: the groups' MTA-MIB counters (test/unit/exim-apply.test.ts
      // works them out from the fixture), and after a clear the same less the clear's baseline
      after: async (dir) => {
        const show = async () => {
          const r = await run('node', [CLI, 'counters', 'show', '--state-dir', path.join(dir, 'state'), '--json']);
          expect(r.code, r.stderr).to.equal(0);
          const shown = JSON.parse(r.stdout) as Array<{ channel: string; source: string; inAssocs: number; counters: Record<string, { messages: number | null; recipients: number | null; blocks: number | null }> }>;
          return (ch: string, k: string) => {
            const c = shown.find((x) => x.channel === ch);
            const v = k === 'inAssocs' ? c?.inAssocs : c?.counters[k];
            return v === undefined || typeof v === 'number' ? v : [v.messages, v.recipients, v.blocks];
          };
        };
        let row = await show();
        expect([row('smtp', 'received'), row('smtp', 'rejected'), row('smtp', 'inAssocs'), row('local_delivery', 'delivered'), row('remote_smtp', 'delivered'), row('remote_smtp', 'stored'), row('routing', 'stored')]).to.deep.equal([
          [12, 15, 7],
          [5, null, null],
          21,
          [7, 8, 6],
          [4, 5, 2],
          [1, 1, 1],
          [4, 4, 7],
        ]);
        const r = await run('node', [CLI, 'counters', 'clear', '--state-dir', path.join(dir, 'state')]);
        expect(r.code, r.stderr).to.equal(0);
        row = await show();
        // the counters start again from the clear; the stored gauges are what they are
        expect([row('smtp', 'received'), row('smtp', 'rejected'), row('smtp', 'inAssocs'), row('remote_smtp', 'delivered'), row('remote_smtp', 'stored')]).to.deep.equal([
          [0, 0, 0],
          [0, null, null],
          0,
          [0, 0, 0],
          [1, 1, 1],
        ]);
      },
    });
  });
});

describe('golden walk: Exim through the journal (log_file_path = syslog)', function () {
  this.timeout(90_000);
  let dir = '';

  before(function () {
    if (!existsSync(JOURNAL_REMOTE) || !JOURNALCTL) this.skip(); // scripts/test-deps.sh installs both
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-golden-exim-journal-'));
    // Real datagrams of Exim 4.96 logging to syslog (`<PRI>Mmm dd HH:MM:SS exim[PID]: TEXT`,
    // Exim's own timestamp inside TEXT) as journald stores them: MESSAGE, PRIORITY,
    // SYSLOG_IDENTIFIER, SYSLOG_PID; dated from the clock (the walk masks times), 1 ms apart.
    const t0 = (Date.now() - 120_000) * 1000;
    const entries = readFileSync(path.join(ROOT, 'test/fixtures/exim/syslog-datagrams'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l, i): [number, Record<string, string>] => {
        const m = /^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d (\S+)\[(\d+)\]: (.*)$/.exec(l);
        if (!m) throw new Error(`not a datagram: ${l}`);
        const pri = Number(m[1]);
        return [t0 + i * 1000, { MESSAGE: m[4]!, PRIORITY: String(pri & 7), SYSLOG_FACILITY: String(pri >> 3), SYSLOG_IDENTIFIER: m[2]!, SYSLOG_PID: m[3]!, _PID: m[3]! }];
      });
    writeJournal(path.join(dir, 'exim.journal'), entries);
    // the agent's journalctl reads that file
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin/journalctl'), `#!/bin/sh\nexec ${JOURNALCTL} --file=${dir}/exim.journal "$@"\n`, { mode: 0o755 });
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('syslog-datagrams as journal entries gives exim/journal.walk', async () => {
    await expectGolden({
      golden: 'test/fixtures/exim/journal.walk',
      files: {
        'madman.yml': {
          text: ['exim:', '  journal: true', '  hostname: mx', '  listeners: { "2725": smtp, "2787": submission }', ''].join('\n'),
        },
      },
      args: ['--config', 'DIR/madman.yml'],
      wait: { 'exim log': 43 },
      walk: WALK,
      env: { PATH: `${dir}/bin:${process.env.PATH ?? ''}` },
    });
  });
});
