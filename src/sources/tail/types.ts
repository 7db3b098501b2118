// What every follower (log file, systemd journal) has in common: it delivers
// items in batches, each batch with the position just after its last item, and
// reports whether its input is currently readable. Nothing here knows what the
// lines mean; sources (Postfix, later Sun MTA and Dovecot) parse them.

/** Where a file follower is: JSON-serialisable, to be saved with the consumer's state. */
export interface FilePosition {
  dev: number;
  ino: number;
  /** byte offset just after the last delivered line */
  offset: number;
  /**
   * Base64 of the (up to 32) bytes just before `offset`. Set on every delivered
   * position; when present on resume, those bytes must still be there, which
   * tells a reused inode number or rewritten content from the saved file.
   */
  check?: string;
}

/** The state of a follower's input, reported on every change. */
export type FollowerStatus = { ok: true } | { ok: false; reason: string; /** the errno code when the system said why (`ENOENT`) */ code?: string };

export interface FollowerCallbacks<Item, Position> {
  /**
   * Receives items in order, together with the position just after the last one
   * (save it to resume there). `items` may be empty when only the position moved
   * (a file was opened, switched after a rotation, or truncated), so that a
   * checkpoint can follow. The follower waits for a returned promise before it
   * reads further; a throw or rejection is passed to `onError` and the batch still
   * counts as delivered (it is not delivered again).
   */
  onBatch(items: Item[], position: Position): void | Promise<void>;
  /** The input became unreadable (`ok: false`, once per distinct reason) or readable again. */
  onStatus?(status: FollowerStatus): void;
  /** A consumer callback failed; without this handler the error is a process warning. */
  onError?(err: Error): void;
}

export interface Follower<Position> {
  start(): void;
  /** Stops following; no callback is made after the returned promise resolves. */
  stop(): Promise<void>;
  /** The position after the last delivered batch (or where reading started). */
  position(): Position | undefined;
}

export const DEFAULT_MAX_BATCH_LINES = 10_000;
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Reports status changes only: a repeated failure with the same reason is reported once. */
export class StatusReporter {
  private last: FollowerStatus | undefined;

  constructor(private readonly cb: ((s: FollowerStatus) => void) | undefined) {}

  get current(): FollowerStatus | undefined {
    return this.last;
  }

  set(s: FollowerStatus): void {
    const prev = this.last;
    if (prev && prev.ok === s.ok && (s.ok || (!prev.ok && prev.reason === s.reason))) return;
    this.last = s;
    try {
      this.cb?.(s);
    } catch {
      // a status listener that throws must not stop the follower
    }
  }
}

/** Calls the batch handler, awaiting it; failures go to onError (or a process warning). */
export async function callBatch<I, P>(cb: FollowerCallbacks<I, P>, items: I[], position: P): Promise<void> {
  try {
    await cb.onBatch(items, position);
  } catch (err) {
    const e = asError(err);
    try {
      if (cb.onError) cb.onError(e);
      else process.emitWarning(e);
    } catch {
      // ignore
    }
  }
}
