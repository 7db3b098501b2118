// One log line per cause per interval, with counts: what keeps a flood of bad packets
// or a dead inform receiver from filling the log (and costing a write per packet).
// The first occurrence of a cause is written at once; later ones within the interval
// are counted, and the next line for that cause (at the first occurrence after the
// interval, or at the periodic flush) carries how many there were.

/** Milliseconds on some clock; tests pass their own. */
export type Clock = () => number;

/** Writes one line: the cause, how many occurrences it stands for, and the fields of the first of them. */
export type EmitLine = (cause: string, count: number, fields: Record<string, unknown>) => void;

interface CauseState {
  /** when the last line for this cause was written */
  lastLine: number;
  /** occurrences since that line */
  pending: number;
  /** fields of the first pending occurrence */
  fields: Record<string, unknown>;
}

/** Causes beyond this many share one entry, so that causes an attacker can vary cannot grow memory. */
export const MAX_CAUSES = 256;
export const OTHER_CAUSES = '(other causes)';

export interface RateLimitedLogOptions {
  /** one line per cause per this many milliseconds (default 60 s) */
  intervalMs?: number;
  clock?: Clock;
  maxCauses?: number;
}

export class RateLimitedLog {
  private readonly causes = new Map<string, CauseState>();
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly maxCauses: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emit: EmitLine,
    opts: RateLimitedLogOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.clock = opts.clock ?? Date.now;
    this.maxCauses = opts.maxCauses ?? MAX_CAUSES;
  }

  /** One occurrence of `cause`; written now if no line for it was written within the interval. */
  note(cause: string, fields: Record<string, unknown> = {}): void {
    let key = cause;
    let st = this.causes.get(key);
    if (!st && this.causes.size >= this.maxCauses) {
      key = OTHER_CAUSES;
      st = this.causes.get(key);
      fields = { ...fields, cause };
    }
    const now = this.clock();
    if (!st) {
      this.causes.set(key, { lastLine: now, pending: 0, fields: {} });
      this.write(key, 1, fields);
      return;
    }
    if (st.pending === 0) st.fields = fields;
    st.pending++;
    if (now - st.lastLine >= this.intervalMs) this.release(key, st, now);
  }

  /** Writes the counts of causes whose interval has passed (all of them with `all`). */
  flush(all = false): void {
    const now = this.clock();
    for (const [key, st] of this.causes) {
      if (st.pending > 0 && (all || now - st.lastLine >= this.intervalMs)) this.release(key, st, now);
    }
    // causes quiet for a whole interval are forgotten: the next one is written at once
    for (const [key, st] of this.causes) if (st.pending === 0 && now - st.lastLine >= this.intervalMs) this.causes.delete(key);
  }

  /** Flushes on a timer that never keeps the process alive. */
  startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is still counted. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush(true);
  }

  private release(key: string, st: CauseState, now: number): void {
    const { pending, fields } = st;
    st.pending = 0;
    st.fields = {};
    st.lastLine = now;
    this.write(key, pending, fields);
  }

  private write(cause: string, count: number, fields: Record<string, unknown>): void {
    try {
      this.emit(cause, count, fields);
    } catch {
      // a log that cannot be written must not break the caller (a packet handler)
    }
  }
}
