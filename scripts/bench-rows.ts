// Synthetic mtaGroupTable rows for the walk benchmark, made once and served two ways:
// as madman model channels, and as Net-SNMP snmpd.conf `add_row` lines (table_dataset).
// Both agents then serve the same values, so their walks carry the same bytes
// (time columns aside: madman computes them from timestamps at request time).

import type { Application, MailSystem } from '../src/model/mail-system.js';

/** mtaGroupTable and its entry, numerically (MTA-MIB, RFC 2789). */
export const GROUP_TABLE = '1.3.6.1.2.1.28.2';
export const GROUP_ENTRY = `${GROUP_TABLE}.1`;
/** Accessible columns 2..34 (mtaGroupIndex, column 1, is not-accessible). */
export const GROUP_COLUMNS = 33;
/** TimeInterval columns: madman computes them against the clock, so they drift during a run. */
export const TIME_COLUMNS: ReadonlySet<number> = new Set([12, 17, 18, 23, 30, 34]);
/** applTCPProtoID.25 (SMTP), the mtaGroupMailProtocol of every synthetic row. */
export const SMTP_PROTOCOL_OID = '1.3.6.1.2.1.27.4.25';

/** A varied counter value for row i, column c: 0..999982 (1 to 3 octets on the wire). */
function v(i: number, c: number): number {
  return (i * 7919 + c * 104729) % 999983;
}

/** Wire values of row i (1-based) for columns 2..34; numbers are what the walk prints. */
export function wireValues(i: number): Map<number, number | string> {
  const m = new Map<number, number | string>();
  for (let c = 2; c <= 34; c++) m.set(c, v(i, c));
  m.set(21, i % 3 === 0 ? '550 5.7.1 relaying denied' : '');
  m.set(22, i % 2 === 0 ? `connect to relay-${i}.example.test[192.0.2.${i % 250}]:25: Connection refused` : '');
  m.set(24, SMTP_PROTOCOL_OID);
  m.set(25, `channel-${i}`);
  m.set(28, `synthetic channel ${i} for the walk benchmark`);
  m.set(29, `smtp://relay-${i}.example.test/`);
  m.set(31, i > 10 ? Math.floor(i / 10) : 0);
  m.set(32, `<${i}.${v(i, 32)}@bench.example.test>`);
  return m;
}

/** Adds n channels (indexes 1..n in order) to one MTA application; `now` anchors the time columns. */
export function fillModel(model: MailSystem, n: number, now = Date.now()): Application {
  const app = model.addApplication('postfix', { version: '3.7.11', description: 'benchmark MTA' });
  const ago = (cs: number) => now - cs * 10;
  for (let i = 1; i <= n; i++) {
    const w = wireValues(i);
    const num = (c: number) => w.get(c) as number;
    const str = (c: number) => w.get(c) as string;
    model.addChannel(app, `channel-${i}`, {
      receivedMessages: num(2),
      rejectedMessages: num(3),
      storedMessages: num(4),
      transmittedMessages: num(5),
      receivedVolume: num(6) * 1024,
      storedVolume: num(7) * 1024,
      transmittedVolume: num(8) * 1024,
      receivedRecipients: num(9),
      storedRecipients: num(10),
      transmittedRecipients: num(11),
      oldestMessageStoredAt: ago(num(12)),
      inboundAssociations: num(13),
      outboundAssociations: num(14),
      accumulatedInboundAssociations: num(15),
      accumulatedOutboundAssociations: num(16),
      lastInboundActivity: ago(num(17)),
      lastOutboundActivity: ago(num(18)),
      rejectedInboundAssociations: num(19),
      failedOutboundAssociations: num(20),
      inboundRejectionReason: str(21),
      outboundConnectFailureReason: str(22),
      // +5 ms so that floor() gives num(23) at `now`; it counts down as time passes
      scheduledRetryAt: now + num(23) * 10 + 5,
      protocol: { transport: 'tcp', port: 25 },
      successfulConvertedMessages: num(26),
      failedConvertedMessages: num(27),
      description: str(28),
      url: str(29),
      createdAt: ago(num(30)),
      hierarchy: num(31),
      oldestMessageId: str(32),
      loopsDetected: num(33),
      lastOutboundAssociationAttempt: ago(num(34)),
    });
  }
  return app;
}

/** snmpd.conf lines making table_dataset serve the same n rows (applIndex 1, mtaGroupIndex i). */
export function* datasetLines(n: number): Generator<string> {
  yield 'table mtaGroupTable';
  for (let i = 1; i <= n; i++) {
    const w = wireValues(i);
    const cells: string[] = [];
    for (let c = 2; c <= 34; c++) {
      const x = w.get(c)!;
      cells.push(typeof x === 'number' ? String(x) : c === 24 ? `.${x}` : JSON.stringify(x));
    }
    yield `add_row mtaGroupTable 1 ${i} ${cells.join(' ')}`;
  }
}

/** DISMAN-SCHEDULE-MIB schedTable (1.3.6.1.2.1.63.1.2): a built-in snmpd table kept in a sorted container. */
export const SCHED_TABLE = '1.3.6.1.2.1.63.1.2';
/** schedTable's accessible columns 3..21. */
export const SCHED_COLUMNS = 19;

/**
 * snmpd.conf lines creating n schedTable rows (owner "snmpd.conf", names _conf001...).
 * Each would set sysName once a year; with only the scheduler and vacm_conf loaded
 * nothing serves sysName, and a year is far beyond any run.
 */
export function* schedLines(n: number): Generator<string> {
  for (let i = 1; i <= n; i++) yield `repeat 31536000 .1.3.6.1.2.1.1.5.0 = bench-${i}`;
}
