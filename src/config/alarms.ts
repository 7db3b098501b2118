// Settings of issue 5: alarms (`alarms: NAME: ...`) and
// where notifications go (`notify:`), in snmpd.conf's vocabulary: trapsink (SNMPv1 trap),
// trap2sink (v2c trap), informsink (v2c inform), each "HOST[:PORT] [COMMUNITY [PORT]]",
// and trapsess for SNMPv3 (authPriv) traps or informs; plus the mail notice.
// The schema checks shapes; checkAlarmFile() checks what a schema cannot (alarm names,
// thresholds that could never be reached or cleared) and names the key and line.

import type { Document, LineCounter, Node } from 'yaml';
import { ALARM_DEFAULTS, ALARM_NAMES } from '../alarms/definitions.js';
import type { AlarmDirection, AlarmRule } from '../model/alarms.js';

export type SinkKind = 'trapsink' | 'trap2sink' | 'informsink' | 'trapsess';

export interface V3User {
  name: string;
  authProtocol: 'SHA' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512' | 'MD5';
  authPassword: string;
  privProtocol: 'AES' | 'DES';
  privPassword: string;
}

export interface SinkSettings {
  kind: SinkKind;
  host: string;
  port: number;
  /** v1/v2c */
  community?: string;
  /** trapsess */
  user?: V3User;
  inform: boolean;
  /** trapsess traps: our engine ID (hex), which the receiver's createUser -e names */
  engineId?: string;
}

export interface MailSettings {
  host: string;
  port: number;
  from: string;
  to: string;
}

export interface NotifySettings {
  sinks: SinkSettings[];
  /** notifications an inform sink keeps while its receiver does not answer */
  queueSize: number;
  mail?: MailSettings;
}

export interface AlarmSettings {
  rules: AlarmRule[];
  /** alarms.quota.percent; unset: the quota alarm counts the users dovecot.quotaWarnPercent flags */
  quotaPercent?: number;
}

const INT32 = 2147483647;
const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    description: { type: 'string', minLength: 1 },
    threshold: { type: 'number', minimum: 0, maximum: INT32 },
    clearThreshold: { type: 'number', minimum: 0, maximum: INT32 },
    direction: { enum: ['above', 'below'] },
    statInterval: { type: 'integer', minimum: 0, maximum: 86400 * 7 },
    warningInterval: { type: 'number', minimum: 0, maximum: 24 * 365 },
    percent: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
  },
} as const;

const ENGINE_ID = '^(0x)?[0-9a-fA-F]{10,64}$';
const AUTH_NAMES = ['SHA', 'SHA-224', 'SHA-256', 'SHA-384', 'SHA-512', 'MD5'] as const;
const PRIV_NAMES = ['AES', 'DES'] as const;
const sinkList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** Schema fragments for config.ts's schema. */
export const alarmSchemas = {
  // names are checked by checkAlarmFile, for a message that lists the known ones
  alarms: { type: 'object', additionalProperties: ruleSchema },
  notify: {
    type: 'object',
    additionalProperties: false,
    properties: {
      trapsink: sinkList,
      trap2sink: sinkList,
      informsink: sinkList,
      trapsess: {
        type: 'array',
        items: {
          // a string is snmpd.conf's: "-v 3 -u USER -l authPriv -a SHA -A PASS -x AES -X PASS [-e ID] [-Ci] HOST[:PORT]"
          if: { type: 'string' },
          then: { type: 'string', minLength: 1 },
          else: {
            type: 'object',
            additionalProperties: false,
            required: ['host', 'user', 'authPassword', 'privPassword'],
            properties: {
              host: { type: 'string', minLength: 1 },
              user: { type: 'string', minLength: 1 },
              authProtocol: { enum: AUTH_NAMES },
              authPassword: { type: 'string', minLength: 8 },
              privProtocol: { enum: PRIV_NAMES },
              privPassword: { type: 'string', minLength: 8 },
              inform: { type: 'boolean' },
              engineId: { type: 'string', pattern: ENGINE_ID },
            },
          },
        },
      },
      informQueue: { type: 'integer', minimum: 1, maximum: 100000 },
      mail: {
        type: 'object',
        additionalProperties: false,
        required: ['to'],
        properties: {
          host: { type: 'string', minLength: 1 },
          port: { type: 'integer', minimum: 1, maximum: 65535 },
          from: { type: 'string', minLength: 1 },
          to: { type: 'string', minLength: 1 },
        },
      },
    },
  },
} as const;

export type RuleFile = Partial<Omit<AlarmRule, 'name'>> & { enabled?: boolean; percent?: number };

export interface AlarmFileSettings {
  alarms?: Record<string, RuleFile>;
  notify?: {
    trapsink?: string[];
    trap2sink?: string[];
    informsink?: string[];
    trapsess?: Array<string | TrapsessFile>;
    informQueue?: number;
    mail?: Partial<MailSettings> & { to: string };
  };
}

export interface TrapsessFile {
  host: string;
  user: string;
  authProtocol?: V3User['authProtocol'];
  authPassword: string;
  privProtocol?: V3User['privProtocol'];
  privPassword: string;
  inform?: boolean;
  engineId?: string;
}

/** snmpd.conf's trapsess arguments (SNMPv3 authPriv only); throws on anything else. */
export function parseTrapsess(text: string): TrapsessFile {
  const w = text.trim().split(/\s+/);
  const o: Partial<TrapsessFile> = {};
  let version = '';
  let level = '';
  for (let i = 0; i < w.length; i++) {
    const opt = w[i]!;
    const value = (): string => {
      const v = w[++i];
      if (v === undefined) throw new Error(`${opt} needs a value`);
      return v;
    };
    if (opt === '-v') {
      version = value();
      if (version !== '3') throw new Error('trapsess needs -v 3 (for v2c use trap2sink or informsink)');
    }
    else if (opt === '-u') o.user = value();
    else if (opt === '-l') level = value();
    else if (opt === '-a') o.authProtocol = oneOf(AUTH_NAMES, value().toUpperCase(), '-a');
    else if (opt === '-A') o.authPassword = value();
    else if (opt === '-x') o.privProtocol = oneOf(PRIV_NAMES, value().toUpperCase(), '-x');
    else if (opt === '-X') o.privPassword = value();
    else if (opt === '-e') o.engineId = value();
    else if (opt === '-Ci') o.inform = true;
    else if (opt.startsWith('-')) throw new Error(`unknown trapsess option ${opt}`);
    else if (o.host !== undefined) throw new Error(`two hosts: ${o.host} and ${opt}`);
    else o.host = opt;
  }
  if (version !== '3') throw new Error('trapsess needs -v 3 (for v2c use trap2sink or informsink)');
  if (level !== 'authPriv') throw new Error('trapsess needs -l authPriv');
  if (!o.host || !o.user || !o.authPassword || !o.privPassword) throw new Error('trapsess needs -u, -A, -X and a host');
  for (const p of [o.authPassword, o.privPassword]) if (p.length < 8) throw new Error('passwords need at least 8 characters');
  if (o.engineId !== undefined && !new RegExp(ENGINE_ID).test(o.engineId)) throw new Error(`-e ${o.engineId} is not an engine ID in hex`);
  return o as TrapsessFile;
}

function oneOf<T extends string>(names: readonly T[], v: string, opt: string): T {
  if (!(names as readonly string[]).includes(v)) throw new Error(`${opt} ${v}: one of ${names.join(', ')}`);
  return v as T;
}

export interface AlarmFlags {
  trapsink?: string[];
  trap2sink?: string[];
  informsink?: string[];
  alarmMail?: string;
}

export function alarmDefaults(): { alarms: AlarmSettings; notify: NotifySettings } {
  return {
    alarms: { rules: ALARM_NAMES.map((n) => ({ ...ALARM_DEFAULTS[n]! })) },
    notify: { sinks: [], queueSize: 1000 },
  };
}

/** "HOST[:PORT] [COMMUNITY [PORT]]" (snmpd.conf trapsink/trap2sink/informsink); throws on a bad one. */
export function parseSink(kind: Exclude<SinkKind, 'trapsess'>, text: string): SinkSettings {
  const words = text.trim().split(/\s+/);
  if (words.length > 3 || !words[0]) throw new Error(`"${text}" is not HOST[:PORT] [COMMUNITY [PORT]]`);
  const { host, port } = parseHostPort(words[0], words[2]);
  return { kind, host, port, community: words[1] ?? 'public', inform: kind === 'informsink' };
}

function parseHostPort(hostWord: string, portWord?: string): { host: string; port: number } {
  const m = /^(?:udp:)?(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(hostWord);
  if (!m) throw new Error(`"${hostWord}" is not HOST[:PORT]`);
  const portText = portWord ?? m[2] ?? '162';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new Error(`"${portText}" is not a port`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function lineOf(doc: Document, lines: LineCounter, keys: Array<string | number>): number | undefined {
  const node = doc.getIn(keys, true) as Node | undefined;
  const at = node?.range?.[0];
  return at === undefined ? undefined : lines.linePos(at).line;
}

/** The rule an alarm's file settings make (clear threshold derived when not given). */
export function ruleFrom(name: string, f: RuleFile): AlarmRule {
  const d = ALARM_DEFAULTS[name]!;
  const direction: AlarmDirection = f.direction ?? d.direction;
  const threshold = f.threshold ?? d.threshold;
  const gap = Math.abs(d.clearThreshold - d.threshold);
  // The default gap, unless it would leave nothing to go below (queuesize threshold 1 would
  // clear below 0, never): then no gap, cleared once below the threshold.
  let clear = f.clearThreshold ?? (direction === 'above' ? (threshold - gap > 0 ? threshold - gap : threshold) : threshold + gap);
  if (f.clearThreshold === undefined && name === 'diskavail') clear = Math.min(100, clear);
  return {
    name,
    description: f.description ?? d.description,
    threshold,
    clearThreshold: clear,
    direction,
    statInterval: f.enabled === false ? 0 : (f.statInterval ?? d.statInterval),
    // hours in the file, as Sun's alarm.*.msgalarmwarninginterval
    warningInterval: f.warningInterval === undefined ? d.warningInterval : Math.round(f.warningInterval * 3600),
  };
}

/**
 * Checks what the schema cannot; throws what `error` makes (config.ts: a ConfigError, so
 * this module need not import config.ts, which imports it) with the key and line.
 */
export function checkAlarmFile(
  doc: Document,
  lines: LineCounter,
  f: AlarmFileSettings,
  error: (key: string, line: number | undefined, message: string) => Error,
): void {
  const fail = (keys: Array<string | number>, message: string): never => {
    throw error(keys.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('').slice(1), lineOf(doc, lines, keys), message);
  };
  for (const [name, r] of Object.entries(f.alarms ?? {})) {
    if (!ALARM_DEFAULTS[name]) fail(['alarms', name], `unknown alarm (known: ${ALARM_NAMES.join(', ')})`);
    if (r.percent !== undefined && name !== 'quota') fail(['alarms', name, 'percent'], 'only the quota alarm has a percent');
    const rule = ruleFrom(name, r);
    const key = r.clearThreshold !== undefined ? 'clearThreshold' : 'threshold';
    if (name === 'diskavail') {
      for (const k of ['threshold', 'clearThreshold'] as const) {
        if (rule[k] > 100) fail(['alarms', name, k], `${rule[k]} is not a percentage (0..100)`);
      }
    }
    if (rule.direction === 'above' && rule.clearThreshold > rule.threshold) {
      fail(['alarms', name, key], `clearThreshold ${rule.clearThreshold} is above threshold ${rule.threshold}: an alarm raised above it would never clear`);
    }
    if (rule.direction === 'below' && rule.clearThreshold < rule.threshold) {
      fail(['alarms', name, key], `clearThreshold ${rule.clearThreshold} is below threshold ${rule.threshold}: an alarm raised below it would never clear`);
    }
    if (rule.direction === 'above' && rule.clearThreshold <= 0 && rule.threshold > 0) {
      fail(['alarms', name, key], 'a value never goes below 0: the alarm could never clear');
    }
    if (rule.direction === 'below' && rule.threshold === 0 && name !== 'diskavail') {
      fail(['alarms', name, 'threshold'], 'a value never goes below 0: the alarm could never be raised');
    }
    // every measured value is 0 or more (servicedown 0 or 1, diskavail 0..100)
    if (name === 'servicedown') {
      if (rule.direction !== 'above') fail(['alarms', name, 'direction'], 'servicedown is 1 while down: only "above" raises it when a service goes down');
      for (const k of ['threshold', 'clearThreshold'] as const) {
        if (rule[k] <= 0 || rule[k] > 1) fail(['alarms', name, r[k] !== undefined ? k : 'threshold'], `${k} ${rule[k]}: servicedown is 0 (up) or 1 (down), so it must be above 0 and at most 1`);
      }
    }
    if (rule.direction === 'above' && rule.threshold === 0) {
      fail(['alarms', name, 'threshold'], 'every value reaches 0: the alarm would always be raised');
    }
    if (name === 'diskavail' && rule.direction === 'below' && rule.clearThreshold >= 100) {
      fail(['alarms', name, key], `clearThreshold ${rule.clearThreshold}: a percentage never goes above 100, the alarm would never clear`);
    }
  }
  for (const kind of ['trapsink', 'trap2sink', 'informsink'] as const) {
    (f.notify?.[kind] ?? []).forEach((s, i) => {
      try {
        parseSink(kind, s);
      } catch (err) {
        fail(['notify', kind, i], (err as Error).message);
      }
    });
  }
  (f.notify?.trapsess ?? []).forEach((s, i) => {
    try {
      parseHostPort(typeof s === 'string' ? parseTrapsess(s).host : s.host);
    } catch (err) {
      fail(typeof s === 'string' ? ['notify', 'trapsess', i] : ['notify', 'trapsess', i, 'host'], (err as Error).message);
    }
  });
}

type Resolved = ReturnType<typeof alarmDefaults>;

/** Applies the file's and the flags' settings over `s`. */
export function applyAlarmSettings(s: Resolved, f: AlarmFileSettings | undefined, flags: AlarmFlags): void {
  if (f?.alarms) {
    s.alarms.rules = s.alarms.rules.map((r) => (f.alarms![r.name] ? ruleFrom(r.name, f.alarms![r.name]!) : r));
    s.alarms.quotaPercent = f.alarms.quota?.percent ?? s.alarms.quotaPercent;
  }
  const n = f?.notify;
  if (n) {
    for (const kind of ['trapsink', 'trap2sink', 'informsink'] as const) for (const t of n[kind] ?? []) s.notify.sinks.push(parseSink(kind, t));
    for (const item of n.trapsess ?? []) {
      const t = typeof item === 'string' ? parseTrapsess(item) : item;
      s.notify.sinks.push({
        kind: 'trapsess',
        ...parseHostPort(t.host),
        user: {
          name: t.user,
          authProtocol: t.authProtocol ?? 'SHA',
          authPassword: t.authPassword,
          privProtocol: t.privProtocol ?? 'AES',
          privPassword: t.privPassword,
        },
        inform: t.inform ?? false,
        engineId: t.engineId,
      });
    }
    if (n.informQueue) s.notify.queueSize = n.informQueue;
    if (n.mail) s.notify.mail = { host: 'localhost', port: 25, from: 'Postmaster@localhost', ...n.mail };
  }
  for (const kind of ['trapsink', 'trap2sink', 'informsink'] as const) for (const t of flags[kind] ?? []) s.notify.sinks.push(parseSink(kind, t));
  if (flags.alarmMail) s.notify.mail = { host: 'localhost', port: 25, from: 'Postmaster@localhost', ...s.notify.mail, to: flags.alarmMail };
}
