// Our SNMP engine's identity (RFC 3411 snmpEngineID, RFC 3414 2.2): an engine ID
// made once and kept in the state directory, engineBoots counted up at every
// start and written before we serve, engineTime from a monotonic clock.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** RFC 3414 2.2.1: boots latch here; a latched engine authenticates nothing. */
export const MAX_BOOTS = 2147483647;

export interface EngineIdentity {
  id: Buffer;
  boots: number;
  /** seconds since this start, 0..2147483647 */
  time(): number;
}

/**
 * RFC 3411 SnmpEngineID with format 5 (administratively assigned octets): the
 * enterprise number with the top bit set, 5, then 8 random octets.
 */
export function makeEngineId(enterprise: number): Buffer {
  const id = Buffer.alloc(13);
  id.writeUInt32BE((0x80000000 | enterprise) >>> 0, 0);
  id[4] = 5;
  randomBytes(8).copy(id, 5);
  return id;
}

interface Saved {
  engineId: string;
  boots: number;
}

function isSaved(v: unknown): v is Saved {
  if (!v || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.engineId === 'string' &&
    /^([0-9a-f]{2}){5,32}$/.test(s.engineId) &&
    typeof s.boots === 'number' &&
    Number.isInteger(s.boots) &&
    s.boots >= 0 &&
    s.boots <= MAX_BOOTS
  );
}

/**
 * Reads (or creates) stateDir/snmp-engine.json, counts this start and saves it
 * atomically. Throws when the file exists but is unreadable or damaged: making a
 * new engine ID would silently invalidate every manager's localized keys.
 */
export function startEngine(stateDir: string, enterprise: number, clock: () => number = () => performance.now()): EngineIdentity {
  const file = path.join(stateDir, 'snmp-engine.json');
  mkdirSync(stateDir, { recursive: true });
  let saved: Saved | undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!isSaved(parsed)) throw new Error(`${file} does not hold an engine ID and boot count`);
    saved = parsed;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = saved ? Buffer.from(saved.engineId, 'hex') : makeEngineId(enterprise);
  const boots = Math.min((saved?.boots ?? 0) + 1, MAX_BOOTS);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ engineId: id.toString('hex'), boots } satisfies Saved)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  const t0 = clock();
  return {
    id,
    boots,
    time: () => Math.min(Math.floor((clock() - t0) / 1000), MAX_BOOTS),
  };
}
