// What the Dovecot source saves so that an agent restart (kill -9 included) continues its
// counts: the services' applTable rows (model snapshot), the per-service statistics, the
// sessions still open, and the log position, all in one checkpoint (state/checkpoint.ts), so
// that no line is counted twice or lost. Not saved: the quota rows (re-read at start) and the
// users seen logging in (the IMAP quota method's list starts again from the configuration).

import type { ModelSnapshot } from '../../model/persist.js';
import type { ServiceStats } from '../../model/services.js';
import type { FilePosition, JournalPosition } from '../tail/index.js';
import type { DovecotService } from './parse.js';
import type { Session } from './stats.js';

export interface ServiceSnapshot {
  service: DovecotService;
  stats: Omit<ServiceStats, 'index' | 'name' | 'service' | 'application'>;
  sessions: Array<[string, Session]>;
}

export interface DovecotCheckpoint {
  version: 1;
  model: ModelSnapshot;
  services: ServiceSnapshot[];
  /** madmanSourceLines and madmanSourceUnparsedLines of the log */
  lines: number;
  unparsed: number;
  position?: FilePosition | JournalPosition;
}

export function isDovecotCheckpoint(v: unknown): v is DovecotCheckpoint {
  const o = v as Partial<DovecotCheckpoint> | null;
  return typeof o === 'object' && o !== null && o.version === 1 && typeof o.model === 'object' && Array.isArray(o.services);
}
