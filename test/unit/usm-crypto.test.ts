// USM key localization and the ciphers: RFC 3414 A.3 test vectors, the 1 MB
// expansion against a plain reading of A.2, HMAC truncations of RFC 7860, the
// AES IV of RFC 3826 and the key extension for AES-192/256.

import { expect } from 'chai';
import { createCipheriv, createHash, createHmac } from 'node:crypto';
import {
  AUTH_PROTOCOLS,
  PRIV_PROTOCOLS,
  DecryptionError,
  authByName,
  authDigest,
  decrypt,
  encrypt,
  localizeKey,
  passwordToKey,
  privByName,
  privKey,
} from '../../src/snmp/usm/crypto.js';

const ENGINE = Buffer.from('000000000000000000000002', 'hex');

describe('USM keys (RFC 3414 A.3, RFC 7860)', () => {
  it('A.3.1: MD5, "maplesyrup"', () => {
    const ku = passwordToKey('md5', Buffer.from('maplesyrup'));
    expect(ku.toString('hex')).to.equal('9faf3283884e92834ebc9847d8edd963');
    expect(localizeKey('md5', ku, ENGINE).toString('hex')).to.equal('526f5eed9fcce26f8964c2930787d82b');
  });

  it('A.3.2: SHA-1, "maplesyrup"', () => {
    const ku = passwordToKey('sha1', Buffer.from('maplesyrup'));
    expect(ku.toString('hex')).to.equal('9fb5cc0381497b3793528939ff788d5d79145211');
    expect(localizeKey('sha1', ku, ENGINE).toString('hex')).to.equal('6695febc9288e36282235fc7151f128497b38f3f');
  });

  it('the expansion equals hashing the phrase repeated over exactly 1048576 octets, for any phrase length', () => {
    for (const phrase of ['x', 'abcdefg', 'a'.repeat(64), 'pass phrase of 37 characters, or so.!', 'é'.repeat(50)]) {
      const p = Buffer.from(phrase);
      const big = Buffer.alloc(1048576);
      for (let i = 0; i < big.length; i++) big[i] = p[i % p.length]!;
      for (const h of ['sha256', 'sha512']) {
        expect(passwordToKey(h, p).equals(createHash(h).update(big).digest()), `${h} ${phrase}`).to.equal(true);
      }
    }
  });

  it('refuses an empty pass phrase', () => {
    expect(() => passwordToKey('sha1', Buffer.alloc(0))).to.throw('empty pass phrase');
  });

  it('HMAC truncations: 12 octets for MD5/SHA-1, 16/24/32/48 for SHA-224/256/384/512 (RFC 7860 4.2.1)', () => {
    expect(Object.values(AUTH_PROTOCOLS).map((p) => [p.name, p.macLength])).to.deep.equal([
      ['MD5', 12],
      ['SHA', 12],
      ['SHA-224', 16],
      ['SHA-256', 24],
      ['SHA-384', 32],
      ['SHA-512', 48],
    ]);
    const key = Buffer.alloc(32, 7);
    const msg = Buffer.from('message');
    const full = createHmac('sha256', key).update(msg).digest();
    expect(authDigest(AUTH_PROTOCOLS['SHA-256'], key, msg).equals(full.subarray(0, 24))).to.equal(true);
  });

  it('reads protocol names the way snmpd.conf and the tools write them', () => {
    expect(['SHA', 'SHA1', 'sha-1', 'SHA-256', 'SHA256', 'sha512', 'MD5'].map((n) => authByName(n)?.name)).to.deep.equal([
      'SHA', 'SHA', 'SHA', 'SHA-256', 'SHA-256', 'SHA-512', 'MD5',
    ]);
    expect(['AES', 'AES128', 'AES-128', 'AES192', 'AES-256', 'DES', 'AES256C'].map((n) => privByName(n)?.name)).to.deep.equal([
      'AES', 'AES', 'AES', 'AES-192', 'AES-256', 'DES', undefined,
    ]);
  });

  it('privacy keys: the first octets, extended with H(previous block) when the hash is too short', () => {
    const kul = Buffer.from('6695febc9288e36282235fc7151f128497b38f3f', 'hex'); // 20 octets (SHA-1)
    expect(privKey('sha1', kul, 16).equals(kul.subarray(0, 16))).to.equal(true);
    const h1 = createHash('sha1').update(kul).digest();
    const h2 = createHash('sha1').update(h1).digest();
    expect(privKey('sha1', kul, 32).equals(Buffer.concat([kul, h1]).subarray(0, 32))).to.equal(true);
    expect(privKey('md5', kul.subarray(0, 16), 48).toString('hex')).to.have.length(96);
    expect(privKey('sha1', kul, 60).equals(Buffer.concat([kul, h1, h2]))).to.equal(true);
  });

  it('AES-CFB uses IV = engineBoots, engineTime, salt (RFC 3826 3.1.2.1) and round-trips', () => {
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const salt = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');
    const plain = Buffer.from('a scopedPDU of some length, not a multiple of sixteen');
    const ctx = { boots: 0x01020304, time: 0x0a0b0c0d };
    const out = encrypt(PRIV_PROTOCOLS.AES, key, ctx, salt, plain);
    const iv = Buffer.from('010203040a0b0c0da1a2a3a4a5a6a7a8', 'hex');
    const c = createCipheriv('aes-128-cfb', key, iv);
    expect(out.equals(Buffer.concat([c.update(plain), c.final()]))).to.equal(true);
    expect(out.length).to.equal(plain.length);
    expect(decrypt(PRIV_PROTOCOLS.AES, key, ctx, salt, out).equals(plain)).to.equal(true);
  });

  it('refuses privacy parameters that are not 8 octets', () => {
    const key = Buffer.alloc(16);
    expect(() => decrypt(PRIV_PROTOCOLS.AES, key, { boots: 1, time: 1 }, Buffer.alloc(7), Buffer.alloc(16))).to.throw(DecryptionError);
  });
});
