// BER reader strictness and writer encodings, compared to hand-computed bytes.

import { expect } from 'chai';
import {
  BerError,
  BerReader,
  EncodeError,
  Tag,
  encodeInteger,
  encodeOid,
  encodeUnsigned,
  encodeUnsigned32,
  lengthSize,
  oidContents,
  tlv,
  tlvSize,
} from '../../src/snmp/ber.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Buffer): string => b.toString('hex').replace(/(..)(?!$)/g, '$1 ');
const reader = (s: string) => new BerReader(hex(s));

describe('BerReader headers and lengths', () => {
  it('rejects a header cut after the tag or with nothing at all', () => {
    expect(() => reader('').readHeader()).to.throw(BerError, 'truncated header');
    expect(() => reader('04').readHeader()).to.throw(BerError, 'truncated header');
  });

  it('rejects a long-form length cut short', () => {
    expect(() => reader('04 82 01').readHeader()).to.throw(BerError, 'truncated length');
    expect(() => reader('04 84 00 00 00').readHeader()).to.throw(BerError, 'truncated length');
  });

  it('rejects the indefinite length form', () => {
    expect(() => reader('30 80 02 01 00 00 00').readHeader()).to.throw(BerError, 'indefinite length');
  });

  it('rejects more than four length octets', () => {
    expect(() => reader('04 85 00 00 00 00 01 41').readHeader()).to.throw(BerError, 'length of length above 4');
  });

  it('rejects multi-byte tags', () => {
    expect(() => reader('1f 01 00').readHeader()).to.throw(BerError, 'multi-byte tags');
  });

  it('rejects contents running past the end of the buffer', () => {
    expect(() => reader('04 05 01 02 03 04').readHeader()).to.throw(BerError, 'beyond the end');
    expect(() => reader('04 81 03 01 02').readHeader()).to.throw(BerError, 'beyond the end');
  });

  it('rejects an inner value running past its container even when the buffer is longer', () => {
    const outer = reader('30 03 04 05 01 02 03 04 05');
    const inner = outer.sequence();
    expect(inner.end).to.equal(5);
    expect(() => inner.octets()).to.throw(BerError, 'beyond the end');
  });

  it('reads short and long-form lengths, minimal or not', () => {
    expect(reader('04 03 61 62 63').readHeader()).to.deep.equal({ tag: 4, length: 3 });
    expect(reader('04 81 03 61 62 63').readHeader()).to.deep.equal({ tag: 4, length: 3 });
    expect(reader('04 82 00 03 61 62 63').readHeader()).to.deep.equal({ tag: 4, length: 3 });
    const big = Buffer.concat([hex('04 82 01 2c'), Buffer.alloc(300, 0x61)]);
    const r = new BerReader(big);
    expect(r.octets().length).to.equal(300);
    expect(r.done).to.equal(true);
  });

  it('leaves pos at the contents after readHeader and past the TLV after raw', () => {
    const r = reader('04 81 02 61 62 05 00');
    r.readHeader();
    expect(r.pos).to.equal(3);
    const r2 = reader('04 81 02 61 62 05 00');
    expect(toHex(r2.raw())).to.equal('04 81 02 61 62');
    expect(toHex(r2.raw())).to.equal('05 00');
    expect(r2.done).to.equal(true);
  });

  it('names both tags when the tag is not the expected one', () => {
    expect(() => reader('04 01 00').integer()).to.throw(BerError, 'expected tag 0x2, got 0x4');
  });
});

describe('BerReader.integer', () => {
  const cases: Array<[string, number]> = [
    ['02 01 00', 0],
    ['02 01 7f', 127],
    ['02 01 80', -128],
    ['02 01 ff', -1],
    ['02 02 00 80', 128],
    ['02 02 ff 7f', -129],
    ['02 02 01 00', 256],
    ['02 03 01 00 00', 65536],
    ['02 04 7f ff ff ff', 2147483647],
    ['02 04 80 00 00 00', -2147483648],
    ['02 05 00 7f ff ff ff', 2147483647],
    ['02 05 ff 80 00 00 00', -2147483648],
    ['02 05 00 00 00 00 01', 1],
  ];
  for (const [bytes, v] of cases) {
    it(`reads ${bytes} as ${v}`, () => {
      const r = reader(bytes);
      expect(r.integer()).to.equal(v);
      expect(r.done).to.equal(true);
    });
  }

  it('rejects 5-octet values outside the 32-bit range', () => {
    expect(() => reader('02 05 00 80 00 00 00').integer()).to.throw(BerError, 'out of 32-bit range');
    expect(() => reader('02 05 ff 7f ff ff ff').integer()).to.throw(BerError, 'out of 32-bit range');
    expect(() => reader('02 05 01 00 00 00 00').integer()).to.throw(BerError, 'out of 32-bit range');
  });

  it('rejects empty and over-long integers', () => {
    expect(() => reader('02 00').integer()).to.throw(BerError, 'integer of 0 octets');
    expect(() => reader('02 06 00 00 00 00 00 01').integer()).to.throw(BerError, 'integer of 6 octets');
  });

  it('reads another tag when asked', () => {
    expect(reader('41 01 05').integer(Tag.Counter32)).to.equal(5);
  });
});

describe('BerReader.oid', () => {
  it('decodes sysDescr.0', () => {
    expect(reader('06 08 2b 06 01 02 01 01 01 00').oid()).to.deep.equal([1, 3, 6, 1, 2, 1, 1, 1, 0]);
  });

  it('decodes the first two arcs for 0, 1 and 2 (including 2.100)', () => {
    expect(reader('06 01 00').oid()).to.deep.equal([0, 0]);
    expect(reader('06 01 27').oid()).to.deep.equal([0, 39]);
    expect(reader('06 01 28').oid()).to.deep.equal([1, 0]);
    expect(reader('06 01 4f').oid()).to.deep.equal([1, 39]);
    expect(reader('06 01 50').oid()).to.deep.equal([2, 0]);
    expect(reader('06 02 81 34').oid()).to.deep.equal([2, 100]);
    expect(reader('06 03 81 34 03').oid()).to.deep.equal([2, 100, 3]);
  });

  it('decodes arcs from 2^31 to 2^32-1', () => {
    expect(reader('06 06 2b 88 80 80 80 00').oid()).to.deep.equal([1, 3, 2147483648]);
    expect(reader('06 06 2b 87 ff ff ff 7f').oid()).to.deep.equal([1, 3, 2147483647]);
    expect(reader('06 06 2b 8f ff ff ff 7f').oid()).to.deep.equal([1, 3, 4294967295]);
    expect(reader('06 05 90 80 80 80 4f').oid()).to.deep.equal([2, 4294967295]);
  });

  it('rejects an arc above 2^32-1', () => {
    expect(() => reader('06 06 2b 90 80 80 80 00').oid()).to.throw(BerError, 'above 2^32-1');
    expect(() => reader('06 05 90 80 80 80 50').oid()).to.throw(BerError, 'above 2^32-1');
  });

  it('rejects an arc of more than five octets', () => {
    expect(() => reader('06 07 2b 81 80 80 80 80 00').oid()).to.throw(BerError, 'OID arc too large');
  });

  it('rejects a non-minimal arc starting with 0x80', () => {
    expect(() => reader('06 03 2b 80 01').oid()).to.throw(BerError, 'non-minimal');
    expect(() => reader('06 02 80 2b').oid()).to.throw(BerError, 'non-minimal');
  });

  it('accepts 0x80 inside an arc', () => {
    expect(reader('06 03 2b 81 00').oid()).to.deep.equal([1, 3, 128]);
  });

  it('rejects an empty OID and one ending inside an arc', () => {
    expect(() => reader('06 00').oid()).to.throw(BerError, 'empty OID');
    expect(() => reader('06 02 2b 81').oid()).to.throw(BerError, 'ends inside an arc');
  });

  it('accepts 128 arcs and rejects 129', () => {
    const ok = Buffer.concat([hex('06 7f 2b'), Buffer.alloc(126, 1)]);
    expect(new BerReader(ok).oid()).to.have.length(128);
    const tooLong = Buffer.concat([hex('06 81 80 2b'), Buffer.alloc(127, 1)]);
    expect(() => new BerReader(tooLong).oid()).to.throw(BerError, 'longer than 128');
  });

  it('advances past the OID', () => {
    const r = reader('06 03 2b 06 01 05 00');
    r.oid();
    expect(r.pos).to.equal(5);
  });
});

describe('writer: lengths', () => {
  it('sizes lengths', () => {
    expect([0, 127, 128, 255, 256, 65535, 65536].map(lengthSize)).to.deep.equal([1, 1, 2, 2, 3, 3, 4]);
    expect(tlvSize(0)).to.equal(2);
    expect(tlvSize(200)).to.equal(203);
    expect(tlvSize(300)).to.equal(304);
  });

  it('writes short and long-form lengths', () => {
    expect(toHex(tlv(Tag.OctetString, Buffer.from('ab')))).to.equal('04 02 61 62');
    expect(toHex(tlv(Tag.OctetString, Buffer.alloc(127)).subarray(0, 2))).to.equal('04 7f');
    expect(toHex(tlv(Tag.OctetString, Buffer.alloc(128)).subarray(0, 3))).to.equal('04 81 80');
    expect(toHex(tlv(Tag.OctetString, Buffer.alloc(300)).subarray(0, 4))).to.equal('04 82 01 2c');
    expect(tlv(Tag.OctetString, Buffer.alloc(300)).length).to.equal(304);
    expect(toHex(tlv(Tag.Sequence, [hex('05 00'), hex('05 00')]))).to.equal('30 04 05 00 05 00');
  });
});

describe('encodeInteger', () => {
  const cases: Array<[number, string]> = [
    [0, '02 01 00'],
    [1, '02 01 01'],
    [127, '02 01 7f'],
    [128, '02 02 00 80'],
    [255, '02 02 00 ff'],
    [256, '02 02 01 00'],
    [32767, '02 02 7f ff'],
    [32768, '02 03 00 80 00'],
    [-1, '02 01 ff'],
    [-128, '02 01 80'],
    [-129, '02 02 ff 7f'],
    [-32768, '02 02 80 00'],
    [-32769, '02 03 ff 7f ff'],
    [2147483647, '02 04 7f ff ff ff'],
    [-2147483648, '02 04 80 00 00 00'],
  ];
  for (const [v, bytes] of cases) {
    it(`encodes ${v} as ${bytes}`, () => {
      expect(toHex(encodeInteger(v))).to.equal(bytes);
      expect(reader(bytes).integer()).to.equal(v);
    });
  }

  it('rejects values that are not Integer32', () => {
    expect(() => encodeInteger(2147483648)).to.throw(EncodeError);
    expect(() => encodeInteger(-2147483649)).to.throw(EncodeError);
    expect(() => encodeInteger(1.5)).to.throw(EncodeError);
    expect(() => encodeInteger(Number.NaN)).to.throw(EncodeError);
  });

  it('uses the tag given', () => {
    expect(toHex(encodeInteger(5, Tag.Counter32))).to.equal('41 01 05');
  });
});

describe('encodeUnsigned32 and encodeUnsigned', () => {
  const cases: Array<[number, string]> = [
    [0, '41 01 00'],
    [127, '41 01 7f'],
    [128, '41 02 00 80'],
    [255, '41 02 00 ff'],
    [256, '41 02 01 00'],
    [32768, '41 03 00 80 00'],
    [8388608, '41 04 00 80 00 00'],
    [2147483647, '41 04 7f ff ff ff'],
    [2147483648, '41 05 00 80 00 00 00'],
    [4294967295, '41 05 00 ff ff ff ff'],
  ];
  for (const [v, bytes] of cases) {
    it(`encodes Counter32 ${v} as ${bytes} both ways`, () => {
      expect(toHex(encodeUnsigned32(v, Tag.Counter32))).to.equal(bytes);
      expect(toHex(encodeUnsigned(v, Tag.Counter32, 0xffffffffn))).to.equal(bytes);
      expect(toHex(encodeUnsigned(BigInt(v), Tag.Counter32, 0xffffffffn))).to.equal(bytes);
    });
  }

  it('rejects out-of-range and non-integer values', () => {
    expect(() => encodeUnsigned32(-1, Tag.Gauge32)).to.throw(EncodeError);
    expect(() => encodeUnsigned32(4294967296, Tag.Gauge32)).to.throw(EncodeError);
    expect(() => encodeUnsigned32(0.5, Tag.Gauge32)).to.throw(EncodeError);
    expect(() => encodeUnsigned(4294967296, Tag.Counter32, 0xffffffffn)).to.throw(EncodeError);
    expect(() => encodeUnsigned(-1n, Tag.Counter64, 0xffffffffffffffffn)).to.throw(EncodeError);
    expect(() => encodeUnsigned(1.5, Tag.Counter64, 0xffffffffffffffffn)).to.throw(EncodeError);
    expect(() => encodeUnsigned(1n << 64n, Tag.Counter64, 0xffffffffffffffffn)).to.throw(EncodeError);
  });

  it('encodes Counter64 limits', () => {
    const max = 0xffffffffffffffffn;
    expect(toHex(encodeUnsigned(0n, Tag.Counter64, max))).to.equal('46 01 00');
    expect(toHex(encodeUnsigned(max, Tag.Counter64, max))).to.equal('46 09 00 ff ff ff ff ff ff ff ff');
    expect(toHex(encodeUnsigned(1n << 63n, Tag.Counter64, max))).to.equal('46 09 00 80 00 00 00 00 00 00 00');
    expect(toHex(encodeUnsigned((1n << 63n) - 1n, Tag.Counter64, max))).to.equal('46 08 7f ff ff ff ff ff ff ff');
  });

  it('agrees with encodeUnsigned on every byte boundary', () => {
    for (let bits = 0; bits <= 32; bits++) {
      for (const v of [2 ** bits - 1, 2 ** bits, 2 ** bits + 1]) {
        if (v > 0xffffffff) continue;
        expect(encodeUnsigned32(v, Tag.TimeTicks).equals(encodeUnsigned(v, Tag.TimeTicks, 0xffffffffn)), String(v)).to.equal(
          true,
        );
      }
    }
  });
});

describe('OID encoding', () => {
  it('encodes known OIDs', () => {
    expect(toHex(encodeOid([1, 3, 6, 1, 2, 1, 1, 1, 0]))).to.equal('06 08 2b 06 01 02 01 01 01 00');
    expect(toHex(encodeOid([1, 3, 6, 1, 4, 1, 32473]))).to.equal('06 08 2b 06 01 04 01 81 fd 59');
    expect(toHex(encodeOid([0, 0]))).to.equal('06 01 00');
    expect(toHex(encodeOid([2, 100, 3]))).to.equal('06 03 81 34 03');
    expect(toHex(oidContents([1, 3, 128]))).to.equal('2b 81 00');
    expect(toHex(oidContents([1, 3, 16383, 16384]))).to.equal('2b ff 7f 81 80 00');
    expect(toHex(oidContents([1, 3, 4294967295]))).to.equal('2b 8f ff ff ff 7f');
    expect(toHex(oidContents([2, 4294967295]))).to.equal('90 80 80 80 4f');
  });

  it('rejects bad OIDs', () => {
    expect(() => oidContents([1])).to.throw(EncodeError, 'fewer than two arcs');
    expect(() => oidContents([3, 1])).to.throw(EncodeError, 'bad first arcs');
    expect(() => oidContents([1, 40])).to.throw(EncodeError, 'bad first arcs');
    expect(() => oidContents([0, 40])).to.throw(EncodeError, 'bad first arcs');
    expect(() => oidContents([1, 3, 4294967296])).to.throw(EncodeError, 'above 2^32-1');
    expect(() => oidContents([2, 4294967296])).to.throw(EncodeError);
    expect(() => oidContents([1, 3, -1])).to.throw(EncodeError, 'bad OID arc');
    expect(() => oidContents([1, 3, 1.5])).to.throw(EncodeError, 'bad OID arc');
    expect(() => oidContents(new Array<number>(129).fill(1))).to.throw(EncodeError, 'longer than 128');
  });

  it('round-trips OIDs through the reader', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const arc = () => {
      const r = rand();
      if (r < 0.4) return Math.floor(rand() * 128);
      if (r < 0.7) return Math.floor(rand() * 20000);
      if (r < 0.9) return Math.floor(rand() * 4294967296);
      return [127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 2147483648, 4294967295][Math.floor(rand() * 10)]!;
    };
    for (let n = 0; n < 500; n++) {
      const a0 = Math.floor(rand() * 3);
      const a1 = a0 < 2 ? Math.floor(rand() * 40) : arc();
      const oid = [a0, a1];
      const len = Math.floor(rand() * 20);
      for (let i = 0; i < len; i++) oid.push(arc());
      const enc = encodeOid(oid);
      const r = new BerReader(enc);
      expect(r.oid(), oid.join('.')).to.deep.equal(oid);
      expect(r.done).to.equal(true);
    }
  });
});
