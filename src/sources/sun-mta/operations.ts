// Which per-recipient records of the Messaging Server log are one operation on one message
// (one enqueue, one dequeue, one failed attempt...): the log writes one line per recipient,
// and the lines of one message need not share their stamp (they spread over hundredths or
// seconds under load) nor follow one another (other messages' lines come in between).
//
// A record belongs to an operation when it has the same action, source and destination
// channel, size, envelope sender, queue file name and Message-ID (those logged), names a
// recipient the operation has not had yet, and comes at most WINDOW_MS after the
// operation's previous record. docs/sun-mta.md ("Messages") states the rule and its limit.
// Constant time per record: expired operations are dropped once per WINDOW_MS of log time
// (so at most two windows' worth are held), a lookup checks the window itself.

import type { MessageRecord } from './parse.js';

/** How far apart (log time) two records of one operation may be. */
export const WINDOW_MS = 5_000;

/** An operation as checkpointed: its id, the time of its last record, its recipients. */
export interface SavedOperation {
  id: number;
  last: number;
  rcpts: string[];
}

interface Operation {
  id: number;
  last: number;
  /** recipients so far as original, active address pairs; a set of "orig to" beyond a few (a long list) */
  pairs: string[];
  many?: Set<string>;
}

/** recipients an operation looks up in `pairs` before it keeps them in a set */
const FEW = 8;

export class Operations {
  /** by identity: action, channels, size, sender, file, Message-ID */
  private open = new Map<string, Operation>();
  private seq = 0;
  private nextPrune = -Infinity;
  /** whether the record given to the last of() started its operation (its message and blocks count then) */
  first = false;
  private prev?: MessageRecord;
  private prevKey = '';
  private prevOp?: Operation;

  /**
   * The operation `r` belongs to, by its id (unique, also across restarts: it names the
   * message an enqueue made); `first` tells whether `r` started it.
   */
  of(r: MessageRecord): number {
    const t = r.time;
    if (t >= this.nextPrune) this.prune(t);
    // most often the previous record's operation: known without building its key
    const p = this.prev;
    const same =
      p !== undefined &&
      p.action === r.action &&
      p.source === r.source &&
      p.destination === r.destination &&
      p.blocks === r.blocks &&
      p.from === r.from &&
      p.file === r.file &&
      p.messageId === r.messageId;
    this.prev = r;
    const key = same ? this.prevKey : `${r.action}|${r.source}|${r.destination ?? ''}|${r.blocks}|${r.from}|${r.file ?? ''}|${r.messageId ?? ''}`;
    this.prevKey = key;
    const o = same ? this.prevOp : this.open.get(key);
    if (o && t - o.last <= WINDOW_MS && !has(o, r.origTo, r.to)) {
      add(o, r.origTo, r.to);
      if (t > o.last) o.last = t;
      this.first = false;
      this.prevOp = o;
      return o.id;
    }
    const id = ++this.seq;
    const made: Operation = { id, last: t, pairs: [r.origTo, r.to] };
    this.open.set(key, made);
    this.prevOp = made;
    this.first = true;
    return id;
  }

  private prune(t: number): void {
    this.nextPrune = t + WINDOW_MS;
    for (const [k, o] of this.open) if (t - o.last > WINDOW_MS) this.open.delete(k);
  }

  snapshot(): { operations: Array<[string, SavedOperation]>; operationSeq: number } {
    return {
      operations: [...this.open].map(([k, o]) => [k, { id: o.id, last: o.last, rcpts: recipients(o) }]),
      operationSeq: this.seq,
    };
  }

  /** From a checkpoint; one written before operations were kept has none (nothing open). */
  restore(operations: Array<[string, SavedOperation]> | undefined, seq: number | undefined): void {
    this.open = new Map();
    for (const [k, o] of operations ?? []) {
      const made: Operation = { id: o.id, last: o.last, pairs: [] };
      for (const r of o.rcpts) add(made, ...splitRcpt(r));
      this.open.set(k, made);
    }
    this.seq = seq ?? 0;
    this.nextPrune = -Infinity;
    this.prev = this.prevOp = undefined;
  }
}

function has(o: Operation, origTo: string, to: string): boolean {
  if (o.many) return o.many.has(`${origTo} ${to}`);
  const p = o.pairs;
  for (let i = 0; i < p.length; i += 2) if (p[i] === origTo && p[i + 1] === to) return true;
  return false;
}

function add(o: Operation, origTo: string, to: string): void {
  if (o.many) o.many.add(`${origTo} ${to}`);
  else if (o.pairs.length < 2 * FEW) o.pairs.push(origTo, to);
  else {
    o.many = new Set(recipients(o));
    o.many.add(`${origTo} ${to}`);
    o.pairs = [];
  }
}

function recipients(o: Operation): string[] {
  if (o.many) return [...o.many];
  const out: string[] = [];
  for (let i = 0; i < o.pairs.length; i += 2) out.push(`${o.pairs[i]} ${o.pairs[i + 1]}`);
  return out;
}

/** "orig-to to" back into its two addresses (neither holds a space: the log separates fields by one). */
function splitRcpt(rcpt: string): [string, string] {
  const i = rcpt.indexOf(' ');
  return i < 0 ? [rcpt, ''] : [rcpt.slice(0, i), rcpt.slice(i + 1)];
}
