// Row indexes that stay the same for a name across restarts (network managers key
// on applIndex and mtaGroupIndex). The name-to-index map lives in the state
// directory as JSON and is rewritten (atomically) only when a new name appears.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { IndexAllocator } from '../model/mail-system.js';

type Saved = Record<string, Record<string, number>>;

export class StableIndexes implements IndexAllocator {
  private readonly file: string;
  private data: Saved = {};
  private max = new Map<string, number>();
  private pending = false;

  constructor(
    stateDir: string,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    this.file = path.join(stateDir, 'indexes.json');
    mkdirSync(stateDir, { recursive: true });
    let text: string | undefined;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      // Only a missing file is a first start: starting afresh on an unreadable one
      // would hand out new indexes and then overwrite the saved ones.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      text = undefined;
    }
    if (text !== undefined) {
      const parsed: unknown = JSON.parse(text);
      if (!isSaved(parsed)) throw new Error(`${this.file} is not a map of scopes to name:index maps`);
      this.data = parsed;
    }
  }

  indexFor(scope: string, name: string, preferred?: number): number {
    const m = (this.data[scope] ??= {});
    // Own properties only: a name like "constructor" or "__proto__" must not find Object.prototype's.
    const known = Object.hasOwn(m, name) ? m[name] : undefined;
    if (known !== undefined) return known;
    // New names get the next number after the highest ever given in this scope,
    // so a vanished name's index is never handed to another.
    let max = this.max.get(scope);
    if (max === undefined) max = Object.values(m).reduce((a, b) => (b > a ? b : a), 0);
    // A checkpoint's index for a name this map lost is kept when no other name holds it
    // (rare: only on restore, so the scan is affordable).
    const free = preferred !== undefined && Number.isInteger(preferred) && preferred >= 1 && !Object.values(m).includes(preferred);
    const next = free ? preferred : max + 1;
    this.max.set(scope, Math.max(max, next));
    Object.defineProperty(m, name, { value: next, enumerable: true, writable: true, configurable: true });
    if (!this.pending) {
      // One write for a burst of new names (a first start may see thousands).
      this.pending = true;
      setImmediate(() => this.flush());
    }
    return next;
  }

  /** Writes pending changes now. */
  flush(): void {
    if (!this.pending) return;
    this.pending = false;
    try {
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.data, null, 1) + '\n');
      renameSync(tmp, this.file);
    } catch (err) {
      this.onError(err as Error);
    }
  }
}

function isSaved(v: unknown): v is Saved {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every(
    (m) =>
      typeof m === 'object' &&
      m !== null &&
      Object.values(m as object).every((i) => Number.isInteger(i) && (i as number) >= 1 && (i as number) <= 2147483647),
  );
}
