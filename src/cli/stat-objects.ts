// The counter objects of `madman stat` (Sun's counterutil -o OBJECT): which MIB table each
// reads and the fields it prints, named and ordered as counterutil names them (the seed's
// tables 27-1 to 27-4) where counterutil has the object, else by their MIB names. Values are
// read over SNMP (agent-client.ts) and converted from their MIB syntax here: TimeStamps and
// DateAndTimes to wall-clock times, enumerations to their labels.

import type { MibTree } from '../mib/loader.js';
import { COUNTER_KINDS } from '../model/channel-counters.js';
import type { Oid } from '../snmp/oid.js';
import type { AgentReader, SnmpValue } from './agent-client.js';

/** counter: a running total (its per-interval delta is shown); time: ms since the epoch. */
export type FieldKind = 'counter' | 'gauge' | 'time' | 'text';

/** One field of an instance, as printed: counterutil's name, its kind, its value and unit. */
export interface FieldValue {
  name: string;
  kind: FieldKind;
  /** null: never set (TimeStamp 0, DateAndTime of zeros) or not served */
  value: number | string | null;
  unit?: string;
}

/** One instance of a counter object (a service, a disk, an alarm instance) and its fields in order. */
export interface StatInstance {
  instance: string;
  fields: FieldValue[];
}

/** One reading of the agent: its tables, and the clock to turn TimeStamps into times. */
export interface Snapshot {
  tree: MibTree;
  /** wall-clock ms when sysUpTime was read, and sysUpTime then (centiseconds) */
  at: number;
  uptime: number;
  table(entry: string): Promise<Row[]>;
}

/** A table row as walked: its index arcs and its cells by column name. */
export interface Row {
  index: number[];
  cells: Map<string, SnmpValue>;
}

/** A counter object of `madman stat`: how it is read from the agent's tables. */
export interface StatObject {
  name: string;
  /** what it shows, for --list */
  description: string;
  /** why an agent can have none (the "not configured" message) */
  needs: string;
  read(s: Snapshot): Promise<StatInstance[]>;
}

/** Reads whole tables by walking their entry, cached for one snapshot. */
export function snapshotOf(reader: AgentReader, tree: MibTree, at: number, uptime: number): Snapshot {
  const cache = new Map<string, Promise<Row[]>>();
  return {
    tree,
    at,
    uptime,
    table(entry) {
      let p = cache.get(entry);
      if (!p) cache.set(entry, (p = readTable(reader, tree, entry)));
      return p;
    },
  };
}

async function readTable(reader: AgentReader, tree: MibTree, entry: string): Promise<Row[]> {
  const base = tree.object(entry).oid;
  const names = new Map(tree.columns(entry).map((c) => [c.oid[c.oid.length - 1]!, c.name]));
  const rows = new Map<string, Row>();
  for (const vb of await reader.walk(base)) {
    const column = names.get(vb.oid[base.length]!);
    if (column === undefined) continue;
    const index = vb.oid.slice(base.length + 1);
    const key = index.join('.');
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { index, cells: new Map() }));
    row.cells.set(column, vb.value);
  }
  return [...rows.values()];
}

/** A cell as a plain value by its column's syntax (times as wall-clock ms, null when unset). */
export function cellValue(s: Snapshot, row: Row, column: string): number | string | null {
  const v = row.cells.get(column);
  if (v === undefined || v === null) return null;
  const syntax = s.tree.object(column).syntax;
  if (syntax?.name === 'TimeStamp') {
    const ts = Number(v);
    return ts === 0 ? null : s.at - (s.uptime - ts) * 10;
  }
  if (syntax?.name === 'DateAndTime' && Buffer.isBuffer(v)) return dateAndTimeMs(v);
  if (syntax?.enums && typeof v === 'number') {
    for (const [label, n] of Object.entries(syntax.enums)) if (n === v) return label;
    return v;
  }
  if (Buffer.isBuffer(v)) return syntax?.kind === 'Counter64' ? Number(bigFrom(v)) : v.toString('utf8');
  if (typeof v === 'bigint') return Number(v);
  return v;
}

function bigFrom(b: Buffer): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

/** SNMPv2-TC DateAndTime to ms since the epoch; null for the "unknown" value (all zeros). */
export function dateAndTimeMs(b: Buffer): number | null {
  if (b.length < 8 || b.every((x) => x === 0)) return null;
  const utc = Date.UTC(b.readUInt16BE(0), b[2]! - 1, b[3]!, b[4]!, b[5]!, b[6]!, b[7]! * 100);
  if (b.length < 11) return utc;
  const offset = (b[9]! * 60 + b[10]!) * 60000;
  return b[8] === 0x2d ? utc + offset : utc - offset;
}

interface FieldSpec {
  name: string;
  column: string;
  kind: FieldKind;
  unit?: string;
  /** a number the MIB serves as an enumeration or TruthValue */
  map?: (v: number | string | null) => number | string | null;
}

function fields(s: Snapshot, row: Row, specs: readonly FieldSpec[]): FieldValue[] {
  return specs.map((f) => {
    const raw = cellValue(s, row, f.column);
    const value = f.map ? f.map(raw) : raw;
    return f.unit ? { name: f.name, kind: f.kind, value, unit: f.unit } : { name: f.name, kind: f.kind, value };
  });
}

const text = (v: number | string | null): string => (v === null ? '' : String(v));

// counterutil alarm: its ten statistics (table 27-1), then the alarm's settings
const ALARM_FIELDS: readonly FieldSpec[] = [
  { name: 'countoverthreshold', column: 'madmanAlarmCountOverThreshold', kind: 'counter' },
  { name: 'countwarningsent', column: 'madmanAlarmCountWarningSent', kind: 'counter' },
  { name: 'current', column: 'madmanAlarmCurrent', kind: 'gauge' },
  { name: 'high', column: 'madmanAlarmHigh', kind: 'gauge' },
  { name: 'low', column: 'madmanAlarmLow', kind: 'gauge' },
  { name: 'timelastset', column: 'madmanAlarmTimeLastSet', kind: 'time' },
  { name: 'timelastwarning', column: 'madmanAlarmTimeLastWarning', kind: 'time' },
  { name: 'timereset', column: 'madmanAlarmTimeReset', kind: 'time' },
  { name: 'timestatechanged', column: 'madmanAlarmTimeStateChanged', kind: 'time' },
  // Sun's yes(1) or no(0)
  { name: 'warningstate', column: 'madmanAlarmWarningState', kind: 'gauge', map: (v) => (v === 'true' ? 1 : 0) },
  { name: 'description', column: 'madmanAlarmDescription', kind: 'text' },
  { name: 'threshold', column: 'madmanAlarmThreshold', kind: 'gauge' },
  { name: 'clearthreshold', column: 'madmanAlarmClearThreshold', kind: 'gauge' },
  { name: 'direction', column: 'madmanAlarmDirection', kind: 'text' },
  { name: 'statinterval', column: 'madmanAlarmStatInterval', kind: 'gauge', unit: 's' },
  { name: 'warninginterval', column: 'madmanAlarmWarningInterval', kind: 'gauge', unit: 's' },
];

// counterutil diskusage (table 27-3), then the mount point
const DISK_FIELDS: readonly FieldSpec[] = [
  { name: 'availSpace', column: 'madmanDiskAvailMBytes', kind: 'gauge', unit: 'MB' },
  { name: 'lastStatTime', column: 'madmanDiskLastStatTime', kind: 'time' },
  { name: 'mailPartitionPath', column: 'madmanDiskPath', kind: 'text' },
  { name: 'percentAvail', column: 'madmanDiskPercentAvail', kind: 'gauge', unit: '%' },
  { name: 'totalSpace', column: 'madmanDiskTotalMBytes', kind: 'gauge', unit: 'MB' },
  { name: 'mountPoint', column: 'madmanDiskMountPoint', kind: 'text' },
];

// counterutil serverresponse (table 27-4), then what the probe knows besides
const RESPONSE_FIELDS: readonly FieldSpec[] = [
  { name: 'laststattime', column: 'madmanProbeLastCheck', kind: 'time' },
  { name: 'responsetime', column: 'madmanProbeResponseTime', kind: 'gauge', unit: 'ms' },
  { name: 'status', column: 'madmanProbeStatus', kind: 'text' },
  { name: 'reason', column: 'madmanProbeReason', kind: 'text' },
  { name: 'checks', column: 'madmanProbeChecks', kind: 'counter' },
  { name: 'failures', column: 'madmanProbeFailures', kind: 'counter' },
  { name: 'consecutiveFailures', column: 'madmanProbeConsecutiveFailures', kind: 'gauge' },
  { name: 'watcher', column: 'madmanProbeWatcher', kind: 'text' },
  { name: 'restarts', column: 'madmanProbeRestarts', kind: 'counter' },
  { name: 'lastRestart', column: 'madmanProbeLastRestart', kind: 'time' },
];

// counterutil imapstat, popstat, httpstat (table 27-2), in its (alphabetical) order
const SERVICE_FIELDS: readonly FieldSpec[] = [
  { name: 'currentStartTime', column: 'madmanServiceCurrentStartTime', kind: 'time' },
  { name: 'lastConnectionTime', column: 'madmanServiceLastConnectionTime', kind: 'time' },
  { name: 'maxConnections', column: 'madmanServiceMaxConnections', kind: 'gauge' },
  { name: 'numConnections', column: 'madmanServiceNumConnections', kind: 'counter' },
  { name: 'numCurrentConnections', column: 'madmanServiceNumCurrentConnections', kind: 'gauge' },
  { name: 'numFailedConnections', column: 'madmanServiceNumFailedConnections', kind: 'counter' },
  { name: 'numFailedLogins', column: 'madmanServiceNumFailedLogins', kind: 'counter' },
  { name: 'numGoodLogins', column: 'madmanServiceNumGoodLogins', kind: 'counter' },
];

const MTA_UNITS: Record<string, string> = { Volume: 'KB' };

/** The MTA-MIB columns of an entry, by their MIB names (counterutil has no MTA object). */
function mibFields(tree: MibTree, entry: string, skip: ReadonlySet<string>): FieldSpec[] {
  return tree
    .columns(entry)
    .filter((c) => !skip.has(c.name) && (c.syntax?.kind === 'Counter32' || c.syntax?.kind === 'Gauge32' || c.syntax?.name === 'TimeInterval'))
    .map((c) => {
      const unit = Object.entries(MTA_UNITS).find(([k]) => c.name.endsWith(k))?.[1];
      const kind: FieldKind = c.syntax?.kind === 'Counter32' ? 'counter' : 'gauge';
      // TimeInterval is centiseconds: shown in seconds
      if (c.syntax?.name === 'TimeInterval') return { name: c.name, column: c.name, kind, unit: 's', map: (v: number | string | null) => (typeof v === 'number' ? Math.floor(v / 100) : v) };
      return unit ? { name: c.name, column: c.name, kind, unit } : { name: c.name, column: c.name, kind };
    });
}

// the group columns worth a delta or a look; activity times and reasons are snmptable's
const GROUP_SKIP = new Set([
  'mtaGroupIndex',
  'mtaGroupLastInboundActivity',
  'mtaGroupLastOutboundActivity',
  'mtaGroupScheduledRetry',
  'mtaGroupCreationTime',
  'mtaGroupLastOutboundAssociationAttempt',
]);

async function applNames(s: Snapshot): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const r of await s.table('applEntry')) out.set(r.index[0]!, text(cellValue(s, r, 'applName')));
  return out;
}

/** The services of madmanServiceTable named "<instance> <service>", as counterutil's <service>stat. */
function serviceObject(name: string, service: string, title: string, needs: string): StatObject {
  return {
    name,
    description: `${title} connections and logins (madmanServiceTable)`,
    needs,
    async read(s) {
      const out: StatInstance[] = [];
      for (const r of await s.table('madmanServiceEntry')) {
        const full = text(cellValue(s, r, 'madmanServiceName'));
        const at = full.lastIndexOf(' ');
        if (full.slice(at + 1) !== service) continue;
        out.push({ instance: at > 0 ? full.slice(0, at) : full, fields: fields(s, r, SERVICE_FIELDS) });
      }
      return out;
    },
  };
}

/** Every object, in the order of --list. */
export const STAT_OBJECTS: readonly StatObject[] = [
  {
    name: 'alarm',
    description: 'alarm instances: counterutil statistics and settings (madmanAlarmTable)',
    needs: 'no alarm has been measured yet',
    async read(s) {
      return (await s.table('madmanAlarmEntry')).map((r) => ({
        instance: `${text(cellValue(s, r, 'madmanAlarmId'))}.${text(cellValue(s, r, 'madmanAlarmInstance'))}`,
        fields: fields(s, r, ALARM_FIELDS),
      }));
    },
  },
  {
    name: 'diskusage',
    description: 'watched mail partitions (madmanDiskTable)',
    needs: 'no disk is watched (disks: or --disk)',
    async read(s) {
      return (await s.table('madmanDiskEntry')).map((r) => ({ instance: text(cellValue(s, r, 'madmanDiskPath')), fields: fields(s, r, DISK_FIELDS) }));
    },
  },
  {
    name: 'serverresponse',
    description: 'probed services: last check and response time (madmanProbeTable)',
    needs: 'no service is probed (probes:)',
    async read(s) {
      return (await s.table('madmanProbeEntry')).map((r) => ({ instance: text(cellValue(s, r, 'madmanProbeName')), fields: fields(s, r, RESPONSE_FIELDS) }));
    },
  },
  serviceObject('imapstat', 'imap', 'IMAP', 'no IMAP service statistics (dovecot: log)'),
  serviceObject('popstat', 'pop3', 'POP3', 'no POP3 service statistics (dovecot: log)'),
  serviceObject('httpstat', 'http', 'webmail (HTTP)', 'no webmail statistics (webmail: in the configuration)'),
  serviceObject('submissionstat', 'submission', 'submission', 'no submission service statistics (dovecot: log)'),
  serviceObject('lmtpstat', 'lmtp', 'LMTP', 'no LMTP service statistics (dovecot: log)'),
  {
    name: 'mta',
    description: 'MTA totals (MTA-MIB mtaTable)',
    needs: 'no MTA log is read (postfix:, sunMta:)',
    async read(s) {
      const names = await applNames(s);
      const specs = mibFields(s.tree, 'mtaEntry', new Set());
      return (await s.table('mtaEntry')).map((r) => ({ instance: names.get(r.index[0]!) ?? `applIndex ${r.index[0]}`, fields: fields(s, r, specs) }));
    },
  },
  {
    name: 'channels',
    description: 'channels: imsimta counters where kept, and MTA-MIB mtaGroupTable figures',
    needs: 'no MTA log is read (postfix:, sunMta:)',
    async read(s) {
      const names = await applNames(s);
      const groups = await s.table('mtaGroupEntry');
      const mtas = new Set(groups.map((g) => g.index[0]));
      const imsimta = new Map<string, Row>();
      for (const r of await s.table('madmanChannelEntry')) imsimta.set(r.index.join('.'), r);
      const counters = new Map<string, Row>();
      for (const r of await s.table('madmanChannelCounterEntry')) counters.set(r.index.join('.'), r);
      const specs = mibFields(s.tree, 'mtaGroupEntry', GROUP_SKIP);
      return groups.map((g) => {
        const key = g.index.join('.');
        const channel = text(cellValue(s, g, 'mtaGroupName'));
        const out: FieldValue[] = [];
        const ch = imsimta.get(key);
        if (ch) {
          // imsimta counters -show: the seven rows in messages, recipients, blocks, then the rest
          COUNTER_KINDS.forEach((kind, i) => {
            const c = counters.get(`${key}.${i + 1}`);
            for (const [unit, column] of [
              ['Messages', 'madmanChannelCounterMessages'],
              ['Recipients', 'madmanChannelCounterRecipients'],
              ['Blocks', 'madmanChannelCounterBlocks'],
            ] as const) {
              out.push({ name: `${kind}${unit}`, kind: 'counter', value: c ? cellValue(s, c, column) : null });
            }
          });
          out.push(
            ...fields(s, ch, [
              { name: 'deliveredFirstTime', column: 'madmanChannelDeliveredFirstTime', kind: 'counter' },
              { name: 'queueTime', column: 'madmanChannelQueueTime', kind: 'counter', unit: 's' },
              { name: 'queueCount', column: 'madmanChannelQueueCount', kind: 'counter' },
              { name: 'queueFirstTime', column: 'madmanChannelQueueFirstTime', kind: 'counter', unit: 's' },
              { name: 'queueFirstCount', column: 'madmanChannelQueueFirstCount', kind: 'counter' },
              { name: 'totalInAssocs', column: 'madmanChannelInAssocs', kind: 'counter' },
              { name: 'totalOutAssocs', column: 'madmanChannelOutAssocs', kind: 'counter' },
            ]),
          );
        }
        out.push(...fields(s, g, specs));
        const instance = mtas.size > 1 ? `${names.get(g.index[0]!) ?? g.index[0]}/${channel}` : channel;
        return { instance, fields: out };
      });
    },
  },
];

/** The object of that name, if madman has it. */
export function statObject(name: string): StatObject | undefined {
  return STAT_OBJECTS.find((o) => o.name === name);
}

/** sysUpTime.0 and madmanAgentVersion.0 and sysDescr.0, read together. */
export function identityOids(tree: MibTree): Oid[] {
  return ['sysUpTime', 'madmanAgentVersion', 'sysDescr'].map((n) => [...tree.object(n).oid, 0]);
}
