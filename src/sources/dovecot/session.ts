// A Dovecot session, and what the Dovecot source saves of each service so that an agent
// restart (kill -9 included) continues its counts: its statistics and the sessions still
// open. The LogSource puts that beside the services' applTable rows (model snapshot), the
// line counts and the log position in one checkpoint (dovecot.json), so that no line is
// counted twice or lost. Not saved: the quota rows (re-read at start) and the users seen
// logging in (the IMAP quota method's list starts again from the configuration).

import type { ServiceStats } from '../../model/services.js';
import type { DovecotService } from './parse.js';

/** A session the log (or doveadm who) shows open. */
export interface Session {
  user: string;
  /** the client's address */
  rip?: string;
  pid?: number;
  session?: string;
  /** its assocTable row */
  assoc: number;
  startedAt: number;
  /** when the agent opened it (agent clock, ms) */
  openedAt: number;
}

export interface ServiceSnapshot {
  service: DovecotService;
  stats: Omit<ServiceStats, 'index' | 'name' | 'service' | 'application'>;
  sessions: Array<[string, Session]>;
}
