// USM algorithms on node:crypto: password to key and key localization (RFC 3414
// A.2, RFC 7860 for SHA-2), HMAC authentication with each protocol's truncation,
// and the privacy ciphers (AES-CFB, RFC 3826; DES-CBC, RFC 3414 8.1).

import { createCipheriv, createDecipheriv, createHash, createHmac, getCiphers } from 'node:crypto';

export type AuthName = 'MD5' | 'SHA' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';
export type PrivName = 'DES' | 'AES' | 'AES-192' | 'AES-256';

export interface AuthProtocol {
  name: AuthName;
  hash: string;
  /** octets of msgAuthenticationParameters (the truncated HMAC) */
  macLength: number;
  /** registration under snmpAuthProtocols / SNMP-USM-HMAC-SHA2-MIB */
  oid: string;
}

export interface PrivProtocol {
  name: PrivName;
  cipher: string;
  keyLength: number;
  oid: string;
}

export const AUTH_PROTOCOLS: Record<AuthName, AuthProtocol> = {
  MD5: { name: 'MD5', hash: 'md5', macLength: 12, oid: '1.3.6.1.6.3.10.1.1.2' },
  SHA: { name: 'SHA', hash: 'sha1', macLength: 12, oid: '1.3.6.1.6.3.10.1.1.3' },
  'SHA-224': { name: 'SHA-224', hash: 'sha224', macLength: 16, oid: '1.3.6.1.6.3.10.1.1.4' },
  'SHA-256': { name: 'SHA-256', hash: 'sha256', macLength: 24, oid: '1.3.6.1.6.3.10.1.1.5' },
  'SHA-384': { name: 'SHA-384', hash: 'sha384', macLength: 32, oid: '1.3.6.1.6.3.10.1.1.6' },
  'SHA-512': { name: 'SHA-512', hash: 'sha512', macLength: 48, oid: '1.3.6.1.6.3.10.1.1.7' },
};

export const PRIV_PROTOCOLS: Record<PrivName, PrivProtocol> = {
  DES: { name: 'DES', cipher: 'des-cbc', keyLength: 16, oid: '1.3.6.1.6.3.10.1.2.2' },
  AES: { name: 'AES', cipher: 'aes-128-cfb', keyLength: 16, oid: '1.3.6.1.6.3.10.1.2.4' },
  // draft-blumenthal-aes-usm-04, as Net-SNMP's AES192/AES256
  'AES-192': { name: 'AES-192', cipher: 'aes-192-cfb', keyLength: 24, oid: '1.3.6.1.4.1.14832.1.3' },
  'AES-256': { name: 'AES-256', cipher: 'aes-256-cfb', keyLength: 32, oid: '1.3.6.1.4.1.14832.1.4' },
};

/** Names as snmpd.conf and the Net-SNMP tools spell them, to ours. */
export function authByName(text: string): AuthProtocol | undefined {
  const t = text.toUpperCase().replace(/^SHA-?1$/, 'SHA').replace(/^SHA(\d{3})$/, 'SHA-$1');
  return (AUTH_PROTOCOLS as Record<string, AuthProtocol>)[t];
}

export function privByName(text: string): PrivProtocol | undefined {
  const t = text.toUpperCase().replace(/^AES-?128$/, 'AES').replace(/^AES(\d{3})$/, 'AES-$1');
  return (PRIV_PROTOCOLS as Record<string, PrivProtocol>)[t];
}

/** False when this Node's OpenSSL lacks the cipher (DES needs --openssl-legacy-provider). */
export function cipherAvailable(p: PrivProtocol): boolean {
  if (!getCiphers().includes(p.cipher)) return false;
  try {
    createCipheriv(p.cipher, Buffer.alloc(p.cipher === 'des-cbc' ? 8 : p.keyLength), Buffer.alloc(p.cipher === 'des-cbc' ? 8 : 16));
    return true;
  } catch {
    return false;
  }
}

/** RFC 3414 A.2: the pass phrase repeated to one megabyte, hashed. */
export function passwordToKey(hash: string, password: Buffer): Buffer {
  if (password.length === 0) throw new Error('empty pass phrase');
  const h = createHash(hash);
  const chunk = Buffer.allocUnsafe(64 * 1024);
  // 64 KiB of the repeated phrase, starting at offset `from` of the phrase
  let from = 0;
  for (let done = 0; done < 1048576; done += chunk.length) {
    for (let i = 0; i < chunk.length; i++) chunk[i] = password[(from + i) % password.length]!;
    from = (from + chunk.length) % password.length;
    h.update(chunk);
  }
  return h.digest();
}

/** RFC 3414 A.2.1/A.2.2: Kul = H(Ku || engineID || Ku). */
export function localizeKey(hash: string, ku: Buffer, engineId: Buffer): Buffer {
  return createHash(hash).update(ku).update(engineId).update(ku).digest();
}

/**
 * A privacy key of `length` octets from a localized key: its first octets, extended
 * when too short by appending H(last block) until long enough (Blumenthal's draft).
 */
export function privKey(hash: string, kul: Buffer, length: number): Buffer {
  let key = kul;
  let last = kul;
  while (key.length < length) {
    last = createHash(hash).update(last).digest();
    key = Buffer.concat([key, last]);
  }
  return key.subarray(0, length);
}

/** The truncated HMAC of a whole message whose authentication parameters are zeros. */
export function authDigest(p: AuthProtocol, key: Buffer, message: Buffer): Buffer {
  return createHmac(p.hash, key).update(message).digest().subarray(0, p.macLength);
}

export interface PrivContext {
  boots: number;
  time: number;
}

/** IV for AES (RFC 3826 3.1.2.1): boots, time, then the 8-octet salt. */
function aesIv(ctx: PrivContext, salt: Buffer): Buffer {
  const iv = Buffer.allocUnsafe(16);
  iv.writeUInt32BE(ctx.boots >>> 0, 0);
  iv.writeUInt32BE(ctx.time >>> 0, 4);
  salt.copy(iv, 8);
  return iv;
}

/** IV for DES (RFC 3414 8.1.1.1): the pre-IV (key octets 8..15) XOR the salt. */
function desIv(key: Buffer, salt: Buffer): Buffer {
  const iv = Buffer.allocUnsafe(8);
  for (let i = 0; i < 8; i++) iv[i] = key[8 + i]! ^ salt[i]!;
  return iv;
}

export class DecryptionError extends Error {}

export function decrypt(p: PrivProtocol, key: Buffer, ctx: PrivContext, salt: Buffer, data: Buffer): Buffer {
  if (salt.length !== 8) throw new DecryptionError('privacy parameters are not 8 octets');
  if (p.name === 'DES') {
    if (data.length === 0 || data.length % 8 !== 0) throw new DecryptionError('DES data is not a multiple of 8 octets');
    const d = createDecipheriv('des-cbc', key.subarray(0, 8), desIv(key, salt));
    d.setAutoPadding(false);
    return Buffer.concat([d.update(data), d.final()]);
  }
  const d = createDecipheriv(p.cipher, key.subarray(0, p.keyLength), aesIv(ctx, salt));
  return Buffer.concat([d.update(data), d.final()]);
}

export function encrypt(p: PrivProtocol, key: Buffer, ctx: PrivContext, salt: Buffer, data: Buffer): Buffer {
  if (p.name === 'DES') {
    // pad to the block size; the receiver ignores octets after the scopedPDU
    const padded = data.length % 8 ? Buffer.concat([data, Buffer.alloc(8 - (data.length % 8))]) : data;
    const c = createCipheriv('des-cbc', key.subarray(0, 8), desIv(key, salt));
    c.setAutoPadding(false);
    return Buffer.concat([c.update(padded), c.final()]);
  }
  const c = createCipheriv(p.cipher, key.subarray(0, p.keyLength), aesIv(ctx, salt));
  return Buffer.concat([c.update(data), c.final()]);
}

/** Length of the encrypted form of `n` octets. */
export function encryptedLength(p: PrivProtocol, n: number): number {
  return p.name === 'DES' ? Math.ceil(n / 8) * 8 : n;
}
