// Issue 13 items 3 and 4 with a real Postfix (test/helpers/postfix-server.ts): the columns
// that used to stay 0 move with real traffic, read over SNMP, and `madman counters show`
// prints the Postfix groups' imsimta counters.
// - mtaGroupScheduledRetry: when qmgr next runs a deferred message, which qmgr records as
//   the deferred queue file's modification time (the test reads it from the spool);
// - loops: local's "mail forwarding loop" (a message already Delivered-To the recipient);
// - internal errors: smtpd's error:/warning: lines of a second instance whose
//   sender_access map does not exist (counted in its log independently);
// - imsimta Stored against the MTA-MIB stored gauges (they differ by the bounce, as
//   docs/postfix.md says).

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, MIB_OPTS, run, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { ADDR, startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { until } from '../helpers/probe-support.js';
import { peerWarning } from '../../src/sources/postfix/outcomes.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

/** snmpwalk -OsQUt of a column as "index" -> value. */
async function column(target: string, name: string): Promise<Map<string, string>> {
  const r = await snmp('snmpwalk', [...MIB_OPTS, '-OsQUt', target, name]);
  expect(r.code, `snmpwalk ${name}: ${r.stderr}`).to.equal(0);
  const out = new Map<string, string>();
  for (const m of r.stdout.matchAll(/^[\w-]+\.(\S+) = (.*)$/gm)) out.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
  return out;
}

/** The "app.group" index of a group by name. */
async function groupIndex(target: string, name: string): Promise<string> {
  const names = await column(target, 'mtaGroupName');
  const hit = [...names].find(([, v]) => v === name);
  if (!hit) throw new Error(`no group ${name}: ${JSON.stringify([...names])}`);
  return hit[0];
}

async function sourceLines(ta: TestAgent): Promise<number> {
  return [...ta.model.inputs.values()].find((i) => i.name === 'postfix log')?.lines ?? -1;
}

const logLines = (pf: PostfixServer) => pf.readLog().split('\n').filter(Boolean).length;

describe('e2e: the columns a real Postfix moves (scheduled retry, loops, internal errors, imsimta counters)', function () {
  this.timeout(120_000);
  let pf: PostfixServer;
  let ta: TestAgent | undefined;
  let deferredId = '';
  let stateDir = '';

  before(async () => {
    pf = await startPostfix();
    const local = await pf.sendMail({ from: ADDR.sender, to: [ADDR.local] });
    await pf.waitForLog(new RegExp(`${local.queueId}: removed`));
    const loop = await pf.sendMail({ from: ADDR.sender, to: [ADDR.local], headers: [`Delivered-To: ${ADDR.local}`] });
    await pf.waitForLog(new RegExp(`${loop.queueId}: removed`));
    const bounce = await pf.sendMail({ from: ADDR.sender, to: [ADDR.bounce] });
    await pf.waitForLog(new RegExp(`${bounce.queueId}: removed`));
    deferredId = (await pf.sendMail({ from: ADDR.sender, to: [ADDR.deferred] })).queueId!;
    await pf.waitForLog(new RegExp(`${deferredId}: to=<.*status=deferred`));
    await until('the message in the deferred queue', async () => (await pf.queueJson()).map((q) => `${q.queue_name} ${q.queue_id}`).join() === `deferred ${deferredId}`, 60_000);
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'madman-columns-'));
    ta = await startTestAgent({ stateDir, settings: { fromStart: true, postfix: { log: pf.maillog, queue: pf.etcDir, queueInterval: 1, contentFilterServices: [] } } });
    const want = logLines(pf);
    // generous: the suite runs on 2 shared cores
    await until('the log read', async () => (await sourceLines(ta!)) === want, 60_000);
  });

  after(async () => {
    await ta?.stop();
    await pf?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('mtaGroupScheduledRetry of smtp: how long until qmgr runs the deferred message (its deferred queue file\'s time)', async () => {
    const smtp = await groupIndex(ta!.target, 'smtp');
    const hash = readdirSync(path.join(pf.dir, 'spool', 'deferred'));
    const file = hash.map((h) => path.join(pf.dir, 'spool', 'deferred', h, deferredId)).find((f) => statSync(f, { throwIfNoEntry: false }));
    expect(file, `the deferred queue file of ${deferredId}`).to.be.a('string');
    const due = statSync(file!).mtimeMs;
    let value = 0;
    let before = 0;
    let after = 0;
    await until('the queue reading with the retry', async () => {
      before = Date.now();
      value = Number((await column(ta!.target, `mtaGroupScheduledRetry.${smtp}`)).get(smtp));
      after = Date.now();
      return value > 0;
    });
    // the log stamps the deferral to the second and postqueue the arrival: within 2 s of qmgr's own time
    expect(value, `retry in ${value / 100} s, the file says ${(due - before) / 1000} s`).to.be.within(Math.floor((due - after - 2000) / 10), Math.ceil((due - before + 2000) / 10));
    // at most minimal_backoff_time (300 s) ahead: the message was a few seconds old when deferred
    expect(value).to.be.within(1, 30_100);
    // the other groups have nothing deferred
    for (const [i, v] of await column(ta!.target, 'mtaGroupScheduledRetry')) if (i !== smtp) expect(v, i).to.equal('0');
  });

  it('mtaLoopsDetected and local\'s mtaGroupLoopsDetected: the forwarding loop', async () => {
    const local = await groupIndex(ta!.target, 'local');
    const app = local.split('.')[0]!;
    expect((await column(ta!.target, `mtaLoopsDetected.${app}`)).get(app)).to.equal('1');
    expect((await column(ta!.target, `mtaGroupLoopsDetected.${local}`)).get(local)).to.equal('1');
    expect(pf.readLog()).to.match(/dsn=5\.4\.6, status=bounced \(mail forwarding loop for tester@localhost\)/);
  });

  it('counters show: the groups\' imsimta counters; Stored against the queue (the bounce stays in Stored)', async () => {
    const smtp = await groupIndex(ta!.target, 'smtp');
    expect((await column(ta!.target, `mtaGroupStoredMessages.${smtp}`)).get(smtp)).to.equal('1');
    await ta!.stop();
    const r = await run('node', [CLI, 'counters', 'show', '--state-dir', stateDir, '--json']);
    ta = undefined;
    expect(r.code, r.stderr).to.equal(0);
    type Shown = { channel: string; counters: Record<string, { messages: number; recipients: number }>; inAssocs: number; outAssocs: number };
    const shown = new Map((JSON.parse(r.stdout) as Shown[]).map((s) => [s.channel, s]));
    const mr = (ch: string, k: string) => [shown.get(ch)!.counters[k]!.messages, shown.get(ch)!.counters[k]!.recipients];
    // smtpd enqueued the 4 messages it took (4 connections); local received and delivered
    // the first message and 2 non-delivery notifications (loop, bounce), and the loop failed
    expect([mr('smtpd', 'submitted'), shown.get('smtpd')!.inAssocs]).to.deep.equal([[4, 4], 4]);
    expect([mr('local', 'received'), mr('local', 'delivered'), mr('local', 'failed'), mr('local', 'stored')]).to.deep.equal([[4, 4], [3, 3], [1, 1], [1, 1]]);
    // smtp: the bounced and the deferred message; Stored 2 where the queue holds 1
    expect([mr('smtp', 'received'), mr('smtp', 'delivered'), mr('smtp', 'attempted'), mr('smtp', 'failed'), mr('smtp', 'stored')]).to.deep.equal([[2, 2], [0, 0], [1, 1], [1, 1], [2, 2]]);
    expect(shown.get('smtp')!.outAssocs).to.equal(1); // the bounce sink; the deferred one never connected
  });
});

describe('e2e: internal errors of a real Postfix smtpd (a map that does not exist)', function () {
  this.timeout(120_000);
  let pf: PostfixServer;
  let ta: TestAgent | undefined;

  after(async () => {
    await ta?.stop();
    await pf?.stop();
  });

  it('counts smtpd\'s error: and warning: lines under 4.3.0 in mtaGroupInternalErrorCount', async () => {
    pf = await startPostfix({ main: { smtpd_sender_restrictions: 'check_sender_access hash:/nonexistent/sender_access' } });
    const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(pf.port), '--from', ADDR.sender, '--to', ADDR.local, '--helo', 'client.example.test', '--timeout', '15']);
    expect(r.stdout).to.match(/<\*\* +451 4\.3\.5 /);
    await pf.waitForLog(/disconnect from/);
    // counted here from the log itself: smtpd's error:/warning:/fatal:/panic: lines, less those about the peer
    const expected = pf
      .readLog()
      .split('\n')
      .map((l) => /postfix-test\/smtpd\[\d+\]: (warning|error|fatal|panic): (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && !(m[1] === 'warning' && peerWarning(m[2]!))).length;
    expect(expected).to.be.at.least(2);
    ta = await startTestAgent({ settings: { fromStart: true, postfix: { log: pf.maillog, queueInterval: 60, contentFilterServices: [] } } });
    const want = logLines(pf);
    // generous: the suite runs on 2 shared cores
    await until('the log read', async () => (await sourceLines(ta!)) === want, 60_000);
    const smtpd = await groupIndex(ta.target, 'smtpd');
    const internal = await column(ta.target, `mtaGroupInternalErrorCount.${smtpd}`);
    expect([internal.get(`${smtpd}.4003000`), internal.get(`${smtpd}.4000000`)]).to.deep.equal([String(expected), String(expected)]);
    const inbound = await column(ta.target, `mtaGroupInboundErrorCount.${smtpd}`);
    expect(inbound.get(`${smtpd}.4003005`)).to.equal('1'); // the refusal itself: 451 4.3.5
  });
});
