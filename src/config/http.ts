// The `http:` part of the configuration and the --http flag: the HTTP front end
// (Prometheus /metrics, the status page). Off unless a listen address is given.
//   http:
//     listen: [127.0.0.1:9169]        # or "9169" (loopback), "[::1]:9169", "0.0.0.0:9169"
//     auth: basic                     # or bearer, or [basic, bearer]: credentials are the
//     secrets: /etc/madman/secrets    #   httpUser/httpToken lines of this file (default:
//                                     #   the top-level secrets file), mode 600
//     tls: {cert: http.crt, key: http.key}  # the key not readable by any user (o-rwx)
//     history: {interval: 60, hours: 24}
//     maxConnections: 64
//     requestTimeout: 10              # seconds a client has to send its request
// Everything a schema cannot check (addresses, files, credentials) is checked here, when
// the file is read, so that a bad value is a config error naming its key and line.

import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { readProtectedFile, words } from './security.js';

export type HttpAuthKind = 'basic' | 'bearer';

/** One address to listen on. */
export interface HttpAddress {
  host: string;
  port: number;
}

export interface HttpSettings {
  listen: HttpAddress[];
  /** accepted credentials; none: the listener is open */
  auth?: { kinds: HttpAuthKind[]; users: Map<string, string>; tokens: string[] };
  tls?: { cert: Buffer; key: Buffer };
  /** the status page's graphs: one point per interval, kept for `points` intervals */
  history: { intervalSeconds: number; points: number };
  maxConnections: number;
  /** how long a client may take to send its request headers (and body), ms */
  requestTimeoutMs: number;
}

/** What the YAML file may hold under `http:`. */
export interface HttpFile {
  listen?: string[];
  auth?: HttpAuthKind | HttpAuthKind[];
  secrets?: string;
  tls?: { cert: string; key: string };
  history?: { interval?: number; hours?: number };
  maxConnections?: number;
  requestTimeout?: number;
}

const AUTH = { enum: ['basic', 'bearer'] } as const;

/** JSON schema of the `http:` section. */
export const httpSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: { type: 'array', minItems: 1, items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
    auth: { anyOf: [AUTH, { type: 'array', minItems: 1, uniqueItems: true, items: AUTH }] },
    secrets: { type: 'string', minLength: 1 },
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['cert', 'key'],
      properties: { cert: { type: 'string', minLength: 1 }, key: { type: 'string', minLength: 1 } },
    },
    history: {
      type: 'object',
      additionalProperties: false,
      properties: {
        interval: { type: 'number', minimum: 1, maximum: 3600 },
        hours: { type: 'number', exclusiveMinimum: 0, maximum: 168 },
      },
    },
    maxConnections: { type: 'integer', minimum: 1, maximum: 10000 },
    requestTimeout: { type: 'number', minimum: 1, maximum: 300 },
  },
} as const;

/** Builds the error for a key path of the file (`in` when it is in another file: the secrets). */
export type HttpConfigError = (keys: Array<string | number>, message: string, at?: { file: string; line: number }) => Error;

/** Most points a series keeps: a week at one a minute. */
const MAX_POINTS = 7 * 24 * 60;

/** Settings with nothing but the listen addresses given. */
export function defaultHttpSettings(listen: HttpAddress[] = []): HttpSettings {
  return { listen, history: { intervalSeconds: 60, points: 24 * 60 }, maxConnections: 64, requestTimeoutMs: 10_000 };
}

/**
 * Parses a listen address: PORT (loopback), IPv4:PORT, [IPv6]:PORT or localhost:PORT.
 * Throws an Error saying what is wrong.
 */
export function parseHttpAddress(text: string | number): HttpAddress {
  const s = String(text).trim();
  const bad = (why: string) => new Error(`"${s}" is not an HTTP listen address: ${why} (PORT for loopback, HOST:PORT, [IPv6]:PORT)`);
  const portOf = (p: string) => {
    const n = Number(p);
    if (n > 65535) throw bad('the port is not 0..65535');
    return n;
  };
  if (/^\d+$/.test(s)) return { host: '127.0.0.1', port: portOf(s) };
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(s);
  if (!m) throw bad('expected HOST:PORT');
  const port = portOf(m[3]!);
  if (m[1] !== undefined) {
    if (net.isIPv6(m[1])) return { host: m[1], port };
    throw bad(`${m[1]} is not an IPv6 address`);
  }
  const host = m[2]!;
  // ":9169" means every interface to Go programs and loopback to us: ask which was meant
  if (host === '') throw bad('give the host: 127.0.0.1:PORT for this machine only, 0.0.0.0:PORT or [::]:PORT for every interface');
  if (host === 'localhost') return { host: '127.0.0.1', port };
  if (net.isIPv4(host)) return { host, port };
  throw bad(`${host} is not an IPv4 address (names are not resolved: give the address)`);
}

/**
 * Throws unless `a` can be bound here: a wildcard, loopback, or an address of one of this
 * host's interfaces (so that a typo is a config error, not a failure at start).
 */
export function checkLocalAddress(a: HttpAddress, interfaces = os.networkInterfaces()): void {
  if (a.host === '0.0.0.0' || a.host === '::' || a.host.startsWith('127.')) return;
  const norm = (h: string) => h.toLowerCase().replace(/%.*$/, '');
  for (const list of Object.values(interfaces)) for (const i of list ?? []) if (norm(i.address) === norm(a.host)) return;
  throw new Error(`${a.host} is not an address of this host (0.0.0.0 or [::] listens on every interface)`);
}

/** The `http:` section checked and resolved; `secrets` is the top-level secrets file, `dir` the config file's. */
export function httpFromFile(f: HttpFile, topSecrets: string | undefined, dir: string, fail: HttpConfigError): HttpSettings {
  const s = defaultHttpSettings();
  (f.listen ?? []).forEach((l, i) => {
    try {
      const a = parseHttpAddress(l);
      checkLocalAddress(a);
      s.listen.push(a);
    } catch (err) {
      throw fail(['http', 'listen', i], (err as Error).message);
    }
  });
  if (f.history?.interval !== undefined) s.history.intervalSeconds = f.history.interval;
  const hours = f.history?.hours ?? 24;
  s.history.points = Math.round((hours * 3600) / s.history.intervalSeconds);
  if (s.history.points < 2 || s.history.points > MAX_POINTS) {
    throw fail(['http', 'history'], `${hours} hours at one point every ${s.history.intervalSeconds} s is ${s.history.points} points per series (2..${MAX_POINTS})`);
  }
  if (f.maxConnections !== undefined) s.maxConnections = f.maxConnections;
  if (f.requestTimeout !== undefined) s.requestTimeoutMs = f.requestTimeout * 1000;
  if (f.tls) s.tls = readTls(f.tls, dir, fail);
  if (f.auth !== undefined) {
    const kinds = [f.auth].flat();
    const file = f.secrets !== undefined ? path.resolve(dir, f.secrets) : topSecrets !== undefined ? path.resolve(dir, topSecrets) : undefined;
    if (!file) throw fail(['http', 'auth'], 'the credentials are httpUser/httpToken lines of a secrets file: set http.secrets (or secrets)');
    const keys = f.secrets !== undefined ? ['http', 'secrets'] : ['secrets'];
    const creds = readCredentials(file, keys, fail);
    if (kinds.includes('basic') && creds.users.size === 0) throw fail(['http', 'auth'], `basic authentication needs an "httpUser NAME PASSWORD" line in ${file}`);
    if (kinds.includes('bearer') && creds.tokens.length === 0) throw fail(['http', 'auth'], `bearer authentication needs an "httpToken TOKEN" line in ${file}`);
    s.auth = {
      kinds,
      users: kinds.includes('basic') ? creds.users : new Map(),
      tokens: kinds.includes('bearer') ? creds.tokens : [],
    };
  }
  return s;
}

/** --http flags: they replace the file's listen addresses (as --listen does); throws on a bad one. */
export function httpWithFlags(fromFile: HttpSettings | undefined, flags: string[] | undefined): HttpSettings | undefined {
  if (!flags?.length) return fromFile?.listen.length ? fromFile : undefined;
  const listen = flags.map((a) => {
    try {
      const addr = parseHttpAddress(a);
      checkLocalAddress(addr);
      return addr;
    } catch (err) {
      throw new Error(`--http: ${(err as Error).message}`);
    }
  });
  return { ...(fromFile ?? defaultHttpSettings()), listen };
}

function readTls(t: { cert: string; key: string }, dir: string, fail: HttpConfigError): { cert: Buffer; key: Buffer } {
  const read = (k: 'cert' | 'key'): Buffer => {
    const file = path.resolve(dir, t[k]);
    let st;
    try {
      st = statSync(file);
    } catch (err) {
      throw fail(['http', 'tls', k], `cannot read ${file}: ${(err as Error).message}`);
    }
    // a FIFO would hold the start until some writer came along (as for the other files, issue 17)
    if (!st.isFile()) throw fail(['http', 'tls', k], `${file} is not a regular file`);
    // any local user could impersonate the agent; a group (Debian's ssl-cert) is the operator's choice
    if (k === 'key' && st.mode & 0o007) {
      const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
      throw fail(['http', 'tls', k], `${file} holds the private key but any user may read or write it (mode ${mode}): chmod o-rwx it`);
    }
    try {
      return readFileSync(file);
    } catch (err) {
      throw fail(['http', 'tls', k], `cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const cert = read('cert');
  const key = read('key');
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw fail(['http', 'tls', 'cert'], `the certificate and key do not make a TLS identity: ${(err as Error).message}`);
  }
  return { cert, key };
}

/** httpUser and httpToken lines of a secrets file (createUser lines are SNMP's: skipped). */
function readCredentials(file: string, keys: Array<string | number>, fail: HttpConfigError): { users: Map<string, string>; tokens: string[] } {
  let text: string;
  try {
    text = readProtectedFile(file);
  } catch (err) {
    throw fail(keys, (err as Error).message);
  }
  const users = new Map<string, string>();
  const tokens: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const at = { file, line: i + 1 };
    const [keyword, a, b, ...extra] = words(raw.trim());
    if (keyword === 'httpUser') {
      if (!a || b === undefined || extra.length) throw fail(keys, `line ${i + 1}: expected "httpUser NAME PASSWORD"`, at);
      if (a.includes(':')) throw fail(keys, `line ${i + 1}: a basic-auth user name cannot hold ":"`, at);
      if (b.length < 8) throw fail(keys, `line ${i + 1}: the password of ${a} is shorter than 8 characters`, at);
      if (users.has(a)) throw fail(keys, `line ${i + 1}: user ${a} is given twice`, at);
      users.set(a, b);
    } else if (keyword === 'httpToken') {
      if (!a || b !== undefined) throw fail(keys, `line ${i + 1}: expected "httpToken TOKEN"`, at);
      if (a.length < 16) throw fail(keys, `line ${i + 1}: a token must be at least 16 characters`, at);
      tokens.push(a);
    }
  });
  return { users, tokens };
}
