// The fuzzer's seeds: datagrams real Net-SNMP tools sent to the agent (captured by
// scripts/capture-packets.ts into test/fixtures/snmp-packets/net-snmp.txt), and what is
// needed to make new keyed SNMPv3 messages around a scoped PDU: the capture's user and
// pass phrases, known to the fuzzer and configured in the agent it fuzzes.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/harness.js';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS, authDigest, decrypt, encrypt, localizeKey, passwordToKey, privKey } from '../../src/snmp/usm/crypto.js';
import { decodeV3, encodeV3 } from '../../src/snmp/usm/message3.js';

export const CORPUS_FILE = path.join(ROOT, 'test/fixtures/snmp-packets/net-snmp.txt');

/** The SNMPv3 user of the capture and of the fuzzed agent. */
export const FUZZ_USER = { name: 'fuzzer', auth: 'SHA-256', authPass: 'fuzzer auth pass', priv: 'AES', privPass: 'fuzzer priv pass' } as const;

/** The config lines giving the agent that user (and public for v1/v2c). */
export const FUZZ_SECURITY_YAML = [
  'rocommunity:',
  '  - public 127.0.0.1',
  'createUser:',
  `  - ${FUZZ_USER.name} ${FUZZ_USER.auth} "${FUZZ_USER.authPass}" ${FUZZ_USER.priv} "${FUZZ_USER.privPass}"`,
  'rouser:',
  `  - ${FUZZ_USER.name} auth`,
].join('\n');

export interface Seed {
  /** what sent it, e.g. "snmpbulkget -v2c -Cr10" */
  label: string;
  bytes: Buffer;
}

/** The captured datagrams: "# label" lines, each followed by hex lines of one datagram. */
export function loadCorpus(file = CORPUS_FILE): Seed[] {
  const out: Seed[] = [];
  let label = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('#')) label = line.slice(1).trim();
    else if (/^[0-9a-f]+$/i.test(line.trim())) out.push({ label, bytes: Buffer.from(line.trim(), 'hex') });
  }
  return out;
}

const auth = AUTH_PROTOCOLS[FUZZ_USER.auth];
const priv = PRIV_PROTOCOLS[FUZZ_USER.priv];
const ku = { auth: passwordToKey(auth.hash, Buffer.from(FUZZ_USER.authPass)), priv: passwordToKey(auth.hash, Buffer.from(FUZZ_USER.privPass)) };

/** The fuzz user's keys localized to an engine. */
export function keys(engineId: Buffer): { auth: Buffer; priv: Buffer } {
  return { auth: localizeKey(auth.hash, ku.auth, engineId), priv: privKey(auth.hash, localizeKey(auth.hash, ku.priv, engineId), priv.keyLength) };
}

/** The plaintext scopedPDU of a captured authPriv (or authNoPriv) message from the fuzz user, or undefined. */
export function scopedPduOf(message: Buffer): Buffer | undefined {
  try {
    const m = decodeV3(message);
    if (m.usm.userName.toString() !== FUZZ_USER.name || !(m.flags & 1)) return undefined;
    if (!(m.flags & 2)) return m.data.raw;
    const k = keys(m.usm.engineId);
    return decrypt(priv, k.priv, { boots: m.usm.boots, time: m.usm.time }, m.usm.privParams, m.data.contents);
  } catch {
    return undefined;
  }
}

export interface Engine {
  id: Buffer;
  boots: number;
  time: number;
}

/** A reportable authPriv message of the fuzz user around `scoped` (any bytes), keyed for `engine`. */
export function keyedV3(scoped: Buffer, engine: Engine, msgId: number, withPrivacy = true): Buffer {
  const k = keys(engine.id);
  const salt = Buffer.alloc(8);
  salt.writeUInt32BE(msgId >>> 0, 4);
  const data = withPrivacy ? encrypt(priv, k.priv, engine, salt, scoped) : scoped;
  const { message, authOffset } = encodeV3({
    msgId,
    maxSize: 65507,
    flags: withPrivacy ? 7 : 5,
    engineId: engine.id,
    boots: engine.boots,
    time: engine.time,
    userName: Buffer.from(FUZZ_USER.name),
    macLength: auth.macLength,
    privParams: withPrivacy ? salt : Buffer.alloc(0),
    data,
    encrypted: withPrivacy,
  });
  authDigest(auth, k.auth, message).copy(message, authOffset);
  return message;
}

/** Whether `message` carries a correct digest of the fuzz user for `engine` (what USM would accept). */
export function authentic(message: Buffer, engine: Engine): boolean {
  try {
    const m = decodeV3(message);
    if (!(m.flags & 1) || m.usm.userName.toString() !== FUZZ_USER.name || !m.usm.engineId.equals(engine.id)) return false;
    if (m.usm.authParams.length !== auth.macLength) return false;
    const copy = Buffer.from(message);
    copy.fill(0, m.usm.authOffset, m.usm.authOffset + auth.macLength);
    return authDigest(auth, keys(engine.id).auth, copy).equals(m.usm.authParams);
  } catch {
    return false;
  }
}
