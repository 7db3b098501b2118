// What the log says is queued: each recipient still queued in a channel (when, failed
// attempts, its message) and each message still queued (recipients left, size, when and
// under which id it was enqueued). It keeps each channel's oldest message in the model
// (mtaGroupOldestMessageStored/Id, the queueage alarm) at O(1) per line: a channel's
// messages sit in an insertion-ordered Map, and since the log is written in time order
// the first entry is the oldest; only removing that entry moves the oldest on.

import type { Channel } from '../../model/mail-system.js';
import type { Pending, Queued, SavedPending } from './state.js';

/** queued recipients remembered at most (the oldest are forgotten first) */
export const MAX_QUEUED = 200_000;

export class SunQueue {
  private queued = new Map<string, Queued>();
  /** by the grouping key of the enqueue */
  private pending = new Map<string, Pending>();
  /** channel name -> its queued messages by grouping key, in enqueue order */
  private byChannel = new Map<string, Map<string, Pending>>();

  constructor(private readonly channelOf: (name: string) => Channel | undefined) {}

  get(key: string): Queued | undefined {
    return this.queued.get(key);
  }

  /** A recipient (`key`) enqueued in `ch` by the enqueue `msg`, whose first line made its message. */
  add(ch: Channel, key: string, t: number, msg: string, blocks: number, id: string): void {
    this.forget(key);
    this.queued.set(key, { t, tries: 0, msg });
    const p = this.pending.get(msg);
    if (p) p.n++;
    else this.append(msg, { n: 1, blocks, channel: ch.name, t, id });
    if (this.queued.size > MAX_QUEUED) this.forget(this.queued.keys().next().value!);
  }

  /** Takes a recipient off the queue (D, R, K); undefined when its enqueue was not seen. */
  take(key: string): Queued | undefined {
    const q = this.queued.get(key);
    if (q) this.queued.delete(key);
    return q;
  }

  /** After take(): the message, if `q` was its last queued recipient (it has left its channel). */
  release(q: Queued): Pending | undefined {
    const p = this.pending.get(q.msg);
    if (!p || --p.n > 0) return undefined;
    this.pending.delete(q.msg);
    const m = this.byChannel.get(p.channel);
    if (m) {
      const wasOldest = m.keys().next().value === q.msg;
      m.delete(q.msg);
      if (m.size === 0) this.byChannel.delete(p.channel);
      if (wasOldest) this.showOldest(p.channel);
    }
    return p;
  }

  /** Drops a queued recipient without counting anything (enqueued again, or too old to keep). */
  forget(key: string): void {
    const q = this.take(key);
    if (q) this.release(q);
  }

  private append(msg: string, p: Pending): void {
    this.pending.set(msg, p);
    let m = this.byChannel.get(p.channel);
    if (!m) this.byChannel.set(p.channel, (m = new Map()));
    m.set(msg, p);
    if (m.size === 1) this.showOldest(p.channel);
  }

  private showOldest(name: string): void {
    const ch = this.channelOf(name);
    if (!ch) return;
    const first = this.byChannel.get(name)?.values().next().value;
    // written only when changed: a channel that never held a message keeps no such field,
    // so its checkpoint reads the same whether or not the agent restarted
    if (ch.oldestMessageStoredAt !== first?.t) ch.oldestMessageStoredAt = first?.t;
    if (ch.oldestMessageId !== (first?.id ?? '')) ch.oldestMessageId = first?.id ?? '';
  }

  // -- checkpoints ----------------------------------------------------------------------------

  snapshot(): { queued: Record<string, Queued>; pending: Record<string, Pending> } {
    return { queued: Object.fromEntries(this.queued), pending: Object.fromEntries(this.pending) };
  }

  /** From a checkpoint (in enqueue order, as saved); then sets the oldest message of every channel in `channels`. */
  restore(queued: Record<string, Queued>, pending: Record<string, SavedPending>, channels: Iterable<string>): void {
    this.queued = new Map(Object.entries(queued));
    this.pending.clear();
    this.byChannel.clear();
    const old = Object.values(pending).some((p) => p.channel === undefined || p.t === undefined || p.id === undefined);
    const derived = old ? this.fromRecipients() : undefined;
    for (const [msg, s] of Object.entries(pending)) {
      const d = derived?.get(msg);
      const channel = s.channel ?? d?.channel;
      // a message no recipient refers to could never leave: not kept
      if (channel === undefined) continue;
      this.append(msg, { n: s.n, blocks: s.blocks, channel, t: s.t ?? d?.t ?? 0, id: s.id ?? d?.id ?? '' });
    }
    for (const name of channels) this.showOldest(name);
  }

  /**
   * For checkpoints written before messages kept their channel, time and id: from their
   * queued recipients (key `channel\0id\0recipients`, whose id is the file name, else the
   * Message-ID, else the sender, which is no message id), the earliest recipient's time.
   */
  private fromRecipients(): Map<string, { channel: string; t: number; id: string }> {
    const out = new Map<string, { channel: string; t: number; id: string }>();
    for (const [key, q] of this.queued) {
      const d = out.get(q.msg);
      if (d) {
        d.t = Math.min(d.t, q.t);
        continue;
      }
      const [channel = '', id = ''] = key.split('\0');
      out.set(q.msg, { channel, t: q.t, id: id.startsWith('/') || /^<.+@.+>$/.test(id) ? id : '' });
    }
    return out;
  }
}
