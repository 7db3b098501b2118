// SNMPv3 and VACM costs, in process (no UDP, no tools): what a view adds to a walk,
// and what USM adds to one request, per protocol.
//
//   npx tsc -p . && node dist/scripts/bench-v3.js [--channels N] [--requests K]
//
// Walk: GETNEXT from .1 to the end over an mtaGroupTable of N channels, without a
// view, through a view that includes everything, and through one that hides one
// column of every row (the worst case: a table shown partly, checked row by row).
// Requests: K GETs of sysName.0 as v2c, and as v3 authNoPriv/authPriv through USM.

import { parseArgs } from 'node:util';
import { buildServing } from '../src/agent.js';
import { MailSystem } from '../src/model/mail-system.js';
import { Tag, encodeInteger, encodeOid, tlv } from '../src/snmp/ber.js';
import { answer } from '../src/snmp/engine.js';
import { decodeMessage } from '../src/snmp/message.js';
import { SnmpStats } from '../src/snmp/stats.js';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS, authDigest, encrypt, localizeKey, passwordToKey, type AuthName } from '../src/snmp/usm/crypto.js';
import { encodeV3, scopedPdu } from '../src/snmp/usm/message3.js';
import { Level, Usm, type CounterOids } from '../src/snmp/usm/usm.js';
import { serveV3 } from '../src/snmp/v3-serving.js';
import { MibView, nextInView } from '../src/snmp/vacm.js';

const { values } = parseArgs({ options: { channels: { type: 'string', default: '20000' }, requests: { type: 'string', default: '5000' } } });
const channels = Number(values.channels);
const requests = Number(values.requests);

const model = new MailSystem();
const app = model.addApplication('mta');
for (let i = 0; i < channels; i++) model.addChannel(app, `ch${i}`, { receivedMessages: i });
const stats = new SnmpStats();
const { index, tree, ctx } = buildServing(model, stats, { contact: 'c', location: 'l' });
ctx.tick();

/** The median of 5 timed runs after one untimed warm-up. */
const time = (f: () => number): { ms: number; n: number } => {
  let n = f();
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    n = f();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: runs.sort((x, y) => x - y)[2]!, n };
};

const walk = (view?: MibView) => () => {
  let at: readonly number[] = [1];
  let n = 0;
  for (;;) {
    const look = nextInView(index, at, view);
    if (!look.found) return n;
    look.read();
    at = look.oid;
    n++;
  }
};
const everything = new MibView('all', [{ subtree: [1], included: true }]);
const noColumn = new MibView('no-received', [
  { subtree: [1], included: true },
  { subtree: [...tree.object('mtaGroupReceivedMessages').oid, 1, 5], included: false },
]);
const walks = [['no view', undefined], ['view of everything', everything], ['view hiding one cell of a column', noColumn]] as const;
for (const [, view] of walks) walk(view)(); // warm every path before timing any
for (const [label, view] of walks) {
  const { ms, n } = time(walk(view));
  console.log(`walk, ${label}: ${n} instances in ${ms.toFixed(0)} ms (${((ms * 1e6) / n).toFixed(0)} ns per GETNEXT)`);
}

// ---- requests ----
const sysName = tlv(Tag.Sequence, [tlv(Tag.Sequence, [encodeOid([1, 3, 6, 1, 2, 1, 1, 5, 0]), Buffer.from([5, 0])])]);
const get = tlv(Tag.GetRequest, [encodeInteger(1), encodeInteger(0), encodeInteger(0), sysName]);
const v2 = tlv(Tag.Sequence, [encodeInteger(1), tlv(Tag.OctetString, Buffer.from('public')), get]);
const per = (label: string, f: () => void) => {
  const { ms } = time(() => {
    for (let i = 0; i < requests; i++) f();
    return requests;
  });
  console.log(`${label}: ${((ms * 1000) / requests).toFixed(1)} µs per request`);
};
per('v2c GET sysName.0', () => answer(index, decodeMessage(v2), 65507, stats));

const engine = { id: Buffer.from('80007ed9050102030405060708', 'hex'), boots: 1, time: () => 0 };
const oid = (n: string) => [...tree.object(n).oid, 0];
const oids: CounterOids = {
  unsupportedSecLevels: oid('usmStatsUnsupportedSecLevels'),
  notInTimeWindows: oid('usmStatsNotInTimeWindows'),
  unknownUserNames: oid('usmStatsUnknownUserNames'),
  unknownEngineIDs: oid('usmStatsUnknownEngineIDs'),
  wrongDigests: oid('usmStatsWrongDigests'),
  decryptionErrors: oid('usmStatsDecryptionErrors'),
  unknownPDUHandlers: oid('snmpUnknownPDUHandlers'),
  unknownContexts: oid('snmpUnknownContexts'),
};
for (const [auth, priv] of [['SHA', undefined], ['SHA-256', undefined], ['SHA-256', 'AES'], ['SHA-512', 'AES-256']] as const) {
  const a = AUTH_PROTOCOLS[auth as AuthName];
  const authKey = localizeKey(a.hash, passwordToKey(a.hash, Buffer.from('auth pass phrase')), engine.id);
  const p = priv ? PRIV_PROTOCOLS[priv] : undefined;
  const privKey = localizeKey(a.hash, passwordToKey(a.hash, Buffer.from('priv pass phrase')), engine.id);
  const user = { name: 'u', auth: { protocol: a, key: authKey }, ...(p ? { priv: { protocol: p, key: privKey.subarray(0, p.keyLength) } } : {}) };
  const usm = new Usm(engine, [user], oids, 65507, () => 0);
  const v3 = { usm, access: new Map([['u', { minLevel: Level.authNoPriv }]]) };
  const salt = Buffer.alloc(8, 1);
  const plain = scopedPdu(engine.id, Buffer.alloc(0), get);
  const data = p ? encrypt(p, privKey.subarray(0, p.keyLength), { boots: 1, time: 0 }, salt, plain) : plain;
  const { message, authOffset } = encodeV3({
    msgId: 1, maxSize: 65507, flags: p ? 7 : 5, engineId: engine.id, boots: 1, time: 0, userName: Buffer.from('u'),
    macLength: a.macLength, privParams: p ? salt : Buffer.alloc(0), data, encrypted: Boolean(p),
  });
  authDigest(a, authKey, message).copy(message, authOffset);
  per(`v3 ${p ? 'authPriv' : 'authNoPriv'} ${auth}${p ? `+${p.name}` : ''} GET sysName.0`, () => {
    if (!serveV3(v3, message, { index, stats, maxSize: 65507 }).message) throw new Error('no answer');
  });
}
