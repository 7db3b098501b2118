// The real-Postfix test infrastructure itself (test/helpers/postfix-server.ts): a private
// Postfix 3.7 instance on loopback produces every outcome madman's log reader has to count
// (local delivery, smtp delivery, reject, deferral, bounce, submission), with the exact log
// line shapes the reader will see, and is fully cleaned up afterwards.
//
// MADMAN_UPDATE_FIXTURES=1 saves this run's log as test/fixtures/postfix/real-3.7-e2e.log
// (real Postfix output for the parser tests); otherwise that fixture is only checked to still
// hold every shape asserted here.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, run } from '../helpers/harness.js';
import { ADDR, POSTQUEUE, SYSTEM_CONFIG_DIR, startPostfix, type PostfixServer, type QueueEntry } from '../helpers/postfix-server.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/postfix/real-3.7-e2e.log');

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** What varies from run to run, as regex sources: exact values for a live run, patterns for the fixture. */
interface Facts {
  mailDir: string;
  etcDir: string;
  relayPort: string;
  bouncePort: string;
  closedPort: string;
  /** queue ids of the messages sent (regex sources) */
  qid: { local: string; relay: string; bounce: string; deferred: string; submission: string };
}

const GENERIC: Facts = {
  mailDir: '/\\S+/mail',
  etcDir: '/\\S+/etc',
  relayPort: '\\d+',
  bouncePort: '\\d+',
  closedPort: '\\d+',
  qid: { local: '[0-9A-F]+', relay: '[0-9A-F]+', bounce: '[0-9A-F]+', deferred: '[0-9A-F]+', submission: '[0-9A-F]+' },
};

/** BSD timestamp, host (first label of myhostname) and the instance's syslog name. */
const HEAD = '^[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d madman-test postfix-test/';
const DELAYS = 'delay=[\\d.]+, delays=[\\d.]+/[\\d.]+/[\\d.]+/[\\d.]+';
const LOCALHOST = 'localhost\\[127\\.0\\.0\\.1\\]';

/** The line shapes every run must produce, by name. */
function shapes(f: Facts): Record<string, RegExp> {
  const r = (s: string) => new RegExp(`${HEAD}${s}$`);
  return {
    masterStarted: r(`master\\[\\d+\\]: daemon started -- version 3\\.7\\.\\d+, configuration ${f.etcDir}`),
    smtpdConnect: r(`smtpd\\[\\d+\\]: connect from ${LOCALHOST}`),
    smtpdClient: r(`smtpd\\[\\d+\\]: ${f.qid.local}: client=${LOCALHOST}`),
    smtpdDisconnect: r(`smtpd\\[\\d+\\]: disconnect from ${LOCALHOST} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5`),
    cleanup: r(`cleanup\\[\\d+\\]: ${f.qid.local}: message-id=<[^>]+>`),
    qmgrActive: r(`qmgr\\[\\d+\\]: ${f.qid.local}: from=<sender@localhost>, size=\\d+, nrcpt=1 \\(queue active\\)`),
    localSent: r(
      `local\\[\\d+\\]: ${f.qid.local}: to=<tester@localhost>, relay=local, ${DELAYS}, dsn=2\\.0\\.0, ` +
        `status=sent \\(delivered to file: ${f.mailDir}/tester\\)`,
    ),
    qmgrRemoved: r(`qmgr\\[\\d+\\]: ${f.qid.local}: removed`),
    smtpSent: r(
      `smtp\\[\\d+\\]: ${f.qid.relay}: to=<someone@relay\\.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${f.relayPort}, ` +
        `${DELAYS}, dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as SINK\\d+\\)`,
    ),
    reject: r(
      `smtpd\\[\\d+\\]: NOQUEUE: reject: RCPT from ${LOCALHOST}: 554 5\\.7\\.1 <blocked@example\\.test>: ` +
        'Recipient address rejected: Access denied; from=<sender@localhost> to=<blocked@example\\.test> ' +
        'proto=ESMTP helo=<client\\.example\\.test>',
    ),
    rejectDisconnect: r(`smtpd\\[\\d+\\]: disconnect from ${LOCALHOST} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4`),
    connectRefused: r(`smtp\\[\\d+\\]: connect to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${f.closedPort}: Connection refused`),
    deferred: r(
      `smtp\\[\\d+\\]: ${f.qid.deferred}: to=<someone@remote\\.test>, relay=none, ${DELAYS}, dsn=4\\.4\\.1, ` +
        `status=deferred \\(connect to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${f.closedPort}: Connection refused\\)`,
    ),
    bounced: r(
      `smtp\\[\\d+\\]: ${f.qid.bounce}: to=<nobody@bounce\\.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${f.bouncePort}, ` +
        `${DELAYS}, dsn=5\\.1\\.1, status=bounced \\(host 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\] said: 550 5\\.1\\.1 ` +
        '<nobody@bounce\\.test>: Recipient address rejected: User unknown \\(in reply to RCPT TO command\\)\\)',
    ),
    nonDelivery: r(`bounce\\[\\d+\\]: ${f.qid.bounce}: sender non-delivery notification: [0-9A-F]+`),
    notificationQueued: r('qmgr\\[\\d+\\]: [0-9A-F]+: from=<>, size=\\d+, nrcpt=1 \\(queue active\\)'),
    notificationDelivered: r(
      `local\\[\\d+\\]: [0-9A-F]+: to=<sender@localhost>, relay=local, ${DELAYS}, dsn=2\\.0\\.0, ` +
        `status=sent \\(delivered to file: ${f.mailDir}/sender\\)`,
    ),
    submissionConnect: r(`submission/smtpd\\[\\d+\\]: connect from ${LOCALHOST}`),
    submissionClient: r(`submission/smtpd\\[\\d+\\]: ${f.qid.submission}: client=${LOCALHOST}`),
    submissionDisconnect: r(
      `submission/smtpd\\[\\d+\\]: disconnect from ${LOCALHOST} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5`,
    ),
    submissionSent: r(
      `local\\[\\d+\\]: ${f.qid.submission}: to=<tester@localhost>, relay=local, ${DELAYS}, dsn=2\\.0\\.0, ` +
        `status=sent \\(delivered to file: ${f.mailDir}/tester\\)`,
    ),
  };
}

function expectShapes(log: string, f: Facts, what: string): void {
  const lines = log.split('\n');
  const missing = Object.entries(shapes(f))
    .filter(([, re]) => !lines.some((l) => re.test(l)))
    .map(([name, re]) => `${name}: ${re.source}`);
  expect(missing, `${what}: no line of these shapes`).to.deep.equal([]);
  // Nothing else from the instance logged a problem.
  expect(lines.filter((l) => / (warning|error|fatal|panic): /.test(l)), `${what}: warnings`).to.deep.equal([]);
}

describe('a real Postfix 3.7 on loopback (test/helpers/postfix-server.ts)', function () {
  this.timeout(60000);
  let pf: PostfixServer | undefined;
  let facts: Facts | undefined;

  before(async function () {
    pf = await startPostfix();
  });

  after(async function () {
    await pf?.stop();
  });

  it('delivers locally and by smtp, rejects, defers and bounces, with the expected log lines', async function () {
    const p = pf!;
    const local = await p.sendMail({ from: ADDR.sender, to: [ADDR.local] });
    const relay = await p.sendMail({ from: ADDR.sender, to: [ADDR.relay] });
    const bounce = await p.sendMail({ from: ADDR.sender, to: [ADDR.bounce] });
    const deferred = await p.sendMail({ from: ADDR.sender, to: [ADDR.deferred] });
    const rejected = await p.sendMail({ from: ADDR.sender, to: [ADDR.rejected], expectReject: true });
    const submission = await p.sendMail({ from: ADDR.sender, to: [ADDR.local], port: p.submissionPort });
    expect(rejected.queueId).to.equal(null);
    const ids = [local, relay, bounce, deferred, submission].map((s) => s.queueId);
    for (const id of ids) expect(id).to.match(/^[0-9A-F]{8,}$/);
    expect(new Set(ids).size).to.equal(5);

    facts = {
      mailDir: esc(p.mailDir),
      etcDir: esc(p.etcDir),
      relayPort: String(p.relaySink.port),
      bouncePort: String(p.bounceSink.port),
      closedPort: String(p.closedPort),
      qid: {
        local: local.queueId!,
        relay: relay.queueId!,
        bounce: bounce.queueId!,
        deferred: deferred.queueId!,
        submission: submission.queueId!,
      },
    };
    // every shape, waited for in turn: deliveries run in parallel, and qmgr's "removed" or
    // smtpd's "disconnect" may come just after swaks or the delivery line
    for (const re of Object.values(shapes(facts))) await p.waitForLog(re, 10000);
    expectShapes(p.readLog(), facts, p.maillog);

    // the remote peers saw what the log says
    expect(p.relaySink.messages.map((m) => [m.from, m.to])).to.deep.equal([[ADDR.sender, [ADDR.relay]]]);
    expect(p.relaySink.messages[0]!.data).to.include('madman end-to-end test message');
    expect(p.bounceSink.recipients).to.deep.equal([ADDR.bounce]);
    expect(p.bounceSink.messages).to.deep.equal([]);
    // the local mailboxes: two messages for tester, the non-delivery notification for sender
    expect(readFileSync(path.join(p.mailDir, 'tester'), 'utf8').match(/^From /gm)).to.have.length(2);
    expect(readFileSync(path.join(p.mailDir, 'sender'), 'utf8')).to.match(/^Subject: Undelivered Mail Returned to Sender$/m);
  });

  it('lists the deferred message in postqueue -j, also for a user other than root; flushQueue retries it', async function () {
    const p = pf!;
    const f = facts!;
    let queue: QueueEntry[] = [];
    // qmgr moves the message from active to deferred just after smtp logs status=deferred
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      queue = await p.queueJson();
      if (queue.length === 1 && queue[0]!.queue_name === 'deferred') break;
    }
    expect(queue).to.deep.equal([
      {
        queue_name: 'deferred',
        queue_id: f.qid.deferred,
        arrival_time: queue[0]!.arrival_time,
        message_size: queue[0]!.message_size,
        forced_expire: false,
        sender: ADDR.sender,
        recipients: [
          { address: ADDR.deferred, delay_reason: `connect to 127.0.0.1[127.0.0.1]:${p.closedPort}: Connection refused` },
        ],
      },
    ]);
    expect(Math.abs(queue[0]!.arrival_time - Date.now() / 1000)).to.be.below(60);
    expect(queue[0]!.message_size).to.be.above(300);

    // alternate_config_directories in /etc/postfix/main.cf is what lets non-root users in
    const asNobody = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', POSTQUEUE, '-c', p.etcDir, '-j']);
    expect(asNobody.stderr).to.equal('');
    expect(asNobody.code).to.equal(0);
    expect(JSON.parse(asNobody.stdout.trim()) as QueueEntry).to.deep.include({ queue_id: f.qid.deferred });

    await p.flushQueue();
    const deferredRe = shapes(f).deferred!;
    for (const deadline = Date.now() + 10000; ; await new Promise((r) => setTimeout(r, 50))) {
      const n = p.readLog().split('\n').filter((l) => deferredRe.test(l)).length;
      if (n >= 2) break;
      expect(Date.now(), 'a second delivery attempt after postqueue -f').to.be.below(deadline);
    }
  });

  // pflogsumm's view of that log (the cross-check peer of the ingest benchmark): received counts
  // the five messages smtpd took in (not the bounce notification), delivered the four sent
  // (tester twice, relay.test, and the notification to sender); the deferred message was tried twice.
  it('pflogsumm reads the same log: 5 received, 4 delivered, 1 deferred (2 deferrals), 1 bounced, 1 rejected', async function () {
    const r = await run('pflogsumm', ['--syslog-name=postfix-test', '--no_bounce_detail', '--no_deferral_detail', '--no_reject_detail', '--no_no_msg_size', '--no_smtpd_warnings', '-q', pf!.maillog]);
    expect(r.code, r.stderr).to.equal(0);
    const totals = r.stdout.slice(0, r.stdout.indexOf('Per-Hour Traffic Summary'));
    const count = (label: string) => Number(new RegExp(`^ *(\\d+) +${label}\\b`, 'm').exec(totals)?.[1] ?? NaN);
    expect(
      {
        received: count('received'),
        delivered: count('delivered'),
        deferred: count('deferred'),
        deferrals: Number(/deferred +\((\d+) +deferrals\)/.exec(totals)?.[1] ?? NaN),
        bounced: count('bounced'),
        rejected: count('rejected'),
      },
      totals,
    ).to.deep.equal({ received: 5, delivered: 4, deferred: 1, deferrals: 2, bounced: 1, rejected: 1 });
  });

  it('stops: no process, temporary directory or alternate_config_directories entry left', async function () {
    const p = pf!;
    expect(p.processes().length).to.be.above(0);
    const t0 = Date.now();
    await p.stop();
    expect(Date.now() - t0).to.be.below(10000);
    expect(p.processes()).to.deep.equal([]);
    expect(existsSync(p.dir)).to.equal(false);
    const mainCf = path.join(SYSTEM_CONFIG_DIR, 'main.cf');
    if (existsSync(mainCf)) expect(readFileSync(mainCf, 'utf8')).not.to.include(p.etcDir);
    // the log, kept by stop(), has the stop line (master's own "terminating on signal 15"
    // does not reach maillog_file: postlogd is signalled at the same time)
    const lines = p.readLog().trimEnd().split('\n');
    expect(lines.some((l) => new RegExp(`${HEAD}postfix-script\\[\\d+\\]: stopping the Postfix mail system$`).test(l))).to.equal(true);
    // the sinks are closed
    for (const port of [p.relaySink.port, p.bounceSink.port]) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port });
        s.once('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.once('error', () => resolve(true));
      });
      expect(refused, `sink port ${port} closed`).to.equal(true);
    }
  });

  it('keeps test/fixtures/postfix/real-3.7-e2e.log, real output of this test, with the same shapes', function () {
    if (process.env.MADMAN_UPDATE_FIXTURES === '1') {
      mkdirSync(path.dirname(FIXTURE), { recursive: true });
      writeFileSync(FIXTURE, pf!.readLog()); // the whole log, to master's last line
    }
    expect(existsSync(FIXTURE), `${FIXTURE} (MADMAN_UPDATE_FIXTURES=1 makes it)`).to.equal(true);
    expectShapes(readFileSync(FIXTURE, 'utf8'), GENERIC, FIXTURE);
  });
});
