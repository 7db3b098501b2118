// Object identifiers as arrays of arcs. Comparison is the lexicographic order of
// SNMP (RFC 3416 §4.2.2): shorter prefix sorts first.

export type Oid = readonly number[];

export const MAX_ARC = 0xffffffff;
export const MAX_OID_LENGTH = 128;

export function parseOid(text: string): number[] {
  const s = text.startsWith('.') ? text.slice(1) : text;
  if (s === '') throw new Error(`empty OID`);
  const arcs = s.split('.').map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`bad OID "${text}"`);
    const n = Number(p);
    if (n > MAX_ARC) throw new Error(`OID arc ${p} above 2^32-1 in "${text}"`);
    return n;
  });
  return arcs;
}

export function formatOid(oid: Oid): string {
  return oid.join('.');
}

export function compareOid(a: Oid, b: Oid): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

/** Compare `a` starting at arc `from` with `b` (used for index suffixes without slicing). */
export function compareSuffix(a: Oid, from: number, b: Oid): number {
  const la = a.length - from;
  const n = la < b.length ? la : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[from + i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return la < b.length ? -1 : la === b.length ? 0 : 1;
}

export function isPrefix(prefix: Oid, oid: Oid): boolean {
  if (prefix.length > oid.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== oid[i]) return false;
  return true;
}

/** Index arcs of a string index: length then octets (RFC 2578 §7.7), or octets only when IMPLIED. */
export function stringIndex(value: string, implied = false): number[] {
  const bytes = [...Buffer.from(value, 'utf8')];
  return implied ? bytes : [bytes.length, ...bytes];
}
