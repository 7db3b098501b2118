// /metrics from a model built by hand: names, labels and exact values of what the e2e
// test cannot easily make happen (Dovecot services and quotas, error class totals kept
// apart from the codes, the probe histogram, label escaping, the imsimta counters after
// a clear), and the exposition read back by an independent parser.

import { expect } from 'chai';
import { agentMetrics } from '../../src/http/metrics.js';
import { renderMetrics } from '../../src/http/metric-kit.js';
import { channelCountersOf, addTo, resetCounters } from '../../src/model/channel-counters.js';
import { observeResponse } from '../../src/model/checks.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import { SnmpStats } from '../../src/snmp/udp-agent.js';
import { UsmStats } from '../../src/snmp/usm/usm.js';
import { parseExposition, promtoolCheck, valueOf, type Exposition } from '../helpers/prometheus-text.js';

async function scrape(model: MailSystem, now = 1_800_000_000_000): Promise<Exposition> {
  const stats = new SnmpStats();
  stats.inPkts = 12;
  const m = agentMetrics(model, { version: '9.8.7', startedAt: now - 5000, stats, instances: () => 321 }, () => now);
  return parseExposition(await renderMetrics(m.registry));
}

describe('HTTP /metrics from the model', () => {
  it('serves services, logins by result and quotas in bytes', async () => {
    const model = new MailSystem();
    model.services.set(1, { index: 1, name: 'dovecot imap', service: 'imap', maxConnections: 9, numConnections: 40, numCurrentConnections: 3, numFailedConnections: 2, numFailedLogins: 5, numGoodLogins: 33 });
    model.quotas.set(1, { index: 1, user: 'ann@example.org', storageKb: 2048, storageLimitKb: 4096, messages: 10, readAt: 0, over: false });
    model.quotas.set(2, { index: 2, user: 'bob@example.org', storageKb: 1, messages: 1, readAt: 0, over: true });
    const e = await scrape(model);
    expect(valueOf(e, 'madman_service_logins_total', { service: 'dovecot imap', result: 'good' })).to.equal(33);
    expect(valueOf(e, 'madman_service_logins_total', { service: 'dovecot imap', result: 'failed' })).to.equal(5);
    expect(valueOf(e, 'madman_service_connections_total')).to.equal(40);
    expect(valueOf(e, 'madman_service_current_connections')).to.equal(3);
    expect(valueOf(e, 'madman_quota_storage_used_bytes', { user: 'ann@example.org' })).to.equal(2048 * 1024);
    expect(valueOf(e, 'madman_quota_storage_limit_bytes', { user: 'ann@example.org' })).to.equal(4096 * 1024);
    // unlimited: no limit series at all, rather than a 0 that reads as "full"
    expect(e.samples.filter((s) => s.name === 'madman_quota_storage_limit_bytes').map((s) => s.labels.user)).to.deep.equal(['ann@example.org']);
    expect(valueOf(e, 'madman_quota_over', { user: 'bob@example.org' })).to.equal(1);
    expect(e.types.get('madman_service_logins_total')).to.equal('counter');
    expect(e.types.get('madman_quota_messages')).to.equal('gauge');
  });

  it('keeps the 4.0.0/5.0.0 class totals out of the per-code metric, and escapes label values', async () => {
    const model = new MailSystem();
    const app = model.addApplication('postfix "edge" MTA on mx\\1');
    const ch = model.addChannel(app, 'smtp');
    model.countError(ch, '5.1.1', 'outbound', 3);
    model.countError(ch, '5.7.1', 'inbound', 1);
    model.countError(ch, '4.4.1', 'outbound', 2);
    const e = await scrape(model);
    const codes = e.samples.filter((s) => s.name === 'madman_mta_group_errors_total' && s.value > 0).map((s) => `${s.labels.code} ${s.labels.direction} ${s.value}`);
    expect(codes.sort()).to.deep.equal(['4.4.1 outbound 2', '5.1.1 outbound 3', '5.7.1 inbound 1']);
    expect(e.samples.filter((s) => s.name === 'madman_mta_group_errors_total' && /\.0\.0$/.test(s.labels.code!))).to.deep.equal([]);
    expect(valueOf(e, 'madman_mta_group_class_errors_total', { class: '5', direction: 'outbound' })).to.equal(3);
    expect(valueOf(e, 'madman_mta_group_class_errors_total', { class: '5', direction: 'inbound' })).to.equal(1);
    expect(valueOf(e, 'madman_mta_group_class_errors_total', { class: '4', direction: 'outbound' })).to.equal(2);
    expect(e.samples.find((s) => s.name === 'madman_mta_group_class_errors_total')!.labels.mta).to.equal('postfix "edge" MTA on mx\\1');
  });

  it('serves mtaGroupScheduledRetry and the last outbound attempt as epoch times, absent while unknown', async () => {
    const now = 1_800_000_000_000;
    const model = new MailSystem();
    const app = model.addApplication('postfix MTA on mx');
    const smtp = model.addChannel(app, 'smtp');
    model.addChannel(app, 'local');
    smtp.scheduledRetryAt = now + 299_990;
    smtp.lastOutboundAssociationAttempt = now - 12_340;
    const e = await scrape(model, now);
    const G = 'madman_mta_group_';
    expect(valueOf(e, `${G}scheduled_retry_time_seconds`, { group: 'smtp' })).to.equal(1_800_000_299.99);
    expect(valueOf(e, `${G}last_outbound_association_attempt_time_seconds`, { group: 'smtp' })).to.equal(1_799_999_987.66);
    // nothing deferred, never tried: no series (SNMP's 0 would read as "now" or 1970)
    for (const n of ['scheduled_retry_time_seconds', 'last_outbound_association_attempt_time_seconds']) {
      expect(e.samples.filter((x) => x.name === G + n).map((x) => x.labels.group), n).to.deep.equal(['smtp']);
      expect(e.types.get(G + n)).to.equal('gauge');
    }
  });

  it('serves the probe histogram from the model, cumulative, with sum and count', async () => {
    const model = new MailSystem();
    model.checks.set(4, { index: 4, name: 'mx smtp on 127.0.0.1', protocol: 'smtp', target: '127.0.0.1:25', status: 'ok', phases: [{ name: 'connect', ms: 1.5 }], reason: '', consecutiveFailures: 0, responseMs: 30 });
    const c = model.checks.get(4)!;
    for (const ms of [3, 30, 30, 700, 45_000]) observeResponse(c, ms);
    const e = await scrape(model);
    const b = (le: string) => valueOf(e, 'madman_probe_response_seconds_bucket', { probe: c.name, le });
    expect([b('0.005'), b('0.025'), b('0.05'), b('1'), b('30'), b('+Inf')]).to.deep.equal([1, 1, 3, 4, 4, 5]);
    expect(valueOf(e, 'madman_probe_response_seconds_count')).to.equal(5);
    expect(valueOf(e, 'madman_probe_response_seconds_sum')).to.be.closeTo(45.763, 1e-9);
    expect(e.types.get('madman_probe_response_seconds')).to.equal('histogram');
    expect(valueOf(e, 'madman_probe_phase_seconds', { phase: 'connect' })).to.equal(0.0015);
    expect(valueOf(e, 'madman_probe_status', { status: 'ok' })).to.equal(1);
    expect(valueOf(e, 'madman_probe_status', { status: 'critical' })).to.equal(0);
  });

  it('shows `counters clear` of the imsimta counters as a drop to 0, and the agent\'s figures', async () => {
    const model = new MailSystem();
    const app = model.addApplication('msg MTA on mx');
    const ch = model.addChannel(app, 'tcp_local');
    const cc = channelCountersOf(model).of(app.index, ch.index, ch.name, 0);
    addTo(cc, 'received', 4, 6, 10);
    addTo(cc, 'stored', -2, -2, -3); // queued before the reset, dequeued after: Sun's negative counters
    let e = await scrape(model);
    expect(valueOf(e, 'madman_channel_messages_total', { counter: 'received' })).to.equal(4);
    expect(valueOf(e, 'madman_channel_stored_messages')).to.equal(0); // less the minimum
    resetCounters(cc, 1_799_999_000_000);
    e = await scrape(model);
    expect(valueOf(e, 'madman_channel_messages_total', { counter: 'received' })).to.equal(0);
    expect(valueOf(e, 'madman_channel_counters_reset_time_seconds')).to.equal(1_799_999_000);
    expect(valueOf(e, 'madman_agent_info', { version: '9.8.7' })).to.equal(1);
    expect(valueOf(e, 'madman_agent_start_time_seconds')).to.equal(1_799_999_995);
    expect(valueOf(e, 'madman_agent_indexed_objects')).to.equal(321);
    expect(valueOf(e, 'madman_snmp_in_packets_total')).to.equal(12);
  });

  it('renders in slices exactly what prom-client renders in one go (9,000 series in one metric)', async () => {
    const model = new MailSystem();
    const app = model.addApplication('postfix MTA on mx');
    for (let i = 1; i <= 1000; i++) {
      const ch = model.addChannel(app, `channel-${i}`, { receivedMessages: i });
      model.countError(ch, '4.7.1', 'inbound', i);
      model.countError(ch, '5.1.1', 'outbound', 2);
      model.countError(ch, '5.7.1', 'inbound', 1);
    }
    const m = agentMetrics(model, { version: '1', startedAt: 0, stats: new SnmpStats(), instances: () => 0 }, () => 1_800_000_000_000);
    const sliced = await renderMetrics(m.registry);
    const whole = await m.registry.metrics();
    const lines = (t: string) => t.split('\n').filter((l) => l !== '');
    expect(lines(sliced)).to.deep.equal(lines(whole));
    const e = parseExposition(sliced);
    expect(e.samples.filter((s) => s.name === 'madman_mta_group_errors_total')).to.have.length(9000);
    expect(sliced.match(/^# TYPE madman_mta_group_errors_total counter$/gm)).to.have.length(1);
    expect(valueOf(e, 'madman_mta_group_errors_total', { group: 'channel-777', code: '4.7.1', direction: 'inbound' })).to.equal(777);
  });

  it('has names promtool accepts in every family (units, _total, help), with each family present', async () => {
    const now = 1_800_000_000_000;
    const model = new MailSystem();
    const app = model.addApplication('msg MTA on mx');
    const ch = model.addChannel(app, 'tcp_local', { receivedMessages: 3 });
    model.countError(ch, '5.1.1', 'outbound', 1);
    channelCountersOf(model).of(app.index, ch.index, ch.name, now);
    model.services.set(1, { index: 1, name: 'dovecot imap', service: 'imap', maxConnections: 9, numConnections: 40, numCurrentConnections: 3, numFailedConnections: 2, numFailedLogins: 5, numGoodLogins: 33, currentStartTime: now, lastConnectionTime: now });
    model.quotas.set(1, { index: 1, user: 'ann@example.org', storageKb: 2048, storageLimitKb: 4096, messages: 10, messageLimit: 100, readAt: 0, over: false });
    model.checks.set(1, { index: 1, name: 'mx smtp', protocol: 'smtp', target: '127.0.0.1:25', status: 'ok', phases: [{ name: 'connect', ms: 1.5 }], reason: '', consecutiveFailures: 0, responseMs: 30, lastCheck: now, checks: 1, failures: 0, restarts: 0 });
    observeResponse(model.checks.get(1)!, 30);
    model.alarms.instanceOf(ALARM_DEFAULTS.diskavail!, '/var', now);
    model.disks.set(1, { index: 1, path: '/var', mountPoint: '/', totalBytes: 1e9, availBytes: 5e8, lastStat: now, reason: '' });
    model.addInput('postfix log', '/var/log/mail.log');
    const m = agentMetrics(model, { version: '1.2.3', startedAt: now, stats: new SnmpStats(), usmStats: new UsmStats(), instances: () => 1 }, () => now);
    m.requests.inc({ path: '/metrics', code: '200' });
    const text = await renderMetrics(m.registry);
    const families = new Set([...parseExposition(text).samples].map((x) => x.name));
    expect(families.size).to.be.greaterThan(105);
    for (const n of ['madman_service_logins_total', 'madman_quota_message_limit', 'madman_probe_response_seconds_bucket', 'madman_alarm_raised', 'madman_disk_size_bytes', 'madman_source_up', 'madman_snmp_usm_unsupported_security_levels_total', 'madman_http_requests_total', 'madman_channel_queue_count_total'])
      expect(families.has(n), n).to.equal(true);
    const lint = await promtoolCheck(text);
    expect(lint.output).to.equal('');
    expect(lint.code).to.equal(0);
  });

  it('drops every series of a channel that left the model at the next scrape (Prometheus marks them stale)', async () => {
    const model = new MailSystem();
    const app = model.addApplication('msg MTA on mx');
    const keep = model.addChannel(app, 'tcp_local', { receivedMessages: 3 });
    const gone = model.addChannel(app, 'tcp_old', { receivedMessages: 7 });
    for (const ch of [keep, gone]) {
      model.countError(ch, '5.1.1', 'outbound', 1);
      channelCountersOf(model).of(app.index, ch.index, ch.name, 0);
    }
    const groups = (e: Exposition) => new Set(e.samples.filter((x) => x.labels.group !== undefined).map((x) => x.labels.group));
    const m = agentMetrics(model, { version: '1', startedAt: 0, stats: new SnmpStats(), instances: () => 0 }, () => 1_800_000_000_000);
    let e = parseExposition(await renderMetrics(m.registry));
    expect([...groups(e)].sort()).to.deep.equal(['tcp_local', 'tcp_old']);
    expect(valueOf(e, 'madman_mta_group_received_messages_total', { group: 'tcp_old' })).to.equal(7);
    model.removeChannel(app, gone.index);
    e = parseExposition(await renderMetrics(m.registry));
    expect([...groups(e)]).to.deep.equal(['tcp_local']);
    // 20 group columns (no activity time yet), 5.1.1 and its class total in 3 directions, 3 units x 6 imsimta counters, 9 channel columns
    expect(e.samples.filter((x) => x.labels.group === 'tcp_local')).to.have.length(20 + 3 + 3 + 18 + 9);
  });
});
