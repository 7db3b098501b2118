// Reads a running madman agent over SNMP for `madman stat` and `madman alarms`: where it
// listens and how to log in come from the same settings the agent reads (its first listen
// address, a community this host may use, else an SNMPv3 user with its pass phrases), so the
// common case needs no flags. Requests go through the net-snmp package's sessions (v2c and
// v3, as the notification sinks do); each failure is sorted into one of the documented
// exit codes: the agent is not running, the credentials are refused, or something else.

import dgram from 'node:dgram';
import snmp from 'net-snmp';
import type { Settings } from '../config/config.js';
import type { UserSetting } from '../config/security.js';
import { CommunityAccess } from '../snmp/access.js';
import { Tag, encodeInteger, tlv } from '../snmp/ber.js';
import { parseOid, type Oid } from '../snmp/oid.js';
import { parseEndpoint } from '../snmp/udp-agent.js';

/** Exit codes of `madman stat` and `madman alarms` (docs/cli.md). */
export const STAT_EXIT = {
  ok: 0,
  /** `madman alarms --raised`: at least one alarm is raised */
  raised: 1,
  /** bad options or configuration */
  usage: 2,
  /** no madman agent answers at the address */
  notRunning: 3,
  /** the agent answers but refuses the community or the SNMPv3 user */
  credentials: 4,
  /** the agent runs but has nothing for the object asked for */
  notConfigured: 5,
  /** anything else (an SNMP error the agent should never give) */
  failed: 6,
} as const;

/** A failure with its exit code and the one line that says it. */
export class AgentError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** How the agent is read: a community (SNMPv2c) or an SNMPv3 user of the configuration. */
export type Credentials = { kind: 'community'; community: string } | { kind: 'v3'; user: UserSetting };

/** Where the agent is and how to log in. */
export interface AgentTarget {
  host: string;
  port: number;
  family: 'udp4' | 'udp6';
  credentials: Credentials;
}

/** The command-line overrides of where the agent is and how to log in. */
export interface TargetFlags {
  /** udp:HOST:PORT, as --listen takes it */
  agent?: string;
  community?: string;
  /** an SNMPv3 user of the configuration (createUser) */
  user?: string;
}

/** The agent's address as a client reaches it: a wildcard listen address means this host. */
function reachable(listen: string): { host: string; port: number; family: 'udp4' | 'udp6' } {
  const ep = parseEndpoint(listen);
  const host = ep.address === '0.0.0.0' ? '127.0.0.1' : ep.address === '::' ? '::1' : ep.address;
  return { host, port: ep.port, family: ep.family };
}

/**
 * The address and credentials to read the agent with: flags first, else the settings'
 * first listen address (with AgentX only, snmpd's 127.0.0.1:161) and the first community
 * this host may use (one without a view preferred), else the first SNMPv3 user with read
 * access, at its highest level.
 */
export function targetFrom(settings: Settings, flags: TargetFlags = {}): AgentTarget {
  let where;
  try {
    where = reachable(flags.agent ?? settings.listen[0] ?? 'udp:127.0.0.1:161');
  } catch (err) {
    throw new AgentError(STAT_EXIT.usage, (err as Error).message);
  }
  if (flags.community !== undefined) return { ...where, credentials: { kind: 'community', community: flags.community } };
  const users = settings.security?.users ?? [];
  const readers = new Set((settings.security?.rousers ?? []).map((r) => r.user));
  if (flags.user !== undefined) {
    const u = users.find((x) => x.name === flags.user);
    if (!u) throw new AgentError(STAT_EXIT.usage, `no SNMPv3 user ${flags.user} in the configuration (createUser)`);
    return { ...where, credentials: { kind: 'v3', user: u } };
  }
  const self = where.family === 'udp6' ? '::1' : '127.0.0.1';
  const access = new CommunityAccess(settings.communities);
  const usable = settings.communities.filter((c) => access.match(Buffer.from(c.community, 'utf8'), self) === c);
  const community = usable.find((c) => c.view === undefined) ?? usable[0];
  if (community) return { ...where, credentials: { kind: 'community', community: community.community } };
  const rank = (u: UserSetting) => (u.priv ? 2 : u.auth ? 1 : 0);
  const user = users.filter((u) => readers.has(u.name)).sort((a, b) => rank(b) - rank(a))[0];
  if (user) return { ...where, credentials: { kind: 'v3', user } };
  throw new AgentError(STAT_EXIT.usage, `the configuration gives ${self} no community and no SNMPv3 user to read the agent with (use --community or --user)`);
}

/** "udp:127.0.0.1:1161", "udp6:[::1]:1161" */
export function targetLabel(t: Pick<AgentTarget, 'host' | 'port' | 'family'>): string {
  return t.family === 'udp6' ? `udp6:[${t.host}]:${t.port}` : `udp:${t.host}:${t.port}`;
}

/** A value as the package delivers it: numbers, octets (Buffer) or an OID string. */
export type SnmpValue = number | bigint | Buffer | string | null;

/** One variable as read: its OID as arcs, its type tag, its value (null for noSuchObject, noSuchInstance, endOfMibView). */
export interface Varbind {
  oid: number[];
  type: number;
  value: SnmpValue;
}

// The parts of the package's session API used here (its typings declare them as any).
interface PackageVarbind {
  oid: string;
  type: number;
  value: unknown;
}
interface PackageSession {
  get(oids: string[], cb: (err: Error | null, varbinds?: PackageVarbind[]) => void): void;
  subtree(oid: string, maxRepetitions: number, feed: (varbinds: PackageVarbind[]) => boolean | void, done: (err: Error | null) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  close(): void;
}
interface SessionApi {
  Version2c: number;
  SecurityLevel: Record<string, number>;
  AuthProtocols: Record<string, number>;
  PrivProtocols: Record<string, number>;
  ResponseInvalidCode: Record<string, number>;
  isVarbindError(vb: PackageVarbind): boolean;
  createSession(target: string, community: string, options: Record<string, unknown>): PackageSession;
  createV3Session(target: string, user: Record<string, unknown>, options: Record<string, unknown>): PackageSession;
}
const api = snmp as unknown as SessionApi;

const AUTH: Record<string, string> = { MD5: 'md5', SHA: 'sha', 'SHA-224': 'sha224', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
// The package's aes256b is the Blumenthal key extension, which our AES-256 is; it has no AES-192.
const PRIV: Record<string, string> = { AES: 'aes', DES: 'des', 'AES-256': 'aes256b' };

function v3User(u: UserSetting): Record<string, unknown> {
  if (u.priv && !PRIV[u.priv.protocol.name]) {
    throw new AgentError(STAT_EXIT.usage, `SNMPv3 user ${u.name}: the SNMP client cannot speak ${u.priv.protocol.name}; use --community or another user`);
  }
  const level = u.priv ? 'authPriv' : u.auth ? 'authNoPriv' : 'noAuthNoPriv';
  return {
    name: u.name,
    level: api.SecurityLevel[level],
    ...(u.auth ? { authProtocol: api.AuthProtocols[AUTH[u.auth.protocol.name]!], authKey: u.auth.pass } : {}),
    ...(u.priv ? { privProtocol: api.PrivProtocols[PRIV[u.priv.protocol.name]!], privKey: u.priv.pass } : {}),
  };
}

const NO_SUCH = new Set([Tag.NoSuchObject, Tag.NoSuchInstance, Tag.EndOfMibView]);

function varbind(vb: PackageVarbind): Varbind {
  return { oid: parseOid(vb.oid), type: vb.type, value: NO_SUCH.has(vb.type as never) ? null : (vb.value as SnmpValue) };
}

/**
 * A bare SNMPv3 engine discovery (RFC 3414 4): every SNMPv3 agent answers it with a Report,
 * whatever its users and communities, so an answer proves the agent runs.
 */
function discoveryMessage(id: number): Buffer {
  const octets = (b: Buffer | string) => tlv(Tag.OctetString, Buffer.from(b));
  const header = tlv(Tag.Sequence, [encodeInteger(id), encodeInteger(65507), octets(Buffer.from([4])), encodeInteger(3)]);
  const usm = octets(tlv(Tag.Sequence, [octets(''), encodeInteger(0), encodeInteger(0), octets(''), octets(''), octets('')]));
  const pdu = tlv(Tag.GetRequest, [encodeInteger(id), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence, [])]);
  return tlv(Tag.Sequence, [encodeInteger(3), header, usm, tlv(Tag.Sequence, [octets(''), octets(''), pdu])]);
}

/**
 * Whether anything answers SNMP at the address. The socket is connected, so on this host a
 * closed port answers at once (ICMP port unreachable: ECONNREFUSED) instead of timing out.
 */
export function agentAnswers(t: Pick<AgentTarget, 'host' | 'port' | 'family'>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(t.family);
    let done = false;
    const finish = (v: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('error', () => finish(false));
    sock.on('message', () => finish(true));
    sock.connect(t.port, t.host, () => sock.send(discoveryMessage(0x4d41), (err) => err && finish(false)));
  });
}

/** How long to wait for each answer, and how many times to ask again. */
export interface ReaderOptions {
  /** per request (default 3000 ms) */
  timeoutMs?: number;
  retries?: number;
}

/** One session with the agent: scalars and table walks, failures as AgentErrors. */
export class AgentReader {
  private constructor(
    private readonly session: PackageSession,
    readonly target: AgentTarget,
    private readonly timeoutMs: number,
  ) {}

  static open(target: AgentTarget, opts: ReaderOptions = {}): AgentReader {
    const timeoutMs = opts.timeoutMs ?? 3000;
    const common = { port: target.port, timeout: timeoutMs, retries: opts.retries ?? 1, transport: target.family };
    const c = target.credentials;
    let session: PackageSession;
    try {
      session =
        c.kind === 'community'
          ? api.createSession(target.host, c.community, { ...common, version: api.Version2c })
          : api.createV3Session(target.host, v3User(c.user), common);
    } catch (err) {
      if (err instanceof AgentError) throw err;
      throw new AgentError(STAT_EXIT.failed, `cannot open an SNMP session with ${targetLabel(target)}: ${(err as Error).message}`);
    }
    // a socket error also fails the request under way, which says what happened
    session.on('error', () => undefined);
    return new AgentReader(session, target, timeoutMs);
  }

  close(): void {
    try {
      this.session.close();
    } catch {
      /* already closed */
    }
  }

  /** GET of whole OIDs (instance included); a missing one is null. */
  get(oids: Oid[]): Promise<Varbind[]> {
    return new Promise((resolve, reject) => {
      this.session.get(
        oids.map((o) => o.join('.')),
        (err, vbs) => (err ? this.fail(err).then(reject, reject) : resolve((vbs ?? []).map(varbind))),
      );
    });
  }

  /** Every instance under `oid`, in order. */
  walk(oid: Oid): Promise<Varbind[]> {
    const out: Varbind[] = [];
    return new Promise((resolve, reject) => {
      this.session.subtree(
        oid.join('.'),
        25,
        (vbs) => {
          for (const vb of vbs) if (!api.isVarbindError(vb)) out.push(varbind(vb));
        },
        (err) => (err ? this.fail(err).then(reject, reject) : resolve(out)),
      );
    });
  }

  /** The AgentError a package error means (probing the address after a timeout). */
  private async fail(err: Error): Promise<AgentError> {
    const where = targetLabel(this.target);
    const c = this.target.credentials;
    const who = c.kind === 'community' ? `community "${c.community}"` : `SNMPv3 user ${c.user.name}`;
    if (err.name === 'RequestTimedOutError') {
      if (!(await agentAnswers(this.target, Math.min(this.timeoutMs, 2000)))) {
        return new AgentError(STAT_EXIT.notRunning, `no SNMP agent answers at ${where} (is madman agent running?)`);
      }
      return new AgentError(STAT_EXIT.credentials, `the agent at ${where} does not answer ${who} (unknown, or not allowed from this host)`);
    }
    const code = (err as Error & { code?: number }).code;
    if (err.name === 'ResponseInvalidError' && code === api.ResponseInvalidCode.EAuthFailure) {
      return new AgentError(STAT_EXIT.credentials, `the agent at ${where} refuses ${who}: ${err.message}`);
    }
    if (err.name === 'RequestFailedError' && /authorization/i.test(err.message)) {
      return new AgentError(STAT_EXIT.credentials, `the agent at ${where} refuses ${who}: ${err.message}`);
    }
    return new AgentError(STAT_EXIT.failed, `${where}: ${err.message}`);
  }
}
