// The subagent's answers to GetBulk stay within the largest payload a master reads
// (RFC 2741 §7.2.3.3 allows fewer repetitions than asked for).

import { expect } from 'chai';
import { Tag, tlv } from '../../src/snmp/ber.js';
import { UNCAPPED_BULK } from '../../src/snmp/bulk.js';
import { decodeResponse } from '../../src/snmp/agentx/messages.js';
import { HEADER_SIZE, MAX_PAYLOAD, PduType, readHeader } from '../../src/snmp/agentx/pdu.js';
import { Responder } from '../../src/snmp/agentx/responder.js';
import { OidIndex, sortRows } from '../../src/snmp/oid-index.js';

const COLUMN = [1, 3, 6, 1, 4, 1, 32473, 99, 70, 1, 2];

describe('unit: AgentX responder', () => {
  it('without caps, stops repeating a GetBulk before the response passes 1 MiB, keeping whole rounds', () => {
    const rows = sortRows(Array.from({ length: 40000 }, (_, i) => i + 1), (r) => [r]);
    const index = new OidIndex();
    index.add({ kind: 'column', oid: COLUMN, name: 'big', counter64: false, rows: { current: () => rows }, read: () => tlv(Tag.OctetString, Buffer.alloc(40, 0x61)) });
    const responder = new Responder({ index, subtrees: [COLUMN.slice(0, 9)], uptime: () => 1, caps: UNCAPPED_BULK });
    const ids = { sessionId: 1, transactionId: 2, packetId: 3 };
    // two repeaters over the same column: each round is two varbinds
    const ranges = [0, 1].map(() => ({ start: COLUMN, include: false, end: [] }));
    const pdu = responder.answer(ids, { type: PduType.GetBulk, nonRepeaters: 0, maxRepetitions: 65535, ranges });
    const h = readHeader(pdu);
    const r = decodeResponse(h, pdu);
    const rounds = r.varbinds.length / 2;
    // each varbind: type 4 + OID (4 + 7 sub-ids of 4) + octets (4 + 40) = 80 octets
    const vb = 80;
    expect(h.payloadLength).to.equal(8 + rounds * 2 * vb);
    expect(h.payloadLength + 2 * vb).to.be.greaterThan(MAX_PAYLOAD);
    expect(pdu.length - HEADER_SIZE).to.be.at.most(MAX_PAYLOAD);
    expect(rounds).to.equal(Math.floor((MAX_PAYLOAD - 8) / (2 * vb)));
    expect(r.varbinds.slice(-2).map((v) => v.name)).to.deep.equal([[...COLUMN, rounds], [...COLUMN, rounds]]);
  });
});
