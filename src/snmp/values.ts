// Turning the plain values views produce into BER, checked against the object's
// syntax from the MIB. Any value that does not fit throws EncodeError, which the
// engine turns into genErr (and counts) instead of letting it escape.

import { EncodeError, Tag, encodeInteger, encodeOid, encodeUnsigned, encodeUnsigned32, tlv } from './ber.js';
import { parseOid } from './oid.js';

export type PlainValue = number | bigint | string | Buffer | readonly number[];

export type SyntaxKind =
  | 'Integer32'
  | 'OctetString'
  | 'ObjectIdentifier'
  | 'IpAddress'
  | 'Counter32'
  | 'Gauge32'
  | 'TimeTicks'
  | 'Counter64'
  | 'Opaque'
  | 'Bits';

export interface Syntax {
  kind: SyntaxKind;
  /** Name of the type or textual convention as the MIB writes it (for display). */
  name: string;
  /** Allowed integer ranges, or octet sizes for strings; empty when unconstrained. */
  ranges: Array<[number, number]>;
  /** Enumerated labels for INTEGER. */
  enums?: Record<string, number>;
}

const TWO32 = 4294967296;

const enumSets = new WeakMap<Record<string, number>, Set<number>>();
/** The numbers of an enumeration, made once per syntax (this runs per value read). */
function enumValues(enums: Record<string, number>): Set<number> {
  let s = enumSets.get(enums);
  if (!s) enumSets.set(enums, (s = new Set(Object.values(enums))));
  return s;
}

function inRanges(v: number, ranges: Array<[number, number]>): boolean {
  if (ranges.length === 0) return true;
  for (const [lo, hi] of ranges) if (v >= lo && v <= hi) return true;
  return false;
}

/** Cut a UTF-8 buffer to at most `max` octets without splitting a character. */
function cutUtf8(b: Buffer, max: number): Buffer {
  if (b.length <= max) return b;
  let end = max;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

export function encodeValue(syntax: Syntax, v: PlainValue): Buffer {
  switch (syntax.kind) {
    case 'Integer32': {
      let n: number;
      if (typeof v === 'string') {
        const e = syntax.enums?.[v];
        if (e === undefined) throw new EncodeError(`"${v}" is not a label of ${syntax.name}`);
        n = e;
      } else if (typeof v === 'number') n = v;
      else throw new EncodeError(`${syntax.name} needs a number`);
      if (syntax.enums && !enumValues(syntax.enums).has(n)) {
        throw new EncodeError(`${n} is not an enumerated value of ${syntax.name}`);
      }
      if (!inRanges(n, syntax.ranges)) throw new EncodeError(`${n} outside the range of ${syntax.name}`);
      return encodeInteger(n);
    }
    case 'OctetString':
    case 'Opaque':
    case 'Bits': {
      let b: Buffer;
      if (typeof v === 'string') b = Buffer.from(v, 'utf8');
      else if (Buffer.isBuffer(v)) b = v;
      else throw new EncodeError(`${syntax.name} needs a string or octets`);
      // A name longer than its SIZE is cut (at a character boundary) rather than
      // failing a whole walk; a value shorter than the minimum size is an error.
      let max = syntax.ranges.length ? -Infinity : 65535;
      for (const r of syntax.ranges) if (r[1] > max) max = r[1];
      b = cutUtf8(b, max);
      if (!inRanges(b.length, syntax.ranges)) throw new EncodeError(`${b.length} octets outside the size of ${syntax.name}`);
      const tag = syntax.kind === 'Opaque' ? Tag.Opaque : Tag.OctetString;
      return tlv(tag, b);
    }
    case 'ObjectIdentifier': {
      if (typeof v === 'string') return encodeOid(parseOid(v));
      if (Array.isArray(v)) return encodeOid(v as readonly number[]);
      throw new EncodeError(`${syntax.name} needs an OID`);
    }
    case 'IpAddress': {
      let b: Buffer;
      if (Buffer.isBuffer(v)) b = v;
      else if (typeof v === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(v)) {
        const parts = v.split('.').map(Number);
        if (parts.some((p) => p > 255)) throw new EncodeError(`bad IpAddress ${v}`);
        b = Buffer.from(parts);
      } else throw new EncodeError(`bad IpAddress ${String(v)}`);
      if (b.length !== 4) throw new EncodeError('IpAddress needs 4 octets');
      return tlv(Tag.IpAddress, b);
    }
    case 'Counter32':
    case 'TimeTicks': {
      // Counters and tick counts wrap modulo 2^32 (RFC 2578 §7.1.6, §7.1.8).
      const n = typeof v === 'bigint' ? Number(v % BigInt(TWO32)) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new EncodeError(`${String(v)} is not a ${syntax.name}`);
      return encodeUnsigned32(n % TWO32, syntax.kind === 'Counter32' ? Tag.Counter32 : Tag.TimeTicks);
    }
    case 'Gauge32': {
      // A gauge latches at its maximum (RFC 2578 §7.1.7).
      const n = typeof v === 'bigint' ? (v > 0xffffffffn ? 0xffffffff : Number(v)) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new EncodeError(`${String(v)} is not a Gauge32`);
      const g = n > 0xffffffff ? 0xffffffff : n;
      if (!inRanges(g, syntax.ranges)) throw new EncodeError(`${g} outside the range of ${syntax.name}`);
      return encodeUnsigned32(g, Tag.Gauge32);
    }
    case 'Counter64': {
      if (typeof v === 'number' || typeof v === 'bigint') {
        const n = typeof v === 'number' ? (Number.isInteger(v) ? BigInt(v) : -1n) : v;
        if (n < 0n) throw new EncodeError(`${v} is not a Counter64`);
        return encodeUnsigned(n % (1n << 64n), Tag.Counter64, 0xffffffffffffffffn);
      }
      throw new EncodeError('Counter64 needs a number or bigint');
    }
  }
}
