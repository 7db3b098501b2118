// /metrics against SNMP, figure by figure: one agent reads a real Postfix 3.7 log and a
// Messaging Server MTA log from their start (each followed by the columns fixture of
// issue 13: loops, conversions, internal errors, so those figures are not all 0), watches
// a disk, reads a Dovecot log and probes a real HTTP server; the real snmpbulkwalk reads its tables and every figure is looked up in a
// scrape of the same agent (counts equal; octets in K-octets rounded up; ms and MiB as
// the MIB has them). Then a restart on the same state directory: no counter goes back.

import { copyFileSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { settingsFrom } from '../../src/config/config.js';
import { COUNTER_KINDS } from '../../src/model/channel-counters.js';
import { MIB_OPTS, ROOT, snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { until } from '../helpers/probe-support.js';
import { parseExposition, promtoolCheck, type Exposition } from '../helpers/prometheus-text.js';

const POSTFIX_LOG = path.join(ROOT, 'test/fixtures/postfix/real-3.7.log');
const SUN_LOG = path.join(ROOT, 'test/fixtures/sun-mta/mail.log_current');
/** the logs that follow them, later in time: every MTA-MIB column a source fills */
const POSTFIX_COLUMNS = path.join(ROOT, 'test/fixtures/postfix/columns-3.7.log');
const SUN_COLUMNS = path.join(ROOT, 'test/fixtures/sun-mta/columns.log');
/** Dovecot 2.2 to 2.3.21 wordings: logins good and failed, connections, of four services */
const DOVECOT_LOG = path.join(ROOT, 'test/fixtures/dovecot/formats.log');

/** column -> index ("1.2") -> value, from snmpbulkwalk -ObsQUt (numeric indexes, raw values). */
type Walk = Map<string, Map<string, string>>;

async function walk(target: string, ...oids: string[]): Promise<Walk> {
  const out: Walk = new Map();
  for (const oid of oids) {
    const r = await snmp('snmpbulkwalk', [...MIB_OPTS, '-ObsQUte', target, oid]);
    expect(r.code, `snmpbulkwalk ${oid}: ${r.stderr}`).to.equal(0);
    for (const m of r.stdout.matchAll(/^([A-Za-z0-9]+)\.?(\S*) = (.*)$/gm)) {
      if (/^No (Such|more)/.test(m[3]!)) continue;
      if (!out.has(m[1]!)) out.set(m[1]!, new Map());
      out.get(m[1]!)!.set(m[2]!, m[3]!.replace(/^"(.*)"$/, '$1'));
    }
  }
  return out;
}

async function scrape(url: string): Promise<{ text: string; e: Exposition }> {
  const r = await fetch(`${url}metrics`);
  expect(r.status).to.equal(200);
  expect(r.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  const text = await r.text();
  return { text, e: parseExposition(text) };
}

/** "5.1.1" from mtaGroupErrorTable's index 5001001. */
const codeOf = (n: number) => `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;

describe('HTTP /metrics equals SNMP, figure by figure (e2e)', function () {
  this.timeout(120_000);
  let dir: string;
  let config: string;
  let agent: TestAgent | undefined;
  let probed: http.Server;
  let url: string;

  const start = async () => {
    const s = settingsFrom({ config });
    agent = await startTestAgent({ stateDir: s.stateDir, settings: { ...s, listen: ['udp:127.0.0.1:0'] } });
    url = agent.agent.http!.urls[0]!;
  };
  const linesRead = (name: string) => [...agent!.model.inputs.values()].find((i) => i.name === name)?.lines ?? -1;
  const allRead = async () => {
    const pf = readFileSync(path.join(dir, 'mail.log'), 'utf8').trimEnd().split('\n').length;
    const sun = readFileSync(path.join(dir, 'mail.log_current'), 'utf8').trimEnd().split('\n').length;
    const dovecot = readFileSync(path.join(dir, 'dovecot.log'), 'utf8').trimEnd().split('\n').length;
    await until('the logs read and the probe checked', () => linesRead('postfix log') === pf && linesRead('sun-mta log') === sun && linesRead('dovecot log') === dovecot && [...agent!.model.checks.values()].every((c) => c.checks === 1), 60_000);
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-http-snmp-'));
    copyFileSync(POSTFIX_LOG, path.join(dir, 'mail.log'));
    copyFileSync(SUN_LOG, path.join(dir, 'mail.log_current'));
    appendFileSync(path.join(dir, 'mail.log'), readFileSync(POSTFIX_COLUMNS));
    appendFileSync(path.join(dir, 'mail.log_current'), readFileSync(SUN_COLUMNS));
    copyFileSync(DOVECOT_LOG, path.join(dir, 'dovecot.log'));
    probed = http.createServer((_q, r) => r.end('ok\n'));
    await new Promise<void>((r) => probed.listen(0, '127.0.0.1', r));
    const port = (probed.address() as { port: number }).port;
    config = path.join(dir, 'madman.yaml');
    writeFileSync(
      config,
      [
        'stateDir: state',
        'fromStart: true',
        'postfix: {log: mail.log}',
        'sunMta: {log: mail.log_current, application: msg-test MTA on golden}',
        // (no doveadm here: quotas and the `doveadm who` cross-check off; quotas are in the unit test)
        'dovecot: {log: dovecot.log, quotaInterval: 0, whoInterval: 0}',
        // read once: the model must not move between the walk and the scrape
        `disks: {paths: [${dir}], interval: 3600}`,
        'probes:',
        `  - {name: web, protocol: http, url: "http://127.0.0.1:${port}/", interval: 3600}`,
        'http: {listen: ["127.0.0.1:0"]}',
      ].join('\n'),
    );
    await start();
    await allRead();
  });

  after(async () => {
    await agent?.stop();
    await new Promise<void>((r) => probed.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves every MTA-MIB, NETWORK-SERVICES-MIB and MADMAN-MIB figure with the value SNMP gives', async () => {
    const t = agent!.target;
    const walkStart = Date.now();
    const w = await walk(t, 'applTable', 'mtaTable', 'mtaGroupTable', 'mtaGroupErrorTable', 'madmanChannelTable', 'madmanChannelCounterTable', 'madmanServiceTable', 'madmanSourceTable', 'madmanDiskTable', 'madmanProbeTable', 'madmanProbePhaseTable', 'madmanAlarmTable', 'madmanAgent');
    const walkEnd = Date.now();
    const { e } = await scrape(url);
    let compared = 0;
    const col = (c: string) => {
      const m = w.get(c);
      expect(m, `walk has ${c}`).to.not.equal(undefined);
      return m!;
    };
    /** the samples of `metric`, by a key made of their labels */
    const samples = (metric: string, key: (l: Record<string, string>) => string) => {
      const m = new Map<string, number>();
      for (const s of e.samples) if (s.name === metric) m.set(key(s.labels), s.value);
      return m;
    };
    const check = (metric: string, column: string, key: (l: Record<string, string>) => string, index: (i: string) => string, conv: (v: number) => number = (v) => v) => {
      const got = samples(metric, key);
      const want = col(column);
      expect(got.size, `${metric}: one sample per ${column} row`).to.equal(want.size);
      for (const [i, v] of want) {
        const k = index(i);
        expect(got.has(k), `${metric} has ${k}`).to.equal(true);
        expect(conv(got.get(k)!), `${metric}{${k}} against ${column}.${i}`).to.equal(Number(v));
        compared++;
      }
    };
    const appName = (i: string) => col('applName').get(i.split('.')[0]!)!;
    const groupName = (i: string) => col('mtaGroupName').get(i.split('.').slice(0, 2).join('.'))!;
    const kb = (v: number) => Math.ceil(v / 1024);

    // applTable
    const byApp = (l: Record<string, string>) => l.application!;
    for (const [m, c] of [
      ['madman_application_inbound_associations', 'applInboundAssociations'],
      ['madman_application_outbound_associations', 'applOutboundAssociations'],
      ['madman_application_inbound_associations_total', 'applAccumulatedInboundAssociations'],
      ['madman_application_outbound_associations_total', 'applAccumulatedOutboundAssociations'],
      ['madman_application_rejected_inbound_associations_total', 'applRejectedInboundAssociations'],
      ['madman_application_failed_outbound_associations_total', 'applFailedOutboundAssociations'],
    ] as const) check(m, c, byApp, appName);
    const statuses = ['up', 'down', 'halted', 'congested', 'restarting', 'quiescing'];
    for (const [i, v] of col('applOperStatus')) {
      const cur = samples('madman_application_status', (l) => `${l.application}/${l.status}`);
      for (const s of statuses) expect(cur.get(`${appName(i)}/${s}`)).to.equal(s === statuses[Number(v) - 1] ? 1 : 0);
      compared++;
    }

    // mtaTable
    const byMta = (l: Record<string, string>) => l.mta!;
    for (const [m, c, conv] of [
      ['madman_mta_received_messages_total', 'mtaReceivedMessages'],
      ['madman_mta_stored_messages', 'mtaStoredMessages'],
      ['madman_mta_transmitted_messages_total', 'mtaTransmittedMessages'],
      ['madman_mta_received_bytes_total', 'mtaReceivedVolume', kb],
      ['madman_mta_stored_bytes', 'mtaStoredVolume', kb],
      ['madman_mta_transmitted_bytes_total', 'mtaTransmittedVolume', kb],
      ['madman_mta_received_recipients_total', 'mtaReceivedRecipients'],
      ['madman_mta_stored_recipients', 'mtaStoredRecipients'],
      ['madman_mta_transmitted_recipients_total', 'mtaTransmittedRecipients'],
      ['madman_mta_successful_converted_messages_total', 'mtaSuccessfulConvertedMessages'],
      ['madman_mta_failed_converted_messages_total', 'mtaFailedConvertedMessages'],
      ['madman_mta_loops_detected_total', 'mtaLoopsDetected'],
    ] as const) check(m, c, byMta, appName, conv);

    // mtaGroupTable
    const byGroup = (l: Record<string, string>) => `${l.mta}/${l.group}`;
    const groupKey = (i: string) => `${appName(i)}/${groupName(i)}`;
    const G = 'madman_mta_group_';
    for (const [m, c, conv] of [
      ['received_messages_total', 'mtaGroupReceivedMessages'],
      ['rejected_messages_total', 'mtaGroupRejectedMessages'],
      ['stored_messages', 'mtaGroupStoredMessages'],
      ['transmitted_messages_total', 'mtaGroupTransmittedMessages'],
      ['received_bytes_total', 'mtaGroupReceivedVolume', kb],
      ['stored_bytes', 'mtaGroupStoredVolume', kb],
      ['transmitted_bytes_total', 'mtaGroupTransmittedVolume', kb],
      ['received_recipients_total', 'mtaGroupReceivedRecipients'],
      ['stored_recipients', 'mtaGroupStoredRecipients'],
      ['transmitted_recipients_total', 'mtaGroupTransmittedRecipients'],
      ['inbound_associations', 'mtaGroupInboundAssociations'],
      ['outbound_associations', 'mtaGroupOutboundAssociations'],
      ['inbound_associations_total', 'mtaGroupAccumulatedInboundAssociations'],
      ['outbound_associations_total', 'mtaGroupAccumulatedOutboundAssociations'],
      ['rejected_inbound_associations_total', 'mtaGroupRejectedInboundAssociations'],
      ['failed_outbound_associations_total', 'mtaGroupFailedOutboundAssociations'],
      ['successful_converted_messages_total', 'mtaGroupSuccessfulConvertedMessages'],
      ['failed_converted_messages_total', 'mtaGroupFailedConvertedMessages'],
      ['loops_detected_total', 'mtaGroupLoopsDetected'],
    ] as const) check(G + m, c, byGroup, groupKey, conv);
    // ages: the walk and the scrape are moments apart, so within the seconds between them
    const ages = samples(`${G}oldest_message_age_seconds`, byGroup);
    for (const [i, v] of col('mtaGroupOldestMessageStored')) {
      const got = ages.get(groupKey(i))!;
      if (Number(v) === 0) expect(got).to.equal(0);
      else expect(got * 100 - Number(v)).to.be.within(0, 3000);
      compared++;
    }

    // times: SNMP's centiseconds since (or until) a moment of the walk; /metrics the moment itself
    const sum = (c: string) => [...col(c).values()].reduce((n, v) => n + Number(v), 0);
    for (const [m, c, until] of [
      ['last_inbound_activity_time_seconds', 'mtaGroupLastInboundActivity', false],
      ['last_outbound_activity_time_seconds', 'mtaGroupLastOutboundActivity', false],
      ['last_outbound_association_attempt_time_seconds', 'mtaGroupLastOutboundAssociationAttempt', false],
      ['scheduled_retry_time_seconds', 'mtaGroupScheduledRetry', true],
    ] as const) {
      const got = samples(G + m, byGroup);
      const interval = (at: number, t: number) => Math.max(0, Math.floor((until ? t - at : at - t) / 10));
      let known = 0;
      for (const [i, v] of col(c)) {
        const t = got.get(groupKey(i));
        if (t === undefined) expect(Number(v), `${c}.${i}: no time, 0`).to.equal(0);
        else {
          known++;
          const [a, b] = [interval(walkStart, Math.round(t * 1000)), interval(walkEnd, Math.round(t * 1000))].sort((x, y) => x - y);
          expect(Number(v), `${G}${m}{${groupKey(i)}} against ${c}.${i}`).to.be.within(a!, b!);
        }
        compared++;
      }
      expect(got.size, `${G}${m}: only groups of the walk`).to.equal(known);
      if (!until) expect(known, `${m}: some known`).to.be.greaterThan(0);
    }
    // the columns issue 13 filled are in the comparisons above and below with values that are not 0
    for (const c of ['mtaGroupLoopsDetected', 'mtaGroupSuccessfulConvertedMessages', 'mtaGroupFailedConvertedMessages', 'mtaGroupInternalErrorCount', 'mtaLoopsDetected'])
      expect(sum(c), `${c} not all 0`).to.be.greaterThan(0);

    // mtaGroupErrorTable: the codes, and the 4.0.0 / 5.0.0 class totals apart
    const errs = samples(`${G}errors_total`, (l) => `${l.mta}/${l.group}/${l.code}/${l.direction}`);
    const classes = samples(`${G}class_errors_total`, (l) => `${l.mta}/${l.group}/${l.class}.0.0/${l.direction}`);
    let codes = 0;
    for (const [c, dir] of [
      ['mtaGroupInboundErrorCount', 'inbound'],
      ['mtaGroupInternalErrorCount', 'internal'],
      ['mtaGroupOutboundErrorCount', 'outbound'],
    ] as const) {
      for (const [i, v] of col(c)) {
        const code = codeOf(Number(i.split('.')[2]));
        const k = `${groupKey(i)}/${code}/${dir}`;
        const got = /^[45]\.0\.0$/.test(code) ? classes.get(k) : errs.get(k);
        expect(got, `${k} against ${c}.${i}`).to.equal(Number(v));
        compared++;
        codes++;
      }
    }
    expect(errs.size + classes.size).to.equal(codes);
    expect(codes, 'the logs have errors').to.be.greaterThan(0);

    // madmanChannelCounterTable (imsimta counters), index app.group.kind
    const CH = 'madman_channel_';
    const kind = (i: string) => COUNTER_KINDS[Number(i.split('.')[2]) - 1]!;
    const counterKey = (i: string) => `${groupKey(i)}/${kind(i)}`;
    for (const [unit, c] of [
      ['messages', 'madmanChannelCounterAbsMessages'],
      ['recipients', 'madmanChannelCounterAbsRecipients'],
      ['blocks', 'madmanChannelCounterAbsBlocks'],
    ] as const) {
      const total = samples(`${CH}${unit}_total`, (l) => `${l.mta}/${l.group}/${l.counter}`);
      const stored = samples(`${CH}stored_${unit}`, (l) => `${l.mta}/${l.group}/stored`);
      for (const [i, v] of col(c)) {
        expect((kind(i) === 'stored' ? stored : total).get(counterKey(i)), `${counterKey(i)} ${unit}`).to.equal(Number(v));
        compared++;
      }
    }
    for (const [m, c] of [
      ['delivered_first_time_total', 'madmanChannelDeliveredFirstTime'],
      ['queue_count_total', 'madmanChannelQueueCount'],
      ['in_associations_total', 'madmanChannelInAssocs'],
      ['out_associations_total', 'madmanChannelOutAssocs'],
    ] as const) check(CH + m, c, byGroup, groupKey);
    check(`${CH}queue_seconds_total`, 'madmanChannelQueueTime', byGroup, groupKey, Math.round);

    // madmanServiceTable (Dovecot)
    const serviceName = (i: string) => col('madmanServiceName').get(i)!;
    const byService = (l: Record<string, string>) => l.service!;
    const logins = samples('madman_service_logins_total', (l) => `${l.service}/${l.result}`);
    expect(logins.size, 'a good and a failed series per service').to.equal(2 * col('madmanServiceName').size);
    for (const [c, result] of [
      ['madmanServiceNumGoodLogins', 'good'],
      ['madmanServiceNumFailedLogins', 'failed'],
    ] as const) {
      for (const [i, v] of col(c)) {
        expect(logins.get(`${serviceName(i)}/${result}`), `${c}.${i}`).to.equal(Number(v));
        compared++;
      }
    }
    for (const [m, c] of [
      ['madman_service_connections_total', 'madmanServiceNumConnections'],
      ['madman_service_failed_connections_total', 'madmanServiceNumFailedConnections'],
      ['madman_service_current_connections', 'madmanServiceNumCurrentConnections'],
      ['madman_service_max_connections', 'madmanServiceMaxConnections'],
    ] as const) check(m, c, byService, serviceName);
    expect(sum('madmanServiceNumGoodLogins') * sum('madmanServiceNumFailedLogins'), 'logins of both results').to.be.greaterThan(0);

    // sources, disks, probes, alarms, the agent
    const sourceName = (i: string) => col('madmanSourceName').get(i)!;
    check('madman_source_lines_total', 'madmanSourceLines', (l) => l.source!, sourceName);
    check('madman_source_unparsed_lines_total', 'madmanSourceUnparsedLines', (l) => l.source!, sourceName);
    const diskPath = (i: string) => col('madmanDiskPath').get(i)!;
    check('madman_disk_size_bytes', 'madmanDiskTotalMBytes', (l) => l.path!, diskPath, (v) => Math.floor(v / 1048576));
    check('madman_disk_available_bytes', 'madmanDiskAvailMBytes', (l) => l.path!, diskPath, (v) => Math.floor(v / 1048576));
    const probe = (i: string) => col('madmanProbeName').get(i.split('.')[0]!)!;
    check('madman_probe_checks_total', 'madmanProbeChecks', (l) => l.probe!, probe);
    check('madman_probe_failures_total', 'madmanProbeFailures', (l) => l.probe!, probe);
    check('madman_probe_consecutive_failures', 'madmanProbeConsecutiveFailures', (l) => l.probe!, probe);
    check('madman_probe_response_time_seconds', 'madmanProbeResponseTime', (l) => l.probe!, probe, (v) => Math.round(v * 1000));
    const phaseName = (i: string) => `${probe(i)}/${col('madmanProbePhaseName').get(i)}`;
    check('madman_probe_phase_seconds', 'madmanProbePhaseTime', (l) => `${l.probe}/${l.phase}`, phaseName, (v) => Math.round(v * 1000));
    // the one successful check is the histogram's one observation
    expect(samples('madman_probe_response_seconds_count', (l) => l.probe!).get(probe('1'))).to.equal(1);
    expect(samples('madman_probe_response_seconds_sum', (l) => l.probe!).get(probe('1'))).to.equal(samples('madman_probe_response_time_seconds', (l) => l.probe!).get(probe('1')));
    const alarm = (i: string) => `${col('madmanAlarmId').get(i)}/${col('madmanAlarmInstance').get(i)}`;
    const byAlarm = (l: Record<string, string>) => `${l.alarm}/${l.instance}`;
    check('madman_alarm_over_threshold_total', 'madmanAlarmCountOverThreshold', byAlarm, alarm);
    check('madman_alarm_warnings_sent_total', 'madmanAlarmCountWarningSent', byAlarm, alarm);
    check('madman_alarm_threshold', 'madmanAlarmThreshold', byAlarm, alarm, Math.round);
    check('madman_alarm_raised', 'madmanAlarmWarningState', byAlarm, alarm, (v) => (v ? 1 : 2));
    expect(e.samples.find((s) => s.name === 'madman_agent_indexed_objects')!.value).to.equal(Number(col('madmanAgentIndexedObjects').get('0')));
    expect(e.samples.find((s) => s.name === 'madman_agent_encode_errors_total')!.value).to.equal(Number(col('madmanAgentEncodeErrors').get('0')));
    expect(compared, "figures compared").to.be.greaterThan(350);
  });

  it('passes Prometheus\' own linter: `promtool check metrics` has nothing to say of a scrape', async () => {
    // the listener counts a request once answered: a later render has its counter's series too
    let got = await scrape(url);
    await until('a scrape with the HTTP request counter', async () => (got = await scrape(url)).e.samples.some((s) => s.name === 'madman_http_requests_total'), 10_000);
    const { text, e } = got;
    // every kind of family is in it: counters, gauges, the probe histogram, info, SNMP, USM and HTTP counters
    for (const n of ['madman_probe_response_seconds_bucket', 'madman_snmp_usm_wrong_digests_total', 'madman_http_requests_total', 'madman_alarm_raised', 'madman_disk_size_bytes', 'madman_mta_group_errors_total'])
      expect(e.samples.some((s) => s.name === n), n).to.equal(true);
    const lint = await promtoolCheck(text);
    expect(lint.output).to.equal('');
    expect(lint.code).to.equal(0);
  });

  it('reports the agent\'s own SNMP counters (snmpInPkts counts the walk just made)', async () => {
    const before = Number((await snmp('snmpget', [...MIB_OPTS, '-Oqv', agent!.target, 'snmpInPkts.0'])).stdout);
    // the get is counted before it is answered, so the value it read includes itself, and no
    // packet comes after it; a scrape within 250 ms of the previous one is that one again
    await until('the scrape to show the get', async () => (await scrape(url)).e.samples.find((s) => s.name === 'madman_snmp_in_packets_total')!.value === before, 10_000);
    const { e } = await scrape(url);
    expect(e.samples.find((s) => s.name === 'madman_snmp_in_packets_total')!.value).to.equal(before);
    expect(e.samples.find((s) => s.name === 'madman_snmp_in_bad_versions_total')!.value).to.equal(0);
  });

  it('keeps every counter across a restart (the checkpoint), and counts on from there', async () => {
    const counters = (e: Exposition) => {
      const m = new Map<string, number>();
      for (const s of e.samples) if (e.types.get(s.name) === 'counter' && !/^madman_(snmp|agent|http|probe)_/.test(s.name)) m.set(`${s.name}${JSON.stringify(s.labels)}`, s.value);
      return m;
    };
    const before = counters((await scrape(url)).e);
    expect(before.size).to.be.greaterThan(100);
    await agent!.stop();
    await start();
    await allRead();
    const after = counters((await scrape(url)).e);
    for (const [k, v] of before) {
      // the mail counters come back exactly from the checkpoints; the alarms are measured
      // anew at start (a restored queue may raise one), so theirs may only have grown; Dovecot's
      // service counters are checkpointed with its log position, so exact too
      if (/^madman_(mta|channel|source|application|service)_/.test(k)) expect(after.get(k), k).to.equal(v);
      else expect(after.get(k), k).to.be.at.least(v);
    }
    // one more message through the Postfix log: its counters move on from the restored values
    const lines = readFileSync(POSTFIX_LOG, 'utf8').split('\n').slice(2, 9).map((l) => l.replace(/D045C20E6BC/g, 'ABCDEF12345'));
    appendFileSync(path.join(dir, 'mail.log'), `${lines.join('\n')}\n`);
    await allRead();
    const k = (n: string) => [...before.keys()].find((x) => x.startsWith(`${n}{`) && x.includes('"group":"smtpd"') && x.includes('postfix'))!;
    const received = k('madman_mta_group_received_messages_total');
    // (a scrape within 250 ms of the previous one is that one again)
    await until('the new message scraped', async () => counters((await scrape(url)).e).get(received) !== before.get(received), 10_000);
    const next = counters((await scrape(url)).e);
    expect(next.get(received)).to.equal(before.get(received)! + 1);
  });
});
