// The in-flight state of an EximLog as plain JSON: what must survive a restart, beside the
// model's counters and the log positions, for counting to resume exactly.

/** A message on the queue (or arriving). */
export interface EximMessageState {
  /** time of the last line about it (epoch ms) */
  t: number;
  /** octets (the arrival's S=); absent when the arrival was not seen */
  size?: number;
  /** the inbound group it arrived through */
  group?: string;
  /** the arrival listed its recipients (+received_recipients): all counted then */
  listed?: boolean;
  /** without that list: the recipients counted as received so far, one by one */
  rcpts?: string[];
  /** outbound groups that counted it as transmitted */
  sent?: string[];
  /** the outbound group of its last delivery attempt */
  last?: string;
  /** it met a deferral at least once */
  deferred?: boolean;
  /** a loop was counted for it */
  looped?: boolean;
  frozen?: boolean;
}

/** An open SMTP connection: one association in the model. */
export interface EximSessionState {
  /** assocIndex in the model */
  assoc: number;
  group: string;
  addr: string;
  /** connect time (epoch ms) */
  t: number;
}

export interface EximLogState {
  version: 1;
  /** applName */
  app: string;
  /** by message id */
  messages: Record<string, EximMessageState>;
  /** by client `addr:port` (or `addr` without +incoming_port), oldest first */
  sessions: Record<string, EximSessionState[]>;
  /** the daemon's queue runner interval (-qTIME), seconds */
  queueInterval?: number;
  /** when the last queue run (or the daemon) started */
  lastQueueRun?: number;
  /** log time of the next clean-up of stale entries */
  nextSweep: number;
  /** time of the last entry */
  lastTime?: number;
  /** messages deferred at least once (eximstats' "Delayed") */
  deferredMessages: number;
}

/** Is `v` an EximLogState (a checkpoint's, read back)? */
export function isEximLogState(v: unknown): v is EximLogState {
  const o = v as Partial<EximLogState> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    o.version === 1 &&
    typeof o.app === 'string' &&
    typeof o.messages === 'object' &&
    o.messages !== null &&
    typeof o.sessions === 'object' &&
    o.sessions !== null &&
    typeof o.nextSweep === 'number'
  );
}
