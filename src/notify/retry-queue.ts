// A bounded queue delivered one item at a time, in order, with exponential backoff
// between failed attempts: what an inform sink and the mail notice need so that a
// receiver that is down gets everything once it is back, without ever blocking the
// agent. When full, the oldest item is dropped (and counted): the newest state matters most.

export interface RetryOptions {
  /** items kept while undeliverable */
  size: number;
  /** first wait after a failure, ms */
  initialDelayMs: number;
  /** longest wait, ms */
  maxDelayMs: number;
}

export class RetryQueue<T> {
  private readonly items: T[] = [];
  private busy = false;
  private delay: number;
  private timer?: NodeJS.Timeout;
  private closed = false;
  dropped = 0;
  delivered = 0;
  failures = 0;

  constructor(
    private readonly deliver: (item: T) => Promise<void>,
    private readonly opts: RetryOptions,
    private readonly onFailure: (err: Error, waitMs: number, queued: number) => void,
    private readonly onDrop: (dropped: number) => void = () => {},
  ) {
    this.delay = opts.initialDelayMs;
  }

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    if (this.items.length > this.opts.size) {
      this.items.shift();
      this.dropped++;
      this.onDrop(this.dropped);
    }
    this.pump();
  }

  private pump(): void {
    if (this.busy || this.timer || this.closed || this.items.length === 0) return;
    this.busy = true;
    const item = this.items[0]!;
    this.deliver(item).then(
      () => {
        this.busy = false;
        // the item may have been dropped for a newer one meanwhile
        if (this.items[0] === item) this.items.shift();
        this.delivered++;
        this.delay = this.opts.initialDelayMs;
        this.pump();
      },
      (err: unknown) => {
        this.busy = false;
        this.failures++;
        const wait = this.delay;
        this.delay = Math.min(this.opts.maxDelayMs, this.delay * 2);
        this.onFailure(err instanceof Error ? err : new Error(String(err)), wait, this.items.length);
        if (this.closed) return;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        this.timer.unref();
      },
    );
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
