// What Exim does to its entries when it logs to syslog (`log_file_path = syslog`), undone:
//
// - An entry longer than 870 characters or holding newlines (a warning with a second line,
//   a rejectlog entry with the message's header) is split into parts, each sent with a
//   `[n/m] ` or `[n\m] ` prefix: `\` when the part ends at one of the entry's newlines, `/`
//   when it was cut for length (and on the last part). The parts of one entry come from one
//   process, in order. We rebuild the entry's first line; the rest (header lines) is
//   dropped, as continuation lines of a file are.
// - Lines written to both the mainlog and the rejectlog or paniclog reach syslog twice (at
//   LOG_INFO and at LOG_NOTICE / LOG_ALERT) unless `syslog_duplication = false`. A journal
//   entry says which by its PRIORITY; a syslog file does not, so the second of two equal
//   entries in a row from one process is taken as the copy.
//
// The syslog framing itself (timestamp, host, `exim[pid]: `) is the shared module's.

/** Which of Exim's three logs an entry belongs to. */
export type EximStream = 'main' | 'reject' | 'panic';

/** Syslog priorities (RFC 5424 severity) Exim uses for each log. */
export function streamOfPriority(priority: number | undefined): EximStream {
  if (priority === undefined || priority >= 6) return 'main';
  if (priority === 5) return 'reject';
  return priority <= 2 ? 'panic' : 'main';
}

/** Most parts one entry may have (a long rejectlog header) and most characters kept for its first line. */
const MAX_PARTS = 1000;
const MAX_FIRST_LINE = 64 * 1024;
/** processes whose split entry is in progress, and whose last entry is remembered */
const MAX_PROCESSES = 4096;

interface Pending {
  next: number;
  total: number;
  text: string;
  /** the first line is complete: later parts are continuation lines */
  done: boolean;
}

/** Result of `feed`: an entry's first line, or nothing to parse (a later part, or a part still pending). */
export type PartResult = { line: string } | { continuation: true } | { pending: true };

/** Rebuilds Exim entries split for syslog, per process. */
export class SyslogParts {
  private byPid = new Map<number, Pending>();

  /** One syslog message text of process `pid` (after `exim[pid]: `). */
  feed(pid: number, text: string): PartResult {
    const p = parsePrefix(text);
    if (!p) {
      this.byPid.delete(pid);
      return { line: text };
    }
    const { n, m, newline, rest } = p;
    if (n === 1) {
      this.byPid.delete(pid);
      const st: Pending = { next: 2, total: m, text: rest, done: false };
      return this.after(pid, st, newline);
    }
    const st = this.byPid.get(pid);
    if (!st || st.next !== n || st.total !== m) {
      // a part whose start we did not see (reading began mid-entry, or parts were lost)
      return { continuation: true };
    }
    st.next++;
    if (st.done) {
      if (n >= m) this.byPid.delete(pid);
      return { continuation: true };
    }
    if (st.text.length < MAX_FIRST_LINE) st.text += rest;
    return this.after(pid, st, newline);
  }

  private after(pid: number, st: Pending, newline: boolean): PartResult {
    const last = st.next > st.total;
    if (newline || last) {
      st.done = true;
      if (!last) this.remember(pid, st);
      return { line: st.text.length > MAX_FIRST_LINE ? st.text.slice(0, MAX_FIRST_LINE) : st.text };
    }
    this.remember(pid, st);
    return { pending: true };
  }

  private remember(pid: number, st: Pending): void {
    this.byPid.delete(pid);
    this.byPid.set(pid, st);
    if (this.byPid.size > MAX_PROCESSES) this.byPid.delete(this.byPid.keys().next().value!);
  }
}

/** `[n/m] rest` or `[n\m] rest`. */
function parsePrefix(text: string): { n: number; m: number; newline: boolean; rest: string } | undefined {
  if (text.charCodeAt(0) !== 91 /* [ */) return undefined;
  const close = text.indexOf('] ');
  if (close < 4 || close > 12) return undefined;
  const inner = text.slice(1, close);
  let sep = inner.indexOf('/');
  let newline = false;
  if (sep < 0) {
    sep = inner.indexOf('\\');
    newline = true;
  }
  if (sep <= 0) return undefined;
  const n = Number(inner.slice(0, sep));
  const m = Number(inner.slice(sep + 1));
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 1 || m < n || m > MAX_PARTS) return undefined;
  return { n, m, newline, rest: text.slice(close + 2) };
}

/**
 * Finds the second copy of an entry Exim wrote to two of its logs, in a syslog file (no
 * priorities): an entry equal to the previous entry of the same process. Only entries that
 * Exim writes to two logs can be copies (`twoLogs`: refusals, and the lines not understood,
 * among which the panics): the daemon logs two equal `SMTP connection from [addr]` lines
 * for two clients of one second.
 */
export class SyslogCopies {
  private last = new Map<number, string>();

  /** Is `line` (an entry's first line, Exim's timestamp included) the copy of the previous one of `pid`? */
  isCopy(pid: number, line: string, twoLogs: boolean): boolean {
    const prev = this.last.get(pid);
    if (twoLogs && prev === line) {
      this.last.delete(pid);
      return true;
    }
    this.last.delete(pid);
    this.last.set(pid, line);
    if (this.last.size > MAX_PROCESSES) this.last.delete(this.last.keys().next().value!);
    return false;
  }
}
