// What a source gives `madman counters`: one ChannelReport per channel, in the layout of
// Sun's `imsimta counters -show`, read from the checkpoint the source keeps in the state
// directory (no agent, no SNMP needed). A source declares its reader in its
// SourceDeclaration (`counters`); src/cli/counters.ts prints the rows of every source.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { absolute, COUNTER_KINDS, type ChannelCounters, type CounterKind, type Triple } from '../../model/channel-counters.js';
import type { ModelSnapshot } from '../../model/persist.js';
import type { ClearRequest } from '../../state/counters-clear.js';

/** A cell is null when the source cannot know it. */
export interface Row {
  messages: number | null;
  recipients: number | null;
  blocks: number | null;
}

export interface ChannelReport {
  application: string;
  channel: string;
  /** the source's name (its SourceDeclaration's) */
  source: string;
  /** when counting began or the counters were last cleared (ms since the epoch) */
  since?: number;
  /** a clear was asked for and the agent has not applied it yet (values shown as cleared) */
  clearPending: boolean;
  counters: Record<CounterKind, Row>;
  /** current less the lowest value since the clear, for counters that went below zero */
  absolute: Partial<Record<CounterKind, Triple>>;
  deliveredFirstTime: number | null;
  queue: { seconds: number; count: number; firstSeconds: number; firstCount: number } | null;
  inAssocs: number;
  outAssocs: number;
}

/** A JSON file of the state directory; undefined when it does not exist. */
export function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

/**
 * The checkpoint `name`.json of `stateDir` (undefined when there is none), with its model
 * snapshot checked; the rest of it is the source's to check.
 */
export function checkpointIn<T extends { model: ModelSnapshot }>(stateDir: string, name: string): T | undefined {
  const file = path.join(stateDir, `${name}.json`);
  const v = readJson(file) as Partial<T> | undefined;
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || typeof v.model !== 'object' || !Array.isArray(v.model?.applications)) {
    throw new Error(`${file} is not a checkpoint of the expected shape`);
  }
  return v as T;
}

/**
 * The rows of imsimta counters a source keeps itself (model/channel-counters.ts) and resets
 * on a clear: all zeros, marked clearPending, while the last request is above `clearSeq`.
 * The kinds of `notCounted` (no line of the source's log says them) are shown empty.
 */
export function counterReports(
  source: string,
  counters: readonly ChannelCounters[],
  appName: (c: ChannelCounters) => string,
  clearSeq: number,
  req: ClearRequest | undefined,
  notCounted: ReadonlySet<CounterKind> = new Set(),
): ChannelReport[] {
  const pending = req !== undefined && req.seq > clearSeq;
  return counters.map((c) => {
    const shown = {} as Record<CounterKind, Row>;
    const abs: Partial<Record<CounterKind, Triple>> = {};
    for (const k of COUNTER_KINDS) {
      if (notCounted.has(k)) {
        shown[k] = { messages: null, recipients: null, blocks: null };
        continue;
      }
      const v = c.values[k];
      shown[k] = pending ? { messages: 0, recipients: 0, blocks: 0 } : { ...v };
      const m = c.minimum[k];
      if (!pending && (m.messages < 0 || m.recipients < 0 || m.blocks < 0)) abs[k] = absolute(c, k);
    }
    return {
      application: appName(c),
      channel: c.name,
      source,
      since: pending && req ? req.at : c.since,
      clearPending: pending,
      counters: shown,
      absolute: abs,
      deliveredFirstTime: pending ? 0 : c.deliveredFirstTime,
      queue: pending
        ? { seconds: 0, count: 0, firstSeconds: 0, firstCount: 0 }
        : { seconds: c.queueSeconds, count: c.queueCount, firstSeconds: c.queueFirstSeconds, firstCount: c.queueFirstCount },
      inAssocs: pending ? 0 : c.inAssocs,
      outAssocs: pending ? 0 : c.outAssocs,
    };
  });
}
