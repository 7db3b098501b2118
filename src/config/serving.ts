// Settings of the UDP serving that bound what one datagram may cost: snmpd.conf's
// GetBulk caps (maxGetbulkRepeats, maxGetbulkResponses, with its names, defaults and
// meaning), snmp.conf's serverRecvBuf (larger by default than the system's, so a
// burst is queued rather than lost), and the check that the listen addresses can all
// be bound together: the same address twice, or a wildcard beside an address of the
// same family and port, fails at bind time; it is refused here with the key and line.

import { isIP } from 'node:net';
import type { Document, LineCounter, Node } from 'yaml';
import { DEFAULT_BULK_CAPS, type BulkCaps } from '../snmp/bulk.js';
import { parseEndpoint, type Endpoint } from '../snmp/udp-agent.js';

/** What the UDP transport is allowed to spend on a datagram. */
export interface ServingLimits {
  bulk: BulkCaps;
  /** SO_RCVBUF in bytes (the kernel caps it at net.core.rmem_max) */
  serverRecvBuf: number;
}

/** 4 MiB: about 1,800 small requests queued on Linux (the system default, 208 KiB, holds ~90). */
export const DEFAULT_RECV_BUF = 4 * 1024 * 1024;

export function servingDefaults(): ServingLimits {
  return { bulk: { ...DEFAULT_BULK_CAPS }, serverRecvBuf: DEFAULT_RECV_BUF };
}

/** The config file's keys (top level, as in snmpd.conf and snmp.conf). */
export interface ServingFile {
  maxGetbulkRepeats?: number;
  maxGetbulkResponses?: number;
  serverRecvBuf?: number;
}

export const servingSchemaProperties = {
  maxGetbulkRepeats: { type: 'integer', minimum: -1, maximum: 2147483647 },
  maxGetbulkResponses: { type: 'integer', minimum: -1, maximum: 2147483647 },
  serverRecvBuf: { type: 'integer', minimum: 4096, maximum: 1073741824 },
} as const;

/** The file's values over the defaults. */
export function servingFromFile(f: ServingFile, base: ServingLimits): ServingLimits {
  return {
    bulk: {
      maxGetbulkRepeats: f.maxGetbulkRepeats ?? base.bulk.maxGetbulkRepeats,
      maxGetbulkResponses: f.maxGetbulkResponses ?? base.bulk.maxGetbulkResponses,
    },
    serverRecvBuf: f.serverRecvBuf ?? base.serverRecvBuf,
  };
}

/** Two listen entries that cannot both be bound (positions in the list), and why. */
export interface ListenConflict {
  at: number;
  other?: number;
  message: string;
}

const WILDCARD = { udp4: '0.0.0.0', udp6: '::' } as const;

function canonical(ep: Endpoint): string {
  if (isIP(ep.address) === 6) return new URL(`http://[${ep.address}]`).hostname.slice(1, -1);
  return ep.address.toLowerCase();
}

/**
 * The first entry of `listen` that cannot be bound beside an earlier one: the same
 * family, port and address; or a wildcard (0.0.0.0, [::]) beside any address of its
 * family on the same port. udp6 sockets are IPv6-only (as snmpd's), so [::] and
 * 0.0.0.0 on one port coexist, and a v4-mapped address cannot be bound on udp6.
 * Port 0 (any free port) never conflicts. Host names are compared as written; what
 * they resolve to is found at bind time.
 */
export function listenConflict(listen: readonly string[]): ListenConflict | undefined {
  const eps = listen.map((l) => parseEndpoint(l));
  for (let j = 0; j < eps.length; j++) {
    const b = eps[j]!;
    const mapped = b.family === 'udp6' ? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical(b)) : null;
    if (mapped) {
      const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
      const v4 = [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
      return { at: j, message: `${listen[j]}: a v4-mapped address cannot be bound on an IPv6-only socket; use udp:${v4}` };
    }
    for (let i = 0; i < j; i++) {
      const a = eps[i]!;
      if (a.family !== b.family || a.port !== b.port || a.port === 0) continue;
      const wild = WILDCARD[a.family];
      const ca = canonical(a);
      const cb = canonical(b);
      if (ca === cb) return { at: j, other: i, message: `${listen[j]} is the same address and port as listen entry ${i} (${listen[i]})` };
      if (ca === wild || cb === wild) {
        return { at: j, other: i, message: `${listen[j]} overlaps ${listen[i]}: ${wild} already takes port ${a.port} on every ${a.family === 'udp4' ? 'IPv4' : 'IPv6'} address` };
      }
    }
  }
  return undefined;
}

/** The config key of the listen entry at `at`: listen[i], or agentaddress (snmpd.conf's name) after them. */
export function listenKey(file: { listen?: string[]; agentaddress?: string | string[] }, at: number): Array<string | number> {
  const n = file.listen?.length ?? 0;
  if (at < n) return ['listen', at];
  return Array.isArray(file.agentaddress) ? ['agentaddress', at - n] : ['agentaddress'];
}

/** Checks the file's listen entries; `fail` builds the error for a key path and its line. */
export function checkListenFile(
  doc: Document,
  lines: LineCounter,
  file: { listen?: string[]; agentaddress?: string | string[] },
  fail: (key: string, line: number | undefined, message: string) => Error,
): void {
  const all = [...(file.listen ?? []), ...(file.agentaddress === undefined ? [] : [file.agentaddress].flat())];
  const c = listenConflict(all);
  if (!c) return;
  const key = listenKey(file, c.at);
  const at = (doc.getIn(key, true) as Node | undefined)?.range?.[0];
  throw fail(keyText(key), at === undefined ? undefined : lines.linePos(at).line, c.message);
}

/** listen[1], postfix.log: the form config errors name keys in. */
export function keyText(path: ReadonlyArray<string | number>): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
}

/** The line of a key in a config file, found again (for errors met at start, e.g. a bind failure). */
export function lineOfKey(doc: Document, lines: LineCounter, key: ReadonlyArray<string | number>): number | undefined {
  const at = (doc.getIn(key, true) as Node | undefined)?.range?.[0];
  return at === undefined ? undefined : lines.linePos(at).line;
}
