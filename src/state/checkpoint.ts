// One JSON checkpoint file per source in the state directory, replaced atomically
// (write to a temporary file, fsync, rename, fsync the directory), so that after
// any crash, kill -9 included, the file holds either the old or the new state whole.
// A source puts everything that must agree in one checkpoint: counters, in-flight
// messages and the log position, so that no line is counted twice or lost.
//
// The two fsyncs take 10-30 ms on a busy disk: write() does them on libuv's thread
// pool, never on the event loop that answers requests; save() is the synchronous
// form, for the last save at stop. Whichever was asked last wins on disk.

import { closeSync, fsyncSync, mkdirSync, openSync, promises as fsp, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class Checkpoint<T> {
  readonly file: string;
  /** bumped by every write started and every synchronous save: an older write must not land after a newer one */
  private generation = 0;
  /** the state a write() will write next (the newest asked for), and who waits for it */
  private next: { text: string; waiters: Waiter[] } | undefined;
  private writing = false;
  /** the last synchronous save's text, written again if a write's rename may have landed after it */
  private lastSync: string | undefined;

  constructor(
    readonly dir: string,
    name: string,
    /** checks the shape of what was read back; a file that fails it is an error, not a fresh start */
    private readonly valid: (v: unknown) => v is T,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${name}.json`);
  }

  /** The saved state, or undefined on a first start; throws on a damaged file. */
  load(): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const v: unknown = JSON.parse(text);
    if (!this.valid(v)) throw new Error(`${this.file} does not hold a checkpoint of the expected shape`);
    return v;
  }

  /** Saves now, on the event loop (at stop, when nothing else needs it). */
  save(state: T): void {
    this.generation++;
    this.lastSync = JSON.stringify(state);
    this.saveText(this.lastSync);
  }

  private saveText(text: string): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }

  /**
   * Saves on the thread pool. Writes are done one at a time; a state given while one is
   * being written replaces any other still waiting. Resolves once this state (or a newer
   * one) is on disk; rejects when that write failed.
   */
  write(state: T): Promise<void> {
    const text = JSON.stringify(state);
    return new Promise<void>((resolve, reject) => {
      if (this.next) {
        this.next.text = text;
        this.next.waiters.push({ resolve, reject });
      } else this.next = { text, waiters: [{ resolve, reject }] };
      void this.drain();
    });
  }

  /** Resolves once no write is waiting or running. */
  async idle(): Promise<void> {
    while (this.writing || this.next) await new Promise((r) => setTimeout(r, 1));
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    while (this.next) {
      const job = this.next;
      this.next = undefined;
      try {
        await this.writeText(job.text, ++this.generation);
        for (const w of job.waiters) w.resolve();
      } catch (err) {
        for (const w of job.waiters) w.reject(err);
      }
    }
    this.writing = false;
  }

  private async writeText(text: string, gen: number): Promise<void> {
    const tmp = `${this.file}.write.tmp`;
    const fh = await fsp.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // a synchronous save came meanwhile: it is newer
    if (gen !== this.generation) return fsp.unlink(tmp).catch(() => {});
    await fsp.rename(tmp, this.file);
    // one came while the rename ran: it may have landed first, so write it again
    if (gen !== this.generation && this.lastSync !== undefined) return this.saveText(this.lastSync);
    const dh = await fsp.open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
