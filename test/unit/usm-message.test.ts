// SNMPv3 message codec with exact bytes, and USM processing of malformed or
// hostile input: every case counted where RFC 3412/3414 say, never a throw, and
// nothing kept per engine ID or user name a packet names.

import { expect } from 'chai';
import { buildServing } from '../../src/agent.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { Tag, encodeInteger, encodeOid, tlv } from '../../src/snmp/ber.js';
import { SnmpStats } from '../../src/snmp/stats.js';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS, authDigest, encrypt, localizeKey, passwordToKey } from '../../src/snmp/usm/crypto.js';
import type { EngineIdentity } from '../../src/snmp/usm/engine-id.js';
import { InvalidMessageError, UnknownSecurityModelError, decodeV3, encodeV3, openScopedPdu, scopedPdu } from '../../src/snmp/usm/message3.js';
import { Level, Usm, UsmStats, type CounterOids } from '../../src/snmp/usm/usm.js';
import { serveV3 } from '../../src/snmp/v3-serving.js';
import { prng } from '../helpers/prng.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('SNMPv3 message codec', () => {
  const pdu = hex('a2 0b 020107 020100 020100 3000');
  const engineId = hex('0102030405');

  it('encodes a message with exact bytes and says where the digest goes', () => {
    const { message, authOffset } = encodeV3({
      msgId: 1,
      maxSize: 1500,
      flags: 1,
      engineId,
      boots: 1,
      time: 2,
      userName: Buffer.from('u'),
      macLength: 12,
      privParams: Buffer.alloc(0),
      data: scopedPdu(engineId, Buffer.alloc(0), pdu),
      encrypted: false,
    });
    const expected = hex(`
      30 4e 020103
      30 0d 020101 020205dc 040101 020103
      04 22 30 20 04050102030405 020101 020102 040175 040c 000000000000000000000000 0400
      30 16 04050102030405 0400 a20b020107020100020100 3000`);
    expect(message.toString('hex')).to.equal(expected.toString('hex'));
    expect(authOffset).to.equal(42);
    const m = decodeV3(message);
    expect(m.usm.authOffset).to.equal(42);
    expect([m.msgId, m.maxSize, m.flags, m.usm.boots, m.usm.time, m.usm.userName.toString()]).to.deep.equal([1, 1500, 1, 1, 2, 'u']);
    expect(m.data.raw.toString('hex')).to.equal(expected.subarray(expected.length - 24).toString('hex'));
  });

  const header = (global: Buffer, sp: Buffer = hex('30 0e 0400 020100 020100 0400 0400 0400')) =>
    tlv(Tag.Sequence, [encodeInteger(3), global, tlv(Tag.OctetString, sp), scopedPdu(Buffer.alloc(0), Buffer.alloc(0), pdu)]);

  it('refuses inconsistent headers as invalid messages, other security models as unknown', () => {
    const g = (flags: string, max = '020205dc', model = '020103') => hex(`30 ${(3 + max.length / 2 + flags.length / 2 + 3).toString(16).padStart(2, '0')} 020101 ${max} ${flags} ${model}`);
    expect(() => decodeV3(header(g('04020404')))).to.throw(InvalidMessageError, 'msgFlags of 2 octets');
    expect(() => decodeV3(header(g('0400')))).to.throw(InvalidMessageError, 'msgFlags of 0 octets');
    expect(() => decodeV3(header(g('040106')))).to.throw(InvalidMessageError, 'privacy without authentication');
    expect(() => decodeV3(header(g('040104', '020164')))).to.throw(InvalidMessageError, 'msgMaxSize 100');
    expect(() => decodeV3(header(g('040104', '020205dc', '020102')))).to.throw(UnknownSecurityModelError);
  });

  it('refuses oversized and truncated security parameters as parse errors', () => {
    const g = hex('30 0d 020101 020205dc 040104 020103');
    const long = tlv(Tag.Sequence, [tlv(Tag.OctetString, Buffer.alloc(0)), encodeInteger(0), encodeInteger(0), tlv(Tag.OctetString, Buffer.alloc(33, 0x61)), tlv(Tag.OctetString, Buffer.alloc(0)), tlv(Tag.OctetString, Buffer.alloc(0))]);
    expect(() => decodeV3(header(g, long))).to.throw('msgUserName longer than 32 octets');
    const engine33 = tlv(Tag.Sequence, [tlv(Tag.OctetString, Buffer.alloc(33)), encodeInteger(0), encodeInteger(0), tlv(Tag.OctetString, Buffer.alloc(0)), tlv(Tag.OctetString, Buffer.alloc(0)), tlv(Tag.OctetString, Buffer.alloc(0))]);
    expect(() => decodeV3(header(g, engine33))).to.throw('msgAuthoritativeEngineID longer than 32 octets');
    expect(() => decodeV3(header(g, hex('30 0e 0400 02 01 ff 020100 0400 0400 0400')))).to.throw('msgAuthoritativeEngineBoots -1 out of range');
    // a security-parameters length that claims 4 GB
    const huge = Buffer.concat([hex('30 84 00 00 00 40 020103'), g, hex('04 84 ff ff ff ff 30 00')]);
    expect(() => decodeV3(huge)).to.throw('length beyond the end of its container');
    const ok = header(g);
    for (let n = 0; n < ok.length; n++) expect(() => decodeV3(ok.subarray(0, n)), `truncated to ${n}`).to.throw();
  });
});

describe('USM processing of hostile input', () => {
  const engine: EngineIdentity = { id: hex('80007ed905 0102030405060708'), boots: 5, time: () => 200 };
  const hash = 'sha256';
  const authKey = localizeKey(hash, passwordToKey(hash, Buffer.from('alice auth pass')), engine.id);
  const privKeyBytes = localizeKey(hash, passwordToKey(hash, Buffer.from('alice priv pass')), engine.id).subarray(0, 16);
  const serving = buildServing(new MailSystem(), new SnmpStats(), { contact: 'c', location: 'l' });
  const oids = (name: string) => [...serving.tree.object(name).oid, 0];
  const counterOids: CounterOids = {
    unsupportedSecLevels: oids('usmStatsUnsupportedSecLevels'),
    notInTimeWindows: oids('usmStatsNotInTimeWindows'),
    unknownUserNames: oids('usmStatsUnknownUserNames'),
    unknownEngineIDs: oids('usmStatsUnknownEngineIDs'),
    wrongDigests: oids('usmStatsWrongDigests'),
    decryptionErrors: oids('usmStatsDecryptionErrors'),
    unknownPDUHandlers: oids('snmpUnknownPDUHandlers'),
    unknownContexts: oids('snmpUnknownContexts'),
  };
  const setup = () => {
    const stats = new SnmpStats();
    const usm = new Usm(
      engine,
      [{ name: 'alice', auth: { protocol: AUTH_PROTOCOLS['SHA-256'], key: authKey }, priv: { protocol: PRIV_PROTOCOLS.AES, key: privKeyBytes } }],
      counterOids,
      65507,
      () => ++stats.unknownPDUHandlers,
    );
    const v3 = { usm, access: new Map([['alice', { minLevel: Level.authPriv }]]) };
    const serve = (buf: Buffer) => serveV3(v3, buf, { index: serving.index, stats, maxSize: 65507 });
    return { stats, usm, serve };
  };

  /** A GET of sysName.0 as alice, authPriv, at engine time `time`. */
  const request = (opts: { engineId?: Buffer; time?: number; msgId?: number } = {}) => {
    const get = tlv(Tag.GetRequest, [encodeInteger(77), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence, [tlv(Tag.Sequence, [encodeOid([1, 3, 6, 1, 2, 1, 1, 5, 0]), Buffer.from([5, 0])])])]);
    const salt = hex('0000000000000001');
    const ctx = { boots: engine.boots, time: opts.time ?? 200 };
    const data = encrypt(PRIV_PROTOCOLS.AES, privKeyBytes, ctx, salt, scopedPdu(engine.id, Buffer.alloc(0), get));
    const { message, authOffset } = encodeV3({
      msgId: opts.msgId ?? 9,
      maxSize: 65507,
      flags: 7,
      engineId: opts.engineId ?? engine.id,
      boots: ctx.boots,
      time: ctx.time,
      userName: Buffer.from('alice'),
      macLength: 24,
      privParams: salt,
      data,
      encrypted: true,
    });
    authDigest(AUTH_PROTOCOLS['SHA-256'], authKey, message).copy(message, authOffset);
    return message;
  };

  /** The single varbind of a Report: [OID, Counter32 value]. */
  const reportOf = (msg: Buffer): [string, number] => {
    const m = decodeV3(msg);
    const { pdu } = openScopedPdu(m.data.raw);
    const r = pdu.sequence(Tag.Report);
    r.integer();
    r.integer();
    r.integer();
    const vb = r.sequence().sequence();
    return [vb.oid().join('.'), vb.integer(Tag.Counter32)];
  };

  it('answers a well-made request, and refuses the same bytes out of the time window', () => {
    const { serve, usm } = setup();
    const ok = serve(request());
    expect(ok.message).to.not.equal(null);
    expect(decodeV3(ok.message!).flags).to.equal(3);
    // 150 seconds either way is in the window (RFC 3414 3.2 step 7), 151 is not
    expect(decodeV3(serve(request({ time: 350 })).message!).flags).to.equal(3);
    expect(decodeV3(serve(request({ time: 50 })).message!).flags).to.equal(3);
    expect(reportOf(serve(request({ time: 351 })).message!)).to.deep.equal([counterOids.notInTimeWindows.join('.'), 1]);
    expect(reportOf(serve(request({ time: 49 })).message!)).to.deep.equal([counterOids.notInTimeWindows.join('.'), 2]);
    expect(usm.stats).to.deep.equal(Object.assign(new UsmStats(), { notInTimeWindows: 2 }));
  });

  it('10000 requests for random engine IDs: 10000 Reports with the true count, no state kept', () => {
    const { serve, usm } = setup();
    const rand = prng(7);
    for (let i = 1; i <= 10000; i++) {
      const id = Buffer.alloc(5 + Math.floor(rand() * 28));
      for (let k = 0; k < id.length; k++) id[k] = Math.floor(rand() * 256);
      const out = serve(request({ engineId: id, msgId: i }));
      const [oid, value] = reportOf(out.message!);
      expect(oid).to.equal(counterOids.unknownEngineIDs.join('.'));
      expect(value).to.equal(i);
      // the Report names our engine, unauthenticated
      const m = decodeV3(out.message!);
      expect([m.flags, m.msgId, m.usm.engineId.equals(engine.id)]).to.deep.equal([0, i, true]);
    }
    expect(usm.stats.unknownEngineIDs).to.equal(10000);
    // the only maps a Usm holds are its configured users
    expect(Object.values(usm).filter((v) => v instanceof Map).map((m) => (m as Map<unknown, unknown>).size)).to.deep.equal([1]);
  });

  it('a flipped bit anywhere is counted (parse error, invalid, digest, ...) and never throws', () => {
    const { serve, stats, usm } = setup();
    const good = request();
    const rand = prng(11);
    let answered = 0;
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const bad = Buffer.from(good);
      const flips = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < flips; k++) bad[Math.floor(rand() * bad.length)] ^= 1 << Math.floor(rand() * 8);
      const out = serve(bad);
      if (out.message && decodeV3(out.message).flags === 3) answered++;
    }
    const s = usm.stats;
    const counted =
      stats.inASNParseErrs + stats.invalidMsgs + stats.unknownSecurityModels + stats.unknownPDUHandlers +
      s.unknownEngineIDs + s.unknownUserNames + s.unsupportedSecLevels + s.wrongDigests + s.notInTimeWindows + s.decryptionErrors;
    // a flip in a varbind's NULL value or in ignorable padding can still be a valid request
    expect(answered).to.be.below(n / 20);
    expect(counted + answered).to.be.at.least(n - n / 50);
    expect(s.wrongDigests).to.be.above(n / 4);
  });

  it('truncated at every length: a parse error each, no answer', () => {
    const { serve, stats } = setup();
    const good = request();
    for (let k = 0; k < good.length; k++) expect(serve(good.subarray(0, k)).message).to.equal(null);
    expect(stats.inASNParseErrs).to.equal(good.length);
  });

  it('a scopedPDU naming another contextEngineID is reported with snmpUnknownPDUHandlers', () => {
    const { usm } = setup();
    const get = tlv(Tag.GetRequest, [encodeInteger(5), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence, [])]);
    const { message } = encodeV3({ msgId: 3, maxSize: 65507, flags: 4, engineId: engine.id, boots: 5, time: 100, userName: Buffer.from('alice'), macLength: 0, privParams: Buffer.alloc(0), data: scopedPdu(hex('0102030405'), Buffer.alloc(0), get), encrypted: false });
    const out = usm.process(decodeV3(message));
    // (noAuthNoPriv is for rouser to refuse, not USM: the context is checked first)
    expect(out.kind === 'report' && reportOf(out.message!)).to.deep.equal([counterOids.unknownPDUHandlers.join('.'), 1]);
    const { message: m2 } = encodeV3({ msgId: 3, maxSize: 65507, flags: 4, engineId: engine.id, boots: 5, time: 100, userName: Buffer.from('nobody'), macLength: 0, privParams: Buffer.alloc(0), data: scopedPdu(hex('0102030405'), Buffer.alloc(0), get), encrypted: false });
    const r = usm.process(decodeV3(m2));
    expect(r.kind === 'report' && reportOf(r.message!)).to.deep.equal([counterOids.unknownUserNames.join('.'), 1]);
  });

  it('a context name we do not serve counts in snmpUnknownContexts, reported only when reportable', () => {
    const { usm } = setup();
    const get = tlv(Tag.GetRequest, [encodeInteger(6), encodeInteger(0), encodeInteger(0), tlv(Tag.Sequence, [])]);
    const msg = (flags: number) => encodeV3({ msgId: 4, maxSize: 65507, flags, engineId: engine.id, boots: 5, time: 100, userName: Buffer.from('alice'), macLength: 0, privParams: Buffer.alloc(0), data: scopedPdu(engine.id, Buffer.from('other'), get), encrypted: false }).message;
    const out = usm.process(decodeV3(msg(4)));
    expect(out.kind === 'report' && reportOf(out.message!)).to.deep.equal([counterOids.unknownContexts.join('.'), 1]);
    expect(counterOids.unknownContexts.join('.')).to.equal('1.3.6.1.6.3.12.1.5.0');
    const quiet = usm.process(decodeV3(msg(0)));
    expect(quiet).to.deep.equal({ kind: 'report', message: null, reason: 'only the default context is served' });
    expect(usm.stats.unknownContexts).to.equal(2);
  });
});
