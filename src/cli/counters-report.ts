// What `madman counters` shows, read from the checkpoints the agent writes in its state
// directory (no SNMP needed): the imsimta channel counters of the Sun MTA source
// (sun-mta.json) and of the Postfix source (postfix.json), with the same meanings
// (docs/sun-mta.md, docs/postfix.md), and a `counters clear` the agent has not applied yet
// (counters-clear.json; src/state/counters-clear.ts) shown as zeros.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { absolute, COUNTER_KINDS, type ChannelCounters, type CounterKind, type Triple } from '../model/channel-counters.js';
import type { ModelSnapshot } from '../model/persist.js';
import type { PostfixLogState } from '../sources/postfix/state.js';
import type { SunLogState } from '../sources/sun-mta/state.js';
import { readClearRequest, type ClearRequest } from '../state/counters-clear.js';

/** A cell is null when the source cannot know it. */
export interface Row {
  messages: number | null;
  recipients: number | null;
  blocks: number | null;
}

export interface ChannelReport {
  application: string;
  channel: string;
  source: 'sun-mta' | 'postfix';
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

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

interface Checkpointed<L> {
  model: ModelSnapshot;
  log?: L;
}

function checkpointIn<L>(stateDir: string, name: string): Checkpointed<L> | undefined {
  const v = readJson(path.join(stateDir, `${name}.json`)) as Partial<Checkpointed<L>> | undefined;
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || typeof v.model !== 'object' || !Array.isArray(v.model?.applications)) {
    throw new Error(`${path.join(stateDir, `${name}.json`)} is not a checkpoint of the expected shape`);
  }
  return v as Checkpointed<L>;
}

/** Reports of one source's counters; all zeros while a clear request is pending. */
function reportsOf(
  source: ChannelReport['source'],
  counters: readonly ChannelCounters[],
  appName: (c: ChannelCounters) => string,
  clearSeq: number,
  req: ClearRequest | undefined,
): ChannelReport[] {
  const pending = req !== undefined && req.seq > clearSeq;
  return counters.map((c: ChannelCounters) => {
    const shown = {} as Record<CounterKind, Row>;
    const abs: Partial<Record<CounterKind, Triple>> = {};
    for (const k of COUNTER_KINDS) {
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

export function sunReports(stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const log = checkpointIn<SunLogState>(stateDir, 'sun-mta')?.log;
  if (!log || !Array.isArray(log.counters)) return [];
  return reportsOf('sun-mta', log.counters, () => log.appName, log.clearSeq, req);
}

/**
 * The Postfix groups' counters (postfix.json). A checkpoint written before the Postfix
 * source kept them has none: they count from the first checkpoint of an agent that does.
 */
export function postfixReports(stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const cp = checkpointIn<PostfixLogState>(stateDir, 'postfix');
  const cc = cp?.log?.channelCounters;
  if (!cp || !cc || !Array.isArray(cc.counters)) return [];
  const names = new Map(cp.model.applications.map((a) => [a.index, a.name]));
  return reportsOf('postfix', cc.counters, (c) => names.get(c.app) ?? `application ${c.app}`, cc.clearSeq, req);
}

/** All channels with counters in `stateDir`, Sun MTA first. */
export function readReports(stateDir: string): ChannelReport[] {
  const req = readClearRequest(stateDir);
  return [...sunReports(stateDir, req), ...postfixReports(stateDir, req)];
}
