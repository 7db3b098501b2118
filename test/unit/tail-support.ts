// Shared helpers for the tail-*.test.ts files: temporary directories, a collector
// of batches and statuses, and waiting for a condition with a bounded deadline.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FollowerStatus } from '../../src/sources/tail/types.js';

export function tmpDir(prefix = 'madman-tail-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rmDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Polls `cond` every 5 ms until it holds; fails after `ms` with `what` and the details. */
export async function waitFor(cond: () => boolean, what: string, ms = 5000, details?: () => unknown): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${details ? `: ${JSON.stringify(details())}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Batch<I, P> {
  items: I[];
  position: P;
}

/** Records what a follower delivers; `gate` (if set) is awaited inside onBatch. */
export class Collector<I, P> {
  items: I[] = [];
  batches: Batch<I, P>[] = [];
  statuses: FollowerStatus[] = [];
  errors: Error[] = [];
  inFlight = 0;
  maxInFlight = 0;
  gate: Promise<void> | undefined;
  /** called (and awaited) for each batch after it is recorded */
  hook: ((b: Batch<I, P>) => void | Promise<void>) | undefined;

  readonly onBatch = async (items: I[], position: P): Promise<void> => {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const b = { items, position };
      this.batches.push(b);
      this.items.push(...items);
      await this.hook?.(b);
      if (this.gate) await this.gate;
    } finally {
      this.inFlight--;
    }
  };

  readonly onStatus = (s: FollowerStatus): void => {
    this.statuses.push(s);
  };

  readonly onError = (e: Error): void => {
    this.errors.push(e);
  };

  get position(): P | undefined {
    return this.batches.at(-1)?.position;
  }
}

/** A promise and the function that resolves it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
