// Agent settings: defaults, then the YAML file, then command-line flags.
// The file is checked against a JSON schema (ajv); an error names the key and
// the line it is on, and the CLI exits 2.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isMap, isScalar, type Document, type Node } from 'yaml';
import { parseNetwork, type CommunityRule } from '../snmp/access.js';
import { parseEndpoint } from '../snmp/udp-agent.js';
import { checkProbes, probeSpecs, probesSchema, probeTimeout, type ProbeEntry, type ProbeSpec } from './probes.js';
import { SecurityConfigError, hasSecurityLines, securitySchemaProperties, securitySettings, type SecurityFileSettings, type SecuritySettings } from './security.js';
import { sunMtaSchema, sunMtaSettings, type SunMtaFile, type SunMtaSettings } from './sun-mta.js';
import { alarmDefaults, alarmSchemas, applyAlarmSettings, checkAlarmFile, type AlarmFileSettings, type AlarmFlags, type AlarmSettings, type DiskSettings, type NotifySettings } from './alarms.js';
import { dovecotFromFile, dovecotFromFlags, dovecotSchema, type DovecotFile, type DovecotSettings } from './dovecot.js';
import { AGENTX_FORMAT_MESSAGE, agentxAddress, agentxSchema, isAgentxAddress } from './agentx.js';

export interface Settings {
  listen: string[];
  communities: CommunityRule[];
  stateDir: string;
  demo: boolean;
  /** read logs from their beginning before following them */
  fromStart: boolean;
  postfix?: PostfixSettings;
  sunMta?: SunMtaSettings;
  /** Dovecot service statistics and quotas (config/dovecot.ts) */
  dovecot?: DovecotSettings;
  maxMessageSize: number;
  logLevel: string;
  system: { contact: string; location: string; name?: string };
  /** services to probe (config/probes.ts) */
  probes?: ProbeSpec[];
  /** SNMPv3 users and VACM views (security.ts); none when absent */
  security?: SecuritySettings;
  disks: DiskSettings;
  alarms: AlarmSettings;
  notify: NotifySettings;
  /** AgentX master to serve through (unix:PATH or tcp:HOST:PORT) */
  agentx?: string;
}

export interface PostfixSettings {
  /** a log file to follow (syslog's mail.log, or Postfix's maillog_file) */
  log?: string;
  /** follow the systemd journal instead, optionally of one unit */
  journal?: { unit?: string };
  /** `postqueue -j` command, or a Postfix config directory */
  queue?: string;
  /** seconds between queue readings */
  queueInterval: number;
  /** smtpd services (names, or HOST:PORT of their listener) that re-inject filtered mail */
  contentFilterServices: string[];
}

/** systemd's StateDirectory= (exported as $STATE_DIRECTORY), else /var/lib/madman for root, else the XDG state home. */
export function defaultStateDir(): string {
  const systemd = process.env.STATE_DIRECTORY?.split(':')[0];
  if (systemd) return systemd;
  if (process.getuid?.() === 0) return '/var/lib/madman';
  return path.join(process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'madman');
}

export function defaults(): Settings {
  return {
    listen: ['udp:127.0.0.1:1161'],
    communities: [{ community: 'public', sources: [] }],
    stateDir: defaultStateDir(),
    demo: false,
    fromStart: false,
    maxMessageSize: 65507,
    logLevel: 'warn',
    system: { contact: 'postmaster@localhost', location: 'unknown' },
    ...alarmDefaults(),
  };
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly line: number | undefined,
    message: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${key ? `${key}: ` : ''}${message}`);
  }
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: { type: 'array', items: { type: 'string', format: 'endpoint' }, minItems: 1 },
    community: { type: 'string', minLength: 1 },
    communities: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          source: { type: 'array', items: { type: 'string', format: 'network' } },
        },
      },
    },
    stateDir: { type: 'string', minLength: 1 },
    demo: { type: 'boolean' },
    fromStart: { type: 'boolean' },
    postfix: {
      type: 'object',
      additionalProperties: false,
      properties: {
        log: { type: 'string', minLength: 1 },
        journal: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }] },
        queue: { type: 'string', minLength: 1 },
        queueInterval: { type: 'number', minimum: 1, maximum: 86400 },
        contentFilterServices: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
    },
    sunMta: sunMtaSchema,
    dovecot: dovecotSchema,
    maxMessageSize: { type: 'integer', minimum: 484, maximum: 65535 },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    system: {
      type: 'object',
      additionalProperties: false,
      properties: { contact: { type: 'string' }, location: { type: 'string' }, name: { type: 'string' } },
    },
    probes: probesSchema,
    ...securitySchemaProperties,
    ...alarmSchemas,
    agentx: agentxSchema,
  },
} as const;

/** The JSON schema a configuration file is checked against (contrib/madman.yml's test walks it). */
export function configSchema(): object {
  return schema;
}

const ajv = new Ajv({ allErrors: false });
ajv.addFormat('endpoint', (s: string) => tryOk(() => parseEndpoint(s)));
ajv.addFormat('network', (s: string) => tryOk(() => parseNetwork(s)));
ajv.addFormat('agentx', isAgentxAddress);
const validate = ajv.compile(schema);

function tryOk(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

interface FileSettings extends SecurityFileSettings, AlarmFileSettings {
  listen?: string[];
  community?: string;
  communities?: Array<{ name: string; source?: string[] }>;
  stateDir?: string;
  demo?: boolean;
  fromStart?: boolean;
  postfix?: { log?: string; journal?: string | boolean; queue?: string; queueInterval?: number; contentFilterServices?: string[] };
  sunMta?: SunMtaFile;
  dovecot?: DovecotFile;
  maxMessageSize?: number;
  logLevel?: string;
  system?: { contact?: string; location?: string; name?: string };
  probes?: ProbeEntry[];
  /** the security lines, checked and resolved */
  resolved?: ReturnType<typeof securitySettings>;
  agentx?: string;
}

/** Reads and checks a config file; throws ConfigError. */
export function readConfigFile(file: string): FileSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', undefined, `cannot read: ${(err as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new ConfigError(file, '', lines.linePos(e.pos[0]).line, `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS() ?? {};
  if (!validate(data)) {
    const e = validate.errors![0]!;
    const { key, line } = locate(doc, lines, e);
    throw new ConfigError(file, key, line, describe(e));
  }
  const settings = data as FileSettings;
  const bad = settings.probes && checkProbes(settings.probes);
  if (bad) {
    const at = (doc.getIn(bad.path, true) as Node | undefined)?.range?.[0];
    throw new ConfigError(file, bad.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').slice(1), at === undefined ? undefined : lines.linePos(at).line, bad.message);
  }
  if (settings.postfix?.queue !== undefined && !settings.postfix.log && !settings.postfix.journal) {
    // The queue is attributed to the MTA the log shows: without a log there is none.
    const node = doc.getIn(['postfix', 'queue'], true) as Node | undefined;
    const at = node?.range?.[0];
    throw new ConfigError(file, 'postfix.queue', at === undefined ? undefined : lines.linePos(at).line, 'needs postfix.log or postfix.journal');
  }
  try {
    if (hasSecurityLines(settings)) settings.resolved = securitySettings(settings, path.dirname(file));
  } catch (err) {
    if (!(err instanceof SecurityConfigError)) throw err;
    const at = (doc.getIn(err.path, true) as Node | undefined)?.range?.[0];
    const key = err.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').slice(1);
    throw new ConfigError(err.file ?? file, err.file ? 'createUser' : key, err.line ?? (at === undefined ? undefined : lines.linePos(at).line), err.message);
  }
  checkAlarmFile(doc, lines, settings, (key, line, message) => new ConfigError(file, key, line, message), settings.probes?.map(probeTimeout));
  return settings;
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return 'unknown key';
  if (e.keyword === 'format' && e.params.format === 'agentx') return AGENTX_FORMAT_MESSAGE;
  if (e.keyword === 'format') {
    return e.params.format === 'endpoint'
      ? 'not a listen address (udp:HOST:PORT or udp6:[HOST]:PORT)'
      : 'not an IP network (ADDRESS or ADDRESS/PREFIX)';
  }
  if (e.keyword === 'enum') return `must be one of ${(e.params.allowedValues as string[]).join(', ')}`;
  return e.message ?? 'invalid';
}

/** The dotted key and line of an ajv error in the YAML document. */
function locate(doc: Document, lines: LineCounter, e: ErrorObject): { key: string; line?: number } {
  const parts = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  let key = parts.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  let node = doc.getIn(parts, true) as Node | undefined;
  const extra = (e.params as { additionalProperty?: string; missingProperty?: string }).additionalProperty;
  if (extra !== undefined) {
    key = key ? `${key}.${extra}` : extra;
    const parent = parts.length ? doc.getIn(parts, true) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === extra);
      node = pair?.key as Node | undefined;
    }
  }
  if (!node && !parts.length) node = doc.contents ?? undefined;
  const at = node?.range?.[0];
  return { key, line: at === undefined ? undefined : lines.linePos(at).line };
}

export interface Flags extends AlarmFlags {
  config?: string;
  listen?: string[];
  /** snmpd.conf's name for --listen */
  agentaddress?: string[];
  community?: string;
  stateDir?: string;
  demo?: boolean;
  fromStart?: boolean;
  postfixLog?: string;
  /** true for the whole journal, or a unit name */
  postfixJournal?: string | boolean;
  postfixQueue?: string;
  sunMtaLog?: string;
  dovecotLog?: string;
  dovecotConfig?: string;
  verbose?: number;
  /** true: the default master socket */
  agentx?: string | boolean;
}

export function settingsFrom(flags: Flags): Settings {
  const s = defaults();
  let fileSunMta: SunMtaFile | undefined;
  let fileAlarms: AlarmFileSettings | undefined;
  let fileAgentx: string | undefined;
  let fileListen = false;
  let fileCommunities = false;
  if (flags.config) {
    const f = readConfigFile(flags.config);
    fileSunMta = f.sunMta;
    fileAlarms = f;
    fileAgentx = f.agentx;
    fileListen = f.listen !== undefined || f.agentaddress !== undefined;
    fileCommunities = Boolean(f.communities || f.community || f.resolved);
    if (f.listen) s.listen = f.listen;
    if (f.agentaddress) s.listen = [...(f.listen ?? []), ...[f.agentaddress].flat()];
    if (f.communities) s.communities = f.communities.map((c) => ({ community: c.name, sources: c.source ?? [] }));
    else if (f.community) s.communities = [{ community: f.community, sources: [] }];
    if (f.resolved) {
      const ro = f.resolved.communities;
      // Any security line (even SNMPv3 only) ends the `public` default: only configured communities serve.
      s.communities = f.communities || f.community ? [...s.communities, ...ro] : ro;
      s.security = f.resolved.security;
    }
    if (f.stateDir) s.stateDir = path.resolve(path.dirname(flags.config), f.stateDir);
    if (f.demo !== undefined) s.demo = f.demo;
    if (f.fromStart !== undefined) s.fromStart = f.fromStart;
    if (f.postfix) {
      const p = f.postfix;
      s.postfix = {
        log: p.log && path.resolve(path.dirname(flags.config), p.log),
        journal: p.journal === undefined || p.journal === false ? undefined : { unit: p.journal === true ? undefined : p.journal },
        queue: p.queue,
        queueInterval: p.queueInterval ?? 60,
        contentFilterServices: p.contentFilterServices ?? [],
      };
    }
    if (f.dovecot) s.dovecot = dovecotFromFile(f.dovecot, path.dirname(flags.config));
    if (f.maxMessageSize) s.maxMessageSize = f.maxMessageSize;
    if (f.logLevel) s.logLevel = f.logLevel;
    if (f.system) s.system = { ...s.system, ...f.system };
    if (f.probes) s.probes = probeSpecs(f.probes, path.dirname(flags.config));
  }
  if (flags.listen?.length || flags.agentaddress?.length) {
    const listen = [...(flags.listen ?? []), ...(flags.agentaddress ?? [])];
    for (const l of listen) parseEndpoint(l);
    s.listen = listen;
  }
  // --community adds one (any source, no view) to those configured; it replaces only the default.
  if (flags.community) s.communities = [...(fileCommunities ? s.communities : []), { community: flags.community, sources: [] }];
  if (flags.stateDir) s.stateDir = path.resolve(flags.stateDir);
  if (flags.demo) s.demo = true;
  if (flags.fromStart) s.fromStart = true;
  if (flags.postfixLog || flags.postfixJournal || flags.postfixQueue) {
    s.postfix ??= { queueInterval: 60, contentFilterServices: [] };
    if (flags.postfixLog) s.postfix.log = path.resolve(flags.postfixLog);
    if (flags.postfixJournal) s.postfix.journal = { unit: flags.postfixJournal === true ? undefined : flags.postfixJournal };
    if (flags.postfixQueue) s.postfix.queue = flags.postfixQueue;
  }
  if (s.postfix?.queue !== undefined && !s.postfix.log && !s.postfix.journal) {
    throw new Error('--postfix-queue needs --postfix-log or --postfix-journal (the queue belongs to the MTA the log shows)');
  }
  const sunMta = sunMtaSettings(fileSunMta, flags.config, flags.sunMtaLog);
  if (sunMta) s.sunMta = sunMta;
  applyAlarmSettings(s, fileAlarms, flags, (p) => path.resolve(path.dirname(flags.config!), p));
  const dovecot = dovecotFromFlags(s.dovecot, flags);
  if (dovecot) s.dovecot = dovecot;
  if (flags.verbose) s.logLevel = flags.verbose > 1 ? 'debug' : 'info';
  const agentx = agentxAddress(fileAgentx, flags.agentx);
  if (agentx !== undefined) {
    s.agentx = agentx;
    if (!fileListen && !flags.listen?.length && !flags.agentaddress?.length) s.listen = [];
  }
  return s;
}
