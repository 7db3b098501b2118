// Issue 13 item 5: with the queue read by a command (`--postfix-queue 'postqueue -c DIR -j'`,
// whose instance madman cannot ask) and the log read from its start, the queue's stored
// figures are there from the first request that sees the MTA: the first queue reading,
// taken before the log has shown the MTA, waits for it instead of being thrown away (the
// next reading is a whole queue interval later: 60 s here).

import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { defaultHttpSettings } from '../../src/config/http.js';
import { parseExposition } from '../helpers/prometheus-text.js';
import { MIB_OPTS, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { ADDR, POSTQUEUE, startPostfix, type PostfixServer, type QueueEntry } from '../helpers/postfix-server.js';
import { until } from '../helpers/probe-support.js';

describe('e2e: the Postfix queue read by a command, from the first request (issue 13 item 5)', function () {
  this.timeout(120_000);
  let pf: PostfixServer;
  let ta: TestAgent | undefined;
  let queue: QueueEntry[] = [];
  let dir = '';

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-queue-command-'));
    pf = await startPostfix();
    for (const to of [[ADDR.deferred], [ADDR.deferred, 'other@remote.test']]) {
      const id = (await pf.sendMail({ from: ADDR.sender, to })).queueId!;
      await pf.waitForLog(new RegExp(`${id}: to=<someone@remote.test>.*status=deferred`));
    }
    await until('two messages deferred', async () => {
      queue = await pf.queueJson();
      return queue.length === 2 && queue.every((q) => q.queue_name === 'deferred');
    }, 20_000);
  });

  after(async () => {
    await ta?.stop();
    await pf?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first GET that sees the MTA has mtaStored* and the smtp group\'s stored figures', async () => {
    const command = `${POSTQUEUE} -c ${pf.etcDir} -j`;
    // the log appears only once the first queue reading is taken: that reading surely
    // comes before the log shows the MTA
    const log = path.join(dir, 'maillog');
    ta = await startTestAgent({ settings: { fromStart: true, postfix: { log, queue: command, queueInterval: 60, contentFilterServices: [] }, http: defaultHttpSettings([{ host: '127.0.0.1', port: 0 }]) } });
    const t = ta.target;
    const queueInput = [...ta.model.inputs.values()].find((i) => i.name === 'postfix queue')!;
    expect(queueInput.lines).to.equal(2);
    expect([...ta.model.applications.values()].length).to.equal(0);
    copyFileSync(pf.maillog, log);
    // GET until the log has shown the MTA: the very request that first sees its row has the figures
    let got: string[] = [];
    await until('the MTA row', async () => {
      const r = await snmp('snmpget', [...MIB_OPTS, '-OqvU', t, 'applName.1', 'mtaStoredMessages.1', 'mtaStoredRecipients.1', 'mtaStoredVolume.1']);
      got = r.stdout.trim().split('\n');
      return r.code === 0 && !/No Such/.test(r.stdout);
    }, 20_000);
    const size = queue.reduce((n, q) => n + q.message_size, 0);
    expect(got).to.deep.equal([`${'postfix-test'} MTA on madman-test`, '2', '3', String(Math.ceil(size / 1024))]);
    // per group: the transport that last tried them, and when qmgr runs them next
    const walking = Date.now();
    const r = await snmp('snmpwalk', [...MIB_OPTS, '-OsQU', t, 'mtaGroupTable']);
    const smtp = /^mtaGroupName\.(1\.\d+) = "?smtp"?$/m.exec(r.stdout)![1]!;
    expect(new RegExp(`^mtaGroupStoredMessages\\.${smtp.replace('.', '\\.')} = 2$`, 'm').test(r.stdout), r.stdout).to.equal(true);
    expect(new RegExp(`^mtaGroupStoredRecipients\\.${smtp.replace('.', '\\.')} = 3$`, 'm').test(r.stdout), r.stdout).to.equal(true);
    const walked = Date.now();
    const retry = Number(new RegExp(`^mtaGroupScheduledRetry\\.${smtp.replace('.', '\\.')} = (\\d+)$`, 'm').exec(r.stdout)![1]);
    expect(retry).to.be.within(1, 30_100);
    // /metrics gives the same moment as an epoch time (issue 16): SNMP's centiseconds from the walk
    const e = parseExposition(await (await fetch(`${ta.agent.http!.urls[0]!}metrics`)).text());
    const at = e.samples.filter((s) => s.name === 'madman_mta_group_scheduled_retry_time_seconds').map((s) => [s.labels.group, s.value] as const);
    expect(at.map(([g]) => g)).to.deep.equal(['smtp']);
    expect(Math.floor((Math.round(at[0]![1] * 1000) - walking) / 10)).to.be.at.least(retry);
    expect(Math.floor((Math.round(at[0]![1] * 1000) - walked) / 10)).to.be.at.most(retry);
  });
});
