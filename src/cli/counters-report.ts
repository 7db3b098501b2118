// What `madman counters` shows, read from the checkpoints the agent writes in its state
// directory (no SNMP needed): the Sun MTA source's imsimta counters (sun-mta.json), and
// for Postfix channels the MTA-MIB counters of postfix.json less the baseline the last
// `counters clear` recorded (counters-clear.json; src/state/counters-clear.ts).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { absolute, COUNTER_KINDS, type ChannelCounters, type CounterKind, type Triple } from '../model/channel-counters.js';
import type { ChannelSnapshot, ModelSnapshot } from '../model/persist.js';
import type { SunLogState } from '../sources/sun-mta/state.js';
import { readClearRequest, type Baselines, type ClearRequest } from '../state/counters-clear.js';

/** A cell is null when the source cannot know it (Postfix has no Submitted, for one). */
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

interface Checkpointed {
  model: ModelSnapshot;
  log?: SunLogState;
}

function checkpointIn(stateDir: string, name: string): Checkpointed | undefined {
  const v = readJson(path.join(stateDir, `${name}.json`)) as Partial<Checkpointed> | undefined;
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || typeof v.model !== 'object' || !Array.isArray(v.model?.applications)) {
    throw new Error(`${path.join(stateDir, `${name}.json`)} is not a checkpoint of the expected shape`);
  }
  return v as Checkpointed;
}

export function sunReports(stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const cp = checkpointIn(stateDir, 'sun-mta');
  const log = cp?.log;
  if (!log || !Array.isArray(log.counters)) return [];
  const pending = req !== undefined && req.seq > log.clearSeq;
  return log.counters.map((c: ChannelCounters) => {
    const counters = {} as Record<CounterKind, Row>;
    const abs: Partial<Record<CounterKind, Triple>> = {};
    for (const k of COUNTER_KINDS) {
      const v = c.values[k];
      counters[k] = pending ? { messages: 0, recipients: 0, blocks: 0 } : { ...v };
      const m = c.minimum[k];
      if (!pending && (m.messages < 0 || m.recipients < 0 || m.blocks < 0)) abs[k] = absolute(c, k);
    }
    return {
      application: log.appName,
      channel: c.name,
      source: 'sun-mta' as const,
      since: pending && req ? req.at : c.since,
      clearPending: pending,
      counters,
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

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const blocks = (octets: unknown): number => Math.ceil(num(octets) / 1024);

/** The MTA-MIB values of a Postfix channel that `counters` shows, by name. */
export function postfixValues(ch: ChannelSnapshot): Record<string, number> {
  const f = ch.fields;
  return {
    receivedMessages: num(f.receivedMessages),
    receivedRecipients: num(f.receivedRecipients),
    receivedBlocks: blocks(f.receivedVolume),
    storedMessages: num(f.storedMessages),
    storedRecipients: num(f.storedRecipients),
    storedBlocks: blocks(f.storedVolume),
    deliveredMessages: num(f.transmittedMessages),
    deliveredRecipients: num(f.transmittedRecipients),
    deliveredBlocks: blocks(f.transmittedVolume),
    rejectedMessages: num(f.rejectedMessages),
    inAssocs: num(f.accumulatedInboundAssociations),
    outAssocs: num(f.accumulatedOutboundAssociations),
  };
}

/** Every Postfix channel's current values (a clear's baseline), by "applName\tchannel". */
export function postfixBaselines(stateDir: string): Baselines {
  const out: Baselines = {};
  for (const app of checkpointIn(stateDir, 'postfix')?.model.applications ?? []) {
    for (const ch of app.mta?.channels ?? []) out[`${app.name}\t${ch.name}`] = postfixValues(ch);
  }
  return out;
}

export function postfixReports(stateDir: string, req: ClearRequest | undefined): ChannelReport[] {
  const out: ChannelReport[] = [];
  for (const app of checkpointIn(stateDir, 'postfix')?.model.applications ?? []) {
    for (const ch of app.mta?.channels ?? []) {
      const now = postfixValues(ch);
      const base = req?.baselines[`${app.name}\t${ch.name}`] ?? {};
      const v = (k: string): number => now[k]! - (base[k] ?? 0);
      const row = (p: string): Row => ({ messages: v(`${p}Messages`), recipients: v(`${p}Recipients`), blocks: v(`${p}Blocks`) });
      const none: Row = { messages: null, recipients: null, blocks: null };
      const created = ch.fields.createdAt;
      out.push({
        application: app.name,
        channel: ch.name,
        source: 'postfix',
        since: req ? req.at : typeof created === 'number' ? created : undefined,
        clearPending: false,
        counters: {
          received: row('received'),
          stored: row('stored'),
          delivered: row('delivered'),
          submitted: none,
          attempted: none,
          rejected: { messages: v('rejectedMessages'), recipients: null, blocks: null },
          failed: none,
        },
        absolute: {},
        deliveredFirstTime: null,
        queue: null,
        inAssocs: v('inAssocs'),
        outAssocs: v('outAssocs'),
      });
    }
  }
  return out;
}

/** All channels with counters in `stateDir`, Sun MTA first. */
export function readReports(stateDir: string): ChannelReport[] {
  const req = readClearRequest(stateDir);
  return [...sunReports(stateDir, req), ...postfixReports(stateDir, req)];
}
