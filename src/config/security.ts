// SNMPv3 users, VACM views and community bindings, configured in snmpd.conf's
// vocabulary: each list item of `view`, `rocommunity`, `rocommunity6`, `rouser`
// and `createUser` is the rest of the snmpd.conf line. Pass phrases may also come
// from a secrets file of createUser lines that only the agent's user can read.

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadMibs, type MibTree } from '../mib/loader.js';
import { parseNetwork, type CommunityRule } from '../snmp/access.js';
import { parseOid } from '../snmp/oid.js';
import { authByName, cipherAvailable, privByName, type AuthProtocol, type PrivProtocol } from '../snmp/usm/crypto.js';
import { Level, type SecurityLevel } from '../snmp/usm/usm.js';
import { maskFromHex, type ViewFamily } from '../snmp/vacm.js';

export interface UserSetting {
  name: string;
  auth?: { protocol: AuthProtocol; pass: string };
  priv?: { protocol: PrivProtocol; pass: string };
}

export interface RoUserSetting {
  user: string;
  minLevel: SecurityLevel;
  view?: string;
}

export interface SecuritySettings {
  views: Map<string, ViewFamily[]>;
  users: UserSetting[];
  rousers: RoUserSetting[];
}

/** What the YAML file may hold for this area (lines in snmpd.conf syntax). */
export interface SecurityFileSettings {
  agentaddress?: string | string[];
  view?: string[];
  rocommunity?: string[];
  rocommunity6?: string[];
  rouser?: string[];
  createUser?: string[];
  secrets?: string;
  allowInsecure?: Array<'MD5' | 'DES'>;
}

const lines = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** JSON schema properties, merged into the config file's schema. */
export const securitySchemaProperties = {
  agentaddress: { anyOf: [{ type: 'string', format: 'endpoint' }, { type: 'array', minItems: 1, items: { type: 'string', format: 'endpoint' } }] },
  view: lines,
  rocommunity: lines,
  rocommunity6: lines,
  rouser: lines,
  createUser: lines,
  secrets: { type: 'string', minLength: 1 },
  allowInsecure: { type: 'array', items: { enum: ['MD5', 'DES'] } },
} as const;

/** An error at a path of the YAML document (config.ts adds the file and line). */
export class SecurityConfigError extends Error {
  constructor(
    readonly path: Array<string | number>,
    message: string,
    /** set when the error is in another file (the secrets file) */
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Splits an snmpd.conf line into words; "double quotes" keep spaces. */
export function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

let mibTree: MibTree | undefined;

/** A subtree by OID (".1.3.6.1.2.1.1") or MIB name, optionally with arcs after it ("sysDescr.0"). */
export function resolveSubtree(text: string): number[] {
  if (/^\.?\d+(\.\d+)*$/.test(text)) return parseOid(text);
  const m = /^(?:[A-Za-z0-9-]+::)?([A-Za-z][A-Za-z0-9-]*)((?:\.\d+)*)$/.exec(text);
  if (!m) throw new Error(`"${text}" is neither an OID nor a MIB object name`);
  mibTree ??= loadMibs();
  const o = mibTree.byName.get(m[1]!);
  if (!o) throw new Error(`no MIB object named ${m[1]} in the modules madman serves`);
  return [...o.oid, ...(m[2] ? parseOid(m[2].slice(1)) : [])];
}

const LEVELS: Record<string, SecurityLevel> = {
  noauth: Level.noAuthNoPriv,
  noauthnopriv: Level.noAuthNoPriv,
  auth: Level.authNoPriv,
  authnopriv: Level.authNoPriv,
  priv: Level.authPriv,
  authpriv: Level.authPriv,
};

export function hasSecurityLines(f: SecurityFileSettings): boolean {
  return Boolean(f.view || f.rocommunity || f.rocommunity6 || f.rouser || f.createUser || f.secrets);
}

export function securitySettings(f: SecurityFileSettings, configDir: string): { security: SecuritySettings; communities: CommunityRule[] } {
  const allow = new Set(f.allowInsecure ?? []);
  const views = new Map<string, ViewFamily[]>();
  (f.view ?? []).forEach((line, i) => {
    const at = ['view', i];
    // view NAME TYPE SUBTREE [MASK]
    const [name, type, subtree, mask, ...extra] = words(line);
    if (!name || !subtree || extra.length) throw new SecurityConfigError(at, 'expected "NAME included|excluded SUBTREE [MASK]"');
    if (type !== 'included' && type !== 'excluded') throw new SecurityConfigError(at, `"${type}" is not included or excluded`);
    const arcs = wrap(at, () => resolveSubtree(subtree));
    const family: ViewFamily = { subtree: arcs, included: type === 'included' };
    if (mask !== undefined) family.mask = wrap(at, () => maskFromHex(mask, arcs.length));
    views.set(name, [...(views.get(name) ?? []), family]);
  });

  const communities: CommunityRule[] = [];
  let anonymous = 0;
  const viewOrOid = (at: Array<string | number>, rest: string[]): string | undefined => {
    // [-V VIEW] or [OID]: an OID is a view of that one subtree
    if (rest.length === 0) return undefined;
    if (rest[0] === '-V') {
      if (rest.length !== 2) throw new SecurityConfigError(at, 'expected "-V VIEW" (contexts other than the default are not served)');
      if (!views.has(rest[1]!)) throw new SecurityConfigError(at, `view "${rest[1]}" is not defined (add a view line)`);
      return rest[1];
    }
    if (rest.length !== 1) throw new SecurityConfigError(at, 'expected an OID or "-V VIEW" after the source');
    const name = ` subtree ${++anonymous}`;
    views.set(name, [{ subtree: wrap(at, () => resolveSubtree(rest[0]!)), included: true }]);
    return name;
  };
  for (const key of ['rocommunity', 'rocommunity6'] as const) {
    (f[key] ?? []).forEach((line, i) => {
      const at = [key, i];
      // rocommunity COMMUNITY [SOURCE [OID | -V VIEW]]
      const [community, source, ...rest] = words(line);
      if (!community) throw new SecurityConfigError(at, 'expected "COMMUNITY [SOURCE [OID | -V VIEW]]"');
      const six = key === 'rocommunity6';
      let sources: string[];
      if (source === undefined || source === 'default') sources = [six ? '::/0' : '0.0.0.0/0'];
      else {
        const net = wrap(at, () => parseNetwork(source));
        if ((net.family === 'ipv6') !== six) throw new SecurityConfigError(at, `${source} is not an ${six ? 'IPv6' : 'IPv4'} source (use ${six ? 'rocommunity' : 'rocommunity6'})`);
        sources = [source];
      }
      const view = viewOrOid(at, rest);
      communities.push(view === undefined ? { community, sources } : { community, sources, view });
    });
  }

  const users: UserSetting[] = [];
  const addUser = (at: Array<string | number>, line: string, file?: string, lineNo?: number) => {
    const fail = (msg: string) => new SecurityConfigError(at, msg, file, lineNo);
    // createUser NAME [AUTH AUTHPASS [PRIV [PRIVPASS]]]
    const [name, auth, authPass, priv, privPass, ...extra] = words(line);
    if (!name || extra.length || (auth !== undefined && authPass === undefined)) {
      throw fail('expected "NAME [AUTH-PROTOCOL AUTH-PASS-PHRASE [PRIV-PROTOCOL [PRIV-PASS-PHRASE]]]"');
    }
    if (Buffer.byteLength(name) > 32) throw fail('a user name is at most 32 octets');
    if (users.some((u) => u.name === name)) throw fail(`user ${name} is created twice`);
    const u: UserSetting = { name };
    if (auth !== undefined) {
      const protocol = authByName(auth);
      if (!protocol) throw fail(`"${auth}" is not an authentication protocol (SHA, SHA-224, SHA-256, SHA-384, SHA-512, MD5)`);
      if (protocol.name === 'MD5' && !allow.has('MD5')) throw fail('MD5 is refused unless allowInsecure lists MD5');
      if (authPass!.length < 8) throw fail('pass phrases must be at least 8 characters (RFC 3414 11.2)');
      u.auth = { protocol, pass: authPass! };
    }
    if (priv !== undefined) {
      const protocol = privByName(priv);
      if (!protocol) throw fail(`"${priv}" is not a privacy protocol (AES, AES-192, AES-256, DES)`);
      if (protocol.name === 'DES' && !allow.has('DES')) throw fail('DES is refused unless allowInsecure lists DES');
      if (!cipherAvailable(protocol)) throw fail(`${protocol.name} is not available in this Node's OpenSSL (DES needs NODE_OPTIONS=--openssl-legacy-provider)`);
      const pass = privPass ?? authPass!;
      if (pass.length < 8) throw fail('pass phrases must be at least 8 characters (RFC 3414 11.2)');
      u.priv = { protocol, pass };
    }
    users.push(u);
  };
  (f.createUser ?? []).forEach((line, i) => addUser(['createUser', i], line));
  if (f.secrets) readSecrets(path.resolve(configDir, f.secrets), addUser);

  const rousers: RoUserSetting[] = [];
  (f.rouser ?? []).forEach((line, i) => {
    const at = ['rouser', i];
    // rouser USER [noauth|auth|priv [OID | -V VIEW]]
    const [user, level, ...rest] = words(line);
    if (!user) throw new SecurityConfigError(at, 'expected "USER [noauth|auth|priv [OID | -V VIEW]]"');
    const minLevel = level === undefined ? Level.authNoPriv : LEVELS[level.toLowerCase()];
    if (minLevel === undefined) throw new SecurityConfigError(at, `"${level}" is not noauth, auth or priv`);
    const u = users.find((x) => x.name === user);
    if (!u) throw new SecurityConfigError(at, `user ${user} is not created (add a createUser line)`);
    if (minLevel >= Level.authNoPriv && !u.auth) throw new SecurityConfigError(at, `user ${user} has no authentication key for level ${level}`);
    if (minLevel === Level.authPriv && !u.priv) throw new SecurityConfigError(at, `user ${user} has no privacy key for level ${level}`);
    const view = viewOrOid(at, rest);
    rousers.push(view === undefined ? { user, minLevel } : { user, minLevel, view });
  });
  return { security: { views, users, rousers }, communities };
}

function wrap<T>(at: Array<string | number>, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof SecurityConfigError) throw err;
    throw new SecurityConfigError(at, (err as Error).message);
  }
}

/**
 * The text of a file of secrets, refused (an Error saying why) unless only its owner, the
 * agent's user, can read or write it. The SNMPv3 pass phrases and the HTTP credentials
 * (config/http.ts) are read through this one check.
 */
export function readProtectedFile(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  // a FIFO would block the read until some writer came along
  if (!st.isFile()) throw new SecurityConfigError(['secrets'], `${file} is not a regular file`);
  if (st.mode & 0o077) {
    const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
    throw new Error(`${file} holds pass phrases but is readable or writable by others than its owner (mode ${mode}): chmod 600 it`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`${file} is owned by uid ${st.uid}, not by the agent's user (uid ${uid})`);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Lines of the secrets file that belong to the HTTP front end (config/http.ts reads them). */
const HTTP_SECRET_LINES = new Set(['httpUser', 'httpToken']);

/** createUser lines from a file only its owner (the agent's user) can read. */
function readSecrets(file: string, addUser: (at: Array<string | number>, line: string, file: string, lineNo: number) => void): void {
  let text: string;
  try {
    text = readProtectedFile(file);
  } catch (err) {
    throw new SecurityConfigError(['secrets'], (err as Error).message);
  }
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [keyword] = words(line);
    if (HTTP_SECRET_LINES.has(keyword!)) return;
    if (keyword !== 'createUser') throw new SecurityConfigError(['secrets'], `line ${i + 1}: only createUser, httpUser and httpToken lines belong in the secrets file`, file, i + 1);
    addUser(['secrets'], line.slice(line.indexOf('createUser') + 'createUser'.length), file, i + 1);
  });
}
