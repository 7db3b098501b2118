// The `probes:` list of the config file: which mail services to probe, how, and what to
// do when one stays down. The schema fragment is checked by config.ts with the rest of
// the file (so errors name key and line); probeSpecs() turns entries into ProbeSpecs.

import path from 'node:path';
import type { CheckProtocol } from '../../model/checks.js';

export type TlsMode = 'none' | 'implicit' | 'starttls';

/** How to reach and log in to one service. */
export interface Endpoint {
  host: string;
  port: number;
  tls: TlsMode;
  /** verify the server's certificate (default true) */
  tlsVerify: boolean;
  /** PEM file of the CA(s) to trust instead of the system's */
  caFile?: string;
  user?: string;
  /** the password is read from this file (first line) at each check, never taken from argv */
  passwordFile?: string;
  /** SMTP: log in only when the server offers AUTH (`madman probe --user` shared with IMAP/POP) */
  authIfOffered?: boolean;
}

export interface ProbeSpec extends Endpoint {
  /** instance name: the applName is "<name> <protocol> on <host>" */
  name: string;
  protocol: CheckProtocol;
  /** seconds; every check ends within it */
  timeout: number;
  /** seconds between the end of one check and the start of the next */
  interval: number;
  /** seconds: slower than this is a warning / critical (congested) */
  warning?: number;
  critical?: number;
  /** smtp: the envelope of a test message (sent only when `to` is given) */
  from?: string;
  to?: string;
  /** http(s): the URL */
  url?: string;
  /** imap: the mailbox selected (default INBOX) */
  mailbox?: string;
  /** ldap: search base and filter of the user looked up */
  base?: string;
  filter?: string;
  /** roundtrip: the SMTP server that takes the message; the probe's own endpoint is the IMAP/POP mailbox */
  smtp?: Endpoint & { from: string; to: string };
  /** roundtrip: read the mailbox by 'imap' (default) or 'pop3' */
  fetch?: 'imap' | 'pop3';
  restart?: RestartSettings;
}

/** The watcher of a service (sources/probes/watcher.ts). */
export interface RestartSettings {
  command: string;
  afterFailures: number;
  windowSeconds: number;
  /** the daemon's pidfile, or its systemd unit: a dead process is restarted at once */
  pidfile?: string;
  unit?: string;
  /** seconds between looks at the process (default 5) */
  processInterval?: number;
}

const endpointProps = {
  host: { type: 'string', minLength: 1 },
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  tls: { enum: ['none', 'implicit', 'starttls'] },
  tlsVerify: { type: 'boolean' },
  caFile: { type: 'string', minLength: 1 },
  user: { type: 'string', minLength: 1 },
  passwordFile: { type: 'string', minLength: 1 },
} as const;

const seconds = { type: 'number', exclusiveMinimum: 0, maximum: 86400 } as const;

export const probesSchema = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'protocol'],
    properties: {
      name: { type: 'string', minLength: 1, pattern: '^\\S+$' },
      protocol: { enum: ['smtp', 'submission', 'lmtp', 'imap', 'pop3', 'ldap', 'http', 'roundtrip'] },
      ...endpointProps,
      timeout: seconds,
      interval: seconds,
      warning: seconds,
      critical: seconds,
      from: { type: 'string' },
      to: { type: 'string', minLength: 1 },
      url: { type: 'string', pattern: '^https?://' },
      mailbox: { type: 'string', minLength: 1 },
      base: { type: 'string' },
      filter: { type: 'string', minLength: 1 },
      fetch: { enum: ['imap', 'pop3'] },
      smtp: {
        type: 'object',
        additionalProperties: false,
        required: ['host', 'to'],
        properties: { ...endpointProps, from: { type: 'string' }, to: { type: 'string', minLength: 1 } },
      },
      restart: {
        type: 'object',
        additionalProperties: false,
        required: ['command'],
        properties: {
          command: { type: 'string', minLength: 1 },
          afterFailures: { type: 'integer', minimum: 1, maximum: 1000 },
          windowSeconds: seconds,
          pidfile: { type: 'string', minLength: 1 },
          unit: { type: 'string', minLength: 1, pattern: '^\\S+$' },
          processInterval: { type: 'number', minimum: 1, maximum: 86400 },
        },
      },
    },
    allOf: [
      { if: { properties: { protocol: { const: 'http' } } }, then: { required: ['url'] }, else: { required: ['host'] } },
      { if: { properties: { protocol: { const: 'roundtrip' } } }, then: { required: ['smtp'] } },
    ],
  },
} as const;

type EndpointEntry = { host?: string; port?: number; tls?: TlsMode; tlsVerify?: boolean; caFile?: string; user?: string; passwordFile?: string };

export type ProbeEntry = EndpointEntry & {
  name: string;
  protocol: CheckProtocol;
  timeout?: number;
  interval?: number;
  warning?: number;
  critical?: number;
  from?: string;
  to?: string;
  url?: string;
  mailbox?: string;
  base?: string;
  filter?: string;
  fetch?: 'imap' | 'pop3';
  smtp?: EndpointEntry & { host: string; from?: string; to: string };
  restart?: { command: string; afterFailures?: number; windowSeconds?: number; pidfile?: string; unit?: string; processInterval?: number };
};

/** A problem the schema cannot express: the entry's path (['probes', i, key]) and what is wrong. */
export interface ProbeProblem {
  path: Array<string | number>;
  message: string;
}

/** Checks across entries and fields: unique names, warning below critical, URLs probeSpecs() can parse. */
export function checkProbes(entries: ProbeEntry[]): ProbeProblem | undefined {
  const seen = new Map<string, number>();
  for (const [i, e] of entries.entries()) {
    const key = `${e.name} ${e.protocol}`;
    if (seen.has(key)) return { path: ['probes', i, 'name'], message: `"${e.name}" already probes ${e.protocol} (entry ${seen.get(key)! + 1})` };
    seen.set(key, i);
    if (e.warning !== undefined && e.critical !== undefined && e.warning > e.critical) {
      return { path: ['probes', i, 'warning'], message: 'greater than critical' };
    }
    if (e.url !== undefined && !URL.canParse(e.url)) return { path: ['probes', i, 'url'], message: `"${e.url}" is not a URL` };
    if (e.tls === 'starttls' && e.protocol === 'ldap') return { path: ['probes', i, 'tls'], message: 'starttls is not supported for ldap (use implicit, ldaps)' };
    if (e.restart?.pidfile !== undefined && e.restart.unit !== undefined) return { path: ['probes', i, 'restart', 'unit'], message: 'give pidfile or unit, not both' };
  }
  return undefined;
}

/** seconds a check of the entry may take */
export function probeTimeout(e: Pick<ProbeEntry, 'timeout'>): number {
  // Longer than the serverresponse alarm's 10 s (Sun's default), so that a slow answer is
  // measured and raises that alarm instead of being cut off as a failure.
  return e.timeout ?? 30;
}

/** The well-known port of a protocol (with implicit TLS when `tls`). */
export function defaultPort(protocol: CheckProtocol | 'pop3' | 'imap', tls: TlsMode): number {
  const implicit = tls === 'implicit';
  switch (protocol) {
    case 'smtp':
      return implicit ? 465 : 25;
    case 'submission':
      return implicit ? 465 : 587;
    case 'lmtp':
      return 24;
    case 'imap':
    case 'roundtrip':
      return implicit ? 993 : 143;
    case 'pop3':
      return implicit ? 995 : 110;
    case 'ldap':
      return implicit ? 636 : 389;
    case 'http':
      return implicit ? 443 : 80;
  }
}

function endpoint(e: EndpointEntry, protocol: CheckProtocol | 'pop3', dir: string): Endpoint {
  const tls = e.tls ?? 'none';
  return {
    host: e.host ?? '',
    port: e.port ?? defaultPort(protocol, tls),
    tls,
    tlsVerify: e.tlsVerify ?? true,
    caFile: e.caFile && path.resolve(dir, e.caFile),
    user: e.user,
    passwordFile: e.passwordFile && path.resolve(dir, e.passwordFile),
  };
}

/** Config entries to probe specs; relative paths are taken from `dir` (the config file's). */
export function probeSpecs(entries: ProbeEntry[], dir: string): ProbeSpec[] {
  return entries.map((e) => {
    let ep = endpoint(e, e.protocol === 'roundtrip' && e.fetch === 'pop3' ? 'pop3' : e.protocol, dir);
    if (e.protocol === 'http' && e.url) {
      const u = new URL(e.url);
      const https = u.protocol === 'https:';
      ep = { ...ep, host: u.hostname, port: Number(u.port) || (https ? 443 : 80), tls: https ? 'implicit' : 'none' };
    }
    const spec: ProbeSpec = {
      ...ep,
      name: e.name,
      protocol: e.protocol,
      timeout: probeTimeout(e),
      interval: e.interval ?? 60,
      warning: e.warning,
      critical: e.critical,
      from: e.from,
      to: e.to,
      url: e.url,
      mailbox: e.mailbox,
      base: e.base,
      filter: e.filter,
      fetch: e.fetch,
    };
    if (e.smtp) {
      spec.smtp = { ...endpoint(e.smtp, 'smtp', dir), from: e.smtp.from ?? '', to: e.smtp.to };
    }
    if (e.restart) {
      const r = e.restart;
      spec.restart = { command: r.command, afterFailures: r.afterFailures ?? 3, windowSeconds: r.windowSeconds ?? 600 };
      if (r.pidfile !== undefined) spec.restart.pidfile = path.resolve(dir, r.pidfile);
      if (r.unit !== undefined) spec.restart.unit = r.unit;
      if (r.processInterval !== undefined) spec.restart.processInterval = r.processInterval;
    }
    return spec;
  });
}

/** The applName of a probed service (NETWORK-SERVICES-MIB applTable). */
export function probeName(spec: Pick<ProbeSpec, 'name' | 'protocol' | 'host'>): string {
  return `${spec.name} ${spec.protocol} on ${spec.host}`;
}

/** host:port, or the URL, of what a probe talks to. */
export function probeTarget(spec: ProbeSpec): string {
  if (spec.url) return spec.url;
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  return `${host}:${spec.port}`;
}
