// The User-based Security Model as an authoritative (agent) engine: RFC 3414 3.2
// step by step, each failure counted and, when the message is reportable, answered
// with a Report carrying the counter's true value. Nothing here is keyed on what a
// packet says except the configured users, so unknown engine IDs or user names cost
// a counter increment and no memory.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { BerError, Tag, encodeInteger, encodeOid, encodeUnsigned32, tlv } from '../ber.js';
import { UnexpectedPduError, decodePdu, type Envelope, type RequestMessage } from '../message.js';
import { authDigest, decrypt, DecryptionError, encrypt, encryptedLength, type AuthProtocol, type PrivProtocol } from './crypto.js';
import { MAX_BOOTS, type EngineIdentity } from './engine-id.js';
import {
  FLAG_AUTH,
  FLAG_PRIV,
  FLAG_REPORTABLE,
  encodeV3,
  openScopedPdu,
  scopedPdu,
  scopedPduSize,
  v3Size,
  type OutgoingV3,
  type V3Message,
} from './message3.js';

/** RFC 3414 3.2 step 7: the time window, in seconds. */
export const TIME_WINDOW = 150;

export const Level = { noAuthNoPriv: 1, authNoPriv: 2, authPriv: 3 } as const;
export type SecurityLevel = (typeof Level)[keyof typeof Level];

/** A user with its keys already localized to our engine ID. */
export interface LocalizedUser {
  name: string;
  auth?: { protocol: AuthProtocol; key: Buffer };
  priv?: { protocol: PrivProtocol; key: Buffer };
}

/** SNMP-USER-BASED-SM-MIB usmStats (RFC 3414). */
export class UsmStats {
  unsupportedSecLevels = 0;
  notInTimeWindows = 0;
  unknownUserNames = 0;
  unknownEngineIDs = 0;
  wrongDigests = 0;
  decryptionErrors = 0;
  /** SNMP-TARGET-MIB snmpUnknownContexts (RFC 3413 §3.2): counted here, where the context is checked */
  unknownContexts = 0;
}

export type UsmCounter = keyof UsmStats;

/** OIDs of the instances (.0) a Report names, from the MIB. */
export type CounterOids = Record<UsmCounter | 'unknownPDUHandlers', readonly number[]>;

export type UsmOutcome =
  | { kind: 'request'; req: RequestMessage; user: LocalizedUser; level: SecurityLevel; maxSize: number }
  | { kind: 'report'; message: Buffer | null; reason: string }
  | { kind: 'drop'; reason: string; parseError?: boolean };

export class Usm {
  /** by the user name's UTF-8 octets, in hex (msgUserName is octets) */
  private readonly users = new Map<string, LocalizedUser>();
  // Salts only need to differ between messages under one key (RFC 3826 3.1.2.1).
  private salt = randomBytes(8).readBigUInt64BE();

  constructor(
    readonly engine: EngineIdentity,
    users: LocalizedUser[],
    private readonly oids: CounterOids,
    private readonly ourMaxSize: number,
    /** snmpUnknownPDUHandlers lives with the MPD counters */
    private readonly unknownPduHandler: () => number,
    /** the counters; a reloaded configuration's Usm goes on with the running one's */
    readonly stats: UsmStats = new UsmStats(),
  ) {
    for (const u of users) this.users.set(Buffer.from(u.name, 'utf8').toString('hex'), u);
  }

  /** RFC 3414 3.2 for a decoded message, then the scopedPDU. */
  process(m: V3Message): UsmOutcome {
    const { usm } = m;
    const level: SecurityLevel = m.flags & FLAG_PRIV ? Level.authPriv : m.flags & FLAG_AUTH ? Level.authNoPriv : Level.noAuthNoPriv;
    const report = (counter: UsmCounter, reason: string, user?: LocalizedUser): UsmOutcome => {
      const value = ++this.stats[counter];
      return this.report(m, this.oids[counter], value, reason, user);
    };
    // step 3: discovery, or a message meant for another engine
    if (!usm.engineId.equals(this.engine.id)) return report('unknownEngineIDs', 'unknown engine ID');
    // step 4
    const user = this.users.get(usm.userName.toString('hex'));
    if (!user) return report('unknownUserNames', 'unknown user name');
    // step 5
    if ((level >= Level.authNoPriv && !user.auth) || (level === Level.authPriv && !user.priv)) {
      return report('unsupportedSecLevels', 'security level not supported by the user');
    }
    if (level >= Level.authNoPriv) {
      // step 6: the digest over the whole message with the parameters zeroed
      const { protocol, key } = user.auth!;
      if (usm.authParams.length !== protocol.macLength) return report('wrongDigests', 'wrong digest length');
      const copy = Buffer.from(m.whole);
      copy.fill(0, usm.authOffset, usm.authOffset + protocol.macLength);
      if (!timingSafeEqual(authDigest(protocol, key, copy), usm.authParams)) return report('wrongDigests', 'wrong digest');
      // step 7: the time window; a latched boots counter accepts nothing
      const now = this.engine.time();
      if (this.engine.boots === MAX_BOOTS || usm.boots !== this.engine.boots || Math.abs(usm.time - now) > TIME_WINDOW) {
        // reported authenticated, so the manager can trust our boots and time
        const value = ++this.stats.notInTimeWindows;
        return this.report(m, this.oids.notInTimeWindows, value, 'not in time window', user, true);
      }
    }
    // step 8
    let scopedTlv = m.data.raw;
    if (level === Level.authPriv) {
      if (m.data.tag !== Tag.OctetString) return report('decryptionErrors', 'authPriv message without an encryptedPDU');
      const { protocol, key } = user.priv!;
      try {
        scopedTlv = decrypt(protocol, key, usm, usm.privParams, m.data.contents);
      } catch (err) {
        if (err instanceof DecryptionError) return report('decryptionErrors', err.message);
        throw err;
      }
    } else if (m.data.tag !== Tag.Sequence) {
      return { kind: 'drop', reason: 'encryptedPDU without privacy', parseError: true };
    }
    return this.scoped(m, scopedTlv, user, level);
  }

  private scoped(m: V3Message, scopedTlv: Buffer, user: LocalizedUser, level: SecurityLevel): UsmOutcome {
    let parts;
    let pdu;
    try {
      parts = openScopedPdu(scopedTlv);
      pdu = decodePdu(parts.pdu, scopedTlv);
      if (!parts.pdu.done) throw new BerError('bytes after the PDU');
    } catch (err) {
      if (err instanceof UnexpectedPduError) return { kind: 'drop', reason: err.message };
      // a failed decryption usually lands here: it has no integrity check of its own
      if (level === Level.authPriv) {
        const value = ++this.stats.decryptionErrors;
        return this.report(m, this.oids.decryptionErrors, value, 'decrypted data is not a scopedPDU', undefined);
      }
      return { kind: 'drop', reason: `malformed scopedPDU: ${(err as Error).message}`, parseError: true };
    }
    if (parts.contextEngineId.length && !parts.contextEngineId.equals(this.engine.id)) {
      return this.report(m, this.oids.unknownPDUHandlers, this.unknownPduHandler(), 'contextEngineID of another engine', undefined, false, pdu.requestId);
    }
    if (parts.contextName.length) {
      // RFC 3413 §3.2: an unknown context is counted in snmpUnknownContexts and, through
      // the dispatcher (RFC 3412 §7.1), reported when the reportable flag is set; the
      // request is authentic, so the Report goes at its level (without privacy).
      const value = ++this.stats.unknownContexts;
      return this.report(m, this.oids.unknownContexts, value, 'only the default context is served', user, Boolean(m.flags & FLAG_AUTH), pdu.requestId);
    }
    const maxSize = Math.min(m.maxSize, this.ourMaxSize);
    const out = this.outgoing(m, m.flags & (FLAG_AUTH | FLAG_PRIV), user);
    const envelope = this.envelope(out, parts.contextName, user);
    return { kind: 'request', req: { version: 3, community: Buffer.alloc(0), pdu, envelope }, user, level, maxSize };
  }

  private outgoing(m: V3Message, flags: number, user: LocalizedUser | undefined): Omit<OutgoingV3, 'data'> {
    const priv = flags & FLAG_PRIV && user?.priv;
    return {
      msgId: m.msgId,
      maxSize: this.ourMaxSize,
      flags,
      engineId: this.engine.id,
      boots: this.engine.boots,
      time: this.engine.time(),
      userName: m.usm.userName,
      macLength: flags & FLAG_AUTH && user?.auth ? user.auth.protocol.macLength : 0,
      privParams: priv ? Buffer.alloc(8) : Buffer.alloc(0),
      encrypted: Boolean(priv),
    };
  }

  private envelope(out: Omit<OutgoingV3, 'data'>, contextName: Buffer, user: LocalizedUser | undefined): Envelope {
    const engineId = this.engine.id;
    const priv = out.encrypted ? user?.priv : undefined;
    return {
      size: (pduLength) => {
        const n = scopedPduSize(engineId, contextName, pduLength);
        return v3Size(out, priv ? encryptedLength(priv.protocol, n) : n);
      },
      wrap: (pdu) => {
        let data = scopedPdu(engineId, contextName, pdu);
        let privParams = out.privParams;
        if (priv) {
          privParams = this.nextSalt(priv.protocol);
          data = encrypt(priv.protocol, priv.key, out, privParams, data);
        }
        const { message, authOffset } = encodeV3({ ...out, privParams, data });
        if (out.macLength && user?.auth) {
          authDigest(user.auth.protocol, user.auth.key, message).copy(message, authOffset);
        }
        return message;
      },
    };
  }

  private nextSalt(p: PrivProtocol): Buffer {
    this.salt = (this.salt + 1n) & 0xffffffffffffffffn;
    const salt = Buffer.allocUnsafe(8);
    salt.writeBigUInt64BE(this.salt);
    // DES: engineBoots then a local integer (RFC 3414 8.1.1.1)
    if (p.name === 'DES') salt.writeUInt32BE(this.engine.boots >>> 0, 0);
    return salt;
  }

  /** A Report naming one counter, or null when the request did not ask for reports. */
  private report(
    m: V3Message,
    oid: readonly number[],
    value: number,
    reason: string,
    user: LocalizedUser | undefined,
    authenticated = false,
    requestId = plainRequestId(m),
  ): UsmOutcome {
    if (!(m.flags & FLAG_REPORTABLE)) return { kind: 'report', message: null, reason };
    const vb = tlv(Tag.Sequence, [encodeOid(oid), encodeUnsigned32(value >>> 0, Tag.Counter32)]);
    const pdu = tlv(Tag.Report, [encodeInteger(requestId), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence, [vb])]);
    const out = this.outgoing(m, authenticated ? FLAG_AUTH : 0, user);
    const contextName = Buffer.alloc(0);
    return { kind: 'report', message: this.envelope(out, contextName, user).wrap(pdu), reason };
  }
}

/** The request-id of a plaintext scopedPDU, or 0 when it cannot be read (encrypted or malformed). */
function plainRequestId(m: V3Message): number {
  if (m.data.tag !== Tag.Sequence) return 0;
  try {
    const { pdu } = openScopedPdu(m.data.raw);
    pdu.readHeader();
    return pdu.integer();
  } catch {
    return 0;
  }
}
