// Service checks (probes): how each configured mail service answered the last time it
// was tried, the way a user meets it. The probes source writes these; the MIB views
// (applTable rows, the serverResponse table) and the alarm engine read them.

export type CheckProtocol = 'smtp' | 'submission' | 'lmtp' | 'imap' | 'pop3' | 'ldap' | 'http' | 'roundtrip';

/** ok: answered within its thresholds; warning: slower than its warning threshold;
 *  critical: failed or slower than its critical threshold; unknown: not yet checked. */
export type CheckStatus = 'ok' | 'warning' | 'critical' | 'unknown';

export interface PhaseTime {
  /** e.g. "connect", "greeting", "ehlo", "login" */
  name: string;
  ms: number;
}

export interface ServiceCheck {
  /** the probes source uses the applIndex of the service's applTable row */
  index: number;
  /** "<instance> <service> on <host>" */
  name: string;
  protocol: CheckProtocol;
  /** host:port, or a URL */
  target: string;
  status: CheckStatus;
  /** when the last check finished (ms since the epoch) */
  lastCheck?: number;
  /** total time of the last check, in milliseconds (a failed one: until it failed) */
  responseMs?: number;
  /** phase times of the last check */
  phases: PhaseTime[];
  /** why the last failed check failed ('' when it never has) */
  reason: string;
  lastFailure?: number;
  consecutiveFailures: number;
  /** checks run and checks failed since the agent started */
  checks?: number;
  failures?: number;
  /** what the service says it is, from its banner ('' when it does not say) */
  version?: string;
  /** the applTable row of the service */
  applicationIndex?: number;
  /** the watcher (restart command): its state, restarts run and when the last ran */
  watcher?: WatcherState;
  restarts?: number;
  lastRestart?: number;
  /** why the watcher last restarted the service or gave up ("process 812 (from ...) is gone") */
  restartReason?: string;
  /** response times of the successful checks since the agent started (observeResponse) */
  responses?: ResponseHistogram;
}

/** Upper bounds (seconds) of the response-time histogram's buckets: from a fast local
 *  service to an SMTP greeting held back by a greylisting or tarpitting server. */
export const RESPONSE_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Successful checks by response time: counts[i] of those at most RESPONSE_BUCKETS_SECONDS[i] (not cumulative). */
export interface ResponseHistogram {
  counts: number[];
  /** seconds, over all observed checks */
  sum: number;
  count: number;
}

/** Counts one successful check's response time (ms) in the check's histogram. */
export function observeResponse(check: ServiceCheck, ms: number): void {
  const h = (check.responses ??= { counts: RESPONSE_BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 });
  const s = ms / 1000;
  const i = RESPONSE_BUCKETS_SECONDS.findIndex((b) => s <= b);
  if (i >= 0) h.counts[i]!++;
  h.sum += s;
  h.count++;
}

/** disabled: no restart command; watching: will restart after N failures;
 *  suspended: restarted more than twice within the window, stopped restarting. */
export type WatcherState = 'disabled' | 'watching' | 'suspended';

/** The watcher acted on a service: ran its restart command, or gave up (suspended). */
export interface WatcherEvent {
  check: ServiceCheck;
  action: 'restarted' | 'suspended';
  reason: string;
  /** ms since the epoch */
  at: number;
}

/** Who hears of watcher actions (the notifications); a listener that throws harms no other. */
export class WatcherEvents {
  private readonly listeners: Array<(e: WatcherEvent) => void> = [];

  /** Adds a listener; returns what removes it (a reloaded agent subscribes anew). */
  on(l: (e: WatcherEvent) => void): () => void {
    this.listeners.push(l);
    return () => {
      const i = this.listeners.indexOf(l);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(e: WatcherEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a sink's failure is its own to report */
      }
    }
  }
}
