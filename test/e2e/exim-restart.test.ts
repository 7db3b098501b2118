// Issue 14: after kill -9 the Exim source's counts are exact. madman follows a generated Exim
// mainlog (scripts/bench-exim-gen.ts: SMTP sessions, refusals, deliveries, greylisting retries,
// queue runs, bounces), with the rejectlog and paniclog beside it, while the test appends to
// all three; it is SIGKILLed at random moments, restarted with the same state directory,
// across rename and copytruncate rotations of the mainlog done while it runs and while it is
// down (test/helpers/restart-rounds.ts). At the end it must serve exactly the counters of one
// uninterrupted in-process reading of the same lines, and its checkpoint must have counted
// every line of the three logs once. MADMAN_TEST_SEED=N repeats a run's log and choices.

import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MailSystem } from '../../src/model/mail-system.js';
import { EximLog } from '../../src/sources/exim/apply.js';
import type { EximCheckpoint } from '../../src/sources/exim/source.js';
import { generateEximLog } from '../../scripts/bench-exim-gen.js';
import { startTestAgent, type TestAgent } from '../helpers/harness.js';
import { prng } from '../helpers/prng.js';
import { counters, Rounds } from '../helpers/restart-rounds.js';

describe('e2e: Exim, kill -9 and restart across mainlog rotations, count every line of the three logs once', function () {
  this.timeout(240000);
  const seed = Number(process.env.MADMAN_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rand = prng(seed);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-exim-restart-'));
  const file = path.join(dir, 'mainlog');
  const rejectlog = path.join(dir, 'rejectlog');
  const paniclog = path.join(dir, 'paniclog');
  const rounds = new Rounds({ stateDir: path.join(dir, 'state'), file, checkpoint: 'exim', args: ['--exim-log', file], rand });
  let expected: TestAgent | undefined;

  after(async function () {
    await rounds.stop();
    await expected?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves, after five SIGKILLs and four rotations, exactly the counters of one uninterrupted reading', async function () {
    const text: string[] = [];
    generateEximLog(800, seed, (chunk) => text.push(chunk), Date.now() - 3600_000);
    const lines = text.join('').split('\n').filter((l) => l !== '');
    rounds.lines = lines;
    expect(lines.length).to.be.above(4000);
    // the rejectlog gets the mainlog's refusals as Exim writes them (the copy, then the
    // header of a refusal after DATA); the paniclog a panic every 700 lines
    const reject: string[] = [];
    const panic: string[] = [];
    const sides = (from: number, to: number) => {
      let r = '';
      let p = '';
      for (let i = from; i < to; i++) {
        const l = lines[i]!;
        if (/ rejected /.test(l)) {
          r += `${l}\n`;
          reject.push(l);
          if (l.includes('after DATA')) for (const h of ['Envelope-from: <a@b.example>', 'Envelope-to: <c@example.net>', 'P Received: from [198.51.100.7]', '  Subject: virus']) (r += `${h}\n`), reject.push(h);
        }
        if (i % 700 === 699) {
          const panicLine = `${l.slice(0, 19)} daemon_notifier_socket bind: Address already in use`;
          p += `${panicLine}\n`;
          panic.push(panicLine);
        }
      }
      if (r) appendFileSync(rejectlog, r);
      if (p) appendFileSync(paniclog, p);
    };
    let sideAt = 0;
    writeFileSync(rejectlog, '');
    writeFileSync(paniclog, '');
    rounds.onAppend = (written) => {
      sides(sideAt, written);
      sideAt = written;
    };

    // the uninterrupted reading, served the same way
    const model = new MailSystem();
    const elog = new EximLog(model, { host: os.hostname().split('.')[0]!, listeners: {} });
    for (const l of lines) elog.line(l);
    const all = { reject: [] as string[], panic: [] as string[] };
    for (let i = 0; i < lines.length; i++) {
      if (/ rejected /.test(lines[i]!)) all.reject.push(lines[i]!);
      if (i % 700 === 699) all.panic.push(`${lines[i]!.slice(0, 19)} daemon_notifier_socket bind: Address already in use`);
    }
    for (const l of all.reject) elog.line(l, 'reject');
    for (const l of all.panic) elog.line(l, 'panic');
    expected = await startTestAgent({ model });
    const want = await counters(expected.target);
    expect(Object.keys(want).length).to.be.above(100);

    const cp = await rounds.run<EximCheckpoint>(want, seed);
    expect(cp.side?.reject?.lines, rounds.why(seed)).to.equal(reject.length);
    expect(cp.side?.panic?.lines, rounds.why(seed)).to.equal(panic.length);
    expect(panic.length).to.equal(all.panic.length);
    expect([cp.unparsed, cp.side?.reject?.unparsed, cp.side?.panic?.unparsed]).to.deep.equal([0, 0, 0]);
    if (process.env.MADMAN_TEST_VERBOSE) console.log(rounds.why(seed));
  });
});
