// The in-flight state of a SunLog as plain JSON: what must survive a restart, next to
// the model's counters and the log position, for counting to resume exactly.

import type { ChannelCounters } from '../../model/channel-counters.js';
import type { SavedOperation } from './operations.js';
import type { UnparsedReason } from './parse.js';

export interface SunLogStats {
  /** records applied (the lines read are counted by the LogSource) */
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
  /** the enqueue operation (operations.ts): the message in `pending` */
  msg: string;
}

/**
 * A message queued in a channel: recipients still queued, its size, and what
 * mtaGroupOldestMessageStored/Id show while it is the channel's oldest: the channel's
 * name, when it was enqueued (the log's time) and its id (Message-ID, else queue file name,
 * else '').
 */
export interface Pending {
  n: number;
  blocks: number;
  channel: string;
  t: number;
  id: string;
}

/** A message as checkpointed: checkpoints written before the oldest message was kept lack channel, t and id. */
export type SavedPending = Pick<Pending, 'n' | 'blocks'> & Partial<Pending>;

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
  /** operations still open (operations.ts): a message's further recipients may follow */
  operations?: Array<[string, SavedOperation]>;
  operationSeq?: number;
  /** before operations were kept: the grouping key of the last record (no longer read) */
  lastKey?: string;
  since?: number;
  /** the last `counters clear` request applied */
  clearSeq: number;
  queued: Record<string, Queued>;
  /** by enqueue operation, in enqueue order (each channel's first is its oldest) */
  pending: Record<string, SavedPending>;
  open: Record<string, OpenConnection>;
  counters: ChannelCounters[];
}
