// The Sendmail source resumes exactly: madman runs as a child process following a Sendmail
// log (scripts/bench-sendmail-gen.ts: sessions, deliveries, refusals, deferrals retried,
// bounces with DSNs), is SIGKILLed after each part, the log grows while it is down and is
// rotated by rename while it runs; at the end every MTA-MIB value it serves (times aside)
// equals that of one uninterrupted reading of the same lines, and its checkpoint counted
// every line once; `madman counters show` prints the imsimta counters of one reading.

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { generateSendmailLog } from '../../scripts/bench-sendmail-gen.js';
import { channelCountersOf } from '../../src/model/channel-counters.js';
import { ROOT, run, startTestAgent } from '../helpers/harness.js';
import { freeUdpPort } from '../helpers/ports.js';
import { waitFor } from '../helpers/snmpd-master.js';

const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
/** Columns that hold times relative to the agent's start or to now: not comparable. */
const TIME_COLUMNS = new Set([12, 17, 18, 23, 30, 34].map((c) => `2.1.${c}`));

const CF = [
  'DZ8.17.1.9',
  'O DaemonPortOptions=Name=MTA, Port=25',
  'O DaemonPortOptions=Name=MSA, Port=587, M=E',
  'Mlocal,\tP=/usr/lib/sm.bin/mail.local, F=lsDFMAw5:/|@qPSXfmnz9,',
  '\t\tA=mail.local -l',
  'Mprog,\tP=/bin/sh, F=lsDFMoqeu9, A=sh -c $u',
  'Msmtp,\tP=[IPC], F=mDFMuX, A=TCP $h',
  'Mesmtp,\tP=[IPC], F=mDFMuXa, A=TCP $h',
  'Mrelay,\tP=[IPC], F=mDFMuXa8, A=TCP $h',
  '',
].join('\n');

function checkpointLines(stateDir: string): number {
  try {
    return (JSON.parse(readFileSync(path.join(stateDir, 'sendmail.json'), 'utf8')) as { lines?: number }).lines ?? 0;
  } catch {
    return 0; // not written yet, or being replaced
  }
}

/** mtaTable, mtaGroupTable and mtaGroupErrorTable as "oid value" lines, time columns left out. */
async function mtaWalk(target: string): Promise<string[]> {
  const r = await run('snmpbulkwalk', ['-v2c', '-c', 'public', '-On', '-Oq', '-t', '3', target, '1.3.6.1.2.1.28']);
  expect(r.code, r.stderr).to.equal(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('.1.3.6.1.2.1.28.'))
    .filter((l) => !TIME_COLUMNS.has(l.slice('.1.3.6.1.2.1.28.'.length).split('.').slice(0, 3).join('.')));
}

describe('Sendmail source: kill -9, growth while down and rotation while running (e2e)', function () {
  this.timeout(240_000);
  let dir = '';
  let child: ChildProcess | undefined;

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-sendmail-restart-'));
  });
  after(function () {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves, after it all, exactly what one reading serves', async function () {
    const { text } = generateSendmailLog(600, 42);
    const lines = text.trimEnd().split('\n');
    const parts = [lines.slice(0, 400), lines.slice(400, 900), lines.slice(900)];
    const log = path.join(dir, 'mail.log');
    const stateDir = path.join(dir, 'state');
    writeFileSync(path.join(dir, 'sendmail.cf'), CF);
    const port = await freeUdpPort();
    const config = path.join(dir, 'madman.yaml');
    writeFileSync(config, `stateDir: state\nlisten: [udp:127.0.0.1:${port}]\nsendmail:\n  log: mail.log\n  cf: sendmail.cf\n  statistics: false\n  queue: false\n  programs: [sm-mta]\n`);
    const start = (fromStart: boolean) => {
      const out = openSync(path.join(dir, 'agent.out'), 'a');
      child = spawn('node', [MAIN, 'agent', '--config', config, ...(fromStart ? ['--from-start'] : [])], { stdio: ['ignore', out, out], cwd: dir });
      closeSync(out);
    };
    const killed = async () => {
      const c = child!;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    };
    const counted = (n: number, what: string) => waitFor(what, 60000, () => (checkpointLines(stateDir) === n ? true : undefined));

    writeFileSync(log, `${parts[0]!.join('\n')}\n`);
    start(true);
    await counted(parts[0]!.length, 'the first part checkpointed');
    await killed();
    // while it is down the log grows; then it resumes from its checkpoint (no --from-start)
    appendFileSync(log, `${parts[1]!.join('\n')}\n`);
    start(false);
    await counted(parts[0]!.length + parts[1]!.length, 'the second part checkpointed');
    // rotation by rename while it runs: the rest goes to a new file
    renameSync(log, `${log}.1`);
    writeFileSync(log, `${parts[2]!.join('\n')}\n`);
    await counted(lines.length, 'every line checkpointed');
    await waitFor('the agent to answer', 20000, async () => ((await run('snmpget', ['-v2c', '-c', 'public', '-t', '1', `127.0.0.1:${port}`, '1.3.6.1.2.1.1.3.0'])).code === 0 ? true : undefined));
    const resumed = await mtaWalk(`127.0.0.1:${port}`);
    await killed();
    expect(existsSync(`${log}.1`)).to.equal(true);

    // one reading of the same lines
    const once = path.join(dir, 'once');
    writeFileSync(`${once}.log`, text);
    const a = await startTestAgent({
      stateDir: path.join(dir, 'once-state'),
      settings: { fromStart: true, sendmail: { log: `${once}.log`, cf: path.join(dir, 'sendmail.cf'), statistics: false, statisticsInterval: 5, queue: false, queueInterval: 10, programs: ['sm-mta'] } },
    });
    try {
      await waitFor('one reading to finish', 60000, () => (a.model.inputs.size > 0 && [...a.model.inputs.values()].some((i) => i.name === 'sendmail log' && i.lines === lines.length) ? true : undefined));
      const one = await mtaWalk(a.target);
      expect(one.length).to.be.above(200);
      // `madman counters show` reads the resumed agent's checkpoint: the imsimta counters of one reading
      const shown = await run('node', [MAIN, 'counters', 'show', '--config', config, '--json']);
      expect(shown.code, shown.stderr).to.equal(0);
      const reports = JSON.parse(shown.stdout) as Array<{ channel: string; source: string; counters: Record<string, unknown>; deliveredFirstTime: number; inAssocs: number; outAssocs: number }>;
      const book = channelCountersOf(a.model);
      const want = [...book.values()].map((c) => ({ channel: c.name, delivered: c.values.delivered, received: c.values.received, rejected: c.values.rejected, first: c.deliveredFirstTime, inAssocs: c.inAssocs, outAssocs: c.outAssocs }));
      const got = reports.map((r) => ({ channel: r.channel, delivered: r.counters.delivered, received: r.counters.received, rejected: r.counters.rejected, first: r.deliveredFirstTime, inAssocs: r.inAssocs, outAssocs: r.outAssocs }));
      expect(reports.every((r) => r.source === 'sendmail')).to.equal(true);
      expect(got.sort((x, y) => x.channel.localeCompare(y.channel))).to.deep.equal(want.sort((x, y) => x.channel.localeCompare(y.channel)));
      expect(want.find((w) => w.channel === 'local')!.delivered.messages).to.be.above(100);
      const differ = resumed.filter((l, i) => l !== one[i]).map((l, i) => `${l}  /  ${one[resumed.indexOf(l)] ?? ''}`);
      expect(differ, 'resumed / one reading').to.deep.equal([]);
      expect(resumed).to.deep.equal(one);
    } finally {
      await a.stop();
    }
  });
});
