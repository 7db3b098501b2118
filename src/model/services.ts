// Per-service statistics of IMAP/POP/submission/LMTP and webmail servers (Sun's counterutil
// imapstat/popstat/httpstat), and mailbox quotas (imquotacheck). The Dovecot and webmail
// sources write these; the MIB views and the alarm engine read them.

/** The mail access services a Dovecot log shows, in the order of their fixed row indexes. */
export const ACCESS_SERVICES = ['imap', 'pop3', 'submission', 'lmtp'] as const;
export type AccessService = (typeof ACCESS_SERVICES)[number];

export interface ServiceStats {
  index: number;
  /** instance and service, e.g. "dovecot imap" */
  name: string;
  /** the service alone: imap, pop3, submission, lmtp */
  service: string;
  /** applTable row the service's associations are counted on, if any */
  application?: number;
  currentStartTime?: number;
  lastConnectionTime?: number;
  maxConnections: number;
  numConnections: number;
  numCurrentConnections: number;
  numFailedConnections: number;
  numFailedLogins: number;
  numGoodLogins: number;
}

/** A service's row before anything was counted: every figure 0, no time yet. */
export function newServiceStats(row: Pick<ServiceStats, 'index' | 'name' | 'service' | 'application'>): ServiceStats {
  return {
    ...row,
    maxConnections: 0,
    numConnections: 0,
    numCurrentConnections: 0,
    numFailedConnections: 0,
    numFailedLogins: 0,
    numGoodLogins: 0,
  };
}

export interface QuotaUsage {
  index: number;
  user: string;
  /** storage used and allowed, in KB; limit undefined when unlimited */
  storageKb: number;
  storageLimitKb?: number;
  messages: number;
  messageLimit?: number;
  /** when this user's figures were last read */
  readAt: number;
  /** overQuota() at dovecot.quotaWarnPercent: madmanQuotaStatus, `madman quota`'s '*', the quota alarm */
  over?: boolean;
}

/** Percent of a limit used, rounded down; 0 without a limit. */
export function percentOf(used: number, limit: number | undefined): number {
  return limit ? Math.floor((used * 100) / limit) : 0;
}

/** The larger of the storage and message percentages: what a warning threshold compares. */
export function quotaPercent(q: Pick<QuotaUsage, 'storageKb' | 'storageLimitKb' | 'messages' | 'messageLimit'>): number {
  return Math.max(percentOf(q.storageKb, q.storageLimitKb), percentOf(q.messages, q.messageLimit));
}

/**
 * The one rule for "over quota": storage or messages at or above `warnPercent` of its limit
 * (percentages rounded down; no limit is never over). The table's `over` flag, the '*' of
 * `madman quota` and the quota alarm all use it.
 */
export function overQuota(q: Pick<QuotaUsage, 'storageKb' | 'storageLimitKb' | 'messages' | 'messageLimit'>, warnPercent: number): boolean {
  return Math.max(percentOf(q.storageKb, q.storageLimitKb), percentOf(q.messages, q.messageLimit)) >= warnPercent;
}
