// The OID index the agent serves from. It holds one entry per MIB object (a scalar
// or a table column), sorted by OID; a table's rows are kept sorted by their index
// arcs and shared by all its columns. GET and GETNEXT are two binary searches:
// one over objects (a few hundred at most), one over rows; a walk's GETNEXT, which
// asks about the instance answered last, skips both. Values are read from the model
// only when asked for, so nothing is copied per request.

import { Tag, oidContents } from './ber.js';
import { compareOid, compareSuffix, isPrefix, type Oid } from './oid.js';

/** Rows of one table, sorted by index arcs. */
export interface SortedRows<R = unknown> {
  readonly index: ReadonlyArray<readonly number[]>;
  readonly rows: readonly R[];
}

export interface RowSource<R = unknown> {
  /** The current rows; must be cheap when nothing changed (cache on a version). */
  current(): SortedRows<R>;
}

export interface ScalarEntry {
  kind: 'scalar';
  oid: readonly number[];
  name: string;
  /** Returns the BER value; may throw EncodeError. */
  read(): Buffer;
  /** Counter64 objects are skipped for SNMPv1 requests (RFC 3584 §4.2.2). */
  counter64: boolean;
}

export interface ColumnEntry<R = unknown> {
  kind: 'column';
  oid: readonly number[];
  name: string;
  rows: RowSource<R>;
  read(row: R): Buffer;
  counter64: boolean;
}

export type IndexEntry = ScalarEntry | ColumnEntry;

export type Lookup =
  | { found: true; oid: readonly number[]; entry: IndexEntry; read: () => Buffer; oidBytes: Buffer }
  | { found: false; tag: typeof Tag.NoSuchObject | typeof Tag.NoSuchInstance | typeof Tag.EndOfMibView };

const SCALAR_SUFFIX = [0] as const;

/** Build rows sorted by their index arcs; of rows with the same index, the first is kept. */
export function sortRows<R>(items: Iterable<R>, indexOf: (r: R) => number[], onDuplicate?: (i: number[]) => void): SortedRows<R> {
  const pairs: Array<{ i: number[]; r: R }> = [];
  for (const r of items) pairs.push({ i: indexOf(r), r });
  pairs.sort((a, b) => compareOid(a.i, b.i));
  const index: number[][] = [];
  const rows: R[] = [];
  for (const p of pairs) {
    if (index.length && compareOid(index[index.length - 1]!, p.i) === 0) {
      onDuplicate?.(p.i);
      continue;
    }
    index.push(p.i);
    rows.push(p.r);
  }
  return { index, rows };
}

export class OidIndex {
  private entries: IndexEntry[] = [];
  private prefixBytes = new Map<IndexEntry, Buffer>();
  /** octets of the shortest instance OID's contents this index can answer (an object's prefix and one arc) */
  minInstanceOidLength = Infinity;
  // Walks ask about the instance answered last: remember where it was (checked before use).
  private lastFloor = -1;
  private lastRows: ReadonlyArray<readonly number[]> | undefined;
  private lastRow = 0;

  add(entry: IndexEntry): void {
    for (const e of this.entries) {
      if (isPrefix(e.oid, entry.oid) || isPrefix(entry.oid, e.oid)) {
        throw new Error(`${entry.name} (${entry.oid.join('.')}) overlaps ${e.name} (${e.oid.join('.')})`);
      }
    }
    this.entries.push(entry);
    this.entries.sort((a, b) => compareOid(a.oid, b.oid));
    const prefix = oidContents(entry.oid);
    this.prefixBytes.set(entry, prefix);
    this.minInstanceOidLength = Math.min(this.minInstanceOidLength, prefix.length + 1);
  }

  get objects(): readonly IndexEntry[] {
    return this.entries;
  }

  /** Number of instances currently served. */
  instanceCount(): number {
    let n = 0;
    for (const e of this.entries) n += e.kind === 'scalar' ? 1 : e.rows.current().rows.length;
    return n;
  }

  /** Position of the last entry whose OID is <= oid, or -1. */
  private floor(oid: Oid): number {
    // Objects do not overlap, so an object that is a prefix of oid is its floor.
    const h = this.lastFloor;
    if (h >= 0 && h < this.entries.length && isPrefix(this.entries[h]!.oid, oid)) return h;
    let lo = 0;
    let hi = this.entries.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (compareOid(this.entries[mid]!.oid, oid) <= 0) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    this.lastFloor = ans;
    return ans;
  }

  get(oid: Oid): Lookup {
    const i = this.floor(oid);
    const e = i >= 0 ? this.entries[i]! : undefined;
    if (!e || !isPrefix(e.oid, oid)) return { found: false, tag: Tag.NoSuchObject };
    const at = e.oid.length;
    if (e.kind === 'scalar') {
      if (oid.length === at + 1 && oid[at] === 0) return this.hit(e, SCALAR_SUFFIX, () => e.read());
      return { found: false, tag: Tag.NoSuchInstance };
    }
    const { index, rows } = e.rows.current();
    let lo = 0;
    let hi = index.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareSuffix(oid, at, index[mid]!);
      if (c === 0) {
        const row = rows[mid];
        return this.hit(e, index[mid]!, () => e.read(row));
      }
      if (c > 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return { found: false, tag: Tag.NoSuchInstance };
  }

  /** The first instance after `oid`; `skip` filters out entries (e.g. Counter64 for v1). */
  next(oid: Oid, skip?: (e: IndexEntry) => boolean): Lookup {
    let i = this.floor(oid);
    if (i >= 0) {
      const e = this.entries[i]!;
      if (isPrefix(e.oid, oid) && !skip?.(e)) {
        const hit = this.after(e, oid);
        if (hit) return hit;
      }
    }
    for (i = i + 1; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (skip?.(e)) continue;
      const hit = this.first(e);
      if (hit) return hit;
    }
    return { found: false, tag: Tag.EndOfMibView };
  }

  private first(e: IndexEntry): Lookup | undefined {
    if (e.kind === 'scalar') return this.hit(e, SCALAR_SUFFIX, () => e.read());
    const { index, rows } = e.rows.current();
    if (index.length === 0) return undefined;
    const row = rows[0];
    return this.hit(e, index[0]!, () => e.read(row));
  }

  /** First instance of `e` strictly after `oid`, where e.oid is a prefix of oid. */
  private after(e: IndexEntry, oid: Oid): Lookup | undefined {
    const at = e.oid.length;
    if (e.kind === 'scalar') {
      // Only oid == e.oid (nothing after the object arcs) comes before instance .0.
      return oid.length === at ? this.hit(e, SCALAR_SUFFIX, () => e.read()) : undefined;
    }
    const { index, rows } = e.rows.current();
    // first row whose index is > suffix of oid; index is strictly increasing, so when the
    // suffix is the row answered last (a walk) or the one before (several columns), it is the next one
    let lo = -1;
    if (this.lastRows === index) {
      const h = this.lastRow;
      if (h < index.length && compareSuffix(oid, at, index[h]!) === 0) lo = h + 1;
      else if (h > 0 && h <= index.length && compareSuffix(oid, at, index[h - 1]!) === 0) lo = h;
    }
    if (lo < 0) {
      lo = 0;
      let hi = index.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareSuffix(oid, at, index[mid]!) < 0) hi = mid;
        else lo = mid + 1;
      }
    }
    this.lastRows = index;
    this.lastRow = lo;
    if (lo >= index.length) return undefined;
    const row = rows[lo];
    return this.hit(e, index[lo]!, () => e.read(row));
  }

  private hit(e: IndexEntry, suffix: readonly number[], read: () => Buffer): Lookup {
    const oid = [...e.oid, ...suffix];
    return { found: true, oid, entry: e, read, oidBytes: this.instanceBytes(e, suffix) };
  }

  /** BER contents of e.oid + suffix, reusing the encoded object prefix. */
  private instanceBytes(e: IndexEntry, suffix: readonly number[]): Buffer {
    const prefix = this.prefixBytes.get(e)!;
    let n = prefix.length;
    for (const v of suffix) n += v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
    const out = Buffer.allocUnsafe(n);
    for (let k = 0; k < prefix.length; k++) out[k] = prefix[k]!;
    let k = prefix.length;
    for (let v of suffix) {
      if (v < 0x80) {
        out[k++] = v;
        continue;
      }
      // base 128, most significant group first, all but the last with the high bit
      const size = v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
      for (let j = size - 1; j >= 0; j--) {
        out[k + j] = (v % 128) | (j === size - 1 ? 0 : 0x80);
        v = Math.floor(v / 128);
      }
      k += size;
    }
    return out;
  }
}
