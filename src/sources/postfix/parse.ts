// Framing of a syslog line: timestamp (BSD or RFC 3339), host, program[pid], then the
// message text, which messages.ts turns into an event. One pass, indexOf/charCodeAt
// only (no regular expressions), and caches for the parts that repeat from line to
// line (the timestamp of the current second, the program names).
//
// Programs: `<syslog_name>[/<service>...]/<daemon>` where syslog_name contains "postfix"
// (`postfix`, `postfix-out`, a custom name). Lines of other programs give undefined.

import type { ParsedLine } from './events.js';
import { has } from './fields.js';
import { parseEvent } from './messages.js';

export interface ParseOptions {
  /** Year of BSD timestamps (they carry none). Default: inferred from `now`. */
  year?: number;
  /** Reference time (epoch ms) for the year inference. Default: Date.now(). */
  now?: number;
  /** Time of lines that carry no timestamp (journal style `postfix/smtpd[1]: ...`). Default: `now`. */
  time?: number;
}

interface Program {
  syslogName: string;
  service?: string;
  daemon: string;
}

interface ProgramEntry {
  name: string;
  prog: Program | null;
  next: ProgramEntry | undefined;
}

const MONTHS = new Map<number, number>(
  ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m, i) => [
    (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2),
    i,
  ]),
);

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const d2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/**
 * Year of a BSD timestamp in `month` (0-11) read at `now`: this year, unless the month is
 * more than one month ahead of now's, which means the line was written last year (a
 * December line read in January). A line at most a month ahead is taken as clock skew.
 */
export function inferYear(month: number, now: number): number {
  const d = new Date(now);
  const y = d.getFullYear();
  return month - d.getMonth() > 1 ? y - 1 : y;
}

/** Parses lines; keeps small caches, so one parser per stream is fastest. */
export class LineParser {
  private programs = new Map<string, Program | null>();
  private byHash = new Map<number, ProgramEntry>();
  private lastHost = '';
  // the last timestamp prefix (up to the seconds) and its epoch ms
  private lastPrefix = '';
  private lastBase = 0;
  private lastYear: number | undefined = -1;
  // the same for RFC 3339: the 19 characters up to the seconds, and whether read as local time
  private rfcPrefix = '';
  private rfcLocal = false;
  private rfcBase = 0;
  // position where the timestamp ended (set by the time parsers)
  private end = 0;

  parseLine(text: string, opts: ParseOptions = {}): ParsedLine | undefined {
    const c0 = text.charCodeAt(0);
    let time: number;
    let pos: number;
    if (isDigit(c0)) {
      time = this.rfc3339(text);
      if (Number.isNaN(time)) return undefined;
      pos = this.end;
    } else if (c0 >= 65 && c0 <= 90 && text.charCodeAt(3) === 32) {
      time = this.bsd(text, opts);
      if (Number.isNaN(time)) return this.bare(text, opts);
      pos = this.end;
    } else {
      return this.bare(text, opts);
    }
    while (text.charCodeAt(pos) === 32) pos++;
    // host, unless the next token already is the program ("prog[pid]:" / "prog:")
    let host: string | undefined = this.lastHost;
    if (host.length > 0 && text.charCodeAt(pos + host.length) === 32 && has(text, pos, host)) {
      pos += host.length + 1;
    } else {
      const sp = text.indexOf(' ', pos);
      if (sp < 0) return undefined;
      if (text.charCodeAt(sp - 1) !== 58 /* : */) {
        host = this.lastHost = text.slice(pos, sp);
        pos = sp + 1;
      } else host = undefined;
    }
    return this.framed(text, pos, time, host);
  }

  /** A journal entry: SYSLOG_IDENTIFIER, _PID, MESSAGE and its time. */
  parseMessage(program: string, pid: number | undefined, message: string, time: number, host?: string): ParsedLine | undefined {
    const prog = this.program(program);
    return prog && parsed(time, host, program, prog, pid ?? 0, message);
  }

  /** `program[pid]: message` without a timestamp. */
  private bare(text: string, opts: ParseOptions): ParsedLine | undefined {
    return this.framed(text, 0, opts.time ?? opts.now ?? Date.now(), undefined);
  }

  private framed(text: string, pos: number, time: number, host: string | undefined): ParsedLine | undefined {
    // program: up to '[' (pid follows) or ':'
    let i = pos;
    const n = text.length;
    let c = 0;
    let h = 0;
    for (; i < n; i++) {
      c = text.charCodeAt(i);
      if (c === 91 /* [ */ || c === 58 /* : */ || c === 32) break;
      h = (Math.imul(h, 31) + c) | 0;
    }
    if (i === n || c === 32) return undefined;
    // the program, found by a hash of its characters without slicing it off the line
    let e = this.byHash.get(h);
    while (e && !(e.name.length === i - pos && has(text, pos, e.name))) e = e.next;
    if (!e) {
      const name = text.slice(pos, i);
      e = { name, prog: this.program(name) ?? null, next: this.byHash.get(h) };
      if (this.byHash.size > 10_000) this.byHash.clear(); // garbage program names must not grow this
      this.byHash.set(h, e);
    }
    const prog = e.prog;
    if (!prog) return undefined;
    const program = e.name;
    let pid = 0;
    if (c === 91) {
      i++;
      for (c = text.charCodeAt(i); isDigit(c); c = text.charCodeAt(++i)) pid = pid * 10 + c - 48;
      if (c !== 93 /* ] */) return undefined;
      i++;
    }
    if (text.charCodeAt(i) !== 58) return undefined;
    i++;
    if (text.charCodeAt(i) === 32) i++;
    return parsed(time, host, program, prog, pid, i === 0 ? text : text.slice(i));
  }

  private program(name: string): Program | undefined {
    let p = this.programs.get(name);
    if (p === undefined) {
      p = null;
      const first = name.indexOf('/');
      const last = name.lastIndexOf('/');
      if (first > 0 && last < name.length - 1 && name.lastIndexOf('postfix', first) >= 0) {
        p = { syslogName: name.slice(0, first), daemon: name.slice(last + 1) };
        if (last > first) p.service = name.slice(first + 1, last);
      }
      if (this.programs.size > 10_000) this.programs.clear(); // garbage program names must not grow this
      this.programs.set(name, p);
    }
    return p ?? undefined;
  }

  /** `Nov 29 17:04:47`, `Nov  3 17:04:47`, `Nov 03 17:04:47.123456` (local time). */
  private bsd(s: string, opts: ParseOptions): number {
    const last = this.lastPrefix;
    if (opts.year === this.lastYear && last.length > 0 && has(s, 0, last)) {
      const c = s.charCodeAt(last.length);
      if (c === 32 || c === 46) return this.lastBase + this.fraction(s, last.length);
    }
    let i = 4;
    if (s.charCodeAt(i) === 32) i++;
    let day = 0;
    for (let k = 0; k < 2 && isDigit(s.charCodeAt(i)); k++, i++) day = day * 10 + s.charCodeAt(i) - 48;
    if (day === 0 || s.charCodeAt(i) !== 32) return NaN;
    const t = i + 1; // hh:mm:ss
    if (s.charCodeAt(t + 2) !== 58 || s.charCodeAt(t + 5) !== 58) return NaN;
    const secEnd = t + 8;
    const frac = this.fraction(s, secEnd);
    const year = opts.year;
    const month = MONTHS.get((s.charCodeAt(0) << 16) | (s.charCodeAt(1) << 8) | s.charCodeAt(2));
    if (month === undefined) return NaN;
    const hh = d2(s, t);
    const mm = d2(s, t + 3);
    const ss = d2(s, t + 6);
    if (!(hh >= 0 && hh < 24 && mm >= 0 && mm < 60 && ss >= 0 && ss < 61)) return NaN;
    const y = year ?? inferYear(month, opts.now ?? Date.now());
    const base = new Date(y, month, day, hh, mm, ss).getTime();
    this.lastPrefix = s.slice(0, secEnd);
    this.lastBase = base;
    this.lastYear = year;
    return base + frac;
  }

  /** `2026-11-29T17:04:47[.255136](Z|+00:00|+0000|)`; no zone means local time. */
  private rfc3339(s: string): number {
    if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 /* T */) return NaN;
    if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
    const frac = this.fraction(s, 19);
    let i = this.end;
    let offset = 0; // minutes east of UTC
    let local = false;
    const z = s.charCodeAt(i);
    if (z === 90 /* Z */) i++;
    else if (z === 43 || z === 45) {
      offset = d2(s, i + 1) * 60;
      i += 3;
      if (s.charCodeAt(i) === 58) i++;
      if (isDigit(s.charCodeAt(i))) {
        offset += d2(s, i);
        i += 2;
      }
      if (z === 45) offset = -offset;
    } else local = true;
    this.end = i;
    if (Number.isNaN(offset)) return NaN;
    let base: number;
    if (local === this.rfcLocal && this.rfcPrefix.length === 19 && has(s, 0, this.rfcPrefix)) {
      base = this.rfcBase;
    } else {
      const y = Number(s.slice(0, 4));
      const mo = d2(s, 5) - 1;
      const d = d2(s, 8);
      const hh = d2(s, 11);
      const mm = d2(s, 14);
      const ss = d2(s, 17);
      base = local ? new Date(y, mo, d, hh, mm, ss).getTime() : Date.UTC(y, mo, d, hh, mm, ss);
      if (Number.isNaN(base)) return NaN;
      this.rfcPrefix = s.slice(0, 19);
      this.rfcLocal = local;
      this.rfcBase = base;
    }
    return base - offset * 60_000 + frac;
  }

  /** Milliseconds of an optional `.ffffff` at i; sets this.end after it. */
  private fraction(s: string, i: number): number {
    if (s.charCodeAt(i) !== 46 /* . */) {
      this.end = i;
      return 0;
    }
    i++;
    let ms = 0;
    let k = 0;
    for (let c = s.charCodeAt(i); isDigit(c); c = s.charCodeAt(++i), k++) if (k < 3) ms = ms * 10 + c - 48;
    for (; k < 3; k++) ms *= 10;
    this.end = i;
    return ms;
  }
}

const shared = new LineParser();

/** Parses one syslog line; undefined when it is not a Postfix program's line. */
export function parseLine(text: string, opts: ParseOptions = {}): ParsedLine | undefined {
  return shared.parseLine(text, opts);
}

/** Parses a journal entry (SYSLOG_IDENTIFIER, _PID, MESSAGE, time); undefined when not Postfix's. */
export function parseMessage(program: string, pid: number | undefined, message: string, time: number, host?: string): ParsedLine | undefined {
  return shared.parseMessage(program, pid, message, time, host);
}

/** One parsed line, from a syslog line or a journal entry alike. */
function parsed(time: number, host: string | undefined, program: string, prog: Program, pid: number, message: string): ParsedLine {
  return {
    time,
    host,
    program,
    syslogName: prog.syslogName,
    service: prog.service,
    daemon: prog.daemon,
    pid,
    event: parseEvent(prog.daemon, message),
  };
}
