// Generic followers for log sources: a log file (rotation-safe, checkpointable)
// and the systemd journal. They deliver lines or entries; sources parse them.

export { FileFollower, type FileFollowerOptions, type FileFollowerStats } from './file-follower.js';
export {
  JournalFollower,
  journalctlArgs,
  parseJournalLine,
  type JournalEntry,
  type JournalFollowerOptions,
  type JournalFollowerStats,
  type JournalPosition,
} from './journal.js';
export { LineSplitter, type ScanResult } from './lines.js';
export { trackBackfill, type BackfillOptions, type BackfillReport } from './backfill-progress.js';
export type { FilePosition, Follower, FollowerCallbacks, FollowerStatus } from './types.js';
