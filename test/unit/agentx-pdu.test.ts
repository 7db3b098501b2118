// The AgentX codec byte by byte, checked against the layouts of RFC 2741 §5 and §6.

import { expect } from 'chai';
import { Tag, encodeInteger, encodeOid, encodeUnsigned, encodeUnsigned32, tlv } from '../../src/snmp/ber.js';
import { decodeRequest, decodeResponse, notifyPdu, openPdu, registerPdu, responsePdu } from '../../src/snmp/agentx/messages.js';
import { Framer } from '../../src/snmp/agentx/framer.js';
import { AgentxParseError, HEADER_SIZE, PduReader, PduType, PduWriter, VbType, readHeader, type Header } from '../../src/snmp/agentx/pdu.js';

const hex = (b: Buffer) => b.toString('hex').replace(/(..)/g, '$1 ').trim();
const ids = { sessionId: 0x01020304, transactionId: 5, packetId: 6 };

/** The payload of a PDU written by `f`, without the header. */
function payload(f: (w: PduWriter) => void): string {
  const w = new PduWriter();
  f(w);
  return hex(w.finish(PduType.Response, ids).subarray(HEADER_SIZE));
}

function reader(bytes: Buffer, flags = 0x10): PduReader {
  const h: Header = { version: 1, type: PduType.Response, flags, sessionId: 0, transactionId: 0, packetId: 0, payloadLength: bytes.length };
  return new PduReader(bytes, h, 0);
}

describe('unit: AgentX PDU codec', () => {
  it('compresses 1.3.6.1.x OIDs as in RFC 2741 §5.1 (1.3.6.1.2.1.1.1.0: prefix 2, 4 sub-ids)', () => {
    expect(payload((w) => w.oid([1, 3, 6, 1, 2, 1, 1, 1, 0]))).to.equal('04 02 00 00 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 00');
    // include byte, and OIDs that cannot be compressed
    expect(payload((w) => w.oid([1, 3, 6, 1, 4, 1, 32473], true))).to.equal('02 04 01 00 00 00 00 01 00 00 7e d9');
    expect(payload((w) => w.oid([1, 2, 3]))).to.equal('03 00 00 00 00 00 00 01 00 00 00 02 00 00 00 03');
    expect(payload((w) => w.oid([1, 3, 6, 1, 256, 1]))).to.equal('06 00 00 00 00 00 00 01 00 00 00 03 00 00 00 06 00 00 00 01 00 00 01 00 00 00 00 01');
    expect(payload((w) => w.oid([1, 3, 6, 1, 2]))).to.equal('00 02 00 00');
    expect(payload((w) => w.oid([]))).to.equal('00 00 00 00');
  });

  it('pads octet strings to 4 octets (§5.3)', () => {
    expect(payload((w) => w.octets(Buffer.from('abcde')))).to.equal('00 00 00 05 61 62 63 64 65 00 00 00');
    expect(payload((w) => w.octets(Buffer.from('abcd')))).to.equal('00 00 00 04 61 62 63 64');
    expect(payload((w) => w.octets(Buffer.alloc(0)))).to.equal('00 00 00 00');
  });

  it('writes the 20-octet header in network byte order with the payload length (§6.1)', () => {
    const pdu = registerPdu(ids, [1, 3, 6, 1, 2, 1, 28]);
    expect(hex(pdu)).to.equal(
      '01 03 10 00 01 02 03 04 00 00 00 05 00 00 00 06 00 00 00 10 ' + // header: v1, Register, NETWORK_BYTE_ORDER
        '00 7f 00 00 ' + // timeout 0 (master default), priority 127, range_subid 0
        '02 02 00 00 00 00 00 01 00 00 00 1c', // subtree 1.3.6.1.2.1.28
    );
    expect(hex(openPdu({ sessionId: 0, transactionId: 1, packetId: 1 }, 0, [1, 3, 6, 1, 4, 1, 32473], 'md').subarray(16))).to.equal(
      '00 00 00 18 00 00 00 00 02 04 00 00 00 00 00 01 00 00 7e d9 00 00 00 02 6d 64 00 00',
    );
    expect(hex(responsePdu(ids, 4321, 266, 2).subarray(HEADER_SIZE))).to.equal('00 00 10 e1 01 0a 00 02');
  });

  it('turns each BER value into its AgentX varbind (§5.4)', () => {
    const name = [1, 3, 6, 1, 4, 1, 9, 1];
    const nm = '03 04 00 00 00 00 00 01 00 00 00 09 00 00 00 01';
    const vb = (ber: Buffer) => payload((w) => w.varbindFromBer(name, ber));
    expect(vb(encodeInteger(-1))).to.equal(`00 02 00 00 ${nm} ff ff ff ff`);
    expect(vb(encodeUnsigned32(4294967295, Tag.Counter32))).to.equal(`00 41 00 00 ${nm} ff ff ff ff`);
    expect(vb(encodeUnsigned32(300, Tag.Gauge32))).to.equal(`00 42 00 00 ${nm} 00 00 01 2c`);
    expect(vb(encodeUnsigned32(1, Tag.TimeTicks))).to.equal(`00 43 00 00 ${nm} 00 00 00 01`);
    expect(vb(encodeUnsigned(0xffffffffffffffffn, Tag.Counter64, 0xffffffffffffffffn))).to.equal(`00 46 00 00 ${nm} ff ff ff ff ff ff ff ff`);
    expect(vb(encodeUnsigned(2n ** 32n + 2n, Tag.Counter64, 0xffffffffffffffffn))).to.equal(`00 46 00 00 ${nm} 00 00 00 01 00 00 00 02`);
    expect(vb(tlv(Tag.IpAddress, Buffer.from([192, 0, 2, 1])))).to.equal(`00 40 00 00 ${nm} 00 00 00 04 c0 00 02 01`);
    expect(vb(tlv(Tag.OctetString, Buffer.from('ü', 'utf8')))).to.equal(`00 04 00 00 ${nm} 00 00 00 02 c3 bc 00 00`);
    expect(vb(tlv(Tag.Opaque, Buffer.from([1, 2, 3])))).to.equal(`00 44 00 00 ${nm} 00 00 00 03 01 02 03 00`);
    expect(vb(encodeOid([1, 3, 6, 1, 2, 1, 1]))).to.equal(`00 06 00 00 ${nm} 02 02 00 00 00 00 00 01 00 00 00 01`);
    expect(vb(Buffer.from([Tag.Null, 0]))).to.equal(`00 05 00 00 ${nm}`);
    expect(vb(Buffer.from([Tag.EndOfMibView, 0]))).to.equal(`00 82 00 00 ${nm}`);
    // a long string: BER's long length form
    const long = tlv(Tag.OctetString, Buffer.alloc(300, 0x41));
    expect(vb(long).length).to.equal(hex(Buffer.alloc(4 + 16 + 4 + 300)).length);
    expect(() => vb(Buffer.from([0x30, 0]))).to.throw(RangeError);
  });

  it('reads varbinds of every type back, in either byte order', () => {
    const w = new PduWriter();
    const name = [1, 3, 6, 1, 4, 1, 9, 2];
    for (const ber of [
      encodeInteger(-5),
      encodeUnsigned(2n ** 63n, Tag.Counter64, 0xffffffffffffffffn),
      tlv(Tag.IpAddress, Buffer.from([10, 0, 0, 1])),
      encodeOid([1, 3, 6, 1, 6, 3]),
      Buffer.from([Tag.NoSuchInstance, 0]),
    ]) {
      w.varbindFromBer(name, ber);
    }
    const pdu = w.finish(PduType.Response, ids);
    const vbs = new PduReader(pdu, readHeader(pdu), HEADER_SIZE).varbinds();
    expect(vbs).to.deep.equal([
      { type: VbType.Integer, name, value: -5 },
      { type: VbType.Counter64, name, value: 2n ** 63n },
      { type: VbType.IpAddress, name, value: Buffer.from([10, 0, 0, 1]) },
      { type: VbType.ObjectIdentifier, name, value: [1, 3, 6, 1, 6, 3] },
      { type: VbType.NoSuchInstance, name, value: null },
    ]);
    // little-endian: a Counter32 varbind with a null name
    const le = Buffer.from([0x41, 0, 0, 0, 0, 0, 0, 0, 0x2c, 0x01, 0, 0]);
    expect(reader(le, 0).varbind()).to.deep.equal({ type: VbType.Counter32, name: [], value: 300 });
  });

  it('decodes GetBulk with a search range list, and a Response', () => {
    const w = new PduWriter().u16(1).u16(10).oid([1, 3, 6, 1, 2, 1, 28], true).oid([1, 3, 6, 1, 2, 1, 29]).oid([1, 3, 6, 1, 4, 1, 1]).oid([]);
    const pdu = w.finish(PduType.GetBulk, ids);
    expect(decodeRequest(readHeader(pdu), pdu)).to.deep.equal({
      type: PduType.GetBulk,
      context: undefined,
      nonRepeaters: 1,
      maxRepetitions: 10,
      ranges: [
        { start: [1, 3, 6, 1, 2, 1, 28], include: true, end: [1, 3, 6, 1, 2, 1, 29] },
        { start: [1, 3, 6, 1, 4, 1, 1], include: false, end: [] },
      ],
    });
    const n = notifyPdu(ids, { sysUpTime0: [1, 3, 6, 1, 2, 1, 1, 3, 0], snmpTrapOid0: [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0] }, 99, [1, 3, 6, 1, 4, 1, 32473, 0, 1], []);
    expect(n[1]).to.equal(PduType.Notify);
    const r = new PduReader(n, readHeader(n), HEADER_SIZE).varbinds();
    expect(r.map((v) => v.value)).to.deep.equal([99, [1, 3, 6, 1, 4, 1, 32473, 0, 1]]);
    const resp = responsePdu(ids, 5, 0, 0);
    expect(decodeResponse(readHeader(resp), resp)).to.deep.equal({ uptime: 5, error: 0, index: 0, varbinds: [] });
  });

  it('refuses truncated fields and headers it cannot frame', () => {
    expect(() => reader(Buffer.from([5, 0, 0, 0, 0, 0])).oid()).to.throw(AgentxParseError, /ends inside/);
    expect(() => reader(Buffer.from([0, 0, 0, 9, 0x61])).octets()).to.throw(AgentxParseError);
    expect(() => reader(Buffer.from([0, 0x99, 0, 0, 0, 0, 0, 0])).varbind()).to.throw(AgentxParseError, /varbind type/);
    const h = Buffer.from(registerPdu(ids, [1, 3, 6, 1, 2, 1, 28]));
    h[0] = 2;
    expect(() => readHeader(h)).to.throw(AgentxParseError, /version 2/);
    h[0] = 1;
    h.writeUInt32BE(6, 16);
    expect(() => readHeader(h)).to.throw(AgentxParseError, /multiple of 4/);
    h.writeUInt32BE(0x7ffffff0, 16);
    expect(() => readHeader(h)).to.throw(AgentxParseError, /payload of/);
  });

  it('frames PDUs whatever the chunks: split at every octet, or coalesced', () => {
    const pdus = [registerPdu(ids, [1, 3, 6, 1, 2, 1, 27]), responsePdu(ids, 1, 0, 0), registerPdu(ids, [1, 3, 6, 1, 4, 1, 32473])];
    const stream = Buffer.concat(pdus);
    for (let cut = 1; cut < stream.length; cut++) {
      const f = new Framer();
      const got: string[] = [];
      const on = (_h: Header, b: Buffer) => void got.push(hex(b));
      f.push(stream.subarray(0, cut), on);
      f.push(stream.subarray(cut), on);
      expect(got, `cut at ${cut}`).to.deep.equal(pdus.map(hex));
    }
    const f = new Framer();
    let n = 0;
    for (const b of stream) f.push(Buffer.from([b]), () => n++);
    expect(n).to.equal(3);
  });

  it('joins the chunks of a PDU arriving byte by byte once, not on every chunk', () => {
    const big = new PduWriter().octets(Buffer.alloc(4000, 0x61)).finish(PduType.Response, ids);
    const concat = Buffer.concat;
    let copied = 0;
    Buffer.concat = (list: readonly Uint8Array[], total?: number) => {
      const b = concat(list, total);
      copied += b.length;
      return b;
    };
    const got: Buffer[] = [];
    try {
      const f = new Framer();
      for (const b of big) f.push(Buffer.from([b]), (_h, buf) => void got.push(Buffer.from(buf)));
    } finally {
      Buffer.concat = concat;
    }
    expect(got.map(hex)).to.deep.equal([hex(big)]);
    // the header once (to read the payload length), then the whole PDU once
    expect(copied).to.equal(HEADER_SIZE + big.length);
  });
});
