// Exim's traffic as MTA-MIB groups (mtaGroupTable rows).
//
// Inbound (mtaGroupHierarchy -1, one complete breakdown of what the MTA received):
//   - SMTP by listener, from I=[addr]:port (log_selector +incoming_interface): the name the
//     configuration gives the port (`exim.listeners`), else `smtp` (25), `submission` (587),
//     `smtps` (465), `smtp-PORT`; without I=, by protocol: `submission` when the client
//     authenticated (P=esmtpa, esmtpsa), else `smtp`;
//   - `local`: messages from local processes (P=local, local-smtp, local-bsmtp ...);
//   - `bounce`: delivery status notifications Exim made itself (`<= <> R=id`).
// Outbound (-2, one breakdown of what it transmitted): one group per transport (T=), and
// `routing` for addresses a router failed or deferred before any transport.
// `exim`: Exim itself (hierarchy 0): the paniclog's entries count on it.

import type { Protocol } from '../../model/mail-system.js';
import type { ArrivalEvent, Interface } from './events.js';

export const INBOUND_HIERARCHY = -1;
export const OUTBOUND_HIERARCHY = -2;

/** Group of router-level failures and deferrals (no transport was chosen). */
export const ROUTING_GROUP = 'routing';
/** Group of Exim's own errors (the paniclog). */
export const EXIM_GROUP = 'exim';
export const LOCAL_GROUP = 'local';
export const BOUNCE_GROUP = 'bounce';

export interface GroupSpec {
  description: string;
  protocol?: Protocol;
  hierarchy: number;
}

const WELL_KNOWN: Record<number, string> = { 25: 'smtp', 587: 'submission', 465: 'smtps' };
const tcp = (port: number): Protocol => ({ transport: 'tcp', port });

/** Names of inbound groups: listener ports as configured, and the defaults. */
export class Listeners {
  private readonly byPort = new Map<number, string>();
  private readonly portOf = new Map<string, number>();

  /** `names`: port -> group name (`exim.listeners`). */
  constructor(names: Readonly<Record<string, string>> = {}) {
    for (const [p, n] of Object.entries(names)) {
      this.byPort.set(Number(p), n);
      this.portOf.set(n, Number(p));
    }
    for (const [p, n] of Object.entries(WELL_KNOWN)) if (!this.portOf.has(n)) this.portOf.set(n, Number(p));
  }

  /** The group of a session on local interface `iface`; `authenticated` decides when the port is unknown. */
  group(iface: Interface | undefined, authenticated = false): string {
    const port = iface?.port;
    if (port === undefined) return authenticated ? 'submission' : 'smtp';
    return this.byPort.get(port) ?? WELL_KNOWN[port] ?? `smtp-${port}`;
  }

  /** The inbound group of an arrival. */
  arrival(ev: ArrivalEvent): string {
    if (ev.bounceOf !== undefined && ev.sender === '') return BOUNCE_GROUP;
    if (ev.protocol.startsWith('local') || !ev.host) return LOCAL_GROUP;
    return this.group(ev.iface, isAuthenticated(ev.protocol));
  }

  /** What an inbound group is: its description and protocol. */
  spec(name: string): GroupSpec {
    const spec = (description: string, protocol?: Protocol): GroupSpec => ({ description, protocol, hierarchy: INBOUND_HIERARCHY });
    if (name === LOCAL_GROUP) return spec('Messages from local processes (Exim called as sendmail, -bs, -bS)');
    if (name === BOUNCE_GROUP) return spec('Delivery status notifications made by Exim (bounces)');
    const port = this.portOf.get(name) ?? (name.startsWith('smtp-') ? Number(name.slice(5)) : undefined);
    const on = port !== undefined ? ` on port ${port}` : '';
    if (name === 'submission' || name === 'smtps') return spec(`Message submission${on} (${name})`, port ? tcp(port) : undefined);
    return spec(`Inbound SMTP${on} (${name})`, tcp(port ?? 25));
  }
}

/** P=esmtpa, esmtpsa, utf8esmtpsa ...: the client authenticated. */
export function isAuthenticated(protocol: string): boolean {
  return protocol.endsWith('a') && protocol.includes('smtp');
}

/** What an outbound group is. */
export function outboundSpec(name: string): GroupSpec {
  if (name === ROUTING_GROUP) {
    return { description: 'Addresses Exim\'s routers failed or deferred before choosing a transport', hierarchy: OUTBOUND_HIERARCHY };
  }
  if (name === EXIM_GROUP) return { description: 'Exim itself: errors of its panic log', hierarchy: 0 };
  return { description: `Deliveries by the Exim transport ${name}`, hierarchy: OUTBOUND_HIERARCHY };
}
