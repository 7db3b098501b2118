// What the agent must not answer, and must count: wrong communities, sources outside
// a community's networks, and malformed datagrams. None of them may stop it serving.

import { expect } from 'chai';
import { snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { berInt, berOid, berTlv, counters, get, PDU, RawClient, request, show } from './support.js';

const IN_PKTS = '.1.3.6.1.2.1.11.1.0';
const IN_BAD_VERSIONS = '.1.3.6.1.2.1.11.3.0';
const IN_BAD_COMMUNITY_NAMES = '.1.3.6.1.2.1.11.4.0';
const IN_ASN_PARSE_ERRS = '.1.3.6.1.2.1.11.6.0';
const DROPPED = '.1.3.6.1.4.1.32473.1.1.4.0';
const ALL = [IN_PKTS, IN_BAD_VERSIONS, IN_BAD_COMMUNITY_NAMES, IN_ASN_PARSE_ERRS, DROPPED];
const SYS_NAME = '.1.3.6.1.2.1.1.5.0';

function mailModel(): MailSystem {
  const model = new MailSystem();
  model.addChannel(model.addApplication('mta'), 'smtp');
  return model;
}

/** Counter deltas as an object, for readable failures. */
function delta(a: number[], b: number[]) {
  const d = b.map((v, i) => v - a[i]!);
  return { inPkts: d[0], badVersions: d[1], badCommunityNames: d[2], asnParseErrs: d[3], dropped: d[4] };
}

describe('e2e: communities', function () {
  let ta: TestAgent | undefined;

  afterEach(async () => {
    await ta?.stop();
    ta = undefined;
  });

  it('a wrong community gets no answer; snmpInBadCommunityNames +1, snmpInPkts counts every datagram', async () => {
    ta = await startTestAgent({ model: mailModel() });
    const c0 = await counters(ta.target, ALL);
    const r = await snmp('snmpget', ['-On', ta.target, SYS_NAME], { community: 'wrong' });
    expect(r.code).to.not.equal(0);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.contain(`Timeout: No Response from ${ta.target}`);
    const c1 = await counters(ta.target, ALL);
    expect(delta(c0, c1)).to.deep.equal({ inPkts: 2, badVersions: 0, badCommunityNames: 1, asnParseErrs: 0, dropped: 1 });
  });

  it('near misses of the community (case, prefix, longer, empty) are all refused, v1 and v2c', async () => {
    ta = await startTestAgent({ model: mailModel() });
    const raw = new RawClient(ta);
    try {
      const c0 = await counters(ta.target, ALL);
      const wrong = ['Public', 'publi', 'public ', 'public\0', ''];
      let id = 100;
      for (const community of wrong) {
        for (const version of [0, 1]) await raw.send(request({ version, community, requestId: id++, oids: [SYS_NAME] }));
      }
      await raw.send(request({ version: 1, requestId: 999, oids: [SYS_NAME] }));
      const ok = await raw.response(999);
      expect(ok.errorStatus).to.equal(0);
      expect(raw.received).to.have.length(1); // only the good one was answered
      const c1 = await counters(ta.target, ALL);
      expect(delta(c0, c1)).to.deep.equal({ inPkts: 12, badVersions: 0, badCommunityNames: 10, asnParseErrs: 0, dropped: 10 });
    } finally {
      await raw.close();
    }
  });

  it('a community limited to 10.0.0.0/8 is refused from 127.0.0.1', async () => {
    ta = await startTestAgent({
      model: mailModel(),
      settings: {
        communities: [
          { community: 'public', sources: ['10.0.0.0/8'] },
          { community: 'monitor', sources: [] },
        ],
      },
    });
    const c0 = await counters(ta.target, ALL, 'monitor');
    const r = await snmp('snmpget', ['-On', ta.target, SYS_NAME]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('Timeout: No Response');
    const c1 = await counters(ta.target, ALL, 'monitor');
    expect(delta(c0, c1)).to.deep.equal({ inPkts: 2, badVersions: 0, badCommunityNames: 1, asnParseErrs: 0, dropped: 1 });
  });

  for (const sources of [['127.0.0.0/8'], ['10.0.0.0/8', '127.0.0.1'], ['127.0.0.1/32']]) {
    it(`a community limited to ${sources.join(', ')} answers 127.0.0.1`, async () => {
      ta = await startTestAgent({ model: mailModel(), settings: { communities: [{ community: 'public', sources }] } });
      const vbs = await get(ta.target, ['.1.3.6.1.2.1.28.2.1.25.1.1']);
      expect(vbs.map(show)).to.deep.equal(['STRING: smtp']);
    });
  }
});

/** Deterministic "random" bytes. */
function noise(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('e2e: malformed datagrams', function () {
  let ta: TestAgent;

  before(async () => {
    ta = await startTestAgent({ model: mailModel() });
  });

  after(async () => {
    await ta?.stop();
  });

  it('are dropped and counted exactly, and the agent keeps answering', async () => {
    const valid = request({ version: 1, requestId: 4141, oids: [SYS_NAME] });
    const community = berTlv(0x04, Buffer.from('public'));
    const getPdu = (oid: Buffer) =>
      berTlv(PDU.get, berInt(7), berInt(0), berInt(0), berTlv(0x30, berTlv(0x30, oid, Buffer.from([0x05, 0x00]))));
    const v3 = berTlv(
      0x30,
      berInt(3),
      berTlv(0x30, berInt(1), berInt(65507), berTlv(0x04, Buffer.from([0x04])), berInt(3)),
      berTlv(0x04, berTlv(0x30, berTlv(0x04), berInt(0), berInt(0), berTlv(0x04), berTlv(0x04), berTlv(0x04))),
      berTlv(0x30, berTlv(0x04), berTlv(0x04), getPdu(berOid(SYS_NAME))),
    );
    // An OID arc of 2^32 (five octets 90 80 80 80 00): one more than an arc may be.
    const bigArc = berTlv(0x06, Buffer.from([0x2b, 0x06, 0x01, 0x90, 0x80, 0x80, 0x80, 0x00]));
    const asn: Array<[string, Buffer]> = [
      ['random bytes', noise(200, 1)],
      ['a sequence of random bytes', berTlv(0x30, noise(120, 2))],
      ['a truncated request', valid.subarray(0, valid.length - 3)],
      ['GetBulk in an SNMPv1 message', request({ version: 0, pdu: PDU.getBulk, requestId: 8, a: 0, b: 5, oids: [SYS_NAME] })],
      ['60 KB of garbage', noise(60_000, 3)],
      ['an OID arc above 2^32-1', berTlv(0x30, berInt(1), community, getPdu(bigArc))],
      ['an indefinite length', Buffer.concat([Buffer.from([0x30, 0x80]), valid.subarray(2), Buffer.from([0, 0])])],
      ['bytes after the message', Buffer.concat([valid, Buffer.from([0x05, 0x00])])],
      ['an empty datagram', Buffer.alloc(0)],
    ];
    // an SNMPv3 discovery (empty engine ID) is answered with a usmStatsUnknownEngineIDs Report
    const reported: Array<[string, Buffer]> = [['an SNMPv3 discovery', v3]];
    const badVersion: Array<[string, Buffer]> = [
      ['version 7', request({ version: 7, requestId: 9, oids: [SYS_NAME] })],
    ];
    const notARequest: Array<[string, Buffer]> = [['a Response PDU', request({ version: 1, pdu: PDU.response, requestId: 10, oids: [SYS_NAME] })]];

    const raw = new RawClient(ta);
    try {
      const c0 = await counters(ta.target, ALL);
      for (const [, buf] of [...asn, ...badVersion, ...notARequest, ...reported]) await raw.send(buf);
      // The agent reads datagrams in order: once this is answered, all the above were handled.
      // Arc 2^32-1 itself is fine: a well-formed request for an object we do not have.
      const maxArc = berTlv(0x06, Buffer.from([0x2b, 0x06, 0x01, 0x8f, 0xff, 0xff, 0xff, 0x7f]));
      await raw.send(berTlv(0x30, berInt(1), community, berTlv(PDU.get, berInt(4242), berInt(0), berInt(0), berTlv(0x30, berTlv(0x30, maxArc, Buffer.from([0x05, 0x00]))))));
      const ok = await raw.response(4242);
      expect(ok.errorStatus).to.equal(0);
      expect(ok.varbinds.map((v) => [v.oid, v.tag])).to.deep.equal([['.1.3.6.1.4294967295', 0x80]]); // noSuchObject
      expect(raw.received, 'responses to malformed datagrams').to.have.length(1 + reported.length);
      const c1 = await counters(ta.target, ALL);
      expect(delta(c0, c1)).to.deep.equal({
        inPkts: asn.length + badVersion.length + notARequest.length + reported.length + 2,
        badVersions: badVersion.length,
        badCommunityNames: 0,
        asnParseErrs: asn.length,
        dropped: asn.length + badVersion.length + notARequest.length,
      });
      expect(asn.length).to.equal(9);
    } finally {
      await raw.close();
    }
    // and the tools still get their answers
    expect((await get(ta.target, ['.1.3.6.1.2.1.28.2.1.25.1.1'])).map(show)).to.deep.equal(['STRING: smtp']);
  });
});
