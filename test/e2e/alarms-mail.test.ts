// The mail notice (src/notify/mail.ts) received by a real SMTP server: the private
// Postfix of test/helpers/postfix-server.ts delivers local mail into DIR/mail/NAME, where
// the test reads it. The alarm is a disk alarm whose threshold is above the real free space.

import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import { startTestAgent, type TestAgent } from '../helpers/harness.js';
import { ADDR, startPostfix, type PostfixServer } from '../helpers/postfix-server.js';

/** The Subject header, unfolded and RFC 2047 decoded (nodemailer Q-encodes a long one). */
function subjectOf(message: string): string {
  const head = message.slice(0, message.indexOf('\n\n')).replace(/\n[ \t]+/g, ' ');
  const raw = /^Subject: (.*)$/m.exec(head)?.[1] ?? '';
  return raw
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?([^?]*)\?=/gi, (_m, q: string) =>
      Buffer.from(q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
    );
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('e2e: the alarm mail notice through a real Postfix (issue 5)', function () {
  this.timeout(60000);
  let pf: PostfixServer;
  let ta: TestAgent | undefined;
  let dir: string;

  before(async () => {
    pf = await startPostfix();
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-disk-'));
  });
  after(async () => {
    await ta?.stop();
    await pf?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mails Sun\'s notice: subject ALARM: <description> of "<instance>" is <value>, and its fields', async () => {
    const s = statfsSync(dir);
    const pct = Math.floor((s.bavail * 100) / s.blocks);
    const threshold = pct + 1;
    ta = await startTestAgent({
      settings: {
        disks: { paths: [dir], interval: 60 },
        alarms: { rules: [{ ...ALARM_DEFAULTS.diskavail!, threshold, clearThreshold: threshold }], quotaPercent: 90 },
        notify: { sinks: [], queueSize: 10, mail: { host: '127.0.0.1', port: pf.port, from: ADDR.sender, to: ADDR.local } },
      },
    });
    const box = path.join(pf.mailDir, 'tester');
    let text = '';
    for (const deadline = Date.now() + 20000; !/Number of times/.test(text); await sleep(100)) {
      if (Date.now() > deadline) throw new Error(`no mail in ${box}; log:\n${pf.readLog().slice(-2000)}`);
      if (existsSync(box)) text = readFileSync(box, 'utf8');
    }
    // the notice shows the exact percentage the agent measured, to 2 decimals
    const measured = ta.model.alarms.find('diskavail', dir)!.current!;
    expect(Math.floor(measured)).to.be.oneOf([pct - 1, pct, pct + 1]);
    const shown = String(Math.round(measured * 100) / 100);
    expect(subjectOf(text)).to.equal(`ALARM: percentage mail partition diskspace available of "${dir}" is ${shown}`);
    // the bytes Postfix received: plain ASCII, not RFC 2047 (a filter on ^Subject: ALARM sees
    // it), folded at the space before the instance (the line would pass 78 characters)
    const head = text.slice(0, text.indexOf('\n\n'));
    expect(head).not.to.contain('=?');
    expect(head.split('\n').filter((l, i, all) => l.startsWith('Subject: ') || (i > 0 && all[i - 1]!.startsWith('Subject: ')))).to.deep.equal([
      'Subject: ALARM: percentage mail partition diskspace available of',
      ` "${dir}" is ${shown}`,
    ]);
    expect(text).to.match(/\nFrom: sender@localhost\n/);
    const body = text.slice(text.indexOf('\n\n') + 2).trim().split('\n');
    expect(body[0]).to.equal(`Server instance: madman on ${os.hostname()}`);
    expect(body.slice(1, 4)).to.deep.equal(['Alarmid: diskavail', `Instance: ${dir}`, 'Description: percentage mail partition diskspace available']);
    expect(body[4]).to.match(new RegExp(`^Current measured value \\(\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\\): ${shown.replace('.', '\\.')}$`));
    expect(body.slice(5)).to.deep.equal([
      `Lowest recorded value: ${shown}`,
      `Highest recorded value: ${shown}`,
      'Monitoring interval: 3600 seconds',
      `Alarm condition is when under threshold of ${threshold}`,
      'Number of times under threshold: 1',
    ]);
    expect(ta.agent.alarming.mail!.sent).to.equal(1);
  });

  it('encodes the subject (RFC 2047) only when it is not plain ASCII: an instance named in UTF-8', async () => {
    await ta?.stop();
    ta = undefined;
    const utf = mkdtempSync(path.join(os.tmpdir(), 'madman-disk-é-'));
    try {
      const s = statfsSync(utf);
      const threshold = Math.floor((s.bavail * 100) / s.blocks) + 1;
      ta = await startTestAgent({
        settings: {
          disks: { paths: [utf], interval: 60 },
          alarms: { rules: [{ ...ALARM_DEFAULTS.diskavail!, threshold, clearThreshold: threshold }], quotaPercent: 90 },
          notify: { sinks: [], queueSize: 10, mail: { host: '127.0.0.1', port: pf.port, from: ADDR.sender, to: ADDR.local } },
        },
      });
      const box = path.join(pf.mailDir, 'tester');
      let text = '';
      for (const deadline = Date.now() + 20000; !text.includes(utf.slice(-6)); await sleep(100)) {
        if (Date.now() > deadline) throw new Error(`no second mail in ${box}`);
        if (existsSync(box)) text = readFileSync(box, 'utf8');
      }
      const second = text.slice(text.lastIndexOf('\nFrom ') + 1);
      const head = second.slice(0, second.indexOf('\n\n'));
      expect(head).to.match(/^Subject: =\?UTF-8\?Q\?ALARM/m);
      expect(subjectOf(second)).to.match(new RegExp(`^ALARM: percentage mail partition diskspace available of "${utf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" is [0-9.]+$`));
    } finally {
      rmSync(utf, { recursive: true, force: true });
    }
  });
});
