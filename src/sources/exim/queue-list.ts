// Exim's queue as `exim -bp` (or exiqgrep, or mailq) lists it, read into figures:
//
//    5m  1.9K 1xahCn-0008MG-32 <> *** frozen ***
//            D bob@example.test
//              alice@far.test
//
// one block per message: time on the queue, size (bytes below 1 KiB, else `1.9K`, `12K`,
// `1.2M`: rounded, so the log's exact size is used when known), the message id, the sender
// in `<>` (and `(login)` when set by an untrusted caller), ` *** frozen ***`; then one line
// per recipient, `D` marking those already delivered. `exim -bpc` prints only the count.

import { isMessageId, messageIdTime } from './parse.js';

/** One queued message. */
export interface QueuedMessage {
  id: string;
  /** when it arrived (from its id), epoch ms */
  arrived: number;
  /** size in octets as listed (rounded above 1 KiB) */
  size: number;
  sender: string;
  frozen: boolean;
  /** recipients not delivered yet */
  recipients: number;
}

/** What a queue listing says. */
export interface QueueListing {
  /** every message listed (empty for a bare count) */
  messages: QueuedMessage[];
  /** the number of messages (`exim -bpc`, or messages.length) */
  count: number;
}

/** `456`, `1.6K`, `12K`, `1.2M` -> octets. */
export function listedSize(t: string): number {
  if (t === '') return 0;
  const unit = t.endsWith('K') ? 1024 : t.endsWith('M') ? 1024 * 1024 : 1;
  const n = Number(unit === 1 ? t : t.slice(0, -1));
  return Number.isFinite(n) && n >= 0 ? Math.round(n * unit) : 0;
}

/**
 * Reads the output of `exim -bp` (also exiqgrep's and mailq's, the same format) or of
 * `exim -bpc` (a number). Throws on output that is neither, so a wrong queue command is
 * reported rather than read as an empty queue.
 */
export function parseQueueListing(out: string): QueueListing {
  const trimmed = out.trim();
  if (/^\d+$/.test(trimmed)) return { messages: [], count: Number(trimmed) };
  const messages: QueuedMessage[] = [];
  let cur: QueuedMessage | undefined;
  let lineNo = 0;
  for (const raw of out.split('\n')) {
    lineNo++;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      cur = undefined;
      continue;
    }
    // a recipient: 8 spaces, `D` or a space (or `+D` for -bpa's generated addresses), the address
    const rec = /^ {6,}(\+?D)? +(\S.*)$/.exec(line);
    if (cur && rec && !/^\s*\d+[mhd]\s/.test(line)) {
      if (!rec[1]) cur.recipients++;
      continue;
    }
    if (line.startsWith('    ***')) continue; // spool read error of the message above
    const m = /^ *(\d+)([mhd]) +(\S*?) ?(\S{16}|\S{23})(?: (<.*?>)(?: \(.*?\))?)?( \*\*\* frozen \*\*\*)?$/.exec(line);
    if (!m || !isMessageId(m[4]!)) throw new Error(`queue listing line ${lineNo} not understood: ${line.slice(0, 120)}`);
    const id = m[4]!;
    cur = {
      id,
      arrived: messageIdTime(id) ?? 0,
      size: listedSize(m[3]!),
      sender: m[5] ? m[5].slice(1, -1) : '',
      frozen: m[6] !== undefined,
      recipients: 0,
    };
    messages.push(cur);
  }
  return { messages, count: messages.length };
}
