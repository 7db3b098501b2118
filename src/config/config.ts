// Agent settings: defaults, then the YAML file, then command-line flags.
// The file is checked against a JSON schema (ajv); an error names the key and
// the line it is on, and the CLI exits 2. Each source's section, flags and settings
// come from its declaration in the source registry (src/sources/registry.ts): this
// file names no source.

import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import type { Document, LineCounter, Node } from 'yaml';
import { yaml } from './yaml-lazy.js';
import { parseNetwork, type CommunityRule } from '../snmp/access.js';
import { parseEndpoint } from '../snmp/udp-agent.js';
import { SecurityConfigError, hasSecurityLines, securitySchemaProperties, securitySettings, type SecurityFileSettings, type SecuritySettings } from './security.js';
import { alarmDefaults, alarmSchemas, applyAlarmSettings, checkAlarmFile, type AlarmFileSettings, type AlarmFlags, type AlarmSettings, type NotifySettings } from './alarms.js';
import { AGENTX_FORMAT_MESSAGE, agentxAddress, agentxSchema, isAgentxAddress } from './agentx.js';
import { checkListenFile, listenConflict, servingDefaults, servingFromFile, servingSchemaProperties, type ServingFile, type ServingLimits } from './serving.js';
import { stateDirProblem } from './state-dir.js';
import { findAliasBomb } from './yaml-aliases.js';
import { httpFromFile, httpSchema, httpWithFlags, type HttpFile, type HttpSettings } from './http.js';
import '../sources/index.js';
import { registryVersion, sourceDeclarations, type SourceSettings } from '../sources/registry.js';

/**
 * The agent's settings. Besides these, each configured source has its settings under its
 * config key (`postfix`, `sunMta`, ...), typed by its declaration (SourceSettings).
 */
export interface Settings extends Partial<SourceSettings> {
  listen: string[];
  communities: CommunityRule[];
  stateDir: string;
  /** read logs from their beginning before following them */
  fromStart: boolean;
  maxMessageSize: number;
  logLevel: string;
  system: { contact: string; location: string; name?: string };
  /** SNMPv3 users and VACM views (security.ts); none when absent */
  security?: SecuritySettings;
  alarms: AlarmSettings;
  notify: NotifySettings;
  /** AgentX master to serve through (unix:PATH or tcp:HOST:PORT) */
  agentx?: string;
  /** GetBulk caps and the socket receive buffer (config/serving.ts) */
  limits: ServingLimits;
  /** the HTTP front end (config/http.ts); off when absent */
  http?: HttpSettings;
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
    fromStart: false,
    maxMessageSize: 65507,
    logLevel: 'warn',
    system: { contact: 'postmaster@localhost', location: 'unknown' },
    ...alarmDefaults(),
    limits: servingDefaults(),
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

const coreSchema = {
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
    fromStart: { type: 'boolean' },
    maxMessageSize: { type: 'integer', minimum: 484, maximum: 65535 },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    system: {
      type: 'object',
      additionalProperties: false,
      properties: { contact: { type: 'string' }, location: { type: 'string' }, name: { type: 'string' } },
    },
    ...securitySchemaProperties,
    ...alarmSchemas,
    agentx: agentxSchema,
    ...servingSchemaProperties,
    http: httpSchema,
  },
} as const;

let compiled: { version: number; validate: ValidateFunction } | undefined;

/** The JSON schema of the whole file: the core keys and each registered source's section (contrib/madman.yml's test walks it). */
export function configSchema(): object {
  // the sources' sections after fromStart: ajv reports the first failing key in this order
  const properties: Record<string, object> = {};
  for (const [k, v] of Object.entries(coreSchema.properties)) {
    properties[k] = v;
    if (k !== 'fromStart') continue;
    for (const d of sourceDeclarations()) {
      if (d.key in coreSchema.properties) throw new Error(`source ${d.name}: config key ${d.key} is taken`);
      properties[d.key] = d.schema ?? {};
    }
  }
  return { ...coreSchema, properties };
}

function validator(): ValidateFunction {
  if (compiled?.version === registryVersion()) return compiled.validate;
  // ajv is loaded at the first file read: an agent without a config file (the demo) never needs it
  const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
  const ajv = new Ajv({ allErrors: false });
  ajv.addFormat('endpoint', (s: string) => tryOk(() => parseEndpoint(s)));
  ajv.addFormat('network', (s: string) => tryOk(() => parseNetwork(s)));
  ajv.addFormat('agentx', isAgentxAddress);
  compiled = { version: registryVersion(), validate: ajv.compile(configSchema()) };
  return compiled.validate;
}

function tryOk(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

interface FileSettings extends SecurityFileSettings, AlarmFileSettings, ServingFile {
  listen?: string[];
  community?: string;
  communities?: Array<{ name: string; source?: string[] }>;
  stateDir?: string;
  fromStart?: boolean;
  maxMessageSize?: number;
  logLevel?: string;
  system?: { contact?: string; location?: string; name?: string };
  /** the security lines, checked and resolved */
  resolved?: ReturnType<typeof securitySettings>;
  agentx?: string;
  http?: HttpFile;
  /** the http lines, checked and resolved */
  httpResolved?: HttpSettings;
}

/** Reads and checks a config file; throws ConfigError. */
export function readConfigFile(file: string): FileSettings {
  let text: string;
  try {
    // a FIFO would block the read until some writer came along
    if (!statSync(file).isFile()) throw new Error('not a regular file');
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', undefined, `cannot read: ${(err as Error).message}`);
  }
  const lines = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new ConfigError(file, '', lines.linePos(e.pos[0]).line, `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const bomb = findAliasBomb(doc);
  if (bomb) throw new ConfigError(file, dotted(bomb.path), bomb.offset === undefined ? undefined : lines.linePos(bomb.offset).line, bomb.message);
  // findAliasBomb bounds the expansion by size, which replaces the parser's count of aliases
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: -1 }) ?? {};
  } catch (err) {
    // what the parser still refuses when making data (a tag it cannot resolve, ...)
    throw new ConfigError(file, '', undefined, `not usable YAML: ${(err as Error).message}`);
  }
  const validate = validator();
  if (!validate(data)) {
    const e = validate.errors![0]!;
    const { key, line } = locate(doc, lines, e);
    throw new ConfigError(file, key, line, describe(e));
  }
  const settings = data as FileSettings;
  const failAt = (keys: ReadonlyArray<string | number>, message: string): never => {
    const at = (doc.getIn(keys, true) as Node | undefined)?.range?.[0];
    throw new ConfigError(file, dotted(keys), at === undefined ? undefined : lines.linePos(at).line, message);
  };
  const sections = settings as Record<string, unknown>;
  for (const d of sourceDeclarations()) {
    const section = sections[d.key];
    if (section !== undefined) d.check?.(section, { fail: (keys, message) => failAt([d.key, ...keys], message), failAt, file: sections });
  }
  try {
    if (hasSecurityLines(settings)) settings.resolved = securitySettings(settings, path.dirname(file));
  } catch (err) {
    if (!(err instanceof SecurityConfigError)) throw err;
    const at = (doc.getIn(err.path, true) as Node | undefined)?.range?.[0];
    throw new ConfigError(err.file ?? file, err.file ? 'createUser' : dotted(err.path), err.line ?? (at === undefined ? undefined : lines.linePos(at).line), err.message);
  }
  checkAlarmFile(doc, lines, settings, (key, line, message) => new ConfigError(file, key, line, message));
  checkListenFile(doc, lines, settings, (key, line, message) => new ConfigError(file, key, line, message));
  const stateDir = settings.stateDir && stateDirProblem(path.resolve(path.dirname(file), settings.stateDir));
  if (stateDir) failAt(['stateDir'], stateDir);
  if (settings.http) {
    settings.httpResolved = httpFromFile(settings.http, settings.secrets, path.dirname(file), (keys, message, at) => {
      const pos = (doc.getIn(keys, true) as Node | undefined)?.range?.[0];
      return new ConfigError(at?.file ?? file, dotted(keys), at?.line ?? (pos === undefined ? undefined : lines.linePos(pos).line), message);
    });
  }
  return settings;
}

/** `probes[0].host` for ['probes', 0, 'host']. */
function dotted(keys: ReadonlyArray<string | number>): string {
  return keys.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').slice(1);
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
    if (yaml().isMap(parent)) {
      const pair = parent.items.find((p) => yaml().isScalar(p.key) && p.key.value === extra);
      node = pair?.key as Node | undefined;
    }
  }
  if (!node && !parts.length) node = doc.contents ?? undefined;
  const at = node?.range?.[0];
  return { key, line: at === undefined ? undefined : lines.linePos(at).line };
}

/** `madman agent`'s flags; those of the sources (FlagDeclaration) by commander's camelCase name. */
export interface Flags extends AlarmFlags {
  config?: string;
  listen?: string[];
  /** snmpd.conf's name for --listen */
  agentaddress?: string[];
  community?: string;
  stateDir?: string;
  fromStart?: boolean;
  verbose?: number;
  /** true: the default master socket */
  agentx?: string | boolean;
  /** HTTP listen addresses (--http, repeatable) */
  http?: string[];
  [sourceFlag: string]: unknown;
}

export function settingsFrom(flags: Flags): Settings {
  const s = defaults();
  let file: FileSettings | undefined;
  let fileAlarms: AlarmFileSettings | undefined;
  let fileAgentx: string | undefined;
  let fileHttp: HttpSettings | undefined;
  let fileListen = false;
  let fileCommunities = false;
  let fileStateDir = false;
  if (flags.config) {
    const f = (file = readConfigFile(flags.config));
    fileAlarms = f;
    fileAgentx = f.agentx;
    fileHttp = f.httpResolved;
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
    fileStateDir = f.stateDir !== undefined;
    if (f.fromStart !== undefined) s.fromStart = f.fromStart;
    if (f.maxMessageSize) s.maxMessageSize = f.maxMessageSize;
    if (f.logLevel) s.logLevel = f.logLevel;
    if (f.system) s.system = { ...s.system, ...f.system };
    s.limits = servingFromFile(f, s.limits);
  }
  if (flags.listen?.length || flags.agentaddress?.length) {
    const listen = [...(flags.listen ?? []), ...(flags.agentaddress ?? [])];
    for (const l of listen) parseEndpoint(l);
    const conflict = listenConflict(listen);
    if (conflict) throw new Error(`--listen: ${conflict.message}`);
    s.listen = listen;
  }
  // --community adds one (any source, no view) to those configured; it replaces only the default.
  if (flags.community) s.communities = [...(fileCommunities ? s.communities : []), { community: flags.community, sources: [] }];
  if (flags.stateDir) s.stateDir = path.resolve(flags.stateDir);
  if (flags.stateDir || !fileStateDir) {
    // a file's stateDir was checked with its line (readConfigFile)
    const problem = stateDirProblem(s.stateDir);
    if (problem) throw new Error(`${flags.stateDir ? '--state-dir' : `stateDir (default ${s.stateDir})`}: ${problem}`);
  }
  if (flags.fromStart) s.fromStart = true;
  const dir = flags.config ? path.dirname(flags.config) : '.';
  const sections = (file ?? {}) as Record<string, unknown>;
  for (const d of sourceDeclarations()) {
    const v = d.settings({ file: sections[d.key], flags, filePath: (p) => path.resolve(dir, p), flagPath: (p) => path.resolve(p) });
    if (v !== undefined) (s as unknown as Record<string, unknown>)[d.key] = v;
  }
  applyAlarmSettings(s, fileAlarms, flags);
  if (flags.verbose) s.logLevel = flags.verbose > 1 ? 'debug' : 'info';
  const http = httpWithFlags(fileHttp, flags.http);
  if (http) s.http = http;
  const agentx = agentxAddress(fileAgentx, flags.agentx);
  if (agentx !== undefined) {
    s.agentx = agentx;
    if (!fileListen && !flags.listen?.length && !flags.agentaddress?.length) s.listen = [];
  }
  return s;
}
