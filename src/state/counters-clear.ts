// `madman counters clear` asks, the agent does: the command writes counters-clear.json
// in the state directory (a sequence number and when), the Sun MTA source checks it
// every second and zeroes its channel counters once per new sequence number, recording
// the number in its checkpoint. For Postfix channels, whose source keeps no such
// counters, the request carries a baseline: `counters show` subtracts it.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Checkpoint } from './checkpoint.js';

export const CLEAR_FILE = 'counters-clear';

/** Values of a Postfix channel at the time of a clear, by "applName\tchannelName". */
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
