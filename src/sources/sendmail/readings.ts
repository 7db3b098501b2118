// What Sendmail's own files say, put on the MTA's rows: the statistics file on the mailer
// groups and the MTA totals (the columns Net-SNMP's mta_sendmail serves, with its values),
// its connection counts on the application, and the queue directories on the queue groups.

import type { QueueGroupScan } from './queue-dir.js';
import type { SendmailRows } from './rows.js';
import { MODEL_OCTETS_PER_KBYTE as K, type SendmailStatistics } from './statistics.js';

/**
 * Puts a statistics file reading on the rows. The file's values are served as they are, as
 * mta_sendmail does; when they go back (`mailstats -p`, a new file) the group's
 * mtaGroupCreationTime moves to `at`, the MIB's mark of a counter discontinuity.
 */
export class StatisticsReadings {
  private last?: SendmailStatistics;

  constructor(private readonly rows: SendmailRows) {}

  apply(st: SendmailStatistics, mailers: readonly string[], at: number): void {
    const reset = this.last !== undefined && st.initTime !== this.last.initTime;
    mailers.forEach((name, i) => {
      const m = st.mailers[i];
      const ch = this.rows.mailer(name, at, i + 1);
      if (!m || !ch) return;
      const rejected = m.rejected + m.discarded;
      const back =
        m.from < ch.receivedMessages || m.kbytesFrom * K < ch.receivedVolume || m.to < ch.transmittedMessages || m.kbytesTo * K < ch.transmittedVolume || rejected < ch.rejectedMessages;
      if (reset || (this.last !== undefined && back)) ch.createdAt = at;
      ch.receivedMessages = m.from;
      ch.receivedVolume = m.kbytesFrom * K;
      ch.transmittedMessages = m.to;
      ch.transmittedVolume = m.kbytesTo * K;
      ch.rejectedMessages = rejected;
    });
    // mtaTable sums every slot, as mailstats' T line and mta_sendmail do
    const all = { from: 0, kbytesFrom: 0, to: 0, kbytesTo: 0 };
    for (const m of st.mailers) {
      all.from += m.from;
      all.kbytesFrom += m.kbytesFrom;
      all.to += m.to;
      all.kbytesTo += m.kbytesTo;
    }
    const t = this.rows.mta.counters;
    t.receivedMessages = all.from;
    t.receivedVolume = all.kbytesFrom * K;
    t.transmittedMessages = all.to;
    t.transmittedVolume = all.kbytesTo * K;
    // applTable: SMTP sessions the daemon accepted and connections it made (the C line's
    // "rejected" counts refused and discarded messages, not connections: not used here)
    const app = this.rows.app;
    app.accumulatedInboundAssociations = st.connections.from;
    app.accumulatedOutboundAssociations = st.connections.to;
    this.last = st;
  }
}

/**
 * Puts a queue scan on the queue groups and the MTA's stored totals (volumes in sendmail's
 * kilobytes, per df file). A group whose directories could not all be listed keeps its last
 * values (its input row says why): an unreadable queue is not an empty one.
 */
export function applyQueue(rows: SendmailRows, scans: readonly QueueGroupScan[], at: number): void {
  const t = rows.mta.counters;
  t.storedMessages = 0;
  t.storedVolume = 0;
  t.storedRecipients = 0;
  for (const g of scans) {
    const ch = rows.queueGroup(g.name, g.dirs.join(' ') || g.name, at);
    if (!ch) continue;
    if (g.complete) {
      ch.storedMessages = g.messages;
      ch.storedVolume = g.kbytes * K;
      ch.storedRecipients = g.recipients;
      // written only when changed, so an unchanged queue leaves the checkpoint as it was
      if (ch.oldestMessageStoredAt !== g.oldest?.at) ch.oldestMessageStoredAt = g.oldest?.at;
      if (ch.oldestMessageId !== (g.oldest?.id ?? '')) ch.oldestMessageId = g.oldest?.id ?? '';
    }
    t.storedMessages += ch.storedMessages;
    t.storedVolume += ch.storedVolume;
    t.storedRecipients += ch.storedRecipients;
  }
}
