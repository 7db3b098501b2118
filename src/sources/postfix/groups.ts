// Postfix services as MTA-MIB groups (mtaGroupTable rows): their names, descriptions,
// mail protocols and hierarchy, and which of them belong to a content-filter loop.
//
// mtaGroupHierarchy: every inbound group carries the collection code -1 and every
// outbound group -2. Each set is one complete breakdown of the MTA's traffic (RFC 2789:
// groups sharing a negative value partition the MTA), so a manager may sum the inbound
// groups' received counters or the outbound groups' transmitted counters.

import type { Protocol } from '../../model/mail-system.js';

export const INBOUND_HIERARCHY = -1;
export const OUTBOUND_HIERARCHY = -2;

export interface GroupSpec {
  description: string;
  protocol?: Protocol;
  hierarchy: number;
}

const tcp = (port: number): Protocol => ({ transport: 'tcp', port });

/** `127.0.0.1:10025`, `[::1]:10025`, `localhost:10025`: the address and port of a listener. */
export function listenerOf(entry: string): { host: string; port: number } | undefined {
  const c = entry.lastIndexOf(':');
  if (c <= 0 || c === entry.length - 1) return undefined;
  const port = Number(entry.slice(c + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  let host = entry.slice(0, c);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

/**
 * The content-filter loop as configured (`contentFilterServices`). An entry is either
 * the HOST:PORT of the smtpd that re-injects filtered mail, or a group name: an inbound
 * group (`amavis/smtpd`, or just its service part `amavis`) through which filtered mail
 * comes back, or an outbound group (`amavis`) that carries mail into the filter.
 */
export class ContentFilter {
  /** client address -> inbound group name, for HOST:PORT entries */
  private readonly byAddr = new Map<string, string>();
  private readonly names = new Set<string>();

  constructor(entries: readonly string[] = []) {
    for (const e of entries) {
      this.names.add(e);
      const l = listenerOf(e);
      if (!l) continue;
      if (l.host === 'localhost') {
        this.byAddr.set('127.0.0.1', e);
        this.byAddr.set('::1', e);
      } else this.byAddr.set(l.host, e);
    }
  }

  get empty(): boolean {
    return this.names.size === 0;
  }

  /**
   * The group of a plain `smtpd` session (one whose program names no service) from
   * `addr`: Postfix does not log the port smtpd listens on, so a HOST:PORT entry claims
   * every such session from HOST (the filter connects from the loopback address it
   * delivers to). Give the re-injection service its own syslog_name to be exact.
   */
  groupForClient(addr: string): string | undefined {
    return this.byAddr.size === 0 ? undefined : this.byAddr.get(addr);
  }

  /** Is this inbound group where filtered mail comes back? */
  reinjects(group: string): boolean {
    if (this.names.size === 0) return false;
    if (this.names.has(group)) return true;
    const slash = group.lastIndexOf('/');
    return slash > 0 && this.names.has(group.slice(0, slash));
  }

  /** Does this outbound group carry mail into the filter? */
  feeds(group: string): boolean {
    return this.names.size !== 0 && this.names.has(group);
  }
}

/** An inbound group: `smtpd`, `submission/smtpd`, `smtps/smtpd`, `pickup`, `postscreen`, `qmqpd`, `HOST:PORT`. */
export function inboundSpec(name: string, filter: ContentFilter): GroupSpec {
  const slash = name.lastIndexOf('/');
  const daemon = name.slice(slash + 1);
  const service = slash > 0 ? name.slice(0, slash) : undefined;
  const spec = (description: string, protocol?: Protocol): GroupSpec => ({ description, protocol, hierarchy: INBOUND_HIERARCHY });
  const l = slash < 0 ? listenerOf(name) : undefined;
  if (l) return spec(`Content filter re-injection: smtpd on ${name}`, tcp(l.port));
  const loop = filter.reinjects(name) ? ', content filter re-injection' : '';
  switch (daemon) {
    case 'smtpd':
      if (service === 'submission') return spec(`Message submission on port 587 (${name})`, tcp(587));
      if (service === 'smtps') return spec(`Message submission over TLS on port 465 (${name})`, tcp(465));
      if (service) return spec(`SMTP service ${service} (${name}${loop})`, tcp(25));
      return spec(`Inbound SMTP (${name}${loop})`, tcp(25));
    case 'postscreen':
      return spec(`SMTP connection screening (${name})`, tcp(25));
    case 'pickup':
      return spec(`Local submission by sendmail/postdrop (${name}${loop})`);
    case 'qmqpd':
      return spec(`Inbound QMQP (${name}${loop})`, tcp(628));
    default:
      return spec(`Inbound mail (${name}${loop})`);
  }
}

/**
 * An outbound group: named by the master.cf service when the program shows one
 * (`relay/smtp` -> `relay`), by the transport of a pipe (`dovecot`), else by the daemon.
 * `daemon` is undefined when only the name is known (restored state).
 */
export function outboundSpec(name: string, daemon: string | undefined, filter: ContentFilter): GroupSpec {
  const d = daemon ?? name;
  const feed = filter.feeds(name) ? ', into the content filter' : '';
  const via = name === d ? `(${name}${feed})` : `(${name} service, ${d}${feed})`;
  const spec = (description: string, protocol?: Protocol): GroupSpec => ({ description, protocol, hierarchy: OUTBOUND_HIERARCHY });
  switch (d) {
    case 'smtp':
      return spec(`Outbound SMTP ${via}`, tcp(25));
    case 'lmtp':
      return spec(`Delivery by LMTP ${via}`, tcp(24));
    case 'local':
      return spec(`Local delivery to mailboxes, files and commands ${via}`);
    case 'virtual':
      return spec(`Delivery to virtual mailboxes ${via}`);
    case 'pipe':
      return spec(`Delivery through the ${name} pipe service${feed}`);
    case 'error':
      return spec(`Recipients refused or deferred by the error transport ${via}`);
    case 'discard':
      return spec(`Recipients discarded by the discard transport ${via}`);
    case 'qmgr':
      return spec('Recipients the queue manager deferred or returned without a delivery agent (qmgr)');
    default:
      return spec(`Delivery by the ${name} service${feed}`);
  }
}
