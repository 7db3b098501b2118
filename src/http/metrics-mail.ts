// /metrics for the mail system: NETWORK-SERVICES-MIB's applications, MTA-MIB's MTAs,
// channels (groups) and error codes, MADMAN-MIB's imsimta channel counters, service
// statistics and quotas. Each metric's help names the MIB object it equals; units are
// Prometheus' (bytes, seconds), so volumes are octets where SNMP serves K-octets
// rounded up, and ages are seconds where SNMP serves centiseconds.

import { absolute, channelCountersOf, COUNTER_KINDS, type ChannelCounters, type CounterKind } from '../model/channel-counters.js';
import type { Application, Channel, ErrorCounts, MailSystem, OperStatus } from '../model/mail-system.js';
import type { QuotaUsage, ServiceStats } from '../model/services.js';
import { counter, family, gauge, type AnyFamily } from './metric-kit.js';

const OPER_STATUSES: readonly OperStatus[] = ['up', 'down', 'halted', 'congested', 'restarting', 'quiescing'];

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);
/** Age in seconds of `t` at `now`; 0 when there is nothing (as SNMP's TimeInterval). */
const age = (t: number | undefined, now: number): number => (t === undefined || t > now ? 0 : (now - t) / 1000);


function applications(model: MailSystem): AnyFamily[] {
  type S = { app: Application; status: OperStatus };
  const apps = () => model.applications.values();
  const byApp = (a: Application) => ({ application: a.name });
  return [
    family<S>({
      labelNames: ['application', 'status'],
      *rows(): Iterable<S> {
        for (const app of apps()) for (const status of OPER_STATUSES) yield { app, status };
      },
      labels: (r) => ({ application: r.app.name, status: r.status }),
      columns: [gauge('madman_application_status', 'Operational status, 1 for the current one (NETWORK-SERVICES-MIB applOperStatus)', (r) => (r.app.operStatus === r.status ? 1 : 0))],
    }),
    family<Application>({
      labelNames: ['application'],
      rows: apps,
      labels: byApp,
      columns: [
        gauge('madman_application_inbound_associations', 'Open inbound associations (applInboundAssociations)', (a) => a.inboundAssociations),
        gauge('madman_application_outbound_associations', 'Open outbound associations (applOutboundAssociations)', (a) => a.outboundAssociations),
        counter('madman_application_inbound_associations_total', 'Inbound associations since counting began (applAccumulatedInboundAssociations)', (a) => a.accumulatedInboundAssociations),
        counter('madman_application_outbound_associations_total', 'Outbound associations since counting began (applAccumulatedOutboundAssociations)', (a) => a.accumulatedOutboundAssociations),
        counter('madman_application_rejected_inbound_associations_total', 'Inbound associations refused (applRejectedInboundAssociations)', (a) => a.rejectedInboundAssociations),
        counter('madman_application_failed_outbound_associations_total', 'Outbound associations that failed (applFailedOutboundAssociations)', (a) => a.failedOutboundAssociations),
        gauge('madman_application_start_time_seconds', 'When the application was (re)started, epoch seconds (applUptime)', (a) => seconds(a.startedAt)),
        gauge('madman_application_last_change_time_seconds', 'When the status last changed, epoch seconds (applLastChange)', (a) => seconds(a.lastChange)),
      ],
    }),
  ];
}

function mtas(model: MailSystem): AnyFamily {
  const mc = (a: Application) => a.mta!.counters;
  return family<Application>({
    labelNames: ['mta'],
    *rows() {
      for (const a of model.applications.values()) if (a.mta) yield a;
    },
    labels: (a) => ({ mta: a.name }),
    columns: [
      counter('madman_mta_received_messages_total', 'Messages received (MTA-MIB mtaReceivedMessages)', (a) => mc(a).receivedMessages),
      gauge('madman_mta_stored_messages', 'Messages in the queue (mtaStoredMessages)', (a) => mc(a).storedMessages),
      counter('madman_mta_transmitted_messages_total', 'Messages transmitted (mtaTransmittedMessages)', (a) => mc(a).transmittedMessages),
      counter('madman_mta_received_bytes_total', 'Octets received (mtaReceivedVolume, which is in K-octets)', (a) => mc(a).receivedVolume),
      gauge('madman_mta_stored_bytes', 'Octets in the queue (mtaStoredVolume, which is in K-octets)', (a) => mc(a).storedVolume),
      counter('madman_mta_transmitted_bytes_total', 'Octets transmitted (mtaTransmittedVolume, which is in K-octets)', (a) => mc(a).transmittedVolume),
      counter('madman_mta_received_recipients_total', 'Recipients received (mtaReceivedRecipients)', (a) => mc(a).receivedRecipients),
      gauge('madman_mta_stored_recipients', 'Recipients in the queue (mtaStoredRecipients)', (a) => mc(a).storedRecipients),
      counter('madman_mta_transmitted_recipients_total', 'Recipients transmitted (mtaTransmittedRecipients)', (a) => mc(a).transmittedRecipients),
      counter('madman_mta_successful_converted_messages_total', 'Messages converted (mtaSuccessfulConvertedMessages)', (a) => mc(a).successfulConvertedMessages),
      counter('madman_mta_failed_converted_messages_total', 'Conversions that failed (mtaFailedConvertedMessages)', (a) => mc(a).failedConvertedMessages),
      counter('madman_mta_loops_detected_total', 'Mail loops detected (mtaLoopsDetected)', (a) => mc(a).loopsDetected),
      gauge('madman_queue_oldest_message_age_seconds', 'Age of the oldest queued message of any channel, 0 when none (largest mtaGroupOldestMessageStored)', (a, now) =>
        Math.max(0, ...[...a.mta!.channels.values()].map((ch) => age(ch.oldestMessageStoredAt, now))),
      ),
    ],
  });
}

type GroupRow = { app: Application; ch: Channel };

function* groupRows(model: MailSystem): Iterable<GroupRow> {
  for (const app of model.applications.values()) if (app.mta) for (const ch of app.mta.channels.values()) yield { app, ch };
}

function groups(model: MailSystem): AnyFamily {
  const G = 'madman_mta_group_';
  return family<GroupRow>({
    labelNames: ['mta', 'group'],
    rows: () => groupRows(model),
    labels: (r) => ({ mta: r.app.name, group: r.ch.name }),
    columns: [
      counter(`${G}received_messages_total`, 'Messages received by the channel (mtaGroupReceivedMessages)', (r) => r.ch.receivedMessages),
      counter(`${G}rejected_messages_total`, 'Messages the channel refused (mtaGroupRejectedMessages)', (r) => r.ch.rejectedMessages),
      gauge(`${G}stored_messages`, 'Messages queued for the channel (mtaGroupStoredMessages)', (r) => r.ch.storedMessages),
      counter(`${G}transmitted_messages_total`, 'Messages transmitted by the channel (mtaGroupTransmittedMessages)', (r) => r.ch.transmittedMessages),
      counter(`${G}received_bytes_total`, 'Octets received (mtaGroupReceivedVolume, which is in K-octets)', (r) => r.ch.receivedVolume),
      gauge(`${G}stored_bytes`, 'Octets queued (mtaGroupStoredVolume, which is in K-octets)', (r) => r.ch.storedVolume),
      counter(`${G}transmitted_bytes_total`, 'Octets transmitted (mtaGroupTransmittedVolume, which is in K-octets)', (r) => r.ch.transmittedVolume),
      counter(`${G}received_recipients_total`, 'Recipients received (mtaGroupReceivedRecipients)', (r) => r.ch.receivedRecipients),
      gauge(`${G}stored_recipients`, 'Recipients queued (mtaGroupStoredRecipients)', (r) => r.ch.storedRecipients),
      counter(`${G}transmitted_recipients_total`, 'Recipients transmitted (mtaGroupTransmittedRecipients)', (r) => r.ch.transmittedRecipients),
      gauge(`${G}oldest_message_age_seconds`, 'Age of the oldest queued message, 0 when none (mtaGroupOldestMessageStored)', (r, now) => age(r.ch.oldestMessageStoredAt, now)),
      gauge(`${G}inbound_associations`, 'Open inbound associations (mtaGroupInboundAssociations)', (r) => r.ch.inboundAssociations),
      gauge(`${G}outbound_associations`, 'Open outbound associations (mtaGroupOutboundAssociations)', (r) => r.ch.outboundAssociations),
      counter(`${G}inbound_associations_total`, 'Inbound associations (mtaGroupAccumulatedInboundAssociations)', (r) => r.ch.accumulatedInboundAssociations),
      counter(`${G}outbound_associations_total`, 'Outbound associations (mtaGroupAccumulatedOutboundAssociations)', (r) => r.ch.accumulatedOutboundAssociations),
      counter(`${G}rejected_inbound_associations_total`, 'Inbound associations refused (mtaGroupRejectedInboundAssociations)', (r) => r.ch.rejectedInboundAssociations),
      counter(`${G}failed_outbound_associations_total`, 'Outbound associations that failed (mtaGroupFailedOutboundAssociations)', (r) => r.ch.failedOutboundAssociations),
      gauge(`${G}last_inbound_activity_time_seconds`, 'Last inbound activity, epoch seconds (mtaGroupLastInboundActivity)', (r) => seconds(r.ch.lastInboundActivity)),
      gauge(`${G}last_outbound_activity_time_seconds`, 'Last outbound activity, epoch seconds (mtaGroupLastOutboundActivity)', (r) => seconds(r.ch.lastOutboundActivity)),
      gauge(`${G}last_outbound_association_attempt_time_seconds`, 'Last attempt to open an outbound association, epoch seconds (mtaGroupLastOutboundAssociationAttempt)', (r) => seconds(r.ch.lastOutboundAssociationAttempt)),
      // a time rather than SNMP's "centiseconds from now": a stored sample stays right as it ages
      gauge(`${G}scheduled_retry_time_seconds`, 'Next delivery attempt of the deferred messages, epoch seconds; absent when none is scheduled (mtaGroupScheduledRetry)', (r) => seconds(r.ch.scheduledRetryAt)),
      counter(`${G}successful_converted_messages_total`, 'Messages converted (mtaGroupSuccessfulConvertedMessages)', (r) => r.ch.successfulConvertedMessages),
      counter(`${G}failed_converted_messages_total`, 'Conversions that failed (mtaGroupFailedConvertedMessages)', (r) => r.ch.failedConvertedMessages),
      counter(`${G}loops_detected_total`, 'Mail loops detected (mtaGroupLoopsDetected)', (r) => r.ch.loopsDetected),
    ],
  });
}

const DIRECTIONS: ReadonlyArray<keyof ErrorCounts> = ['inbound', 'internal', 'outbound'];
const CLASS_TOTAL = /^([45])\.0\.0$/;

/**
 * mtaGroupErrorTable: one series per code and direction. The 4.0.0 and 5.0.0 rows are
 * the class totals (every temporary / permanent error, codes beyond the table's cap
 * included), so they are a metric of their own: summing the codes of one metric must
 * not count an error twice.
 */
function errors(model: MailSystem): AnyFamily[] {
  type E = GroupRow & { code: string; dir: keyof ErrorCounts; n: number };
  const rows = (totals: boolean) =>
    function* (): Iterable<E> {
      for (const g of groupRows(model)) {
        for (const [code, counts] of g.ch.errors) {
          if (CLASS_TOTAL.test(code) !== totals) continue;
          for (const dir of DIRECTIONS) yield { ...g, code, dir, n: counts[dir] };
        }
      }
    };
  return [
    family<E>({
      labelNames: ['mta', 'group', 'code', 'direction'],
      rows: rows(false),
      labels: (r) => ({ mta: r.app.name, group: r.ch.name, code: r.code, direction: r.dir }),
      columns: [counter('madman_mta_group_errors_total', 'Errors by enhanced status code and direction (mtaGroupInboundErrorCount, mtaGroupInternalErrorCount, mtaGroupOutboundErrorCount)', (r) => r.n)],
    }),
    family<E>({
      labelNames: ['mta', 'group', 'class', 'direction'],
      rows: rows(true),
      labels: (r) => ({ mta: r.app.name, group: r.ch.name, class: r.code[0]!, direction: r.dir }),
      columns: [counter('madman_mta_group_class_errors_total', 'All temporary (class 4) or permanent (class 5) errors, by direction (the 4.0.0 and 5.0.0 rows of mtaGroupErrorTable)', (r) => r.n)],
    }),
  ];
}

/** MADMAN-MIB madmanChannelTable: the imsimta counters, which `madman counters clear` zeroes. */
function channelCounters(model: MailSystem): AnyFamily[] {
  type C = { c: ChannelCounters; mta: string };
  type K = C & { kind: CounterKind };
  const book = channelCountersOf(model);
  // only channels still in the model, as the SNMP view does
  function* counters(): Iterable<C> {
    for (const cc of book.values()) {
      const app = model.applications.get(cc.app);
      if (app?.mta?.channels.has(cc.channel)) yield { c: cc, mta: app.name };
    }
  }
  function* kinds(stored: boolean): Iterable<K> {
    for (const r of counters()) for (const kind of COUNTER_KINDS) if ((kind === 'stored') === stored) yield { ...r, kind };
  }
  const labels = (r: C) => ({ mta: r.mta, group: r.c.name });
  const CH = 'madman_channel_';
  const since = ' since the last reset (madmanChannelCounterAbs';
  return [
    family<K>({
      labelNames: ['mta', 'group', 'counter'],
      rows: () => kinds(false),
      labels: (r) => ({ ...labels(r), counter: r.kind }),
      columns: [
        counter(`${CH}messages_total`, `imsimta counters: messages${since}Messages)`, (r) => absolute(r.c, r.kind).messages),
        counter(`${CH}recipients_total`, `imsimta counters: recipients${since}Recipients)`, (r) => absolute(r.c, r.kind).recipients),
        counter(`${CH}blocks_total`, `imsimta counters: blocks${since}Blocks)`, (r) => absolute(r.c, r.kind).blocks),
      ],
    }),
    family<C>({
      labelNames: ['mta', 'group'],
      rows: counters,
      labels,
      columns: [
        gauge(`${CH}stored_messages`, 'imsimta counters: messages stored (madmanChannelCounterAbsMessages of Stored)', (r) => absolute(r.c, 'stored').messages),
        gauge(`${CH}stored_recipients`, 'imsimta counters: recipients stored (madmanChannelCounterAbsRecipients of Stored)', (r) => absolute(r.c, 'stored').recipients),
        gauge(`${CH}stored_blocks`, 'imsimta counters: blocks stored (madmanChannelCounterAbsBlocks of Stored)', (r) => absolute(r.c, 'stored').blocks),
        counter(`${CH}delivered_first_time_total`, 'Messages delivered at their first attempt (madmanChannelDeliveredFirstTime)', (r) => r.c.deliveredFirstTime),
        counter(`${CH}queue_seconds_total`, 'Seconds in queue of the delivered messages (madmanChannelQueueTime)', (r) => r.c.queueSeconds),
        counter(`${CH}queue_count_total`, 'Delivered messages whose time in queue is counted (madmanChannelQueueCount)', (r) => r.c.queueCount),
        counter(`${CH}in_associations_total`, 'Inbound associations (madmanChannelInAssocs)', (r) => r.c.inAssocs),
        counter(`${CH}out_associations_total`, 'Outbound associations (madmanChannelOutAssocs)', (r) => r.c.outAssocs),
        gauge(`${CH}counters_reset_time_seconds`, 'When counting began or `madman counters clear` reset the counters, epoch seconds (madmanChannelSince)', (r) => r.c.since / 1000),
      ],
    }),
  ];
}

function services(model: MailSystem): AnyFamily[] {
  type L = { s: ServiceStats; result: 'good' | 'failed' };
  const rows = () => model.services.values();
  return [
    family<L>({
      labelNames: ['service', 'result'],
      *rows(): Iterable<L> {
        for (const s of rows()) for (const result of ['good', 'failed'] as const) yield { s, result };
      },
      labels: (r) => ({ service: r.s.name, result: r.result }),
      columns: [counter('madman_service_logins_total', 'Logins by result (madmanServiceNumGoodLogins, madmanServiceNumFailedLogins)', (r) => (r.result === 'good' ? r.s.numGoodLogins : r.s.numFailedLogins))],
    }),
    family<ServiceStats>({
      labelNames: ['service'],
      rows,
      labels: (s) => ({ service: s.name }),
      columns: [
        counter('madman_service_connections_total', 'Connections (madmanServiceNumConnections)', (s) => s.numConnections),
        counter('madman_service_failed_connections_total', 'Connections that failed (madmanServiceNumFailedConnections)', (s) => s.numFailedConnections),
        gauge('madman_service_current_connections', 'Open connections (madmanServiceNumCurrentConnections)', (s) => s.numCurrentConnections),
        gauge('madman_service_max_connections', 'Most connections open at once (madmanServiceMaxConnections)', (s) => s.maxConnections),
        gauge('madman_service_start_time_seconds', 'When the service started, epoch seconds (madmanServiceCurrentStartTime)', (s) => seconds(s.currentStartTime)),
        gauge('madman_service_last_connection_time_seconds', 'Last connection, epoch seconds (madmanServiceLastConnectionTime)', (s) => seconds(s.lastConnectionTime)),
      ],
    }),
    family<QuotaUsage>({
      labelNames: ['user'],
      rows: () => model.quotas.values(),
      labels: (q) => ({ user: q.user }),
      columns: [
        gauge('madman_quota_storage_used_bytes', 'Mailbox storage used (madmanQuotaStorageUsed, which is in KB)', (q) => q.storageKb * 1024),
        gauge('madman_quota_storage_limit_bytes', 'Mailbox storage allowed; absent when unlimited (madmanQuotaStorageLimit)', (q) => (q.storageLimitKb === undefined ? undefined : q.storageLimitKb * 1024)),
        gauge('madman_quota_messages', 'Messages in the mailbox (madmanQuotaMessages)', (q) => q.messages),
        gauge('madman_quota_message_limit', 'Messages allowed; absent when unlimited (madmanQuotaMessageLimit)', (q) => q.messageLimit),
        gauge('madman_quota_over', '1 when the user is at or over the warning percentage (madmanQuotaStatus)', (q) => (q.over ? 1 : 0)),
      ],
    }),
  ];
}

/** Every mail-system metric family of `model`. */
export function mailMetricFamilies(model: MailSystem): AnyFamily[] {
  return [
    ...applications(model),
    mtas(model),
    groups(model),
    ...errors(model),
    ...channelCounters(model),
    ...services(model),
  ];
}
