// Shared by the NMS template tests (test/e2e/nms-templates.test.ts): a mail host to point
// them at (a real private Postfix with mail delivered and mail deferred, a Dovecot log,
// madman probing a live and a dead service, alarms raised), and readers of the Zabbix
// template and of the Nagios object file.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/harness.js';
import { freeUdpPort } from '../helpers/ports.js';
import { ADDR, freePorts, startPostfix, type PostfixServer } from '../helpers/postfix-server.js';
import { until, walkRows } from '../helpers/probe-support.js';
import { startCliAgent, type CliAgent } from './integration-support.js';

export interface MailHost {
  postfix: PostfixServer;
  agent: CliAgent;
  port: number;
  /** "127.0.0.1:PORT" */
  target: string;
  /** the port nothing listens on, which the probe "gone" tries */
  closed: number;
  /** applName of the Postfix MTA (syslog_name MTA on myhostname's first label) */
  mta: string;
  stop(): Promise<void>;
}

/** The mail host, once every table the templates read has rows and the alarms are raised. */
export async function startMailHost(dir: string): Promise<MailHost> {
  const postfix = await startPostfix();
  let agent: CliAgent | undefined;
  try {
    await postfix.sendMail({ from: ADDR.sender, to: [ADDR.local] });
    for (let i = 0; i < 2; i++) await postfix.sendMail({ from: ADDR.sender, to: [ADDR.deferred] });
    await until('two messages deferred', async () => (await postfix.queueJson()).filter((q) => q.queue_name === 'deferred').length === 2, 60000);
    // Dovecot's log up to (not with) its stop: the services are up, with logins counted
    const dovecot = readFileSync(path.join(ROOT, 'test/fixtures/dovecot/formats.log'), 'utf8').split('\n').filter((l) => !/Killed with signal/.test(l));
    writeFileSync(path.join(dir, 'dovecot.log'), dovecot.join('\n'));
    const [closed] = (await freePorts(1)) as [number];
    const port = await freeUdpPort();
    const conf = path.join(dir, 'madman.yml');
    writeFileSync(
      conf,
      [
        `listen: [udp:127.0.0.1:${port}]`,
        'stateDir: state',
        'fromStart: true',
        'postfix:',
        `  log: ${postfix.maillog}`,
        `  queue: ${postfix.etcDir}`,
        '  queueInterval: 1',
        'dovecot:',
        '  log: dovecot.log',
        '  quotaInterval: 0',
        '  whoInterval: 0',
        `disks: [${dir}]`,
        'probes:',
        '  - { name: gone, protocol: smtp, host: 127.0.0.1, port: ' + closed + ', timeout: 2, interval: 3600 }',
        '  - { name: mx, protocol: smtp, host: 127.0.0.1, port: ' + postfix.port + ', interval: 3600 }',
        'alarms:',
        '  queuesize: { threshold: 1, statInterval: 1 }',
        '  servicedown: { statInterval: 1 }',
        '',
      ].join('\n'),
    );
    agent = await startCliAgent(['agent', '--config', conf], dir);
    const target = `127.0.0.1:${port}`;
    const mta = 'postfix-test MTA on madman-test';
    await until(
      'alarms raised: queuesize of the MTA, servicedown of the dead probe',
      async () => {
        const raised = [...(await walkRows(target, 'MADMAN-MIB::madmanAlarmTable')).values()].filter((r) => r.madmanAlarmWarningState === 'true').map((r) => `${r.madmanAlarmId} ${r.madmanAlarmInstance}`);
        return raised.includes(`queuesize ${mta}`) && raised.includes('servicedown gone smtp on 127.0.0.1');
      },
      90000,
    );
    await until('the live probe checked', async () => [...(await walkRows(target, 'MADMAN-MIB::madmanProbeTable')).values()].some((r) => r.madmanProbeName === 'mx smtp on 127.0.0.1' && r.madmanProbeStatus === 'ok'), 60000);
    const a = agent;
    return {
      postfix,
      agent: a,
      port,
      target,
      closed,
      mta,
      async stop() {
        await a.stop();
        await postfix.stop();
      },
    };
  } catch (err) {
    await agent?.stop();
    await postfix.stop();
    throw err;
  }
}

// --- Zabbix -------------------------------------------------------------------------------

/** An element of the export: a map of its fields. */
export type Z = Record<string, unknown>;

/** The fields each element of a Zabbix 6.0 template export may have (anything else is a typo). */
export const ZABBIX_FIELDS: Record<string, readonly string[]> = {
  export: ['version', 'date', 'groups', 'templates'],
  group: ['uuid', 'name'],
  template: ['uuid', 'template', 'name', 'description', 'groups', 'items', 'discovery_rules', 'macros', 'valuemaps', 'tags', 'templates', 'dashboards', 'httptests'],
  item: ['uuid', 'name', 'type', 'snmp_oid', 'key', 'delay', 'history', 'trends', 'status', 'value_type', 'units', 'params', 'description', 'inventory_link', 'valuemap', 'preprocessing', 'tags', 'triggers'],
  item_prototype: ['uuid', 'name', 'type', 'snmp_oid', 'key', 'delay', 'history', 'trends', 'status', 'discover', 'value_type', 'units', 'params', 'description', 'valuemap', 'preprocessing', 'tags', 'trigger_prototypes'],
  trigger: ['uuid', 'expression', 'recovery_mode', 'recovery_expression', 'name', 'event_name', 'opdata', 'url', 'status', 'priority', 'description', 'type', 'manual_close', 'dependencies', 'tags', 'discover'],
  discovery_rule: ['uuid', 'name', 'type', 'snmp_oid', 'key', 'delay', 'status', 'filter', 'lifetime', 'description', 'item_prototypes', 'trigger_prototypes', 'graph_prototypes', 'host_prototypes', 'preprocessing', 'lld_macro_paths', 'overrides'],
  filter: ['evaltype', 'formula', 'conditions'],
  condition: ['macro', 'value', 'operator', 'formulaid'],
  step: ['type', 'parameters', 'error_handler', 'error_handler_params'],
  valuemap: ['uuid', 'name', 'mappings'],
  mapping: ['type', 'value', 'newvalue'],
  macro: ['macro', 'value', 'description', 'type'],
};

export const ZABBIX_ENUMS = {
  type: ['ZABBIX_PASSIVE', 'TRAP', 'SIMPLE', 'INTERNAL', 'ZABBIX_ACTIVE', 'EXTERNAL', 'ODBC', 'IPMI', 'SSH', 'TELNET', 'CALCULATED', 'JMX', 'SNMP_TRAP', 'DEPENDENT', 'HTTP_AGENT', 'SNMP_AGENT', 'SCRIPT'],
  value_type: ['FLOAT', 'CHAR', 'LOG', 'UNSIGNED', 'TEXT'],
  priority: ['NOT_CLASSIFIED', 'INFO', 'WARNING', 'AVERAGE', 'HIGH', 'DISASTER'],
  step: ['MULTIPLIER', 'RTRIM', 'LTRIM', 'TRIM', 'REGEX', 'BOOL_TO_DECIMAL', 'OCTAL_TO_DECIMAL', 'HEX_TO_DECIMAL', 'SIMPLE_CHANGE', 'CHANGE_PER_SECOND', 'XMLPATH', 'JSONPATH', 'IN_RANGE', 'MATCHES_REGEX', 'NOT_MATCHES_REGEX', 'CHECK_JSON_ERROR', 'CHECK_XML_ERROR', 'CHECK_REGEX_ERROR', 'DISCARD_UNCHANGED', 'DISCARD_UNCHANGED_HEARTBEAT', 'JAVASCRIPT', 'PROMETHEUS_PATTERN', 'PROMETHEUS_TO_JSON', 'CSV_TO_JSON', 'STR_REPLACE', 'CHECK_NOT_SUPPORTED', 'XML_TO_JSON'],
  operator: ['MATCHES_REGEX', 'NOT_MATCHES_REGEX', 'EXISTS', 'NOT_EXISTS'],
  manual_close: ['YES', 'NO'],
} as const;

/** The list under `key` (missing: empty). */
export function list(o: Z, key: string): Z[] {
  const v = o[key];
  return Array.isArray(v) ? (v as Z[]) : [];
}

/** `discovery[{#A},OID,{#B},OID]` as [macro, oid] pairs. */
export function discoveryPairs(snmpOid: string): Array<[string, string]> {
  const m = /^discovery\[(.*)\]$/.exec(snmpOid);
  if (!m) throw new Error(`${snmpOid} is not discovery[...]`);
  const parts = m[1]!.split(',');
  const out: Array<[string, string]> = [];
  for (let i = 0; i < parts.length; i += 2) out.push([parts[i]!, parts[i + 1]!]);
  return out;
}

/** The item references of a trigger expression: [function, host, key]. */
export function references(expression: string): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (const m of expression.matchAll(/(\w+)\(\/([^/]+)\/([^,)]+(?:\[[^\]]*\])?)/g)) out.push([m[1]!, m[2]!, m[3]!]);
  return out;
}

/**
 * Evaluates an expression made of `last(/HOST/KEY)OP NUMBER` terms joined by and/or (the
 * form the state triggers use), with `value` giving each key's last value; undefined for
 * any other form.
 */
export function evaluateLast(expression: string, value: (key: string) => number): boolean | undefined {
  const terms = expression.split(/\s+(and|or)\s+/);
  let result: boolean | undefined;
  let op = 'or';
  for (const [i, t] of terms.entries()) {
    if (i % 2 === 1) {
      op = t;
      continue;
    }
    const m = /^last\(\/[^/]+\/(.+)\)(=|<>|>=|<=|>|<)(-?\d+(?:\.\d+)?)$/.exec(t.trim());
    if (!m) return undefined;
    const [v, n] = [value(m[1]!), Number(m[3])];
    const r = { '=': v === n, '<>': v !== n, '>=': v >= n, '<=': v <= n, '>': v > n, '<': v < n }[m[2] as '=' | '<>' | '>=' | '<=' | '>' | '<'];
    result = result === undefined ? r : op === 'and' ? result && r : result || r;
  }
  return result;
}

// --- Nagios -------------------------------------------------------------------------------

/** `define TYPE { key value ... }` blocks of a Nagios object file. */
export function nagiosObjects(text: string): Array<{ type: string; fields: Map<string, string> }> {
  const out: Array<{ type: string; fields: Map<string, string> }> = [];
  const lines = text.split('\n').map((l) => l.replace(/^\s*#.*$/, '').trim());
  for (let i = 0; i < lines.length; i++) {
    const start = /^define\s+(\w+)\s*\{$/.exec(lines[i]!);
    if (!start) continue;
    const fields = new Map<string, string>();
    for (i++; lines[i] !== '}'; i++) {
      const l = lines[i]!;
      if (l === '') continue;
      const sp = l.search(/\s/);
      fields.set(l.slice(0, sp), l.slice(sp).trim());
    }
    out.push({ type: start[1]!, fields });
  }
  return out;
}
