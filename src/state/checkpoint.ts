// One JSON checkpoint file per source in the state directory, replaced atomically
// (write to a temporary file, fsync, rename, fsync the directory), so that after
// any crash, kill -9 included, the file holds either the old or the new state whole.
// A source puts everything that must agree in one checkpoint: counters, in-flight
// messages and the log position, so that no line is counted twice or lost.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

export class Checkpoint<T> {
  readonly file: string;

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

  save(state: T): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(state));
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
}
