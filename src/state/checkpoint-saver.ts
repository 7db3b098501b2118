// When a source writes its checkpoint: after each batch of log lines, but at most once a
// second (a write fsyncs twice, and a busy log sends many batches a second). A batch not
// saved then is saved when the second is over, so that a log that goes quiet does not
// leave applied lines (or a switch to a rotated file) out of the checkpoint until its next
// line. The Postfix, Sun MTA and Dovecot sources share this; each says what goes in the body.
// Saves while running are written on the thread pool (Checkpoint.write: their fsyncs would
// stall the requests being answered); the last one, at stop, synchronously.

import type { Logger } from '../log.js';
import type { Checkpoint } from './checkpoint.js';

export const SAVE_EVERY_MS = 1000;

/** Time and timers, injected so that a test can drive them. */
export interface SaverClock {
  now(): number;
  /** Runs `fn` after `ms` without keeping the process alive; returns what cancels it. */
  later(fn: () => void, ms: number): () => void;
}

const realClock: SaverClock = {
  now: () => Date.now(),
  later(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

export class CheckpointSaver<T, P> {
  private lastSave = 0;
  /** the time last told to onSaved */
  private reported = 0;
  private unsaved?: P;
  private cancelTimer?: () => void;

  constructor(
    private readonly checkpoint: Checkpoint<T>,
    /** the checkpoint body for a log position; undefined when there is nothing to save yet */
    private readonly build: (position: P | undefined) => T | undefined,
    private readonly log: Logger,
    /** told the time of each successful save (a source shows it as its input's lastCheckpoint) */
    private readonly onSaved: (at: number) => void,
    private readonly clock: SaverClock = realClock,
  ) {}

  /** After a batch: saves now when only the position `moved` or a second has passed, else when the second is over. */
  saved(position: P, moved: boolean): void {
    const wait = SAVE_EVERY_MS - (this.clock.now() - this.lastSave);
    if (moved || wait <= 0) return this.save(position);
    this.unsaved = position;
    this.cancelTimer ??= this.clock.later(() => {
      this.cancelTimer = undefined;
      if (this.unsaved !== undefined) this.save(this.unsaved);
    }, wait);
  }

  /** Saves now (written on the thread pool); a write that fails is logged and the source goes on (the next save may succeed). */
  save(position: P | undefined): void {
    let body: T | undefined;
    try {
      body = this.build(position);
    } catch (err) {
      return this.failed(err);
    }
    if (body === undefined) return;
    const before = this.lastSave;
    const at = this.clock.now();
    this.lastSave = at;
    this.unsaved = undefined;
    this.checkpoint.write(body).then(
      () => this.report(at),
      (err: unknown) => {
        // the last successful save is the one that counts for the next wait
        if (this.lastSave === at) this.lastSave = before;
        this.failed(err);
      },
    );
  }

  /** Tells onSaved, unless a newer save (a flush) was reported already. */
  private report(at: number): void {
    if (at <= this.reported) return;
    this.reported = at;
    this.onSaved(at);
  }

  private failed(err: unknown): void {
    this.log.error({ err: (err as Error).message, file: this.checkpoint.file }, 'cannot write checkpoint');
  }

  /** Resolves once no write is in progress (tests, and a stop that must wait). */
  idle(): Promise<void> {
    return this.checkpoint.idle();
  }

  /** Drops a pending save. */
  cancel(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** At stop, once the follower has stopped: drops the pending save and saves the final `position` now, synchronously. */
  flush(position: P | undefined): void {
    this.cancel();
    let body: T | undefined;
    try {
      body = this.build(position);
      if (body === undefined) return;
      this.checkpoint.save(body);
    } catch (err) {
      return this.failed(err);
    }
    this.lastSave = this.clock.now();
    this.unsaved = undefined;
    this.report(this.lastSave);
  }
}
