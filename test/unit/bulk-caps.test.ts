// snmpd.conf's GetBulk caps, with Net-SNMP's arithmetic (agent/snmp_agent.c): the
// repetitions become min(M, maxGetbulkRepeats, floor(maxGetbulkResponses / R)), where
// 0 means the default (100 responses) and -1 no cap; non-repeaters are not counted.
// The same plan serves UDP and AgentX. And a GET or GETNEXT stops working as soon as
// its response cannot fit.

import { expect } from 'chai';
import { Tag, encodeInteger, tlv } from '../../src/snmp/ber.js';
import { DEFAULT_BULK_CAPS, UNCAPPED_BULK, planBulk } from '../../src/snmp/bulk.js';
import { answer } from '../../src/snmp/engine.js';
import { decodeMessage } from '../../src/snmp/message.js';
import { OidIndex, sortRows } from '../../src/snmp/oid-index.js';
import { Responder } from '../../src/snmp/agentx/responder.js';
import { decodeResponse as decodeAgentx } from '../../src/snmp/agentx/messages.js';
import { PduType, readHeader } from '../../src/snmp/agentx/pdu.js';
import { decodeResponse, PDU, request } from '../e2e/support.js';

const COLUMN = [1, 3, 6, 1, 4, 1, 99, 5, 1, 1];
const SCALAR = [1, 3, 6, 1, 4, 1, 99, 1];

/** A scalar, then a column of `rows` rows; `reads` counts the values read. */
function index(rows: number) {
  const ix = new OidIndex();
  const stats = { reads: 0 };
  ix.add({ kind: 'scalar', oid: SCALAR, name: 's', counter64: false, read: () => encodeInteger(7) });
  const sorted = sortRows(Array.from({ length: rows }, (_, i) => i + 1), (r) => [r]);
  ix.add({
    kind: 'column',
    oid: COLUMN,
    name: 'c',
    counter64: false,
    rows: { current: () => sorted },
    read: (r) => {
      stats.reads++;
      return tlv(Tag.OctetString, Buffer.from(`row ${String(r)}`));
    },
  });
  return { ix, stats };
}

const counters = () => ({ encodeErrors: 0, silentDrops: 0 });

function bulk(ix: OidIndex, opts: { n: number; m: number; repeaters: number }, caps = DEFAULT_BULK_CAPS) {
  const oids = [...Array(opts.n).fill('.1.3.6.1.4.1.99'), ...Array(opts.repeaters).fill(`.${COLUMN.join('.')}`)];
  const buf = request({ version: 1, pdu: PDU.getBulk, requestId: 9, a: opts.n, b: opts.m, oids });
  const out = answer(ix, decodeMessage(buf), 65507, counters(), undefined, caps);
  return decodeResponse(out!);
}

describe('unit: GetBulk caps', () => {
  it('plans as snmpd does', () => {
    const plan = (count: number, n: number, m: number, repeats: number, responses: number) => {
      const p = planBulk(count, n, m, { maxGetbulkRepeats: repeats, maxGetbulkResponses: responses });
      return [p.nonRepeaters, p.repeaters, p.repetitions];
    };
    // one repeater, max-repetitions 2^31-1: 100 (the default), as snmpd answers
    expect(plan(1, 0, 2147483647, -1, 100)).to.deep.equal([0, 1, 100]);
    // eight repeaters: floor(100 / 8) = 12 rounds, 96 varbinds
    expect(plan(8, 0, 2147483647, -1, 100)).to.deep.equal([0, 8, 12]);
    // non-repeaters are not counted
    expect(plan(10, 2, 1000, -1, 100)).to.deep.equal([2, 8, 12]);
    // 0 means the default for both
    expect(plan(1, 0, 500, 0, 0)).to.deep.equal([0, 1, 100]);
    // maxGetbulkRepeats narrows, but never widens past maxGetbulkResponses / R
    expect(plan(2, 0, 500, 5, 100)).to.deep.equal([0, 2, 5]);
    expect(plan(2, 0, 500, 80, 100)).to.deep.equal([0, 2, 50]);
    // more repeaters than responses: no repetition at all (snmpd: 100 / 101 = 0)
    expect(plan(101, 0, 10, -1, 100)).to.deep.equal([0, 101, 0]);
    // -1: no cap but what the request asks (and the message size)
    expect(plan(3, 0, 70000, -1, -1)).to.deep.equal([0, 3, 70000]);
    expect(plan(3, 0, 70000, 9, -1)).to.deep.equal([0, 3, 9]);
    // negative fields count as 0; too many non-repeaters are all the varbinds
    expect(plan(2, -4, -1, -1, 100)).to.deep.equal([0, 2, 0]);
    expect(plan(2, 5, 9, -1, 100)).to.deep.equal([2, 0, 0]);
  });

  it('UDP: a GetBulk of 2^31-1 repetitions gets 100 varbinds by default, N more for non-repeaters', () => {
    const { ix, stats } = index(1000);
    const one = bulk(ix, { n: 0, m: 2147483647, repeaters: 1 });
    expect(one.varbinds.map((v) => v.oid)).to.deep.equal(Array.from({ length: 100 }, (_, i) => `.${COLUMN.join('.')}.${i + 1}`));
    // the walk stopped there: nothing beyond was read
    expect(stats.reads).to.equal(100);
    const eight = bulk(ix, { n: 2, m: 2147483647, repeaters: 8 });
    expect(eight.varbinds).to.have.length(2 + 8 * 12);
    expect(eight.varbinds.slice(0, 2).map((v) => v.oid)).to.deep.equal(['.1.3.6.1.4.1.99.1.0', '.1.3.6.1.4.1.99.1.0']);
    expect(eight.varbinds.at(-1)!.oid).to.equal(`.${COLUMN.join('.')}.12`);
  });

  it('UDP: the caps are configurable, and without them the message size still bounds the answer', () => {
    const { ix } = index(20000);
    expect(bulk(ix, { n: 0, m: 1000, repeaters: 2 }, { maxGetbulkRepeats: 7, maxGetbulkResponses: 100 }).varbinds).to.have.length(14);
    expect(bulk(ix, { n: 0, m: 1000, repeaters: 2 }, { maxGetbulkRepeats: -1, maxGetbulkResponses: 1000 }).varbinds).to.have.length(1000);
    const all = bulk(ix, { n: 0, m: 2147483647, repeaters: 1 }, UNCAPPED_BULK);
    expect(all.varbinds.length).to.be.within(2000, 20000); // cut to fit 65,507 octets
  });

  it('AgentX: the same caps through the responder', () => {
    const { ix } = index(1000);
    const ids = { sessionId: 1, transactionId: 2, packetId: 3 };
    const ranges = (k: number) => Array.from({ length: k }, () => ({ start: COLUMN, include: false, end: [] }));
    const count = (caps = DEFAULT_BULK_CAPS, k = 1) => {
      const responder = new Responder({ index: ix, subtrees: [COLUMN.slice(0, 7)], uptime: () => 1, caps });
      const pdu = responder.answer(ids, { type: PduType.GetBulk, nonRepeaters: 0, maxRepetitions: 65535, ranges: ranges(k) });
      return decodeAgentx(readHeader(pdu), pdu).varbinds.length;
    };
    expect(count()).to.equal(100);
    expect(count(DEFAULT_BULK_CAPS, 8)).to.equal(96);
    expect(count({ maxGetbulkRepeats: 3, maxGetbulkResponses: 100 }, 2)).to.equal(6);
    expect(count(UNCAPPED_BULK)).to.equal(1001); // every row, then endOfMibView
  });

  it('a GET or GETNEXT whose least possible answer cannot fit reads nothing, and answers tooBig', () => {
    const { ix, stats } = index(9000);
    const oids = Array.from({ length: 9000 }, (_, i) => `.${COLUMN.join('.')}.${i + 1}`);
    for (const pdu of [PDU.get, PDU.getNext]) {
      stats.reads = 0;
      const out = answer(ix, decodeMessage(request({ version: 1, pdu, requestId: 5, oids })), 65507, counters());
      const res = decodeResponse(out!);
      expect([res.errorStatus, res.varbinds.length, stats.reads]).to.deep.equal([1, 0, 0]);
    }
  });

  it('otherwise it stops reading values as soon as the response passes the size, and answers tooBig', () => {
    const { ix, stats } = index(100);
    // 80 answers of about 22 octets (1,760) do not fit in 1,400, though 80 of the least size (16) would
    const oids = Array.from({ length: 80 }, (_, i) => `.${COLUMN.join('.')}.${i + 1}`);
    for (const pdu of [PDU.get, PDU.getNext]) {
      stats.reads = 0;
      const out = answer(ix, decodeMessage(request({ version: 1, pdu, requestId: 5, oids })), 1400, counters());
      const res = decodeResponse(out!);
      expect([res.errorStatus, res.varbinds.length]).to.deep.equal([1, 0]);
      expect(stats.reads).to.be.within(55, 70); // about 1,370 / 22, not 80
    }
  });
});
