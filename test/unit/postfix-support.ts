// Helpers for the Postfix log tests: fixtures, feeding, and the model as plain data.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MailSystem, type Application, type Channel } from '../../src/model/mail-system.js';
import { restoreModel, snapshotModel, type ModelSnapshot } from '../../src/model/persist.js';
import { PostfixLog, type PostfixLogOptions } from '../../src/sources/postfix/apply.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Lines of test/fixtures/postfix/NAME (without the final empty line). */
export function fixture(name: string): string[] {
  const text = readFileSync(path.join(ROOT, 'test/fixtures/postfix', name), 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** BSD timestamps in the fixtures are of 2026, local time. */
export const at = (month: number, day: number, h: number, m: number, s: number): number => new Date(2026, month - 1, day, h, m, s).getTime();
export const utc = (iso: string): number => Date.parse(iso);

/** Feeds `lines`; `unparsed` counts those line() did not understand (what a LogSource counts). */
export function read(lines: string[], opts: PostfixLogOptions = {}, model = new MailSystem()): { model: MailSystem; log: PostfixLog; unparsed: number } {
  const log = new PostfixLog(model, { year: 2026, ...opts });
  let unparsed = 0;
  for (const l of lines) if (!log.line(l)) unparsed++;
  return { model, log, unparsed };
}

export function app(model: MailSystem, name: string): Application {
  for (const a of model.applications.values()) if (a.name === name) return a;
  throw new Error(`no application ${name} (have ${[...model.applications.values()].map((a) => a.name).join(', ')})`);
}

export function group(model: MailSystem, appName: string, name: string): Channel {
  const a = app(model, appName);
  for (const ch of a.mta?.channels.values() ?? []) if (ch.name === name) return ch;
  throw new Error(`no group ${name} in ${appName} (have ${[...(a.mta?.channels.values() ?? [])].map((c) => c.name).join(', ')})`);
}

export function groupNames(model: MailSystem, appName: string): string[] {
  return [...(app(model, appName).mta?.channels.values() ?? [])].map((c) => `${c.index}:${c.name}`);
}

/** The error table of a group as { code: [inbound, internal, outbound] }. */
export function errors(ch: Channel): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const [code, c] of [...ch.errors.entries()].sort()) out[code] = [c.inbound, c.internal, c.outbound];
  return out;
}

export const traffic = (c: {
  receivedMessages: number;
  receivedVolume: number;
  receivedRecipients: number;
  transmittedMessages: number;
  transmittedVolume: number;
  transmittedRecipients: number;
}): number[] => [c.receivedMessages, c.receivedVolume, c.receivedRecipients, c.transmittedMessages, c.transmittedVolume, c.transmittedRecipients];

type Plain = Record<string, unknown>;

function fields(o: object, skip: string[]): Plain {
  const out: Plain = {};
  for (const [k, v] of Object.entries(o)) if (!skip.includes(k) && v !== undefined) out[k] = typeof v === 'object' && v !== null ? { ...v } : v;
  return out;
}

/** Everything a manager can read of the model, as plain data (association indexes left out). */
export function dump(model: MailSystem): Plain[] {
  return [...model.applications.values()].map((a) => ({
    ...fields(a, ['associations', 'mta']),
    associations: [...a.associations.values()]
      .map((x) => ({ remote: x.remoteApplication, type: x.type, startedAt: x.startedAt, channel: x.channel, protocol: x.protocol }))
      .sort((x, y) => x.startedAt - y.startedAt || x.remote.localeCompare(y.remote)),
    counters: a.mta ? { ...a.mta.counters } : undefined,
    channels: [...(a.mta?.channels.values() ?? [])].map((ch) => ({ ...fields(ch, ['errors']), errors: errors(ch) })),
  }));
}

/**
 * A fresh model holding what a model checkpoint keeps (src/model/persist.ts): every
 * field and counter of applications and groups, and error counts; no associations.
 * Rows are created in index order, so they get the same indexes.
 */
export function checkpointCopy(model: MailSystem): MailSystem {
  // Through the real checkpoint path (JSON included), so what it drops shows here too.
  const copy = new MailSystem();
  restoreModel(copy, JSON.parse(JSON.stringify(snapshotModel(model))) as ModelSnapshot);
  return copy;
}
