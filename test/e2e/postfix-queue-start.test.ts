// A quiet real Postfix with deferred mail in its queue, and madman started on it with the
// queue given as its config directory and the log read from its end (no fromStart, no
// checkpoint): the MTA row and its stored figures must be served at once, before Postfix
// logs anything, and the log's next line must land on that same row (docs/postfix.md).

import { expect } from 'chai';
import { MIB_OPTS, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { ADDR, startPostfix, type PostfixServer, type QueueEntry } from '../helpers/postfix-server.js';

/** snmpwalk `-OsQUt` as "column.index" -> value. */
async function walk(target: string, oid: string): Promise<Map<string, string>> {
  const r = await snmp('snmpwalk', [...MIB_OPTS, '-OsQUt', target, oid]);
  expect(r.code, `snmpwalk ${oid}: ${r.stderr}`).to.equal(0);
  const out = new Map<string, string>();
  for (const m of r.stdout.matchAll(/^(\S+) = (.*)$/gm)) if (!/^No Such (Object|Instance)/.test(m[2]!)) out.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
  return out;
}

/** snmpget of several objects, values in order. */
async function get(target: string, ...oids: string[]): Promise<string[]> {
  const r = await snmp('snmpget', [...MIB_OPTS, '-OqvtU', target, ...oids]);
  expect(r.code, `snmpget ${oids.join(' ')}: ${r.stderr}`).to.equal(0);
  return r.stdout.trim().split('\n').map((v) => v.replace(/^"(.*)"$/, '$1'));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const kOctets = (octets: number) => Math.ceil(octets / 1024);

describe('e2e: the MTA of a quiet Postfix and its queue, from the agent start', function () {
  this.timeout(60000);
  let pf: PostfixServer | undefined;
  let ta: TestAgent | undefined;
  let queue: QueueEntry[] = [];
  let app = '';

  before(async function () {
    // a myhostname unlike this machine's name: the row's host must come from main.cf
    pf = await startPostfix({ hostname: 'mx7.queue-start.test' });
    const ids: string[] = [];
    for (const body of ['short', 'a longer body\n'.repeat(200)]) ids.push((await pf.sendMail({ from: ADDR.sender, to: [ADDR.deferred], body })).queueId!);
    for (const id of ids) await pf.waitForLog(new RegExp(`: ${id}: to=<.*status=deferred`));
    for (let i = 0; ; i++) {
      queue = await pf.queueJson();
      if (queue.length === 2 && queue.every((q) => q.queue_name === 'deferred')) break;
      if (i > 100) throw new Error(`queue not settled: ${JSON.stringify(queue)}`);
      await sleep(100);
    }
  });

  after(async function () {
    await ta?.stop();
    await pf?.stop();
  });

  it('serves the MTA (name, version) and postqueue\'s stored figures before any new log line', async function () {
    const p = pf!;
    const postfix = { log: p.maillog, queue: p.etcDir, queueInterval: 1, contentFilterServices: [] };
    ta = await startTestAgent({ settings: { postfix } }); // fromStart false: the log is read from its end
    const target = ta.target;

    const names = await walk(target, 'applName');
    expect([...names.values()]).to.deep.equal(['postfix-test MTA on mx7']);
    app = [...names.keys()][0]!.split('.')[1]!;
    const version = (await p.postconf('-h', 'mail_version')).trim();
    expect(await get(target, `applVersion.${app}`, `applOperStatus.${app}`)).to.deep.equal([`Postfix ${version}`, 'up']);

    // postqueue -c DIR -j counted independently (the helper's own reading)
    const now = await p.queueJson();
    expect(now.map((q) => q.queue_id).sort()).to.deep.equal(queue.map((q) => q.queue_id).sort());
    const stored = await get(target, `mtaStoredMessages.${app}`, `mtaStoredVolume.${app}`, `mtaStoredRecipients.${app}`, `mtaReceivedMessages.${app}`);
    expect(stored).to.deep.equal([
      String(now.length),
      String(kOctets(now.reduce((n, q) => n + q.message_size, 0))),
      String(now.reduce((n, q) => n + q.recipients.length, 0)),
      '0',
    ]);
    // no group yet: the log has not named one (the queue's per-group split needs the log)
    expect((await walk(target, 'mtaGroupName')).size).to.equal(0);

    // and all of it before madman read a single line of the log
    const sources = await walk(target, 'madmanSourceTable');
    const logRow = [...sources].find(([k, v]) => k.startsWith('madmanSourceName.') && v === 'postfix log')![0].split('.')[1]!;
    expect(sources.get(`madmanSourceLines.${logRow}`)).to.equal('0');
  });

  it('the next log line lands on the same application index: no second row', async function () {
    const p = pf!;
    const target = ta!.target;
    const sent = await p.sendMail({ from: ADDR.sender, to: [ADDR.local] });
    await p.waitForLog(new RegExp(`: ${sent.queueId}: removed$`));
    for (let i = 0; ; i++) {
      const [received] = await get(target, `mtaReceivedMessages.${app}`);
      if (received === '1') break;
      if (i > 100) throw new Error(`mtaReceivedMessages.${app} stayed ${received}`);
      await sleep(100);
    }
    expect([...(await walk(target, 'applName')).entries()]).to.deep.equal([[`applName.${app}`, 'postfix-test MTA on mx7']]);
    // the log's groups are this MTA's, and the deferred mail is still stored on it
    const groups = await walk(target, 'mtaGroupName');
    expect(new Set([...groups.keys()].map((k) => k.split('.')[1]))).to.deep.equal(new Set([app]));
    // A queue reading (every second) taken while the new message was still queued counts it
    // too: wait for the first reading after its removal rather than racing the interval.
    for (let i = 0; ; i++) {
      const [stored] = await get(target, `mtaStoredMessages.${app}`);
      if (stored === String(queue.length)) break;
      if (i > 300) throw new Error(`mtaStoredMessages.${app} stayed ${stored}, not ${queue.length}`);
      await sleep(100);
    }
  });
});
