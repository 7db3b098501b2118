// A real Prometheus server scrapes the agent (basic authentication, one scrape a second)
// while mail goes through a real Postfix 3.7 log: its HTTP API then gives a rate for each
// channel the agent has, the counters' exact values, and, after `madman counters clear`,
// a counter reset that rate() and increase() handle (resets() sees it; nothing negative).

import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { defaultHttpSettings } from '../../src/config/http.js';
import { ROOT, run, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { dashboardQueries } from '../helpers/grafana.js';
import { until } from '../helpers/probe-support.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.js';

const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const FIXTURE = readFileSync(path.join(ROOT, 'test/fixtures/postfix/real-3.7.log'), 'utf8').split('\n');
/** One message of the fixture (connect .. removed, delivered locally), under a new queue id. */
const message = (n: number) =>
  FIXTURE.slice(2, 9)
    .map((l) => l.replace(/D045C20E6BC/g, `AB${String(n).padStart(9, '0')}`))
    .join('\n') + '\n';

describe('Prometheus scraping the agent (e2e, real prometheus)', function () {
  this.timeout(240_000);
  let dir: string;
  let agent: TestAgent;
  let prom: PrometheusServer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-prom-'));
    copyFileSync(path.join(ROOT, 'test/fixtures/postfix/real-3.7.log'), path.join(dir, 'mail.log'));
    copyFileSync(path.join(ROOT, 'test/fixtures/sun-mta/mail.log_current'), path.join(dir, 'mail.log_current'));
    const http = { ...defaultHttpSettings([{ host: '127.0.0.1', port: 0 }]), auth: { kinds: ['basic' as const], users: new Map([['prom', 'scrape pass phrase']]), tokens: [] } };
    agent = await startTestAgent({
      stateDir: path.join(dir, 'state'),
      settings: {
        fromStart: true,
        postfix: { log: path.join(dir, 'mail.log'), queueInterval: 60, contentFilterServices: [] },
        sunMta: { log: path.join(dir, 'mail.log_current') },
        http,
      },
    });
    const target = new URL(agent.agent.http!.urls[0]!).host;
    prom = await startPrometheus({ targets: [target], scrapeSeconds: 1, basicAuth: { user: 'prom', password: 'scrape pass phrase' } });
  });

  after(async () => {
    await prom?.stop();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const one = async (q: string) => (await prom.query(q))[0]?.value;

  it('scrapes the agent with basic authentication', async () => {
    await until('prometheus to scrape the agent', async () => (await one('up{job="madman"}')) === 1, 60_000).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await prom.targets())} ${prom.output()}`);
    });
  });

  it('gives rate(madman_mta_group_received_messages_total[1m]) for every channel, non-zero where mail arrives', async () => {
    const pf = () => [...agent.model.applications.values()].find((a) => a.name.startsWith('postfix-test MTA'))!;
    await until('the fixture read', () => pf() !== undefined && pf().mta!.channels.size > 0, 30_000);
    let n = 0;
    // mail keeps arriving (one message every half second, at most two minutes) until the rate shows it
    await until(
      'a non-zero rate for smtpd',
      async () => {
        appendFileSync(path.join(dir, 'mail.log'), message(++n));
        const r = await prom.query('rate(madman_mta_group_received_messages_total{group="smtpd"}[1m])');
        return r.some((s) => s.metric.mta === pf().name && s.value > 0);
      },
      120_000,
    );
    const series = await prom.query('rate(madman_mta_group_received_messages_total[1m])');
    const got = series.map((s) => `${s.metric.mta}/${s.metric.group}`).sort();
    const want: string[] = [];
    for (const app of agent.model.applications.values()) for (const ch of app.mta?.channels.values() ?? []) want.push(`${app.name}/${ch.name}`);
    expect(got).to.deep.equal(want.sort());
    for (const s of series) expect(s.metric).to.include({ job: 'madman', instance: new URL(agent.agent.http!.urls[0]!).host });
  });

  it('stores the exact counter values the model holds', async () => {
    const smtpd = [...[...agent.model.applications.values()].find((a) => a.name.startsWith('postfix-test MTA'))!.mta!.channels.values()].find((c) => c.name === 'smtpd')!;
    // no more mail: the next scrapes settle on the model's figure
    await until('prometheus to hold the model\'s figure', async () => (await one('madman_mta_group_received_messages_total{group="smtpd"}')) === smtpd.receivedMessages, 30_000);
    expect(smtpd.receivedMessages).to.be.greaterThan(3);
  });

  it('sees `madman counters clear` as a counter reset: resets() counts it, increase() stays positive', async () => {
    const q = 'madman_channel_messages_total{counter="received",group="tcp_local"}';
    await until('the Sun channel counters scraped', async () => ((await one(q)) ?? 0) > 0, 30_000);
    const r = await run('node', [CLI, 'counters', 'clear', '--state-dir', path.join(dir, 'state'), '--wait', '30']);
    expect(r.code, r.stderr).to.equal(0);
    await until('the cleared counter scraped', async () => (await one(q)) === 0, 30_000);
    expect(await one(`resets(${q}[5m])`)).to.equal(1);
    const inc = await prom.query(`increase(${q}[5m])`);
    expect(inc).to.have.length(1);
    expect(inc[0]!.value).to.be.at.least(0);
  });

  it('runs every query of the Grafana dashboard; the mail-flow ones return series', async () => {
    for (const q of dashboardQueries()) {
      const expr = q.expr.replace(/\$__rate_interval/g, '1m').replace(/\$(instance|mta)/g, '.*');
      const r = await prom.query(expr);
      // (a filter such as "> 0" may rightly leave nothing)
      if (/received|transmitted|stored_messages|oldest|source_|snmp_in/.test(expr) && !/ (>|==) /.test(expr)) expect(r.length, `${q.where}: ${expr}`).to.be.greaterThan(0);
    }
  });
});
