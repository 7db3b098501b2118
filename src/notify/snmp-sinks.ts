// SNMP notification sinks, sent with the net-snmp package's sessions: trapsink (SNMPv1
// trap), trap2sink (v2c trap), informsink (v2c inform) and trapsess (v3 trap or inform,
// authPriv). Traps are sent and forgotten; informs go through a bounded RetryQueue and
// are sent again, with backoff, until the receiver acknowledges them. The agent's
// sysUpTime is passed with each one (the package's default is the process uptime in a
// 32-bit field, which overflows after 497 days). send() never blocks nor throws.

import { createRequire } from 'node:module';
import type { SinkSettings } from '../config/alarms.js';
import type { Logger } from '../log.js';
import type { Notification, NotificationSink, NotificationVarbind } from '../snmp/notifications.js';
import { RateLimitedLog, type Clock } from '../rate-limited-log.js';
import { RetryQueue, type RetryOptions } from './retry-queue.js';

// The parts of the package's session API used here (its typings declare them as any).
interface PackageVarbind {
  oid: string;
  type: number;
  value: unknown;
}
type Callback = (err: Error | null) => void;
/** A message the package is about to send (its v3 USM header fields, by the package's names). */
interface PackageRequest {
  message?: { version?: number; msgSecurityParameters?: { msgAuthoritativeEngineBoots: number; msgAuthoritativeEngineTime: number } };
}
interface Session {
  send(req: PackageRequest, noWait?: boolean): unknown;
  trap(oid: string, varbinds: PackageVarbind[], options: { upTime: number; agentAddr?: string }, cb: Callback): void;
  inform(oid: string, varbinds: PackageVarbind[], options: { upTime: number }, cb: Callback): void;
  on(event: 'error', listener: (err: Error) => void): void;
  close(): void;
}
interface SessionApi {
  Version1: number;
  Version2c: number;
  ObjectType: Record<string, number>;
  SecurityLevel: Record<string, number>;
  AuthProtocols: Record<string, number>;
  PrivProtocols: Record<string, number>;
  createSession(target: string, community: string, options: Record<string, unknown>): Session;
  createV3Session(target: string, user: Record<string, unknown>, options: Record<string, unknown>): Session;
}
// Loaded at the first sink: an agent that sends no SNMP notification never pays for the package.
let loaded: SessionApi | undefined;
function sessionApi(): SessionApi {
  loaded ??= createRequire(import.meta.url)('net-snmp') as SessionApi;
  return loaded;
}

const TYPES: Record<string, string> = {
  Integer32: 'Integer',
  OctetString: 'OctetString',
  ObjectIdentifier: 'OID',
  IpAddress: 'IpAddress',
  Counter32: 'Counter',
  Gauge32: 'Gauge',
  TimeTicks: 'TimeTicks',
  Counter64: 'Counter64',
  Opaque: 'Opaque',
  Bits: 'OctetString',
};

export function packageVarbind(v: NotificationVarbind): PackageVarbind {
  const type = sessionApi().ObjectType[TYPES[v.syntax.kind]!]!;
  let value: unknown = v.value;
  if (typeof value === 'string') {
    if (v.syntax.kind === 'Integer32') value = v.syntax.enums?.[value];
    else if (v.syntax.kind === 'ObjectIdentifier' || v.syntax.kind === 'IpAddress') value = String(value);
    else value = Buffer.from(value, 'utf8');
  } else if (Array.isArray(value)) value = value.join('.');
  if (value === undefined) throw new Error(`${v.name}: "${String(v.value)}" is not a value of ${v.syntax.name}`);
  return { oid: v.oid.join('.'), type, value };
}

const AUTH: Record<string, string> = { MD5: 'md5', SHA: 'sha', 'SHA-224': 'sha224', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const PRIV: Record<string, string> = { AES: 'aes', DES: 'des' };

function openSession(s: SinkSettings, timeoutMs: number): Session {
  const common = { trapPort: s.port, timeout: timeoutMs, retries: 0, transport: s.host.includes(':') ? 'udp6' : 'udp4' };
  if (s.kind === 'trapsess') {
    const u = s.user!;
    const user = {
      name: u.name,
      level: sessionApi().SecurityLevel.authPriv,
      authProtocol: sessionApi().AuthProtocols[AUTH[u.authProtocol]!],
      authKey: u.authPassword,
      privProtocol: sessionApi().PrivProtocols[PRIV[u.privProtocol]!],
      privKey: u.privPassword,
    };
    return sessionApi().createV3Session(s.host, user, { ...common, engineID: s.engineId });
  }
  return sessionApi().createSession(s.host, s.community ?? 'public', { ...common, version: s.kind === 'trapsink' ? sessionApi().Version1 : sessionApi().Version2c });
}

/**
 * snmpTrapOID as an SNMPv1 trap (RFC 3584 §3.2): for an OID ending in .0.N the enterprise
 * is what precedes .0 and the specific-trap is N; the package takes "ENTERPRISE.N".
 */
export function v1TrapOid(oid: readonly number[]): string {
  const arcs = oid.length > 2 && oid[oid.length - 2] === 0 ? [...oid.slice(0, -2), oid[oid.length - 1]!] : [...oid];
  return arcs.join('.');
}

/** snmpEngineBoots and snmpEngineTime of our engine (src/snmp/usm/engine-id.ts). */
export interface EngineClock {
  boots: number;
  /** seconds since boots last changed */
  time(): number;
}

export interface SnmpSinkOptions {
  retry: RetryOptions;
  /** how long to wait for an inform's response before retrying */
  timeoutMs: number;
  /** SNMPv1 agent-addr: the agent's IPv4 address (default 127.0.0.1) */
  agentAddr?: string;
  /** for the rate limit of warnings (tests) */
  clock?: Clock;
  /** our engine: a v3 trap's authoritative engine is its sender, whose boots and time it carries */
  engine?: EngineClock;
}

/**
 * The package sends SNMPv3 traps with msgAuthoritativeEngineBoots and -Time 0 (RFC 3414
 * 2.3: the sender of a trap is its authoritative engine, and a receiver checks its time
 * window against those values): they are set to our engine's just before the message is
 * encoded (send() encodes it, and the privacy IV takes them from there too). An inform's
 * authoritative engine is the receiver's, which the package discovers: left alone.
 */
function authoritativeClock(session: Session, engine: EngineClock): void {
  const send = session.send.bind(session);
  session.send = (req: PackageRequest, noWait?: boolean) => {
    const sp = req.message?.version === 3 ? req.message.msgSecurityParameters : undefined;
    if (sp) {
      sp.msgAuthoritativeEngineBoots = engine.boots;
      sp.msgAuthoritativeEngineTime = engine.time();
    }
    return send(req, noWait);
  };
}

export class SnmpSink implements NotificationSink {
  readonly name: string;
  private readonly session: Session;
  private readonly queue?: RetryQueue<Notification>;
  /** notifications handed to the transport (traps) or acknowledged (informs) */
  sent = 0;
  private readonly warnings: RateLimitedLog;

  constructor(
    private readonly settings: SinkSettings,
    private readonly log: Logger,
    private readonly opts: SnmpSinkOptions,
  ) {
    const version = settings.kind === 'trapsess' ? `v3 ${settings.inform ? 'inform' : 'trap'}` : settings.kind;
    this.name = `${version} ${settings.host}:${settings.port}`;
    this.session = openSession(settings, opts.timeoutMs);
    // A dead receiver fails every notification: one line per cause per minute, with counts.
    this.warnings = new RateLimitedLog((msg, count, f) => log.warn({ sink: this.name, ...f, count }, msg), { clock: opts.clock });
    this.warnings.startTimer();
    this.session.on('error', (err) => this.warnings.note('notification socket error', { err: err.message }));
    if (settings.kind === 'trapsess' && !settings.inform && opts.engine) authoritativeClock(this.session, opts.engine);
    if (settings.inform) {
      this.queue = new RetryQueue(
        (n) => this.inform(n),
        opts.retry,
        (err, wait, queued) => this.warnings.note('inform not acknowledged; will retry', { err: err.message, retryInMs: wait, queued }),
        (dropped) => this.warnings.note('inform queue full; oldest notification dropped', { dropped }),
      );
    }
  }

  /** informs waiting for an acknowledgement */
  get pending(): number {
    return this.queue?.length ?? 0;
  }

  send(n: Notification): void {
    if (this.queue) {
      this.queue.push(n);
      return;
    }
    const v1 = this.settings.kind === 'trapsink';
    this.session.trap(v1 ? v1TrapOid(n.oid) : n.oid.join('.'), n.varbinds.map(packageVarbind), { upTime: n.uptime, agentAddr: this.opts.agentAddr }, (err) => {
      if (err) this.warnings.note('trap not sent', { notification: n.name, err: err.message });
      else this.sent++;
    });
  }

  private inform(n: Notification): Promise<void> {
    return new Promise((resolve, reject) => {
      this.session.inform(n.oid.join('.'), n.varbinds.map(packageVarbind), { upTime: n.uptime }, (err) => {
        if (err) reject(err);
        else {
          this.sent++;
          resolve();
        }
      });
    });
  }

  async close(): Promise<void> {
    this.queue?.close();
    this.warnings.stop();
    try {
      this.session.close();
    } catch {
      // already closed
    }
  }
}
