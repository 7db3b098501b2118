// `madman counters clear` asks, the agent does: the command writes counters-clear.json
// in the state directory (a sequence number and when); sources that keep their own channel
// counters (Sun MTA, Postfix) watch it (watchClears, every second) and zero them once per
// new sequence number, recording the number in their checkpoints. For sources whose
// counters a clear cannot reset (MTA-MIB counters never go back), the request carries a
// baseline: `counters show` subtracts it.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Checkpoint } from './checkpoint.js';

export const CLEAR_FILE = 'counters-clear';

/** Values of a channel at the time of a clear, by "applName\tchannelName". */
export type Baselines = Record<string, Record<string, number>>;

export interface ClearRequest {
  seq: number;
  /** when the clear was asked for (ms since the epoch) */
  at: number;
  baselines: Baselines;
}

function isRequest(v: unknown): v is ClearRequest {
  const o = v as Partial<ClearRequest> | null;
  return typeof o === 'object' && o !== null && typeof o.seq === 'number' && typeof o.at === 'number' && typeof o.baselines === 'object';
}

export function clearRequests(stateDir: string): Checkpoint<ClearRequest> {
  return new Checkpoint(stateDir, CLEAR_FILE, isRequest);
}

/** The last request, or undefined (none, or a damaged file: a clear is then asked again). */
export function readClearRequest(stateDir: string): ClearRequest | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(path.join(stateDir, `${CLEAR_FILE}.json`), 'utf8'));
    return isRequest(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** How often a running source looks for a new clear request. */
export const CLEAR_POLL_MS = 1000;

/**
 * Watches for clear requests on behalf of a source: `check()` applies a request whose
 * sequence number is above `applied()` (once), then every CLEAR_POLL_MS until `stop()`.
 * `apply` gets whether the check came from the timer (the source then checkpoints; at start
 * the first batch saves it with the log position).
 */
export function watchClears(stateDir: string, applied: () => number, apply: (req: ClearRequest, timer: boolean) => void): { check(): void; stop(): void } {
  const check = (timer: boolean) => {
    const req = readClearRequest(stateDir);
    if (req && req.seq > applied()) apply(req, timer);
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    check() {
      check(false);
      if (!timer) {
        timer = setInterval(() => check(true), CLEAR_POLL_MS);
        timer.unref();
      }
    },
    stop() {
      clearInterval(timer);
    },
  };
}
