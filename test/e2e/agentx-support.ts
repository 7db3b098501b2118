// Shared by the AgentX tests: the mail-system model served through the master, and a
// test index with one value of every SNMP type under an unused arc of the madman subtree.

import { MailSystem } from '../../src/model/mail-system.js';
import { EncodeError, NULL_VALUE, Tag, encodeInteger, encodeOid, encodeUnsigned, encodeUnsigned32, tlv } from '../../src/snmp/ber.js';
import { OidIndex, sortRows } from '../../src/snmp/oid-index.js';

/** A model with rows in every table we serve, strings in UTF-8, and no clock-driven values. */
export function servingModel(): MailSystem {
  const model = new MailSystem();
  const app = model.addApplication('postfix', { version: '3.7.11', description: 'Postfix – Grüße aus Köln ✉', url: 'smtp://mx.example.test/' });
  // mtaGroupCreationTime counts from createdAt: a time not yet reached reads 0, so two walks agree
  const createdAt = Date.now() + 86_400_000;
  const smtp = model.addChannel(app, 'smtpd', { receivedMessages: 120, receivedVolume: 1_000_000, description: 'inbound SMTP', createdAt });
  const out = model.addChannel(app, 'smtp', {
    transmittedMessages: 99,
    outboundConnectFailureReason: 'connect to relay.example.test[192.0.2.7]:25: Connection refused',
    createdAt,
  });
  model.countError(smtp, '5.7.1', 'inbound', 3);
  model.countError(out, '4.4.1', 'outbound', 7);
  model.addApplication('dovecot', { version: '2.3.19', description: 'IMAP' });
  const input = model.addInput('postfix', '/var/log/mail.log');
  input.lines = 4242;
  return model;
}

/** An arc of the madman subtree no MIB object uses: test objects only. */
export const BASE = [1, 3, 6, 1, 4, 1, 32473, 99];
export const B = BASE.join('.');

export const SCALARS: Array<[string, () => Buffer]> = [
  ['integer', () => encodeInteger(-2147483648)],
  ['binary', () => tlv(Tag.OctetString, Buffer.from([0x00, 0xff, 0x80, 0x0a, 0x7f]))],
  ['utf8', () => tlv(Tag.OctetString, Buffer.from('Grüße ✉ 日本', 'utf8'))],
  ['null', () => NULL_VALUE],
  ['oid', () => encodeOid([1, 3, 6, 1, 4, 1, 32473, 3, 4294967295])],
  ['ip', () => tlv(Tag.IpAddress, Buffer.from([192, 0, 2, 254]))],
  ['counter32', () => encodeUnsigned32(4294967295, Tag.Counter32)],
  ['gauge32', () => encodeUnsigned32(2147483648, Tag.Gauge32)],
  ['timeticks', () => encodeUnsigned32(4294967295, Tag.TimeTicks)],
  ['opaque', () => tlv(Tag.Opaque, Buffer.from([0x01, 0x02, 0x03]))],
  ['counter64max', () => encodeUnsigned(0xffffffffffffffffn, Tag.Counter64, 0xffffffffffffffffn)],
  ['counter64', () => encodeUnsigned(4294967297n, Tag.Counter64, 0xffffffffffffffffn)],
  ['empty', () => tlv(Tag.OctetString, Buffer.alloc(0))],
  ['long', () => tlv(Tag.OctetString, Buffer.alloc(1000, 0x61))],
];
/** Arc of the scalar that cannot be encoded (genErr). */
export const BROKEN = 50;

export function valuesIndex(): OidIndex {
  const index = new OidIndex();
  SCALARS.forEach(([name, read], i) => index.add({ kind: 'scalar', oid: [...BASE, i + 1], name, read, counter64: name.startsWith('counter64') }));
  index.add({
    kind: 'scalar',
    oid: [...BASE, BROKEN],
    name: 'broken',
    counter64: false,
    read: () => {
      throw new EncodeError('not encodable');
    },
  });
  // a table indexed by strings (length + octets), two columns
  const rows = sortRows(['b', 'a', 'ü'], (r) => [Buffer.byteLength(r), ...Buffer.from(r)]);
  const current = () => rows;
  index.add({ kind: 'column', oid: [...BASE, 60, 1, 2], name: 'tName', counter64: false, rows: { current }, read: (r) => tlv(Tag.OctetString, Buffer.from(String(r))) });
  index.add({ kind: 'column', oid: [...BASE, 60, 1, 3], name: 'tBig', counter64: true, rows: { current }, read: () => encodeUnsigned(2n ** 40n, Tag.Counter64, 2n ** 64n - 1n) });
  return index;
}

