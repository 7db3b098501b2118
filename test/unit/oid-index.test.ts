// OidIndex: GET and GETNEXT over scalars and table columns, checked by hand and
// against a brute-force sorted list of every instance.

import { expect } from 'chai';
import { Tag, encodeInteger, oidContents } from '../../src/snmp/ber.js';
import { OidIndex, sortRows, type IndexEntry, type Lookup, type RowSource } from '../../src/snmp/oid-index.js';
import { compareOid } from '../../src/snmp/oid.js';
import { prng } from '../helpers/prng.js';

const E = [1, 3, 6, 1, 4, 1, 99];

interface Row {
  idx: number[];
  v: number;
}

function rowsOf(list: Row[]): RowSource<Row> & { set(list: Row[]): void } {
  let sorted = sortRows(list, (r) => r.idx);
  return {
    current: () => sorted,
    set(l: Row[]) {
      sorted = sortRows(l, (r) => r.idx);
    },
  };
}

function scalar(oid: number[], v: number, counter64 = false): IndexEntry {
  return { kind: 'scalar', oid, name: `s${oid.join('.')}`, read: () => encodeInteger(v), counter64 };
}

function column(oid: number[], rows: RowSource<Row>, counter64 = false): IndexEntry {
  const col = oid[oid.length - 1]!;
  return {
    kind: 'column',
    oid,
    name: `c${oid.join('.')}`,
    rows: rows as RowSource,
    read: (r: unknown) => encodeInteger((r as Row).v * 100 + col),
    counter64,
  };
}

const found = (l: Lookup): Extract<Lookup, { found: true }> => {
  if (!l.found) throw new Error(`not found: tag 0x${l.tag.toString(16)}`);
  return l;
};
const nextOid = (ix: OidIndex, oid: number[], skip?: (e: IndexEntry) => boolean) => {
  const l = ix.next(oid, skip);
  return l.found ? l.oid.join('.') : `tag:${l.tag}`;
};

/**
 * E.1.1 scalar (1), E.1.2 scalar Counter64 (2), E.2.1.{2,3} columns of table T,
 * E.3.1.{1,2} columns of an empty table, E.4 scalar (4).
 */
function sample() {
  const t = rowsOf([
    { idx: [200], v: 3 },
    { idx: [1], v: 1 },
    { idx: [2, 5], v: 2 },
    { idx: [2147483648], v: 4 },
  ]);
  const empty = rowsOf([]);
  const ix = new OidIndex();
  ix.add(scalar([...E, 4], 4));
  ix.add(column([...E, 2, 1, 3], t));
  ix.add(scalar([...E, 1, 1], 1));
  ix.add(column([...E, 2, 1, 2], t, true));
  ix.add(scalar([...E, 1, 2], 2, true));
  ix.add(column([...E, 3, 1, 1], empty));
  ix.add(column([...E, 3, 1, 2], empty));
  return { ix, t, empty };
}

const P = E.join('.');

describe('OidIndex.get', () => {
  const { ix } = sample();

  it('finds scalar instances and reads them', () => {
    const l = found(ix.get([...E, 1, 1, 0]));
    expect(l.oid).to.deep.equal([...E, 1, 1, 0]);
    expect(l.read().toString('hex')).to.equal('020101');
    expect(l.entry.name).to.equal(`s${P}.1.1`);
  });

  it('finds table cells and reads the right row', () => {
    expect(found(ix.get([...E, 2, 1, 3, 2, 5])).read().toString('hex')).to.equal('020200cb');
    expect(found(ix.get([...E, 2, 1, 2, 200])).read().toString('hex')).to.equal('0202012e');
    expect(found(ix.get([...E, 2, 1, 3, 2147483648])).read().toString('hex')).to.equal('02020193');
  });

  it('answers noSuchInstance inside an object without that instance', () => {
    for (const oid of [
      [...E, 1, 1],
      [...E, 1, 1, 1],
      [...E, 1, 1, 0, 0],
      [...E, 2, 1, 3],
      [...E, 2, 1, 3, 2],
      [...E, 2, 1, 3, 2, 5, 0],
      [...E, 2, 1, 3, 3],
      [...E, 3, 1, 1, 1],
    ]) {
      expect(ix.get(oid), oid.join('.')).to.deep.equal({ found: false, tag: Tag.NoSuchInstance });
    }
  });

  it('answers noSuchObject outside every object', () => {
    for (const oid of [[1, 3], [...E], [...E, 1], [...E, 2, 1], [...E, 2, 1, 4, 1], [...E, 0, 5], [...E, 5, 0], [2, 0]]) {
      expect(ix.get(oid), oid.join('.')).to.deep.equal({ found: false, tag: Tag.NoSuchObject });
    }
  });
});

describe('OidIndex.next', () => {
  const { ix } = sample();
  const order = [
    `${P}.1.1.0`,
    `${P}.1.2.0`,
    `${P}.2.1.2.1`,
    `${P}.2.1.2.2.5`,
    `${P}.2.1.2.200`,
    `${P}.2.1.2.2147483648`,
    `${P}.2.1.3.1`,
    `${P}.2.1.3.2.5`,
    `${P}.2.1.3.200`,
    `${P}.2.1.3.2147483648`,
    `${P}.4.0`,
  ];

  it('walks scalar -> column -> next column, skipping empty tables, to endOfMibView', () => {
    const seen: string[] = [];
    let oid: readonly number[] = [0, 0];
    for (let guard = 0; guard < 100; guard++) {
      const l = ix.next(oid);
      if (!l.found) {
        expect(l.tag).to.equal(Tag.EndOfMibView);
        break;
      }
      expect(compareOid(l.oid, oid)).to.equal(1);
      seen.push(l.oid.join('.'));
      oid = l.oid;
    }
    expect(seen).to.deep.equal(order);
  });

  it('starts from OIDs shorter than, between and inside objects', () => {
    expect(nextOid(ix, [1])).to.equal(`${P}.1.1.0`);
    expect(nextOid(ix, [...E, 1])).to.equal(`${P}.1.1.0`);
    expect(nextOid(ix, [...E, 1, 1])).to.equal(`${P}.1.1.0`);
    expect(nextOid(ix, [...E, 1, 1, 0, 7])).to.equal(`${P}.1.2.0`);
    expect(nextOid(ix, [...E, 1, 1, 1])).to.equal(`${P}.1.2.0`);
    expect(nextOid(ix, [...E, 1, 3])).to.equal(`${P}.2.1.2.1`);
    expect(nextOid(ix, [...E, 2, 1, 2])).to.equal(`${P}.2.1.2.1`);
    expect(nextOid(ix, [...E, 2, 1, 2, 0])).to.equal(`${P}.2.1.2.1`);
    expect(nextOid(ix, [...E, 2, 1, 2, 2])).to.equal(`${P}.2.1.2.2.5`);
    expect(nextOid(ix, [...E, 2, 1, 2, 2, 5])).to.equal(`${P}.2.1.2.200`);
    expect(nextOid(ix, [...E, 2, 1, 2, 2, 5, 0])).to.equal(`${P}.2.1.2.200`);
    expect(nextOid(ix, [...E, 2, 1, 2, 4294967295])).to.equal(`${P}.2.1.3.1`);
    expect(nextOid(ix, [...E, 2, 1, 2, 2147483648, 1])).to.equal(`${P}.2.1.3.1`);
    expect(nextOid(ix, [...E, 2, 1, 3, 2147483648])).to.equal(`${P}.4.0`);
    expect(nextOid(ix, [...E, 3])).to.equal(`${P}.4.0`);
    expect(nextOid(ix, [...E, 3, 1, 1, 5])).to.equal(`${P}.4.0`);
  });

  it('answers endOfMibView past the last object', () => {
    for (const oid of [[...E, 4, 0], [...E, 4, 1], [...E, 5], [2], [2, 0, 0]]) {
      expect(ix.next(oid), oid.join('.')).to.deep.equal({ found: false, tag: Tag.EndOfMibView });
    }
  });

  it('skips entries the predicate rejects (Counter64 for SNMPv1)', () => {
    const v1 = (e: IndexEntry) => e.counter64;
    expect(nextOid(ix, [...E, 1, 1, 0], v1)).to.equal(`${P}.2.1.3.1`);
    expect(nextOid(ix, [...E, 1, 2], v1)).to.equal(`${P}.2.1.3.1`);
    expect(nextOid(ix, [...E, 2, 1, 2, 1], v1)).to.equal(`${P}.2.1.3.1`);
    expect(nextOid(ix, [...E, 2, 1, 2, 1])).to.equal(`${P}.2.1.2.2.5`);
    expect(nextOid(ix, [...E, 4], () => true)).to.equal(`tag:${Tag.EndOfMibView}`);
  });

  it('gives instance OID bytes equal to the encoded OID, arcs >= 128 included', () => {
    for (const oid of [[...E, 2, 1, 2, 200], [...E, 2, 1, 3, 2147483648], [...E, 2, 1, 3, 2, 5], [...E, 1, 1, 0]]) {
      expect(found(ix.get(oid)).oidBytes.toString('hex')).to.equal(oidContents(oid).toString('hex'));
    }
    expect(found(ix.get([...E, 2, 1, 2, 200])).oidBytes.toString('hex')).to.equal('2b0601040163020102' + '8148');
    expect(found(ix.next([...E, 2, 1, 2, 200])).oidBytes.toString('hex')).to.equal('2b0601040163020102' + '8880808000');
  });

  it('sees rows added to the source', () => {
    const { ix: ix2, t } = sample();
    t.set([{ idx: [7], v: 7 }]);
    expect(nextOid(ix2, [...E, 2, 1, 2])).to.equal(`${P}.2.1.2.7`);
    expect(ix2.instanceCount()).to.equal(3 + 2);
  });
});

describe('OidIndex.add', () => {
  it('rejects entries that overlap', () => {
    const ix = new OidIndex();
    ix.add(scalar([...E, 1, 1], 1));
    expect(() => ix.add(scalar([...E, 1, 1], 2))).to.throw(/overlaps/);
    expect(() => ix.add(scalar([...E, 1], 2))).to.throw(/overlaps/);
    expect(() => ix.add(scalar([...E, 1, 1, 0], 2))).to.throw(/overlaps/);
    ix.add(scalar([...E, 1, 10], 2));
    expect(ix.objects.map((e) => e.oid.join('.'))).to.deep.equal([`${P}.1.1`, `${P}.1.10`]);
  });

  it('counts instances', () => {
    expect(sample().ix.instanceCount()).to.equal(3 + 2 * 4);
  });

  it('keeps the first of rows with the same index', () => {
    const dups: string[] = [];
    const s = sortRows(
      [
        { idx: [2], v: 1 },
        { idx: [1], v: 2 },
        { idx: [2], v: 3 },
      ],
      (r) => r.idx,
      (i) => dups.push(i.join('.')),
    );
    expect(s.index).to.deep.equal([[1], [2]]);
    expect(s.rows.map((r) => r.v)).to.deep.equal([2, 1]);
    expect(dups).to.deep.equal(['2']);
  });
});

describe('OidIndex randomized cross-check', () => {
  it('next() and get() agree with a brute-force sorted list of all instances', () => {
    const rand = prng(20240601);
    const int = (n: number) => Math.floor(rand() * n);
    const ARCS = [0, 1, 2, 3, 5, 127, 128, 300, 4294967295];
    const arc = () => (rand() < 0.8 ? int(6) : ARCS[int(ARCS.length)]!);

    const ix = new OidIndex();
    const entries: IndexEntry[] = [];
    const all: Array<{ oid: number[]; c64: boolean }> = [];
    // Objects at E.a.b for a in 1..5, b in 1..5: scalars, or columns of a table per a.
    for (let a = 1; a <= 5; a++) {
      const isTable = a % 2 === 0 || a === 5;
      const rows: Row[] = [];
      if (isTable) {
        const n = a === 4 ? 0 : 1 + int(30);
        const width = 1 + int(3);
        for (let k = 0; k < n; k++) rows.push({ idx: Array.from({ length: rand() < 0.2 ? width + 1 : width }, arc), v: k });
      }
      const src = rowsOf(rows);
      const unique = src.current().index;
      for (let b = 1; b <= 5; b++) {
        if (rand() < 0.25) continue;
        const oid = [...E, a, b];
        const c64 = rand() < 0.3;
        const e = isTable ? column(oid, src, c64) : scalar(oid, a * 10 + b, c64);
        entries.push(e);
        if (isTable) for (const i of unique) all.push({ oid: [...oid, ...i], c64 });
        else all.push({ oid: [...oid, 0], c64 });
      }
    }
    for (let k = entries.length - 1; k > 0; k--) {
      const j = int(k + 1);
      [entries[k], entries[j]] = [entries[j]!, entries[k]!];
    }
    for (const e of entries) ix.add(e);
    all.sort((x, y) => compareOid(x.oid, y.oid));
    expect(ix.instanceCount()).to.equal(all.length);

    const randomOid = (): number[] => {
      const r = rand();
      if (r < 0.5 && all.length) {
        // near an instance: a prefix of it, or it with an arc changed or added
        const base = all[int(all.length)]!.oid.slice();
        const cut = E.length + int(base.length - E.length + 1);
        const o = base.slice(0, cut);
        if (rand() < 0.5 && o.length) o[o.length - 1] = Math.max(0, o[o.length - 1]! + int(3) - 1);
        if (rand() < 0.3) o.push(arc());
        return o;
      }
      if (r < 0.9) return [...E, ...Array.from({ length: int(6) }, () => (rand() < 0.7 ? int(7) : arc()))];
      return Array.from({ length: 1 + int(8) }, () => int(8));
    };

    const skip = (e: IndexEntry) => e.counter64;
    for (let n = 0; n < 4000; n++) {
      const q = randomOid();
      const useSkip = rand() < 0.3;
      const expected = all.find((x) => compareOid(x.oid, q) > 0 && !(useSkip && x.c64));
      const got = ix.next(q, useSkip ? skip : undefined);
      const label = `next(${q.join('.')})${useSkip ? ' skip' : ''}`;
      if (expected) {
        expect(got.found, label).to.equal(true);
        const g = found(got);
        expect(g.oid.join('.'), label).to.equal(expected.oid.join('.'));
        expect(g.oidBytes.equals(oidContents(expected.oid)), label).to.equal(true);
      } else {
        expect(got, label).to.deep.equal({ found: false, tag: Tag.EndOfMibView });
      }

      const exact = all.find((x) => compareOid(x.oid, q) === 0);
      const g = ix.get(q);
      if (exact) expect(found(g).oid.join('.'), `get(${q.join('.')})`).to.equal(q.join('.'));
      else {
        const inObject = entries.some((e) => e.oid.length <= q.length && e.oid.every((v, i) => q[i] === v));
        expect(g, `get(${q.join('.')})`).to.deep.equal({ found: false, tag: inObject ? Tag.NoSuchInstance : Tag.NoSuchObject });
      }
    }
  });
});
