// The in-flight state of a PostfixLog as plain JSON: what must survive a restart, next
// to the model's counters and the log position, for counting to resume exactly.

import type { OperStatus } from '../../model/mail-system.js';
import type { PostfixCountersState } from './imsimta.js';

export interface PostfixLogStats {
  /** lines of Postfix programs (given to apply()); the lines read are counted by the LogSource */
  postfixLines: number;
  /** Postfix lines not understood, by program as logged (`postfix/smtpd`) */
  unparsed: Record<string, number>;
}

/** A queued (or arriving) message. */
export interface MessageState {
  /** time of the last line about it (epoch ms) */
  t: number;
  /** inbound group it arrived through; absent when its arrival was not seen */
  group?: string;
  /** received counters already include it (or it must never be counted) */
  counted: boolean;
  /** arrived through the content filter's re-injection */
  filtered: boolean;
  /** octets, from qmgr's size= */
  size: number;
  nrcpt: number;
  /** outbound groups that have counted it as transmitted */
  sent?: string[];
  /** the current delivery attempt: delivery agent pid, group, relay */
  pid: number;
  relay: string;
  lastGroup?: string;
  /** enhanced status code of its last deferral or bounce */
  lastDsn?: string;
  /** cleanup accepted it (message-id line, or held): kept like a queued message until qmgr logs it */
  accepted?: boolean;
  /** imsimta counters (imsimta.ts): groups it was received on, groups that deferred it, recipients deferred now */
  rcvd?: string[];
  deferredOn?: string[];
  pending?: string[];
  /** what the current attempt has counted (imsimta.ts) */
  attempt?: number;
  /** log time of its last deferral */
  deferredAt?: number;
}

/** An open smtpd (or qmqpd) session: one association in the model. */
export interface SessionState {
  /** assocIndex in the model */
  assoc: number;
  group: string;
  addr: string;
  /** connect time (epoch ms) */
  t: number;
  /** queue id of the session's last `client=` (the message a `lost connection after DATA` abandons) */
  qid?: string;
  /** sender of the session's last RCPT refusal since its last message (imsimta Rejected: one message) */
  rejectFrom?: string;
}

/** An open postscreen session (counted on its group only, not an assocTable row). */
export interface ScreenState {
  group: string;
  t: number;
  rejected: boolean;
}

export interface PostfixInstanceState {
  /** applName */
  name: string;
  syslogName: string;
  host: string;
  version: string;
  startedAt?: number;
  operStatus: OperStatus;
  lastChange?: number;
  /** by queue id */
  messages: Record<string, MessageState>;
  /** by smtpd pid */
  sessions: Record<string, SessionState>;
  /** by "<group> [addr]:port" */
  screens: Record<string, ScreenState>;
  /** queue ids of re-injected messages not yet linked to the delivery that fed the filter, with their arrival time */
  reinjected: Record<string, number>;
}

export interface PostfixLogState {
  version: 1;
  stats: PostfixLogStats;
  /** log time of the next clean-up of stale entries */
  nextSweep: number;
  /** time of the last line (the sweep clock is the earlier of it and the next line's time) */
  lastTime?: number;
  instances: PostfixInstanceState[];
  /** the imsimta counters of the groups (imsimta.ts); absent in checkpoints from before them */
  channelCounters?: PostfixCountersState;
}
