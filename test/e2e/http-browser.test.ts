// The status page in a real browser: Debian's Chromium, headless, driven by
// puppeteer-core, loads the page of an agent that reads a real Postfix 3.7 log (one
// graph point a second, mail appended while it runs). No console error or failed
// request; the graphs draw their points (data and canvas pixels); every channel figure
// on the page equals the one snmpbulkwalk reads; readable at a phone's width; nothing
// requested from anywhere but the agent (the page works offline). Then hostile text from
// the outside world (a Message-ID in a Messaging Server log line, an SMTP server's reply
// in a probe's reason) is shown as text: no element made of it, no script run.
// Screenshots go to test-artifacts/ (not committed).

import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { settingsFrom } from '../../src/config/config.js';
import { defaultHttpSettings } from '../../src/config/http.js';
import { MIB_OPTS, ROOT, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { until } from '../helpers/probe-support.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const FIXTURE = readFileSync(path.join(ROOT, 'test/fixtures/postfix/real-3.7.log'), 'utf8').split('\n');
const message = (n: number) =>
  FIXTURE.slice(2, 9)
    .map((l) => l.replace(/D045C20E6BC/g, `CD${String(n).padStart(9, '0')}`))
    .join('\n') + '\n';

/** Debian's Chromium, headless, with its own profile under `dir`, asking nothing of the network by itself. */
function launch(dir: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${path.join(dir, 'chromium')}`,
    ],
  });
}

/**
 * Records in `problems` what a sound page never does: a console error or warning, an
 * uncaught error, a failed request, an HTTP error, and any request for something not
 * served by the agent at `origin` (an offline host has nothing else).
 */
function watch(page: Page, origin: string, problems: string[]): void {
  page.on('console', (m) => {
    // (the one warning expected is Chromium's about the tests' own pixel reads)
    if (m.type() === 'error' || (m.type() === 'warn' && !m.text().startsWith('Canvas2D: Multiple readback'))) problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(origin)) problems.push(`request outside the agent: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
}

/** Channel figures as the page shows them: "group/column" -> the exact value (data-value). */
async function pageFigures(page: Page): Promise<Map<string, number>> {
  const cells = await page.$$eval('section.mta tbody tr', (rows) =>
    rows.flatMap((tr) => {
      const group = tr.querySelector('td[data-col="channel"]')?.textContent ?? '';
      return [...tr.querySelectorAll('td[data-value]')].map((td) => [`${group}/${td.getAttribute('data-col')}`, Number(td.getAttribute('data-value'))] as [string, number]);
    }),
  );
  return new Map(cells);
}

describe('status page in headless Chromium (e2e)', function () {
  this.timeout(180_000);
  let dir: string;
  let agent: TestAgent;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let url: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-browser-'));
    copyFileSync(path.join(ROOT, 'test/fixtures/postfix/real-3.7.log'), path.join(dir, 'mail.log'));
    const http = { ...defaultHttpSettings([{ host: '127.0.0.1', port: 0 }]), history: { intervalSeconds: 1, points: 3600 } };
    agent = await startTestAgent({
      stateDir: path.join(dir, 'state'),
      settings: { fromStart: true, postfix: { log: path.join(dir, 'mail.log'), queueInterval: 60, contentFilterServices: [] }, disks: { paths: [dir], interval: 60 }, http },
    });
    url = agent.agent.http!.urls[0]!;
    browser = await launch(dir);
    page = await browser.newPage();
    watch(page, url, problems);
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads without a console error and draws the graphs as mail arrives', async () => {
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('section.mta .chart canvas', { timeout: 60_000 });
    let n = 0;
    // mail arrives until three points of the MTA's history show it (bounded: 90 s)
    await until(
      'three points with mail received',
      async () => {
        appendFileSync(path.join(dir, 'mail.log'), message(++n));
        const h = (await (await fetch(`${url}api/history`)).json()) as { mtas: Array<{ received: Array<number | null> }> };
        return h.mtas[0]!.received.filter((v) => v !== null && v > 0).length >= 3;
      },
      90_000,
    );
    // the page fetches the history every interval: the received line (#1565c0) of the busiest
    // channel, smtpd, gets drawn (on the MTA's chart, transmitted is drawn over it)
    expect(await page.$eval('section.mta .chart[data-key^="c"] h3', (h) => h.textContent)).to.equal('smtpd');
    const blue = () =>
      page.$eval('section.mta .chart[data-key^="c"] canvas', (c) => {
        const cv = c as HTMLCanvasElement;
        const { data } = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height);
        let k = 0;
        for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - 0x15) < 30 && Math.abs(data[i + 1]! - 0x65) < 30 && Math.abs(data[i + 2]! - 0xc0) < 30 && data[i + 3]! > 128) k++;
        return k;
      });
    await until('the received line drawn', async () => (await blue()) > 20, 30_000).catch(async (e: Error) => {
      await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-failed.png'), fullPage: true });
      throw e;
    });
    expect(await page.$eval('section.mta .chart[data-key^="m"]', (e) => Number(e.getAttribute('data-points')))).to.be.at.least(3);
    const graphed = await page.$$eval('section.mta .chart', (cs) => cs.map((c) => c.getAttribute('data-key')));
    expect(graphed[0]).to.match(/^m\d+$/);
    expect(graphed.length).to.be.greaterThan(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-wide.png'), fullPage: true });
    expect(problems).to.deep.equal([]);
  });

  it('shows every channel figure SNMP serves, equal to it', async () => {
    const w = new Map<string, string>();
    // the model stands still (no more mail) once the page and SNMP agree on it
    await until(
      'the page to show the model\'s figures',
      async () => {
        const r = await snmp('snmpbulkwalk', [...MIB_OPTS, '-ObsQUt', agent.target, 'mtaGroupTable']);
        w.clear();
        for (const m of r.stdout.matchAll(/^(\w+)\.(\S+) = (.*)$/gm)) w.set(`${m[1]}.${m[2]}`, m[3]!.replace(/^"(.*)"$/, '$1'));
        const fig = await pageFigures(page);
        let same = fig.size > 0;
        for (const [k, v] of w) {
          if (!k.startsWith('mtaGroupReceivedMessages.')) continue;
          const i = k.slice('mtaGroupReceivedMessages.'.length);
          if (fig.get(`${w.get(`mtaGroupName.${i}`)}/received`) !== Number(v)) same = false;
        }
        return same;
      },
      30_000,
    );
    const fig = await pageFigures(page);
    let compared = 0;
    for (const [k, v] of w) {
      const m = /^mtaGroup(ReceivedMessages|TransmittedMessages|RejectedMessages|StoredMessages|InboundAssociations|OutboundAssociations)\.(.*)$/.exec(k);
      if (!m) continue;
      const col = { ReceivedMessages: 'received', TransmittedMessages: 'transmitted', RejectedMessages: 'rejected', StoredMessages: 'queued', InboundAssociations: 'in', OutboundAssociations: 'out' }[m[1]!]!;
      const name = w.get(`mtaGroupName.${m[2]}`)!;
      expect(fig.get(`${name}/${col}`), `${name} ${col}`).to.equal(Number(v));
      compared++;
    }
    expect(compared).to.equal(fig.size);
    expect(compared).to.be.greaterThan(20);
    const mtaReceived = await page.$eval('section.mta b[id$="-received"]', (b) => Number(b.getAttribute('data-value')));
    const snmpReceived = await snmp('snmpget', [...MIB_OPTS, '-Oqv', agent.target, `mtaReceivedMessages.${[...agent.model.applications.values()].find((a) => a.mta)!.index}`]);
    expect(mtaReceived).to.equal(Number(snmpReceived.stdout.trim()));
    expect(problems).to.deep.equal([]);
  });

  it('is readable on a phone: one column, nothing wider than the screen', async () => {
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('section.mta .chart canvas', { timeout: 60_000 });
    await until('the graphs drawn again', async () => (await page.$eval('section.mta .chart[data-key^="m"]', (e) => Number(e.getAttribute('data-points')))) >= 3, 30_000);
    const m = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
      widest: Math.max(...[...document.querySelectorAll('section.mta .chart')].map((c) => c.getBoundingClientRect().right)),
      columns: new Set([...document.querySelectorAll('section.mta .chart')].map((c) => Math.round(c.getBoundingClientRect().left))).size,
      font: parseFloat(getComputedStyle(document.querySelector('td')!).fontSize),
    }));
    expect(m.scroll, 'no sideways scrolling of the page').to.equal(m.inner);
    expect(m.widest).to.be.at.most(m.inner);
    expect(m.columns, 'graphs in one column').to.equal(1);
    expect(m.font).to.be.at.least(12);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-phone.png'), fullPage: true });
    expect(problems).to.deep.equal([]);
  });
});

describe('status page in headless Chromium: hostile text from logs and servers (e2e)', function () {
  this.timeout(120_000);
  /** an HTML element whose handler would set window.__pwned, were it ever parsed as markup */
  const messageId = '<img/src=x/onerror=window.__pwned=1//@spam.example>';
  const banner = '554 <img/src=x/onerror=window.__pwned=2> go away';
  let dir: string;
  let agent: TestAgent;
  let browser: Browser;
  let smtp: net.Server;
  const problems: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-browser-xss-'));
    // a message whose sender chose its Message-ID, enqueued and never delivered: the queue's oldest
    writeFileSync(
      path.join(dir, 'mail.log_current'),
      `29-Nov-2026 10:00:05.00 tcp_local    ims-ms     E 3 eve@spam.example rfc822;bob@siroe.com bob@ims-ms-daemon /var/queue/ims-ms/000/ZZ09.00 ${messageId}\n`,
    );
    // an SMTP server that greets with markup: the probe's reason quotes it
    smtp = net.createServer((s) => s.end(`${banner}\r\n`));
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const port = (smtp.address() as net.AddressInfo).port;
    const config = path.join(dir, 'madman.yaml');
    writeFileSync(
      config,
      ['stateDir: state', 'fromStart: true', 'sunMta: {log: mail.log_current}', 'probes:', `  - {name: mx, protocol: smtp, host: 127.0.0.1, port: ${port}, interval: 3600}`, 'http: {listen: ["127.0.0.1:0"]}'].join('\n'),
    );
    const s = settingsFrom({ config });
    agent = await startTestAgent({ stateDir: s.stateDir, settings: { ...s, listen: ['udp:127.0.0.1:0'] } });
    browser = await launch(dir);
  });

  after(async () => {
    await browser?.close();
    await agent?.stop();
    await new Promise<void>((r) => smtp?.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a hostile Message-ID and SMTP reply as text: no element, no script, no request', async () => {
    const url = agent.agent.http!.urls[0]!;
    const page = await browser.newPage();
    watch(page, url, problems);
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url().slice(url.length - 1)));
    await page.goto(url, { waitUntil: 'load' });
    const shown = () =>
      page.evaluate(() => ({
        oldest: [...document.querySelectorAll('section.mta .queue b')].map((b) => b.textContent ?? '').find((t) => t.includes('<')) ?? '',
        reason: document.querySelector('#probes-table td[data-col="reason"]')?.textContent ?? '',
      }));
    await until('the queue and the probe shown', async () => {
      const t = await shown();
      return t.oldest !== '' && t.reason.includes('554');
    }, 60_000);
    const t = await shown();
    expect(t.oldest).to.match(new RegExp(`^\\d+ (s|min \\d+ s|h \\d+ min|d \\d+ h) \\(${messageId.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
    expect(t.reason).to.include(banner);
    const dom = await page.evaluate(() => ({
      images: document.querySelectorAll('img').length,
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
      handlers: document.querySelectorAll('[onerror]').length,
    }));
    expect(dom).to.deep.equal({ images: 0, pwned: null, handlers: 0 });
    // the page's own files and JSON, nothing else (an <img src=x> would have asked for /x)
    expect([...new Set(requested)].sort()).to.deep.equal(['/', '/api/history', '/api/status', '/assets/status.css', '/assets/status.js', '/assets/uPlot.min.css', '/assets/uPlot.min.js']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-hostile-text.png'), fullPage: true });
    expect(problems).to.deep.equal([]);
  });
});

