// Message decoding and the request engine, with requests built by hand from the
// project's BER helpers and responses decoded back with BerReader.

import { expect } from 'chai';
import { BerError, BerReader, EncodeError, NULL_VALUE, Tag, encodeInteger, encodeOid, tlv } from '../../src/snmp/ber.js';
import { DEFAULT_BULK_CAPS, UNCAPPED_BULK, type BulkCaps } from '../../src/snmp/bulk.js';
import { answer, type EngineCounters } from '../../src/snmp/engine.js';
import { BadVersionError, UnexpectedPduError, decodeMessage, encodeResponse, type RequestMessage } from '../../src/snmp/message.js';
import { OidIndex, sortRows, type IndexEntry } from '../../src/snmp/oid-index.js';

const E = [1, 3, 6, 1, 4, 1, 99];
const P = E.join('.');

function request(version: number, pduTag: number, oids: number[][], opts: { id?: number; a?: number; b?: number; community?: string } = {}): Buffer {
  const vbs = oids.map((o) => tlv(Tag.Sequence, [encodeOid(o), NULL_VALUE]));
  return tlv(Tag.Sequence, [
    encodeInteger(version),
    tlv(Tag.OctetString, Buffer.from(opts.community ?? 'public')),
    tlv(pduTag, [encodeInteger(opts.id ?? 42), encodeInteger(opts.a ?? 0), encodeInteger(opts.b ?? 0), tlv(Tag.Sequence, vbs)]),
  ]);
}

interface Decoded {
  version: number;
  community: string;
  id: number;
  status: number;
  index: number;
  vbs: Array<{ oid: string; tag: number; value: Buffer }>;
}

function decodeResponse(buf: Buffer): Decoded {
  const top = new BerReader(buf);
  const msg = top.sequence();
  expect(top.done).to.equal(true);
  const version = msg.integer();
  const community = msg.octets().toString();
  const pdu = msg.sequence(Tag.Response);
  expect(msg.done).to.equal(true);
  const id = pdu.integer();
  const status = pdu.integer();
  const index = pdu.integer();
  const list = pdu.sequence();
  expect(pdu.done).to.equal(true);
  const vbs: Decoded['vbs'] = [];
  while (!list.done) {
    const vb = list.sequence();
    const oid = vb.oid().join('.');
    const start = vb.pos;
    const { tag, length } = vb.readHeader();
    const value = vb.buf.subarray(vb.pos, vb.pos + length);
    vb.pos += length;
    expect(vb.done).to.equal(true);
    expect(start).to.be.greaterThan(0);
    vbs.push({ oid, tag, value });
  }
  return { version, community, id, status, index, vbs };
}

/** E.1.0 Integer 7, E.2.0 Counter64, E.3.0 long string (600 octets), E.4.0 throws, table E.5.1.{1,2} with `rows` rows. */
function smallIndex(rows = 3, opts: { noLong?: boolean; noThrow?: boolean } = {}): OidIndex {
  const ix = new OidIndex();
  const s = (oid: number[], read: () => Buffer, counter64 = false): IndexEntry => ({ kind: 'scalar', oid, name: oid.join('.'), read, counter64 });
  ix.add(s([...E, 1], () => encodeInteger(7)));
  ix.add(s([...E, 2], () => tlv(Tag.Counter64, Buffer.from([1, 0])), true));
  if (!opts.noLong) ix.add(s([...E, 3], () => tlv(Tag.OctetString, Buffer.alloc(600, 0x61))));
  if (!opts.noThrow) {
    ix.add(
      s([...E, 4], () => {
        throw new EncodeError('bad value');
      }),
    );
  }
  const sorted = sortRows(
    Array.from({ length: rows }, (_, i) => i + 1),
    (i) => [i],
  );
  for (const col of [1, 2]) {
    ix.add({
      kind: 'column',
      oid: [...E, 5, 1, col],
      name: `col${col}`,
      rows: { current: () => sorted },
      read: (r) => tlv(Tag.OctetString, Buffer.from(`row ${String(r)} of column ${col}`)),
      counter64: false,
    });
  }
  return ix;
}

const counters = (): EngineCounters => ({ encodeErrors: 0, silentDrops: 0 });
const run = (ix: OidIndex, buf: Buffer, max = 65507, c = counters(), caps: BulkCaps = DEFAULT_BULK_CAPS) => {
  const out = answer(ix, decodeMessage(buf), max, c, undefined, caps);
  if (!out) throw new Error('dropped');
  return { out, res: decodeResponse(out), c };
};

describe('decodeMessage', () => {
  it('decodes a v1 GET and a v2c GETNEXT', () => {
    const m = decodeMessage(request(0, Tag.GetRequest, [[...E, 1, 0], [1, 3, 6, 1, 2, 1, 1, 1, 0]], { id: -5, community: 'sec' }));
    expect(m.version).to.equal(0);
    expect(m.community.toString()).to.equal('sec');
    expect(m.pdu.type).to.equal(Tag.GetRequest);
    expect(m.pdu.requestId).to.equal(-5);
    expect(m.pdu.varbinds.map((v) => v.oid.join('.'))).to.deep.equal([`${P}.1.0`, '1.3.6.1.2.1.1.1.0']);
    expect(m.pdu.varbinds[1]!.raw.toString('hex')).to.equal('300c06082b06010201010100' + '0500');
    const n = decodeMessage(request(1, Tag.GetNextRequest, [[1, 3]], { id: 2147483647 }));
    expect([n.version, n.pdu.type, n.pdu.requestId]).to.deep.equal([1, Tag.GetNextRequest, 2147483647]);
  });

  it('decodes GETBULK non-repeaters and max-repetitions', () => {
    const m = decodeMessage(request(1, Tag.GetBulkRequest, [[1, 3]], { a: 1, b: 10 }));
    expect([m.pdu.type, m.pdu.a, m.pdu.b]).to.deep.equal([Tag.GetBulkRequest, 1, 10]);
  });

  it('throws BadVersionError for versions 2, 3 and 7', () => {
    for (const v of [2, 3, 7]) {
      let err: unknown;
      try {
        decodeMessage(request(v, Tag.GetRequest, [[1, 3]]));
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(BadVersionError);
      expect((err as BadVersionError).version).to.equal(v);
    }
  });

  it('rejects GETBULK in an SNMPv1 message', () => {
    expect(() => decodeMessage(request(0, Tag.GetBulkRequest, [[1, 3]]))).to.throw(BerError, 'GetBulk in an SNMPv1');
  });

  it('rejects bytes after the message', () => {
    const buf = Buffer.concat([request(1, Tag.GetRequest, [[1, 3]]), Buffer.from([0])]);
    expect(() => decodeMessage(buf)).to.throw(BerError, 'bytes after the message');
  });

  it('rejects a truncated message', () => {
    const buf = request(1, Tag.GetRequest, [[1, 3]]);
    expect(() => decodeMessage(buf.subarray(0, buf.length - 1))).to.throw(BerError);
  });

  it('rejects a PDU that is not a request', () => {
    expect(() => decodeMessage(request(1, Tag.Response, [[1, 3]]))).to.throw(UnexpectedPduError);
    expect(() => decodeMessage(request(1, Tag.Report, [[1, 3]]))).to.throw(UnexpectedPduError);
  });

  it('rejects bytes after a varbind value', () => {
    const vb = tlv(Tag.Sequence, [encodeOid([1, 3]), NULL_VALUE, NULL_VALUE]);
    const buf = tlv(Tag.Sequence, [
      encodeInteger(1),
      tlv(Tag.OctetString, Buffer.from('public')),
      tlv(Tag.GetRequest, [encodeInteger(1), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence, [vb])]),
    ]);
    expect(() => decodeMessage(buf)).to.throw(BerError, 'bytes after a varbind value');
  });
});

describe('engine GET and GETNEXT', () => {
  const ix = smallIndex();

  it('answers a v2c GET with values and exceptions', () => {
    const { res } = run(ix, request(1, Tag.GetRequest, [[...E, 1, 0], [...E, 1, 1], [...E, 9, 0], [...E, 5, 1, 2, 3]], { id: 77 }));
    expect([res.version, res.community, res.id, res.status, res.index]).to.deep.equal([1, 'public', 77, 0, 0]);
    expect(res.vbs.map((v) => [v.oid, v.tag])).to.deep.equal([
      [`${P}.1.0`, Tag.Integer],
      [`${P}.1.1`, Tag.NoSuchInstance],
      [`${P}.9.0`, Tag.NoSuchObject],
      [`${P}.5.1.2.3`, Tag.OctetString],
    ]);
    expect(res.vbs[0]!.value.toString('hex')).to.equal('07');
    expect(res.vbs[1]!.value.length).to.equal(0);
    expect(res.vbs[3]!.value.toString()).to.equal('row 3 of column 2');
  });

  it('answers a v2c GETNEXT, endOfMibView past the end', () => {
    const { res } = run(ix, request(1, Tag.GetNextRequest, [[...E, 1, 0], [...E, 5, 1, 1, 3], [...E, 5, 1, 2, 3]]));
    expect(res.status).to.equal(0);
    expect(res.vbs.map((v) => [v.oid, v.tag])).to.deep.equal([
      [`${P}.2.0`, Tag.Counter64],
      [`${P}.5.1.2.1`, Tag.OctetString],
      [`${P}.5.1.2.3`, Tag.EndOfMibView],
    ]);
  });

  it('answers a v1 GET of a missing object with noSuchName and the index of the varbind', () => {
    const { res } = run(ix, request(0, Tag.GetRequest, [[...E, 1, 0], [...E, 9, 0], [...E, 1, 1]]));
    expect([res.version, res.status, res.index]).to.deep.equal([0, 2, 2]);
    expect(res.vbs.map((v) => [v.oid, v.tag])).to.deep.equal([
      [`${P}.1.0`, Tag.Null],
      [`${P}.9.0`, Tag.Null],
      [`${P}.1.1`, Tag.Null],
    ]);
  });

  it('hides Counter64 from v1: noSuchName on GET, skipped by GETNEXT', () => {
    expect(run(ix, request(0, Tag.GetRequest, [[...E, 2, 0]])).res).to.include({ status: 2, index: 1 });
    const { res } = run(ix, request(0, Tag.GetNextRequest, [[...E, 1, 0]]));
    expect(res.status).to.equal(0);
    expect(res.vbs.map((v) => v.oid)).to.deep.equal([`${P}.3.0`]);
  });

  it('answers a v1 GETNEXT past the end with noSuchName', () => {
    const { res } = run(ix, request(0, Tag.GetNextRequest, [[...E, 1, 0], [...E, 5, 1, 2, 3]]));
    expect([res.status, res.index, res.vbs.length]).to.deep.equal([2, 2, 2]);
  });

  it('answers genErr with the varbind index and counts it when a value cannot be encoded', () => {
    const c = counters();
    const { res } = run(ix, request(1, Tag.GetRequest, [[...E, 1, 0], [...E, 4, 0]]), 65507, c);
    expect([res.status, res.index, res.vbs.length]).to.deep.equal([5, 2, 2]);
    expect(res.vbs.map((v) => v.tag)).to.deep.equal([Tag.Null, Tag.Null]);
    expect(c).to.deep.equal({ encodeErrors: 1, silentDrops: 0 });
    run(ix, request(1, Tag.GetNextRequest, [[...E, 3, 0]]), 65507, c);
    expect(c.encodeErrors).to.equal(2);
  });

  it('answers tooBig when a GET response exceeds maxSize', () => {
    const v2 = run(ix, request(1, Tag.GetRequest, [[...E, 3, 0]]), 484).res;
    expect([v2.status, v2.index, v2.vbs.length]).to.deep.equal([1, 0, 0]);
    const v1 = run(ix, request(0, Tag.GetRequest, [[...E, 3, 0]]), 484).res;
    expect([v1.status, v1.index, v1.vbs.length, v1.vbs[0]!.tag]).to.deep.equal([1, 0, 1, Tag.Null]);
    const ok = run(ix, request(1, Tag.GetRequest, [[...E, 3, 0]]), 700);
    expect(ok.res.status).to.equal(0);
    expect(ok.out.length).to.be.at.most(700);
  });

  it('drops (and counts) a response that does not fit even as tooBig', () => {
    const c = counters();
    expect(answer(ix, decodeMessage(request(1, Tag.GetRequest, [[...E, 3, 0]])), 20, c)).to.equal(null);
    expect(c.silentDrops).to.equal(1);
  });
});

describe('engine SET', () => {
  const ix = smallIndex();
  it('refuses writes: notWritable in v2c, noSuchName in v1, both at index 1', () => {
    const v2 = run(ix, request(1, Tag.SetRequest, [[...E, 1, 0], [...E, 9, 0]])).res;
    expect([v2.status, v2.index, v2.vbs.length]).to.deep.equal([17, 1, 2]);
    const v1 = run(ix, request(0, Tag.SetRequest, [[...E, 1, 0]])).res;
    expect([v1.status, v1.index, v1.vbs.length]).to.deep.equal([2, 1, 1]);
  });
  it('answers an empty SET with noError', () => {
    const r = run(ix, request(1, Tag.SetRequest, [])).res;
    expect([r.status, r.index, r.vbs.length]).to.deep.equal([0, 0, 0]);
  });
});

describe('engine GETBULK', () => {
  const ix = smallIndex(3, { noLong: true, noThrow: true });

  it('returns N + M x R varbinds, non-repeaters first, repeaters interleaved', () => {
    const { res } = run(ix, request(1, Tag.GetBulkRequest, [[...E, 1], [...E, 5, 1, 1], [...E, 5, 1, 2]], { a: 1, b: 3 }));
    expect(res.status).to.equal(0);
    expect(res.vbs.map((v) => v.oid)).to.deep.equal([
      `${P}.1.0`,
      `${P}.5.1.1.1`,
      `${P}.5.1.2.1`,
      `${P}.5.1.1.2`,
      `${P}.5.1.2.2`,
      `${P}.5.1.1.3`,
      `${P}.5.1.2.3`,
    ]);
  });

  it('repeats endOfMibView with the last OID once a repeater runs out, and stops when all have', () => {
    const { res } = run(ix, request(1, Tag.GetBulkRequest, [[...E, 5, 1, 1, 2], [...E, 5, 1, 2, 2]], { a: 0, b: 4 }));
    expect(res.vbs.map((v) => `${v.oid}/${v.tag}`)).to.deep.equal([
      `${P}.5.1.1.3/${Tag.OctetString}`,
      `${P}.5.1.2.3/${Tag.OctetString}`,
      `${P}.5.1.2.1/${Tag.OctetString}`,
      `${P}.5.1.2.3/${Tag.EndOfMibView}`,
      `${P}.5.1.2.2/${Tag.OctetString}`,
      `${P}.5.1.2.3/${Tag.EndOfMibView}`,
      `${P}.5.1.2.3/${Tag.OctetString}`,
      `${P}.5.1.2.3/${Tag.EndOfMibView}`,
    ]);
    // max-repetitions 1000, but in the fifth repetition both repeaters reach the end: no sixth
    const big = run(ix, request(1, Tag.GetBulkRequest, [[...E, 5, 1, 1, 2], [...E, 5, 1, 2, 2]], { a: 0, b: 1000 }));
    expect(big.res.vbs.map((v) => v.tag)).to.deep.equal([
      ...res.vbs.map((v) => v.tag),
      Tag.EndOfMibView,
      Tag.EndOfMibView,
    ]);
  });

  it('clamps negative non-repeaters and max-repetitions, and too many non-repeaters', () => {
    const vbs = [[...E, 1], [...E, 5, 1, 1]];
    expect(run(ix, request(1, Tag.GetBulkRequest, vbs, { a: -3, b: 2 })).res.vbs.length).to.equal(4);
    expect(run(ix, request(1, Tag.GetBulkRequest, vbs, { a: 1, b: -1 })).res.vbs.length).to.equal(1);
    expect(run(ix, request(1, Tag.GetBulkRequest, vbs, { a: 5, b: 9 })).res.vbs.length).to.equal(2);
    expect(run(ix, request(1, Tag.GetBulkRequest, vbs, { a: 0, b: 0 })).res.vbs.length).to.equal(0);
  });

  it('answers genErr with the index of the repeater that failed', () => {
    const c = counters();
    const bad = smallIndex(3, { noLong: true });
    const { res } = run(bad, request(1, Tag.GetBulkRequest, [[...E, 1], [...E, 5, 1, 1], [...E, 3]], { a: 1, b: 2 }), 65507, c);
    expect([res.status, res.index, res.vbs.length]).to.deep.equal([5, 3, 3]);
    expect(c.encodeErrors).to.equal(1);
  });

  it('truncates to maxSize, leaving no room for one more varbind', () => {
    const big = smallIndex(200, { noLong: true, noThrow: true });
    const buf = request(1, Tag.GetBulkRequest, [[...E, 5, 1, 1], [...E, 5, 1, 2]], { a: 0, b: 150 });
    const full = run(big, buf, 65507, counters(), UNCAPPED_BULK).res;
    expect(full.vbs.length).to.equal(300);
    const req = decodeMessage(buf);
    for (const max of [484, 500, 1000, 1472]) {
      const { out, res } = run(big, buf, max, counters(), UNCAPPED_BULK);
      expect(out.length, `max ${max}`).to.be.at.most(max);
      expect(res.vbs.length, `max ${max}`).to.be.greaterThan(0).and.lessThan(300);
      const names = res.vbs.map((v) => v.oid);
      expect(names).to.deep.equal(full.vbs.slice(0, names.length).map((v) => v.oid));
      // Re-encode the first k+1 varbinds of the full answer: that must not fit.
      const raw = (n: number) => full.vbs.slice(0, n).map((v) => tlv(Tag.Sequence, [encodeOid(v.oid.split('.').map(Number)), tlv(v.tag, v.value)]));
      expect(encodeResponse(req, 0, 0, raw(names.length)).equals(out), `max ${max}`).to.equal(true);
      expect(encodeResponse(req, 0, 0, raw(names.length + 1)).length, `max ${max}`).to.be.greaterThan(max);
    }
    // A maxSize that is exactly the size of the first k varbinds' response gets exactly k.
    const raw = (n: number) => full.vbs.slice(0, n).map((v) => tlv(Tag.Sequence, [encodeOid(v.oid.split('.').map(Number)), tlv(v.tag, v.value)]));
    for (const k of [1, 17, 40, 299]) {
      const exact = encodeResponse(req, 0, 0, raw(k)).length;
      const { out, res } = run(big, buf, exact, counters(), UNCAPPED_BULK);
      expect([res.vbs.length, out.length], `k ${k}`).to.deep.equal([k, exact]);
      expect(run(big, buf, exact - 1, counters(), UNCAPPED_BULK).res.vbs.length, `k ${k}`).to.equal(k - 1);
    }
  });

  it('stops at N + M x R even when more would fit', () => {
    const big = smallIndex(200, { noLong: true, noThrow: true });
    const { res } = run(big, request(1, Tag.GetBulkRequest, [[...E, 1], [...E, 5, 1, 1], [...E, 5, 1, 2]], { a: 1, b: 10 }));
    expect(res.vbs.length).to.equal(1 + 10 * 2);
  });
});
