// The standalone agent's UDP transport: receive, count, check the community,
// answer from the index. Nothing a packet contains can throw out of here.

import dgram from 'node:dgram';
import { isIP, isIPv4 } from 'node:net';
import { BerError, Tag } from './ber.js';
import { CommunityAccess } from './access.js';
import { answer } from './engine.js';
import { DEFAULT_BULK_CAPS, type BulkCaps } from './bulk.js';
import { BadVersionError, UnexpectedPduError, decodeBody, decodeHeader, type CommunityHeader } from './message.js';
import type { OidIndex } from './oid-index.js';
import { serveV3, type V3Serving } from './v3-serving.js';
import type { SnmpStats } from './stats.js';
import type { MibView } from './vacm.js';

// the counters live in stats.ts (v3-serving.ts needs them without this module); importable here too
export { SnmpStats } from './stats.js';

export interface Endpoint {
  family: 'udp4' | 'udp6';
  address: string;
  port: number;
}

/** Parses Net-SNMP agentaddress syntax: [udp:|udp6:]address[:port], IPv6 in brackets. */
export function parseEndpoint(text: string): Endpoint {
  const m = /^(?:(udp6?|udpv6|udpipv6):)?(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/i.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a listen address (udp:HOST:PORT or udp6:[HOST]:PORT)`);
  const proto = (m[1] ?? '').toLowerCase();
  const v6 = proto === 'udp6' || proto === 'udpv6' || proto === 'udpipv6' || m[2] !== undefined;
  let address = m[2] ?? m[3] ?? '';
  let port = m[4] ? Number(m[4]) : 161;
  // "udp:1161" means port 1161 on every address, as in snmpd.conf.
  if (!m[4] && /^\d+$/.test(address)) {
    port = Number(address);
    address = '';
  }
  // Port 0 asks the system for a free port (tests, benchmarks).
  if (port < 0 || port > 65535) throw new Error(`bad port in "${text}"`);
  if (address === '') address = v6 ? '::' : '0.0.0.0';
  // An address or a host name; anything else would only fail later, at bind time.
  if (!isIP(address) && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(address)) {
    throw new Error(`"${address}" in "${text}" is not an address or host name`);
  }
  if (v6 && isIPv4(address)) throw new Error(`"${text}": udp6 needs an IPv6 address`);
  return { family: v6 ? 'udp6' : 'udp4', address, port };
}

export interface UdpAgentOptions {
  listen: string[];
  access: CommunityAccess;
  index: OidIndex;
  stats: SnmpStats;
  /** the views communities and users are bound to, by name */
  views?: ReadonlyMap<string, MibView>;
  /** SNMPv3 (USM users and their access); without it v3 messages count as bad versions */
  v3?: V3Serving;
  /** Largest response we send; also bounded by the UDP datagram limit. */
  maxMessageSize: number;
  /** GetBulk caps (snmpd.conf's maxGetbulkRepeats, maxGetbulkResponses); snmpd's defaults without */
  caps?: BulkCaps;
  /** SO_RCVBUF of each socket (snmp.conf's serverRecvBuf); the system default without */
  recvBufferSize?: number;
  /** Called before each request is answered (fixes the clock for one snapshot). */
  beginRequest?: () => void;
  /** a datagram left unanswered, and why (the reasons are a small fixed set, for rate-limited logging) */
  onDrop?: (reason: string, from: string) => void;
  /** a bug met while answering (never caused by what a packet holds); the packet is dropped */
  onInternalError?: (err: Error, from: string) => void;
}

/** A listen address that could not be bound: which one, and why. */
export class BindError extends Error {
  constructor(
    /** position in the listen list */
    readonly at: number,
    readonly listen: string,
    readonly error: NodeJS.ErrnoException,
    /** whose list: SNMP's (listen/agentaddress) or the HTTP front end's (http.listen) */
    readonly list: 'listen' | 'http' = 'listen',
  ) {
    super(`cannot bind ${list === 'http' ? 'HTTP on ' : ''}${listen}: ${bindReason(error)}`);
  }
}

function bindReason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'address already in use (another listen entry or another process)';
    case 'EADDRNOTAVAIL':
      return 'no local interface has this address';
    case 'EACCES':
      return 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)';
    case 'EINVAL':
      return 'invalid address for this socket (a v4-mapped address on udp6?)';
    default:
      return err.message;
  }
}

const UDP_LIMIT = { udp4: 65507, udp6: 65527 } as const;

/** What a configuration reload may change while the sockets stay open (reload.ts). */
export type UdpAccess = Pick<UdpAgentOptions, 'access' | 'views' | 'v3'>;

export class UdpAgent {
  private sockets: dgram.Socket[] = [];
  private opts: UdpAgentOptions;
  constructor(opts: UdpAgentOptions) {
    this.opts = opts;
  }

  /**
   * New communities, views and SNMPv3 users for the requests that follow; the sockets
   * (and so the port, even 161 without the privilege to bind it again) are kept.
   */
  reconfigure(access: UdpAccess): void {
    this.opts = { ...this.opts, ...access };
  }

  async start(): Promise<Endpoint[]> {
    const bound: Endpoint[] = [];
    try {
      for (const [at, text] of this.opts.listen.entries()) {
        const ep = parseEndpoint(text);
        const sock = dgram.createSocket({
          type: ep.family,
          ipv6Only: ep.family === 'udp6',
          ...(this.opts.recvBufferSize ? { recvBufferSize: this.opts.recvBufferSize } : {}),
        });
        sock.on('message', (msg, rinfo) => this.onMessage(sock, ep, msg, rinfo));
        sock.on('error', (err) => this.opts.onDrop?.(`socket error: ${err.message}`, `${ep.address}:${ep.port}`));
        this.sockets.push(sock);
        await new Promise<void>((resolve, reject) => {
          const failed = (err: NodeJS.ErrnoException) => reject(new BindError(at, text, err));
          sock.once('error', failed);
          sock.bind(ep.port, ep.address, () => {
            sock.off('error', failed);
            resolve();
          });
        });
        bound.push({ ...ep, port: sock.address().port });
      }
    } catch (err) {
      // One address could not be bound: close the others, or they keep the process alive.
      await this.stop();
      throw err;
    }
    return bound;
  }

  /** A new SO_RCVBUF on the bound sockets (a configuration reload); throws what the system refuses. */
  setRecvBufferSize(bytes: number): void {
    this.opts = { ...this.opts, recvBufferSize: bytes };
    for (const s of this.sockets) s.setRecvBufferSize(bytes);
  }

  /** The receive buffer each socket got (Linux reports twice what was granted, capped by net.core.rmem_max). */
  recvBufferSizes(): number[] {
    return this.sockets.map((s) => {
      try {
        return s.getRecvBufferSize();
      } catch {
        return 0;
      }
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.sockets.map(
        (s) =>
          new Promise<void>((r) => {
            try {
              s.close(() => r());
            } catch {
              r(); // never bound, or already closed
            }
          }),
      ),
    );
    this.sockets = [];
  }

  private onMessage(sock: dgram.Socket, ep: Endpoint, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const { stats } = this.opts;
    stats.inPkts++;
    // made only for a packet that is dropped
    const from = () => `${rinfo.address}:${rinfo.port}`;
    const drop = (reason: string) => {
      stats.droppedRequests++;
      this.opts.onDrop?.(reason, from());
    };
    try {
      const max = Math.min(this.opts.maxMessageSize, UDP_LIMIT[ep.family]);
      let header: CommunityHeader;
      try {
        header = decodeHeader(msg);
      } catch (err) {
        if (err instanceof BadVersionError && err.version === 3 && this.opts.v3) {
          // USM checks the user and the digest before the scoped PDU is decoded.
          const out = serveV3(this.opts.v3, msg, { index: this.opts.index, stats, maxSize: max, beginRequest: this.opts.beginRequest, caps: this.opts.caps });
          if (out.message) sock.send(out.message, rinfo.port, rinfo.address);
          else stats.droppedRequests++;
          if (out.note) this.opts.onDrop?.(out.note, from());
          return;
        }
        if (err instanceof BadVersionError) {
          stats.inBadVersions++;
          return drop(err.message);
        }
        return this.malformed(err, drop);
      }
      // The community is checked before the PDU is decoded: refusing costs the header only.
      const rule = this.opts.access.match(header.community, rinfo.address);
      if (!rule) {
        stats.inBadCommunityNames++;
        return drop('unknown community or source not allowed');
      }
      let req;
      try {
        req = decodeBody(header, msg);
      } catch (err) {
        if (err instanceof UnexpectedPduError) return drop(err.message);
        return this.malformed(err, drop);
      }
      const view = rule.view === undefined ? undefined : this.opts.views?.get(rule.view);
      // a view named but not defined shows nothing (the config check refuses that case)
      if (rule.view !== undefined && !view) return drop(`view ${rule.view} is not defined`);
      // Every community is read-only: a SET is an operation the community does not allow.
      if (req.pdu.type === Tag.SetRequest) stats.inBadCommunityUses++;
      this.opts.beginRequest?.();
      const out = answer(this.opts.index, req, max, stats, view, this.opts.caps ?? DEFAULT_BULK_CAPS);
      if (!out) return drop('response too big even as tooBig');
      sock.send(out, rinfo.port, rinfo.address);
    } catch (err) {
      // A bug, not an input: keep serving, but say so.
      stats.droppedRequests++;
      this.opts.onInternalError?.(err instanceof Error ? err : new Error(String(err)), from());
    }
  }

  private malformed(err: unknown, drop: (reason: string) => void): void {
    if (!(err instanceof BerError)) throw err;
    this.opts.stats.inASNParseErrs++;
    drop(`malformed packet: ${err.message}`);
  }
}
