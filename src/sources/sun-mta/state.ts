// The in-flight state of a SunLog as plain JSON: what must survive a restart, next to
// the model's counters and the log position, for counting to resume exactly.

import type { ChannelCounters } from '../../model/channel-counters.js';
import type { UnparsedReason } from './parse.js';

export interface SunLogStats {
  lines: number;
  records: number;
  /** records by action code (E, D, ..., and O C X Y for connections) */
  actions: Record<string, number>;
  /** lines skipped, by reason */
  unparsed: Partial<Record<UnparsedReason, number>>;
}

/** A recipient queued in a channel: when it was enqueued, how many attempts failed for now, its message. */
export interface Queued {
  t: number;
  tries: number;
  /** grouping key of the enqueue (the message in `pending`) */
  msg: string;
}

/** A message queued in a channel: recipients still queued, its size. */
export interface Pending {
  n: number;
  blocks: number;
}

export interface OpenConnection {
  assoc: number;
  channel: string;
  inbound: boolean;
  remote: string;
  t: number;
}

export interface SunLogState {
  version: 1;
  appName: string;
  stats: SunLogStats;
  /** grouping key of the last record (a message's further recipients) */
  lastKey: string;
  since?: number;
  /** the last `counters clear` request applied */
  clearSeq: number;
  queued: Record<string, Queued>;
  pending: Record<string, Pending>;
  open: Record<string, OpenConnection>;
  counters: ChannelCounters[];
}
