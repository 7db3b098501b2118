// /metrics for what is not the mail flow itself: probes (MADMAN-MIB madmanProbeTable and
// its phases, plus a response-time histogram SNMP cannot serve), alarms, disks, sources,
// and the agent's own SNMP counters (SNMPv2-MIB snmp group, SNMP-MPD-MIB, USM stats,
// MADMAN-MIB madmanAgent).

import { RESPONSE_BUCKETS_SECONDS, type CheckStatus, type PhaseTime, type ServiceCheck } from '../model/checks.js';
import type { AlarmInstance } from '../model/alarms.js';
import type { DiskUsage } from '../model/disks.js';
import type { MailSystem, SourceInput } from '../model/mail-system.js';
import type { SnmpStats } from '../snmp/udp-agent.js';
import type { UsmStats } from '../snmp/usm/usm.js';
import { counter, family, gauge, scalar, type AnyFamily, type HistogramRows } from './metric-kit.js';

/** The agent's own figures, as MADMAN-MIB's madmanAgent group and the SNMP counters serve them. */
export interface AgentFigures {
  version: string;
  /** when the agent started, ms since the epoch (madmanAgentStartTime) */
  startedAt: number;
  stats: SnmpStats;
  usmStats?: UsmStats;
  /** objects served (madmanAgentIndexedObjects) */
  instances: () => number;
}

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);
const STATUSES: readonly CheckStatus[] = ['ok', 'warning', 'critical', 'unknown'];

function probes(model: MailSystem): AnyFamily[] {
  type S = { c: ServiceCheck; status: CheckStatus };
  type P = { c: ServiceCheck; phase: PhaseTime };
  const checks = () => model.checks.values();
  const byProbe = (c: ServiceCheck) => ({ probe: c.name });
  return [
    family<ServiceCheck>({
      labelNames: ['probe', 'protocol', 'target'],
      rows: checks,
      labels: (c) => ({ probe: c.name, protocol: c.protocol, target: c.target }),
      columns: [gauge('madman_probe_info', 'A probed service: its protocol and target (madmanProbeProtocol, madmanProbeTarget)', () => 1)],
    }),
    family<S>({
      labelNames: ['probe', 'status'],
      *rows() {
        for (const c of checks()) for (const status of STATUSES) yield { c, status };
      },
      labels: (r) => ({ probe: r.c.name, status: r.status }),
      columns: [gauge('madman_probe_status', 'Status of the last check, 1 for the current one (madmanProbeStatus)', (r) => (r.c.status === r.status ? 1 : 0))],
    }),
    family<ServiceCheck>({
      labelNames: ['probe'],
      rows: checks,
      labels: byProbe,
      columns: [
        gauge('madman_probe_response_time_seconds', 'Time the last check took (madmanProbeResponseTime, which is in ms)', (c) => seconds(c.responseMs)),
        gauge('madman_probe_last_check_time_seconds', 'When the last check ended, epoch seconds (madmanProbeLastCheck)', (c) => seconds(c.lastCheck)),
        gauge('madman_probe_consecutive_failures', 'Checks failed in a row (madmanProbeConsecutiveFailures)', (c) => c.consecutiveFailures),
        counter('madman_probe_checks_total', 'Checks run (madmanProbeChecks)', (c) => c.checks ?? 0),
        counter('madman_probe_failures_total', 'Checks failed (madmanProbeFailures)', (c) => c.failures ?? 0),
        counter('madman_probe_restarts_total', 'Restart commands run by the watcher (madmanProbeRestarts)', (c) => c.restarts ?? 0),
      ],
    }),
    family<P>({
      labelNames: ['probe', 'phase'],
      *rows() {
        for (const c of checks()) for (const phase of c.phases) yield { c, phase };
      },
      labels: (r) => ({ probe: r.c.name, phase: r.phase.name }),
      columns: [gauge('madman_probe_phase_seconds', 'Time of each phase of the last check (madmanProbePhaseTime, which is in ms)', (r) => r.phase.ms / 1000)],
    }),
  ];
}

/** Response times of the successful checks since the agent started, as a histogram. */
export function probeHistogram(model: MailSystem): HistogramRows<ServiceCheck> {
  return {
    name: 'madman_probe_response_seconds',
    help: 'Response times of the successful checks since the agent started',
    labelNames: ['probe'],
    buckets: RESPONSE_BUCKETS_SECONDS,
    rows: () => model.checks.values(),
    labels: (c) => ({ probe: c.name }),
    data: (c) => c.responses,
  };
}

function alarms(model: MailSystem): AnyFamily {
  return family<AlarmInstance>({
    labelNames: ['alarm', 'instance'],
    rows: () => model.alarms.rows.values(),
    labels: (a) => ({ alarm: a.alarm, instance: a.instance }),
    columns: [
      gauge('madman_alarm_raised', '1 while the alarm is raised (madmanAlarmWarningState)', (a) => (a.warningState ? 1 : 0)),
      gauge('madman_alarm_value', 'The value last measured (madmanAlarmCurrent)', (a) => a.current),
      gauge('madman_alarm_threshold', 'Raised when the value reaches this (madmanAlarmThreshold)', (a) => a.threshold),
      gauge('madman_alarm_clear_threshold', 'Cleared once the value is beyond this (madmanAlarmClearThreshold)', (a) => a.clearThreshold),
      counter('madman_alarm_over_threshold_total', 'Measurements over the threshold (madmanAlarmCountOverThreshold)', (a) => a.countOverThreshold),
      counter('madman_alarm_warnings_sent_total', 'Notifications sent (madmanAlarmCountWarningSent)', (a) => a.countWarningSent),
      gauge('madman_alarm_state_change_time_seconds', 'When the alarm was last raised or cleared, epoch seconds (madmanAlarmTimeStateChanged)', (a) => seconds(a.timeStateChanged)),
    ],
  });
}

function disks(model: MailSystem): AnyFamily {
  return family<DiskUsage>({
    labelNames: ['path', 'mountpoint'],
    // a path not read yet has no figures (as madmanDiskTable)
    rows: () => [...model.disks.values()].filter((d) => d.lastStat !== undefined),
    labels: (d) => ({ path: d.path, mountpoint: d.mountPoint }),
    columns: [
      gauge('madman_disk_size_bytes', 'Size of the file system (madmanDiskTotalMBytes, which is in MiB)', (d) => d.totalBytes),
      gauge('madman_disk_available_bytes', 'Space available to unprivileged users (madmanDiskAvailMBytes, which is in MiB)', (d) => d.availBytes),
      gauge('madman_disk_last_stat_time_seconds', 'When the file system was last read, epoch seconds (madmanDiskLastStatTime)', (d) => seconds(d.lastStat)),
    ],
  });
}

function sources(model: MailSystem): AnyFamily {
  return family<SourceInput>({
    labelNames: ['source', 'input'],
    rows: () => model.inputs.values(),
    labels: (i) => ({ source: i.name, input: i.input }),
    columns: [
      gauge('madman_source_up', '1 while the input can be read (madmanSourceStatus)', (i) => (i.ok ? 1 : 0)),
      counter('madman_source_lines_total', 'Lines (or entries) read (madmanSourceLines)', (i) => i.lines),
      counter('madman_source_unparsed_lines_total', 'Lines read and not understood (madmanSourceUnparsedLines)', (i) => i.unparsed),
      gauge('madman_source_last_checkpoint_time_seconds', 'When the state was last saved, epoch seconds (madmanSourceLastCheckpoint)', (i) => seconds(i.lastCheckpoint)),
    ],
  });
}

/** SNMP counters: [metric name, help, getter]. */
function snmpCounters(a: AgentFigures): AnyFamily[] {
  const s = a.stats;
  const list: Array<[string, string, () => number]> = [
    ['madman_snmp_in_packets_total', 'SNMP messages received (SNMPv2-MIB snmpInPkts)', () => s.inPkts],
    ['madman_snmp_in_bad_versions_total', 'Messages of an unsupported version (snmpInBadVersions)', () => s.inBadVersions],
    ['madman_snmp_in_bad_community_names_total', 'Messages with an unknown community (snmpInBadCommunityNames)', () => s.inBadCommunityNames],
    ['madman_snmp_in_bad_community_uses_total', 'Messages with a community not allowed for the operation (snmpInBadCommunityUses)', () => s.inBadCommunityUses],
    ['madman_snmp_in_asn_parse_errors_total', 'Messages that could not be decoded (snmpInASNParseErrs)', () => s.inASNParseErrs],
    ['madman_snmp_silent_drops_total', 'Requests dropped because the answer could not fit (snmpSilentDrops)', () => s.silentDrops],
    ['madman_snmp_proxy_drops_total', 'Proxy requests dropped (snmpProxyDrops)', () => s.proxyDrops],
    ['madman_snmp_unknown_security_models_total', 'Messages of an unknown security model (snmpUnknownSecurityModels)', () => s.unknownSecurityModels],
    ['madman_snmp_invalid_messages_total', 'Invalid SNMPv3 messages (snmpInvalidMsgs)', () => s.invalidMsgs],
    ['madman_snmp_unknown_pdu_handlers_total', 'PDUs no application could take (snmpUnknownPDUHandlers)', () => s.unknownPDUHandlers],
    ['madman_agent_encode_errors_total', 'Values that could not be encoded, answered genErr (madmanAgentEncodeErrors)', () => s.encodeErrors],
    ['madman_agent_dropped_requests_total', 'Requests left unanswered, whatever the cause (madmanAgentDroppedRequests)', () => s.droppedRequests],
  ];
  const u = a.usmStats;
  if (u) {
    list.push(
      // "security", not "sec": promtool reads _sec_ as an abbreviated unit (seconds)
      ['madman_snmp_usm_unsupported_security_levels_total', 'SNMPv3 messages asking a security level the user does not have (SNMP-USER-BASED-SM-MIB usmStatsUnsupportedSecLevels)', () => u.unsupportedSecLevels],
      ['madman_snmp_usm_not_in_time_windows_total', 'SNMPv3 messages outside the time window (usmStatsNotInTimeWindows)', () => u.notInTimeWindows],
      ['madman_snmp_usm_unknown_user_names_total', 'SNMPv3 messages of an unknown user (usmStatsUnknownUserNames)', () => u.unknownUserNames],
      ['madman_snmp_usm_unknown_engine_ids_total', 'SNMPv3 messages for an unknown engine ID, discovery included (usmStatsUnknownEngineIDs)', () => u.unknownEngineIDs],
      ['madman_snmp_usm_wrong_digests_total', 'SNMPv3 messages with a wrong authentication digest (usmStatsWrongDigests)', () => u.wrongDigests],
      ['madman_snmp_usm_decryption_errors_total', 'SNMPv3 messages that could not be decrypted (usmStatsDecryptionErrors)', () => u.decryptionErrors],
      ['madman_snmp_unknown_contexts_total', 'Requests for a context not served (SNMP-TARGET-MIB snmpUnknownContexts)', () => u.unknownContexts],
    );
  }
  return list.map(([name, help, v]) => scalar(name, help, 'counter', v));
}

function agent(a: AgentFigures): AnyFamily[] {
  return [
    family<null>({
      labelNames: ['version'],
      rows: () => [null],
      labels: () => ({ version: a.version }),
      columns: [gauge('madman_agent_info', 'The agent, by version (madmanAgentVersion)', () => 1)],
    }),
    scalar('madman_agent_start_time_seconds', 'When the agent started, epoch seconds (madmanAgentStartTime)', 'gauge', () => a.startedAt / 1000),
    scalar('madman_agent_indexed_objects', 'Object instances served (madmanAgentIndexedObjects)', 'gauge', () => a.instances()),
    ...snmpCounters(a),
  ];
}

/** Every metric family besides the mail system's. */
export function agentMetricFamilies(model: MailSystem, figures: AgentFigures): AnyFamily[] {
  return [...probes(model), alarms(model), disks(model), sources(model), ...agent(figures)];
}
