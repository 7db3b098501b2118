// encodeValue: plain values checked against MIB syntaxes and put into BER.

import { expect } from 'chai';
import { EncodeError } from '../../src/snmp/ber.js';
import { encodeValue, type Syntax, type SyntaxKind } from '../../src/snmp/values.js';

const toHex = (b: Buffer): string => b.toString('hex').replace(/(..)(?!$)/g, '$1 ');
const syn = (kind: SyntaxKind, ranges: Array<[number, number]> = [], enums?: Record<string, number>): Syntax => ({
  kind,
  name: `T${kind}`,
  ranges,
  ...(enums ? { enums } : {}),
});
const enc = (s: Syntax, v: Parameters<typeof encodeValue>[1]) => toHex(encodeValue(s, v));

describe('encodeValue Counter32', () => {
  const c = syn('Counter32');
  it('encodes in range values minimally', () => {
    expect(enc(c, 0)).to.equal('41 01 00');
    expect(enc(c, 128)).to.equal('41 02 00 80');
    expect(enc(c, 4294967295)).to.equal('41 05 00 ff ff ff ff');
  });
  it('wraps numbers modulo 2^32', () => {
    expect(enc(c, 4294967296)).to.equal('41 01 00');
    expect(enc(c, 4294967297)).to.equal('41 01 01');
    expect(enc(c, 3 * 4294967296 + 300)).to.equal('41 02 01 2c');
    expect(enc(c, 2 ** 53)).to.equal('41 01 00');
  });
  it('wraps bigints modulo 2^32', () => {
    expect(enc(c, 4294967295n)).to.equal('41 05 00 ff ff ff ff');
    expect(enc(c, 4294967296n)).to.equal('41 01 00');
    expect(enc(c, (1n << 64n) + 5n)).to.equal('41 01 05');
  });
  it('rejects negatives, fractions and non-numbers', () => {
    expect(() => encodeValue(c, -1)).to.throw(EncodeError);
    expect(() => encodeValue(c, -1n)).to.throw(EncodeError);
    expect(() => encodeValue(c, 1.5)).to.throw(EncodeError);
    expect(() => encodeValue(c, '5')).to.throw(EncodeError);
    expect(() => encodeValue(c, Number.NaN)).to.throw(EncodeError);
  });
});

describe('encodeValue TimeTicks', () => {
  const t = syn('TimeTicks');
  it('encodes and wraps modulo 2^32', () => {
    expect(enc(t, 123)).to.equal('43 01 7b');
    expect(enc(t, 4294967295)).to.equal('43 05 00 ff ff ff ff');
    expect(enc(t, 4294967296 + 123)).to.equal('43 01 7b');
    expect(enc(t, 4294967296n + 256n)).to.equal('43 02 01 00');
  });
  it('rejects negatives and fractions', () => {
    expect(() => encodeValue(t, -5)).to.throw(EncodeError);
    expect(() => encodeValue(t, 0.1)).to.throw(EncodeError);
  });
});

describe('encodeValue Gauge32', () => {
  const g = syn('Gauge32');
  it('encodes in range values', () => {
    expect(enc(g, 0)).to.equal('42 01 00');
    expect(enc(g, 4294967295)).to.equal('42 05 00 ff ff ff ff');
  });
  it('latches at 2^32-1 instead of wrapping', () => {
    expect(enc(g, 4294967296)).to.equal('42 05 00 ff ff ff ff');
    expect(enc(g, 1e15)).to.equal('42 05 00 ff ff ff ff');
    expect(enc(g, 1n << 40n)).to.equal('42 05 00 ff ff ff ff');
    expect(enc(g, 7n)).to.equal('42 01 07');
  });
  it('checks ranges and rejects negatives and fractions', () => {
    const small = syn('Gauge32', [[0, 100]]);
    expect(enc(small, 100)).to.equal('42 01 64');
    expect(() => encodeValue(small, 101)).to.throw(EncodeError, 'outside the range');
    expect(() => encodeValue(g, -1)).to.throw(EncodeError);
    expect(() => encodeValue(g, -1n)).to.throw(EncodeError);
    expect(() => encodeValue(g, 2.5)).to.throw(EncodeError);
  });
});

describe('encodeValue Integer32', () => {
  it('encodes plain integers over the whole range', () => {
    const i = syn('Integer32');
    expect(enc(i, 0)).to.equal('02 01 00');
    expect(enc(i, -129)).to.equal('02 02 ff 7f');
    expect(enc(i, 2147483647)).to.equal('02 04 7f ff ff ff');
    expect(enc(i, -2147483648)).to.equal('02 04 80 00 00 00');
    expect(() => encodeValue(i, 2147483648)).to.throw(EncodeError);
    expect(() => encodeValue(i, 1.5)).to.throw(EncodeError);
    expect(() => encodeValue(i, 5n)).to.throw(EncodeError, 'needs a number');
  });
  it('checks ranges', () => {
    const r = syn('Integer32', [[1, 10], [20, 30]]);
    expect(enc(r, 1)).to.equal('02 01 01');
    expect(enc(r, 30)).to.equal('02 01 1e');
    expect(() => encodeValue(r, 0)).to.throw(EncodeError, 'outside the range');
    expect(() => encodeValue(r, 15)).to.throw(EncodeError, 'outside the range');
    expect(() => encodeValue(r, 31)).to.throw(EncodeError, 'outside the range');
  });
  it('maps enum labels to numbers', () => {
    const e = syn('Integer32', [], { up: 1, down: 2, congested: 4 });
    expect(enc(e, 'up')).to.equal('02 01 01');
    expect(enc(e, 'congested')).to.equal('02 01 04');
    expect(enc(e, 2)).to.equal('02 01 02');
  });
  it('rejects unknown labels and numbers outside the enumeration', () => {
    const e = syn('Integer32', [], { up: 1, down: 2, congested: 4 });
    expect(() => encodeValue(e, 'sideways')).to.throw(EncodeError, '"sideways" is not a label');
    expect(() => encodeValue(e, 'toString')).to.throw(EncodeError);
    expect(() => encodeValue(e, 3)).to.throw(EncodeError, 'not an enumerated value');
    expect(() => encodeValue(syn('Integer32'), 'up')).to.throw(EncodeError);
  });
});

describe('encodeValue OctetString', () => {
  it('encodes strings as UTF-8 and buffers as they are', () => {
    const s = syn('OctetString', [[0, 255]]);
    expect(enc(s, 'abc')).to.equal('04 03 61 62 63');
    expect(enc(s, 'é')).to.equal('04 02 c3 a9');
    expect(enc(s, '')).to.equal('04 00');
    expect(enc(s, Buffer.from([0, 255]))).to.equal('04 02 00 ff');
    expect(() => encodeValue(s, 5)).to.throw(EncodeError);
  });

  it('cuts a string at a character boundary at the maximum size', () => {
    const s = syn('OctetString', [[0, 255]]);
    const v = encodeValue(s, 'a'.repeat(254) + 'é');
    expect(v.subarray(0, 3).toString('hex')).to.equal('0481fe');
    expect(v.length).to.equal(3 + 254);
    expect(v.subarray(3).toString('utf8')).to.equal('a'.repeat(254));
  });

  it('keeps a string that fits exactly and cuts plain ASCII at the maximum', () => {
    const s = syn('OctetString', [[0, 255]]);
    expect(encodeValue(s, 'a'.repeat(253) + 'é').length).to.equal(3 + 255);
    expect(encodeValue(s, 'b'.repeat(300)).length).to.equal(3 + 255);
  });

  it('does not split 3- and 4-octet characters', () => {
    const s = syn('OctetString', [[0, 5]]);
    expect(enc(s, 'ab€€')).to.equal('04 05 61 62 e2 82 ac');
    expect(enc(s, 'abc😀')).to.equal('04 03 61 62 63');
    expect(enc(s, 'a😀x')).to.equal('04 05 61 f0 9f 98 80');
  });

  it('uses 65535 as the maximum without a SIZE', () => {
    const v = encodeValue(syn('OctetString'), 'x'.repeat(70000));
    expect(v.length).to.equal(4 + 65535);
  });

  it('rejects values below the minimum size, after cutting too', () => {
    const s = syn('OctetString', [[2, 4]]);
    expect(() => encodeValue(s, 'a')).to.throw(EncodeError, '1 octets outside the size');
    expect(enc(s, 'ab')).to.equal('04 02 61 62');
    // Cut at the boundary to 3 octets, which is still within 2..4.
    expect(enc(s, 'abc€')).to.equal('04 03 61 62 63');
  });

  it('accepts only the listed sizes of a multi-size type (DateAndTime)', () => {
    const s = syn('OctetString', [[8, 8], [11, 11]]);
    expect(encodeValue(s, Buffer.alloc(8)).length).to.equal(10);
    expect(encodeValue(s, Buffer.alloc(11)).length).to.equal(13);
    expect(() => encodeValue(s, Buffer.alloc(9))).to.throw(EncodeError);
    expect(() => encodeValue(s, Buffer.alloc(7))).to.throw(EncodeError);
  });

  it('tags Opaque values 0x44', () => {
    expect(enc(syn('Opaque'), Buffer.from([1]))).to.equal('44 01 01');
  });
});

describe('encodeValue IpAddress', () => {
  const ip = syn('IpAddress');
  it('encodes dotted quads and 4-octet buffers', () => {
    expect(enc(ip, '192.168.1.255')).to.equal('40 04 c0 a8 01 ff');
    expect(enc(ip, '0.0.0.0')).to.equal('40 04 00 00 00 00');
    expect(enc(ip, Buffer.from([10, 0, 0, 1]))).to.equal('40 04 0a 00 00 01');
  });
  it('rejects anything else', () => {
    expect(() => encodeValue(ip, '256.1.1.1')).to.throw(EncodeError);
    expect(() => encodeValue(ip, '1.2.3')).to.throw(EncodeError);
    expect(() => encodeValue(ip, '::1')).to.throw(EncodeError);
    expect(() => encodeValue(ip, Buffer.from([1, 2, 3]))).to.throw(EncodeError, '4 octets');
    expect(() => encodeValue(ip, 16909060)).to.throw(EncodeError);
  });
});

describe('encodeValue ObjectIdentifier', () => {
  const o = syn('ObjectIdentifier');
  it('encodes from a string (with or without a leading dot) and from an array', () => {
    expect(enc(o, '1.3.6.1.2.1.1.1.0')).to.equal('06 08 2b 06 01 02 01 01 01 00');
    expect(enc(o, '.1.3.6.1.2.1.28')).to.equal('06 06 2b 06 01 02 01 1c');
    expect(enc(o, [1, 3, 6, 1, 2, 1, 27, 4, 25])).to.equal('06 08 2b 06 01 02 01 1b 04 19');
    expect(enc(o, [0, 0])).to.equal('06 01 00');
  });
  it('rejects bad OIDs', () => {
    expect(() => encodeValue(o, [1])).to.throw(EncodeError);
    expect(() => encodeValue(o, [5, 1])).to.throw(EncodeError);
    expect(() => encodeValue(o, '1.3.x')).to.throw(Error);
    expect(() => encodeValue(o, 5)).to.throw(EncodeError);
  });
});

describe('encodeValue Counter64', () => {
  const c = syn('Counter64');
  it('encodes numbers and bigints', () => {
    expect(enc(c, 0)).to.equal('46 01 00');
    expect(enc(c, 4294967296)).to.equal('46 05 01 00 00 00 00');
    expect(enc(c, 2 ** 53)).to.equal('46 07 20 00 00 00 00 00 00');
    expect(enc(c, 0xffffffffffffffffn)).to.equal('46 09 00 ff ff ff ff ff ff ff ff');
    expect(enc(c, 1n << 63n)).to.equal('46 09 00 80 00 00 00 00 00 00 00');
  });
  it('wraps bigints modulo 2^64', () => {
    expect(enc(c, 1n << 64n)).to.equal('46 01 00');
    expect(enc(c, (1n << 64n) + 300n)).to.equal('46 02 01 2c');
  });
  it('rejects negatives, fractions and strings', () => {
    expect(() => encodeValue(c, -1)).to.throw(EncodeError);
    expect(() => encodeValue(c, -1n)).to.throw(EncodeError);
    expect(() => encodeValue(c, 0.5)).to.throw(EncodeError);
    expect(() => encodeValue(c, '1')).to.throw(EncodeError);
  });
});
