// The webmail's figures in the model: Sun's httpstat (counterutil imapstat's fields) as a
// madmanServiceTable row "<instance> http" (fixed index 5, after Dovecot's four), and the
// service's applTable row. Logins come from Roundcube's userlogins log (roundcube.ts),
// connections from the web server's status page (server-status.ts):
//   numGoodLogins / numFailedLogins   "Successful login" / "Failed login" lines
//   numConnections                    connections the web server accepted (nginx accepts;
//                                     Apache counts requests only), kept as a running total
//                                     across the server's restarts, the agent's own status
//                                     requests left out
//   numFailedConnections              connections accepted and dropped for lack of resources
//                                     (nginx accepts - handled)
//   numCurrentConnections             open now (Active connections; Apache ConnsTotal or
//                                     BusyWorkers), the agent's own request left out
//   maxConnections                    the highest numCurrentConnections seen since
//                                     currentStartTime
//   currentStartTime                  Apache: now - ServerUptimeSeconds; nginx does not say:
//                                     set when a restart is seen (its totals went back)
//   lastConnectionTime                the latest login, or reading that saw new connections
// The applTable row: inbound associations = current, accumulated = numConnections, rejected =
// numFailedConnections, operStatus up while the status page answers, down while it does not.

import type { Application, MailSystem } from '../../model/mail-system.js';
import { newServiceStats, type ServiceStats } from '../../model/services.js';
import type { LoginEvent } from './roundcube.js';
import type { ServerStatus } from './server-status.js';

/** madmanServiceIndex of the webmail's row: after Dovecot's imap, pop3, submission, lmtp. */
export const WEBMAIL_SERVICE_INDEX = 5;

/** What the checkpoint keeps: the row's figures and the server's totals at the last reading. */
export interface WebmailState {
  stats: Omit<ServiceStats, 'index' | 'name' | 'service' | 'application'>;
  /** the server's own totals at the last reading (they count since it started) */
  server?: { accepted: number; dropped: number };
}

/** The webmail's service row and applTable row, and what moves them. */
export class WebmailStats {
  readonly stats: ServiceStats;
  readonly app: Application;
  private server?: { accepted: number; dropped: number };

  constructor(
    private readonly model: MailSystem,
    instance: string,
    saved?: WebmailState,
  ) {
    const name = `${instance} http`;
    this.app = model.addApplication(name, { description: 'webmail (HTTP) service', operStatus: 'up' });
    this.stats = { ...newServiceStats({ index: WEBMAIL_SERVICE_INDEX, name, service: 'http', application: this.app.index }), ...saved?.stats };
    this.server = saved?.server;
    model.services.set(this.stats.index, this.stats);
    this.toApplication();
  }

  /** A login line; `at` when the line has no time of its own. */
  login(e: LoginEvent, at: number): void {
    const t = e.time ?? at;
    if (e.ok) this.stats.numGoodLogins++;
    else this.stats.numFailedLogins++;
    if (this.stats.lastConnectionTime === undefined || t > this.stats.lastConnectionTime) this.stats.lastConnectionTime = t;
    this.toApplication();
  }

  /** A reading of the status page at `at`. Our own request is one connection of it. */
  reading(r: ServerStatus, at: number): void {
    const s = this.stats;
    const last = this.server;
    // totals that went back: the server restarted since the last reading
    const restarted = last !== undefined && (r.accepted < last.accepted || (r.dropped ?? 0) < last.dropped);
    const from = restarted || !last ? { accepted: 0, dropped: 0 } : last;
    // every reading is one connection (and, for Apache, one access) of the agent's own
    const fresh = Math.max(0, r.accepted - from.accepted - 1);
    s.numConnections += fresh;
    s.numFailedConnections += Math.max(0, (r.dropped ?? 0) - from.dropped);
    this.server = { accepted: r.accepted, dropped: r.dropped ?? 0 };
    if (r.uptime !== undefined) s.currentStartTime = at - r.uptime * 1000;
    else if (restarted) s.currentStartTime = at;
    if (restarted) s.maxConnections = 0;
    s.numCurrentConnections = Math.max(0, r.active - 1);
    if (s.numCurrentConnections > s.maxConnections) s.maxConnections = s.numCurrentConnections;
    if (fresh > 0 && (s.lastConnectionTime === undefined || at > s.lastConnectionTime)) s.lastConnectionTime = at;
    this.toApplication();
    this.up(true, at);
  }

  /** The status page answered (up) or not (down): applOperStatus. */
  up(ok: boolean, at: number): void {
    const status = ok ? 'up' : 'down';
    if (this.app.operStatus === status) return;
    this.app.operStatus = status;
    this.app.lastChange = at;
    if (!ok) {
      this.stats.numCurrentConnections = 0;
      this.toApplication();
    }
  }

  state(): WebmailState {
    const { index: _i, name: _n, service: _s, application: _a, ...stats } = this.stats;
    return this.server ? { stats, server: this.server } : { stats };
  }

  private toApplication(): void {
    const a = this.app;
    a.inboundAssociations = this.stats.numCurrentConnections;
    a.accumulatedInboundAssociations = this.stats.numConnections;
    a.rejectedInboundAssociations = this.stats.numFailedConnections;
    if (this.stats.lastConnectionTime !== undefined) a.lastInboundActivity = this.stats.lastConnectionTime;
  }
}
